//! What can go wrong reading and writing tables and documents.
//!
//! Every variant names the file (`<stdin>`, `<stdout>` or `<table>` for a
//! table built in memory) and, where it applies, the line, row and column.

use std::io;
use std::path::PathBuf;

/// A failed read or write of a table or document.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The input could not be opened or read (missing, unreadable, a directory).
    #[error("{}: cannot read: {source}", file.display())]
    Read {
        file: PathBuf,
        #[source]
        source: io::Error,
    },

    /// The input holds no bytes at all.
    #[error("{}: the file is empty", file.display())]
    Empty { file: PathBuf },

    /// The name says Parquet but the bytes do not start with the Parquet magic `PAR1`.
    #[error("{}: not a Parquet file (it does not start with 'PAR1'); CSV tables need a .csv or .tsv name", file.display())]
    NotParquet { file: PathBuf },

    /// The Parquet reader rejected the file (truncated, corrupt, unsupported encoding).
    #[error("{}: cannot read as Parquet: {source}", file.display())]
    Parquet {
        file: PathBuf,
        #[source]
        source: parquet::errors::ParquetError,
    },

    /// The CSV reader rejected the file (ragged rows, invalid UTF-8, no header).
    #[error("{}: cannot read as CSV: {source}", file.display())]
    Csv {
        file: PathBuf,
        #[source]
        source: csv::Error,
    },

    /// A CSV cell could not be read as its column's type. `line` is the line
    /// number a spreadsheet shows (the header is line 1).
    #[error("{}: line {line}, column '{column}': expected {expected}, found '{value}'", file.display())]
    Cell {
        file: PathBuf,
        line: u64,
        column: String,
        value: String,
        expected: &'static str,
    },

    /// A Parquet value does not fit its column's role (a null or out-of-range
    /// `sample`). `row` counts data rows from 1.
    #[error("{}: row {row}, column '{column}': {problem}", file.display())]
    Value {
        file: PathBuf,
        row: u64,
        column: String,
        problem: String,
    },

    /// No row belongs to the experiment a tool was asked for (`--condition NAME`).
    #[error("{}: no row has condition '{condition}'; {}", file.display(), conditions(present))]
    NoSuchCondition {
        file: PathBuf,
        condition: String,
        present: Vec<String>,
    },

    /// Two columns share a name.
    #[error("{}: column '{column}' appears more than once", file.display())]
    DuplicateColumn { file: PathBuf, column: String },

    /// A column's type is not one a piml table holds (numbers, integers, text).
    #[error("{}: column '{column}' has type {found}; piml tables hold {expected}", file.display())]
    UnsupportedType {
        file: PathBuf,
        column: String,
        found: String,
        expected: &'static str,
    },

    /// Columns a tool needs are absent; all of them are listed at once.
    #[error("{}: missing column{} {}; the table has {}", file.display(), plural(missing.len()), quoted(missing), listed(available))]
    MissingColumns {
        file: PathBuf,
        missing: Vec<String>,
        available: Vec<String>,
    },

    /// A column exists but holds another type than the tool asked for.
    #[error("{}: column '{column}' holds {found}, expected {expected}", file.display())]
    WrongType {
        file: PathBuf,
        column: String,
        expected: &'static str,
        found: &'static str,
    },

    /// A JSON document could not be parsed (serde_json's message gives line and column).
    #[error("{}: {source}", file.display())]
    Json {
        file: PathBuf,
        #[source]
        source: serde_json::Error,
    },

    /// A table's metadata names the model it came from, but not as a JSON model document.
    #[error("{}: metadata '{key}' (the model the table came from) is damaged: {problem}", file.display())]
    Metadata {
        file: PathBuf,
        key: &'static str,
        problem: String,
    },

    /// The output cannot be created or replaced there: no such directory, no
    /// permission, or the name is a directory.
    #[error("{}: cannot write the output there: {source}", file.display())]
    OutputPath {
        file: PathBuf,
        #[source]
        source: io::Error,
    },

    /// An output would replace one of the run's inputs.
    #[error(
        "{}: the output is the input {}: writing it would destroy the input; choose another name",
        output.display(),
        input.display()
    )]
    OutputIsInput { output: PathBuf, input: PathBuf },

    /// Two outputs of one run name the same file.
    #[error("{}: named as two outputs of the run; each needs its own name", file.display())]
    OutputTwice { file: PathBuf },

    /// A checkpoint that is damaged or belongs to another run (`why` says what differs), or an
    /// input a checkpoint cannot be keyed on (stdin).
    #[error("{}: {why}", file.display())]
    Checkpoint { file: PathBuf, why: String },

    /// Writing the output failed part-way (disk full, closed pipe); nothing
    /// was left behind. The `io::Error` keeps its kind, so a tool can spot
    /// `ErrorKind::BrokenPipe`.
    #[error("{}: write failed: {source}", file.display())]
    Write {
        file: PathBuf,
        #[source]
        source: io::Error,
    },
}

impl Error {
    /// Whether the user can fix this by changing the input or the command
    /// line (exit status 2), rather than a failure while writing the result
    /// (exit status 1).
    ///
    /// Everything about reading is input: a missing, empty, malformed or
    /// wrongly typed file, missing columns. An output directory that does not
    /// exist or cannot be written to ([`Error::OutputPath`]) is a bad `-o`
    /// and counts as input too.
    /// Only a failure part-way through writing (disk full, I/O error, closed
    /// pipe) is not.
    pub fn is_input_error(&self) -> bool {
        !matches!(self, Error::Write { .. })
    }
}

/// Result of this crate's operations.
pub type Result<T, E = Error> = std::result::Result<T, E>;

fn plural(n: usize) -> &'static str {
    if n == 1 { "" } else { "s" }
}

fn quoted(names: &[String]) -> String {
    names
        .iter()
        .map(|n| format!("'{n}'"))
        .collect::<Vec<_>>()
        .join(", ")
}

fn conditions(names: &[String]) -> String {
    if names.is_empty() {
        "no row has any".to_string()
    } else {
        format!("the table has {}", names.join(", "))
    }
}

fn listed(names: &[String]) -> String {
    if names.is_empty() {
        "no columns".to_string()
    } else {
        format!("column{} {}", plural(names.len()), names.join(", "))
    }
}
