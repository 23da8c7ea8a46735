//! Every file of the bad-input corpora exits with status 2, names the field
//! (and for units the expression and both sides), and leaves no output behind:
//! testdata/bad/cases.json (reading a model) and testdata/bad/nondim/cases.json
//! (missing and inconsistent units, unusable scales).

use std::path::{Path, PathBuf};

use piml_testkit::{
    Dir, bad_cases, check_bad_inputs, check_input_kept, check_second_output_unwritable, run,
};

const BIN: &str = env!("CARGO_BIN_EXE_nondim");

fn testdata() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../testdata")
}

/// The cases of the shared corpus that are about a bad model file (the
/// others run good models with bad simulate flags).
#[test]
fn bad_models_exit_2_name_the_field_and_leave_nothing() {
    let cases: Vec<_> = bad_cases(
        &testdata().join("bad/cases.json"),
        &testdata().join("bad"),
        &[("testdata", &testdata())],
    )
    .into_iter()
    .filter(|c| c.args.is_empty() && c.model.parent() == Some(testdata().join("bad").as_path()))
    .collect();
    assert!(cases.len() >= 25);
    check_bad_inputs(BIN, &cases, &["--report"]);
}

#[test]
fn bad_units_and_scales_exit_2_naming_the_expression() {
    let cases = bad_cases(
        &testdata().join("bad/nondim/cases.json"),
        &testdata().join("bad/nondim"),
        &[],
    );
    assert!(cases.len() >= 10);
    check_bad_inputs(BIN, &cases, &["--report"]);
}

#[test]
fn an_algebraic_model_is_refused() {
    let dir = Dir::new();
    let model = testdata().join("algebraic-mm.json");
    let out = run(BIN, &[model.to_str().unwrap(), "-o", &dir.path("x.json")]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("is algebraic"));
    assert!(dir.files().is_empty());
}

#[test]
fn a_failed_run_never_overwrites_a_good_output() {
    let dir = Dir::new();
    let out = dir.path("model.nd.json");
    let good = testdata().join("morphogen-1d.json");
    let bad = testdata().join("bad/nondim/missing-units.json");
    assert!(
        run(BIN, &[good.to_str().unwrap(), "-o", &out])
            .status
            .success()
    );
    let before = std::fs::read(&out).unwrap();
    let failed = run(BIN, &[bad.to_str().unwrap(), "-o", &out]);
    assert_eq!(failed.status.code(), Some(2));
    assert_eq!(std::fs::read(&out).unwrap(), before);
    assert_eq!(dir.files(), vec!["model.nd.json"]);
}

/// `nondim m.json -o m.json` would replace the model by its dimensionless form: refused.
#[test]
fn an_output_that_is_the_model_is_refused() {
    let dir = Dir::new();
    let model = dir.path("m.json");
    std::fs::copy(testdata().join("nondim/fisher-kpp-cells.json"), &model).unwrap();
    check_input_kept(BIN, &[&model, "-o", &model], &model);
}

/// A second output in a folder that takes no files fails the run before any work, and the
/// first output's old file stays as it was.
#[test]
fn a_failed_second_output_leaves_the_first_as_it_was() {
    let dir = Dir::new();
    let first = dir.path("nd.json");
    check_second_output_unwritable(
        BIN,
        &[
            testdata()
                .join("nondim/fisher-valid.json")
                .to_str()
                .unwrap(),
            "-o",
            &first,
        ],
        &first,
        "--report",
    );
}
