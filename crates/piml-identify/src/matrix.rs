//! Exact linear algebra over Z/pZ: ranks, reduced row echelon forms and
//! null spaces of the Jacobians the structural test builds.

use crate::field::Fp;

/// Rows kept in echelon form as they arrive, so that the rank of a growing
/// Jacobian is known after each new order of Taylor coefficients.
#[derive(Debug, Clone)]
pub struct Echelon {
    /// Each row is monic at its pivot and zero at every earlier row's pivot.
    rows: Vec<(usize, Vec<Fp>)>,
}

impl Echelon {
    pub fn new() -> Echelon {
        Echelon { rows: Vec::new() }
    }

    pub fn rank(&self) -> usize {
        self.rows.len()
    }

    /// A basis of the rows seen so far.
    pub fn basis(&self) -> Vec<Vec<Fp>> {
        self.rows.iter().map(|(_, r)| r.clone()).collect()
    }

    /// Adds a row; returns whether it raised the rank.
    pub fn insert(&mut self, row: &[Fp]) -> bool {
        let mut r = row.to_vec();
        for (pivot, basis) in &self.rows {
            let f = r[*pivot];
            if !f.is_zero() {
                axpy(&mut r, -f, basis);
            }
        }
        let Some(pivot) = r.iter().position(|v| !v.is_zero()) else {
            return false;
        };
        let scale = r[pivot].inv().unwrap_or(Fp::ONE);
        r.iter_mut().for_each(|v| *v = *v * scale);
        // Keep earlier rows free of the new pivot so reduction stays one pass.
        for (_, basis) in &mut self.rows {
            let f = basis[pivot];
            if !f.is_zero() {
                axpy(basis, -f, &r);
            }
        }
        self.rows.push((pivot, r));
        true
    }
}

impl Default for Echelon {
    fn default() -> Echelon {
        Echelon::new()
    }
}

/// a += f·b
fn axpy(a: &mut [Fp], f: Fp, b: &[Fp]) {
    for (x, y) in a.iter_mut().zip(b) {
        *x = *x + f * *y;
    }
}

/// The reduced row echelon form of `rows` (each of length `cols`): the
/// non-zero rows, each monic at its pivot, and the pivot columns.
pub fn rref(rows: &[Vec<Fp>], cols: usize) -> (Vec<Vec<Fp>>, Vec<usize>) {
    let mut m: Vec<Vec<Fp>> = rows.to_vec();
    let mut pivots = Vec::new();
    let mut r = 0;
    for c in 0..cols {
        let Some(k) = (r..m.len()).find(|&k| !m[k][c].is_zero()) else {
            continue;
        };
        m.swap(r, k);
        let scale = m[r][c].inv().unwrap_or(Fp::ONE);
        m[r].iter_mut().for_each(|v| *v = *v * scale);
        let pivot_row = m[r].clone();
        for (i, row) in m.iter_mut().enumerate() {
            let f = row[c];
            if i != r && !f.is_zero() {
                axpy(row, -f, &pivot_row);
            }
        }
        pivots.push(c);
        r += 1;
        if r == m.len() {
            break;
        }
    }
    m.truncate(r);
    (m, pivots)
}

/// A basis of the right null space {v : M v = 0} of the matrix whose rows
/// are `rows`: one vector per free column, 1 there and 0 at the other free
/// columns.
pub fn null_space(rows: &[Vec<Fp>], cols: usize) -> Vec<Vec<Fp>> {
    let (reduced, pivots) = rref(rows, cols);
    (0..cols)
        .filter(|c| !pivots.contains(c))
        .map(|free| {
            let mut v = vec![Fp::ZERO; cols];
            v[free] = Fp::ONE;
            for (row, &p) in reduced.iter().zip(&pivots) {
                v[p] = -row[free];
            }
            v
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(v: &[i64]) -> Vec<Fp> {
        v.iter().map(|&x| Fp::from_i64(x)).collect()
    }

    #[test]
    fn echelon_rank_grows_only_with_new_directions() {
        let mut e = Echelon::new();
        assert!(e.insert(&row(&[1, 2, 3])));
        assert!(!e.insert(&row(&[2, 4, 6])));
        assert!(e.insert(&row(&[0, 1, 1])));
        assert!(!e.insert(&row(&[1, 3, 4])));
        assert!(!e.insert(&row(&[0, 0, 0])));
        assert_eq!(e.rank(), 2);
    }

    #[test]
    fn null_space_of_a_rank_two_matrix() {
        let m = vec![row(&[1, 2, 3, 4]), row(&[2, 4, 7, 9]), row(&[3, 6, 10, 13])];
        let k = null_space(&m, 4);
        assert_eq!(k.len(), 2);
        for v in &k {
            for r in &m {
                let dot = r.iter().zip(v).fold(Fp::ZERO, |s, (a, b)| s + *a * *b);
                assert!(dot.is_zero());
            }
        }
        // Free columns 1 and 3: v = (−2, 1, 0, 0) and (−1, 0, −1, 1).
        assert_eq!(k[0], row(&[-2, 1, 0, 0]));
        assert_eq!(k[1], row(&[-1, 0, -1, 1]));
    }
}
