//! Error weights and the weighted RMS norm of the step-size control.
//!
//! Component i is weighted by atol_i + rtol·|y_i| (Hairer, Nørsett & Wanner
//! 1993, II.4, eq. 4.10; CVODE and scipy do the same). A state augmented with
//! sensitivities is measured block by block and the largest block norm
//! counts, as in CVODES with sensitivities in the error test.

/// Relative and per-component absolute tolerances for a state made of
/// blocks of n values (each block uses the same absolute tolerances).
#[derive(Debug, Clone)]
pub(crate) struct Tolerance {
    pub(crate) rtol: f64,
    /// One absolute tolerance per component of a block.
    atol: Vec<f64>,
}

impl Tolerance {
    pub(crate) fn new(rtol: f64, atol: Vec<f64>) -> Self {
        Self { rtol, atol }
    }

    /// Writes the weights atol_i + rtol·max(|a_i|, |b_i|) into `scale`.
    pub(crate) fn scale(&self, a: &[f64], b: &[f64], scale: &mut [f64]) {
        let n = self.atol.len();
        for ((s, a), b) in scale
            .chunks_exact_mut(n)
            .zip(a.chunks_exact(n))
            .zip(b.chunks_exact(n))
        {
            for i in 0..n {
                s[i] = self.atol[i] + self.rtol * a[i].abs().max(b[i].abs());
            }
        }
    }

    /// max over blocks of sqrt(mean((c·v_i / scale_i)²)).
    pub(crate) fn norm(&self, c: f64, v: &[f64], scale: &[f64]) -> f64 {
        let n = self.atol.len();
        let mut worst: f64 = 0.0;
        for (v, s) in v.chunks_exact(n).zip(scale.chunks_exact(n)) {
            let sum = sum_of_squares(v, s);
            // `max` drops NaN; keep it so that callers see a failed step.
            if sum.is_nan() {
                return f64::NAN;
            }
            worst = worst.max(sum);
        }
        c.abs() * (worst / n as f64).sqrt()
    }
}

/// Σ (v_i/s_i)². On a long state (a method-of-lines PDE) in four interleaved
/// partial sums: one running sum makes every addition wait for the previous
/// one, which costs more than the divisions. A short state (kinetics) gains
/// nothing from that and keeps the running sum, and with it the rounding
/// its solves have always had.
fn sum_of_squares(v: &[f64], s: &[f64]) -> f64 {
    const LANES: usize = 4;
    const LONG: usize = 64;
    if v.len() < LONG {
        return v.iter().zip(s).map(|(v, s)| (v / s) * (v / s)).sum();
    }
    let mut sums = [0.0; LANES];
    let (v_head, v_tail) = v.split_at(v.len() - v.len() % LANES);
    let (s_head, s_tail) = s.split_at(v_head.len());
    for (v, s) in v_head.chunks_exact(LANES).zip(s_head.chunks_exact(LANES)) {
        for lane in 0..LANES {
            let r = v[lane] / s[lane];
            sums[lane] += r * r;
        }
    }
    let tail: f64 = v_tail
        .iter()
        .zip(s_tail)
        .map(|(v, s)| (v / s) * (v / s))
        .sum();
    (sums[0] + sums[1]) + (sums[2] + sums[3]) + tail
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The weighted RMS norm of a vector whose entries are all ±w·s is |c|·w,
    /// whatever the length (the partial sums cover the tail too); a NaN
    /// entry gives NaN.
    #[test]
    fn norm_is_the_weighted_rms() {
        for n in [1, 3, 4, 7, 64, 67, 513] {
            let tol = Tolerance::new(1e-3, vec![1e-6; n]);
            let scale: Vec<f64> = (0..n).map(|i| 0.5 + i as f64).collect();
            let v: Vec<f64> = scale
                .iter()
                .enumerate()
                .map(|(i, s)| if i % 2 == 0 { 3.0 * s } else { -3.0 * s })
                .collect();
            let norm = tol.norm(-2.0, &v, &scale);
            assert!((norm - 6.0).abs() < 1e-14, "n={n}: {norm}");
            let mut v = v;
            v[n - 1] = f64::NAN;
            assert!(tol.norm(1.0, &v, &scale).is_nan(), "n={n}");
        }
    }
}
