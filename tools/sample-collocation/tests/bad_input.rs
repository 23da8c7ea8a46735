//! Every case of the bad-input corpus (tests/data/bad-cases.json) exits with
//! status 2, says what is wrong, and leaves neither the table nor the report behind.

use std::path::{Path, PathBuf};

use piml_testkit::{
    Dir, bad_cases, check_bad_inputs, check_input_kept, check_second_output_unwritable,
};

fn data() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data")
}

#[test]
fn bad_inputs_exit_2_say_why_and_leave_nothing() {
    let cases = bad_cases(
        &data().join("bad-cases.json"),
        &data(),
        &[("data", &data())],
    );
    assert!(cases.len() >= 20);
    check_bad_inputs(
        env!("CARGO_BIN_EXE_sample-collocation"),
        &cases,
        &["--report"],
    );
}

/// `--from r.parquet -o r.parquet` would replace the residuals by the new points: refused
/// before they are read, the file kept.
#[test]
fn an_output_that_is_the_residual_table_is_refused() {
    let dir = Dir::new();
    let residuals = dir.path("r.csv");
    std::fs::write(&residuals, "t,x,residual\n0,0,1\n").unwrap();
    let model = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../testdata/heat-1d.json");
    check_input_kept(
        env!("CARGO_BIN_EXE_sample-collocation"),
        &[
            model.to_str().unwrap(),
            "--from",
            &residuals,
            "--method",
            "rad",
            "-o",
            &residuals,
        ],
        &residuals,
    );
}

/// A second output in a folder that takes no files fails the run before any work, and the
/// first output's old file stays as it was.
#[test]
fn a_failed_second_output_leaves_the_first_as_it_was() {
    let dir = Dir::new();
    let first = dir.path("points.parquet");
    check_second_output_unwritable(
        env!("CARGO_BIN_EXE_sample-collocation"),
        &[
            data().join("diffusion-1d.json").to_str().unwrap(),
            "-o",
            &first,
            "--interior",
            "10",
        ],
        &first,
        "--report",
    );
}
