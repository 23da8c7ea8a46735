//! Optimiser coordinates for bounded parameters: for unconstrained methods
//! (L-BFGS, Adam) a logistic map of the (log-)bounds onto the real line, so that
//! every step stays inside the bounds; for projected methods (Levenberg–
//! Marquardt) ln θ or θ in a box. Shared by least-squares fits and PINNs.

/// How one parameter's natural value θ follows from its coordinate z.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Transform {
    /// θ = exp(a + (b − a)·s(z)), a = ln lo, b = ln hi, s the logistic function.
    LogBounded { a: f64, b: f64 },
    /// θ = lo + (hi − lo)·s(z).
    Bounded { lo: f64, hi: f64 },
    /// θ = exp z: positive, unbounded, steps in relative terms.
    Log,
    /// θ = z.
    Free,
}

fn logistic(z: f64) -> f64 {
    1.0 / (1.0 + (-z).exp())
}

/// z of a fraction s of the interval, kept a little inside so that a start
/// on a bound stays finite.
fn logit(s: f64) -> f64 {
    let s = s.clamp(1e-12, 1.0 - 1e-12);
    (s / (1.0 - s)).ln()
}

impl Transform {
    /// The map of a parameter with `bounds` on a log or linear scale; an unbounded log-scale
    /// parameter is [`Transform::Log`] if `log_unbounded`, else [`Transform::Free`].
    pub fn new(bounds: Option<[f64; 2]>, log: bool, log_unbounded: bool) -> Transform {
        match bounds {
            Some([lo, hi]) if log => Transform::LogBounded {
                a: lo.ln(),
                b: hi.ln(),
            },
            Some([lo, hi]) => Transform::Bounded { lo, hi },
            None if log && log_unbounded => Transform::Log,
            None => Transform::Free,
        }
    }

    /// θ and dθ/dz at z.
    pub fn natural(self, z: f64) -> (f64, f64) {
        match self {
            Transform::LogBounded { a, b } => {
                let s = logistic(z);
                let theta = (a + (b - a) * s).exp();
                (theta, theta * (b - a) * s * (1.0 - s))
            }
            Transform::Bounded { lo, hi } => {
                let s = logistic(z);
                (lo + (hi - lo) * s, (hi - lo) * s * (1.0 - s))
            }
            Transform::Log => (z.exp(), z.exp()),
            Transform::Free => (z, 1.0),
        }
    }

    /// Box coordinates (projected methods): ln θ for log-scale parameters,
    /// θ otherwise; θ and dθ/dz at z.
    pub fn box_natural(self, z: f64) -> (f64, f64) {
        match self {
            Transform::LogBounded { .. } | Transform::Log => (z.exp(), z.exp()),
            _ => (z, 1.0),
        }
    }

    pub fn box_coordinate(self, theta: f64) -> f64 {
        match self {
            Transform::LogBounded { .. } | Transform::Log => theta.ln(),
            _ => theta,
        }
    }

    /// The bounds in box coordinates.
    pub fn box_limits(self) -> [f64; 2] {
        match self {
            Transform::LogBounded { a, b } => [a, b],
            Transform::Bounded { lo, hi } => [lo, hi],
            Transform::Log | Transform::Free => [f64::NEG_INFINITY, f64::INFINITY],
        }
    }

    /// z of θ; θ outside its bounds is pulled just inside.
    pub fn coordinate(self, theta: f64) -> f64 {
        match self {
            // `max` also maps the NaN of ln θ (θ ≤ 0) to the lower bound.
            Transform::LogBounded { a, b } => logit(((theta.ln() - a) / (b - a)).max(0.0)),
            Transform::Log => theta.ln(),
            Transform::Bounded { lo, hi } => logit((theta - lo) / (hi - lo)),
            Transform::Free => theta,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn maps_invert_and_derivatives_match_differences() {
        for t in [
            Transform::LogBounded {
                a: 0.01f64.ln(),
                b: 100f64.ln(),
            },
            Transform::Bounded { lo: -1.0, hi: 3.0 },
            Transform::Log,
            Transform::Free,
        ] {
            for theta in [0.02, 0.5, 2.0, 2.9] {
                let z = t.coordinate(theta);
                let (back, d) = t.natural(z);
                assert!((back - theta).abs() < 1e-12 * theta, "{t:?} {theta} {back}");
                // Central difference, h = 1e-6: truncation error ~h² relative.
                let h = 1e-6;
                let fd = (t.natural(z + h).0 - t.natural(z - h).0) / (2.0 * h);
                assert!((fd - d).abs() < 1e-7 * d.abs().max(1.0), "{t:?} {fd} {d}");
            }
        }
    }
}
