//! Forward sensitivities S = ∂y/∂p: the state augmented with the columns of
//! S, which obey S' = J(t, y)·S + ∂f/∂p (Hairer, Nørsett & Wanner 1993, I.14).
//!
//! The explicit method integrates the augmented system as it is. The BDF
//! method uses it as a simultaneous corrector (Maly & Petzold 1996; CVODES,
//! Hindmarsh et al. 2005): Newton on the whole augmented state with the
//! block-diagonal matrix diag(I − c·J, …, I − c·J), factorised once, and
//! the sensitivities included in the local error test (CVODES `errconS`).
//! Each block of S gets the state's absolute tolerances.

use nalgebra::DMatrix;

use crate::banded::BandedMatrix;
use crate::problem::Problem;
use crate::sparse::SparseMatrix;
use crate::system::{JacobianStructure, ParametricSystem};

/// A parametric system with its sensitivity columns appended to the state.
#[derive(Debug)]
pub(crate) struct Sensitivity<'a, S: ?Sized> {
    system: &'a S,
    n: usize,
    /// ∂f/∂y and ∂f/∂p at the point of the last right-hand side evaluation.
    jac: DMatrix<f64>,
    jp: DMatrix<f64>,
}

impl<'a, S: ParametricSystem + ?Sized> Sensitivity<'a, S> {
    pub(crate) fn new(system: &'a S) -> Self {
        let n = system.dim();
        let np = system.n_params();
        Self {
            system,
            n,
            jac: DMatrix::zeros(n, n),
            jp: DMatrix::zeros(n, np),
        }
    }
}

impl<S: ParametricSystem + ?Sized> Problem for Sensitivity<'_, S> {
    fn dim(&self) -> usize {
        self.n
    }

    fn rhs(&mut self, t: f64, y: &[f64], dydt: &mut [f64]) {
        let n = self.n;
        let (state, sens) = y.split_at(n);
        let (dstate, dsens) = dydt.split_at_mut(n);
        self.system.rhs(t, state, dstate);
        self.system.jacobian(t, state, &mut self.jac);
        self.system.param_jacobian(t, state, &mut self.jp);
        let jac = self.jac.as_slice();
        for ((s, ds), jp) in sens
            .chunks_exact(n)
            .zip(dsens.chunks_exact_mut(n))
            .zip(self.jp.as_slice().chunks_exact(n))
        {
            ds.copy_from_slice(jp);
            for (sk, jcol) in s.iter().zip(jac.chunks_exact(n)) {
                if *sk != 0.0 {
                    for (d, j) in ds.iter_mut().zip(jcol) {
                        *d += j * sk;
                    }
                }
            }
        }
    }

    fn jacobian(&mut self, t: f64, y: &[f64], jac: &mut DMatrix<f64>) {
        self.system.jacobian(t, &y[..self.n], jac);
    }

    fn jacobian_structure(&self) -> JacobianStructure {
        self.system.jacobian_structure()
    }

    fn banded_jacobian(&mut self, t: f64, y: &[f64], jac: &mut BandedMatrix) {
        self.system.banded_jacobian(t, &y[..self.n], jac);
    }

    fn sparse_pattern(&self) -> SparseMatrix {
        self.system.sparse_pattern()
    }

    fn sparse_jacobian(&mut self, t: f64, y: &[f64], jac: &mut SparseMatrix) {
        self.system.sparse_jacobian(t, &y[..self.n], jac);
    }
}
