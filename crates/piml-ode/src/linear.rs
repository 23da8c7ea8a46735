//! The linear algebra of the implicit method: evaluate the Jacobian J,
//! factor the Newton matrix I − γ·J once, then solve with it many times.
//!
//! The BDF integrator only sees the [`LinearSolver`] trait; [`Linear`] picks
//! the dense LU, the banded LU (`banded.rs`, or `tridiagonal.rs` for a
//! bandwidth of one) or ILU(0)-preconditioned GMRES on a sparse matrix
//! (`krylov.rs`) from the system's [`JacobianStructure`].

use nalgebra::DMatrix;

use crate::banded::BandedLu;
use crate::krylov::Krylov;
use crate::problem::Problem;
use crate::system::JacobianStructure;
use crate::tridiagonal::TridiagonalLu;

/// The Newton matrix I − γ·J was singular to working precision.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Singular;

/// Holds the Jacobian J, factorises I − γ·J and solves linear systems with the factors.
pub(crate) trait LinearSolver {
    /// Evaluates the problem's Jacobian at (t, y) into the solver's storage.
    fn update_jacobian<P: Problem>(&mut self, problem: &mut P, t: f64, y: &[f64]);
    /// Factorises I − γ·J for the last Jacobian.
    fn setup(&mut self, gamma: f64) -> Result<(), Singular>;
    /// Overwrites `b` with (I − γ·J)⁻¹ b using the last factorisation, and
    /// returns the iterations an iterative solver spent (0 for a direct one).
    /// An iterative solver stops once the residual's weighted RMS norm with
    /// weights `scale` is below `tol`; a direct one solves to round-off.
    fn solve(&mut self, b: &mut [f64], scale: &[f64], tol: f64) -> usize;
}

/// The linear solver that fits a problem's Jacobian structure.
#[derive(Debug, Clone)]
pub(crate) enum Linear {
    Dense(DenseLu),
    Banded(BandedLu),
    Tridiagonal(TridiagonalLu),
    /// Boxed: its GMRES workspace and coarse LU make it the large variant.
    Krylov(Box<Krylov>),
}

impl Linear {
    pub(crate) fn for_problem<P: Problem>(problem: &P) -> Self {
        let n = problem.dim();
        match problem.jacobian_structure() {
            JacobianStructure::Dense => Linear::Dense(DenseLu::new(n)),
            JacobianStructure::Banded { lower, upper } => {
                match (lower.min(n - 1), upper.min(n - 1)) {
                    (1, 1) => Linear::Tridiagonal(TridiagonalLu::new(n)),
                    (lower, upper) => Linear::Banded(BandedLu::new(n, lower, upper)),
                }
            }
            JacobianStructure::Sparse { fields } => {
                Linear::Krylov(Box::new(Krylov::new(problem.sparse_pattern(), fields)))
            }
        }
    }
}

impl LinearSolver for Linear {
    fn update_jacobian<P: Problem>(&mut self, problem: &mut P, t: f64, y: &[f64]) {
        match self {
            Linear::Dense(s) => s.update_jacobian(problem, t, y),
            Linear::Banded(s) => s.update_jacobian(problem, t, y),
            Linear::Tridiagonal(s) => s.update_jacobian(problem, t, y),
            Linear::Krylov(s) => s.update_jacobian(problem, t, y),
        }
    }

    fn setup(&mut self, gamma: f64) -> Result<(), Singular> {
        match self {
            Linear::Dense(s) => s.setup(gamma),
            Linear::Banded(s) => s.setup(gamma),
            Linear::Tridiagonal(s) => s.setup(gamma),
            Linear::Krylov(s) => s.setup(gamma),
        }
    }

    fn solve(&mut self, b: &mut [f64], scale: &[f64], tol: f64) -> usize {
        match self {
            Linear::Dense(s) => s.solve(b, scale, tol),
            Linear::Banded(s) => s.solve(b, scale, tol),
            Linear::Tridiagonal(s) => s.solve(b, scale, tol),
            Linear::Krylov(s) => s.solve(b, scale, tol),
        }
    }
}

/// Dense LU with partial pivoting, in place in a preallocated column-major
/// buffer (Golub & Van Loan 2013, Algorithm 3.4.1): no allocation per
/// factorisation, which matters for the small systems of chemical kinetics.
#[derive(Debug, Clone)]
pub(crate) struct DenseLu {
    n: usize,
    jac: DMatrix<f64>,
    /// L (unit lower, below the diagonal) and U (upper), column-major.
    lu: Vec<f64>,
    /// Row interchanged with row k at step k.
    pivots: Vec<usize>,
}

impl DenseLu {
    pub(crate) fn new(n: usize) -> Self {
        Self {
            n,
            jac: DMatrix::zeros(n, n),
            lu: vec![0.0; n * n],
            pivots: vec![0; n],
        }
    }

    #[cfg(test)]
    pub(crate) fn jacobian_mut(&mut self) -> &mut DMatrix<f64> {
        &mut self.jac
    }
}

impl LinearSolver for DenseLu {
    fn update_jacobian<P: Problem>(&mut self, problem: &mut P, t: f64, y: &[f64]) {
        problem.jacobian(t, y, &mut self.jac);
    }

    fn setup(&mut self, gamma: f64) -> Result<(), Singular> {
        let n = self.n;
        let a = &mut self.lu;
        for (dst, &src) in a.iter_mut().zip(self.jac.as_slice()) {
            *dst = -gamma * src;
        }
        for i in 0..n {
            a[i * n + i] += 1.0;
        }
        for k in 0..n {
            let col = k * n;
            let mut p = k;
            let mut max = a[col + k].abs();
            for i in k + 1..n {
                let v = a[col + i].abs();
                if v > max {
                    max = v;
                    p = i;
                }
            }
            if max == 0.0 || !max.is_finite() {
                return Err(Singular);
            }
            self.pivots[k] = p;
            if p != k {
                for j in 0..n {
                    a.swap(j * n + k, j * n + p);
                }
            }
            let inv = 1.0 / a[col + k];
            for i in k + 1..n {
                a[col + i] *= inv;
            }
            for j in k + 1..n {
                let akj = a[j * n + k];
                if akj != 0.0 {
                    for i in k + 1..n {
                        a[j * n + i] -= a[col + i] * akj;
                    }
                }
            }
        }
        Ok(())
    }

    fn solve(&mut self, b: &mut [f64], _scale: &[f64], _tol: f64) -> usize {
        let n = self.n;
        let a = &self.lu;
        for k in 0..n {
            b.swap(k, self.pivots[k]);
        }
        for k in 0..n {
            let bk = b[k];
            if bk != 0.0 {
                for i in k + 1..n {
                    b[i] -= a[k * n + i] * bk;
                }
            }
        }
        for k in (0..n).rev() {
            b[k] /= a[k * n + k];
            let bk = b[k];
            if bk != 0.0 {
                for i in 0..k {
                    b[i] -= a[k * n + i] * bk;
                }
            }
        }
        0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Solving (I − γJ)x = b must reproduce b when multiplied back.
    #[test]
    fn lu_solves_a_pivoting_system() {
        let jac = DMatrix::from_row_slice(3, 3, &[1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0, 8.0, 10.0]);
        let gamma = 2.0;
        let mut lu = DenseLu::new(3);
        lu.jacobian_mut().copy_from(&jac);
        lu.setup(gamma).unwrap();
        let b = [1.0, -2.0, 0.5];
        let mut x = b;
        lu.solve(&mut x, &[1.0; 3], 0.0);
        let m = DMatrix::identity(3, 3) - &jac * gamma;
        let back = &m * nalgebra::DVector::from_column_slice(&x);
        for i in 0..3 {
            assert!((back[i] - b[i]).abs() < 1e-12, "{back} vs {b:?}");
        }
    }

    #[test]
    fn lu_reports_singular_matrix() {
        // I − 1·I = 0.
        let mut lu = DenseLu::new(2);
        lu.jacobian_mut().fill_with_identity();
        assert_eq!(lu.setup(1.0), Err(Singular));
    }
}
