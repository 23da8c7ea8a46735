//! What a caller implements: the right-hand side of y' = f(t, y) with its
//! exact Jacobian, and optionally the exact derivative with respect to parameters.

use nalgebra::DMatrix;

use crate::banded::BandedMatrix;
use crate::sparse::SparseMatrix;

/// Where the Jacobian ∂f/∂y can be nonzero: it decides the linear solver of
/// the implicit method.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum JacobianStructure {
    /// Anywhere: dense LU, O(n³) per factorisation.
    #[default]
    Dense,
    /// Only within `lower` sub- and `upper` super-diagonals (method-of-lines
    /// PDEs): banded LU, O(n·lower·(lower + upper)) per factorisation, with
    /// the Jacobian taken from [`OdeSystem::banded_jacobian`].
    Banded { lower: usize, upper: usize },
    /// Only in the pattern of [`OdeSystem::sparse_pattern`] (method-of-lines
    /// PDEs on 2-D grids, whose band is too wide to factorise): GMRES with an
    /// ILU(0) preconditioner on the CSR Newton matrix, with the Jacobian
    /// taken from [`OdeSystem::sparse_jacobian`]. The state interleaves
    /// `fields` fields (component i belongs to field i mod `fields`, e.g. the
    /// species of a grid cell); the linear solves keep every field's total
    /// residual at zero, so the inexact Newton step conserves the field
    /// totals that an exact one does (zero-flux walls).
    Sparse { fields: usize },
}

/// An ODE system y' = f(t, y) of fixed dimension with an exact Jacobian.
pub trait OdeSystem: Sync {
    /// Number of state variables n.
    fn dim(&self) -> usize;
    /// Writes f(t, y) into `dydt` (length n).
    fn rhs(&self, t: f64, y: &[f64], dydt: &mut [f64]);
    /// Writes the exact Jacobian ∂f/∂y (n×n, column-major) into `jac`;
    /// every entry must be written.
    fn jacobian(&self, t: f64, y: &[f64], jac: &mut DMatrix<f64>);

    /// Where the Jacobian can be nonzero (default: anywhere).
    fn jacobian_structure(&self) -> JacobianStructure {
        JacobianStructure::Dense
    }

    /// Writes the exact Jacobian into band storage with the bandwidths of
    /// [`OdeSystem::jacobian_structure`]. The default goes through the dense
    /// [`OdeSystem::jacobian`]; a large banded system should write the band
    /// directly.
    fn banded_jacobian(&self, t: f64, y: &[f64], jac: &mut BandedMatrix) {
        let mut dense = DMatrix::zeros(self.dim(), self.dim());
        self.jacobian(t, y, &mut dense);
        jac.copy_band_of(&dense);
    }

    /// The positions where the Jacobian can be nonzero, for
    /// [`JacobianStructure::Sparse`] (default: every entry). The diagonal is
    /// always added.
    fn sparse_pattern(&self) -> SparseMatrix {
        SparseMatrix::full_pattern(self.dim())
    }

    /// Writes the exact Jacobian into `jac`, which has the pattern of
    /// [`OdeSystem::sparse_pattern`]. The default goes through the dense
    /// [`OdeSystem::jacobian`]; a large sparse system should write the
    /// entries directly.
    fn sparse_jacobian(&self, t: f64, y: &[f64], jac: &mut SparseMatrix) {
        let mut dense = DMatrix::zeros(self.dim(), self.dim());
        self.jacobian(t, y, &mut dense);
        jac.copy_pattern_of(&dense);
    }
}

/// A system f(t, y; p) that also gives ∂f/∂p, for forward sensitivities.
///
/// Sensitivities with respect to initial values are the caller's business:
/// pass the unit columns of the identity as the initial sensitivities and
/// write zero columns of ∂f/∂p for those "parameters".
pub trait ParametricSystem: OdeSystem {
    /// Number of parameters np.
    fn n_params(&self) -> usize;
    /// Writes the exact ∂f/∂p (n×np, column-major) into `jp`; every entry must be written.
    fn param_jacobian(&self, t: f64, y: &[f64], jp: &mut DMatrix<f64>);
}
