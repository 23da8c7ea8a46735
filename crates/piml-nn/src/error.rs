//! Errors of the network crate.

/// What went wrong building, evaluating, training, reading or writing a network.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The network's description is inconsistent (a width of zero, an empty input span, …).
    #[error("network architecture: {0}")]
    Architecture(String),
    /// A point set does not fit the network (wrong number of coordinates, missing u0 jets, …).
    #[error("point set {set}: {message}")]
    Points { set: usize, message: String },
    /// A parameter or gradient vector has the wrong length.
    #[error("{what} has length {got}, expected {expected}")]
    Length {
        what: &'static str,
        got: usize,
        expected: usize,
    },
    /// A safetensors weights file is not one this crate wrote, or is damaged.
    #[error("weights file: {0}")]
    Weights(String),
    /// The optimiser failed (the objective returned a non-finite value, the line search failed, …).
    #[error("optimiser: {0}")]
    Optimiser(String),
}

impl From<piml_optim::Error> for Error {
    fn from(e: piml_optim::Error) -> Error {
        Error::Optimiser(e.0)
    }
}

impl Error {
    /// Whether the user's input is at fault (exit status 2) rather than the computation (exit 1).
    pub fn is_input_error(&self) -> bool {
        !matches!(self, Error::Optimiser(_))
    }
}
