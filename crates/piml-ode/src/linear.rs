//! The linear algebra of the implicit method: factor the Newton matrix
//! I − γ·J once, then solve with it many times.
//!
//! The BDF integrator only sees the [`LinearSolver`] trait, so that a banded
//! or sparse solver for method-of-lines PDE systems can take the place of the
//! dense LU.

use nalgebra::DMatrix;

/// The Newton matrix I − γ·J was singular to working precision.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Singular;

/// Factorises I − γ·J and solves linear systems with the factors.
pub(crate) trait LinearSolver {
    /// Factorises I − γ·J.
    fn setup(&mut self, jac: &DMatrix<f64>, gamma: f64) -> Result<(), Singular>;
    /// Overwrites `b` with (I − γ·J)⁻¹ b using the last factorisation.
    fn solve(&self, b: &mut [f64]);
}

/// Dense LU with partial pivoting, in place in a preallocated column-major
/// buffer (Golub & Van Loan 2013, Algorithm 3.4.1): no allocation per
/// factorisation, which matters for the small systems of chemical kinetics.
#[derive(Debug, Clone)]
pub(crate) struct DenseLu {
    n: usize,
    /// L (unit lower, below the diagonal) and U (upper), column-major.
    lu: Vec<f64>,
    /// Row interchanged with row k at step k.
    pivots: Vec<usize>,
}

impl DenseLu {
    pub(crate) fn new(n: usize) -> Self {
        Self {
            n,
            lu: vec![0.0; n * n],
            pivots: vec![0; n],
        }
    }
}

impl LinearSolver for DenseLu {
    fn setup(&mut self, jac: &DMatrix<f64>, gamma: f64) -> Result<(), Singular> {
        let n = self.n;
        let a = &mut self.lu;
        for (dst, &src) in a.iter_mut().zip(jac.as_slice()) {
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

    fn solve(&self, b: &mut [f64]) {
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
        lu.setup(&jac, gamma).unwrap();
        let b = [1.0, -2.0, 0.5];
        let mut x = b;
        lu.solve(&mut x);
        let m = DMatrix::identity(3, 3) - &jac * gamma;
        let back = &m * nalgebra::DVector::from_column_slice(&x);
        for i in 0..3 {
            assert!((back[i] - b[i]).abs() < 1e-12, "{back} vs {b:?}");
        }
    }

    #[test]
    fn lu_reports_singular_matrix() {
        // I − 1·I = 0.
        let jac = DMatrix::identity(2, 2);
        assert_eq!(DenseLu::new(2).setup(&jac, 1.0), Err(Singular));
    }
}
