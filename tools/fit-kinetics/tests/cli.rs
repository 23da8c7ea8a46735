//! fit-kinetics end to end: model selection with predictions, shards merged
//! into the unsharded document, algebraic fits (one of issue 19's exponential rise, one held
//! by its bounds), and every bad input class.

use std::path::{Path, PathBuf};

use piml_io::{Table, read_table, write_table};
use piml_model::{Model, NoiseKind};
use piml_ode::{Method, OdeSolver};
use piml_sim::{NoiseChoice, NoiseSpec, Plan};
use piml_testkit::{
    Dir, bad_cases, change_last_value, check_bad_inputs, check_checkpoint_refused,
    check_input_kept, check_interrupted_runs_resume, check_second_output_unwritable, run, run_ok,
};
use serde_json::Value;

const BIN: &str = env!("CARGO_BIN_EXE_fit-kinetics");

fn testdata(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../testdata")
        .join(name)
}

fn arg(p: &Path) -> &str {
    p.to_str().unwrap()
}

/// Noisy data (2% proportional noise) from the Michaelis–Menten candidate at
/// its three initial concentrations, t = 1..20.
fn mm_data(dir: &Dir) -> String {
    let m = Model::from_file(&testdata("kinetics/michaelis-menten.json")).unwrap();
    let noise = NoiseSpec {
        kind: NoiseKind::Proportional,
        sigma: 0.02,
    };
    simulated(dir, &m, noise, "mm.parquet")
}

/// Data from `model` at t = 1..20 with the given noise, as a Parquet table in `dir`.
fn simulated(dir: &Dir, model: &Model, noise: NoiseSpec, name: &str) -> String {
    let plan = Plan {
        model,
        conditions: if model.conditions.is_empty() {
            vec![None]
        } else {
            model.conditions.iter().map(Some).collect()
        },
        times: (1..=20).map(f64::from).collect(),
        inputs: Vec::new(),
        varied: Vec::new(),
        draws: Vec::new(),
        noise: NoiseChoice::Fixed(noise),
        sparse: None,
        solver: OdeSolver::new(Method::Auto)
            .rtol(1e-10)
            .atol(1e-12)
            .build()
            .unwrap(),
        spatial: None,
        seed: 4,
    };
    let path = dir.path(name);
    write_table(Path::new(&path), &plan.run(0..1, &|| {}).unwrap().table).unwrap();
    path
}

fn read_doc(path: &str) -> Value {
    serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
}

#[test]
fn selects_among_candidates_and_predicts_on_the_data_grid() {
    let dir = Dir::new();
    let data = mm_data(&dir);
    let (fit, pred) = (dir.path("fit.json"), dir.path("pred.parquet"));
    let candidates = ["mass-action", "michaelis-menten", "hill"]
        .map(|c| testdata(&format!("kinetics/{c}.json")));
    let mut args: Vec<&str> = candidates.iter().map(|p| arg(p)).collect();
    args.extend([
        "--data",
        &data,
        "--starts",
        "4",
        "-o",
        &fit,
        "--predict",
        &pred,
        "-q",
    ]);
    run_ok(BIN, &args);
    let doc = read_doc(&fit);
    let sel = doc["selection"].as_array().unwrap();
    assert_eq!(sel.len(), 3);
    assert_eq!(sel[0]["delta_aic"], 0.0);
    let weights: f64 = sel
        .iter()
        .map(|r| r["akaike_weight"].as_f64().unwrap())
        .sum();
    assert!((weights - 1.0).abs() < 1e-12);
    // First-order decay cannot bend like saturating kinetics: last by far.
    assert_eq!(sel[2]["model"], "mass-action");
    assert!(sel[2]["delta_aic"].as_f64().unwrap() > 100.0, "{sel:?}");
    assert_eq!(doc["model"], sel[0]["model"]);
    for p in ["estimate", "stderr", "ci95"] {
        assert!(!doc["parameters"]["sigma_S"][p].is_null(), "{p}");
    }
    let table = read_table(Path::new(&pred)).unwrap();
    assert_eq!(table.column_names(), ["condition", "t", "S"]);
    assert_eq!(table.n_rows(), 60);
}

fn without_provenance(mut doc: Value) -> String {
    // The command line and the wall time are the only fields that differ
    // between a whole run and the merge of its shards.
    doc["command"] = Value::Null;
    doc["wall_seconds"] = Value::Null;
    serde_json::to_string_pretty(&doc).unwrap()
}

#[test]
fn shards_merge_into_the_unsharded_document() {
    let dir = Dir::new();
    let data = mm_data(&dir);
    let model = testdata("kinetics/michaelis-menten.json");
    let base = [
        arg(&model),
        "--data",
        &data,
        "--starts",
        "9",
        "--seed",
        "3",
        "-q",
    ];
    let whole = dir.path("whole.json");
    let table = dir.path("whole-starts.parquet");
    run_ok(
        BIN,
        &[
            &base[..],
            &["-o", &whole, "--threads", "1", "--starts-table", &table],
        ]
        .concat(),
    );
    let two = dir.path("two-threads.json");
    run_ok(BIN, &[&base[..], &["-o", &two, "--threads", "2"]].concat());
    let mut shards = Vec::new();
    for i in 0..3 {
        let out = dir.path(&format!("starts-{i}.parquet"));
        run_ok(
            BIN,
            &[&base[..], &["-o", &out, "--shard", &format!("{i}/3")]].concat(),
        );
        shards.push(out);
    }
    let merged = dir.path("merged.json");
    let mut args: Vec<&str> = vec!["merge"];
    args.extend(shards.iter().map(String::as_str));
    args.extend(["-o", &merged]);
    run_ok(BIN, &args);
    let expected = without_provenance(read_doc(&whole));
    assert_eq!(without_provenance(read_doc(&merged)), expected);
    assert_eq!(without_provenance(read_doc(&two)), expected);
    let from_table = dir.path("from-table.json");
    run_ok(BIN, &["merge", &table, "-o", &from_table]);
    assert_eq!(without_provenance(read_doc(&from_table)), expected);
    assert_eq!(read_doc(&whole)["starts"]["total"], 9);

    // A shard left out: exit 2, the missing starts named, nothing written.
    let partial = dir.path("partial.json");
    let out = run(BIN, &["merge", &shards[0], &shards[2], "-o", &partial]);
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("starts 3, 4, 5 of 9 are missing"),
        "{stderr}"
    );
    assert!(!Path::new(&partial).exists());
}

#[test]
fn fits_an_algebraic_model_to_initial_rates() {
    let dir = Dir::new();
    // v = mm(S, 1, 2) with ±3% alternating deviations and σ = 5% (proportional).
    let s = [0.25, 0.5, 1.0, 2.0, 4.0, 8.0, 16.0, 32.0];
    let mut table = Table::new();
    table.push_f64("S", s.iter().map(|&x| Some(x)).collect());
    let v: Vec<Option<f64>> = s
        .iter()
        .enumerate()
        .map(|(i, &x)| Some(x / (2.0 + x) * if i % 2 == 0 { 1.03 } else { 0.97 }))
        .collect();
    table.push_f64("v", v);
    let data = dir.path("rates.csv");
    write_table(Path::new(&data), &table).unwrap();
    let fit = dir.path("fit.json");
    let model = testdata("algebraic-mm.json");
    run_ok(BIN, &[arg(&model), "--data", &data, "-o", &fit]);
    let doc = read_doc(&fit);
    for (name, truth) in [("Vmax", 1.0), ("Km", 2.0)] {
        let p = &doc["parameters"][name];
        let (est, se) = (
            p["estimate"].as_f64().unwrap(),
            p["stderr"].as_f64().unwrap(),
        );
        // ±3% deviations against a 5% noise model: within 2 standard errors.
        assert!((est - truth).abs() < 2.0 * se, "{name}: {est} ± {se}");
    }
    assert_eq!(doc["n_observations"], 8);
    assert_eq!(doc["converged"], true);
}

/// Issue 20: a kinetic model's species may be called `x` and `y`; its table
/// then has columns t, x, y, read as the observables they are, not as space.
#[test]
fn fits_lotka_volterra_written_with_x_and_y() {
    let dir = Dir::new();
    let model_path = testdata("lotka-volterra-xy.json");
    let model = Model::from_file(&model_path).unwrap();
    let noise = NoiseSpec {
        kind: NoiseKind::Lognormal,
        sigma: 0.02,
    };
    let data = simulated(&dir, &model, noise, "xy.parquet");
    let table = read_table(Path::new(&data)).unwrap();
    assert_eq!(table.column_names()[..3], ["t", "x", "y"]);
    let fit = dir.path("fit.json");
    run_ok(BIN, &[arg(&model_path), "--data", &data, "-o", &fit]);
    let doc = read_doc(&fit);
    assert_eq!(doc["n_observations"], 40);
    for p in &model.parameters {
        let est = doc["parameters"][&p.name]["estimate"].as_f64().unwrap();
        // 2% noise on 40 points: every rate within 5%.
        assert!((est / p.value - 1.0).abs() < 0.05, "{}: {est}", p.name);
    }
}

/// Issue 19: the exponential rise of testdata/kinetics/exponential-rise.json, started at A = 10,
/// k = 0.1 within bounds [1e-4, 100], walked to k = 100 and reported convergence. On NIST's
/// BoxBOD data divided by 4 its least-squares optimum is certified: A = 213.80940889/4,
/// k = 0.54723748542. The default fit reaches it to 1e-6 (the library's tests/optima.rs says
/// why that is the tolerance), converged, nothing on a bound, nothing to warn about.
#[test]
fn fits_issue_19s_exponential_rise_to_its_certified_optimum() {
    let dir = Dir::new();
    let table = read_table(&testdata("kinetics/boxbod.csv")).unwrap();
    let bod: Vec<Option<f64>> = table
        .f64_values("bod")
        .unwrap()
        .iter()
        .map(|v| v.map(|v| v / 4.0))
        .collect();
    let mut quarter = Table::new();
    quarter.push_f64("day", table.f64_values("day").unwrap());
    quarter.push_f64("bod", bod);
    let data = dir.path("quarter.csv");
    write_table(Path::new(&data), &quarter).unwrap();
    let fit = dir.path("fit.json");
    let model = testdata("kinetics/exponential-rise.json");
    let out = run_ok(BIN, &[arg(&model), "--data", &data, "-o", &fit]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!stderr.contains("warning"), "{stderr}");
    let doc = read_doc(&fit);
    for (name, certified) in [("A", 213.809_408_89 / 4.0), ("k", 0.547_237_485_42)] {
        let p = &doc["parameters"][name];
        let estimate = p["estimate"].as_f64().unwrap();
        assert!(
            (estimate - certified).abs() < 1e-6 * certified,
            "{name}: {estimate} vs {certified}"
        );
        assert!(
            p["at_bound"].is_null() && p["stderr"].as_f64().is_some(),
            "{p}"
        );
    }
    assert_eq!(doc["converged"], true);
    assert!(doc["projected_gradient"].as_f64().unwrap() < 1e-3);
    assert_eq!(doc["warnings"].as_array().unwrap().len(), 0);
}

/// The same model on BoxBOD's own data, whose plateau (A = 213.8) lies beyond the bound 100:
/// every measurement exceeds 100, so the best the bounds allow is A = 100 with the rise over at
/// once, k on its bound 100 too. Both are flagged and warned about, have no standard error or
/// interval, and the run is converged (the projected gradient vanishes: both gradients push
/// outwards). The condition number is that of the free block, the noise sigma alone: 1.
#[test]
fn estimates_held_by_their_bounds_are_flagged_warned_and_left_out_of_the_uncertainty() {
    let dir = Dir::new();
    let fit = dir.path("fit.json");
    let model = testdata("kinetics/exponential-rise.json");
    let data = testdata("kinetics/boxbod.csv");
    let out = run_ok(BIN, &[arg(&model), "--data", arg(&data), "-o", &fit]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    let doc = read_doc(&fit);
    for name in ["A", "k"] {
        let p = &doc["parameters"][name];
        assert_eq!(p["estimate"], 100.0, "{p}");
        assert_eq!(p["at_bound"], "upper", "{p}");
        assert!(p["stderr"].is_null() && p["ci95"].is_null(), "{p}");
        assert!(
            stderr.contains(&format!(
                "warning: model 'exponential-rise': parameter '{name}' = 100 ended on its upper bound (100)"
            )),
            "{stderr}"
        );
    }
    assert_eq!(doc["warnings"].as_array().unwrap().len(), 2);
    assert!(doc["parameters"]["sigma_bod"]["stderr"].as_f64().is_some());
    assert_eq!(doc["fisher_condition_number"], 1.0);
    assert_eq!(doc["converged"], true);
    assert_eq!(doc["projected_gradient"], 0.0);
}

#[test]
fn bad_inputs_exit_2_with_a_clear_message_and_leave_nothing() {
    let root = testdata("");
    let cases = bad_cases(
        &testdata("bad/fit/cases.json"),
        &testdata("bad/fit"),
        &[("testdata", &root)],
    );
    assert!(cases.len() >= 10);
    check_bad_inputs(BIN, &cases, &["--predict"]);
}

#[test]
fn warns_when_only_a_product_of_parameters_is_known() {
    let dir = Dir::new();
    // v = a·b·S: the data fix a·b, never a and b apart, so F is singular.
    let model = dir.path("product.json");
    std::fs::write(
        &model,
        r#"{"name": "product", "inputs": ["S"],
            "parameters": {
              "a": {"value": 1, "bounds": [0.1, 10], "estimate": true},
              "b": {"value": 1, "bounds": [0.1, 10], "estimate": true}},
            "observables": {"v": {"expr": "a*b*S", "noise": {"kind": "gaussian", "sigma": 0.1}}}}"#,
    )
    .unwrap();
    let data = dir.path("v.csv");
    std::fs::write(&data, "S,v\n1,2.1\n2,3.9\n3,6.2\n4,7.9\n").unwrap();
    let fit = dir.path("fit.json");
    let out = run_ok(BIN, &[&model, "--data", &data, "-o", &fit]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("near singular")
            && stderr.contains("a, b")
            && stderr.contains("identifiability"),
        "{stderr}"
    );
    let doc = read_doc(&fit);
    assert_eq!(doc["warnings"].as_array().unwrap().len(), 1);
    // The product is still estimated: a·b = Σ S·v / Σ S² = 60.1/30.
    let ab = doc["parameters"]["a"]["estimate"].as_f64().unwrap()
        * doc["parameters"]["b"]["estimate"].as_f64().unwrap();
    assert!((ab - 60.1 / 30.0).abs() < 1e-8, "{ab}");
}

/// A reaction–diffusion fit by the method of lines: Fisher–KPP (D = 1,
/// r = 1) simulated on 50 cells with Gaussian noise σ = 0.02
/// (`simulate testdata/fisher-kpp-1d.json --grid 50 --times 5,10,20,30
/// --noise gaussian:0.02 --seed 3`), fitted from D = 3, r = 0.4 on the same
/// grid: the estimates lie within two standard errors of the truth, and the
/// predictions carry t and x (the cell centres).
#[test]
fn fits_fisher_kpp_by_the_method_of_lines() {
    let dir = Dir::new();
    let (fit, predict) = (dir.path("fit.json"), dir.path("pred.csv"));
    let model = testdata("fisher-kpp-1d.json");
    let data = testdata("kinetics/fisher-kpp-1d-noisy.csv");
    run_ok(
        BIN,
        &[
            arg(&model),
            "--data",
            arg(&data),
            "--grid",
            "50",
            "--set",
            "D=3",
            "--set",
            "r=0.4",
            "-o",
            &fit,
            "--predict",
            &predict,
            "-q",
        ],
    );
    let doc: Value = serde_json::from_str(&std::fs::read_to_string(&fit).unwrap()).unwrap();
    assert_eq!(doc["converged"], true);
    for name in ["D", "r"] {
        let p = &doc["parameters"][name];
        let z = (p["estimate"].as_f64().unwrap() - 1.0) / p["stderr"].as_f64().unwrap();
        assert!(z.abs() < 2.0, "{name}: {p}");
    }
    let table = read_table(Path::new(&predict)).unwrap();
    assert_eq!(table.column_names(), ["t", "x", "u"]);
    assert_eq!(table.n_rows(), 200);
}

/// The method of lines from the data's initial profile: Fisher–KPP (D = 1, r = 1) on 50 cells
/// from a front plus a detached bump, 0.9·step(30 − x) + 0.4·exp(−((x − 120)/15)²), which the
/// fitted model (testdata/fisher-kpp-1d.json, u0 = step(10 − x)) cannot express. The t = 0 rows
/// come in two replicates, 0.05 above and below the truth, so only their average is the true
/// profile (`--initial-from interpolated` takes it as exact; `data` estimates it). The data are the method-of-lines solution on the fitting grid (rtol 1e-10) with a
/// stated σ = 0.01, so the only misfit left is the fit's integration error (rtol 1e-8): D and r
/// come back to about 1e-6, checked to 1e-4. The model's own initial condition fits the same
/// data badly: that control shows the profile is what the test measures.
#[test]
fn fits_from_the_initial_profile_of_the_data() {
    let dir = Dir::new();
    let model = Model::from_file(&testdata("fisher-kpp-1d.json")).unwrap();
    let mut truth = model.clone();
    truth.species[0].initial =
        piml_model::expr::parse("0.9*step(30 - x) + 0.4*exp(-((x - 120)/15)^2)").unwrap();
    let grid = piml_pde::Grid::new(&truth, &[50]).unwrap();
    let rd =
        piml_pde::ReactionDiffusion::new(&truth, grid.clone(), &truth.parameter_values()).unwrap();
    let y0 = rd.state(&rd.initial_state()).unwrap();
    let times = [0.0, 4.0, 8.0, 12.0];
    let solver = OdeSolver::new(Method::Auto)
        .rtol(1e-10)
        .atol(1e-12)
        .build()
        .unwrap();
    let solution = solver.solve(&rd, 0.0, &y0, &times).unwrap();
    let mut csv = String::from("t,x,replicate,u,sigma_u\n");
    for (t, y) in times.iter().zip(&solution.y) {
        for (x, u) in grid.coordinates()[0].iter().zip(&rd.fields(y)[0]) {
            if *t == 0.0 {
                csv += &format!("0,{x},1,{},0.01\n0,{x},2,{},0.01\n", u + 0.05, u - 0.05);
            } else {
                csv += &format!("{t},{x},1,{u},0.01\n");
            }
        }
    }
    let data = dir.path("profile.csv");
    std::fs::write(&data, csv).unwrap();
    let model_file = testdata("fisher-kpp-1d.json");
    let fit = |initial: &str, name: &str| {
        let (out, predict) = (dir.path(&format!("{name}.json")), dir.path("pred.csv"));
        let args = [
            arg(&model_file),
            "--data",
            &data,
            "--grid",
            "50",
            "--initial-from",
            initial,
            "--set",
            "D=3",
            "--set",
            "r=0.4",
            "-o",
            &out,
            "--predict",
            &predict,
            "-q",
        ];
        run_ok(BIN, &args);
        (read_doc(&out), read_table(Path::new(&predict)).unwrap())
    };
    let (doc, predictions) = fit("interpolated", "interpolated");
    assert_eq!(doc["converged"], true);
    assert_eq!(doc["settings"]["initial_from"], "interpolated");
    for name in ["D", "r"] {
        let estimate = doc["parameters"][name]["estimate"].as_f64().unwrap();
        assert!((estimate - 1.0).abs() < 1e-4, "{name} = {estimate}");
    }
    // The t = 0 rows gave the initial fields: they are neither fitted nor predicted.
    assert_eq!(doc["n_observations"], 150);
    assert_eq!(predictions.n_rows(), 150);

    // Estimated through the t = 0 rows instead, one value per position (every cell centre
    // here): the later rows are exact, so the values come back to the replicates' mean, the
    // true profile, and D and r as before; the t = 0 rows are fitted and predicted.
    let (doc, predictions) = fit("data", "from-data");
    assert_eq!(doc["converged"], true, "{doc}");
    assert_eq!(doc["settings"]["initial_from"], "data");
    for name in ["D", "r"] {
        let estimate = doc["parameters"][name]["estimate"].as_f64().unwrap();
        assert!((estimate - 1.0).abs() < 1e-4, "{name} = {estimate}");
    }
    assert_eq!(doc["n_observations"], 250);
    assert_eq!(predictions.n_rows(), 250);
    assert_eq!(doc["n_estimated"], 2 + 50);
    let profile = doc["initial_profile"].as_array().unwrap();
    assert_eq!(profile.len(), 50);
    let truth = &rd.fields(&y0)[0];
    for (value, u) in profile.iter().zip(truth) {
        let estimate = value["estimate"].as_f64().unwrap();
        assert!((estimate - u).abs() < 1e-5, "{value} against {u}");
    }
    assert!(doc["parameters"].get("u(t0, x=2)").is_none());

    let (control, _) = fit("model", "from-model");
    let worst = ["D", "r"]
        .iter()
        .map(|n| (control["parameters"][n]["estimate"].as_f64().unwrap() - 1.0).abs())
        .fold(0.0, f64::max);
    assert!(
        worst > 0.05,
        "the model's initial condition fitted too: {control}"
    );
}

/// `--condition S0-20` fits the 20 rows of that experiment under the model's S0 = 20: the same
/// problem as a table holding only those rows, which the fit groups by their condition itself,
/// so the two documents agree to the last digit. An absent condition names the present ones.
#[test]
fn fits_the_rows_of_one_condition() {
    let dir = Dir::new();
    let data = mm_data(&dir);
    let all = read_table(Path::new(&data)).unwrap();
    let keep: Vec<bool> = all
        .utf8_column("condition")
        .unwrap()
        .iter()
        .map(|c| c.as_deref() == Some("S0-20"))
        .collect();
    let only = dir.path("only.parquet");
    write_table(Path::new(&only), &all.filter(&keep)).unwrap();
    let model = testdata("kinetics/michaelis-menten.json");
    let fit = |data: &str, extra: &[&str], out: &str| {
        let mut args = vec![arg(&model), "--data", data, "-o", out, "-q"];
        args.extend(extra);
        run_ok(BIN, &args);
        read_doc(out)
    };
    let chosen = fit(&data, &["--condition", "S0-20"], &dir.path("chosen.json"));
    let alone = fit(&only, &[], &dir.path("alone.json"));
    assert_eq!(chosen["n_observations"], 20, "{chosen}");
    assert_eq!(chosen["parameters"], alone["parameters"]);
    assert_eq!(chosen["settings"]["condition"], "S0-20");
    let out = run(
        BIN,
        &[
            arg(&model),
            "--data",
            &data,
            "-o",
            &dir.path("x.json"),
            "--condition",
            "S0-40",
        ],
    );
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(
        stderr.contains("no row has condition 'S0-40'; the table has S0-5, S0-10, S0-20"),
        "{stderr}"
    );
}

/// `--data d.csv -o d.csv` (or `--predict d.csv`) would replace the data by the fit: refused,
/// the data kept.
#[test]
fn an_output_that_is_the_data_is_refused() {
    let dir = Dir::new();
    let data = mm_data(&dir);
    let model = testdata("kinetics/michaelis-menten.json");
    check_input_kept(BIN, &[arg(&model), "--data", &data, "-o", &data], &data);
    let fit = dir.path("fit.json");
    check_input_kept(
        BIN,
        &[arg(&model), "--data", &data, "-o", &fit, "--predict", &data],
        &data,
    );
    assert!(!Path::new(&fit).exists());
}

/// A second output in a folder that takes no files fails the run before any work, and the
/// first output's old file stays as it was.
#[test]
fn a_failed_second_output_leaves_the_first_as_it_was() {
    let dir = Dir::new();
    let first = dir.path("fit.json");
    check_second_output_unwritable(
        BIN,
        &[
            arg(&testdata("mm-reduced.json")),
            "--data",
            arg(&testdata("pinn/mm-data.csv")),
            "-o",
            &first,
        ],
        &first,
        "--predict",
    );
}

/// Six starts of Fisher–KPP on a 20-cell grid, checkpointed after every start: about half a
/// second a start, so that a run is still going when its first checkpoint appears.
fn checkpointed(dir: &Dir, data: &str) -> Vec<String> {
    vec![
        testdata("fisher-kpp-1d.json").to_str().unwrap().into(),
        "--data".into(),
        data.into(),
        "--grid".into(),
        "20".into(),
        "--starts".into(),
        "6".into(),
        "--seed".into(),
        "2".into(),
        "-o".into(),
        dir.path("fit.json"),
        "--predict".into(),
        dir.path("pred.parquet"),
        "--starts-table".into(),
        dir.path("starts.parquet"),
        "--checkpoint".into(),
        dir.path("ckpt"),
        "--threads".into(),
        "2".into(),
        "-q".into(),
    ]
}

#[test]
fn killed_and_resumed_multistarts_end_with_the_bytes_of_an_uninterrupted_run() {
    let dir = Dir::new();
    let data = testdata("kinetics/fisher-kpp-1d-noisy.csv");
    let args = checkpointed(&dir, arg(&data));
    check_interrupted_runs_resume(
        BIN,
        &args,
        &dir,
        &["fit.json", "pred.parquet", "starts.parquet"],
    );
}

#[test]
fn a_checkpoint_is_refused_once_the_data_changed_and_shards_keep_their_own() {
    let dir = Dir::new();
    let data = dir.path("data.csv");
    std::fs::copy(testdata("kinetics/fisher-kpp-1d-noisy.csv"), &data).unwrap();
    let mut args = checkpointed(&dir, &data);
    let at = |args: &[String], flag: &str| args.iter().position(|a| a == flag).unwrap() + 1;
    let i = at(&args, "--starts");
    args[i] = "2".into();
    let run_args = |args: &[String]| run(BIN, &args.iter().map(String::as_str).collect::<Vec<_>>());
    assert!(run_args(&args).status.success());
    // A shard of the same run has a checkpoint of its own beside the whole run's.
    let mut shard = args.clone();
    let p = at(&shard, "--predict") - 1;
    shard.drain(p..p + 4);
    let o = at(&shard, "-o");
    shard[o] = dir.path("shard-1.parquet");
    shard.extend(["--shard".into(), "1/2".into()]);
    let out = run_args(&shard);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(Path::new(&dir.path("ckpt/checkpoint-shard-1-of-2.json")).exists());
    // Another setting is named with its values.
    let mut other = args.clone();
    other[i] = "3".into();
    let out = run_args(&other);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("--starts was 2 then, 3 now"));
    // One value of the data changed in place.
    change_last_value(&data);
    check_checkpoint_refused(&run_args(&args), "--data");
}

/// A PEtab problem evaluated through the tool gives the library's figures: AMICI's llh at
/// Boehm's published parameters within 1e-3, χ², and a gradient entry per table parameter.
#[test]
fn a_petab_problem_is_evaluated_at_its_nominal_values() {
    let dir = Dir::new();
    let out = dir.path("boehm.json");
    let yaml = testdata("petab/benchmark/Boehm_JProteomeRes2014/Boehm_JProteomeRes2014.yaml");
    run_ok(BIN, &[arg(&yaml), "--evaluate", "-o", &out]);
    let doc: Value = serde_json::from_str(&std::fs::read_to_string(&out).unwrap()).unwrap();
    let llh = doc["log_likelihood"].as_f64().unwrap();
    assert!((llh - -138.221_996_935_177_03).abs() < 1e-3, "{llh}");
    assert_eq!(doc["measurements"], 48);
    assert_eq!(doc["parameters"].as_object().unwrap().len(), 11);
    assert!(
        doc["parameters"]["k_phos"]["gradient"]
            .as_f64()
            .unwrap()
            .is_finite()
    );
}

/// The same log-likelihood through every path: a fit's optimum, evaluated with --set at the
/// estimates, gives the fit document's log L and a vanishing gradient.
#[test]
fn evaluate_at_a_fit_gives_its_log_likelihood() {
    let dir = Dir::new();
    let (fit, evaluated) = (dir.path("fit.json"), dir.path("evaluated.json"));
    let (model, data) = (testdata("mm-reduced.json"), testdata("pinn/mm-data.csv"));
    run_ok(BIN, &[arg(&model), "--data", arg(&data), "-o", &fit]);
    let doc: Value = serde_json::from_str(&std::fs::read_to_string(&fit).unwrap()).unwrap();
    let sets: Vec<String> = ["Vmax", "Km"]
        .iter()
        .map(|p| format!("{p}={}", doc["parameters"][p]["estimate"].as_f64().unwrap()))
        .collect();
    run_ok(
        BIN,
        &[
            arg(&model),
            "--data",
            arg(&data),
            "--evaluate",
            "-o",
            &evaluated,
            "--set",
            &sets[0],
            "--set",
            &sets[1],
        ],
    );
    let e: Value = serde_json::from_str(&std::fs::read_to_string(&evaluated).unwrap()).unwrap();
    let at = &e["models"]["michaelis-menten-reduced"];
    let want = doc["log_likelihood"].as_f64().unwrap();
    assert!((at["log_likelihood"].as_f64().unwrap() - want).abs() < 1e-9 * want.abs().max(1.0));
    for p in ["Vmax", "Km"] {
        let g = at["parameters"][p]["gradient"].as_f64().unwrap();
        assert!(g.abs() < 1e-3, "{p}: {g}");
    }
}

#[test]
fn bad_petab_problems_exit_2_naming_file_line_and_column() {
    let root = testdata("");
    let cases = bad_cases(
        &testdata("bad/petab/cases.json"),
        &testdata("bad/petab"),
        &[("testdata", &root)],
    );
    assert!(cases.len() >= 20);
    check_bad_inputs(BIN, &cases, &[]);
}

/// A multistart fit of a PEtab problem: among four starts of Boehm et al. (2014), seed 1, the
/// best reaches the published optimum's log-likelihood (AMICI: −138.222 at the published
/// parameters) within 0.01, and the waterfall table holds every start.
#[test]
fn a_petab_problem_is_fitted_from_several_starts() {
    let dir = Dir::new();
    let (out, table) = (dir.path("boehm.json"), dir.path("starts.parquet"));
    let yaml = testdata("petab/benchmark/Boehm_JProteomeRes2014/Boehm_JProteomeRes2014.yaml");
    run_ok(
        BIN,
        &[
            arg(&yaml),
            "--starts",
            "4",
            "--seed",
            "1",
            "-o",
            &out,
            "--starts-table",
            &table,
        ],
    );
    let doc: Value = serde_json::from_str(&std::fs::read_to_string(&out).unwrap()).unwrap();
    let llh = doc["log_likelihood"].as_f64().unwrap();
    assert!(llh >= -138.222 - 0.01, "{llh}");
    assert!(doc["starts"]["reached_best"].as_u64().unwrap() >= 1);
    assert_eq!(doc["parameters"].as_object().unwrap().len(), 11);
    let starts = piml_io::read_table(Path::new(&table)).unwrap();
    assert_eq!(starts.n_rows(), 4);
    // The same four starts as two shards, merged: the same document (timings and the command
    // aside), and the start tables of both plot as one waterfall.
    let shards: Vec<String> = (0..2).map(|i| dir.path(&format!("s{i}.parquet"))).collect();
    for (i, shard) in shards.iter().enumerate() {
        let index = format!("{i}/2");
        run_ok(
            BIN,
            &[
                arg(&yaml),
                "--starts",
                "4",
                "--seed",
                "1",
                "--shard",
                &index,
                "-o",
                shard,
            ],
        );
    }
    let merged = dir.path("merged.json");
    run_ok(BIN, &["merge", &shards[0], &shards[1], "-o", &merged]);
    let mut merged: Value =
        serde_json::from_str(&std::fs::read_to_string(&merged).unwrap()).unwrap();
    let mut whole = doc;
    for d in [&mut merged, &mut whole] {
        let d = d.as_object_mut().unwrap();
        d.remove("wall_seconds");
        d.remove("command");
    }
    assert_eq!(merged, whole);
    // A shard missing is named.
    let out = run(BIN, &["merge", &shards[0], "-o", &dir.path("part.json")]);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("starts 2, 3 of 4 are missing"),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// A PEtab fit checkpointed: the run with --checkpoint writes what the run without it writes,
/// and once a file of the problem changes (here its measurement table) the checkpoint is
/// refused naming that file.
#[test]
fn a_petab_fit_checkpoints_and_refuses_a_changed_problem() {
    let dir = Dir::new();
    let folder = testdata("petab/benchmark/Boehm_JProteomeRes2014");
    let copy = Path::new(&dir.path("boehm")).to_path_buf();
    std::fs::create_dir(&copy).unwrap();
    for entry in std::fs::read_dir(&folder).unwrap() {
        let path = entry.unwrap().path();
        if path.is_file() {
            std::fs::copy(&path, copy.join(path.file_name().unwrap())).unwrap();
        }
    }
    let yaml = copy.join("Boehm_JProteomeRes2014.yaml");
    let run_with = |out: &str, extra: &[&str]| {
        let mut a = vec![arg(&yaml), "--starts", "2", "--seed", "3", "-o", out];
        a.extend_from_slice(extra);
        run(BIN, &a)
    };
    let (plain, checkpointed) = (dir.path("plain.json"), dir.path("checkpointed.json"));
    let ckpt = dir.path("ckpt");
    assert!(run_with(&plain, &[]).status.success());
    assert!(
        run_with(&checkpointed, &["--checkpoint", &ckpt])
            .status
            .success()
    );
    let read = |p: &str| -> Value {
        let mut d: Value = serde_json::from_str(&std::fs::read_to_string(p).unwrap()).unwrap();
        let o = d.as_object_mut().unwrap();
        o.remove("wall_seconds");
        o.remove("command");
        d
    };
    assert_eq!(read(&plain), read(&checkpointed));
    let measurements = copy.join("measurementData_Boehm_JProteomeRes2014.tsv");
    let text = std::fs::read_to_string(&measurements).unwrap();
    assert!(text.contains("\t7.90107299873911\t"));
    std::fs::write(
        &measurements,
        text.replacen("\t7.90107299873911\t", "\t7.9\t", 1),
    )
    .unwrap();
    check_checkpoint_refused(
        &run_with(&dir.path("again.json"), &["--checkpoint", &ckpt]),
        "problem file 6",
    );
}
