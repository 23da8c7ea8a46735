//! `Method::Auto` switches to BDF on a stiff problem (Robertson, Test Set
//! for IVP Solvers, Bari) and stays explicit on a non-stiff one
//! (Lotka–Volterra, Hairer, Nørsett & Wanner 1993, I.16).

mod problems;

use nalgebra::DMatrix;
use piml_ode::{Method, OdeSolver, OdeSystem};
use problems::*;

/// x' = 1.5x − xy, y' = −3y + xy.
struct LotkaVolterra;

impl OdeSystem for LotkaVolterra {
    fn dim(&self) -> usize {
        2
    }
    fn rhs(&self, _t: f64, y: &[f64], f: &mut [f64]) {
        f[0] = 1.5 * y[0] - y[0] * y[1];
        f[1] = -3.0 * y[1] + y[0] * y[1];
    }
    fn jacobian(&self, _t: f64, y: &[f64], j: &mut DMatrix<f64>) {
        j.copy_from_slice(&[1.5 - y[1], y[1], -y[0], -3.0 + y[0]]);
    }
}

#[test]
fn robertson_switches_to_bdf_early() {
    let solver = OdeSolver::new(Method::Auto).build().unwrap();
    let sol = solver
        .solve(&ROBERTSON, 0.0, &ROBERTSON_Y0, &[1e11])
        .unwrap();
    assert_eq!(sol.stats.method_switches, 1);
    // The fast transient lasts ~1e-3..1e-1; the switch comes within it
    // (measured at t = 0.03 with default tolerances).
    let t_switch = sol.stats.switch_time.unwrap();
    assert!(t_switch > 0.0 && t_switch < 1.0, "switched at {t_switch}");
    assert!(sol.stats.jacobian_evals > 0 && sol.stats.lu_decompositions > 0);
    assert!(sol.stats.steps < 2000, "{:?}", sol.stats);
}

#[test]
fn lotka_volterra_stays_explicit() {
    for rtol in [1e-3, 1e-6, 1e-10] {
        let solver = OdeSolver::new(Method::Auto)
            .rtol(rtol)
            .atol(1e-4 * rtol)
            .build()
            .unwrap();
        let sol = solver
            .solve(&LotkaVolterra, 0.0, &[10.0, 1.0], &[100.0])
            .unwrap();
        assert_eq!(sol.stats.method_switches, 0, "rtol {rtol}: {:?}", sol.stats);
        assert_eq!(sol.stats.switch_time, None);
        assert_eq!(sol.stats.jacobian_evals, 0);
    }
}
