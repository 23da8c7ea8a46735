//! Ensembles of parameter draws: `--vary name=lo:hi[:log]` over a Latin hypercube.

use rand::Rng;
use rand::seq::SliceRandom;

/// One varied parameter and its range.
#[derive(Debug, Clone, PartialEq)]
pub struct Vary {
    pub name: String,
    pub lo: f64,
    pub hi: f64,
    /// Draw uniformly in log space.
    pub log: bool,
}

impl std::str::FromStr for Vary {
    type Err = String;

    /// `name=lo:hi` or `name=lo:hi:log`.
    fn from_str(s: &str) -> Result<Vary, String> {
        let (name, range) = s
            .split_once('=')
            .ok_or_else(|| format!("'{s}': expected NAME=LO:HI[:log]"))?;
        let parts: Vec<&str> = range.split(':').collect();
        let num = |v: &str| {
            v.trim()
                .parse::<f64>()
                .map_err(|_| format!("'{s}': '{v}' is not a number"))
        };
        let (lo, hi, log) = match parts[..] {
            [lo, hi] => (num(lo)?, num(hi)?, false),
            [lo, hi, "log"] => (num(lo)?, num(hi)?, true),
            [_, _, other] => return Err(format!("'{s}': unknown scale '{other}' (expected log)")),
            _ => return Err(format!("'{s}': expected NAME=LO:HI[:log]")),
        };
        if !lo.is_finite() || !hi.is_finite() || lo >= hi {
            return Err(format!("'{s}': expected LO < HI"));
        }
        if log && lo <= 0.0 {
            return Err(format!("'{s}': a log range needs LO > 0"));
        }
        Ok(Vary {
            name: name.trim().to_string(),
            lo,
            hi,
            log,
        })
    }
}

/// Every combination of the values on each axis (a full factorial grid), as
/// columns: the last axis varies fastest.
pub fn full_grid(axes: &[&[f64]]) -> Vec<Vec<f64>> {
    let total: usize = axes.iter().map(|a| a.len()).product();
    let mut columns = vec![Vec::with_capacity(total); axes.len()];
    for row in 0..total {
        let mut rest = row;
        for (k, axis) in axes.iter().enumerate().rev() {
            columns[k].push(axis[rest % axis.len()]);
            rest /= axis.len();
        }
    }
    columns
}

/// `n` points of a Latin hypercube over the ranges: each range is cut into
/// `n` equal strata (in log space where asked) and each stratum holds
/// exactly one point (McKay, Beckman & Conover 1979). Row i is draw i.
pub fn latin_hypercube(ranges: &[Vary], n: usize, rng: &mut impl Rng) -> Vec<Vec<f64>> {
    let mut draws = vec![vec![0.0; ranges.len()]; n];
    for (j, v) in ranges.iter().enumerate() {
        let mut strata: Vec<usize> = (0..n).collect();
        strata.shuffle(rng);
        let (lo, hi) = if v.log {
            (v.lo.ln(), v.hi.ln())
        } else {
            (v.lo, v.hi)
        };
        for (i, s) in strata.into_iter().enumerate() {
            let u = (s as f64 + rng.random::<f64>()) / n as f64;
            let x = lo + u * (hi - lo);
            draws[i][j] = if v.log { x.exp() } else { x };
        }
    }
    draws
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::SeedableRng;

    #[test]
    fn one_point_per_stratum() {
        let ranges = vec![
            "a=0:1".parse::<Vary>().unwrap(),
            "b=1:1000:log".parse().unwrap(),
        ];
        let n = 50;
        let d = latin_hypercube(&ranges, n, &mut rand_chacha::ChaCha8Rng::seed_from_u64(7));
        let mut a: Vec<usize> = d.iter().map(|r| (r[0] * n as f64) as usize).collect();
        let mut b: Vec<usize> = d
            .iter()
            .map(|r| (r[1].log10() / 3.0 * n as f64) as usize)
            .collect();
        a.sort_unstable();
        b.sort_unstable();
        assert_eq!(a, (0..n).collect::<Vec<_>>());
        assert_eq!(b, (0..n).collect::<Vec<_>>());
    }

    #[test]
    fn grids_hold_every_combination() {
        let g = full_grid(&[&[1.0, 2.0], &[10.0, 20.0, 30.0]]);
        assert_eq!(g[0], vec![1.0, 1.0, 1.0, 2.0, 2.0, 2.0]);
        assert_eq!(g[1], vec![10.0, 20.0, 30.0, 10.0, 20.0, 30.0]);
    }

    #[test]
    fn parses_ranges() {
        assert_eq!(
            "k=1:2".parse::<Vary>().unwrap(),
            Vary {
                name: "k".into(),
                lo: 1.0,
                hi: 2.0,
                log: false
            }
        );
        assert!("k=2:1".parse::<Vary>().is_err());
        assert!("k=0:1:log".parse::<Vary>().is_err());
        assert!("k=1:2:lin".parse::<Vary>().is_err());
    }
}
