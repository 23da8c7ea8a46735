//! Identifiability of a model's unknowns: can the measured outputs determine them?
//!
//! [`structural`] answers before any data exist: the exact, local, generic
//! test of Sedoglavic (2002) — the rank of the Jacobian of the outputs'
//! Taylor coefficients at a random point, computed over Z/pZ — with the
//! identifiable products and sums of the unknowns that are not identifiable
//! themselves. The model's equations are read through its expression AST
//! ([`System`]). [`fisher_information`] answers at a fit: the Fisher
//! information from forward sensitivities, its eigen-directions (stiff and
//! sloppy), Cramér–Rao standard errors and correlations. [`profiles`]
//! computes profile likelihoods. Both take piml-fit's likelihood of the
//! data ([`problem`]), the one fit-kinetics fits.
#![deny(clippy::print_stdout, clippy::print_stderr)]

mod combinations;
mod error;
mod field;
mod fim;
mod lift;
mod matrix;
mod profile;
mod program;
mod report;
mod series;
mod structural;
mod system;

pub use combinations::{Combination, CombinationKind};
pub use error::Error;
pub use fim::{
    Fisher, NULL_FRACTION, NoiseUsed, SLOPPY_FRACTION, SigmaSource, analysed, apply_fit,
    fisher_information, problem, problem_on_grid,
};
pub use profile::{ProfileClass, ProfilePoint, ProfileSummary, THRESHOLD, profiles, summarise};
pub use report::{fim_report, profile_report, structural_report};
pub use structural::{OrderRule, Structural, Verdict, structural};
pub use system::{Initial, Question, System, Unknown, UnknownKind, estimated_parameters};
