//! Errors of the PINN crate.

/// What went wrong setting up or training a physics-informed network.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The model, the data or the settings cannot make a PINN problem.
    #[error("{0}")]
    Input(String),
    /// A network, point-set or optimiser error.
    #[error(transparent)]
    Network(#[from] piml_nn::Error),
    /// Collocation points could not be drawn.
    #[error(transparent)]
    Sampling(#[from] piml_sampling::Error),
    /// A checkpoint that does not belong to this problem or is damaged.
    #[error("checkpoint: {0}")]
    Checkpoint(String),
    /// The solver check could not solve the model at the estimates.
    #[error("solver check: {0}")]
    Check(String),
    /// The loss or its gradient stopped being finite.
    #[error("training diverged in {phase} at step {step}: {what}; parameters {params}")]
    Diverged {
        phase: &'static str,
        step: usize,
        what: String,
        params: String,
    },
}

impl Error {
    /// Whether the user's input is at fault (exit status 2) rather than the computation (exit 1).
    pub fn is_input_error(&self) -> bool {
        match self {
            Error::Input(_) | Error::Checkpoint(_) => true,
            Error::Network(e) => e.is_input_error(),
            Error::Sampling(e) => e.is_input_error(),
            Error::Diverged { .. } | Error::Check(_) => false,
        }
    }
}
