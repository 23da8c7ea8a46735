//! CSV and TSV: round trips, missing-value markers, and errors that name
//! the line and column a spreadsheet user sees.

mod common;

use std::fs;
use std::path::Path;

use common::small_table;
use piml_io::{Error, Table, read_table, read_table_from, write_table};

fn read_text(name: &str, text: &str) -> Result<Table, Error> {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join(name);
    fs::write(&path, text).unwrap();
    read_table(&path)
}

#[test]
fn round_trip_keeps_values_and_drops_metadata() {
    let dir = tempfile::tempdir().unwrap();
    for name in ["data.csv", "data.tsv"] {
        let path = dir.path().join(name);
        write_table(&path, &small_table()).unwrap();
        let back = read_table(&path).unwrap();
        let mut expected = small_table();
        expected.set_metadata(Default::default());
        assert_eq!(back, expected, "{name}");
    }
    let csv = fs::read_to_string(dir.path().join("data.csv")).unwrap();
    assert!(
        csv.starts_with("t,condition,sample,u\n0,\"low, \"\"dense\"\"\",0,1.25\n"),
        "{csv}"
    );
    assert!(csv.contains("1e-300"), "{csv}");
}

#[test]
fn header_only_gives_typed_empty_columns() {
    let table = read_text("h.csv", "t,condition,sample\n").unwrap();
    assert_eq!(table.n_rows(), 0);
    assert_eq!(table.column_names(), ["t", "condition", "sample"]);
    assert!(table.f64_column("t").unwrap().is_empty());
    assert!(table.utf8_column("condition").unwrap().is_empty());
    assert!(table.i64_column("sample").unwrap().is_empty());
}

#[test]
fn missing_markers_are_null_and_cells_are_trimmed() {
    let table = read_text(
        "m.csv",
        "t, u ,condition,replicate\n0,NA,,1\n1, 2.5 ,ctl,2.0\n2,nan,x,3\n3,,y,4\n4,null,z,5\n",
    )
    .unwrap();
    assert_eq!(
        table.f64_column("u").unwrap(),
        [None, Some(2.5), None, None, None]
    );
    assert_eq!(
        table.utf8_column("condition").unwrap()[..2],
        [None, Some("ctl".to_string())]
    );
    assert_eq!(table.i64_column("replicate").unwrap(), [1, 2, 3, 4, 5]);
}

#[test]
fn bad_cells_name_line_and_column() {
    let err = read_text("bad.csv", "t,u\n0,1\n1,2\n2,abc\n").unwrap_err();
    assert!(matches!(err, Error::Cell { line: 4, .. }), "{err:?}");
    let msg = err.to_string();
    assert!(msg.ends_with("bad.csv: line 4, column 'u': expected a number, or empty/NA/NaN/null if missing, found 'abc'"), "{msg}");
    assert!(err.is_input_error());

    let msg = read_text("s.csv", "t,sample\n0,1.5\n")
        .unwrap_err()
        .to_string();
    assert!(
        msg.contains("line 2, column 'sample': expected an integer, found '1.5'"),
        "{msg}"
    );
}

#[test]
fn ragged_duplicate_and_empty_files_are_rejected() {
    let msg = read_text("r.csv", "t,u\n0,1\n1\n").unwrap_err().to_string();
    assert!(
        msg.contains("r.csv: cannot read as CSV") && msg.contains("line: 3"),
        "{msg}"
    );
    let msg = read_text("d.csv", "t,u,t\n0,1,2\n")
        .unwrap_err()
        .to_string();
    assert!(
        msg.ends_with("d.csv: column 't' appears more than once"),
        "{msg}"
    );
    let msg = read_text("e.csv", "").unwrap_err().to_string();
    assert!(msg.ends_with("e.csv: the file is empty"), "{msg}");
    let msg = read_text("n.csv", "\n\n").unwrap_err().to_string();
    assert!(msg.ends_with("n.csv: the file is empty"), "{msg}");
}

#[test]
fn stdin_text_is_sniffed_as_csv_or_tsv() {
    let stdin = Path::new("<stdin>");
    let csv = read_table_from(&b"t,u\n0,1\n"[..], stdin).unwrap();
    let tsv = read_table_from(&b"t\tu\n0\t1\n"[..], stdin).unwrap();
    assert_eq!(csv, tsv);
    assert_eq!(csv.f64_column("u").unwrap(), [Some(1.0)]);
    let msg = read_table_from(&b"t\n0\nx\n"[..], stdin)
        .unwrap_err()
        .to_string();
    assert_eq!(
        msg,
        "<stdin>: line 3, column 't': expected a number, or empty/NA/NaN/null if missing, found 'x'"
    );
}
