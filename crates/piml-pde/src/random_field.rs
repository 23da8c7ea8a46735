//! Random initial fields on a grid, for ensembles that teach an operator how
//! a model maps initial states to later ones.

use std::f64::consts::PI;
use std::str::FromStr;

use rand::Rng;
use rand_distr::StandardNormal;

use crate::grid::Grid;

/// What kind of random field.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FieldKind {
    /// A stationary Gaussian random field with squared-exponential
    /// covariance exp(−r²/(2ℓ²)), periodic over the box: a Fourier series
    /// with independent normal coefficients whose variances follow the
    /// spectral density exp(−|k|²ℓ²/2) (spectral synthesis, Shinozuka &
    /// Deodatis 1991), normalised to unit variance.
    Gaussian,
    /// Four random Fourier modes, Σ a_j sin(k_j·x + φ_j) with a_j ~ U(−1, 1),
    /// φ_j ~ U(0, 2π) and integer wavenumbers up to L/ℓ per axis, as in the
    /// PDEBench reaction–diffusion initial conditions (Takamoto et al. 2022).
    Modes,
}

/// A random field: its kind, length scale ℓ and amplitude.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct RandomField {
    pub kind: FieldKind,
    pub length_scale: f64,
    pub amplitude: f64,
}

impl FromStr for RandomField {
    type Err = String;

    /// `gaussian:ℓ[:amplitude]` or `modes:ℓ[:amplitude]` (amplitude 1 by default).
    fn from_str(s: &str) -> Result<RandomField, String> {
        let parts: Vec<&str> = s.split(':').collect();
        let kind = match parts[0] {
            "gaussian" => FieldKind::Gaussian,
            "modes" => FieldKind::Modes,
            other => {
                return Err(format!(
                    "'{s}': unknown field kind '{other}' (expected gaussian or modes)"
                ));
            }
        };
        let num = |v: &str| -> Result<f64, String> {
            let x: f64 = v
                .parse()
                .map_err(|_| format!("'{s}': '{v}' is not a number"))?;
            if x.is_finite() && x > 0.0 {
                Ok(x)
            } else {
                Err(format!("'{s}': '{v}' must be positive"))
            }
        };
        let (length_scale, amplitude) = match parts[1..] {
            [l] => (num(l)?, 1.0),
            [l, a] => (num(l)?, num(a)?),
            _ => return Err(format!("'{s}': expected KIND:LENGTH[:AMPLITUDE]")),
        };
        Ok(RandomField {
            kind,
            length_scale,
            amplitude,
        })
    }
}

/// Wavenumber indices n (one per axis) of a truncated Fourier basis, one of
/// each ±n pair (the first non-zero index positive).
fn half_lattice(max: &[i64]) -> Vec<Vec<i64>> {
    let mut out: Vec<Vec<i64>> = vec![Vec::new()];
    for &m in max {
        out = out
            .into_iter()
            .flat_map(|p| (-m..=m).map(move |n| [p.clone(), vec![n]].concat()))
            .collect();
    }
    out.retain(|n| n.iter().find(|&&v| v != 0).is_some_and(|&v| v > 0));
    out
}

impl RandomField {
    /// One sample of the field at the grid's cell centres (x fastest).
    pub fn sample(&self, grid: &Grid, rng: &mut impl Rng) -> Vec<f64> {
        let axes = grid.axes();
        let lengths: Vec<f64> = axes.iter().map(|a| a.hi - a.lo).collect();
        // Modes up to L/ℓ per axis for `modes`; for the Gaussian field, up to
        // where the spectral density has fallen to 1e-12 of its peak.
        let reach = match self.kind {
            FieldKind::Modes => 1.0,
            FieldKind::Gaussian => (2.0 * 1e12f64.ln()).sqrt() / (2.0 * PI),
        };
        let max: Vec<i64> = lengths
            .iter()
            .map(|l| ((reach * l / self.length_scale).round() as i64).max(1))
            .collect();
        let terms: Vec<(Vec<f64>, f64, f64)> = match self.kind {
            FieldKind::Gaussian => {
                // The constant mode once, every other wavevector with its mirror
                // image: a pair ±n carries twice the spectral density.
                let mut lattice = half_lattice(&max);
                lattice.push(vec![0; max.len()]);
                let weight = |n: &[i64]| {
                    let k2: f64 = n
                        .iter()
                        .zip(&lengths)
                        .map(|(&n, l)| (2.0 * PI * n as f64 / l).powi(2))
                        .sum();
                    let pair = if n.iter().all(|&v| v == 0) { 1.0 } else { 2.0 };
                    pair * (-k2 * self.length_scale.powi(2) / 2.0).exp()
                };
                let total: f64 = lattice.iter().map(|n| weight(n)).sum();
                lattice
                    .iter()
                    .map(|n| {
                        let k = n
                            .iter()
                            .zip(&lengths)
                            .map(|(&n, l)| 2.0 * PI * n as f64 / l)
                            .collect();
                        let w = (weight(n) / total).sqrt();
                        // a·cos θ + b·sin θ = r·sin(θ + φ) with r = √(a² + b²), φ = atan2(a, b).
                        let (a, b): (f64, f64) =
                            (rng.sample(StandardNormal), rng.sample(StandardNormal));
                        (k, w * a.hypot(b), a.atan2(b))
                    })
                    .collect()
            }
            FieldKind::Modes => (0..4)
                .map(|_| {
                    // Any integer wavevector but the constant one.
                    let n = loop {
                        let n: Vec<i64> = max.iter().map(|&m| rng.random_range(0..=m)).collect();
                        if n.iter().any(|&v| v != 0) {
                            break n;
                        }
                    };
                    let k = n
                        .iter()
                        .zip(&lengths)
                        .map(|(&n, l)| 2.0 * PI * n as f64 / l)
                        .collect();
                    (
                        k,
                        rng.random_range(-1.0..1.0),
                        rng.random_range(0.0..2.0 * PI),
                    )
                })
                .collect(),
        };
        let coords = grid.coordinates();
        (0..grid.n_cells())
            .map(|c| {
                let value: f64 = terms
                    .iter()
                    .map(|(k, r, phi)| {
                        let phase: f64 = k.iter().zip(&coords).map(|(k, x)| k * x[c]).sum();
                        r * (phase + phi).sin()
                    })
                    .sum();
                self.amplitude * value
            })
            .collect()
    }
}
