//! Errors of the PDE crate: a grid or method that does not fit the model, a
//! bad option, or a failed integration with the time where it failed.

/// Everything that can go wrong when setting up or solving a reaction–diffusion problem.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum Error {
    /// The grid does not fit the model's space (dimension, spans, sizes).
    #[error("grid: {reason}")]
    Grid { reason: String },
    /// The model cannot be simulated as a reaction–diffusion PDE as it stands.
    #[error("model '{model}': {reason}")]
    Model { model: String, reason: String },
    /// The chosen method does not apply to this problem.
    #[error("method {method}: {reason}")]
    Method {
        method: &'static str,
        reason: String,
    },
    /// A solver option is out of range.
    #[error("invalid option {option}: {reason}")]
    InvalidOption {
        option: &'static str,
        reason: String,
    },
    /// An initial or given field has the wrong size or is not finite.
    #[error("{what}: {reason}")]
    InvalidState { what: &'static str, reason: String },
    /// The fixed-step exponential integrator produced NaN or infinity.
    #[error(
        "non-finite value (NaN or infinity) in the solution at t = {t} (step size {h:.3e}): the step is too large or the solution blows up"
    )]
    NonFinite { t: f64, h: f64 },
    /// The method-of-lines integration failed (or its arguments were wrong).
    #[error("method of lines: {0}")]
    Ode(#[from] piml_ode::Error),
}

impl Error {
    /// True when the caller's input was wrong (exit code 2 in the tools),
    /// false when the computation itself failed (exit code 1).
    pub fn is_input_error(&self) -> bool {
        match self {
            Error::Grid { .. }
            | Error::Model { .. }
            | Error::Method { .. }
            | Error::InvalidOption { .. }
            | Error::InvalidState { .. } => true,
            Error::NonFinite { .. } => false,
            Error::Ode(e) => e.is_input_error(),
        }
    }
}
