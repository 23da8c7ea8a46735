//! Parquet round trips, metadata, determinism, large tables, other writers'
//! types, and the errors of bad input files.

mod common;

use std::fs;
use std::path::Path;
use std::sync::Arc;
use std::time::Instant;

use arrow_array::{
    ArrayRef, Float32Array, Int32Array, LargeStringArray, RecordBatch, UInt32Array, UInt64Array,
};
use common::small_table;
use parquet::arrow::ArrowWriter;
use parquet::file::reader::{FileReader, SerializedFileReader};
use piml_io::{
    Column, Error, Format, META_MODEL, Table, read_table, read_table_from, write_table,
    write_table_to,
};

/// A table with `rows` rows: time, a species with every 7th value missing,
/// a sample id and a condition.
fn large_table(rows: usize) -> Table {
    let mut t = Table::new();
    t.push_f64("t", (0..rows).map(|i| Some(i as f64 * 1e-3)).collect());
    t.push_f64(
        "u",
        (0..rows)
            .map(|i| (i % 7 != 0).then(|| (i as f64).sin()))
            .collect(),
    );
    t.push_i64("sample", (0..rows).map(|i| (i / 1000) as i64).collect());
    t.push_utf8(
        "condition",
        (0..rows)
            .map(|i| Some(if i % 2 == 0 { "a" } else { "b" }.to_string()))
            .collect(),
    );
    t
}

#[test]
fn round_trip_keeps_values_nulls_types_and_metadata() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("data.parquet");
    let table = small_table();
    write_table(&path, &table).unwrap();
    let back = read_table(&path).unwrap();
    assert_eq!(back, table);
    assert_eq!(back.source(), Some(path.as_path()));
    let model: serde_json::Value = serde_json::from_str(&back.metadata()[META_MODEL]).unwrap();
    assert_eq!(model["name"], "mm");
}

#[test]
fn metadata_is_file_level_key_value() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("data.parquet");
    write_table(&path, &small_table()).unwrap();
    let reader = SerializedFileReader::new(fs::File::open(&path).unwrap()).unwrap();
    let meta = reader.metadata().file_metadata();
    let keys: Vec<&str> = meta
        .key_value_metadata()
        .unwrap()
        .iter()
        .map(|kv| kv.key.as_str())
        .collect();
    assert_eq!(
        keys,
        [
            "piml.command",
            "piml.model",
            "piml.seed",
            "piml.tool",
            "piml.version"
        ]
    );
    assert!(meta.created_by().unwrap().starts_with("parquet-rs"));
}

#[test]
fn zero_rows_and_nan_survive() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("empty.parquet");
    let mut table = Table::new();
    table.push_f64("t", vec![]);
    table.push_utf8("set", vec![]);
    table.push_i64("replicate", vec![]);
    write_table(&path, &table).unwrap();
    assert_eq!(read_table(&path).unwrap(), table);

    let mut nan = Table::new();
    nan.push_f64("u", vec![Some(f64::NAN), None]);
    write_table(&path, &nan).unwrap();
    let u = read_table(&path).unwrap().f64_column("u").unwrap().to_vec();
    assert!(u[0].unwrap().is_nan() && u[1].is_none());
}

#[test]
fn same_table_gives_identical_bytes() {
    let dir = tempfile::tempdir().unwrap();
    let (a, b) = (dir.path().join("a.parquet"), dir.path().join("b.parquet"));
    write_table(&a, &small_table()).unwrap();
    write_table(&b, &small_table()).unwrap();
    assert_eq!(fs::read(&a).unwrap(), fs::read(&b).unwrap());
}

#[test]
fn large_table_round_trip() {
    let rows = 2_100_000;
    let table = large_table(rows);
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("large.parquet");
    let started = Instant::now();
    write_table(&path, &table).unwrap();
    let wrote = started.elapsed();
    let started = Instant::now();
    let back = read_table(&path).unwrap();
    let read = started.elapsed();
    assert_eq!(back.n_rows(), rows);
    assert!(back == table);
    let reader = SerializedFileReader::new(fs::File::open(&path).unwrap()).unwrap();
    assert_eq!(
        reader.metadata().num_row_groups(),
        3,
        "row groups of 2^20 rows"
    );
    eprintln!(
        "{rows} rows × 4 columns: write {wrote:.2?}, read {read:.2?}, {} MB",
        fs::metadata(&path).unwrap().len() / 1_000_000
    );
}

#[test]
fn stdin_bytes_are_sniffed_as_parquet() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("data.parquet");
    write_table(&path, &small_table()).unwrap();
    let bytes = fs::read(&path).unwrap();
    let back = read_table_from(bytes.as_slice(), Path::new("<stdin>")).unwrap();
    assert_eq!(back, small_table());
    assert_eq!(back.source(), Some(Path::new("<stdin>")));
}

#[test]
fn parquet_bytes_win_over_a_misleading_name() {
    let dir = tempfile::tempdir().unwrap();
    let parquet = dir.path().join("data.parquet");
    write_table(&parquet, &small_table()).unwrap();
    for name in ["data.csv", "data.bin"] {
        let other = dir.path().join(name);
        fs::copy(&parquet, &other).unwrap();
        assert_eq!(read_table(&other).unwrap(), small_table(), "{name}");
    }
}

/// A file written by another tool: narrower and unsigned integers, float32,
/// large strings; read as the piml roles ask.
#[test]
fn other_writers_types_are_widened() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("foreign.parquet");
    let columns: Vec<(&str, ArrayRef)> = vec![
        ("t", Arc::new(Int32Array::from(vec![0, 1, 2]))),
        (
            "u",
            Arc::new(Float32Array::from(vec![Some(0.5), None, Some(2.0)])),
        ),
        ("sample", Arc::new(UInt32Array::from(vec![7, 8, 9]))),
        ("replicate", Arc::new(UInt64Array::from(vec![1, 2, 3]))),
        (
            "condition",
            Arc::new(LargeStringArray::from(vec![Some("a"), None, Some("b")])),
        ),
        (
            "notes",
            Arc::new(LargeStringArray::from(vec!["x", "y", "z"])),
        ),
    ];
    let batch = RecordBatch::try_from_iter(columns).unwrap();
    let mut writer =
        ArrowWriter::try_new(fs::File::create(&path).unwrap(), batch.schema(), None).unwrap();
    writer.write(&batch).unwrap();
    writer.close().unwrap();

    let table = read_table(&path).unwrap();
    assert_eq!(
        table.f64_column("t").unwrap(),
        [Some(0.0), Some(1.0), Some(2.0)]
    );
    assert_eq!(table.f64_column("u").unwrap(), [Some(0.5), None, Some(2.0)]);
    assert_eq!(table.i64_column("sample").unwrap(), [7, 8, 9]);
    assert_eq!(table.i64_column("replicate").unwrap(), [1, 2, 3]);
    assert_eq!(
        table.utf8_column("condition").unwrap()[2].as_deref(),
        Some("b")
    );
    assert!(matches!(table.column("notes"), Some(Column::Utf8(_))));
    assert_eq!(
        table.unknown_columns(&["t", "u", "sample", "replicate", "condition"]),
        ["notes"]
    );
    assert!(
        table.metadata().is_empty(),
        "other writers' keys are dropped"
    );
}

#[test]
fn null_sample_is_an_error_naming_row_and_column() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("nullsample.parquet");
    let batch = RecordBatch::try_from_iter(vec![(
        "sample",
        Arc::new(Int32Array::from(vec![Some(1), None])) as ArrayRef,
    )])
    .unwrap();
    let mut writer =
        ArrowWriter::try_new(fs::File::create(&path).unwrap(), batch.schema(), None).unwrap();
    writer.write(&batch).unwrap();
    writer.close().unwrap();
    let err = read_table(&path).unwrap_err();
    assert!(matches!(err, Error::Value { row: 2, .. }), "{err}");
    assert!(
        err.to_string()
            .contains("nullsample.parquet: row 2, column 'sample': null"),
        "{err}"
    );
}

#[test]
fn bad_files_are_input_errors_naming_the_file() {
    let dir = tempfile::tempdir().unwrap();
    let missing = dir.path().join("missing.parquet");
    let empty = dir.path().join("empty.parquet");
    let text = dir.path().join("text.parquet");
    let truncated = dir.path().join("truncated.parquet");
    fs::write(&empty, b"").unwrap();
    fs::write(&text, b"t,u\n1,2\n").unwrap();
    write_table(&truncated, &small_table()).unwrap();
    let bytes = fs::read(&truncated).unwrap();
    fs::write(&truncated, &bytes[..bytes.len() / 2]).unwrap();

    for (path, expected) in [
        (&missing, "cannot read"),
        (&empty, "the file is empty"),
        (&text, "not a Parquet file"),
        (&truncated, "cannot read as Parquet"),
    ] {
        let err = read_table(path).unwrap_err();
        let msg = err.to_string();
        assert!(msg.starts_with(&path.display().to_string()), "{msg}");
        assert!(msg.contains(expected), "{msg}");
        assert!(err.is_input_error(), "{msg}");
    }
    let err = read_table_from(&b""[..], Path::new("<stdin>")).unwrap_err();
    assert_eq!(err.to_string(), "<stdin>: the file is empty");
}

/// A reader that closed its end: every write fails as a closed pipe would.
struct ClosedPipe;

impl std::io::Write for ClosedPipe {
    fn write(&mut self, _: &[u8]) -> std::io::Result<usize> {
        Err(std::io::ErrorKind::BrokenPipe.into())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

#[test]
fn a_closed_pipe_stays_a_broken_pipe() {
    for format in [Format::Parquet, Format::Csv] {
        let err = write_table_to(ClosedPipe, &large_table(100_000), format).unwrap_err();
        assert_eq!(
            err.kind(),
            std::io::ErrorKind::BrokenPipe,
            "{format:?}: {err}"
        );
    }
}
