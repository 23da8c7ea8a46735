//! Failures carry the time and step size; bad arguments are input errors.

mod problems;

use nalgebra::DMatrix;
use piml_ode::{Error, Method, OdeSolver, OdeSystem};
use problems::*;

/// y' = y², y(0) = 1: y = 1/(1 − t) blows up at t = 1.
struct BlowUp;

impl OdeSystem for BlowUp {
    fn dim(&self) -> usize {
        1
    }
    fn rhs(&self, _t: f64, y: &[f64], f: &mut [f64]) {
        f[0] = y[0] * y[0];
    }
    fn jacobian(&self, _t: f64, y: &[f64], j: &mut DMatrix<f64>) {
        j[(0, 0)] = 2.0 * y[0];
    }
}

/// y' = −y until t = 0.5, NaN after (like a rate law evaluated out of its domain).
struct NanAfterHalf;

impl OdeSystem for NanAfterHalf {
    fn dim(&self) -> usize {
        1
    }
    fn rhs(&self, t: f64, y: &[f64], f: &mut [f64]) {
        f[0] = if t > 0.5 { f64::NAN } else { -y[0] };
    }
    fn jacobian(&self, _t: f64, _y: &[f64], j: &mut DMatrix<f64>) {
        j[(0, 0)] = -1.0;
    }
}

#[test]
fn blow_up_reports_a_time_near_the_singularity() {
    for method in [Method::Explicit, Method::Bdf, Method::Auto] {
        let solver = OdeSolver::new(method).build().unwrap();
        let err = solver.solve(&BlowUp, 0.0, &[1.0], &[2.0]).unwrap_err();
        match err {
            Error::StepSizeTooSmall { t, h } | Error::NewtonFailure { t, h, .. } => {
                assert!((t - 1.0).abs() < 1e-3 && h < 1e-6, "{method:?}: {err}");
            }
            other => panic!("{method:?}: unexpected {other}"),
        }
        assert!(!err.is_input_error());
    }
}

#[test]
fn nan_rhs_is_reported_with_its_time() {
    for method in [Method::Explicit, Method::Bdf] {
        let solver = OdeSolver::new(method).build().unwrap();
        let err = solver
            .solve(&NanAfterHalf, 0.0, &[1.0], &[0.2, 1.0])
            .unwrap_err();
        let Error::NonFinite { t, .. } = err else {
            panic!("{method:?}: unexpected {err}")
        };
        assert!((t - 0.5).abs() < 1e-6, "{method:?}: {err}");
        assert!(!err.is_input_error());
    }
}

#[test]
fn step_budget_is_enforced() {
    let solver = OdeSolver::new(Method::Explicit)
        .max_steps(50)
        .build()
        .unwrap();
    let err = solver
        .solve(&ROBERTSON, 0.0, &ROBERTSON_Y0, &[1e3])
        .unwrap_err();
    assert!(
        matches!(err, Error::TooManySteps { max_steps: 50, .. }),
        "{err}"
    );
    assert!(!err.is_input_error());
}

#[test]
fn bad_arguments_are_input_errors() {
    let ok = OdeSolver::new(Method::Bdf).build().unwrap();
    let errors = [
        OdeSolver::new(Method::Bdf).rtol(0.0).build().unwrap_err(),
        OdeSolver::new(Method::Bdf).rtol(-1e-6).build().unwrap_err(),
        OdeSolver::new(Method::Bdf)
            .atol(f64::NAN)
            .build()
            .unwrap_err(),
        OdeSolver::new(Method::Bdf)
            .max_steps(0)
            .build()
            .unwrap_err(),
        OdeSolver::new(Method::Bdf)
            .atol_vector(vec![1e-9; 2])
            .build()
            .unwrap()
            .solve(&BlowUp, 0.0, &[1.0], &[0.5])
            .unwrap_err(),
        ok.solve(&BlowUp, 0.0, &[1.0, 2.0], &[0.5]).unwrap_err(),
        ok.solve(&BlowUp, 0.0, &[1.0], &[0.5, 0.5]).unwrap_err(),
        ok.solve(&BlowUp, 0.0, &[1.0], &[0.5, 0.2]).unwrap_err(),
        ok.solve(&BlowUp, 0.0, &[1.0], &[-0.1]).unwrap_err(),
        ok.solve(&BlowUp, 0.0, &[1.0], &[]).unwrap_err(),
        ok.solve(&BlowUp, 0.0, &[f64::NAN], &[0.5]).unwrap_err(),
        ok.solve(&BlowUp, 0.0, &[1.0], &[f64::INFINITY])
            .unwrap_err(),
        ok.solve_sensitivities(
            &ROBERTSON,
            0.0,
            &ROBERTSON_Y0,
            &DMatrix::zeros(3, 2),
            &[1.0],
        )
        .unwrap_err(),
    ];
    for err in errors {
        assert!(err.is_input_error(), "{err}");
    }
}

#[test]
fn messages_name_time_and_step() {
    let err = Error::StepSizeTooSmall {
        t: 0.412,
        h: 3.2e-18,
    };
    assert_eq!(
        err.to_string(),
        "step size 3.200e-18 too small at t = 0.412"
    );
}
