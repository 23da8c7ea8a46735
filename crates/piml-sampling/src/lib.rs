//! Collocation points for physics-informed training.
//!
//! Points in the unit cube come from one of several designs ([`Method`]):
//! independent uniform draws, a cell-centred grid, a Latin hypercube, a
//! scrambled Sobol sequence or a scrambled Halton sequence. A [`Domain`],
//! read from a model's time and space spans and boundary conditions, places
//! them in the interior, on each non-periodic side and at the initial time.
//! [`adaptive`] draws new points where a network's residual is large (RAD
//! and RAR), and [`centred_l2_discrepancy`] measures how evenly a set fills
//! its cube. Randomness always comes from a seeded generator passed in.
#![deny(clippy::print_stdout, clippy::print_stderr)]

pub mod adaptive;
mod discrepancy;
mod domain;
mod error;
mod grid;
mod halton;
mod lhs;
mod method;
mod sobol;
mod uniform;

pub use discrepancy::centred_l2_discrepancy;
pub use domain::{Domain, End, PointSet, Set, Side};
pub use error::Error;
pub use method::{Method, UnitPoints, unit_points};
pub use sobol::MAX_DIMENSIONS as SOBOL_MAX_DIMENSIONS;

/// The largest f64 below 1: unit-cube coordinates stay in [0, 1).
pub(crate) const ONE_BELOW: f64 = 1.0 - f64::EPSILON / 2.0;
