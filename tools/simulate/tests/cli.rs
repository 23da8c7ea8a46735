//! `simulate` end to end: numbers against closed forms, reproducibility,
//! ensembles and shards, noise and sparse sampling, exit codes.

use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

use piml_io::read_table;
use piml_testkit::{Dir, run, values};

fn testdata(name: &str) -> String {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../testdata")
        .join(name)
        .to_str()
        .unwrap()
        .to_string()
}

const BIN: &str = env!("CARGO_BIN_EXE_simulate");

fn simulate(args: &[&str]) -> Output {
    run(BIN, args)
}

fn run_ok(args: &[&str]) {
    piml_testkit::run_ok(BIN, args);
}

#[test]
fn michaelis_menten_matches_the_lambert_w_solution() {
    let dir = Dir::new();
    for method in ["explicit", "stiff", "auto"] {
        let out = dir.path(&format!("mm-{method}.parquet"));
        run_ok(&[
            &testdata("mm-reduced.json"),
            "-o",
            &out,
            "--times",
            "0:30:0.5",
            "--method",
            method,
            "--rtol",
            "1e-11",
            "--atol",
            "1e-13",
        ]);
        let table = read_table(Path::new(&out)).unwrap();
        let (t, s) = (values(&table, "t"), values(&table, "S"));
        assert_eq!(t.len(), 61);
        for (ti, si) in t.iter().zip(&s) {
            let exact = piml_reference::michaelis_menten_substrate(*ti, 10.0, 1.0, 2.0);
            // rtol 1e-11 per step accumulates over ~100 steps to well under 1e-8.
            assert!(
                (si - exact).abs() <= 1e-8 * exact,
                "{method}: t={ti}: {si} vs {exact}"
            );
        }
    }
}

#[test]
fn tables_carry_their_provenance() {
    let dir = Dir::new();
    let out = dir.path("mm.parquet");
    run_ok(&[
        &testdata("mm-reduced.json"),
        "-o",
        &out,
        "--t-end",
        "5",
        "--seed",
        "42",
    ]);
    let table = read_table(Path::new(&out)).unwrap();
    let meta = table.metadata();
    let model: serde_json::Value = serde_json::from_str(&meta["piml.model"]).unwrap();
    assert!(model.get("species").is_some());
    assert_eq!(meta["piml.tool"], "simulate");
    assert_eq!(meta["piml.seed"], "42");
    assert!(meta["piml.command"].contains("--t-end"));
    assert!(!meta["piml.version"].is_empty());
    assert_eq!(values(&table, "t").len(), 101);
}

#[test]
fn noise_and_sparse_sampling_follow_the_flags_and_the_seed() {
    let dir = Dir::new();
    let args = |out: &str, seed: &str| {
        vec![
            testdata("mm-reduced.json"),
            "-o".into(),
            out.to_string(),
            "--times".into(),
            "0:20:0.5".into(),
            "--noise".into(),
            "gaussian:0.05".into(),
            "--keep".into(),
            "7".into(),
            "--seed".into(),
            seed.to_string(),
        ]
    };
    // The same command twice gives the same bytes (the command, output path
    // included, is part of the file's metadata); another seed, other data.
    let (a, c) = (dir.path("a.parquet"), dir.path("c.parquet"));
    let run_seed = |out: &str, seed: &str| {
        let argv = args(out, seed);
        run_ok(&argv.iter().map(String::as_str).collect::<Vec<_>>());
        std::fs::read(out).unwrap()
    };
    let first = run_seed(&a, "3");
    assert!(first == run_seed(&a, "3"), "same seed, same bytes");
    run_seed(&c, "4");
    let s_of = |p: &str| read_table(Path::new(p)).unwrap().f64_values("S").unwrap();
    assert_ne!(s_of(&a), s_of(&c));
    let table = read_table(Path::new(&a)).unwrap();
    let s = table.f64_values("S").unwrap();
    assert_eq!(s.iter().filter(|v| v.is_some()).count(), 7);
    // Residuals against the exact solution look like N(0, 0.05²): all within 5σ.
    for (t, v) in values(&table, "t").iter().zip(&s) {
        let exact = piml_reference::michaelis_menten_substrate(*t, 10.0, 1.0, 2.0);
        assert!((v.unwrap() - exact).abs() < 0.25);
    }
}

#[test]
fn ensembles_are_identical_across_threads_and_shards() {
    let dir = Dir::new();
    let base = |out: &str| {
        vec![
            testdata("lotka-volterra.json"),
            "-o".into(),
            out.to_string(),
            "--t-end".into(),
            "10".into(),
            "--samples".into(),
            "12".into(),
            "--vary".into(),
            "alpha=0.5:2:log".into(),
            "--noise".into(),
            "proportional:0.05".into(),
            "--seed".into(),
            "9".into(),
        ]
    };
    let run_with = |out: &str, extra: &[&str]| {
        let mut argv = base(out);
        argv.extend(extra.iter().map(|s| s.to_string()));
        run_ok(&argv.iter().map(String::as_str).collect::<Vec<_>>());
        std::fs::read(out).unwrap()
    };
    let t1 = dir.path("t1.parquet");
    let one = run_with(&t1, &["--threads", "1"]);
    assert!(
        one == run_with(&t1, &["--threads", "1"]),
        "same command, same bytes"
    );
    let two = run_with(&t1, &["--threads", "2"]);
    assert!(
        two == run_with(&t1, &["--threads", "2"]),
        "same command on 2 threads, same bytes"
    );
    // Across thread counts only the recorded command differs.
    let without_command = |bytes: Vec<u8>| {
        let path = dir.path("probe.parquet");
        std::fs::write(&path, bytes).unwrap();
        let mut table = read_table(Path::new(&path)).unwrap();
        let mut meta = table.metadata().clone();
        meta.remove("piml.command");
        table.set_metadata(meta);
        table
    };
    assert!(
        without_command(one) == without_command(two),
        "1 and 2 threads give the same table"
    );
    // More threads than cores are not started (100,000 of them took minutes): a warning, and
    // the same table.
    let mut argv = base(&t1);
    argv.extend(["--threads".into(), "100000".into()]);
    let many = simulate(&argv.iter().map(String::as_str).collect::<Vec<_>>());
    let stderr = String::from_utf8_lossy(&many.stderr);
    assert!(many.status.success(), "{stderr}");
    assert!(
        stderr.contains("warning: --threads 100000: this machine lets the run use"),
        "{stderr}"
    );
    let many = without_command(std::fs::read(&t1).unwrap());
    assert!(many == without_command(run_with(&t1, &["--threads", "1"])));
    let whole = read_table(Path::new(&t1)).unwrap();
    assert_eq!(whole.i64_column("sample").unwrap().iter().max(), Some(&11));
    // Three shards concatenate to the whole run, row for row.
    let mut rows = Vec::new();
    for i in 0..3 {
        let out = dir.path(&format!("s{i}.parquet"));
        run_with(&out, &["--shard", &format!("{i}/3")]);
        let part = read_table(Path::new(&out)).unwrap();
        rows.extend(part.f64_values("prey").unwrap());
    }
    assert_eq!(rows, whole.f64_values("prey").unwrap());
    // Slurm's array variables choose the shard when --shard is absent.
    let out = dir.path("slurm.parquet");
    let mut argv = base(&out);
    argv.push("--quiet".into());
    let status = Command::new(BIN)
        .args(&argv)
        .env("SLURM_ARRAY_TASK_ID", "2")
        .env("SLURM_ARRAY_TASK_COUNT", "3")
        .status()
        .unwrap();
    assert!(status.success());
    let slurm = read_table(Path::new(&out)).unwrap();
    let shard = read_table(Path::new(&dir.path("s2.parquet"))).unwrap();
    assert_eq!(
        slurm.f64_values("prey").unwrap(),
        shard.f64_values("prey").unwrap()
    );
    assert_eq!(
        slurm.i64_column("sample").unwrap(),
        shard.i64_column("sample").unwrap()
    );
}

#[test]
fn conditions_label_their_rows() {
    let dir = Dir::new();
    let out = dir.path("c.parquet");
    run_ok(&[
        &testdata("mm-reduced.json"),
        "-o",
        &out,
        "--times",
        "0,1,2",
        "--condition",
        "all",
    ]);
    let table = read_table(Path::new(&out)).unwrap();
    let labels = table.utf8_column("condition").unwrap();
    assert_eq!(labels.len(), 3 * table_conditions());
    assert!(labels.iter().all(Option::is_some));
}

/// How many conditions testdata/mm-reduced.json declares.
fn table_conditions() -> usize {
    let doc: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(testdata("mm-reduced.json")).unwrap())
            .unwrap();
    doc["conditions"].as_object().map_or(1, |c| c.len().max(1))
}

#[test]
fn algebraic_models_evaluate_on_an_input_grid() {
    let dir = Dir::new();
    let out = dir.path("v.csv");
    run_ok(&[
        &testdata("algebraic-mm.json"),
        "-o",
        &out,
        "--input",
        "S=0:10:0.5",
    ]);
    let table = read_table(Path::new(&out)).unwrap();
    let doc: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(testdata("algebraic-mm.json")).unwrap())
            .unwrap();
    let p = |n: &str| doc["parameters"][n]["value"].as_f64().unwrap();
    for (s, v) in values(&table, "S").iter().zip(values(&table, "v")) {
        assert!((v - p("Vmax") * s / (p("Km") + s)).abs() <= 1e-15 * v.abs().max(1.0));
    }
}

#[test]
fn a_failed_integration_exits_1_and_says_when() {
    let dir = Dir::new();
    let model = dir.path("blowup.json");
    std::fs::write(
        &model,
        r#"{"species": {"u": {"initial": 1}}, "parameters": {"a": 1}, "rates": {"u": "a*u^2"}}"#,
    )
    .unwrap();
    let out = dir.path("o.parquet");
    let result = simulate(&[
        &model, "-o", &out, "--times", "0,0.5,2", "--method", "stiff",
    ]);
    let stderr = String::from_utf8_lossy(&result.stderr);
    assert_eq!(result.status.code(), Some(1), "{stderr}");
    assert!(
        stderr.contains("a=1"),
        "names the parameter values: {stderr}"
    );
    assert!(
        stderr.contains("t = 0.99") || stderr.contains("t = 1"),
        "says when: {stderr}"
    );
    assert!(!PathBuf::from(&out).exists());
}

#[test]
fn a_closed_pipe_ends_quietly() {
    let mut child = Command::new(BIN)
        .args([
            &testdata("lotka-volterra.json"),
            "-o",
            "-",
            "--times",
            "0:1000:0.01",
        ])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    drop(child.stdout.take());
    let out = child.wait_with_output().unwrap();
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        out.stderr.is_empty(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

#[test]
fn inconsistent_units_are_warned_about_not_refused() {
    let dir = Dir::new();
    let model = dir.path("units.json");
    // Vmax in uM/s while the model's time is in minutes: a factor 60.
    std::fs::write(
        &model,
        r#"{"time": {"units": "min"}, "species": {"S": {"units": "uM", "initial": 10}},
            "parameters": {"Vmax": {"value": 1, "units": "uM/s"}, "Km": {"value": 2, "units": "uM"}},
            "rates": {"S": "-mm(S, Vmax, Km)"}}"#,
    )
    .unwrap();
    let out = dir.path("o.parquet");
    let result = simulate(&[&model, "-o", &out, "--times", "0,1"]);
    let stderr = String::from_utf8_lossy(&result.stderr);
    assert!(result.status.success(), "{stderr}");
    assert!(
        stderr.contains("warning: ") && stderr.contains("rates.S") && stderr.contains("60 times"),
        "{stderr}"
    );
}

#[test]
fn the_model_can_come_from_stdin_and_the_table_go_to_stdout() {
    let mut child = Command::new(BIN)
        .args(["-", "-o", "-", "--times", "0,1,2"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let model = std::fs::read(testdata("mm-reduced.json")).unwrap();
    std::io::Write::write_all(&mut child.stdin.take().unwrap(), &model).unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let table = piml_io::read_table_from(&out.stdout[..], Path::new("<stdout>")).unwrap();
    assert_eq!(values(&table, "t"), vec![0.0, 1.0, 2.0]);
    assert_eq!(values(&table, "S")[0], 10.0);
}

#[test]
fn reaction_diffusion_matches_the_heat_kernel() {
    // testdata/heat-1d.json starts from the kernel at time 1, so
    // u(x, t) = exp(−x²/(4D(t+1)))/√(4πD(t+1)). The finite-volume error on
    // 800 cells of h = 0.05 is ≈ (h/σ)²/24 ≈ 3e-5 of the peak (σ² = 2D(t+1)).
    let dir = Dir::new();
    let out = dir.path("heat.parquet");
    run_ok(&[
        &testdata("heat-1d.json"),
        "-o",
        &out,
        "--grid",
        "800",
        "--times",
        "0,1,3",
        "--method",
        "stiff",
        "--rtol",
        "1e-9",
        "--atol",
        "1e-12",
    ]);
    let table = read_table(Path::new(&out)).unwrap();
    assert_eq!(table.column_names(), vec!["t", "x", "u"]);
    let (t, x, u) = (
        values(&table, "t"),
        values(&table, "x"),
        values(&table, "u"),
    );
    assert_eq!(u.len(), 3 * 800);
    let kernel = |x: f64, t: f64| {
        (-x * x / (4.0 * (t + 1.0))).exp() / (4.0 * std::f64::consts::PI * (t + 1.0)).sqrt()
    };
    for ((t, x), u) in t.iter().zip(&x).zip(&u) {
        let peak = kernel(0.0, *t);
        assert!(
            (u - kernel(*x, *t)).abs() < 1e-4 * peak,
            "t={t} x={x}: {u} vs {}",
            kernel(*x, *t)
        );
    }
}

#[test]
fn reaction_diffusion_measurements_are_sparse_noisy_and_reproducible() {
    let dir = Dir::new();
    let out = dir.path("m.parquet");
    let args = [
        &testdata("morphogen-1d.json") as &str,
        "-o",
        &out,
        "--grid",
        "100",
        "--times",
        "50:200:50",
        "--noise",
        "gaussian:0.01",
        "--measure",
        "30",
        "--seed",
        "5",
    ];
    run_ok(&args);
    let first = std::fs::read(&out).unwrap();
    run_ok(&args);
    assert!(
        first == std::fs::read(&out).unwrap(),
        "same command, same bytes"
    );
    let table = read_table(Path::new(&out)).unwrap();
    assert_eq!(table.column_names(), vec!["t", "x", "u"]);
    assert_eq!(table.n_rows(), 30);
    // At t = 200 the gradient has reached cosh((L−x)/λ)/cosh(L/λ), λ = √(D/k) = √1000;
    // measurements scatter around it by the noise (5σ = 0.05).
    let lambda = 1000f64.sqrt();
    for ((t, x), u) in values(&table, "t")
        .iter()
        .zip(values(&table, "x"))
        .zip(values(&table, "u"))
    {
        if *t == 200.0 {
            let steady = ((100.0 - x) / lambda).cosh() / (100.0 / lambda).cosh();
            assert!((u - steady).abs() < 0.05 + 2e-3, "x={x}: {u} vs {steady}");
        }
    }
}

#[test]
fn reaction_diffusion_ensembles_shard_like_kinetic_ones() {
    let dir = Dir::new();
    let base = |out: &str, extra: &[&str]| {
        let mut argv = vec![
            testdata("fisher-kpp-1d.json"),
            "-o".into(),
            out.to_string(),
            "--grid".into(),
            "64".into(),
            "--times".into(),
            "0,10,20".into(),
            "--samples".into(),
            "4".into(),
            "--vary".into(),
            "D=0.5:2:log".into(),
            "--perturb".into(),
            "0.01".into(),
            "--seed".into(),
            "3".into(),
        ];
        argv.extend(extra.iter().map(|s| s.to_string()));
        run_ok(&argv.iter().map(String::as_str).collect::<Vec<_>>());
        read_table(Path::new(out)).unwrap()
    };
    let whole = base(&dir.path("all.parquet"), &["--threads", "2"]);
    assert_eq!(whole.n_rows(), 4 * 3 * 64);
    let mut parts = Vec::new();
    for i in 0..2 {
        let part = base(
            &dir.path(&format!("p{i}.parquet")),
            &["--shard", &format!("{i}/2"), "--threads", "1"],
        );
        parts.extend(part.f64_values("u").unwrap());
    }
    assert_eq!(parts, whole.f64_values("u").unwrap());
}

#[test]
fn a_blowing_up_reaction_diffusion_model_exits_1_and_says_when() {
    let dir = Dir::new();
    let model = dir.path("blowup-rd.json");
    // u' = u² from u ≈ 1 blows up near t = 1 whatever diffusion does.
    std::fs::write(
        &model,
        r#"{"space": {"x": {"span": [0, 6.283185307179586]}}, "boundary": "periodic",
            "species": {"u": {"initial": "1 + 0.01*cos(x)", "diffusion": "0.1"}}, "rates": {"u": "u^2"}}"#,
    )
    .unwrap();
    for method in [
        &["--method", "stiff"][..],
        &["--method", "spectral", "--dt", "0.001"],
    ] {
        let out = dir.path("o.parquet");
        let mut args = vec![model.as_str(), "-o", &out, "--grid", "32", "--times", "0,2"];
        args.extend_from_slice(method);
        let result = simulate(&args);
        let stderr = String::from_utf8_lossy(&result.stderr);
        assert_eq!(result.status.code(), Some(1), "{method:?}: {stderr}");
        assert!(
            stderr.contains("t = 0.9") || stderr.contains("t = 1"),
            "{method:?} says when: {stderr}"
        );
        assert!(!Path::new(&out).exists());
    }
}

#[test]
fn random_initial_fields_differ_by_member_and_follow_the_seed() {
    let dir = Dir::new();
    let run = |out: &str, seed: &str| {
        run_ok(&[
            &testdata("schnakenberg-1d.json"),
            "-o",
            out,
            "--grid",
            "32",
            "--times",
            "0",
            "--samples",
            "3",
            "--vary",
            "Du=1:1.5",
            "--random-initial",
            "modes:20:0.1",
            "--seed",
            seed,
        ]);
        let table = read_table(Path::new(out)).unwrap();
        values(&table, "u")
    };
    let (a, b) = (
        run(&dir.path("a.parquet"), "1"),
        run(&dir.path("b.parquet"), "1"),
    );
    assert_eq!(a, b);
    assert_ne!(a, run(&dir.path("c.parquet"), "2"));
    // Three members, each its own field around the homogeneous state u* = 1.
    let members: Vec<&[f64]> = a.chunks(32).collect();
    assert_eq!(members.len(), 3);
    assert!(members[0] != members[1] && members[1] != members[2]);
    assert!(
        a.iter().all(|u| (u - 1.0).abs() <= 0.4 + 1e-12),
        "4 modes of amplitude ≤ 0.1"
    );
}

#[test]
fn man_page_and_shell_completions_come_from_the_flags() {
    let man = piml_testkit::run_ok(BIN, &["--man"]);
    let page = String::from_utf8_lossy(&man.stdout);
    assert!(page.contains(".TH simulate 1"), "{page}");
    assert!(
        page.contains("random\\-initial"),
        "the man page lists the flags"
    );
    for shell in ["bash", "zsh", "fish"] {
        let out = piml_testkit::run_ok(BIN, &["--completions", shell]);
        let script = String::from_utf8_lossy(&out.stdout);
        assert!(script.contains("--random-initial"), "{shell}: {script}");
    }
    let bad = piml_testkit::run(BIN, &["--completions", "tcsh"]);
    assert_eq!(bad.status.code(), Some(2));
}

/// A rate written as a sum of 20,000 terms (issue 20) integrates in linear
/// time: the parser balances long sums, and derivatives no longer copy every
/// left operand (8,000 terms took 16 s to 78 s before, 20,000 about 0.2 s now).
#[test]
fn a_rate_of_twenty_thousand_terms_simulates_quickly() {
    let dir = Dir::new();
    let n = 20_000;
    let model = serde_json::json!({
        "name": "long-sum",
        "time": { "units": "min", "span": [0, 1] },
        "species": { "S": { "units": "uM", "initial": 1 } },
        "parameters": { "k": { "value": 1, "units": "1/min" } },
        "rates": { "S": format!("-({})/{n}", vec!["k*S"; n].join(" + ")) },
    });
    let path = dir.path("long-sum.json");
    std::fs::write(&path, model.to_string()).unwrap();
    let out = dir.path("long-sum.parquet");
    let start = std::time::Instant::now();
    run_ok(&[&path, "-o", &out, "--times", "0,1", "--rtol", "1e-10"]);
    // A generous bound that a quadratic pass would still break by far.
    assert!(
        start.elapsed().as_secs_f64() < 10.0,
        "{:?}",
        start.elapsed()
    );
    let s = values(&read_table(Path::new(&out)).unwrap(), "S");
    assert!((s[1] - (-1.0f64).exp()).abs() < 1e-8, "S(1) = {}", s[1]);
}

/// A PEtab problem simulated at its nominal parameters: one row per measurement, the
/// simulations the conformance suite expects (pre-equilibration in case 0009).
#[test]
fn a_petab_problem_gives_the_suites_simulations() {
    let dir = Dir::new();
    for case in ["0001", "0009", "0017"] {
        let folder = testdata(&format!("petab/test-suite/{case}"));
        let out = dir.path(&format!("{case}.parquet"));
        let yaml = format!("{folder}/_{case}.yaml");
        run_ok(&[&yaml, "-o", &out]);
        let table = read_table(Path::new(&out)).unwrap();
        let expected = std::fs::read_to_string(format!("{folder}/_simulations.tsv")).unwrap();
        let want: Vec<f64> = expected
            .lines()
            .skip(1)
            .map(|l| l.split('\t').next_back().unwrap().parse().unwrap())
            .collect();
        let got = values(&table, "simulation");
        assert_eq!(got.len(), want.len(), "{case}");
        for (g, w) in got.iter().zip(&want) {
            assert!((g - w).abs() < 1e-3, "{case}: {g} vs {w}");
        }
    }
    let yaml = testdata("petab/test-suite/0001/_0001.yaml");
    let refused = simulate(&[&yaml, "-o", &dir.path("x.csv"), "--t-end", "5"]);
    assert_eq!(refused.status.code(), Some(2));
    assert!(
        String::from_utf8_lossy(&refused.stderr)
            .contains("a PEtab problem's measurement table sets the times")
    );
}
