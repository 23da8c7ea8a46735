//! The state vector the integrators advance: a system alone, or a system
//! augmented with its forward sensitivities (see `sensitivity.rs`).
//!
//! The state is made of consecutive blocks of the system's dimension n
//! (one for the state, one per sensitivity column). The implicit method's Newton matrix is block diagonal with copies of
//! I − c·J for the system's own Jacobian J, so one factorisation serves
//! every block.

use nalgebra::DMatrix;

use crate::banded::BandedMatrix;
use crate::sparse::SparseMatrix;
use crate::system::{JacobianStructure, OdeSystem};

/// What the integrators need of the state they advance (its length is a
/// multiple of `dim`: one block per state or sensitivity column).
pub(crate) trait Problem {
    /// Dimension n of the underlying system (the size of one block).
    fn dim(&self) -> usize;
    /// Derivative of the whole state.
    fn rhs(&mut self, t: f64, y: &[f64], dydt: &mut [f64]);
    /// The system's Jacobian ∂f/∂y (n×n) at the first block of `y`.
    fn jacobian(&mut self, t: f64, y: &[f64], jac: &mut DMatrix<f64>);
    /// Where the system's Jacobian can be nonzero.
    fn jacobian_structure(&self) -> JacobianStructure;
    /// The system's Jacobian in band storage, at the first block of `y`.
    fn banded_jacobian(&mut self, t: f64, y: &[f64], jac: &mut BandedMatrix);
    /// The pattern of the system's sparse Jacobian.
    fn sparse_pattern(&self) -> SparseMatrix;
    /// The system's Jacobian in sparse storage, at the first block of `y`.
    fn sparse_jacobian(&mut self, t: f64, y: &[f64], jac: &mut SparseMatrix);
}

/// A system without sensitivities: one block.
#[derive(Debug)]
pub(crate) struct Plain<'a, S: ?Sized>(pub(crate) &'a S);

impl<S: OdeSystem + ?Sized> Problem for Plain<'_, S> {
    fn dim(&self) -> usize {
        self.0.dim()
    }

    fn rhs(&mut self, t: f64, y: &[f64], dydt: &mut [f64]) {
        self.0.rhs(t, y, dydt);
    }

    fn jacobian(&mut self, t: f64, y: &[f64], jac: &mut DMatrix<f64>) {
        self.0.jacobian(t, y, jac);
    }

    fn jacobian_structure(&self) -> JacobianStructure {
        self.0.jacobian_structure()
    }

    fn banded_jacobian(&mut self, t: f64, y: &[f64], jac: &mut BandedMatrix) {
        self.0.banded_jacobian(t, y, jac);
    }

    fn sparse_pattern(&self) -> SparseMatrix {
        self.0.sparse_pattern()
    }

    fn sparse_jacobian(&mut self, t: f64, y: &[f64], jac: &mut SparseMatrix) {
        self.0.sparse_jacobian(t, y, jac);
    }
}
