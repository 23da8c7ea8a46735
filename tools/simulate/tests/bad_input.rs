//! Every file of the bad-input corpus (testdata/bad/cases.json) exits with
//! status 2, names the field or row, and leaves no output behind.

use std::path::{Path, PathBuf};
use std::process::Command;

fn testdata() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../testdata")
}

fn simulate(args: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_simulate"))
        .args(args)
        .output()
        .expect("simulate runs")
}

#[derive(Debug)]
struct Case {
    file: String,
    args: Vec<String>,
    expect: String,
}

fn cases() -> Vec<Case> {
    let text = std::fs::read_to_string(testdata().join("bad/cases.json")).unwrap();
    let doc: serde_json::Value = serde_json::from_str(&text).unwrap();
    doc.as_array()
        .unwrap()
        .iter()
        .map(|c| Case {
            file: c["file"].as_str().unwrap().to_string(),
            args: c["args"]
                .as_array()
                .unwrap()
                .iter()
                .map(|a| a.as_str().unwrap().to_string())
                .collect(),
            expect: c["expect"].as_str().unwrap().to_string(),
        })
        .collect()
}

#[test]
fn the_corpus_is_large_enough() {
    assert!(cases().len() >= 25);
}

#[test]
fn bad_inputs_exit_2_name_the_field_and_leave_nothing() {
    let bad = testdata().join("bad");
    for case in cases() {
        let dir = tempfile::tempdir().unwrap();
        let out = dir.path().join("out.parquet");
        let model = bad.join(&case.file);
        let mut args: Vec<String> = vec![
            model.to_str().unwrap().into(),
            "-o".into(),
            out.to_str().unwrap().into(),
        ];
        // Paths in a case's arguments are relative to testdata/.
        args.extend(
            case.args
                .iter()
                .map(|a| a.replace("{testdata}", testdata().to_str().unwrap())),
        );
        let argv: Vec<&str> = args.iter().map(String::as_str).collect();
        let result = simulate(&argv);
        let stderr = String::from_utf8_lossy(&result.stderr);
        assert_eq!(
            result.status.code(),
            Some(2),
            "{}: exit {:?}\n{stderr}",
            case.file,
            result.status.code()
        );
        assert!(stderr.starts_with("error: "), "{}: {stderr}", case.file);
        assert!(
            stderr.contains(&case.expect),
            "{}:\n  got:  {stderr}  want: {}",
            case.file,
            case.expect
        );
        let left: Vec<_> = std::fs::read_dir(dir.path()).unwrap().collect();
        assert!(
            left.is_empty(),
            "{}: left files behind: {left:?}",
            case.file
        );
    }
}

#[test]
fn a_failed_run_never_overwrites_a_good_output() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("good.parquet");
    let good = testdata().join("mm-reduced.json");
    let ok = simulate(&[
        good.to_str().unwrap(),
        "-o",
        out.to_str().unwrap(),
        "--times",
        "0:10:1",
    ]);
    assert!(
        ok.status.success(),
        "{}",
        String::from_utf8_lossy(&ok.stderr)
    );
    let before = std::fs::read(&out).unwrap();
    let bad = testdata().join("bad/unknown-symbol.json");
    let failed = simulate(&[
        bad.to_str().unwrap(),
        "-o",
        out.to_str().unwrap(),
        "--times",
        "0:10:1",
    ]);
    assert_eq!(failed.status.code(), Some(2));
    // A bad flag fails after the model has been read, just before the work.
    let failed = simulate(&[
        good.to_str().unwrap(),
        "-o",
        out.to_str().unwrap(),
        "--times",
        "0,2,1",
    ]);
    assert_eq!(failed.status.code(), Some(2));
    assert_eq!(std::fs::read(&out).unwrap(), before);
    let names: Vec<_> = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
    assert_eq!(names, vec![std::ffi::OsString::from("good.parquet")]);
}
