//! PEtab v1 parameter-estimation problems: the YAML file, its SBML model and its four tables
//! (conditions, measurements, observables, parameters), and the likelihood exactly as the
//! PEtab specification defines it — observables with per-measurement placeholder overrides,
//! lin/log/log10 transformations, normal and Laplace noise, condition overrides of
//! parameters, initial values and compartment sizes, pre-equilibration to a steady state.

mod error;
mod evaluate;
mod fit;
mod formula;
mod problem;
mod tsv;

pub use error::Error;
pub use evaluate::{Evaluation, Settings};
pub use fit::Fit;
pub use problem::{Estimated, Problem, Scale};
