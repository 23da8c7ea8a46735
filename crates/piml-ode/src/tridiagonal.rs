//! Tridiagonal LU for Jacobians of bandwidth one (a single species on a 1-D
//! grid with walls): LAPACK's dgttrf/dgtts2 (Anderson et al. 1999, LAPACK
//! Users' Guide, §2.4.3), partial pivoting with one extra super-diagonal of
//! fill-in.
//!
//! The general band solver (`banded.rs`) spends most of a solve of such a
//! matrix on loop bookkeeping and a division per row, and the division sits on
//! the back substitution's chain of dependent operations. Here the factors are
//! stored so that the back substitution multiplies only: the reciprocal of
//! each pivot, and the fill-in rows of U divided by their pivot.

use crate::banded::BandedMatrix;
use crate::linear::{LinearSolver, Singular};
use crate::problem::Problem;

/// LU of the tridiagonal I − γ·J, for n ≥ 2.
#[derive(Debug, Clone)]
pub(crate) struct TridiagonalLu {
    jac: BandedMatrix,
    /// Multipliers of L (n − 1).
    lower: Vec<f64>,
    /// 1/U(i, i) (n).
    inv_diagonal: Vec<f64>,
    /// U(i, i+1)/U(i, i) (n − 1) and U(i, i+2)/U(i, i) (n − 2, fill-in from pivoting).
    upper: Vec<f64>,
    upper2: Vec<f64>,
    /// Whether rows i and i + 1 were interchanged at step i (n − 1).
    swapped: Vec<bool>,
}

impl TridiagonalLu {
    pub(crate) fn new(n: usize) -> Self {
        assert!(n >= 2, "a tridiagonal LU needs n ≥ 2, got {n}");
        Self {
            jac: BandedMatrix::zeros(n, 1, 1),
            lower: vec![0.0; n - 1],
            inv_diagonal: vec![0.0; n],
            upper: vec![0.0; n - 1],
            upper2: vec![0.0; n - 2],
            swapped: vec![false; n - 1],
        }
    }

    #[cfg(test)]
    pub(crate) fn jacobian_mut(&mut self) -> &mut BandedMatrix {
        &mut self.jac
    }
}

impl LinearSolver for TridiagonalLu {
    fn update_jacobian<P: Problem>(&mut self, problem: &mut P, t: f64, y: &[f64]) {
        problem.banded_jacobian(t, y, &mut self.jac);
    }

    /// dgttrf: at step i only rows i and i + 1 hold nonzeros in column i;
    /// the larger of the two becomes the pivot row.
    fn setup(&mut self, gamma: f64) -> Result<(), Singular> {
        let n = self.jac.n();
        let jac = &self.jac;
        // d holds U's diagonal until the end, when it is inverted.
        let d = &mut self.inv_diagonal;
        for (d, a) in d.iter_mut().zip(jac.diagonal(0)) {
            *d = 1.0 - gamma * a;
        }
        for (l, a) in self.lower.iter_mut().zip(jac.diagonal(-1)) {
            *l = -gamma * a;
        }
        for (u, a) in self.upper.iter_mut().zip(jac.diagonal(1)) {
            *u = -gamma * a;
        }
        self.upper2.fill(0.0);
        for i in 0..n - 1 {
            let l = self.lower[i];
            if d[i].abs() >= l.abs() {
                self.swapped[i] = false;
                if d[i] != 0.0 {
                    let factor = l / d[i];
                    self.lower[i] = factor;
                    d[i + 1] -= factor * self.upper[i];
                }
            } else {
                self.swapped[i] = true;
                let factor = d[i] / l;
                d[i] = l;
                self.lower[i] = factor;
                let u = self.upper[i];
                self.upper[i] = d[i + 1];
                d[i + 1] = u - factor * d[i + 1];
                if i + 2 < n {
                    self.upper2[i] = self.upper[i + 1];
                    self.upper[i + 1] *= -factor;
                }
            }
        }
        if d.iter().any(|v| *v == 0.0 || !v.is_finite()) {
            return Err(Singular);
        }
        for (i, d) in d.iter_mut().enumerate() {
            *d = 1.0 / *d;
            if i + 1 < n {
                self.upper[i] *= *d;
            }
            if i + 2 < n {
                self.upper2[i] *= *d;
            }
        }
        Ok(())
    }

    /// dgtts2: L's multipliers with the recorded interchanges, then U from
    /// the bottom. The value each row hands to the next stays in a register
    /// (a round trip through memory would lengthen the chain of dependent
    /// operations), and the term of the row just solved comes last.
    fn solve(&mut self, b: &mut [f64], _scale: &[f64], _tol: f64) -> usize {
        let n = b.len();
        let mut carry = b[0];
        for ((i, &l), &swapped) in self.lower.iter().enumerate().zip(&self.swapped) {
            let next = b[i + 1];
            let (kept, eliminated) = if swapped {
                (next, carry)
            } else {
                (carry, next)
            };
            b[i] = kept;
            carry = eliminated - l * kept;
        }
        let (d, u, u2) = (&self.inv_diagonal, &self.upper, &self.upper2);
        let mut after = carry * d[n - 1];
        b[n - 1] = after;
        let mut after2 = after;
        after = b[n - 2] * d[n - 2] - u[n - 2] * after;
        b[n - 2] = after;
        for i in (0..n - 2).rev() {
            let x = (b[i] * d[i] - u2[i] * after2) - u[i] * after;
            (after2, after) = (after, x);
            b[i] = x;
        }
        0
    }
}

#[cfg(test)]
mod tests {
    use nalgebra::DMatrix;

    use super::*;
    use crate::banded::tests::pivoting_band;
    use crate::linear::DenseLu;

    /// The tridiagonal solve agrees with the dense LU with partial pivoting
    /// (Golub & Van Loan 2013, Alg. 3.4.1) to round-off, for sizes that
    /// exercise the last two rows' special cases, with and without pivoting
    /// (γ = −0.05 keeps I − γJ diagonally dominant: no interchange).
    #[test]
    fn tridiagonal_lu_matches_dense_lu() {
        for n in [2, 3, 4, 9, 40] {
            for gamma in [0.7, -0.05] {
                let band = pivoting_band(n, 1, 1);
                let mut dense = DMatrix::zeros(n, n);
                band.write_dense(&mut dense);
                let mut tlu = TridiagonalLu::new(n);
                *tlu.jacobian_mut() = band;
                tlu.setup(gamma).unwrap();
                let mut dlu = DenseLu::new(n);
                dlu.jacobian_mut().copy_from(&dense);
                dlu.setup(gamma).unwrap();
                let b: Vec<f64> = (0..n).map(|i| (i as f64 * 0.9).cos()).collect();
                let (mut xt, mut xd) = (b.clone(), b.clone());
                let ones = vec![1.0; n];
                tlu.solve(&mut xt, &ones, 0.0);
                dlu.solve(&mut xd, &ones, 0.0);
                for (u, v) in xt.iter().zip(&xd) {
                    // The condition number of these matrices is below 1e4;
                    // both solvers are backward stable.
                    assert!(
                        (u - v).abs() < 1e-10 * (1.0 + v.abs()),
                        "n={n} γ={gamma}: {u} vs {v}"
                    );
                }
                if gamma > 0.0 && n > 2 {
                    assert!(tlu.swapped.iter().any(|s| *s), "n={n}: no interchange");
                }
                if gamma < 0.0 {
                    assert!(tlu.swapped.iter().all(|s| !*s), "n={n}: interchange");
                }
            }
        }
    }

    #[test]
    fn tridiagonal_lu_reports_singular_matrix() {
        // I − 1·I = 0.
        let mut lu = TridiagonalLu::new(3);
        for i in 0..3 {
            lu.jacobian_mut().add(i, i, 1.0);
        }
        assert_eq!(lu.setup(1.0), Err(Singular));
    }
}
