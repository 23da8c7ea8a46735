//! The parameters a fit estimates, and the unconstrained coordinates the optimiser moves.
//!
//! Each estimated parameter θ is a smooth function of a free number φ: with bounds [lo, hi] on
//! a log scale, log θ = log lo + (log hi − log lo)·s(φ) with the logistic s; on a linear scale
//! θ = lo + (hi − lo)·s(φ); without bounds θ = exp φ (log) or θ = φ (linear). The optimiser
//! never leaves the bounds and takes steps in relative terms on a log scale.

use piml_model::{Model, Scale};

/// One estimated parameter.
#[derive(Debug, Clone, PartialEq)]
pub struct Unknown {
    pub name: String,
    /// Index among the model's parameters.
    pub index: usize,
    map: Map,
}

#[derive(Debug, Clone, Copy, PartialEq)]
enum Map {
    Bounded { lo: f64, hi: f64, log: bool },
    Log,
    Linear,
}

/// Keeps the logistic away from 0 and 1, where φ would be infinite.
const EDGE: f64 = 1e-9;

fn logistic(phi: f64) -> f64 {
    1.0 / (1.0 + (-phi).exp())
}

impl Unknown {
    /// The estimated parameters of `model`, in model order.
    pub fn of_model(model: &Model) -> Vec<Unknown> {
        model
            .parameters
            .iter()
            .enumerate()
            .filter(|(_, p)| p.estimate)
            .map(|(index, p)| {
                let log = p.scale == Scale::Log;
                let map = match p.bounds {
                    Some([lo, hi]) if hi > lo && (!log || lo > 0.0) => Map::Bounded { lo, hi, log },
                    _ if log && p.value > 0.0 => Map::Log,
                    _ => Map::Linear,
                };
                Unknown {
                    name: p.name.clone(),
                    index,
                    map,
                }
            })
            .collect()
    }

    /// θ(φ).
    pub fn value(&self, phi: f64) -> f64 {
        match self.map {
            Map::Bounded { lo, hi, log: true } => {
                (lo.ln() + (hi.ln() - lo.ln()) * logistic(phi)).exp()
            }
            Map::Bounded { lo, hi, log: false } => lo + (hi - lo) * logistic(phi),
            Map::Log => phi.exp(),
            Map::Linear => phi,
        }
    }

    /// dθ/dφ.
    pub fn slope(&self, phi: f64) -> f64 {
        match self.map {
            Map::Bounded { lo, hi, log } => {
                let s = logistic(phi);
                let width = if log { hi.ln() - lo.ln() } else { hi - lo };
                let scale = if log { self.value(phi) } else { 1.0 };
                scale * width * s * (1.0 - s)
            }
            Map::Log => phi.exp(),
            Map::Linear => 1.0,
        }
    }

    /// φ(θ), with θ pulled just inside its bounds.
    pub fn free(&self, value: f64) -> f64 {
        match self.map {
            Map::Bounded { lo, hi, log } => {
                let s = if log {
                    (value.max(lo).ln() - lo.ln()) / (hi.ln() - lo.ln())
                } else {
                    (value - lo) / (hi - lo)
                };
                let s = s.clamp(EDGE, 1.0 - EDGE);
                (s / (1.0 - s)).ln()
            }
            Map::Log => value.ln(),
            Map::Linear => value,
        }
    }

    /// The bounds, if any.
    pub fn bounds(&self) -> Option<[f64; 2]> {
        match self.map {
            Map::Bounded { lo, hi, .. } => Some([lo, hi]),
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn unknown(map: Map) -> Unknown {
        Unknown {
            name: "k".into(),
            index: 0,
            map,
        }
    }

    #[test]
    fn maps_invert_and_slopes_match_central_differences() {
        let maps = [
            Map::Bounded {
                lo: 1e-3,
                hi: 10.0,
                log: true,
            },
            Map::Bounded {
                lo: -1.0,
                hi: 3.0,
                log: false,
            },
            Map::Log,
            Map::Linear,
        ];
        for map in maps {
            let u = unknown(map);
            for theta in [0.01, 0.5, 2.0] {
                let phi = u.free(theta);
                assert!((u.value(phi) - theta).abs() < 1e-12 * theta.abs().max(1.0));
                // Central difference with h = 1e-6: truncation error O(h²) ≈ 1e-12 relative.
                let h = 1e-6;
                let fd = (u.value(phi + h) - u.value(phi - h)) / (2.0 * h);
                assert!(
                    (fd - u.slope(phi)).abs() < 1e-7 * fd.abs().max(1e-3),
                    "{map:?}"
                );
            }
        }
    }
}
