//! Bad input is a typed error that says what is wrong and counts as the
//! user's input (exit 2 in the tools); a blow-up is the computation's.

mod common;

use common::{discretise, model};
use piml_pde::{Error, Grid, Method, ReactionDiffusion, Solver};

const LINE: &str = r#"{"space": {"x": {"span": [0, 1]}}, "boundary": "neumann",
    "species": {"u": {"initial": "x", "diffusion": "0.1*(1 + u)"}}, "rates": {"u": "-u"}}"#;

fn input_error(e: Error, needle: &str) {
    assert!(e.is_input_error(), "{e}");
    assert!(
        e.to_string().contains(needle),
        "'{e}' should mention '{needle}'"
    );
}

#[test]
fn grids_that_do_not_fit_the_model() {
    let line = model(LINE);
    input_error(Grid::new(&line, &[10, 10]).unwrap_err(), "1-D model");
    input_error(Grid::new(&line, &[2]).unwrap_err(), "at least 3");
    let kinetic = model(r#"{"species": {"u": {"initial": 1}}, "rates": {"u": "-u"}}"#);
    input_error(Grid::new(&kinetic, &[10]).unwrap_err(), "no 'space'");
    let square = model(
        r#"{"space": {"x": {"span": [0, 1]}, "y": {"span": [0, 1]}},
            "species": {"u": {"initial": 1}}, "rates": {"u": "0"}}"#,
    );
    let grid = Grid::new(&square, &[4, 4]).unwrap();
    input_error(
        ReactionDiffusion::new(&line, grid, &[]).unwrap_err(),
        "axes [x, y]",
    );
}

#[test]
fn parameters_and_fields_are_checked() {
    let m = model(
        r#"{"space": {"x": {"span": [0, 1]}}, "species": {"u": {"initial": 1, "diffusion": "D"}},
            "parameters": {"D": {"value": 1}}, "rates": {"u": "0"}}"#,
    );
    let grid = || Grid::new(&m, &[5]).unwrap();
    input_error(
        ReactionDiffusion::new(&m, grid(), &[]).unwrap_err(),
        "0 parameter values",
    );
    input_error(
        ReactionDiffusion::new(&m, grid(), &[f64::NAN]).unwrap_err(),
        "'D'",
    );
    let rd = ReactionDiffusion::new(&m, grid(), &[1.0]).unwrap();
    input_error(
        rd.state(&[vec![1.0; 4]]).unwrap_err(),
        "4 values for 5 cells",
    );
    input_error(
        rd.state(&[vec![1.0, 1.0, f64::INFINITY, 1.0, 1.0]])
            .unwrap_err(),
        "cell 2",
    );
}

/// Methods that do not apply, and options out of range.
#[test]
fn methods_and_options_are_checked() {
    let rd = discretise(LINE, &[8]);
    let spectral = Solver::new(Method::Spectral).dt(0.1).build().unwrap();
    input_error(
        spectral
            .solve(&rd, &rd.initial_state(), 0.0, &[1.0])
            .unwrap_err(),
        "periodic",
    );
    let periodic = discretise(&LINE.replace(r#""neumann""#, r#""periodic""#), &[8]);
    input_error(
        spectral
            .solve(&periodic, &periodic.initial_state(), 0.0, &[1.0])
            .unwrap_err(),
        "constant diffusion",
    );
    input_error(Solver::new(Method::Spectral).build().unwrap_err(), "dt");
    input_error(Solver::new(Method::Bdf).dt(-1.0).build().unwrap_err(), "dt");
    input_error(
        Solver::new(Method::Bdf).rtol(0.0).build().unwrap_err(),
        "rtol",
    );
    let bdf = Solver::new(Method::Bdf).build().unwrap();
    input_error(
        bdf.solve(&rd, &rd.initial_state(), 0.0, &[1.0, 0.5])
            .unwrap_err(),
        "increasing",
    );
}

/// A blow-up is reported with the time, as the computation's failure:
/// u_t = u_xx + u² from u = 10 blows up at t = 0.1 (ODE u' = u²).
#[test]
fn blow_up_names_the_time() {
    let json = r#"{"space": {"x": {"span": [0, 1]}}, "boundary": "periodic",
        "species": {"u": {"initial": 10, "diffusion": "1"}}, "rates": {"u": "u^2"}}"#;
    let rd = discretise(json, &[8]);
    for solver in [
        Solver::new(Method::Spectral).dt(0.01).build().unwrap(),
        Solver::new(Method::Bdf).build().unwrap(),
    ] {
        let e = solver
            .solve(&rd, &rd.initial_state(), 0.0, &[1.0])
            .unwrap_err();
        assert!(!e.is_input_error(), "{e}");
        let message = e.to_string();
        assert!(
            message.contains("t = 0.1") || message.contains("t = 0.09"),
            "{e}"
        );
    }
}
