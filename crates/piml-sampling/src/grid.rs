//! Cell-centred tensor grids: the deterministic baseline.

/// Points per axis of the full grid nearest to `n` points in `dim` dimensions.
fn per_axis(n: usize, dim: usize) -> usize {
    if n == 0 {
        return 0;
    }
    ((n as f64).powf(1.0 / dim as f64).round() as usize).max(1)
}

/// The number of points of the grid [`points`] makes for `n` asked.
pub(crate) fn count(n: usize, dim: usize) -> usize {
    per_axis(n, dim).pow(dim as u32)
}

/// The cell centres (k + ½)/m, k = 0..m, of a grid with m points per axis
/// and about `n` in all (m = round(n^(1/dim))); the first coordinate varies slowest.
pub(crate) fn points(n: usize, dim: usize) -> Vec<Vec<f64>> {
    let m = per_axis(n, dim);
    let total = count(n, dim);
    (0..dim)
        .map(|axis| {
            let stride = m.pow((dim - 1 - axis) as u32);
            (0..total)
                .map(|i| ((i / stride) % m) as f64 / m as f64 + 0.5 / m as f64)
                .collect()
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn full_grids_are_kept_and_others_rounded() {
        assert_eq!(count(1000, 3), 1000);
        assert_eq!(count(1001, 3), 1000);
        assert_eq!(count(50, 2), 49);
        assert_eq!(count(7, 1), 7);
        let p = points(4, 2);
        assert_eq!(p[0], vec![0.25, 0.25, 0.75, 0.75]);
        assert_eq!(p[1], vec![0.25, 0.75, 0.25, 0.75]);
    }
}
