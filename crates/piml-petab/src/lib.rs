//! PEtab v1 parameter-estimation problems: the YAML file, its SBML model and its four tables
//! (conditions, measurements, observables, parameters), and the likelihood exactly as the
//! PEtab specification defines it — observables with per-measurement placeholder overrides,
//! lin/log/log10 transformations, normal and Laplace noise, condition overrides of
//! parameters, initial values and compartment sizes, pre-equilibration to a steady state.

mod error;
mod evaluate;
mod fit;
mod formula;
mod native;
mod problem;
mod tsv;

pub use error::Error;
pub use evaluate::{Evaluation, Settings};
pub use fit::Fit;
pub use native::Native;
pub use problem::{Estimated, MeasurementRow, Problem, Scale};

/// Whether `path` names a PEtab problem (its YAML file) rather than a piml model file.
pub fn is_problem_file(path: &std::path::Path) -> bool {
    path.extension()
        .is_some_and(|e| e.eq_ignore_ascii_case("yaml") || e.eq_ignore_ascii_case("yml"))
}
