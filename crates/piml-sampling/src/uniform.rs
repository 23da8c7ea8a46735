//! Independent uniform points: the plain Monte Carlo baseline.

use rand::Rng;

/// `n` points with `dim` independent U[0, 1) coordinates, drawn point by point.
pub(crate) fn points(n: usize, dim: usize, rng: &mut impl Rng) -> Vec<Vec<f64>> {
    let mut columns = vec![Vec::with_capacity(n); dim];
    for _ in 0..n {
        for column in &mut columns {
            column.push(rng.random::<f64>());
        }
    }
    columns
}
