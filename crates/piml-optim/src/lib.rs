//! Optimisers shared by the fitting crates: L-BFGS through argmin (its executor
//! and line search, our in-place two-loop recursion) on a flat `Vec<f64>`, with
//! the last evaluation memoised so that each distinct point costs one
//! objective-and-gradient evaluation; the maps from bounded parameters to
//! optimiser coordinates.
#![deny(clippy::print_stdout, clippy::print_stderr)]

mod lbfgs;
mod transform;

pub use lbfgs::{Lbfgs, LbfgsResult};
pub use transform::Transform;

/// An optimiser run that failed (the objective returned a non-finite value,
/// the line search failed, …).
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("{0}")]
pub struct Error(pub String);
