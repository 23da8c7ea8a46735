//! The first step size, from the size of the solution, of its derivative and
//! of a difference estimate of its second derivative (Hairer, Nørsett &
//! Wanner 1993, II.4, "Starting step size"; HINIT of dopri5.f).

use crate::problem::Problem;
use crate::solution::Stats;
use crate::tolerance::Tolerance;

/// Guesses a first step over `(t0, t_end)` for a method whose local error
/// is O(h^`order`), given y0 and f0 = f(t0, y0); never longer than the span.
pub(crate) fn initial_step<P: Problem>(
    problem: &mut P,
    tol: &Tolerance,
    (t0, t_end): (f64, f64),
    y0: &[f64],
    f0: &[f64],
    order: i32,
    stats: &mut Stats,
) -> f64 {
    let span = t_end - t0;
    let mut scale = vec![0.0; y0.len()];
    tol.scale(y0, y0, &mut scale);
    let d0 = tol.norm(1.0, y0, &scale);
    let d1 = tol.norm(1.0, f0, &scale);
    let h0 = if d0 < 1e-5 || d1 < 1e-5 {
        1e-6
    } else {
        0.01 * d0 / d1
    }
    .min(span);
    let y1: Vec<f64> = y0.iter().zip(f0).map(|(y, f)| y + h0 * f).collect();
    let mut f1 = vec![0.0; y0.len()];
    problem.rhs(t0 + h0, &y1, &mut f1);
    stats.rhs_evals += 1;
    for (d, f) in f1.iter_mut().zip(f0) {
        *d -= f;
    }
    let d2 = tol.norm(1.0, &f1, &scale) / h0;
    let der = d1.max(d2);
    let h1 = if der <= 1e-15 || !der.is_finite() {
        (h0 * 1e-3).max(1e-6)
    } else {
        (0.01 / der).powf(1.0 / f64::from(order))
    };
    (100.0 * h0).min(h1).min(span)
}
