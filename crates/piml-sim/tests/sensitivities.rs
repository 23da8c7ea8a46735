//! Forward sensitivities through the whole model path (JSON → symbolic ∂f/∂y,
//! ∂f/∂p and ∂y0/∂p → BDF with the sensitivity equations) against central
//! finite differences of re-solved trajectories.

use std::path::Path;

use piml_model::{Kinetics, Model};
use piml_ode::{Method, OdeSolver};
use piml_sim::{solve_kinetics, solve_kinetics_sensitivities};

fn model(name: &str) -> Model {
    Model::from_file(
        &Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("../../testdata")
            .join(name),
    )
    .unwrap()
}

/// Central differences with a relative step of 1e-4: truncation error
/// O(h²) ≈ 1e-8 relative, solver noise ≈ rtol/h = 1e-7 at rtol 1e-11. Both
/// stay well inside the 1e-5 (relative to each column's scale) we assert.
fn check_against_finite_differences(m: &Model, method: Method, times: &[f64]) {
    let kinetics = Kinetics::new(m).unwrap();
    let p = m.parameter_values();
    let solver = OdeSolver::new(method)
        .rtol(1e-11)
        .atol(1e-13)
        .build()
        .unwrap();
    let exact = solve_kinetics_sensitivities(&kinetics, &p, 0.0, times, &solver).unwrap();
    for j in 0..p.len() {
        let h = 1e-4 * p[j].abs().max(1e-3);
        let at = |delta: f64| {
            let mut q = p.clone();
            q[j] += delta;
            solve_kinetics(&kinetics, &q, 0.0, times, &solver).unwrap()
        };
        let (plus, minus) = (at(h), at(-h));
        for (k, _) in times.iter().enumerate() {
            let fd: Vec<f64> = (0..kinetics.n_species())
                .map(|i| (plus.species[i][k] - minus.species[i][k]) / (2.0 * h))
                .collect();
            let scale = fd.iter().fold(1e-12_f64, |a, v| a.max(v.abs()));
            for (i, fd_i) in fd.iter().enumerate() {
                let s = exact.sensitivities[k][(i, j)];
                assert!(
                    (s - fd_i).abs() <= 1e-5 * scale,
                    "{} {method:?}: d{}/d{} at t={}: {s:e} vs FD {fd_i:e}",
                    m.name,
                    m.species[i].name,
                    m.parameters[j].name,
                    times[k]
                );
            }
        }
    }
}

#[test]
fn michaelis_menten_sensitivities_include_the_initial_value_parameter() {
    // S0 enters only through the initial value: its column comes from ∂y0/∂p.
    let m = model("mm-reduced.json");
    for method in [Method::Bdf, Method::Explicit] {
        check_against_finite_differences(&m, method, &[0.0, 1.0, 5.0, 15.0]);
    }
}

#[test]
fn mass_action_sensitivities_match_finite_differences() {
    // Full Michaelis–Menten mass action: k1, km1, k2 in the rates and E0 in
    // the initial value of E.
    let m = model("mm-full.json");
    check_against_finite_differences(&m, Method::Bdf, &[0.5, 2.0, 10.0]);
}
