//! Tables as files: which format a path means, reading from a file or
//! stdin, writing atomically to a file or stdout.

use std::fs::File;
use std::io::{self, Read, Seek, Write};
use std::path::Path;

use bytes::Bytes;

use crate::atomic::{Outputs, is_std_stream};
use crate::csv::{read_csv, write_csv};
use crate::error::{Error, Result};
use crate::parquet::{MAGIC, read_parquet, write_parquet};
use crate::table::Table;

/// How a table is stored.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    /// Apache Parquet: typed, compressed, with metadata.
    Parquet,
    /// Comma-separated text with a header row.
    Csv,
    /// Tab-separated text with a header row.
    Tsv,
}

impl Format {
    /// The format a file name asks for: `.csv`, `.tsv`, `.parquet`/`.pq`
    /// (any case); `None` for other names and `-`.
    pub fn from_path(path: &Path) -> Option<Format> {
        let ext = path.extension()?.to_str()?.to_ascii_lowercase();
        match ext.as_str() {
            "parquet" | "pq" => Some(Format::Parquet),
            "csv" => Some(Format::Csv),
            "tsv" => Some(Format::Tsv),
            _ => None,
        }
    }

    /// The format of bytes whose name says nothing: Parquet if they start with
    /// `PAR1`, else tab-separated if the first line has tabs and no commas,
    /// else CSV.
    pub fn sniff(head: &[u8]) -> Format {
        if head.starts_with(MAGIC) {
            return Format::Parquet;
        }
        let first_line = head.split(|&b| b == b'\n').next().unwrap_or_default();
        if first_line.contains(&b'\t') && !first_line.contains(&b',') {
            Format::Tsv
        } else {
            Format::Csv
        }
    }

    fn delimiter(self) -> u8 {
        if self == Format::Tsv { b'\t' } else { b',' }
    }
}

/// Reads a table from a Parquet, CSV or TSV file, or from stdin for `-`.
///
/// The extension decides (`.parquet`/`.pq`, `.csv`, `.tsv`); for other
/// names and for stdin the bytes do (see [`Format::sniff`]). Errors name the
/// file: missing, empty, not Parquet despite its name, malformed.
pub fn read_table(path: &Path) -> Result<Table> {
    if is_std_stream(path) {
        return read_table_from(io::stdin().lock(), Path::new("<stdin>"));
    }
    let read_error = |source| Error::Read {
        file: path.to_path_buf(),
        source,
    };
    let mut file = File::open(path).map_err(read_error)?;
    let Some(named) = Format::from_path(path) else {
        return read_table_from(file, path);
    };
    let mut head = Vec::with_capacity(MAGIC.len());
    (&mut file)
        .take(MAGIC.len() as u64)
        .read_to_end(&mut head)
        .map_err(read_error)?;
    if head.is_empty() {
        return Err(Error::Empty {
            file: path.to_path_buf(),
        });
    }
    // Parquet bytes are read as Parquet whatever the name says.
    if head == MAGIC {
        return read_parquet(file, path);
    }
    if named == Format::Parquet {
        return Err(Error::NotParquet {
            file: path.to_path_buf(),
        });
    }
    file.rewind().map_err(read_error)?;
    read_csv(file, path, named.delimiter())
}

/// Reads a whole table from a stream (stdin), choosing the format by
/// sniffing the bytes (see [`Format::sniff`]); `name` stands for the
/// stream in errors.
pub fn read_table_from(mut input: impl Read, name: &Path) -> Result<Table> {
    let mut bytes = Vec::new();
    input
        .read_to_end(&mut bytes)
        .map_err(|source| Error::Read {
            file: name.to_path_buf(),
            source,
        })?;
    if bytes.is_empty() {
        return Err(Error::Empty {
            file: name.to_path_buf(),
        });
    }
    match Format::sniff(&bytes) {
        Format::Parquet => read_parquet(Bytes::from(bytes), name),
        text => read_csv(bytes.as_slice(), name, text.delimiter()),
    }
}

/// Writes a table atomically: Parquet unless the name ends in `.csv` or
/// `.tsv` (which drop the metadata); `-` writes Parquet to stdout.
///
/// Nothing is left behind on failure and an existing file is replaced only
/// by a complete new one (see [`atomic_write`]).
pub fn write_table(path: &Path, table: &Table) -> Result<()> {
    let mut outputs = Outputs::default();
    outputs.table(path, table)?;
    outputs.commit()
}

impl Outputs {
    /// Stages a table in the format its name asks for (Parquet by default), as
    /// [`write_table`] writes it.
    pub fn table(&mut self, path: &Path, table: &Table) -> Result<()> {
        let format = Format::from_path(path).unwrap_or(Format::Parquet);
        self.write(path, |out| write_table_to(out, table, format))
    }
}

/// Writes a table to any writer in the given format, without the atomic
/// rename: for tools that stream into something they own.
pub fn write_table_to(out: impl Write + Send, table: &Table, format: Format) -> io::Result<()> {
    match format {
        Format::Parquet => write_parquet(out, table),
        text => write_csv(out, table, text.delimiter()),
    }
}
