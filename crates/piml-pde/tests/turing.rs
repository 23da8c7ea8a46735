//! Turing patterns: Schnakenberg kinetics in 1-D grow each Fourier mode at
//! the rate the dispersion relation of the discretised operator gives, and
//! the developed pattern's wavenumber is the fastest-growing one.

use piml_model::Model;
use piml_pde::{Grid, Method, ReactionDiffusion, Solver};
use rand::{Rng, SeedableRng};

const CELLS: usize = 128;
const LENGTH: f64 = 100.0;

/// testdata/schnakenberg-1d.json: u_t = u_xx + a − u + u²v, v_t = 20 v_xx + b − u²v
/// with a = 0.1, b = 0.9 on a periodic line of length 100.
fn schnakenberg() -> (Model, Grid) {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../testdata/schnakenberg-1d.json");
    let model = Model::from_file(&path).unwrap();
    let grid = Grid::new(&model, &[CELLS]).unwrap();
    (model, grid)
}

/// Growth rate of mode k: the larger real eigenvalue of J + diag(Du, Dv)·μ_k,
/// with J the kinetics' Jacobian at (u*, v*) = (a + b, b/(a + b)²) = (1, 0.9)
/// and μ_k = −(4/h²)·sin²(πk/N) the eigenvalue of the finite-volume Laplacian
/// (Murray 2003, ch. 2.3, with the discrete symbol in place of −k²).
fn dispersion(k: usize) -> f64 {
    let (fu, fv, gu, gv) = (0.8, 1.0, -1.8, -1.0);
    let h = LENGTH / CELLS as f64;
    let mu = -(4.0 / (h * h))
        * (std::f64::consts::PI * k as f64 / CELLS as f64)
            .sin()
            .powi(2);
    let (a11, a22) = (fu + mu, gv + 20.0 * mu);
    let (tr, det) = (a11 + a22, a11 * a22 - fv * gu);
    let disc = tr * tr / 4.0 - det;
    if disc >= 0.0 {
        tr / 2.0 + disc.sqrt()
    } else {
        tr / 2.0
    }
}

/// |Σ_j (u_j − mean) e^{−2πijk/N}| for each k = 0..=N/2.
fn spectrum(u: &[f64]) -> Vec<f64> {
    let mean = u.iter().sum::<f64>() / u.len() as f64;
    (0..=CELLS / 2)
        .map(|k| {
            let (mut re, mut im) = (0.0, 0.0);
            for (j, v) in u.iter().enumerate() {
                let phase = -2.0 * std::f64::consts::PI * (j * k) as f64 / CELLS as f64;
                re += (v - mean) * phase.cos();
                im += (v - mean) * phase.sin();
            }
            re.hypot(im)
        })
        .collect()
}

fn perturbed(rd: &ReactionDiffusion, amplitude: f64) -> Vec<Vec<f64>> {
    let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(7);
    let mut fields = rd.initial_state();
    for v in fields.iter_mut().flatten() {
        *v += amplitude * (2.0 * rng.random::<f64>() - 1.0);
    }
    fields
}

/// From a 1e-6 perturbation, between t = 10 (the stable branch, σ ≤ −2.4,
/// has died out by e⁻²⁵) and t = 30 (amplitudes still below 1e-2, so
/// nonlinear corrections to the rates are ~1e-5), each unstable mode grows at
/// its dispersion-relation rate to 1e-3 absolute (rates are 0.03–0.26; the
/// integrator at rtol 1e-12 adds ~1e-6).
#[test]
fn unstable_modes_grow_at_the_dispersion_relation_rates() {
    let (model, grid) = schnakenberg();
    let rd = ReactionDiffusion::new(&model, grid, &model.parameter_values()).unwrap();
    let solver = Solver::new(Method::Bdf)
        .rtol(1e-12)
        .atol(1e-14)
        .build()
        .unwrap();
    let (t1, t2) = (10.0, 30.0);
    let solution = solver
        .solve(&rd, &perturbed(&rd, 1e-6), 0.0, &[t1, t2])
        .unwrap();
    let (s1, s2) = (
        spectrum(&solution.fields[0][0]),
        spectrum(&solution.fields[1][0]),
    );
    let unstable: Vec<usize> = (1..=CELLS / 2).filter(|&k| dispersion(k) > 0.0).collect();
    assert_eq!(
        unstable,
        (5..=13).collect::<Vec<_>>(),
        "the unstable band of this domain"
    );
    for k in unstable {
        let measured = (s2[k] / s1[k]).ln() / (t2 - t1);
        assert!(
            (measured - dispersion(k)).abs() < 1e-3,
            "mode {k}: grows at {measured}, dispersion {}",
            dispersion(k)
        );
    }
}

/// Run on until the pattern saturates: its dominant wavenumber is the
/// fastest-growing one of the dispersion relation (k = 8 here; k = 7 grows
/// 3% slower, so nonlinear selection may settle one mode away).
#[test]
fn the_developed_pattern_has_the_fastest_growing_wavenumber() {
    let (model, grid) = schnakenberg();
    let rd = ReactionDiffusion::new(&model, grid, &model.parameter_values()).unwrap();
    let solver = Solver::new(Method::Bdf)
        .rtol(1e-8)
        .atol(1e-10)
        .build()
        .unwrap();
    let solution = solver
        .solve(&rd, &perturbed(&rd, 1e-3), 0.0, &[200.0])
        .unwrap();
    let s = spectrum(&solution.fields[0][0]);
    let dominant = (1..=CELLS / 2)
        .max_by(|&a, &b| s[a].total_cmp(&s[b]))
        .unwrap();
    let fastest = (1..=CELLS / 2)
        .max_by(|&a, &b| dispersion(a).total_cmp(&dispersion(b)))
        .unwrap();
    assert_eq!(fastest, 8);
    assert!(
        dominant.abs_diff(fastest) <= 1,
        "dominant mode {dominant}, fastest-growing {fastest}"
    );
    // A developed pattern, not a linear ripple.
    assert!(
        s[dominant] / CELLS as f64 > 0.1,
        "amplitude {}",
        s[dominant] / CELLS as f64
    );
}
