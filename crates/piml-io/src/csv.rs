//! Tables as CSV (or tab-separated) text, for data typed into a spreadsheet.
//!
//! Reading: a header row is required; `condition` and `set` are text,
//! `sample` and `replicate` integers, every other column numbers, where an
//! empty cell, `NA`, `N/A`, `NaN` or `null` (any case) is a missing value.
//! Writing: the same layout; missing values are empty cells, NaN is written
//! as `NaN` (and so reads back as missing), and the metadata is dropped —
//! CSV has no place for it; write Parquet to keep it.

use std::fmt::Write as _;
use std::io::{self, Read, Write};
use std::path::Path;

use ::csv::{ReaderBuilder, StringRecord, Trim, WriterBuilder};

use crate::error::{Error, Result};
use crate::table::{Column, Table, first_duplicate};

/// Cells that mean "not measured" in a numeric column (compared ignoring case).
const MISSING: [&str; 5] = ["", "na", "n/a", "nan", "null"];

/// Reads a CSV table; `file` names it in errors.
pub(crate) fn read_csv<R: Read>(input: R, file: &Path, delimiter: u8) -> Result<Table> {
    let csv_error = |source| Error::Csv {
        file: file.to_path_buf(),
        source,
    };
    let mut reader = ReaderBuilder::new()
        .delimiter(delimiter)
        .trim(Trim::All)
        .from_reader(input);
    let header = reader.headers().map_err(csv_error)?.clone();
    if header.iter().all(str::is_empty) {
        return Err(Error::Empty {
            file: file.to_path_buf(),
        });
    }
    if let Some(column) = first_duplicate(header.iter()) {
        return Err(Error::DuplicateColumn {
            file: file.to_path_buf(),
            column: column.to_string(),
        });
    }
    let mut columns: Vec<Column> = header
        .iter()
        .map(|name| Column::for_role(name, false, 0))
        .collect();

    let mut record = StringRecord::new();
    while reader.read_record(&mut record).map_err(csv_error)? {
        let line = record.position().map_or(0, ::csv::Position::line);
        for ((name, column), cell) in header.iter().zip(&mut columns).zip(record.iter()) {
            let bad = |expected| Error::Cell {
                file: file.to_path_buf(),
                line,
                column: name.to_string(),
                value: cell.to_string(),
                expected,
            };
            match column {
                Column::F64(out) => out.push(
                    parse_number(cell)
                        .ok_or_else(|| bad("a number, or empty/NA/NaN/null if missing"))?,
                ),
                Column::I64(out) => out.push(parse_integer(cell).ok_or_else(|| bad("an integer"))?),
                Column::Utf8(out) => out.push((!cell.is_empty()).then(|| cell.to_string())),
            }
        }
    }

    let mut table = Table::new();
    for (name, column) in header.iter().zip(columns) {
        table.push(name, column);
    }
    table.set_source(file);
    Ok(table)
}

/// Writes the table as CSV with the given delimiter; the metadata is dropped.
pub(crate) fn write_csv<W: Write>(out: W, table: &Table, delimiter: u8) -> io::Result<()> {
    let mut writer = WriterBuilder::new().delimiter(delimiter).from_writer(out);
    writer.write_record(table.column_names()).map_err(into_io)?;
    let columns: Vec<&Column> = table.columns().map(|(_, c)| c).collect();
    let mut cell = String::new();
    for row in 0..table.n_rows() {
        for column in &columns {
            cell.clear();
            match column {
                Column::F64(v) => {
                    if let Some(x) = v[row] {
                        format_number(&mut cell, x);
                    }
                }
                Column::Utf8(v) => cell.push_str(v[row].as_deref().unwrap_or("")),
                Column::I64(v) => write!(cell, "{}", v[row]).expect("writing to a String"),
            }
            writer.write_field(&cell).map_err(into_io)?;
        }
        writer.write_record(None::<&[u8]>).map_err(into_io)?;
    }
    writer.flush()
}

/// A numeric cell: `Some(None)` for a missing value, `None` if unreadable.
fn parse_number(cell: &str) -> Option<Option<f64>> {
    if MISSING.iter().any(|m| cell.eq_ignore_ascii_case(m)) {
        return Some(None);
    }
    cell.parse().ok().map(Some)
}

/// An integer cell; `3.0` is accepted because spreadsheets and pandas write
/// integer columns that way once a value was missing anywhere.
fn parse_integer(cell: &str) -> Option<i64> {
    if let Ok(i) = cell.parse() {
        return Some(i);
    }
    let x: f64 = cell.parse().ok()?;
    // The range check keeps `as` exact: every integral f64 in it is an i64.
    (x.fract() == 0.0 && x.abs() < 9.0e18).then_some(x as i64)
}

/// Shortest text that reads back to the same f64: plain decimals for
/// ordinary magnitudes, exponent notation for very small or large ones
/// (Rust's `{}` would write 1e-300 with 300 digits).
fn format_number(out: &mut String, x: f64) {
    let plain = x == 0.0 || !x.is_finite() || (1e-5..1e16).contains(&x.abs());
    if plain {
        write!(out, "{x}")
    } else {
        write!(out, "{x:e}")
    }
    .expect("writing to a String");
}

/// The `io::Error` inside a CSV write error, kind intact (a closed pipe stays
/// `BrokenPipe`).
fn into_io(err: ::csv::Error) -> io::Error {
    match err.into_kind() {
        ::csv::ErrorKind::Io(e) => e,
        other => io::Error::other(format!("{other:?}")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_write_shortest_and_read_back_exactly() {
        for x in [
            0.0,
            -0.0,
            0.1,
            1.0 / 3.0,
            1e-300,
            6.02e23,
            123456.789,
            -1e-7,
            f64::MAX,
        ] {
            let mut s = String::new();
            format_number(&mut s, x);
            assert!(s.len() <= 24, "{s}");
            assert_eq!(s.parse::<f64>().unwrap().to_bits(), x.to_bits(), "{s}");
        }
    }

    #[test]
    fn missing_markers_and_integers() {
        for cell in ["", "NA", "n/a", "NaN", "NULL"] {
            assert_eq!(parse_number(cell), Some(None), "{cell}");
        }
        assert_eq!(parse_number("1e-3"), Some(Some(1e-3)));
        assert_eq!(parse_number("1,5"), None);
        assert_eq!(parse_integer("7"), Some(7));
        assert_eq!(parse_integer("7.0"), Some(7));
        assert_eq!(parse_integer("7.5"), None);
        assert_eq!(parse_integer(""), None);
    }
}
