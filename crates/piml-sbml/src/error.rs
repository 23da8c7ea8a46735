//! What stops an SBML file from becoming a piml model. Every error is the user's input to fix
//! (exit status 2) and names the file, the line and column, and the element with its id.

/// Where in the file: `model.xml:42:7`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Place {
    pub file: String,
    pub line: u32,
    pub column: u32,
}

impl std::fmt::Display for Place {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}:{}:{}", self.file, self.line, self.column)
    }
}

#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// Not well-formed XML.
    #[error("{file}: not well-formed XML: {message}")]
    Xml { file: String, message: String },
    /// An SBML construct piml does not simulate (events, delays, algebraic rules, fast
    /// reactions, …): refused rather than imported as a silently different model.
    #[error("{place}: {element}{}: {why}", id_part(.id))]
    Unsupported {
        place: Place,
        element: String,
        id: Option<String>,
        why: String,
    },
    /// A well-formed file that is not valid SBML for piml's purposes: an id used but never
    /// defined, a missing attribute, a number that does not parse.
    #[error("{place}: {element}{}: {why}", id_part(.id))]
    Invalid {
        place: Place,
        element: String,
        id: Option<String>,
        why: String,
    },
}

fn id_part(id: &Option<String>) -> String {
    id.as_ref().map_or(String::new(), |id| format!(" '{id}'"))
}

impl Error {
    /// Every error here is bad input (exit status 2).
    pub fn is_input_error(&self) -> bool {
        true
    }
}
