//! Simulating a model: its kinetic equations through the ODE solvers, its
//! reaction–diffusion equations on a grid, the
//! observables, measurement noise, sparse sampling, and ensembles of
//! parameter draws — everything `simulate` does, as a library that the
//! fitting tools share.
#![deny(clippy::print_stdout, clippy::print_stderr)]

mod design;
mod error;
mod kinetic;
mod noise;
mod plan;
mod spatial;

pub use design::{Vary, full_grid, latin_hypercube};
pub use error::Error;
pub use kinetic::{
    KineticSystem, SensitivityTrajectory, Trajectory, solve_kinetics, solve_kinetics_sensitivities,
};
pub use noise::{NoiseSpec, member_rng};
pub use plan::{NoiseChoice, Outcome, Plan, Sparse};
pub use spatial::Spatial;
