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

impl Dir {
    /// Removes everything in the directory, so that a command can run again with the same
    /// command line (which the outputs record).
    pub fn clear(&self) {
        for entry in std::fs::read_dir(self.0.path()).expect("the directory") {
            let path = entry.expect("an entry").path();
            if path.is_dir() {
                std::fs::remove_dir_all(&path).expect("a removable directory");
            } else {
                std::fs::remove_file(&path).expect("a removable file");
            }
        }
    }
}

/// An output's bytes without what may differ between two runs of one command, the wall-clock
/// timings: a JSON document's `timing` and `wall_seconds`, a table's `seconds` column.
pub fn without_timings(path: &str) -> Vec<u8> {
    let bytes = std::fs::read(path).unwrap_or_else(|e| panic!("{path}: {e}"));
    if path.ends_with(".json") {
        let mut doc: serde_json::Value = serde_json::from_slice(&bytes).expect("a JSON document");
        if let Some(fields) = doc.as_object_mut() {
            fields.remove("timing");
            fields.remove("wall_seconds");
        }
        return doc.to_string().into_bytes();
    }
    let Ok(table) = piml_io::read_table(Path::new(path)) else {
        return bytes;
    };
    if table.column("seconds").is_none() {
        return bytes;
    }
    let mut kept = piml_io::Table::new();
    for (name, column) in table.columns().filter(|(name, _)| *name != "seconds") {
        kept.push(name, column.clone());
    }
    kept.set_metadata(table.metadata().clone());
    let mut out = Vec::new();
    piml_io::write_table_to(&mut out, &kept, piml_io::Format::Parquet).expect("a table");
    out
}

/// The fault tests of a tool that checkpoints, on `args` (a run writing the files `outputs` in
/// `dir`, and its checkpoint to `dir`/ckpt/checkpoint.json every few steps): killed (SIGKILL)
/// or stopped (SIGTERM: exit status 3, saying the checkpoint was written and how to resume)
/// once the checkpoint exists, the same command resumes and ends with the outputs of an
/// uninterrupted run, timings apart.
pub fn check_interrupted_runs_resume(bin: &str, args: &[String], dir: &Dir, outputs: &[&str]) {
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let args = &args[..];
    let checkpoint = dir.path("ckpt/checkpoint.json");
    let outputs: Vec<String> = outputs.iter().map(|f| dir.path(f)).collect();
    let read = || -> Vec<Vec<u8>> { outputs.iter().map(|f| without_timings(f)).collect() };
    run_ok(bin, args);
    let expected = read();
    for signal in ["-KILL", "-TERM"] {
        dir.clear();
        let out = interrupt(bin, args, Path::new(&checkpoint), signal);
        let stderr = String::from_utf8_lossy(&out.stderr);
        if signal == "-TERM" {
            assert_eq!(out.status.code(), Some(3), "{signal}: {stderr}");
            assert!(
                stderr.contains(&format!("checkpoint written to {checkpoint}"))
                    && stderr.contains("rerun the same command to resume"),
                "{stderr}"
            );
        } else {
            assert_eq!(out.status.code(), None, "{signal}: not killed: {stderr}");
        }
        for f in &outputs {
            assert!(!Path::new(f).exists(), "{signal}: {f} written");
        }
        let resumed = run_ok(bin, args);
        let stderr = String::from_utf8_lossy(&resumed.stderr);
        assert!(stderr.contains("resuming from"), "{signal}: {stderr}");
        for ((f, want), got) in outputs.iter().zip(&expected).zip(read()) {
            assert!(
                *want == got,
                "{signal}: {f} differs from the uninterrupted run's"
            );
        }
    }
}

/// Starts `bin args` and sends it `signal` (`-KILL`, `-TERM`) once `file` (its first
/// checkpoint) exists; what it wrote and how it ended.
pub fn interrupt(bin: &str, args: &[&str], file: &Path, signal: &str) -> Output {
    let child = Command::new(bin)
        .args(args)
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("the binary runs");
    let started = std::time::Instant::now();
    while !file.exists() {
        assert!(
            started.elapsed() < std::time::Duration::from_secs(120),
            "no checkpoint appeared at {}",
            file.display()
        );
        std::thread::sleep(std::time::Duration::from_millis(5));
    }
    let pid = child.id().to_string();
    assert!(
        Command::new("kill")
            .args([signal, &pid])
            .status()
            .expect("kill runs")
            .success(),
        "the run ended before {signal}"
    );
    child.wait_with_output().expect("the run ends")
}

/// Changes a CSV file in place: its last value plus 0.01 (an input edited after a checkpoint).
pub fn change_last_value(csv: &str) {
    let text = std::fs::read_to_string(csv).unwrap_or_else(|e| panic!("{csv}: {e}"));
    let (head, last) = text.trim_end().rsplit_once(',').expect("a CSV file");
    let value: f64 = last.parse().expect("a number last");
    std::fs::write(csv, format!("{head},{}\n", value + 0.01)).expect("a writable file");
}

/// Asserts that a run exited 2 refusing its checkpoint because the content of `input` changed.
pub fn check_checkpoint_refused(out: &Output, input: &str) {
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(
        stderr.contains("checkpoint")
            && stderr.contains(&format!("the content of {input} changed")),
        "{stderr}"
    );
}
