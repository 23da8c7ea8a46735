//! Errors of the model crate: all of them are the user's input to fix.

/// What is wrong with a model file or a model override.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("{file}: {reason}")]
    Read {
        file: String,
        reason: std::io::Error,
    },
    #[error("{file}: not valid JSON: {message}")]
    Syntax { file: String, message: String },
    /// A field of the document is wrong; `field` is its path (`reactions[0].rate`).
    #[error("{file}: {field}: {message}")]
    Field {
        file: String,
        field: String,
        message: String,
    },
    /// A request does not fit the model (`--set` of an unknown parameter, a spatial model where a kinetic one is needed, …).
    #[error("{message}")]
    Usage { message: String },
}

impl Error {
    /// Every model error is bad input (exit status 2).
    pub fn is_input_error(&self) -> bool {
        true
    }
}

/// An error found while walking a document, before the file name is known.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum DocError {
    Syntax(String),
    Field { field: String, message: String },
}

impl DocError {
    pub(crate) fn field(field: impl Into<String>, message: impl Into<String>) -> DocError {
        DocError::Field {
            field: field.into(),
            message: message.into(),
        }
    }

    pub(crate) fn in_file(self, file: &str) -> Error {
        match self {
            DocError::Syntax(message) => Error::Syntax {
                file: file.to_string(),
                message,
            },
            DocError::Field { field, message } => Error::Field {
                file: file.to_string(),
                field,
                message,
            },
        }
    }
}
