//! The Fisher information against closed forms, and its null directions on a
//! model with a known scaling symmetry.

use std::path::Path;

use piml_identify::{fisher_information, problem};
use piml_io::Table;
use piml_model::Model;
use piml_ode::{Method, OdeSolver};

fn solver() -> OdeSolver {
    OdeSolver::new(Method::Auto)
        .rtol(1e-11)
        .atol(1e-13)
        .build()
        .unwrap()
}

/// The Fisher information of `model` at its values for measurements of its
/// first observable at `times` (their values do not enter the expected
/// information), with a sigma column when `sigma` is given.
fn fisher(model: &Model, times: &[f64], sigma: Option<f64>) -> piml_identify::Fisher {
    let name = &model.observables[0].name;
    let mut table = Table::new();
    table.push_f64("t", times.iter().map(|&t| Some(t)).collect());
    table.push_f64(name, times.iter().map(|_| Some(1.0)).collect());
    if let Some(s) = sigma {
        table.push_f64(
            &format!("sigma_{name}"),
            times.iter().map(|_| Some(s)).collect(),
        );
    }
    fisher_information(&problem(model, &table, "data", solver()).unwrap()).unwrap()
}

const DECAY: &str = r#"{
  "name": "decay",
  "species": { "u": { "initial": "x0" } },
  "parameters": {
    "x0": { "value": 2, "estimate": true },
    "k": { "value": 0.3, "estimate": true }
  },
  "rates": { "u": "-k*u" },
  "observables": { "obs": { "expr": "u", "noise": { "kind": "gaussian", "sigma": 0.1 } } }
}"#;

/// y = x0·exp(−kt): ∂y/∂x0 = e^(−kt), ∂y/∂k = −t·x0·e^(−kt), F = Σ ∇y∇yᵀ/σ².
#[test]
fn exponential_decay_matches_the_closed_form() {
    let model = Model::from_json_str(DECAY, "decay").unwrap();
    let times = [0.5, 1.0, 2.0, 4.0, 8.0];
    let fisher = fisher(&model, &times, None);
    let (x0, k, s2) = (2.0f64, 0.3f64, 0.01);
    let mut exact = [[0.0; 2]; 2];
    for t in times {
        let g = [(-k * t).exp(), -t * x0 * (-k * t).exp()];
        for a in 0..2 {
            for b in 0..2 {
                exact[a][b] += g[a] * g[b] / s2;
            }
        }
    }
    // The sensitivities are integrated at rtol 1e-11: 1e-7 leaves room for their error.
    for (a, row) in exact.iter().enumerate() {
        for (b, &expected) in row.iter().enumerate() {
            let got = fisher.matrix[(a, b)];
            assert!(
                (got - expected).abs() < 1e-7 * expected.abs(),
                "F[{a}][{b}] = {got} vs {expected}"
            );
        }
    }
    // Cramér–Rao: the standard errors are the square roots of the inverse's diagonal.
    let det = exact[0][0] * exact[1][1] - exact[0][1] * exact[1][0];
    let se_k = (exact[0][0] / det).sqrt();
    assert!((fisher.stderr[1].unwrap() - se_k).abs() < 1e-6 * se_k);
    let corr = -exact[0][1] / (exact[0][0] * exact[1][1]).sqrt();
    assert!((fisher.correlations[0][1].unwrap() - corr).abs() < 1e-6);
    assert!(fisher.identifiable.iter().all(|&i| i));
    assert!(fisher.eigenvalues[0] >= fisher.eigenvalues[1]);
}

/// In log scale the information is D·F·D with D = diag(θ).
#[test]
fn log_scaled_parameters_get_relative_sensitivities() {
    let lin = Model::from_json_str(DECAY, "decay").unwrap();
    let log_text = DECAY.replace(
        r#""estimate": true }"#,
        r#""estimate": true, "bounds": [0.01, 100] }"#,
    );
    let log = Model::from_json_str(&log_text, "decay").unwrap();
    let design = [1.0, 3.0, 6.0];
    let f_lin = fisher(&lin, &design, None);
    let f_log = fisher(&log, &design, None);
    let theta = [2.0, 0.3];
    for a in 0..2 {
        for b in 0..2 {
            let expected = theta[a] * theta[b] * f_lin.matrix[(a, b)];
            assert!((f_log.matrix[(a, b)] - expected).abs() < 1e-9 * expected.abs());
        }
    }
}

/// S' = −kcat·Etot·S/(Km + S): (log kcat, log Etot) → (+λ, −λ) leaves every
/// output unchanged, so (1, −1)/√2 is a null direction of the information
/// and neither kcat nor Etot is identifiable, while Km and S0 are.
#[test]
fn the_kcat_etot_symmetry_is_a_null_direction() {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../testdata/identifiability/mm-kcat-etot.json");
    let model = Model::from_file(&path).unwrap();
    let times: Vec<f64> = (1..=20).map(f64::from).collect();
    let fisher = fisher(&model, &times, Some(0.1));
    assert_eq!(fisher.names, ["kcat", "Etot", "Km", "S0"]);
    assert_eq!(fisher.identifiable, [false, false, true, true]);
    let smallest = fisher.eigenvalues[3] / fisher.eigenvalues[0];
    assert!(smallest < 1e-12, "{smallest}");
    let v = &fisher.eigenvectors[3];
    let half = std::f64::consts::FRAC_1_SQRT_2;
    assert!(
        (v[0].abs() - half).abs() < 1e-6 && (v[0] + v[1]).abs() < 1e-6,
        "{v:?}"
    );
    assert!(fisher.stderr[0].is_none() && fisher.stderr[2].is_some());
}
