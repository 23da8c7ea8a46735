//! Test problems with hand-written exact Jacobians, shared by the test files.
//!
//! The stiff problems are those of the Test Set for IVP Solvers (F. Mazzia,
//! C. Magherini, University of Bari, release 2.4: rober.f, hires.f, orego.f,
//! e5.f), coefficient for coefficient; reference solutions from the same
//! files (subroutine `solut`), also in testdata/stiff-references.json.
// Each test file uses some of the problems; reference digits are kept as published.
#![allow(dead_code, clippy::excessive_precision)]

use nalgebra::DMatrix;
use piml_ode::{OdeSystem, ParametricSystem};

/// Robertson's chemical kinetics (ROBER) with rate constants k = (k1, k2, k3)
/// = (0.04, 3e7, 1e4) as parameters:
/// y1' = −k1 y1 + k3 y2 y3, y2' = k1 y1 − k3 y2 y3 − k2 y2², y3' = k2 y2².
pub struct Robertson {
    pub k: [f64; 3],
}

pub const ROBERTSON: Robertson = Robertson {
    k: [0.04, 3e7, 1e4],
};
pub const ROBERTSON_Y0: [f64; 3] = [1.0, 0.0, 0.0];
/// rober.f, solut: y at t = 1e11.
pub const ROBERTSON_REF: [f64; 3] = [
    2.083340149701255e-8,
    8.333360770334713e-14,
    0.9999999791665050,
];

impl OdeSystem for Robertson {
    fn dim(&self) -> usize {
        3
    }
    fn rhs(&self, _t: f64, y: &[f64], f: &mut [f64]) {
        let [k1, k2, k3] = self.k;
        f[0] = -k1 * y[0] + k3 * y[1] * y[2];
        f[2] = k2 * y[1] * y[1];
        f[1] = -f[0] - f[2];
    }
    fn jacobian(&self, _t: f64, y: &[f64], j: &mut DMatrix<f64>) {
        let [k1, k2, k3] = self.k;
        j[(0, 0)] = -k1;
        j[(0, 1)] = k3 * y[2];
        j[(0, 2)] = k3 * y[1];
        j[(1, 0)] = k1;
        j[(1, 1)] = -k3 * y[2] - 2.0 * k2 * y[1];
        j[(1, 2)] = -k3 * y[1];
        j[(2, 0)] = 0.0;
        j[(2, 1)] = 2.0 * k2 * y[1];
        j[(2, 2)] = 0.0;
    }
}

impl ParametricSystem for Robertson {
    fn n_params(&self) -> usize {
        3
    }
    fn param_jacobian(&self, _t: f64, y: &[f64], jp: &mut DMatrix<f64>) {
        let (a, b, c) = (y[0], y[1] * y[1], y[1] * y[2]);
        jp[(0, 0)] = -a;
        jp[(1, 0)] = a;
        jp[(2, 0)] = 0.0;
        jp[(0, 1)] = 0.0;
        jp[(1, 1)] = -b;
        jp[(2, 1)] = b;
        jp[(0, 2)] = c;
        jp[(1, 2)] = -c;
        jp[(2, 2)] = 0.0;
    }
}

/// HIRES: growth and differentiation of plant tissue (Schäfer 1975), 8 species.
pub struct Hires;

pub const HIRES_Y0: [f64; 8] = [1.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0057];
pub const HIRES_T_END: f64 = 321.8122;
/// hires.f, solut: y at t = 321.8122.
pub const HIRES_REF: [f64; 8] = [
    7.371312573325668e-4,
    1.442485726316185e-4,
    5.888729740967575e-5,
    1.175651343283149e-3,
    2.386356198831331e-3,
    6.238968252742796e-3,
    2.849998395185769e-3,
    2.850001604814231e-3,
];

impl OdeSystem for Hires {
    fn dim(&self) -> usize {
        8
    }
    fn rhs(&self, _t: f64, y: &[f64], f: &mut [f64]) {
        f[0] = -1.71 * y[0] + 0.43 * y[1] + 8.32 * y[2] + 0.0007;
        f[1] = 1.71 * y[0] - 8.75 * y[1];
        f[2] = -10.03 * y[2] + 0.43 * y[3] + 0.035 * y[4];
        f[3] = 8.32 * y[1] + 1.71 * y[2] - 1.12 * y[3];
        f[4] = -1.745 * y[4] + 0.43 * y[5] + 0.43 * y[6];
        f[5] = -280.0 * y[5] * y[7] + 0.69 * y[3] + 1.71 * y[4] - 0.43 * y[5] + 0.69 * y[6];
        f[6] = 280.0 * y[5] * y[7] - 1.81 * y[6];
        f[7] = -f[6];
    }
    fn jacobian(&self, _t: f64, y: &[f64], j: &mut DMatrix<f64>) {
        j.fill(0.0);
        j[(0, 0)] = -1.71;
        j[(0, 1)] = 0.43;
        j[(0, 2)] = 8.32;
        j[(1, 0)] = 1.71;
        j[(1, 1)] = -8.75;
        j[(2, 2)] = -10.03;
        j[(2, 3)] = 0.43;
        j[(2, 4)] = 0.035;
        j[(3, 1)] = 8.32;
        j[(3, 2)] = 1.71;
        j[(3, 3)] = -1.12;
        j[(4, 4)] = -1.745;
        j[(4, 5)] = 0.43;
        j[(4, 6)] = 0.43;
        j[(5, 3)] = 0.69;
        j[(5, 4)] = 1.71;
        j[(5, 5)] = -280.0 * y[7] - 0.43;
        j[(5, 6)] = 0.69;
        j[(5, 7)] = -280.0 * y[5];
        j[(6, 5)] = 280.0 * y[7];
        j[(6, 6)] = -1.81;
        j[(6, 7)] = 280.0 * y[5];
        j[(7, 5)] = -280.0 * y[7];
        j[(7, 6)] = 1.81;
        j[(7, 7)] = -280.0 * y[5];
    }
}

/// OREGO: the Oregonator (Field & Noyes 1974), s = 77.27, w = 0.161, q = 8.375e-6.
pub struct Orego;

pub const OREGO_Y0: [f64; 3] = [1.0, 2.0, 3.0];
/// orego.f, solut: y at t = 360.
pub const OREGO_REF: [f64; 3] = [1.000814870318523, 1228.178521549917, 132.0554942846706];

impl OdeSystem for Orego {
    fn dim(&self) -> usize {
        3
    }
    fn rhs(&self, _t: f64, y: &[f64], f: &mut [f64]) {
        let (s, w, q) = (77.27, 0.161, 8.375e-6);
        f[0] = s * (y[1] + y[0] * (1.0 - q * y[0] - y[1]));
        f[1] = (y[2] - (1.0 + y[0]) * y[1]) / s;
        f[2] = w * (y[0] - y[2]);
    }
    fn jacobian(&self, _t: f64, y: &[f64], j: &mut DMatrix<f64>) {
        let (s, w, q) = (77.27, 0.161, 8.375e-6);
        j[(0, 0)] = s * (1.0 - 2.0 * q * y[0] - y[1]);
        j[(0, 1)] = s * (1.0 - y[0]);
        j[(0, 2)] = 0.0;
        j[(1, 0)] = -y[1] / s;
        j[(1, 1)] = -(1.0 + y[0]) / s;
        j[(1, 2)] = 1.0 / s;
        j[(2, 0)] = w;
        j[(2, 1)] = 0.0;
        j[(2, 2)] = -w;
    }
}

/// E5: chemical pyrolysis (stiff DETEST problem E5), A = 7.89e-10,
/// B = 1.1e7, C = 1.13e3, M = 1e6.
pub struct E5;

pub const E5_Y0: [f64; 4] = [1.76e-3, 0.0, 0.0, 0.0];
/// e5.f, solut: y at t = 1e13 (y4 given as 0 there; y4 = y2 − y3 ≈ 1.3e-25).
pub const E5_REF: [f64; 4] = [
    1.152903278711829e-291,
    8.867655517642120e-23,
    8.854814626268838e-23,
    0.0,
];

impl OdeSystem for E5 {
    fn dim(&self) -> usize {
        4
    }
    fn rhs(&self, _t: f64, y: &[f64], f: &mut [f64]) {
        let (a, b, c, m) = (7.89e-10, 1.1e7, 1.13e3, 1e6);
        let r1 = a * y[0];
        let r2 = m * c * y[1] * y[2];
        let r3 = b * y[0] * y[2];
        let r4 = c * y[3];
        f[0] = -r1 - r3;
        f[1] = r1 - r2;
        f[2] = r1 - r2 - r3 + r4;
        f[3] = r3 - r4;
    }
    fn jacobian(&self, _t: f64, y: &[f64], j: &mut DMatrix<f64>) {
        let (a, b, c, m) = (7.89e-10, 1.1e7, 1.13e3, 1e6);
        j[(0, 0)] = -a - b * y[2];
        j[(0, 1)] = 0.0;
        j[(0, 2)] = -b * y[0];
        j[(0, 3)] = 0.0;
        j[(1, 0)] = a;
        j[(1, 1)] = -m * c * y[2];
        j[(1, 2)] = -m * c * y[1];
        j[(1, 3)] = 0.0;
        j[(2, 0)] = a - b * y[2];
        j[(2, 1)] = -m * c * y[2];
        j[(2, 2)] = -m * c * y[1] - b * y[0];
        j[(2, 3)] = c;
        j[(3, 0)] = b * y[2];
        j[(3, 1)] = 0.0;
        j[(3, 2)] = b * y[0];
        j[(3, 3)] = -c;
    }
}

/// Largest relative error over components whose reference exceeds `floor` in magnitude.
pub fn max_rel_err(y: &[f64], reference: &[f64], floor: f64) -> f64 {
    y.iter()
        .zip(reference)
        .filter(|(_, r)| r.abs() > floor)
        .map(|(y, r)| ((y - r) / r).abs())
        .fold(0.0, f64::max)
}
