//! Every case of the bad-input corpus (tests/data/bad-cases.json) exits with
//! status 2, says what is wrong, and leaves neither the table nor the report behind.

use std::path::{Path, PathBuf};

use piml_testkit::{bad_cases, check_bad_inputs};

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
