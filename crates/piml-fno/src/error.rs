//! Errors of the operator crate.

/// What went wrong building, training, reading or applying an operator.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// An inconsistent configuration (zero width, 3-D, …).
    #[error("operator configuration: {0}")]
    Config(String),
    /// A grid the operator cannot work on (too few points for the modes, wrong dimension).
    #[error("grid: {0}")]
    Grid(String),
    /// Training data that does not fit (no samples, fields of different sizes).
    #[error("data: {0}")]
    Data(String),
    /// A weights file this crate did not write, or a damaged one.
    #[error("weights file: {0}")]
    Weights(String),
    /// A checkpoint that does not belong to this run or is damaged.
    #[error("checkpoint: {0}")]
    Checkpoint(String),
    /// Training stopped being finite.
    #[error("training diverged in epoch {epoch}: {what}")]
    Diverged { epoch: usize, what: String },
}

impl Error {
    /// Whether the user's input is at fault (exit status 2) rather than the computation (exit 1).
    pub fn is_input_error(&self) -> bool {
        !matches!(self, Error::Diverged { .. })
    }
}
