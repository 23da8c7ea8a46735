//! Small kinetic models for the tests, with exact derivatives.
#![allow(dead_code)]

use nalgebra::DMatrix;
use piml_ode::{OdeSystem, ParametricSystem};

/// Reduced Michaelis–Menten S' = −Vmax·S/(Km + S) with parameters
/// (Vmax, Km) and, when `s0_is_parameter`, a third "parameter" S0 that only
/// enters the initial value (zero column of ∂f/∂p).
pub struct MichaelisMenten {
    pub vmax: f64,
    pub km: f64,
    pub s0_is_parameter: bool,
}

impl OdeSystem for MichaelisMenten {
    fn dim(&self) -> usize {
        1
    }
    fn rhs(&self, _t: f64, y: &[f64], f: &mut [f64]) {
        f[0] = -self.vmax * y[0] / (self.km + y[0]);
    }
    fn jacobian(&self, _t: f64, y: &[f64], j: &mut DMatrix<f64>) {
        j[(0, 0)] = -self.vmax * self.km / (self.km + y[0]).powi(2);
    }
}

impl ParametricSystem for MichaelisMenten {
    fn n_params(&self) -> usize {
        if self.s0_is_parameter { 3 } else { 2 }
    }
    fn param_jacobian(&self, _t: f64, y: &[f64], jp: &mut DMatrix<f64>) {
        let s = y[0];
        jp[(0, 0)] = -s / (self.km + s);
        jp[(0, 1)] = self.vmax * s / (self.km + s).powi(2);
        if self.s0_is_parameter {
            jp[(0, 2)] = 0.0;
        }
    }
}
