//! Physics-informed neural networks for piml models.
//!
//! A [`Problem`] turns a model (ODE or reaction–diffusion), measurements and collocation points
//! into a loss L = λ_pde L_pde + λ_bc L_bc + λ_ic L_ic + λ_data L_data over a network's output
//! jets (piml-nn), each term made dimensionless by characteristic scales; the model's estimated
//! parameters are learned with the weights. A [`Trainer`] runs Adam then L-BFGS with adaptive
//! or fixed term weights, causal weighting and residual-based resampling, and writes
//! checkpoints from which a run continues bit for bit.

mod check;
mod checkpoint;
mod error;
mod physics;
mod problem;
mod train;
mod unknowns;

pub use check::{
    CheckSettings, DISAGREE, MISFIT_P, Misfit, Network, NoiseSource, ObservableCheck, SolverCheck,
    solver_check,
};
pub use error::Error;
pub use problem::{
    BLOCK, CAUSAL_BINS, Collocation, InitialFrom, Observations, ObservedColumn, Problem, Scales,
    Term, Weighting,
};
pub use train::{
    Ending, HistoryRow, Monitor, Outcome, Phase, Resample, Settings, Trainer, Weights,
};
pub use unknowns::Unknown;
