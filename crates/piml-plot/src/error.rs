//! What can go wrong drawing a picture.

use std::path::PathBuf;

/// A picture that could not be drawn, naming the file and column at fault.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// A table is missing columns or holds the wrong type (piml-io's message).
    #[error(transparent)]
    Io(#[from] piml_io::Error),

    /// A column holds values the picture cannot use.
    #[error("{}: column '{column}': {problem}", file.display())]
    Column {
        file: PathBuf,
        column: String,
        problem: String,
    },

    /// A table as a whole does not suit the kind (no rows, wrong layout).
    #[error("{}: {problem}", file.display())]
    Table { file: PathBuf, problem: String },

    /// An option asks for something the inputs do not have.
    #[error("{0}")]
    Option(String),

    /// The drawing backend or the PNG encoder failed.
    #[error("drawing failed: {0}")]
    Draw(String),
}

impl Error {
    /// Whether the user can fix this by changing the input or the command line
    /// (exit status 2), rather than the drawing failing (exit status 1).
    pub fn is_input_error(&self) -> bool {
        match self {
            Error::Io(e) => e.is_input_error(),
            Error::Draw(_) => false,
            _ => true,
        }
    }
}

/// Result of this crate's operations.
pub type Result<T, E = Error> = std::result::Result<T, E>;
