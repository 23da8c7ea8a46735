//! Forward sensitivities of the method-of-lines system against central
//! finite differences of the solution: exact ∂f/∂p (reaction, diffusion,
//! Dirichlet wall) and ∂u₀/∂p.

use piml_model::Model;
use piml_ode::{Method, OdeSolver};
use piml_pde::{Grid, ReactionDiffusion, SensitiveReactionDiffusion};

fn solver() -> OdeSolver {
    OdeSolver::new(Method::Bdf)
        .rtol(1e-10)
        .atol(1e-12)
        .build()
        .unwrap()
}

/// Checks ∂u(t)/∂p of every parameter against (u(p + h) − u(p − h))/2h on `cells` cells.
fn check(text: &str, cells: usize, times: &[f64]) {
    let model = Model::from_json_str(text, "test").unwrap();
    let p = model.parameter_values();
    let which: Vec<usize> = (0..p.len()).collect();
    let grid = Grid::new(&model, &[cells]).unwrap();
    let sensitive = SensitiveReactionDiffusion::new(&model, grid.clone(), &p, &which).unwrap();
    let y0 = sensitive
        .system()
        .state(&sensitive.system().initial_state())
        .unwrap();
    let s0 = sensitive.initial_sensitivities();
    let solution = solver()
        .solve_sensitivities(&sensitive, 0.0, &y0, &s0, times)
        .unwrap();
    let at = |q: &[f64]| {
        let rd = ReactionDiffusion::new(&model, grid.clone(), q).unwrap();
        let y0 = rd.state(&rd.initial_state()).unwrap();
        solver().solve(&rd, 0.0, &y0, times).unwrap().y
    };
    for j in which {
        // Relative step 1e-5: truncation ~1e-10, round-off ~1e-12/1e-5 relative.
        let h = 1e-5 * p[j].abs();
        let (mut up, mut down) = (p.clone(), p.clone());
        up[j] += h;
        down[j] -= h;
        let (yu, yd) = (at(&up), at(&down));
        for (k, s) in solution.s.iter().enumerate() {
            let scale = (0..s.nrows()).map(|i| s[(i, j)].abs()).fold(0.0, f64::max);
            assert!(scale > 0.0, "parameter {j} has no effect at time {k}");
            for i in 0..s.nrows() {
                let fd = (yu[k][i] - yd[k][i]) / (2.0 * h);
                // The integration error (rtol 1e-10) over the step h leaves ~1e-5 relative.
                assert!(
                    (fd - s[(i, j)]).abs() < 1e-4 * scale,
                    "parameter {j}, time {k}, state {i}: {fd} vs {}",
                    s[(i, j)]
                );
            }
        }
    }
}

/// Fisher–KPP from a bump whose height is a parameter (∂u₀/∂a ≠ 0).
#[test]
fn fisher_kpp_sensitivities_match_finite_differences() {
    check(
        r#"{"time": {"span": [0, 5]}, "space": {"x": {"span": [0, 20]}}, "boundary": "neumann",
            "species": {"u": {"initial": "a*exp(-(x/4)^2)", "diffusion": "D"}},
            "parameters": {"D": {"value": 1.5}, "r": {"value": 0.8}, "a": {"value": 0.3}},
            "rates": {"u": "r*u*(1-u)"}}"#,
        24,
        &[1.0, 5.0],
    );
}

/// Morphogen with a source wall: D enters the Dirichlet wall term too.
#[test]
fn morphogen_sensitivities_match_finite_differences() {
    check(
        r#"{"time": {"span": [0, 50]}, "space": {"x": {"span": [0, 100]}},
            "boundary": {"x": {"min": {"kind": "dirichlet", "value": {"u": "1"}}, "max": "neumann"}},
            "species": {"u": {"initial": 0, "diffusion": "D"}},
            "parameters": {"D": {"value": 100}, "k": {"value": 0.1}},
            "reactions": [{"reactants": {"u": 1}, "k": "k"}]}"#,
        20,
        &[10.0, 50.0],
    );
}
