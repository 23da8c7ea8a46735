//! Errors of the nondimensionalisation: all of them are the user's input to fix.

/// What stops a model from being made dimensionless or analysed.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// A unit is missing, does not parse, or an expression is inconsistent;
    /// `field` names the place (`reactions[0].rate`), `message` the expression and both sides.
    #[error("{field}: {message}")]
    Units { field: String, message: String },
    /// A `--scale` that cannot be used.
    #[error("--scale {name}: {message}")]
    Scale { name: String, message: String },
    /// The model does not fit the request (a condition that moves a scale, …).
    #[error("{field}: {message}")]
    Model { field: String, message: String },
    /// A table that cannot be used as it is (damaged metadata).
    #[error(transparent)]
    Table(#[from] piml_io::Error),
}

impl Error {
    /// Every error here is bad input (exit status 2).
    pub fn is_input_error(&self) -> bool {
        true
    }

    pub(crate) fn units(field: impl Into<String>, message: impl Into<String>) -> Error {
        Error::Units {
            field: field.into(),
            message: message.into(),
        }
    }
}
