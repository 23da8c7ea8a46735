//! How evenly a point set fills the unit cube.

use rayon::prelude::*;

/// Rows per parallel task; fixed, so the sum never depends on the threads.
const CHUNK: usize = 256;

/// The squared centred L2 discrepancy of points in [0, 1]^d, given as one
/// column per coordinate (Hickernell 1998, "A generalized discrepancy and
/// quadrature error bound"; the figure scipy.stats.qmc.discrepancy
/// returns for method "CD"):
///
/// CD² = (13/12)^d − (2/N) Σ_i Π_k (1 + ½|z_ik| − ½ z_ik²)
///       + (1/N²) Σ_i Σ_j Π_k (1 + ½|z_ik| + ½|z_jk| − ½|x_ik − x_jk|),
/// with z = x − ½. The double sum makes it O(N² d): callers with many points
/// pass a subset and say so.
pub fn centred_l2_discrepancy(columns: &[Vec<f64>]) -> f64 {
    let d = columns.len();
    let n = columns.first().map_or(0, Vec::len);
    if d == 0 || n == 0 {
        return 0.0;
    }
    let half_dist: Vec<Vec<f64>> = columns
        .iter()
        .map(|c| c.iter().map(|x| 0.5 * (x - 0.5).abs()).collect())
        .collect();
    let single: f64 = (0..n)
        .map(|i| {
            half_dist
                .iter()
                .map(|h| 1.0 + h[i] - 2.0 * h[i] * h[i])
                .product::<f64>()
        })
        .sum();
    let row_sums: Vec<f64> = (0..n)
        .into_par_iter()
        .with_min_len(CHUNK)
        .map(|i| {
            (0..n)
                .map(|j| {
                    (0..d)
                        .map(|k| {
                            1.0 + half_dist[k][i] + half_dist[k][j]
                                - 0.5 * (columns[k][i] - columns[k][j]).abs()
                        })
                        .product::<f64>()
                })
                .sum::<f64>()
        })
        .collect();
    let pairs: f64 = row_sums.iter().sum();
    let n = n as f64;
    (13.0f64 / 12.0).powi(d as i32) - 2.0 / n * single + pairs / (n * n)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn matches_the_closed_form_for_one_point() {
        // One point at the centre of [0,1]^d: the pair term is 1 and the
        // single term 1, so CD² = (13/12)^d − 2 + 1.
        for d in 1..=3 {
            let cd = centred_l2_discrepancy(&vec![vec![0.5]; d]);
            assert!((cd - ((13.0f64 / 12.0).powi(d as i32) - 1.0)).abs() < 1e-15);
        }
    }

    #[test]
    fn matches_the_closed_form_for_the_midpoint_rule() {
        // In one dimension the n cell centres (i + ½)/n have CD² = 1/(12 n²),
        // as the star discrepancy of the midpoint rule (Niederreiter 1992, ch. 2).
        for n in [1usize, 2, 5, 10] {
            let x: Vec<f64> = (0..n).map(|i| (i as f64 + 0.5) / n as f64).collect();
            let cd = centred_l2_discrepancy(&[x]);
            assert!(
                (cd - 1.0 / (12.0 * (n * n) as f64)).abs() < 1e-14,
                "n={n}: {cd}"
            );
        }
    }
}
