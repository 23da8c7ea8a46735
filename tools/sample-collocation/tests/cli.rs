//! `sample-collocation` end to end: counts, sets and ranges, sides,
//! reproducibility, discrepancy against random points, RAD and RAR.

use std::path::{Path, PathBuf};
use std::process::Output;

use piml_io::{Table, read_table, write_table};
use piml_testkit::{Dir, values};

fn data(name: &str) -> String {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/data")
        .join(name)
        .to_str()
        .unwrap()
        .to_string()
}

const BIN: &str = env!("CARGO_BIN_EXE_sample-collocation");

fn run_ok(args: &[&str]) -> Output {
    piml_testkit::run_ok(BIN, args)
}

fn table(path: &str) -> Table {
    read_table(&PathBuf::from(path)).unwrap()
}

fn text(table: &Table, name: &str) -> Vec<Option<String>> {
    table.utf8_column(name).unwrap().to_vec()
}

fn report(path: &str) -> serde_json::Value {
    serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
}

/// Rows of the table whose `set` is `set`.
fn rows_of(table: &Table, set: &str) -> Vec<usize> {
    text(table, "set")
        .iter()
        .enumerate()
        .filter(|(_, s)| s.as_deref() == Some(set))
        .map(|(i, _)| i)
        .collect()
}

#[test]
fn counts_sets_and_ranges_are_exactly_as_asked() {
    let dir = Dir::new();
    for method in ["uniform", "lhs", "sobol", "halton"] {
        let out = dir.path(&format!("{method}.parquet"));
        run_ok(&[
            &data("diffusion-1d.json"),
            "-o",
            &out,
            "--interior",
            "1000",
            "--boundary",
            "101",
            "--initial",
            "37",
            "--method",
            method,
        ]);
        let t = table(&out);
        assert_eq!(t.column_names(), ["t", "x", "set", "side"]);
        let (ts, xs, sides) = (values(&t, "t"), values(&t, "x"), text(&t, "side"));
        let (interior, boundary, initial) = (
            rows_of(&t, "interior"),
            rows_of(&t, "boundary"),
            rows_of(&t, "initial"),
        );
        assert_eq!(
            (interior.len(), boundary.len(), initial.len()),
            (1000, 101, 37)
        );
        assert_eq!(t.n_rows(), 1138);
        for &i in &interior {
            assert!((0.0..=2.0).contains(&ts[i]) && (-1.0..=3.0).contains(&xs[i]));
            assert_eq!(sides[i], None);
        }
        // Both sides measure 2 (the time span): 51 and 50 points.
        let on = |label: &str| -> Vec<usize> {
            boundary
                .iter()
                .copied()
                .filter(|&i| sides[i].as_deref() == Some(label))
                .collect()
        };
        assert_eq!(on("x=min").len(), 51, "{method}");
        assert_eq!(on("x=max").len(), 50, "{method}");
        assert!(
            on("x=min")
                .iter()
                .all(|&i| xs[i] == -1.0 && (0.0..=2.0).contains(&ts[i]))
        );
        assert!(
            on("x=max")
                .iter()
                .all(|&i| xs[i] == 3.0 && (0.0..=2.0).contains(&ts[i]))
        );
        for &i in &initial {
            assert!(ts[i] == 0.0 && (-1.0..=3.0).contains(&xs[i]) && sides[i].is_none());
        }
    }
}

#[test]
fn periodic_sides_get_no_points_and_the_others_share_by_measure() {
    let dir = Dir::new();
    let out = dir.path("channel.parquet");
    run_ok(&[
        &data("channel-2d.json"),
        "-o",
        &out,
        "--boundary",
        "400",
        "--initial",
        "50",
        "--interior",
        "10",
    ]);
    let t = table(&out);
    let (ts, xs, ys, sides) = (
        values(&t, "t"),
        values(&t, "x"),
        values(&t, "y"),
        text(&t, "side"),
    );
    let boundary = rows_of(&t, "boundary");
    assert_eq!(boundary.len(), 400);
    for &i in &boundary {
        match sides[i].as_deref() {
            Some("y=min") => assert_eq!(ys[i], 0.0),
            Some("y=max") => assert_eq!(ys[i], 1.0),
            other => panic!("a point on side {other:?}"),
        }
        assert!((0.0..=4.0).contains(&xs[i]) && (1.0..=3.0).contains(&ts[i]));
    }
    assert!(rows_of(&t, "initial").iter().all(|&i| ts[i] == 1.0));

    // In [0,3]×[0,1] the x sides measure 1·1 and the y sides 3·1.
    let out = dir.path("box.parquet");
    run_ok(&[&data("box-2d.json"), "-o", &out, "--boundary", "800"]);
    let sides = text(&table(&out), "side");
    for (label, n) in [
        ("x=min", 100),
        ("x=max", 100),
        ("y=min", 300),
        ("y=max", 300),
    ] {
        let count = sides.iter().filter(|s| s.as_deref() == Some(label)).count();
        assert_eq!(count, n, "{label}");
    }
}

#[test]
fn ode_models_get_points_in_time_only() {
    let dir = Dir::new();
    let out = dir.path("ode.csv");
    run_ok(&[
        &data("decay-ode.json"),
        "-o",
        &out,
        "--interior",
        "200",
        "--initial",
        "1",
        "--method",
        "lhs",
    ]);
    let t = table(&out);
    assert_eq!(t.column_names(), ["t", "set"]);
    let ts = values(&t, "t");
    assert_eq!(rows_of(&t, "interior").len(), 200);
    assert!(
        rows_of(&t, "interior")
            .iter()
            .all(|&i| (0.0..=10.0).contains(&ts[i]))
    );
    assert_eq!(
        rows_of(&t, "initial")
            .iter()
            .map(|&i| ts[i])
            .collect::<Vec<_>>(),
        [0.0]
    );
    // One point per stratum of the time span.
    let mut strata = [0; 200];
    for &i in &rows_of(&t, "interior") {
        strata[(ts[i] / 10.0 * 200.0) as usize] += 1;
    }
    assert!(strata.iter().all(|&c| c == 1));
}

#[test]
fn grids_round_to_a_full_grid_and_say_so() {
    let dir = Dir::new();
    let out = dir.path("grid.parquet");
    let done = run_ok(&[
        &data("diffusion-1d.json"),
        "-o",
        &out,
        "--interior",
        "99",
        "--method",
        "grid",
    ]);
    let stderr = String::from_utf8_lossy(&done.stderr);
    assert!(
        stderr.contains("--interior 99 with --method grid: 100 points"),
        "{stderr}"
    );
    let t = table(&out);
    let mut ts = values(&t, "t");
    ts.dedup();
    assert_eq!(ts.len(), 10);
    assert_eq!(ts[0], 0.1);
}

#[test]
fn the_seed_fixes_the_bytes() {
    let dir = Dir::new();
    let out = dir.path("a.parquet");
    let args = |seed: &'static str| {
        vec![
            data("channel-2d.json"),
            "-o".into(),
            out.clone(),
            "--interior".into(),
            "500".into(),
            "--boundary".into(),
            "50".into(),
            "--initial".into(),
            "50".into(),
            "--seed".into(),
            seed.into(),
        ]
    };
    for method in ["uniform", "lhs", "sobol", "halton"] {
        let with = |seed| {
            let mut a = args(seed);
            a.extend(["--method".to_string(), method.to_string()]);
            run_ok(&a.iter().map(String::as_str).collect::<Vec<_>>());
            std::fs::read(&out).unwrap()
        };
        let first = with("7");
        assert_eq!(first, with("7"), "{method}");
        let a = values(&table(&out), "x");
        with("8");
        let b = values(&table(&out), "x");
        let same = a.iter().zip(&b).filter(|(p, q)| p == q).count();
        assert!(same <= 1, "{method}: {same} equal x");
    }
    let meta = table(&out).metadata().clone();
    assert_eq!(meta["piml.tool"], "sample-collocation");
    assert_eq!(meta["piml.seed"], "8");
    assert!(meta["piml.model"].contains("channel-2d"));
}

#[test]
fn the_report_shows_lower_discrepancy_than_random_points() {
    let dir = Dir::new();
    let discrepancy = |method: &str, seed: &str| {
        let (out, rep) = (dir.path("d.parquet"), dir.path("d.json"));
        run_ok(&[
            &data("channel-2d.json"),
            "-o",
            &out,
            "--interior",
            "2048",
            "--method",
            method,
            "--seed",
            seed,
            "--report",
            &rep,
        ]);
        let r = report(&rep);
        assert_eq!(r["sets"]["interior"]["points"], 2048);
        r["sets"]["interior"]["discrepancy"].as_f64().unwrap()
    };
    let uniform: f64 = ["1", "2", "3", "4"]
        .iter()
        .map(|s| discrepancy("uniform", s))
        .sum::<f64>()
        / 4.0;
    for (method, at_most) in [("sobol", 0.02), ("halton", 0.02), ("lhs", 0.3)] {
        let cd = discrepancy(method, "1");
        eprintln!(
            "{method}: CD² {cd:.3e}, uniform {uniform:.3e}, ratio {:.4}",
            cd / uniform
        );
        assert!(cd < at_most * uniform, "{method}: {cd:e} vs {uniform:e}");
    }
}

#[test]
fn weights_add_up_to_each_sets_measure() {
    let dir = Dir::new();
    let out = dir.path("w.parquet");
    run_ok(&[
        &data("box-2d.json"),
        "-o",
        &out,
        "--interior",
        "300",
        "--boundary",
        "80",
        "--initial",
        "30",
        "--weights",
    ]);
    let t = table(&out);
    let w = values(&t, "weight");
    let sides = text(&t, "side");
    let total = |rows: &[usize]| rows.iter().map(|&i| w[i]).sum::<f64>();
    assert!((total(&rows_of(&t, "interior")) - 3.0).abs() < 1e-12);
    assert!((total(&rows_of(&t, "initial")) - 3.0).abs() < 1e-12);
    let on_y_min: Vec<usize> = (0..t.n_rows())
        .filter(|&i| sides[i].as_deref() == Some("y=min"))
        .collect();
    assert!((total(&on_y_min) - 3.0).abs() < 1e-12);
}

/// A residual table on a 100 × 100 grid of the diffusion-1d box, with
/// residual 10 in the bump 0.5 ≤ t < 1, 0 ≤ x < 1 and 1 elsewhere.
fn bump_residuals(path: &str) -> (usize, usize) {
    let (mut t, mut x, mut r) = (Vec::new(), Vec::new(), Vec::new());
    let mut inside = 0;
    for i in 0..100 {
        for j in 0..100 {
            let (ti, xj) = ((i as f64 + 0.5) / 50.0, -1.0 + (j as f64 + 0.5) / 25.0);
            let bump = (0.5..1.0).contains(&ti) && (0.0..1.0).contains(&xj);
            inside += usize::from(bump);
            t.push(Some(ti));
            x.push(Some(xj));
            r.push(Some(if bump { 10.0 } else { 1.0 }));
        }
    }
    let mut table = Table::new();
    table.push_f64("t", t);
    table.push_f64("x", x);
    table.push_f64("residual", r);
    write_table(Path::new(path), &table).unwrap();
    (inside, 10_000)
}

fn in_bump(t: f64, x: f64) -> bool {
    (0.5..1.0).contains(&t) && (0.0..1.0).contains(&x)
}

#[test]
fn rad_concentrates_points_in_the_bump_as_the_density_says() {
    let dir = Dir::new();
    let residuals = dir.path("residuals.parquet");
    let (inside, total) = bump_residuals(&residuals);
    assert_eq!(inside, 625);
    let (k, c, n) = (2.0, 0.5, 20_000);
    // p ∝ |r|^k / mean(|r|^k) + c, so the bump's share of the probability is
    // inside·(10^k/m + c) / (total·(1 + c)) with m = mean(|r|^k).
    let m = (inside as f64 * 10f64.powf(k) + (total - inside) as f64) / total as f64;
    let expected = inside as f64 * (10f64.powf(k) / m + c) / (total as f64 * (1.0 + c));
    let out = dir.path("new.parquet");
    run_ok(&[
        &data("diffusion-1d.json"),
        "-o",
        &out,
        "--from",
        &residuals,
        "--method",
        "rad",
        "--k",
        "2",
        "--c",
        "0.5",
        "--interior",
        "20000",
        "--seed",
        "3",
    ]);
    let t = table(&out);
    assert_eq!(rows_of(&t, "interior").len(), n);
    let (ts, xs) = (values(&t, "t"), values(&t, "x"));
    let hits = (0..n).filter(|&i| in_bump(ts[i], xs[i])).count();
    let observed = hits as f64 / n as f64;
    let se = (expected * (1.0 - expected) / n as f64).sqrt();
    eprintln!(
        "RAD: {observed:.4} of new points in the bump, expected {expected:.4} ± {se:.4} (uniform share {:.4})",
        inside as f64 / total as f64
    );
    assert!((observed - expected).abs() < 4.0 * se);
    assert!(observed > 5.0 * inside as f64 / total as f64);
}

#[test]
fn rar_adds_the_points_of_largest_residual() {
    let dir = Dir::new();
    let residuals = dir.path("residuals.csv");
    let (inside, _) = bump_residuals(&residuals);
    let (out, rep) = (dir.path("top.parquet"), dir.path("top.json"));
    run_ok(&[
        &data("diffusion-1d.json"),
        "-o",
        &out,
        "--from",
        &residuals,
        "--method",
        "rar",
        "--interior",
        &inside.to_string(),
        "--report",
        &rep,
    ]);
    let t = table(&out);
    let (ts, xs) = (values(&t, "t"), values(&t, "x"));
    assert_eq!(t.n_rows(), inside);
    assert!((0..inside).all(|i| in_bump(ts[i], xs[i])));
    let r = report(&rep);
    assert_eq!(r["method"], "rar");
    assert_eq!(r["candidates"], 10_000);
    assert_eq!(r["distinct_points"], inside);
}
