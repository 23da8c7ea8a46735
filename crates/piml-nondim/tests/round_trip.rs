//! Simulating a model in its own units equals simulating its dimensionless
//! form and converting back with the scales of its `nondim` section.
//!
//! The two runs integrate the same equations in different units; each is
//! solved to rtol 1e-11 (absolute tolerances in proportion to the scales),
//! so each is within ~1e-10 of the exact semi-discrete solution and they
//! agree to the issue's 1e-8 relative (to the largest value, as the front's
//! leading edge is near zero where a pointwise relative error means nothing).
//! Measured: 6e-13 (kinetics), 3e-12 (Fisher–KPP), 5e-16 (morphogen).

mod common;

use common::model;
use piml_model::{Kinetics, Model};
use piml_nondim::analyse;

fn nondimensional(m: &Model, given: &[&str]) -> Model {
    let a = analyse(m, &common::scales(given)).unwrap();
    Model::from_json_str(&a.rewritten.document.to_string(), "nd").unwrap()
}

fn scale(nd: &Model, name: &str) -> f64 {
    let r = nd.rescaling.as_ref().unwrap();
    r.scales.iter().find(|(n, _)| n == name).unwrap().1
}

fn max_relative_difference(a: &[f64], b: &[f64]) -> f64 {
    let top = a.iter().map(|v| v.abs()).fold(0.0, f64::max);
    a.iter()
        .zip(b)
        .map(|(x, y)| (x - y).abs())
        .fold(0.0, f64::max)
        / top
}

/// Michaelis–Menten depletion in µM and minutes against S' = −S/(1 + S).
#[test]
fn kinetics_convert_back_to_1e_8() {
    let m = model("mm-reduced.json");
    let nd = nondimensional(&m, &[]);
    let (t_scale, s_scale) = (scale(&nd, "t"), scale(&nd, "S"));
    let times: Vec<f64> = (0..=20).map(f64::from).collect();
    let solve = |m: &Model, times: &[f64], atol: f64| {
        let kin = Kinetics::new(m).unwrap();
        let solver = piml_ode::OdeSolver::new(piml_ode::Method::Bdf)
            .rtol(1e-11)
            .atol(atol)
            .build()
            .unwrap();
        piml_sim::solve_kinetics(&kin, &m.parameter_values(), 0.0, times, &solver).unwrap()
    };
    let dimensional = solve(&m, &times, 1e-13 * s_scale);
    let scaled_times: Vec<f64> = times.iter().map(|t| t / t_scale).collect();
    let dimensionless = solve(&nd, &scaled_times, 1e-13);
    let back: Vec<f64> = dimensionless.species[0]
        .iter()
        .map(|s| s * s_scale)
        .collect();
    let diff = max_relative_difference(&dimensional.species[0], &back);
    assert!(diff < 1e-8, "{diff:e}");
}

/// Both runs of a 1-D model on 100 cells; the largest relative difference
/// over `times` after converting the dimensionless one back.
fn pde_difference(m: &Model, nd: &Model, times: &[f64]) -> f64 {
    use piml_pde::{Grid, Method, ReactionDiffusion, Solver};
    let (t_scale, x_scale) = (scale(nd, "t"), scale(nd, "x"));
    let u_scale = scale(nd, &m.species[0].name);
    let solve = |m: &Model, times: &[f64], atol: f64| {
        let grid = Grid::new(m, &[100]).unwrap();
        let coords = grid.coordinates()[0].clone();
        let rd = ReactionDiffusion::new(m, grid, &m.parameter_values()).unwrap();
        let solver = Solver::new(Method::Bdf)
            .rtol(1e-11)
            .atol(atol)
            .build()
            .unwrap();
        (
            coords,
            solver.solve(&rd, &rd.initial_state(), 0.0, times).unwrap(),
        )
    };
    let (x_dim, dimensional) = solve(m, times, 1e-13 * u_scale);
    let scaled_times: Vec<f64> = times.iter().map(|t| t / t_scale).collect();
    let (x_nd, dimensionless) = solve(nd, &scaled_times, 1e-13);
    let x_back: Vec<f64> = x_nd.iter().map(|x| x * x_scale).collect();
    assert!(max_relative_difference(&x_dim, &x_back) < 1e-14);
    (0..times.len())
        .map(|k| {
            let u = &dimensional.fields[k][0];
            let back: Vec<f64> = dimensionless.fields[k][0]
                .iter()
                .map(|v| v * u_scale)
                .collect();
            max_relative_difference(u, &back)
        })
        .fold(0.0, f64::max)
}

/// Fisher–KPP in µm, hours and cells/µm² against u_t = u_xx + u(1 − u) on
/// the scaled domain.
#[test]
fn reaction_diffusion_converts_back_to_1e_8() {
    let m = model("nondim/fisher-kpp-cells.json");
    let nd = nondimensional(&m, &["t=1/r", "x=sqrt(D/r)", "u=K"]);
    let diff = pde_difference(&m, &nd, &[6.0, 12.0, 24.0, 48.0]);
    assert!(diff < 1e-8, "{diff:e}");
}

/// The morphogen gradient with its source (a Dirichlet side) against
/// u_t = u_xx − Da·u on [0, 1].
#[test]
fn dirichlet_boundaries_convert_back_to_1e_8() {
    let m = model("morphogen-1d.json");
    let nd = nondimensional(&m, &["x=L_x", "t=L_x^2/D"]);
    let diff = pde_difference(&m, &nd, &[10.0, 50.0, 200.0]);
    assert!(diff < 1e-8, "{diff:e}");
}
