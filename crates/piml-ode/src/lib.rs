//! ODE integration for piml: stiff and non-stiff initial value problems with
//! dense output at requested times and forward sensitivities.
//!
//! - [`Method::Explicit`]: Dormand–Prince 5(4) with 4th-order dense output
//!   and PI step control (`dopri5.rs`).
//! - [`Method::Bdf`]: variable-order, variable-step BDF/NDF in the
//!   quasi-constant step-size form of Shampine & Reichelt 1997 (`bdf.rs`).
//! - [`Method::Auto`]: Dormand–Prince until its stiffness detector fires,
//!   then BDF from the current state (`auto.rs`).
//!
//! Systems implement [`OdeSystem`] (right-hand side and exact Jacobian) and,
//! for sensitivities, [`ParametricSystem`] (exact ∂f/∂p). A system whose
//! Jacobian is banded (method-of-lines PDEs) says so with
//! [`OdeSystem::jacobian_structure`] and writes a [`BandedMatrix`]; the
//! implicit method then factorises with a banded LU (`banded.rs`; a
//! tridiagonal one, `tridiagonal.rs`, for a bandwidth of one). A system
//! with a sparse Jacobian (method-of-lines PDEs on 2-D grids) writes a
//! [`SparseMatrix`] instead, and the implicit method solves with ILU(0)-
//! preconditioned GMRES (`krylov.rs`).
#![deny(clippy::print_stdout, clippy::print_stderr)]

mod auto;
mod banded;
mod bdf;
mod dopri5;
mod error;
mod initial_step;
mod krylov;
mod linear;
mod problem;
mod sensitivity;
mod solution;
mod solver;
mod sparse;
mod system;
mod tolerance;
mod tridiagonal;

pub use banded::BandedMatrix;
pub use error::Error;
pub use solution::{SensitivitySolution, Solution, Stats};
pub use solver::{Method, OdeSolver, OdeSolverBuilder, check_times};
pub use sparse::SparseMatrix;
pub use system::{JacobianStructure, OdeSystem, ParametricSystem};
