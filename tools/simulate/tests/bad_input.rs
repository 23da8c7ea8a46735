//! Every file of the bad-input corpus (testdata/bad/cases.json) exits with
//! status 2, names the field or row, and leaves no output behind.

use std::path::{Path, PathBuf};

use piml_testkit::{
    Dir, bad_cases, check_bad_inputs, check_input_kept, check_second_output_unwritable, run,
};

const BIN: &str = env!("CARGO_BIN_EXE_simulate");

fn testdata() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../testdata")
}

#[test]
fn bad_inputs_exit_2_name_the_field_and_leave_nothing() {
    let cases = bad_cases(
        &testdata().join("bad/cases.json"),
        &testdata().join("bad"),
        &[("testdata", &testdata())],
    );
    assert!(cases.len() >= 25);
    check_bad_inputs(BIN, &cases, &[]);
}

#[test]
fn a_failed_run_never_overwrites_a_good_output() {
    let dir = Dir::new();
    let out = dir.path("good.parquet");
    let good = testdata().join("mm-reduced.json");
    let good = good.to_str().unwrap();
    let ok = run(BIN, &[good, "-o", &out, "--times", "0:10:1"]);
    assert!(
        ok.status.success(),
        "{}",
        String::from_utf8_lossy(&ok.stderr)
    );
    let before = std::fs::read(&out).unwrap();
    let bad = testdata().join("bad/unknown-symbol.json");
    assert_eq!(
        run(
            BIN,
            &[bad.to_str().unwrap(), "-o", &out, "--times", "0:10:1"]
        )
        .status
        .code(),
        Some(2)
    );
    // A bad flag fails after the model has been read, just before the work.
    assert_eq!(
        run(BIN, &[good, "-o", &out, "--times", "0,2,1"])
            .status
            .code(),
        Some(2)
    );
    assert_eq!(std::fs::read(&out).unwrap(), before);
    assert_eq!(dir.files(), vec!["good.parquet"]);
}

/// An output that is the model file is refused, and the model kept; so is one file named as
/// both outputs.
#[test]
fn an_output_that_is_an_input_is_refused() {
    let dir = Dir::new();
    let model = dir.path("m.json");
    std::fs::copy(testdata().join("mm-reduced.json"), &model).unwrap();
    check_input_kept(BIN, &[&model, "-o", &model, "--times", "0:1:0.5"], &model);
    let table = dir.path("t.parquet");
    let out = run(
        BIN,
        &[
            &model, "-o", &table, "--report", &table, "--times", "0:1:0.5",
        ],
    );
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(stderr.contains("named as two outputs"), "{stderr}");
    assert_eq!(dir.files(), ["m.json"]);
}

/// A second output in a folder that takes no files fails the run before any work, and the
/// first output's old file stays as it was.
#[test]
fn a_failed_second_output_leaves_the_first_as_it_was() {
    let dir = Dir::new();
    let first = dir.path("sim.parquet");
    check_second_output_unwritable(
        BIN,
        &[
            testdata().join("mm-reduced.json").to_str().unwrap(),
            "-o",
            &first,
            "--times",
            "0:1:0.5",
        ],
        &first,
        "--report",
    );
}
