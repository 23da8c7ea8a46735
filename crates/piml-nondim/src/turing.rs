//! Linear stability of a homogeneous steady state to spatial perturbations
//! e^{σt + ikx}: the dispersion relation σ(k) = max Re eig(J − k²·diag(D)),
//! the four Turing conditions of two-species systems, the fastest-growing
//! wavenumber and the modes the domain admits (Murray 2003, *Mathematical
//! Biology II*, 3rd ed., §2.3).

use std::f64::consts::PI;

use piml_model::{AxisBoundary, Model};

use crate::stability::eigenvalues;

/// One of the Turing conditions with the quantity it tests.
#[derive(Debug, Clone)]
pub struct Condition {
    pub name: &'static str,
    pub value: f64,
    pub holds: bool,
}

/// The admissible modes along one space axis.
#[derive(Debug, Clone)]
pub struct AxisModes {
    pub axis: String,
    pub length: f64,
    /// Fastest-growing wavelengths that fit the axis, L/λ_max.
    pub wavelengths: f64,
    /// Mode numbers n (k = 2πn/L periodic, nπ/L otherwise) with σ > 0.
    pub unstable_modes: Vec<usize>,
    /// The admissible mode that grows fastest, with its k and σ.
    pub fastest_mode: Option<(usize, f64, f64)>,
}

/// The linear analysis at one steady state.
#[derive(Debug, Clone)]
pub struct Turing {
    pub state: Vec<f64>,
    pub diffusion: Vec<f64>,
    /// The four conditions (two species only).
    pub conditions: Vec<Condition>,
    /// (k, σ(k)) on a uniform grid from 0 past the unstable band.
    pub dispersion: Vec<(f64, f64)>,
    /// Wavenumber, wavelength 2π/k and growth rate of the fastest mode, when σ > 0 somewhere.
    pub fastest: Option<(f64, f64, f64)>,
    /// Stable without diffusion, unstable with it.
    pub turing_unstable: bool,
    pub axes: Vec<AxisModes>,
}

/// σ(k): the largest real part of the eigenvalues of J − k²·diag(D).
pub fn growth_rate(jac: &[f64], diffusion: &[f64], k: f64) -> f64 {
    let n = diffusion.len();
    let mut m = jac.to_vec();
    for (i, d) in diffusion.iter().enumerate() {
        m[i * n + i] -= k * k * d;
    }
    eigenvalues(n, &m)
        .iter()
        .map(|(re, _)| *re)
        .fold(f64::NEG_INFINITY, f64::max)
}

/// Golden-section search for the maximum of σ on [a, b] to 1e-12 relative.
fn maximise(f: &dyn Fn(f64) -> f64, mut a: f64, mut b: f64) -> f64 {
    let g = (5f64.sqrt() - 1.0) / 2.0;
    let (mut c, mut d) = (b - g * (b - a), a + g * (b - a));
    let (mut fc, mut fd) = (f(c), f(d));
    while (b - a).abs() > 1e-12 * b.abs().max(1e-300) {
        if fc > fd {
            b = d;
            (d, fd) = (c, fc);
            c = b - g * (b - a);
            fc = f(c);
        } else {
            a = c;
            (c, fc) = (d, fd);
            d = a + g * (b - a);
            fd = f(d);
        }
    }
    0.5 * (a + b)
}

/// The analysis at a steady state with Jacobian `jac` (column-major) and
/// diffusivities `diffusion`, on the model's domain.
pub fn analyse(
    model: &Model,
    state: &[f64],
    jac: &[f64],
    diffusion: &[f64],
    stable: bool,
) -> Turing {
    let n = diffusion.len();
    let sigma = |k: f64| growth_rate(jac, diffusion, k);
    let mut conditions = Vec::new();
    if n == 2 {
        let (fu, gu, fv, gv) = (jac[0], jac[1], jac[2], jac[3]);
        let (du, dv) = (diffusion[0], diffusion[1]);
        let det = fu * gv - fv * gu;
        let mixed = dv * fu + du * gv;
        conditions = vec![
            Condition {
                name: "f_u + g_v < 0",
                value: fu + gv,
                holds: fu + gv < 0.0,
            },
            Condition {
                name: "f_u g_v - f_v g_u > 0",
                value: det,
                holds: det > 0.0,
            },
            Condition {
                name: "Dv f_u + Du g_v > 0",
                value: mixed,
                holds: mixed > 0.0,
            },
            Condition {
                name: "(Dv f_u + Du g_v)^2 - 4 Du Dv (f_u g_v - f_v g_u) > 0",
                value: mixed * mixed - 4.0 * du * dv * det,
                holds: mixed * mixed - 4.0 * du * dv * det > 0.0,
            },
        ];
    }
    // Past k² = 2·max row sum of |J| / min D every Gershgorin disc of
    // J − k²D lies in the left half-plane: the band ends before it.
    let row_sum = (0..n)
        .map(|i| (0..n).map(|j| jac[j * n + i].abs()).sum::<f64>())
        .fold(0.0, f64::max);
    let d_min = diffusion
        .iter()
        .copied()
        .filter(|d| *d > 0.0)
        .fold(f64::INFINITY, f64::min);
    let k_hi = if d_min.is_finite() && row_sum > 0.0 {
        (2.0 * row_sum / d_min).sqrt()
    } else {
        1.0
    };
    let dispersion: Vec<(f64, f64)> = (0..=200)
        .map(|i| {
            let k = k_hi * i as f64 / 200.0;
            (k, sigma(k))
        })
        .collect();
    let best = dispersion
        .iter()
        .enumerate()
        .skip(1)
        .max_by(|a, b| a.1.1.total_cmp(&b.1.1))
        .map(|(i, _)| i)
        .unwrap_or(1);
    let fastest = (dispersion[best].1 > 0.0).then(|| {
        let lo = dispersion[best - 1].0;
        let hi = dispersion[(best + 1).min(dispersion.len() - 1)].0;
        let k = maximise(&sigma, lo, hi);
        (k, 2.0 * PI / k, sigma(k))
    });
    let axes = model
        .space
        .iter()
        .zip(&model.boundary)
        .map(|((axis, a), b)| {
            let [lo, hi] = a.span.unwrap_or([0.0, 1.0]);
            let length = hi - lo;
            let unit = if *b == AxisBoundary::Periodic {
                2.0 * PI / length
            } else {
                PI / length
            };
            let n_max = ((k_hi / unit).ceil() as usize).max(1);
            let modes: Vec<(usize, f64, f64)> = (1..=n_max)
                .map(|m| (m, m as f64 * unit, sigma(m as f64 * unit)))
                .collect();
            AxisModes {
                axis: axis.clone(),
                length,
                wavelengths: fastest.map_or(0.0, |(_, w, _)| length / w),
                unstable_modes: modes.iter().filter(|m| m.2 > 0.0).map(|m| m.0).collect(),
                fastest_mode: modes
                    .iter()
                    .filter(|m| m.2 > 0.0)
                    .max_by(|a, b| a.2.total_cmp(&b.2))
                    .copied(),
            }
        })
        .collect();
    Turing {
        state: state.to_vec(),
        diffusion: diffusion.to_vec(),
        conditions,
        turing_unstable: stable && fastest.is_some(),
        dispersion,
        fastest,
        axes,
    }
}
