//! Every case of the bad-input corpus (tests/data/bad-cases.json) exits with
//! status 2, says what is wrong, and leaves neither the table nor the report behind.

use std::path::{Path, PathBuf};
use std::process::Command;

fn data() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data")
}

#[derive(Debug)]
struct Case {
    model: String,
    args: Vec<String>,
    expect: String,
}

fn cases() -> Vec<Case> {
    let text = std::fs::read_to_string(data().join("bad-cases.json")).unwrap();
    let doc: serde_json::Value = serde_json::from_str(&text).unwrap();
    doc.as_array()
        .unwrap()
        .iter()
        .map(|c| Case {
            model: c["model"].as_str().unwrap().to_string(),
            args: c["args"]
                .as_array()
                .unwrap()
                .iter()
                .map(|a| {
                    a.as_str()
                        .unwrap()
                        .replace("{data}", data().to_str().unwrap())
                })
                .collect(),
            expect: c["expect"].as_str().unwrap().to_string(),
        })
        .collect()
}

#[test]
fn bad_inputs_exit_2_say_why_and_leave_nothing() {
    let cases = cases();
    assert!(cases.len() >= 20);
    for case in cases {
        let dir = tempfile::tempdir().unwrap();
        let out = dir.path().join("out.parquet");
        let report = dir.path().join("report.json");
        let result = Command::new(env!("CARGO_BIN_EXE_sample-collocation"))
            .arg(data().join(&case.model))
            .arg("-o")
            .arg(&out)
            .arg("--report")
            .arg(&report)
            .args(&case.args)
            .output()
            .unwrap();
        let stderr = String::from_utf8_lossy(&result.stderr);
        assert_eq!(result.status.code(), Some(2), "{case:?}\n{stderr}");
        assert!(stderr.starts_with("error: "), "{case:?}: {stderr}");
        assert!(
            stderr.contains(&case.expect),
            "{:?}:\n  got:  {stderr}  want: {}",
            case.args,
            case.expect
        );
        let left: Vec<_> = std::fs::read_dir(dir.path()).unwrap().collect();
        assert!(left.is_empty(), "{case:?}: left files behind: {left:?}");
    }
}
