//! Banded matrices: the Jacobian of a method-of-lines PDE couples each
//! unknown only to its neighbours, so it is stored and factorised as a band.
//!
//! Storage follows LAPACK's band format (Anderson et al. 1999, LAPACK Users'
//! Guide, §5.3.3): column j holds entries A(i, j) for j − upper ≤ i ≤ j + lower
//! at row `upper + i − j` of a column-major array with lower + upper + 1 rows.
//! The LU factorisation (`BandedLu`) is that of LAPACK's dgbtf2/dgbtrs:
//! partial pivoting, with `lower` extra rows for the fill-in of the pivoting.

use nalgebra::DMatrix;

use crate::linear::{LinearSolver, Singular};
use crate::problem::Problem;

/// A square matrix that is zero outside `lower` sub- and `upper` super-diagonals.
#[derive(Debug, Clone, PartialEq)]
pub struct BandedMatrix {
    n: usize,
    lower: usize,
    upper: usize,
    /// Column-major, lower + upper + 1 rows per column.
    data: Vec<f64>,
}

impl BandedMatrix {
    /// The n×n zero matrix with the given bandwidths.
    pub fn zeros(n: usize, lower: usize, upper: usize) -> Self {
        Self {
            n,
            lower,
            upper,
            data: vec![0.0; (lower + upper + 1) * n],
        }
    }

    pub fn n(&self) -> usize {
        self.n
    }

    pub fn lower(&self) -> usize {
        self.lower
    }

    pub fn upper(&self) -> usize {
        self.upper
    }

    /// True when (i, j) lies inside the band.
    pub fn in_band(&self, i: usize, j: usize) -> bool {
        i < self.n && j < self.n && i <= j + self.lower && j <= i + self.upper
    }

    fn index(&self, i: usize, j: usize) -> usize {
        debug_assert!(self.in_band(i, j), "({i}, {j}) is outside the band");
        (self.upper + i - j) + j * (self.lower + self.upper + 1)
    }

    /// A(i, j); zero outside the band.
    pub fn get(&self, i: usize, j: usize) -> f64 {
        if self.in_band(i, j) {
            self.data[self.index(i, j)]
        } else {
            0.0
        }
    }

    /// Adds `v` to A(i, j), which must lie inside the band.
    #[inline]
    pub fn add(&mut self, i: usize, j: usize, v: f64) {
        let k = self.index(i, j);
        self.data[k] += v;
    }

    /// The entries A(i, i + offset) of one diagonal, top to bottom
    /// (−lower ≤ offset ≤ upper).
    pub(crate) fn diagonal(&self, offset: isize) -> impl Iterator<Item = &f64> {
        debug_assert!(-(self.lower as isize) <= offset && offset <= self.upper as isize);
        let band = self.lower + self.upper + 1;
        let row = (self.upper as isize - offset) as usize;
        let first_column = offset.max(0) as usize;
        self.data[row + first_column * band..]
            .iter()
            .step_by(band)
            .take(self.n - offset.unsigned_abs())
    }

    /// Sets every entry to zero.
    pub fn clear(&mut self) {
        self.data.fill(0.0);
    }

    /// Copies the band of a dense matrix (entries outside it are dropped).
    pub fn copy_band_of(&mut self, dense: &DMatrix<f64>) {
        for j in 0..self.n {
            let lo = j.saturating_sub(self.upper);
            let hi = (j + self.lower).min(self.n - 1);
            for i in lo..=hi {
                let k = self.index(i, j);
                self.data[k] = dense[(i, j)];
            }
        }
    }

    /// Writes the matrix into a dense n×n matrix (zeros outside the band).
    pub fn write_dense(&self, dense: &mut DMatrix<f64>) {
        dense.fill(0.0);
        for j in 0..self.n {
            let lo = j.saturating_sub(self.upper);
            let hi = (j + self.lower).min(self.n - 1);
            for i in lo..=hi {
                dense[(i, j)] = self.data[self.index(i, j)];
            }
        }
    }
}

/// Banded LU with partial pivoting of I − γ·J (LAPACK dgbtf2 and dgbtrs,
/// Anderson et al. 1999): O(n·l·(l + u)) work instead of O(n³).
#[derive(Debug, Clone)]
pub(crate) struct BandedLu {
    jac: BandedMatrix,
    /// The factors in LAPACK's gbtrf layout: 2·lower + upper + 1 rows per column.
    ab: Vec<f64>,
    pivots: Vec<usize>,
}

impl BandedLu {
    pub(crate) fn new(n: usize, lower: usize, upper: usize) -> Self {
        Self {
            jac: BandedMatrix::zeros(n, lower, upper),
            ab: vec![0.0; (2 * lower + upper + 1) * n],
            pivots: vec![0; n],
        }
    }

    #[cfg(test)]
    pub(crate) fn jacobian_mut(&mut self) -> &mut BandedMatrix {
        &mut self.jac
    }

    fn ldab(&self) -> usize {
        2 * self.jac.lower + self.jac.upper + 1
    }
}

impl LinearSolver for BandedLu {
    fn update_jacobian<P: Problem>(&mut self, problem: &mut P, t: f64, y: &[f64]) {
        problem.banded_jacobian(t, y, &mut self.jac);
    }

    fn setup(&mut self, gamma: f64) -> Result<(), Singular> {
        let (n, kl, ku) = (self.jac.n, self.jac.lower, self.jac.upper);
        let kv = kl + ku;
        let ldab = self.ldab();
        let band = kl + ku + 1;
        let ab = &mut self.ab;
        for (j, (dst, src)) in ab
            .chunks_exact_mut(ldab)
            .zip(self.jac.data.chunks_exact(band))
            .enumerate()
        {
            dst[..kl].fill(0.0);
            for (d, s) in dst[kl..].iter_mut().zip(src) {
                *d = -gamma * s;
            }
            dst[kv] += 1.0;
            // Rows below the matrix's last row are never touched by the
            // factorisation; keep them zero for clarity.
            let last = kv + (n - 1 - j).min(kl);
            dst[last + 1..].fill(0.0);
        }
        // ju: the last column that the U factor reaches so far.
        let mut ju = 0;
        for j in 0..n {
            let km = kl.min(n - 1 - j);
            let col = j * ldab;
            let mut jp = 0;
            let mut max = ab[col + kv].abs();
            for i in 1..=km {
                let v = ab[col + kv + i].abs();
                if v > max {
                    max = v;
                    jp = i;
                }
            }
            if max == 0.0 || !max.is_finite() {
                return Err(Singular);
            }
            self.pivots[j] = j + jp;
            ju = ju.max((j + ku + jp).min(n - 1));
            if jp != 0 {
                for c in j..=ju {
                    ab.swap(kv + j - c + c * ldab, kv + j + jp - c + c * ldab);
                }
            }
            let inv = 1.0 / ab[col + kv];
            for v in &mut ab[col + kv + 1..=col + kv + km] {
                *v *= inv;
            }
            // Rank-one update of the trailing columns, on slices so that it vectorises.
            for c in j + 1..=ju {
                let (left, right) = ab.split_at_mut(c * ldab);
                let multipliers = &left[col + kv + 1..][..km];
                let target = &mut right[kv + j - c..][..=km];
                let u = target[0];
                if u != 0.0 {
                    for (t, l) in target[1..].iter_mut().zip(multipliers) {
                        *t -= l * u;
                    }
                }
            }
        }
        Ok(())
    }

    fn solve(&mut self, b: &mut [f64], _scale: &[f64], _tol: f64) -> usize {
        let (n, kl, ku) = (self.jac.n, self.jac.lower, self.jac.upper);
        let kv = kl + ku;
        let ldab = self.ldab();
        let ab = &self.ab;
        for j in 0..n {
            b.swap(j, self.pivots[j]);
            let bj = b[j];
            if bj != 0.0 {
                let lm = kl.min(n - 1 - j);
                for i in 1..=lm {
                    b[j + i] -= ab[j * ldab + kv + i] * bj;
                }
            }
        }
        for j in (0..n).rev() {
            b[j] /= ab[j * ldab + kv];
            let bj = b[j];
            if bj != 0.0 {
                for i in j.saturating_sub(kv)..j {
                    b[i] -= ab[j * ldab + kv + i - j] * bj;
                }
            }
        }
        0
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use crate::linear::DenseLu;

    /// A non-symmetric band matrix whose factorisation must pivot: a small
    /// diagonal next to large off-diagonals.
    pub(crate) fn pivoting_band(n: usize, kl: usize, ku: usize) -> BandedMatrix {
        let mut a = BandedMatrix::zeros(n, kl, ku);
        for j in 0..n {
            for i in j.saturating_sub(ku)..=(j + kl).min(n - 1) {
                let v = if i == j {
                    0.01 * (j as f64 + 1.0)
                } else {
                    (1.0 + i as f64 * 0.37 - j as f64 * 0.11).sin() * 3.0
                };
                a.add(i, j, v);
            }
        }
        a
    }

    /// The banded solve agrees with the dense LU (Golub & Van Loan 2013,
    /// Alg. 3.4.1) on the same matrix, for several bandwidths.
    #[test]
    fn banded_lu_matches_dense_lu() {
        for (n, kl, ku) in [(9, 2, 1), (12, 1, 3), (7, 0, 0), (10, 4, 4), (5, 6, 6)] {
            let (kl, ku) = (kl.min(n - 1), ku.min(n - 1));
            let band = pivoting_band(n, kl, ku);
            let mut dense = DMatrix::zeros(n, n);
            band.write_dense(&mut dense);
            let gamma = 0.7;
            let mut blu = BandedLu::new(n, kl, ku);
            *blu.jacobian_mut() = band;
            blu.setup(gamma).unwrap();
            let mut dlu = DenseLu::new(n);
            dlu.jacobian_mut().copy_from(&dense);
            dlu.setup(gamma).unwrap();
            let b: Vec<f64> = (0..n).map(|i| (i as f64 * 0.9).cos()).collect();
            let (mut xb, mut xd) = (b.clone(), b.clone());
            let ones = vec![1.0; n];
            blu.solve(&mut xb, &ones, 0.0);
            dlu.solve(&mut xd, &ones, 0.0);
            for (u, v) in xb.iter().zip(&xd) {
                assert!(
                    (u - v).abs() < 1e-10 * (1.0 + v.abs()),
                    "n={n} kl={kl} ku={ku}"
                );
            }
        }
    }

    #[test]
    fn diagonals_read_the_band() {
        let (n, kl, ku) = (6, 2, 1);
        let band = pivoting_band(n, kl, ku);
        for offset in -(kl as isize)..=ku as isize {
            let expected: Vec<f64> = (0..n)
                .filter_map(|i| {
                    let j = i as isize + offset;
                    (0..n as isize)
                        .contains(&j)
                        .then(|| band.get(i, j as usize))
                })
                .collect();
            let got: Vec<f64> = band.diagonal(offset).copied().collect();
            assert_eq!(got, expected, "offset {offset}");
        }
    }

    #[test]
    fn band_round_trips_through_dense() {
        let band = pivoting_band(6, 2, 1);
        let mut dense = DMatrix::zeros(6, 6);
        band.write_dense(&mut dense);
        assert_eq!(dense[(0, 3)], 0.0);
        let mut back = BandedMatrix::zeros(6, 2, 1);
        back.copy_band_of(&dense);
        assert_eq!(back, band);
    }

    #[test]
    fn banded_lu_reports_singular_matrix() {
        let mut lu = BandedLu::new(3, 1, 1);
        for i in 0..3 {
            lu.jacobian_mut().add(i, i, 1.0);
        }
        assert_eq!(lu.setup(1.0), Err(Singular));
    }
}
