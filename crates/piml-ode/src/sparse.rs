//! Sparse matrices in compressed sparse row (CSR) form with a fixed pattern,
//! and their incomplete LU factorisation ILU(0).
//!
//! The Jacobian of a method-of-lines PDE on a 2-D grid couples each cell to
//! its four neighbours only, but any ordering of the cells leaves a band of
//! width about the number of cells in a row: band storage and banded LU cost
//! O(n·nx) memory and O(n·nx²) work. CSR storage holds the O(n) nonzeros
//! that the discretisation declares, and the iterative solver (`krylov.rs`)
//! needs nothing but products with the matrix and the ILU(0) preconditioner.

use nalgebra::DMatrix;

/// A square sparse matrix with a fixed sparsity pattern in CSR form (Saad
/// 2003, "Iterative Methods for Sparse Linear Systems", §3.4): the columns of
/// row i are `cols[row_start[i]..row_start[i + 1]]`, sorted. The diagonal is
/// always part of the pattern (the Newton matrix I − γ·J needs it).
#[derive(Debug, Clone, PartialEq)]
pub struct SparseMatrix {
    n: usize,
    row_start: Vec<usize>,
    cols: Vec<usize>,
    values: Vec<f64>,
}

impl SparseMatrix {
    /// The n×n zero matrix whose pattern holds the given (row, column)
    /// positions and the diagonal; repeated positions count once.
    ///
    /// # Panics
    /// If a position lies outside the matrix.
    pub fn with_pattern(n: usize, positions: impl IntoIterator<Item = (usize, usize)>) -> Self {
        let mut rows: Vec<Vec<usize>> = (0..n).map(|i| vec![i]).collect();
        for (i, j) in positions {
            assert!(i < n && j < n, "({i}, {j}) is outside the {n}×{n} matrix");
            rows[i].push(j);
        }
        let mut row_start = Vec::with_capacity(n + 1);
        row_start.push(0);
        let mut cols = Vec::new();
        for mut row in rows {
            row.sort_unstable();
            row.dedup();
            cols.extend_from_slice(&row);
            row_start.push(cols.len());
        }
        let values = vec![0.0; cols.len()];
        Self {
            n,
            row_start,
            cols,
            values,
        }
    }

    /// The n×n matrix whose pattern is every entry (what a system without a
    /// declared sparsity gets).
    pub fn full_pattern(n: usize) -> Self {
        Self::with_pattern(n, (0..n).flat_map(|i| (0..n).map(move |j| (i, j))))
    }

    pub fn n(&self) -> usize {
        self.n
    }

    /// Number of stored entries.
    pub fn nnz(&self) -> usize {
        self.cols.len()
    }

    /// Position of (i, j) in the stored values, if it is in the pattern.
    fn position(&self, i: usize, j: usize) -> Option<usize> {
        let (lo, hi) = (self.row_start[i], self.row_start[i + 1]);
        self.cols[lo..hi].binary_search(&j).ok().map(|k| lo + k)
    }

    /// True when (i, j) is in the pattern.
    pub fn in_pattern(&self, i: usize, j: usize) -> bool {
        i < self.n && j < self.n && self.position(i, j).is_some()
    }

    /// A(i, j); zero outside the pattern.
    pub fn get(&self, i: usize, j: usize) -> f64 {
        if i < self.n && j < self.n {
            self.position(i, j).map_or(0.0, |k| self.values[k])
        } else {
            0.0
        }
    }

    /// Adds `v` to A(i, j).
    ///
    /// # Panics
    /// If (i, j) is not in the pattern.
    #[inline]
    pub fn add(&mut self, i: usize, j: usize, v: f64) {
        let k = self
            .position(i, j)
            .unwrap_or_else(|| panic!("({i}, {j}) is not in the sparsity pattern"));
        self.values[k] += v;
    }

    /// Sets every stored entry to zero (the pattern stays).
    pub fn clear(&mut self) {
        self.values.fill(0.0);
    }

    /// Copies the entries of a dense matrix that lie in the pattern (the
    /// others are dropped).
    pub fn copy_pattern_of(&mut self, dense: &DMatrix<f64>) {
        for i in 0..self.n {
            for k in self.row_start[i]..self.row_start[i + 1] {
                self.values[k] = dense[(i, self.cols[k])];
            }
        }
    }

    /// Writes the matrix into a dense n×n matrix (zeros outside the pattern).
    pub fn write_dense(&self, dense: &mut DMatrix<f64>) {
        dense.fill(0.0);
        for i in 0..self.n {
            for k in self.row_start[i]..self.row_start[i + 1] {
                dense[(i, self.cols[k])] = self.values[k];
            }
        }
    }

    /// The stored entries of row i as (column, value) pairs.
    fn row(&self, i: usize) -> impl Iterator<Item = (usize, f64)> + '_ {
        let range = self.row_start[i]..self.row_start[i + 1];
        self.cols[range.clone()]
            .iter()
            .copied()
            .zip(self.values[range].iter().copied())
    }

    /// Every stored entry as (row, column, value).
    pub(crate) fn entries(&self) -> impl Iterator<Item = (usize, usize, f64)> + '_ {
        (0..self.n).flat_map(move |i| self.row(i).map(move |(j, a)| (i, j, a)))
    }

    /// out = A·x.
    pub(crate) fn mul_vec(&self, x: &[f64], out: &mut [f64]) {
        for (i, o) in out.iter_mut().enumerate() {
            *o = self.row(i).map(|(j, a)| a * x[j]).sum();
        }
    }

    /// Overwrites the values with I − γ·J for a matrix `jac` of the same pattern.
    pub(crate) fn set_newton_matrix(&mut self, gamma: f64, jac: &SparseMatrix) {
        debug_assert_eq!(self.cols, jac.cols);
        for (dst, src) in self.values.iter_mut().zip(&jac.values) {
            *dst = -gamma * src;
        }
        for i in 0..self.n {
            let k = self.position(i, i).expect("the diagonal is in the pattern");
            self.values[k] += 1.0;
        }
    }
}

/// Incomplete LU factorisation with no fill, ILU(0) (Saad 2003, §10.3.2,
/// Algorithm 10.4, the IKJ variant): L (unit lower) and U share the
/// matrix's pattern, and L·U equals the matrix on that pattern.
#[derive(Debug, Clone)]
pub(crate) struct Ilu0 {
    /// L below and U on and above the diagonal, in the matrix's pattern.
    factors: SparseMatrix,
    /// Position of each row's diagonal entry in the stored values.
    diagonal: Vec<usize>,
    /// Scratch: position of column j in the row being eliminated, or usize::MAX.
    marker: Vec<usize>,
}

/// A zero or non-finite pivot in the incomplete factorisation.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct ZeroPivot;

impl Ilu0 {
    pub(crate) fn new(pattern: &SparseMatrix) -> Self {
        let diagonal = (0..pattern.n)
            .map(|i| {
                pattern
                    .position(i, i)
                    .expect("the diagonal is in the pattern")
            })
            .collect();
        Self {
            factors: pattern.clone(),
            diagonal,
            marker: vec![usize::MAX; pattern.n],
        }
    }

    /// Factorises `a` (of the pattern given to [`Ilu0::new`]).
    pub(crate) fn factor(&mut self, a: &SparseMatrix) -> Result<(), ZeroPivot> {
        let f = &mut self.factors;
        f.values.copy_from_slice(&a.values);
        for i in 0..f.n {
            let (lo, hi) = (f.row_start[i], f.row_start[i + 1]);
            for k in lo..hi {
                self.marker[f.cols[k]] = k;
            }
            for k in lo..self.diagonal[i] {
                let col = f.cols[k];
                let pivot = f.values[self.diagonal[col]];
                let l = f.values[k] / pivot;
                f.values[k] = l;
                for m in self.diagonal[col] + 1..f.row_start[col + 1] {
                    let target = self.marker[f.cols[m]];
                    if target != usize::MAX {
                        f.values[target] -= l * f.values[m];
                    }
                }
            }
            for k in lo..hi {
                self.marker[f.cols[k]] = usize::MAX;
            }
            let d = f.values[self.diagonal[i]];
            if d == 0.0 || !d.is_finite() {
                return Err(ZeroPivot);
            }
        }
        Ok(())
    }

    /// Overwrites `b` with (L·U)⁻¹ b.
    pub(crate) fn solve(&self, b: &mut [f64]) {
        let f = &self.factors;
        for i in 0..f.n {
            let mut s = b[i];
            for k in f.row_start[i]..self.diagonal[i] {
                s -= f.values[k] * b[f.cols[k]];
            }
            b[i] = s;
        }
        for i in (0..f.n).rev() {
            let d = self.diagonal[i];
            let mut s = b[i];
            for k in d + 1..f.row_start[i + 1] {
                s -= f.values[k] * b[f.cols[k]];
            }
            b[i] = s / f.values[d];
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pattern_is_sorted_deduplicated_and_holds_the_diagonal() {
        let mut a = SparseMatrix::with_pattern(3, [(0, 2), (0, 2), (2, 0), (1, 0)]);
        assert_eq!(a.nnz(), 6);
        assert!(a.in_pattern(1, 1) && a.in_pattern(0, 2) && !a.in_pattern(0, 1));
        a.add(2, 0, 1.5);
        a.add(2, 0, 1.0);
        assert_eq!(a.get(2, 0), 2.5);
        assert_eq!(a.get(0, 1), 0.0);
        let mut dense = DMatrix::zeros(3, 3);
        a.write_dense(&mut dense);
        let mut back = SparseMatrix::with_pattern(3, [(0, 2), (2, 0), (1, 0)]);
        back.copy_pattern_of(&dense);
        assert_eq!(back, a);
    }

    /// On a tridiagonal matrix ILU(0) has no fill to drop, so it is the exact LU.
    #[test]
    fn ilu0_of_a_tridiagonal_matrix_is_exact() {
        let n = 8;
        let mut a = SparseMatrix::with_pattern(n, (1..n).flat_map(|i| [(i, i - 1), (i - 1, i)]));
        for i in 0..n {
            a.add(i, i, 3.0 + i as f64 * 0.1);
            if i > 0 {
                a.add(i, i - 1, -1.0 - 0.05 * i as f64);
                a.add(i - 1, i, -0.7);
            }
        }
        let mut ilu = Ilu0::new(&a);
        ilu.factor(&a).unwrap();
        let x: Vec<f64> = (0..n).map(|i| (i as f64).sin() + 1.0).collect();
        let mut b = vec![0.0; n];
        a.mul_vec(&x, &mut b);
        ilu.solve(&mut b);
        for (u, v) in b.iter().zip(&x) {
            assert!((u - v).abs() < 1e-13, "{u} vs {v}");
        }
    }

    #[test]
    fn ilu0_reports_a_zero_pivot() {
        let mut a = SparseMatrix::with_pattern(2, [(0, 1), (1, 0)]);
        a.add(0, 0, 1.0);
        a.add(0, 1, 1.0);
        a.add(1, 0, 1.0);
        a.add(1, 1, 1.0);
        let mut ilu = Ilu0::new(&a);
        assert_eq!(ilu.factor(&a), Err(ZeroPivot));
    }
}
