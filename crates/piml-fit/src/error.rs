//! Errors of a fit: the user's input (exit status 2) or the computation (exit status 1).

#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The data or the request does not fit the model: names the file, the row or the column.
    #[error("{0}")]
    Input(String),
    /// The integrator failed at the parameter values named in `context`.
    #[error("{context}")]
    Solver {
        context: String,
        #[source]
        source: piml_ode::Error,
    },
    /// No start of the optimiser reached a finite objective.
    #[error("{0}")]
    Optimisation(String),
}

impl Error {
    pub fn is_input_error(&self) -> bool {
        match self {
            Error::Input(_) => true,
            Error::Solver { source, .. } => source.is_input_error(),
            Error::Optimisation(_) => false,
        }
    }
}
