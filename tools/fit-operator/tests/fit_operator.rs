//! fit-operator end to end on the heat equation (exact data written here): train, evaluate on
//! held-out samples at the training and a finer resolution, predict, bad input.

use std::fmt::Write;
use std::path::Path;

use piml_testkit::{
    Dir, check_checkpoint_refused, check_input_kept, check_interrupted_runs_resume,
    check_second_output_unwritable, run, run_ok, values,
};

const BIN: &str = env!("CARGO_BIN_EXE_fit-operator");

/// Samples `first..first + count` of random initial fields on n points of [0, 1) and their exact
/// heat-equation solutions at t = 0.1 (ν = 0.01): Σ a_k sin(2πkx + φ_k) decays mode by mode.
fn heat_csv(path: &str, first: usize, count: usize, n: usize) {
    let mut csv = String::from("sample,t,x,u\n");
    for s in first..first + count {
        let modes: Vec<(f64, f64, f64)> = (1..=5)
            .map(|k| {
                let h = |salt: f64| ((s as f64 * 7.31 + k as f64 * salt).sin() * 9341.7).fract();
                (
                    k as f64,
                    h(1.7) / k as f64,
                    std::f64::consts::TAU * h(4.9).abs(),
                )
            })
            .collect();
        for (t, decay) in [(0.0, false), (0.1, true)] {
            for j in 0..n {
                let x = j as f64 / n as f64;
                let u: f64 = modes
                    .iter()
                    .map(|&(k, a, phi)| {
                        let w = std::f64::consts::TAU * k;
                        let f = if decay {
                            (-0.01 * w * w * 0.1f64).exp()
                        } else {
                            1.0
                        };
                        a * f * (w * x + phi).sin()
                    })
                    .sum();
                writeln!(csv, "{s},{t},{x},{u}").unwrap();
            }
        }
    }
    std::fs::write(path, csv).unwrap();
}

/// A small operator: 8 modes, 12 channels, two Fourier layers, a projection of 24.
const SMALL: [&str; 8] = [
    "--modes",
    "8",
    "--width",
    "12",
    "--layers",
    "2",
    "--projection",
    "24",
];

fn eval_mean(op: &str, data: &str) -> f64 {
    let out = run_ok(BIN, &["eval", op, data]);
    let doc: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    doc["relative_l2"]["mean"].as_f64().unwrap()
}

#[test]
fn trains_evaluates_and_predicts_across_resolutions() {
    let dir = Dir::new();
    let (train, op, report) = (
        dir.path("train.csv"),
        dir.path("op.safetensors"),
        dir.path("r.json"),
    );
    heat_csv(&train, 0, 150, 32);
    let rest = [
        "--epochs",
        "60",
        "--batch",
        "10",
        "--lr",
        "5e-3",
        "--lr-decay",
        "0.5:20",
        "--test-fraction",
        "0.2",
        "--report",
        &report,
        "--seed",
        "2",
        "-q",
    ];
    run_ok(
        BIN,
        &[&["train", &train, "-o", &op], &SMALL[..], &rest].concat(),
    );
    let r: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&report).unwrap()).unwrap();
    assert_eq!(r["samples"]["train"], 120);
    assert_eq!(r["samples"]["test"], 30);
    // Held-out samples, at the training resolution and at 4× finer.
    let (held32, held128) = (dir.path("h32.csv"), dir.path("h128.csv"));
    heat_csv(&held32, 1000, 30, 32);
    heat_csv(&held128, 1000, 30, 128);
    let (e32, e128) = (eval_mean(&op, &held32), eval_mean(&op, &held128));
    assert!(e32 < 1e-2, "held-out relative L2 {e32:.3e}");
    assert!(
        e128 < 1.5 * e32,
        "128 points: {e128:.3e} against {e32:.3e} at 32"
    );
    // Predictions at 128 points agree with the exact solution as well as eval says.
    let pred = dir.path("pred.parquet");
    run_ok(BIN, &["predict", &op, &held128, "-o", &pred]);
    let p = piml_io::read_table(Path::new(&pred)).unwrap();
    let truth = piml_io::read_table(Path::new(&held128)).unwrap();
    let (t, u) = (values(&truth, "t"), values(&truth, "u"));
    let exact: Vec<f64> = t
        .iter()
        .zip(&u)
        .filter(|(t, _)| **t > 0.0)
        .map(|(_, u)| *u)
        .collect();
    let got = values(&p, "u");
    assert_eq!(got.len(), exact.len());
    assert!(values(&p, "t").iter().all(|&t| (t - 0.1).abs() < 1e-15));
    let err: f64 = got
        .iter()
        .zip(&exact)
        .map(|(a, b)| (a - b).powi(2))
        .sum::<f64>()
        .sqrt();
    let norm: f64 = exact.iter().map(|b| b * b).sum::<f64>().sqrt();
    assert!(err / norm < 2.0 * e128, "{}", err / norm);
}

#[test]
fn same_seed_and_threads_give_the_same_operator_bytes() {
    let dir = Dir::new();
    let train = dir.path("train.csv");
    heat_csv(&train, 0, 20, 16);
    let mut bytes = Vec::new();
    for name in ["a", "b"] {
        let op = dir.path(&format!("{name}.safetensors"));
        run_ok(
            BIN,
            &[
                "train",
                &train,
                "-o",
                &op,
                "--modes",
                "4",
                "--width",
                "6",
                "--layers",
                "2",
                "--projection",
                "8",
                "--epochs",
                "3",
                "--batch",
                "4",
                "--threads",
                "2",
                "-q",
            ],
        );
        bytes.push(std::fs::read(&op).unwrap());
    }
    assert!(bytes[0] == bytes[1]);
}

#[test]
fn bad_input_exits_2_and_writes_nothing() {
    let dir = Dir::new();
    let train = dir.path("train.csv");
    heat_csv(&train, 0, 10, 16);
    let ragged = dir.path("ragged.csv");
    let text = std::fs::read_to_string(&train).unwrap();
    let mut lines: Vec<&str> = text.lines().collect();
    lines.remove(5);
    std::fs::write(&ragged, lines.join("\n")).unwrap();
    let no_x = dir.path("no-x.csv");
    std::fs::write(&no_x, "sample,t,u\n0,0,1\n0,1,2\n").unwrap();
    // An ensemble whose model metadata is damaged: read as "no model", the domain's origin
    // would silently become 0.
    let damaged = dir.path("damaged.parquet");
    let mut table = piml_io::read_table(Path::new(&train)).unwrap();
    table.set_metadata([("piml.model".to_string(), "{\"space\": ".to_string())].into());
    piml_io::write_table(Path::new(&damaged), &table).unwrap();
    let out = dir.path("out.safetensors");
    let cases: Vec<(Vec<&str>, &str)> = vec![
        (
            vec!["train", &ragged, "-o", &out],
            "do not cover the 16-point grid",
        ),
        (vec!["train", &no_x, "-o", &out], "no x column"),
        (
            vec!["train", &train, "-o", &out, "--modes", "9"],
            "9 modes need at least 18 points",
        ),
        (
            vec!["train", &train, "-o", &out, "--from-time", "0.5"],
            "--from-time 0.5",
        ),
        (
            vec!["train", &train, "-o", &out, "--fields", "v"],
            "missing column 'v'",
        ),
        (
            vec!["train", &train, "-o", &out, "--test-fraction", "1.5"],
            "--test-fraction",
        ),
        (
            vec!["predict", &train, &train, "-o", &out],
            "not safetensors",
        ),
        (
            vec!["train", &train, "-o", &out, "--batch", "0"],
            "invalid value '0' for '--batch <N>': expected a count of at least 1",
        ),
        (
            vec!["train", &train, "-o", &out, "--test-every", "0"],
            "invalid value '0' for '--test-every <N>'",
        ),
        (
            vec!["train", &train, "-o", &out, "--lr-decay", "0:0"],
            "--lr-decay '0:0': expected FACTOR:EPOCHS, a positive factor and at least 1 epoch",
        ),
        (
            vec!["train", &train, "-o", &out, "--lr", "-1e-3"],
            "--lr: expected a positive rate, got -0.001",
        ),
        (
            vec!["train", &train, "-o", &out, "--width", "100000000"],
            "--modes 16 --width 100000000 --layers 4 --batch 20: would need about",
        ),
        (
            vec!["train", &train, "-o", &out, "--modes", "1000000000"],
            "--modes 1000000000 --width 64",
        ),
        (
            vec!["train", &damaged, "-o", &out],
            "damaged.parquet: metadata 'piml.model' (the model the table came from) is damaged",
        ),
    ];
    for (args, expect) in cases {
        let r = run(BIN, &args);
        let stderr = String::from_utf8_lossy(&r.stderr);
        assert_eq!(r.status.code(), Some(2), "{args:?}: {stderr}");
        assert!(stderr.contains(expect), "{args:?}: {stderr}");
        assert!(!Path::new(&out).exists(), "{args:?} left an output");
    }
}

/// `train e.csv -o e.csv` would replace the ensemble by the weights: refused before reading.
#[test]
fn an_output_that_is_the_ensemble_is_refused() {
    let dir = Dir::new();
    let ensemble = dir.path("e.csv");
    heat_csv(&ensemble, 0, 2, 16);
    check_input_kept(BIN, &["train", &ensemble, "-o", &ensemble], &ensemble);
}

/// A second output in a folder that takes no files fails the run before any work, and the
/// first output's old file stays as it was.
#[test]
fn a_failed_second_output_leaves_the_first_as_it_was() {
    let dir = Dir::new();
    let ensemble = dir.path("e.csv");
    heat_csv(&ensemble, 0, 4, 16);
    let first = dir.path("op.safetensors");
    check_second_output_unwritable(
        BIN,
        &["train", &ensemble, "-o", &first],
        &first,
        "--history",
    );
}

/// What a checkpointed run writes.
const OUTPUTS: [&str; 3] = ["op.safetensors", "history.parquet", "report.json"];

/// A training run on `data` writing every output into `dir`, checkpointed every epoch.
fn checkpointed(dir: &Dir, data: &str) -> Vec<String> {
    let outputs = OUTPUTS.map(|f| dir.path(f));
    let files = [
        "train",
        data,
        "-o",
        &outputs[0],
        "--history",
        &outputs[1],
        "--report",
        &outputs[2],
    ];
    let settings = [
        "--epochs",
        "40",
        "--batch",
        "10",
        "--lr-decay",
        "0.5:10",
        "--test-every",
        "3",
        "--seed",
        "5",
        "--threads",
        "2",
        "-q",
        "--checkpoint-every",
        "1",
        "--checkpoint",
    ];
    let mut args: Vec<String> = [&files[..], &SMALL, &settings]
        .concat()
        .into_iter()
        .map(String::from)
        .collect();
    args.push(dir.path("ckpt"));
    args
}

#[test]
fn killed_and_resumed_training_ends_with_the_bytes_of_an_uninterrupted_run() {
    let dir = Dir::new();
    // The ensemble outside `dir`, which the test empties between runs.
    let input = Dir::new();
    let data = input.path("train.csv");
    heat_csv(&data, 0, 60, 32);
    let args = checkpointed(&dir, &data);
    check_interrupted_runs_resume(BIN, &args, &dir, &OUTPUTS);
}

#[test]
fn a_checkpoint_is_refused_once_the_ensemble_changed() {
    let dir = Dir::new();
    let data = dir.path("train.csv");
    heat_csv(&data, 0, 20, 16);
    let mut args = checkpointed(&dir, &data);
    let epochs = args.iter().position(|a| a == "--epochs").unwrap() + 1;
    args[epochs] = "2".into();
    let modes = args.iter().position(|a| a == "--modes").unwrap() + 1;
    args[modes] = "4".into();
    let run_args = |args: &[String]| run(BIN, &args.iter().map(String::as_str).collect::<Vec<_>>());
    assert!(run_args(&args).status.success());
    let mut other = args.clone();
    other[epochs] = "3".into();
    let out = run_args(&other);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("--epochs was 2 then, 3 now"));
    heat_csv(&data, 1, 20, 16);
    check_checkpoint_refused(&run_args(&args), "the ensemble");
}
