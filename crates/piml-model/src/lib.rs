//! The piml model: the JSON model file, its expression language with exact
//! symbolic derivatives and a compiled form, and units.
//!
//! A [`Model`] is read and validated from the model file of DESIGN.md;
//! [`Kinetics`] compiles from it the right-hand side f(t, y, p) of the
//! kinetic equations with its exact Jacobians ∂f/∂y and ∂f/∂p;
//! [`check_units`] checks each rate law against its species' units.
#![deny(clippy::print_stdout, clippy::print_stderr)]

mod document;
mod error;
pub mod expr;
mod initial_data;
mod json_keys;
mod kinetics;
mod model;
mod suggest;
pub mod units;

pub use error::Error;
pub use expr::{Expr, Tape};
pub use initial_data::{interpolate_profile, profile_expression, profile_knots, rows_at};
pub use kinetics::{Kinetics, Observation};
pub use model::{
    Axis, AxisBoundary, Condition, Model, Noise, NoiseKind, Observable, Parameter, Reaction,
    Rescaling, Scale, SideCondition, Sigma, Species,
};
pub use suggest::did_you_mean;
pub use units::{Numbers, UnitIssue, check_units, infer_units, parse_unit, symbol_units};
