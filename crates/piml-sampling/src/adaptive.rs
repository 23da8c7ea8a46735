//! Residual-based adaptive sampling: new collocation points where the
//! network's equation residual is large, chosen among candidate points (the
//! rows of a residual table) by index.

use rand::Rng;

use crate::error::Error;

/// Checks that every residual is a finite number; rows count from 1.
fn check(residuals: &[Option<f64>]) -> Result<Vec<f64>, Error> {
    if residuals.is_empty() {
        return Err(Error::NoCandidates);
    }
    residuals
        .iter()
        .enumerate()
        .map(|(i, r)| match r {
            Some(v) if v.is_finite() => Ok(*v),
            other => Err(Error::Residual {
                row: i + 1,
                value: other.map_or("null".to_string(), |v| v.to_string()),
            }),
        })
        .collect()
}

/// The RAD sampling probabilities of the candidates (Wu, Zhu, Tan, Kartha &
/// Lu 2023, "A comprehensive study of non-adaptive and residual-based adaptive
/// sampling for physics-informed neural networks"):
/// p(x) ∝ |r(x)|^k / mean(|r|^k) + c, normalised to sum to 1.
/// `k` ≥ 0 sharpens the density towards large residuals; `c` ≥ 0 keeps a
/// uniform share (k = 0 or large c give uniform sampling).
pub fn rad_probabilities(residuals: &[Option<f64>], k: f64, c: f64) -> Result<Vec<f64>, Error> {
    if !(k.is_finite() && k >= 0.0) {
        return Err(Error::Parameter {
            name: "k",
            value: k,
            expected: "a finite number >= 0",
        });
    }
    if !(c.is_finite() && c >= 0.0) {
        return Err(Error::Parameter {
            name: "c",
            value: c,
            expected: "a finite number >= 0",
        });
    }
    let powered: Vec<f64> = check(residuals)?.iter().map(|r| r.abs().powf(k)).collect();
    let mean = powered.iter().sum::<f64>() / powered.len() as f64;
    let density: Vec<f64> = if mean > 0.0 {
        powered.iter().map(|p| p / mean + c).collect()
    } else if c > 0.0 {
        vec![c; powered.len()]
    } else {
        return Err(Error::ZeroDensity);
    };
    let total: f64 = density.iter().sum();
    Ok(density.iter().map(|d| d / total).collect())
}

/// RAD: `n` independent draws of candidate indices with the probabilities of
/// [`rad_probabilities`] (with replacement, so that each new point follows the
/// target density exactly; a candidate set much larger than `n` makes repeats rare).
pub fn rad(
    residuals: &[Option<f64>],
    k: f64,
    c: f64,
    n: usize,
    rng: &mut impl Rng,
) -> Result<Vec<usize>, Error> {
    let p = rad_probabilities(residuals, k, c)?;
    let mut cumulative = Vec::with_capacity(p.len());
    let mut sum = 0.0;
    for q in &p {
        sum += q;
        cumulative.push(sum);
    }
    let last = p.len() - 1;
    Ok((0..n)
        .map(|_| {
            let u = rng.random::<f64>() * sum;
            cumulative.partition_point(|&c| c <= u).min(last)
        })
        .collect())
}

/// RAR (greedy residual-based adaptive refinement, Lu, Meng, Mao &
/// Karniadakis 2021, "DeepXDE"): the indices of the `m`
/// candidates with the largest |r|, largest first, ties in table order.
pub fn rar(residuals: &[Option<f64>], m: usize) -> Result<Vec<usize>, Error> {
    let r = check(residuals)?;
    if m > r.len() {
        return Err(Error::TooFewCandidates {
            asked: m,
            available: r.len(),
        });
    }
    let mut order: Vec<usize> = (0..r.len()).collect();
    order.sort_by(|&a, &b| r[b].abs().total_cmp(&r[a].abs()));
    order.truncate(m);
    Ok(order)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn probabilities_follow_the_formula() {
        let r = [Some(1.0), Some(-3.0), Some(0.0), Some(2.0)];
        // |r|^2 = 1, 9, 0, 4; mean 3.5; + c = 1 → 1/3.5+1, 9/3.5+1, 1, 4/3.5+1.
        let p = rad_probabilities(&r, 2.0, 1.0).unwrap();
        let d = [1.0 / 3.5 + 1.0, 9.0 / 3.5 + 1.0, 1.0, 4.0 / 3.5 + 1.0];
        let total: f64 = d.iter().sum();
        for (pi, di) in p.iter().zip(d) {
            assert!((pi - di / total).abs() < 1e-15);
        }
        assert!(matches!(
            rad_probabilities(&[Some(0.0)], 1.0, 0.0),
            Err(Error::ZeroDensity)
        ));
        assert!(matches!(
            rad_probabilities(&[Some(1.0), None], 1.0, 0.0),
            Err(Error::Residual { row: 2, .. })
        ));
        assert!(rad_probabilities(&[Some(1.0)], -1.0, 0.0).is_err());
    }

    #[test]
    fn rar_takes_the_largest_residuals() {
        let r = [Some(0.1), Some(-5.0), Some(2.0), Some(5.0)];
        assert_eq!(rar(&r, 3).unwrap(), vec![1, 3, 2]);
        assert!(matches!(
            rar(&r, 5),
            Err(Error::TooFewCandidates { asked: 5, .. })
        ));
    }
}
