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

/// The distinct positions of measured `(position, value)` points, increasing, each with the
/// mean of its values (replicates averaged).
pub fn profile_knots(points: &[(f64, f64)]) -> Vec<(f64, f64)> {
    let mut sorted = points.to_vec();
    sorted.sort_by(|a, b| a.0.total_cmp(&b.0));
    let mut knots: Vec<(f64, f64)> = Vec::new();
    let mut start = 0;
    while start < sorted.len() {
        let x = sorted[start].0;
        let end = start + sorted[start..].iter().take_while(|p| p.0 == x).count();
        let mean = sorted[start..end].iter().map(|p| p.1).sum::<f64>() / (end - start) as f64;
        knots.push((x, mean));
        start = end;
    }
    knots
}

/// A profile through measured `(position, value)` points, evaluated at `at`: the values at
/// equal positions are averaged (replicates), then interpolated linearly between neighbouring
/// positions and held constant beyond the first and the last. `None` without points.
pub fn interpolate_profile(points: &[(f64, f64)], at: &[f64]) -> Option<Vec<f64>> {
    let knots = profile_knots(points);
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

/// The profile of [`interpolate_profile`] through `values` at increasing `positions` as an
/// expression of `coordinate`: Σᵢ vᵢ·φᵢ, with φᵢ the hat function that is 1 at xᵢ and 0 at its
/// neighbours (the end ones held at 1 beyond the ends), so that its values may be unknowns.
pub fn profile_expression(positions: &[f64], values: &[Expr], coordinate: &str) -> Expr {
    use crate::expr::Func;
    use crate::expr::simplify::{add, call, div, mul, sub};
    let x = Expr::var(coordinate);
    let n = positions.len();
    let rise = |i: usize| {
        let (a, b) = (positions[i - 1], positions[i]);
        div(sub(x.clone(), Expr::Num(a)), Expr::Num(b - a))
    };
    let fall = |i: usize| {
        let (a, b) = (positions[i], positions[i + 1]);
        div(sub(Expr::Num(b), x.clone()), Expr::Num(b - a))
    };
    let clamp = |e: Expr| {
        call(
            Func::Max,
            vec![Expr::Num(0.0), call(Func::Min, vec![Expr::Num(1.0), e])],
        )
    };
    (0..n).fold(Expr::Num(0.0), |sum, i| {
        let hat = match (i, n) {
            (_, 1) => Expr::Num(1.0),
            (0, _) => clamp(fall(0)),
            (i, n) if i == n - 1 => clamp(rise(i)),
            (i, _) => call(
                Func::Max,
                vec![Expr::Num(0.0), call(Func::Min, vec![rise(i), fall(i)])],
            ),
        };
        add(sum, mul(values[i].clone(), hat))
    })
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
    fn the_profile_expression_is_the_interpolated_profile() {
        let positions = [0.0, 1.0, 3.0];
        let names = ["a", "b", "c"];
        let values: Vec<Expr> = names.iter().map(|n| Expr::var(n)).collect();
        let e = profile_expression(&positions, &values, "x");
        let points = [(0.0, 2.0), (1.0, -1.0), (3.0, 5.0)];
        let at = [-1.0, 0.0, 0.25, 1.0, 2.0, 3.0, 7.0];
        let expected = interpolate_profile(&points, &at).unwrap();
        let tape = crate::Tape::compile(&[e], &["x", "a", "b", "c"].map(String::from)).unwrap();
        for (x, want) in at.iter().zip(expected) {
            let mut out = [0.0];
            tape.eval_parts(&[&[*x], &[2.0, -1.0, 5.0]], &mut out);
            assert!(
                (out[0] - want).abs() < 1e-15,
                "x = {x}: {} != {want}",
                out[0]
            );
        }
    }

    #[test]
    fn rows_at_picks_exact_times() {
        assert_eq!(rows_at(&[0.0, 1.0, 0.0, 1e-12], 0.0), vec![0, 2]);
    }
}
