//! Measurement noise, drawn from a seeded stream per ensemble member.

use piml_model::NoiseKind;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use rand_distr::StandardNormal;

/// A noise model with a known standard deviation.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct NoiseSpec {
    pub kind: NoiseKind,
    pub sigma: f64,
}

impl std::str::FromStr for NoiseSpec {
    type Err = String;

    /// `gaussian:SIGMA`, `proportional:CV` or `lognormal:SIGMA`.
    fn from_str(s: &str) -> Result<NoiseSpec, String> {
        let (kind, sigma) = s.split_once(':').ok_or_else(|| {
            format!("'{s}': expected KIND:SIGMA (gaussian, proportional or lognormal)")
        })?;
        let kind = NoiseKind::from_name(kind).ok_or_else(|| {
            let hint = piml_model::did_you_mean(kind, NoiseKind::NAMES.iter().map(|(_, n)| *n));
            format!("'{s}': unknown noise kind '{kind}'{hint}; expected gaussian, proportional or lognormal")
        })?;
        let sigma: f64 = sigma
            .parse()
            .map_err(|_| format!("'{s}': '{sigma}' is not a number"))?;
        if !(sigma >= 0.0 && sigma.is_finite()) {
            return Err(format!("'{s}': sigma must be a finite number >= 0"));
        }
        Ok(NoiseSpec { kind, sigma })
    }
}

impl NoiseSpec {
    /// A noisy observation of the exact value `f`.
    pub fn draw(&self, f: f64, rng: &mut impl Rng) -> f64 {
        let e: f64 = rng.sample(StandardNormal);
        match self.kind {
            NoiseKind::Gaussian => f + self.sigma * e,
            NoiseKind::Proportional => f * (1.0 + self.sigma * e),
            NoiseKind::Lognormal => f * (self.sigma * e).exp(),
            NoiseKind::Log10normal => f * 10f64.powf(self.sigma * e),
        }
    }
}

/// The random stream of one (member, condition) pair: derived from the seed
/// alone, so results do not depend on threads or shards.
pub fn member_rng(seed: u64, member: usize, condition: usize) -> ChaCha8Rng {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    rng.set_stream(((member as u64) << 20) ^ condition as u64);
    rng
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn noise_has_the_asked_spread() {
        let mut rng = member_rng(1, 0, 0);
        let spec: NoiseSpec = "gaussian:0.5".parse().unwrap();
        let n = 200_000;
        let draws: Vec<f64> = (0..n).map(|_| spec.draw(2.0, &mut rng)).collect();
        let mean = draws.iter().sum::<f64>() / n as f64;
        let sd = (draws.iter().map(|d| (d - mean).powi(2)).sum::<f64>() / (n - 1) as f64).sqrt();
        // Standard errors: 0.5/sqrt(n) ≈ 1.1e-3 for the mean, ≈ 8e-4 for the SD; 5 of them.
        assert!((mean - 2.0).abs() < 6e-3, "{mean}");
        assert!((sd - 0.5).abs() < 4e-3, "{sd}");
        let logn: NoiseSpec = "lognormal:0.2".parse().unwrap();
        let logs: Vec<f64> = (0..n)
            .map(|_| (logn.draw(3.0, &mut rng) / 3.0).ln())
            .collect();
        let sd = (logs.iter().map(|d| d * d).sum::<f64>() / n as f64).sqrt();
        assert!((sd - 0.2).abs() < 2e-3, "{sd}");
        assert!(
            "gausian:1"
                .parse::<NoiseSpec>()
                .unwrap_err()
                .contains("did you mean 'gaussian'")
        );
    }

    #[test]
    fn streams_differ_by_member_and_condition() {
        let a: f64 = member_rng(1, 0, 0).random();
        let b: f64 = member_rng(1, 1, 0).random();
        let c: f64 = member_rng(1, 0, 1).random();
        let a2: f64 = member_rng(1, 0, 0).random();
        assert_eq!(a, a2);
        assert!(a != b && a != c && b != c);
    }
}
