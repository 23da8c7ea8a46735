//! Fitting kinetic, reaction–diffusion (method of lines, piml-pde) and
//! algebraic models to measurements: the likelihood of a data table under a
//! model's noise, with its exact gradient and Fisher information from
//! forward sensitivities (one solve for all three);
//! Levenberg–Marquardt (Fisher scoring, a trust-region method projected on the bounds) or
//! L-BFGS in bounded coordinates, both converged only when the projected gradient vanishes;
//! multistart from a Latin hypercube; standard errors, correlations and
//! Wald intervals; AIC, AICc, BIC and Akaike weights across models.
//!
//! [`Dataset`] reads a table against a [`piml_model::Model`], [`Problem`]
//! evaluates the likelihood, [`minimise`] runs one start, [`run_starts`] many,
//! and [`summarise`] reports the best; [`rank`] compares models.
#![deny(clippy::print_stdout, clippy::print_stderr)]

mod data;
mod error;
mod initial_profile;
mod multistart;
mod optimise;
mod problem;
mod selection;
mod uncertainty;

pub use data::{Dataset, Group, InitialFrom, Point, noise_kind};
pub use error::Error;
pub use initial_profile::InitialValue;
pub use multistart::{
    REACHED_TOLERANCE, StartResult, Summary, run_starts, start_points, summarise,
};
pub use optimise::{
    CONVERGED_WITHIN, Method, Objective, Outcome, Scored, Settings, minimise, projected_gradient,
};
pub use piml_optim::Transform;
pub use problem::{AT_BOUND, Bound, Estimated, Evaluation, Problem, SigmaSource};
pub use selection::{Criteria, Ranked, rank};
pub use uncertainty::Uncertainty;
