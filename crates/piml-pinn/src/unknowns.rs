//! The parameters a fit estimates, and the unconstrained coordinates the optimiser moves.
//!
//! Each estimated parameter θ is a smooth function of a free number φ ([`Transform`]): with
//! bounds [lo, hi] on a log scale, log θ = log lo + (log hi − log lo)·s(φ) with the logistic s;
//! on a linear scale θ = lo + (hi − lo)·s(φ); without bounds θ = exp φ (log scale, positive
//! value) or θ = φ. The optimiser never leaves the bounds and takes steps in relative terms on
//! a log scale.

use piml_model::{Model, Scale};
use piml_nn::Transform;

/// One estimated parameter.
#[derive(Debug, Clone, PartialEq)]
pub struct Unknown {
    pub name: String,
    /// Index among the model's parameters.
    pub index: usize,
    bounds: Option<[f64; 2]>,
    transform: Transform,
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
                // Bounds a map cannot use (empty, or not positive on a log scale) are dropped.
                let bounds = p.bounds.filter(|&[lo, hi]| hi > lo && (!log || lo > 0.0));
                Unknown {
                    name: p.name.clone(),
                    index,
                    bounds,
                    transform: Transform::new(bounds, log, p.value > 0.0),
                }
            })
            .collect()
    }

    /// θ(φ).
    pub fn value(&self, phi: f64) -> f64 {
        self.transform.natural(phi).0
    }

    /// dθ/dφ.
    pub fn slope(&self, phi: f64) -> f64 {
        self.transform.natural(phi).1
    }

    /// φ(θ), with θ pulled just inside its bounds.
    pub fn free(&self, value: f64) -> f64 {
        self.transform.coordinate(value)
    }

    /// The bounds, if any.
    pub fn bounds(&self) -> Option<[f64; 2]> {
        self.bounds
    }
}
