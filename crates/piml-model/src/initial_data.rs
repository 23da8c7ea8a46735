//! The initial condition taken from measurements instead of the model's `initial`
//! expressions: the rows at the start of the time span, the species each observable measures
//! directly, and a 1-D profile through the measured points. fit-pinn (the initial-condition
//! loss) and fit-kinetics (the method of lines' initial fields) share these.

use crate::{Expr, Model};

impl Model {
    /// The first time of the model's span (0 when it gives none): the time of the initial
    /// condition.
    pub fn start_time(&self) -> f64 {
        self.time
            .as_ref()
            .and_then(|t| t.span)
            .map_or(0.0, |s| s[0])
    }

    /// The species observable `o` measures directly (its expression is the species' name):
    /// only those measurements can stand for the species' initial values.
    pub fn measured_species(&self, o: usize) -> Option<usize> {
        match &self.observables[o].expr {
            Expr::Var(name) => self.species.iter().position(|s| &s.name == name),
            _ => None,
        }
    }
}

/// The indices of the rows measured exactly at `t0`: the initial condition's data.
pub fn rows_at(times: &[f64], t0: f64) -> Vec<usize> {
    (0..times.len()).filter(|&r| times[r] == t0).collect()
}

/// A profile through measured `(position, value)` points, evaluated at `at`: the values at
/// equal positions are averaged (replicates), then interpolated linearly between neighbouring
/// positions and held constant beyond the first and the last. `None` without points.
pub fn interpolate_profile(points: &[(f64, f64)], at: &[f64]) -> Option<Vec<f64>> {
    let mut sorted = points.to_vec();
    sorted.sort_by(|a, b| a.0.total_cmp(&b.0));
    // (position, mean value) at each distinct position, increasing.
    let mut knots: Vec<(f64, f64)> = Vec::new();
    let mut start = 0;
    while start < sorted.len() {
        let x = sorted[start].0;
        let end = start + sorted[start..].iter().take_while(|p| p.0 == x).count();
        let mean = sorted[start..end].iter().map(|p| p.1).sum::<f64>() / (end - start) as f64;
        knots.push((x, mean));
        start = end;
    }
    let (first, last) = (*knots.first()?, *knots.last()?);
    Some(
        at.iter()
            .map(|&x| {
                if x <= first.0 {
                    return first.1;
                }
                if x >= last.0 {
                    return last.1;
                }
                // knots[i - 1].0 < x <= knots[i].0
                let i = knots.partition_point(|k| k.0 < x);
                let ((x0, y0), (x1, y1)) = (knots[i - 1], knots[i]);
                y0 + (y1 - y0) * (x - x0) / (x1 - x0)
            })
            .collect(),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn replicates_are_averaged_and_interpolated_linearly() {
        // Two replicates at x = 0 (mean 1) and one at x = 2 (3): the line y = 1 + x between.
        let points = [(2.0, 3.0), (0.0, 0.5), (0.0, 1.5)];
        let p = interpolate_profile(&points, &[0.0, 0.5, 1.0, 2.0]).unwrap();
        assert_eq!(p, vec![1.0, 1.5, 2.0, 3.0]);
    }

    #[test]
    fn ends_are_held_constant() {
        let points = [(1.0, 4.0), (3.0, 8.0)];
        let p = interpolate_profile(&points, &[-5.0, 0.0, 2.0, 3.5, 100.0]).unwrap();
        assert_eq!(p, vec![4.0, 4.0, 6.0, 8.0, 8.0]);
    }

    #[test]
    fn one_position_gives_a_constant_and_none_gives_nothing() {
        assert_eq!(
            interpolate_profile(&[(1.0, 2.0), (1.0, 4.0)], &[0.0, 9.0]),
            Some(vec![3.0, 3.0])
        );
        assert_eq!(interpolate_profile(&[], &[0.0]), None);
    }

    #[test]
    fn rows_at_picks_exact_times() {
        assert_eq!(rows_at(&[0.0, 1.0, 0.0, 1e-12], 0.0), vec![0, 2]);
    }
}
