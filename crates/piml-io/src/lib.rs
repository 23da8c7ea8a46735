//! piml-io: the files that link the piml tools.
//!
//! Tables ([`Table`]) are read from Parquet, CSV or TSV files or stdin and
//! written as Parquet (or CSV/TSV) with the provenance as file-level
//! metadata, so that pandas, polars and DuckDB open them unchanged. Result
//! documents are JSON with a common envelope ([`Provenance`]). Every output
//! is written atomically ([`atomic_write`]); every error names the file and,
//! where it applies, the line, row and column, and knows whether the user can
//! fix it ([`Error::is_input_error`]). Long runs save their state in a [`Checkpoint`] keyed
//! ([`RunKey`]) on the content of their inputs ([`content_digest`]) and their settings.
#![deny(clippy::print_stdout, clippy::print_stderr)]

mod atomic;
mod checkpoint;
mod csv;
mod document;
mod error;
mod format;
mod parquet;
mod table;

pub use atomic::{Outputs, atomic_write, check_output_path, check_outputs_against_inputs};
pub use checkpoint::{Checkpoint, RunKey, content_digest, digest, f64_bits, f64_from_bits};
pub use document::{
    META_COMMAND, META_MODEL, META_SEED, META_TOOL, META_VERSION, Provenance, read_json, write_json,
};
pub use error::{Error, Result};
pub use format::{Format, read_table, read_table_from, write_table, write_table_to};
pub use table::{Column, INTEGER_COLUMNS, TEXT_COLUMNS, Table};
