//! Atomic writes: a failed write leaves nothing behind and never replaces a
//! good file; JSON documents go through the same path.

mod common;

use std::fs;
use std::io::{self, Write};
use std::path::Path;

use common::small_table;
use piml_io::{
    Error, Outputs, Provenance, atomic_write, check_outputs_against_inputs, read_json, write_json,
    write_table,
};

fn names_in(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    names
}

fn failing(out: &mut (dyn Write + Send)) -> io::Result<()> {
    out.write_all(b"half a file")?;
    Err(io::Error::new(
        io::ErrorKind::BrokenPipe,
        "reader went away",
    ))
}

#[test]
fn failed_write_leaves_no_file() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("out.parquet");
    let err = atomic_write(&path, failing).unwrap_err();
    assert!(!path.exists());
    assert!(
        names_in(dir.path()).is_empty(),
        "stray files: {:?}",
        names_in(dir.path())
    );
    assert!(!err.is_input_error());
    match err {
        Error::Write { source, .. } => assert_eq!(source.kind(), io::ErrorKind::BrokenPipe),
        other => panic!("expected a write error, got {other:?}"),
    }
}

#[test]
fn failed_write_keeps_the_existing_file() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("out.json");
    fs::write(&path, b"good").unwrap();
    atomic_write(&path, failing).unwrap_err();
    assert_eq!(fs::read(&path).unwrap(), b"good");
    assert_eq!(names_in(dir.path()), ["out.json"]);
}

#[test]
fn successful_write_replaces_and_leaves_only_the_output() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("out.csv");
    fs::write(&path, b"old").unwrap();
    write_table(&path, &small_table()).unwrap();
    assert!(
        fs::read_to_string(&path)
            .unwrap()
            .starts_with("t,condition")
    );
    assert_eq!(names_in(dir.path()), ["out.csv"]);
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = fs::metadata(&path).unwrap().permissions().mode();
        assert_ne!(
            mode & 0o044,
            0,
            "readable by others like a plain create: {mode:o}"
        );
    }
}

#[test]
fn missing_output_directory_is_an_input_error() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("no/such/dir/out.parquet");
    let err = write_table(&path, &small_table()).unwrap_err();
    assert!(matches!(err, Error::OutputPath { .. }), "{err:?}");
    assert!(err.is_input_error());
    assert!(err.to_string().contains("no/such/dir/out.parquet"), "{err}");
}

#[test]
fn json_documents_are_pretty_valid_and_read_back() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("fit.json");
    let provenance = Provenance {
        tool: "fit-kinetics".into(),
        version: "0.1.0".into(),
        command: vec!["fit-kinetics".into()],
        seed: None,
    };
    let body =
        serde_json::json!({"objective": f64::NAN, "aic": f64::NEG_INFINITY, "iterations": 12});
    write_json(&path, &provenance.document("mm", body)).unwrap();
    let text = fs::read_to_string(&path).unwrap();
    assert!(
        text.ends_with("}\n") && text.contains("\n  \"tool\": \"fit-kinetics\""),
        "{text}"
    );
    let back: serde_json::Value = read_json(&path).unwrap();
    assert_eq!(back["seed"], serde_json::Value::Null);
    assert_eq!(
        back["objective"],
        serde_json::Value::Null,
        "NaN is written as null"
    );
    assert_eq!(back["aic"], serde_json::Value::Null);
    assert_eq!(back["iterations"], 12);

    /// A struct field that is not finite goes through serde the same way.
    #[derive(serde::Serialize)]
    struct Fit {
        stderr: f64,
    }
    write_json(
        &path,
        &Fit {
            stderr: f64::INFINITY,
        },
    )
    .unwrap();
    assert_eq!(
        fs::read_to_string(&path).unwrap(),
        "{\n  \"stderr\": null\n}\n"
    );
}

#[test]
fn malformed_json_names_file_line_and_column() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("bad.json");
    fs::write(&path, "{\n  \"a\": 1,\n}\n").unwrap();
    let err = read_json::<serde_json::Value>(&path).unwrap_err();
    let msg = err.to_string();
    assert!(
        msg.starts_with(&path.display().to_string()) && msg.contains("line 3"),
        "{msg}"
    );
    assert!(err.is_input_error());
}

/// A run's outputs go in together or not at all: the first is staged, the second fails (its
/// folder is gone, as a full disk or a read-only folder would fail it), and the first old file
/// is still there, byte for byte, with no temporary left beside it.
#[test]
fn a_failed_second_output_leaves_the_first_old_file_as_it_was() {
    let dir = tempfile::tempdir().unwrap();
    let first = dir.path().join("fit.json");
    fs::write(&first, b"old fit").unwrap();
    let mut outputs = Outputs::default();
    outputs
        .json(&first, &serde_json::json!({"new": true}))
        .unwrap();
    let err = outputs
        .write(&dir.path().join("gone/predictions.csv"), |w| {
            w.write_all(b"x")
        })
        .unwrap_err();
    assert!(err.is_input_error(), "{err}");
    drop(outputs);
    assert_eq!(fs::read(&first).unwrap(), b"old fit");
    assert_eq!(names_in(dir.path()), ["fit.json"]);

    // Without a failure, commit puts both in place.
    let second = dir.path().join("predictions.csv");
    let mut outputs = Outputs::default();
    outputs
        .json(&first, &serde_json::json!({"new": true}))
        .unwrap();
    outputs.table(&second, &small_table()).unwrap();
    assert_eq!(
        fs::read(&first).unwrap(),
        b"old fit",
        "nothing before the commit"
    );
    outputs.commit().unwrap();
    assert!(
        fs::read_to_string(&first)
            .unwrap()
            .contains("\"new\": true")
    );
    assert_eq!(names_in(dir.path()), ["fit.json", "predictions.csv"]);
}

/// An output that is an input — the same name, another spelling of it, a hard link — is
/// refused before anything is written; so is one file named as two outputs.
#[test]
fn an_output_that_is_an_input_or_named_twice_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("d.csv");
    fs::write(&data, b"t,u\n0,1\n").unwrap();
    let other_spelling = dir.path().join(".").join("d.csv");
    let link = dir.path().join("link.csv");
    fs::hard_link(&data, &link).unwrap();
    let fresh = dir.path().join("fit.json");
    for output in [&data, &other_spelling, &link] {
        let err = check_outputs_against_inputs(&[&fresh, output], &[&data]).unwrap_err();
        assert!(
            matches!(err, Error::OutputIsInput { .. }) && err.is_input_error(),
            "{err}"
        );
        assert!(err.to_string().contains("the output is the input"), "{err}");
    }
    check_outputs_against_inputs(&[&fresh, Path::new("-")], &[&data, Path::new("-")]).unwrap();
    let err =
        check_outputs_against_inputs(&[&fresh, &dir.path().join("./fit.json")], &[]).unwrap_err();
    assert!(matches!(err, Error::OutputTwice { .. }), "{err}");
    assert_eq!(fs::read(&data).unwrap(), b"t,u\n0,1\n");
}
