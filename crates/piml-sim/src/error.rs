//! Errors of a simulation: bad requests, or a solver failure with its context.

#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// A request that does not fit the model (exit status 2).
    #[error("{0}")]
    Input(String),
    /// The integrator failed for one ensemble member or condition.
    #[error("{context}")]
    Solver {
        /// Which member and condition, with their parameter values.
        context: String,
        #[source]
        source: piml_ode::Error,
    },
    /// A reaction–diffusion member failed (or its settings do not fit).
    #[error("{context}")]
    Spatial {
        context: String,
        #[source]
        source: piml_pde::Error,
    },
}

impl Error {
    pub fn is_input_error(&self) -> bool {
        match self {
            Error::Input(_) => true,
            Error::Solver { source, .. } => source.is_input_error(),
            Error::Spatial { source, .. } => source.is_input_error(),
        }
    }
}
