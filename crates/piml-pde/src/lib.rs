//! Reaction–diffusion PDEs u_t = ∇·(D∇u) + R(u, x, y, t) for several species
//! on 1-D and 2-D rectangular grids.
//!
//! - [`Grid`]: cell-centred finite-volume grids over the model's space spans
//!   (`grid.rs`); boundary conditions per axis side from the model: periodic,
//!   zero flux, Dirichlet (`boundary.rs`).
//! - [`ReactionDiffusion`]: the conservative semi-discrete operator, an
//!   [`piml_ode::OdeSystem`] with an exact banded (1-D) or sparse (2-D)
//!   Jacobian (`operator.rs`).
//! - [`SensitiveReactionDiffusion`]: the same with exact ∂f/∂p and ∂u₀/∂p
//!   for forward sensitivities (`parametric.rs`).
//! - [`Solver`]: method of lines (BDF with banded LU in 1-D and
//!   ILU(0)-preconditioned GMRES in 2-D, or Dormand–Prince) or,
//!   for periodic domains with constant diffusion, ETDRK4 on real FFTs
//!   (`spectral.rs`); fields at requested times (`solve.rs`).
//!
//! ```
//! use piml_model::Model;
//! use piml_pde::{Grid, Method, ReactionDiffusion, Solver};
//!
//! let model = Model::from_json_str(r#"{
//!     "space": {"x": {"span": [0, 1]}}, "boundary": "neumann",
//!     "species": {"u": {"initial": "cos(3.141592653589793*x)", "diffusion": "D"}},
//!     "parameters": {"D": {"value": 0.1}},
//!     "rates": {"u": "0"}
//! }"#, "example")?;
//! let grid = Grid::new(&model, &[64])?;
//! let rd = ReactionDiffusion::new(&model, grid, &model.parameter_values())?;
//! let solver = Solver::new(Method::Bdf).rtol(1e-8).atol(1e-10).build()?;
//! let solution = solver.solve(&rd, &rd.initial_state(), 0.0, &[1.0])?;
//! // The cosine mode decays at rate D·π² (up to the grid's O(h²) error).
//! let decay = (-0.1 * std::f64::consts::PI.powi(2)).exp();
//! let u = &solution.fields[0][0];
//! let x0 = rd.grid().axes()[0].centre(0);
//! assert!((u[0] - decay * (std::f64::consts::PI * x0).cos()).abs() < 1e-3);
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
#![deny(clippy::print_stdout, clippy::print_stderr)]

mod bind;
mod boundary;
mod error;
mod grid;
mod operator;
mod parametric;
mod random_field;
mod solve;
mod spectral;

pub use error::Error;
pub use grid::{Grid, GridAxis, MIN_CELLS};
pub use operator::{Fields, ReactionDiffusion};
pub use parametric::SensitiveReactionDiffusion;
pub use random_field::{FieldKind, RandomField};
pub use solve::{Method, Solution, Solver, SolverBuilder};
