//! Dimensional analysis of a piml model (`nondim`): the dimension matrix,
//! Buckingham-π groups with familiar repeating variables, characteristic
//! scales, the model rewritten in dimensionless form, and a report of term
//! magnitudes, stiffness and Turing instability.
//!
//! - [`Dimensions`]: units of every quantity, every expression checked (`dimensions.rs`);
//! - [`pi_groups`]: the groups (`groups.rs`), on exact rationals (`rational.rs`);
//! - [`characteristic_scales`]: time, length and species scales (`scales.rs`);
//! - [`rewrite`]: the dimensionless model document (`rewrite.rs`);
//! - [`report`]: term magnitudes, steady states, stiffness (`stability.rs`)
//!   and the dispersion relation (`turing.rs`);
//! - [`restore`]: a dimensionless model's tables back in dimensional units (`restore.rs`).
#![deny(clippy::print_stdout, clippy::print_stderr)]

mod dimensions;
mod error;
mod groups;
mod monomial;
mod rational;
mod report;
mod restore;
mod rewrite;
mod scales;
mod stability;
mod turing;

pub use dimensions::{Dimensions, Quantity, Role, domain_length_name};
pub use error::Error;
pub use groups::{Group, group_text, pi_groups, repeating};
pub use monomial::Monomial;
pub use rational::{Ratio, rank};
pub use report::{Analysis, analyse, report};
pub use restore::restore;
pub use rewrite::{NewParameter, Rewritten, rewrite};
pub use scales::{Origin, Scale, characteristic_scales, parse_scale};
pub use stability::{SteadyState, Stiffness, eigenvalues, homogeneous, steady_states, stiffness};
pub use turing::{Turing, growth_rate};
