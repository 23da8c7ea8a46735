//! Forward sensitivities S = ∂y/∂p (BDF simultaneous corrector and explicit
//! augmented system) against central finite differences of the solution
//! (Robertson's rate constants, Test Set for IVP Solvers, Bari; reduced
//! Michaelis–Menten's Vmax, Km and initial substrate).
//!
//! Error budget of the difference quotient [y(p + δ) − y(p − δ)]/(2δ) with
//! δ = 1e-4·p: truncation (δ²/6)·|∂³y/∂p³| ≈ 1e-9 relative, plus solution
//! error / δ ≈ (1e-12 relative)/(1e-4) = 1e-8 relative at rtol 1e-12; the
//! sensitivities themselves are solved at rtol 1e-8. Asserted agreement:
//! 1e-5 relative to the largest entry of each column, plus the difference
//! quotient's noise 1e-12·max|y|/δ (which matters only for columns whose
//! effect is below the solution's accuracy, such as k3 on Robertson early on).

mod kinetics;
mod problems;

use kinetics::MichaelisMenten;
use nalgebra::DMatrix;
use piml_ode::{Method, OdeSolver, ParametricSystem};
use problems::*;

/// Compares S at every output time with central differences of y in p.
fn check<S: ParametricSystem>(
    method: Method,
    make: impl Fn(&[f64]) -> S,
    p: &[f64],
    y0: impl Fn(&[f64]) -> Vec<f64>,
    s0: &DMatrix<f64>,
    times: &[f64],
) {
    let solver = OdeSolver::new(method)
        .rtol(1e-8)
        .atol(1e-14)
        .build()
        .unwrap();
    let sens = solver
        .solve_sensitivities(&make(p), 0.0, &y0(p), s0, times)
        .unwrap();
    let fd_solver = OdeSolver::new(Method::Bdf)
        .rtol(1e-12)
        .atol(1e-20)
        .build()
        .unwrap();
    for k in 0..p.len() {
        let delta = 1e-4 * p[k];
        let solve_at = |sign: f64| {
            let mut q = p.to_vec();
            q[k] += sign * delta;
            fd_solver.solve(&make(&q), 0.0, &y0(&q), times).unwrap().y
        };
        let (plus, minus) = (solve_at(1.0), solve_at(-1.0));
        for (i, t) in times.iter().enumerate() {
            let fd: Vec<f64> = plus[i]
                .iter()
                .zip(&minus[i])
                .map(|(a, b)| (a - b) / (2.0 * delta))
                .collect();
            let scale = fd.iter().fold(0.0_f64, |m, v| m.max(v.abs()));
            // Noise of the difference quotient: twice the solution error over 2δ.
            let y_max = plus[i].iter().fold(0.0_f64, |m, v| m.max(v.abs()));
            let noise = 1e-12 * y_max / delta;
            for (j, fd) in fd.iter().enumerate() {
                let s = sens.s[i][(j, k)];
                assert!(
                    (s - fd).abs() <= 1e-5 * scale + noise,
                    "{method:?} t = {t}: dy{}/dp{} = {s:e}, finite difference {fd:e}",
                    j + 1,
                    k + 1
                );
            }
        }
    }
}

fn robertson(p: &[f64]) -> Robertson {
    Robertson {
        k: [p[0], p[1], p[2]],
    }
}

#[test]
fn robertson_rate_constants_bdf() {
    let p = ROBERTSON.k;
    check(
        Method::Bdf,
        robertson,
        &p,
        |_| ROBERTSON_Y0.to_vec(),
        &DMatrix::zeros(3, 3),
        &[1.0, 40.0, 1e4],
    );
}

#[test]
fn robertson_rate_constants_explicit_early() {
    // The explicit method on the start of the transient only (stiff beyond).
    let p = ROBERTSON.k;
    check(
        Method::Explicit,
        robertson,
        &p,
        |_| ROBERTSON_Y0.to_vec(),
        &DMatrix::zeros(3, 3),
        &[0.05, 0.4],
    );
}

/// Vmax, Km and the initial value S0: S(0) = (0, 0, 1), ∂f/∂S0 = 0.
#[test]
fn michaelis_menten_parameters_and_initial_value() {
    let make = |p: &[f64]| MichaelisMenten {
        vmax: p[0],
        km: p[1],
        s0_is_parameter: true,
    };
    let p = [1.0, 0.5, 2.0];
    let s0 = DMatrix::from_row_slice(1, 3, &[0.0, 0.0, 1.0]);
    for method in [Method::Bdf, Method::Explicit, Method::Auto] {
        check(method, make, &p, |p| vec![p[2]], &s0, &[0.0, 0.5, 2.0, 4.0]);
    }
}

/// The state of a sensitivity solve is the state of a plain solve.
#[test]
fn sensitivity_solve_keeps_the_state_accurate() {
    let solver = OdeSolver::new(Method::Bdf)
        .rtol(1e-10)
        .atol(1e-16)
        .build()
        .unwrap();
    let sens = solver
        .solve_sensitivities(
            &ROBERTSON,
            0.0,
            &ROBERTSON_Y0,
            &DMatrix::zeros(3, 3),
            &[1e11],
        )
        .unwrap();
    let err = max_rel_err(&sens.y[0], &ROBERTSON_REF, 1e-20);
    assert!(err < 1e-5, "relative error {err:e}");
    assert_eq!(sens.s[0].shape(), (3, 3));
}
