//! What stops a PEtab problem from being read or evaluated.

#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("{file}: cannot read: {source}")]
    Read {
        file: String,
        #[source]
        source: std::io::Error,
    },
    /// The YAML file is malformed or lacks a required entry.
    #[error("{file}: {why}")]
    Yaml { file: String, why: String },
    /// A table cell, column or row that does not fit the specification.
    #[error("{file}: line {line}{}: {why}", column_part(.column))]
    Table {
        file: String,
        line: usize,
        column: Option<String>,
        why: String,
    },
    /// A value given for a parameter the table does not have (`--set`).
    #[error("--set {name}: the parameter table of {file} has no '{name}'")]
    UnknownParameter { name: String, file: String },
    /// Something a PEtab problem says that piml's own model file and table cannot.
    #[error(
        "{file}: piml's model file cannot say {what}; fit-kinetics and simulate read the PEtab problem itself"
    )]
    Inexpressible { file: String, what: String },
    #[error(transparent)]
    Sbml(#[from] piml_sbml::Error),
    #[error("{file}: the imported model: {source}")]
    Model {
        file: String,
        #[source]
        source: piml_model::Error,
    },
    /// The model could not be simulated (a failed step, no steady state): a numerical
    /// failure, not bad input.
    #[error("condition '{condition}': {why}")]
    Simulation { condition: String, why: String },
}

fn column_part(column: &Option<String>) -> String {
    column
        .as_ref()
        .map_or(String::new(), |c| format!(", column '{c}'"))
}

impl Error {
    /// Bad input (exit status 2), except a simulation that failed (exit status 1).
    pub fn is_input_error(&self) -> bool {
        !matches!(self, Error::Simulation { .. })
    }
}
