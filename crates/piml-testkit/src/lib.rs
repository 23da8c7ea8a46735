//! What the tools' end-to-end tests share: a temporary directory, running a
//! tool's binary, and checking a bad-input corpus. For tests only: these
//! helpers panic with a message where a test would.
#![allow(clippy::missing_panics_doc)]

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

/// A temporary directory that is removed at the end of the test.
#[derive(Debug)]
pub struct Dir(tempfile::TempDir);

impl Dir {
    pub fn new() -> Dir {
        Dir(tempfile::tempdir().expect("a temporary directory"))
    }

    /// The path of `name` inside the directory, as a string for argv.
    pub fn path(&self, name: &str) -> String {
        self.0
            .path()
            .join(name)
            .to_str()
            .expect("a UTF-8 path")
            .to_string()
    }

    /// The names of the files the directory holds.
    pub fn files(&self) -> Vec<String> {
        let mut names: Vec<String> = std::fs::read_dir(self.0.path())
            .expect("the directory")
            .map(|e| {
                e.expect("an entry")
                    .file_name()
                    .to_string_lossy()
                    .into_owned()
            })
            .collect();
        names.sort();
        names
    }
}

impl Default for Dir {
    fn default() -> Dir {
        Dir::new()
    }
}

/// A folder in which no process can create a file, root included (permissions do not bind
/// root, and the proc file system takes no new files from anyone): where the failure of an
/// output in a read-only folder is tested.
pub const UNWRITABLE: &str = "/proc";

/// Runs `bin ARGS FLAG /proc/NAME`, where `args` also write the output `first`, which already
/// holds a good file: the run must exit 2 naming the unwritable output before any work, and
/// leave `first` byte for byte as it was with nothing beside it.
pub fn check_second_output_unwritable(bin: &str, args: &[&str], first: &str, flag: &str) {
    let old = b"a good output of an earlier run\n";
    std::fs::write(first, old).expect("writing the old output");
    let second = format!("{UNWRITABLE}/second-output");
    let out = run(bin, &[args, &[flag, &second]].concat());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{args:?} {flag}: {stderr}");
    assert!(
        stderr.contains(&format!(
            "{second}: cannot write the output there: cannot create a file in '{UNWRITABLE}'"
        )),
        "{stderr}"
    );
    assert_eq!(
        std::fs::read(first).expect("the old output"),
        old,
        "{args:?}"
    );
    let folder = Path::new(first).parent().expect("a folder");
    let names: Vec<_> = std::fs::read_dir(folder)
        .expect("the folder")
        .map(|e| e.expect("an entry").file_name())
        .filter(|n| n.to_string_lossy().starts_with('.'))
        .collect();
    assert!(names.is_empty(), "temporaries left behind: {names:?}");
}

/// Runs `bin` with `args`, in which an output names the input file `input`: the run must exit 2
/// saying so, and leave `input` byte for byte as it was.
pub fn check_input_kept(bin: &str, args: &[&str], input: &str) {
    let before = std::fs::read(input).unwrap_or_else(|e| panic!("{input}: {e}"));
    let out = run(bin, args);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{args:?}: {stderr}");
    assert!(
        stderr.contains("the output is the input"),
        "{args:?}: {stderr}"
    );
    assert_eq!(
        std::fs::read(input).unwrap(),
        before,
        "{args:?} changed {input}"
    );
}

/// Runs a binary with arguments.
pub fn run(bin: &str, args: &[&str]) -> Output {
    Command::new(bin)
        .args(args)
        .output()
        .expect("the binary runs")
}

/// Runs a binary and asserts it succeeded, showing its stderr if not.
pub fn run_ok(bin: &str, args: &[&str]) -> Output {
    let out = run(bin, args);
    assert!(
        out.status.success(),
        "{bin} {args:?}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    out
}

/// A column of numbers that has no missing values.
pub fn values(table: &piml_io::Table, name: &str) -> Vec<f64> {
    let column = table.f64_values(name).unwrap_or_else(|e| panic!("{e}"));
    column
        .into_iter()
        .map(|v| v.unwrap_or_else(|| panic!("column '{name}' has a missing value")))
        .collect()
}

/// One case of a bad-input corpus: the model file, extra arguments, and a
/// text the error message must contain.
#[derive(Debug, Clone, PartialEq)]
pub struct BadCase {
    pub model: PathBuf,
    pub args: Vec<String>,
    pub expect: String,
}

/// Reads a corpus: a JSON list of `{"model", "args", "expect"}`. Model paths
/// are relative to `models`; `{name}` in an argument is replaced by the
/// directory `substitutions` gives for it.
pub fn bad_cases(corpus: &Path, models: &Path, substitutions: &[(&str, &Path)]) -> Vec<BadCase> {
    let text =
        std::fs::read_to_string(corpus).unwrap_or_else(|e| panic!("{}: {e}", corpus.display()));
    let doc: serde_json::Value = serde_json::from_str(&text).expect("the corpus is JSON");
    let field = |c: &serde_json::Value, k: &str| {
        c[k].as_str()
            .unwrap_or_else(|| panic!("case {c}: no '{k}'"))
            .to_string()
    };
    doc.as_array()
        .expect("the corpus is a list")
        .iter()
        .map(|c| BadCase {
            model: models.join(field(c, "model")),
            args: c["args"]
                .as_array()
                .expect("args is a list")
                .iter()
                .map(|a| {
                    let mut a = a.as_str().expect("args are strings").to_string();
                    for (name, dir) in substitutions {
                        a = a.replace(&format!("{{{name}}}"), dir.to_str().expect("a UTF-8 path"));
                    }
                    a
                })
                .collect(),
            expect: field(c, "expect"),
        })
        .collect()
}

/// Runs `bin MODEL -o DIR/out.parquet [outputs…] ARGS` for every case, each output already
/// holding a good file, and asserts: exit status 2, `error: ` first, the expected text in the
/// message, every old output byte for byte as it was and nothing else in the directory. `outputs` are further
/// output flags (such as `--report`) pointed into the same directory.
pub fn check_bad_inputs(bin: &str, cases: &[BadCase], outputs: &[&str]) {
    check_bad_inputs_of(bin, &[], cases, outputs);
}

/// [`check_bad_inputs`] for a tool with subcommands: `leading` (such as
/// `["structural"]`) comes before the model.
pub fn check_bad_inputs_of(bin: &str, leading: &[&str], cases: &[BadCase], outputs: &[&str]) {
    // Every case runs and reports: one failure does not hide the others.
    let failures: Vec<String> = cases
        .iter()
        .filter_map(|case| bad_input_failure(bin, leading, case, outputs))
        .collect();
    assert!(
        failures.is_empty(),
        "{} of {} bad-input cases failed:\n\n{}",
        failures.len(),
        cases.len(),
        failures.join("\n\n")
    );
}

/// What is wrong with one case's run, if anything. Every output already exists (a good file
/// from an earlier run) and must be left byte for byte as it was, with nothing beside it.
fn bad_input_failure(
    bin: &str,
    leading: &[&str],
    case: &BadCase,
    outputs: &[&str],
) -> Option<String> {
    let dir = Dir::new();
    let mut args: Vec<String> = leading.iter().map(|a| a.to_string()).collect();
    args.extend([
        case.model.to_str().expect("a UTF-8 path").into(),
        "-o".into(),
        dir.path("out.parquet"),
    ]);
    for (i, flag) in outputs.iter().enumerate() {
        args.extend([flag.to_string(), dir.path(&format!("output-{i}.json"))]);
    }
    let old: Vec<(String, Vec<u8>)> = std::iter::once("out.parquet".to_string())
        .chain((0..outputs.len()).map(|i| format!("output-{i}.json")))
        .map(|name| {
            let bytes = format!("{name}: a good output of an earlier run\n").into_bytes();
            std::fs::write(dir.path(&name), &bytes).expect("writing an old output");
            (name, bytes)
        })
        .collect();
    args.extend(case.args.iter().cloned());
    let argv: Vec<&str> = args.iter().map(String::as_str).collect();
    let result = run(bin, &argv);
    let stderr = String::from_utf8_lossy(&result.stderr);
    let mut names: Vec<String> = old.iter().map(|(name, _)| name.clone()).collect();
    names.sort();
    let changed: Vec<&str> = old
        .iter()
        .filter(|(name, bytes)| std::fs::read(dir.path(name)).ok().as_ref() != Some(bytes))
        .map(|(name, _)| name.as_str())
        .collect();
    let problem = if result.status.code() != Some(2) {
        format!("exit {:?}, not 2", result.status.code())
    } else if !stderr.starts_with("error: ") {
        "the message does not start with 'error: '".to_string()
    } else if !stderr.contains(&case.expect) {
        format!("the message lacks '{}'", case.expect)
    } else if !changed.is_empty() {
        format!("changed the old outputs {changed:?}")
    } else if dir.files() != names {
        format!("left files behind: {:?}", dir.files())
    } else {
        return None;
    };
    Some(format!("{case:?}: {problem}\n  stderr: {stderr}"))
}
