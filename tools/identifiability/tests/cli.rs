//! identifiability end to end: the reports of the acceptance models, byte
//! reproducibility, and the bad-input corpus.

use std::path::{Path, PathBuf};

use piml_testkit::{
    Dir, bad_cases, check_bad_inputs_of, check_input_kept, check_second_output_unwritable, run,
    run_ok,
};

const BIN: &str = env!("CARGO_BIN_EXE_identifiability");

fn testdata() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../testdata")
}

fn model(name: &str) -> String {
    testdata()
        .join("identifiability")
        .join(name)
        .to_str()
        .unwrap()
        .to_string()
}

fn read_json(path: &str) -> serde_json::Value {
    serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
}

#[test]
fn structural_report_of_the_two_compartment_model() {
    let dir = Dir::new();
    let out = dir.path("report.json");
    run_ok(
        BIN,
        &["structural", &model("two-compartment.json"), "-o", &out],
    );
    let report = read_json(&out);
    assert_eq!(report["tool"], "identifiability");
    assert_eq!(report["model"], "two-compartment");
    assert_eq!(report["local"], true);
    let parameters = &report["parameters"];
    for name in ["a01", "a21", "a12", "x1(0)"] {
        assert_eq!(parameters[name]["identifiable"], false, "{name}");
    }
    assert_eq!(parameters["x0(0)"]["identifiable"], true);
    assert_eq!(parameters["x0(0)"]["kind"], "initial value");
    let combinations: Vec<&str> = report["combinations"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["expression"].as_str().unwrap())
        .collect();
    assert_eq!(combinations, ["a01 * a12", "a01 + a21 + a12"]);
    assert_eq!(
        parameters["a21"]["combinations"],
        serde_json::json!(["a01 + a21 + a12"])
    );
    assert!(report["error_probability_bound"].as_f64().unwrap() < 1e-9);
}

#[test]
fn outputs_and_known_initial_values_change_the_answer() {
    let dir = Dir::new();
    let out = dir.path("report.json");
    let lv = model("lotka-volterra.json");
    run_ok(BIN, &["structural", &lv, "-o", &out]);
    let report = read_json(&out);
    assert_eq!(report["parameters"]["b"]["identifiable"], false);
    assert_eq!(
        report["parameters"]["b"]["combinations"],
        serde_json::json!(["b * x2(0)"])
    );
    assert_eq!(report["initial_values"]["x2"]["status"], "unknown");

    run_ok(
        BIN,
        &["structural", &lv, "-o", &out, "--known-initial", "x2"],
    );
    let report = read_json(&out);
    assert_eq!(report["parameters"]["b"]["identifiable"], true);
    assert_eq!(report["initial_values"]["x2"]["status"], "known");
    assert_eq!(report["initial_values"]["x2"]["value"], "5");
    assert!(report["parameters"].get("x2(0)").is_none());

    run_ok(BIN, &["structural", &lv, "-o", &out, "--outputs", "x1,x2"]);
    let report = read_json(&out);
    let all = report["parameters"].as_object().unwrap();
    assert!(all.values().all(|p| p["identifiable"] == true), "{all:?}");
}

#[test]
fn the_same_seed_gives_the_same_bytes() {
    let dir = Dir::new();
    let out = dir.path("report.json");
    let m = model("mm-kcat-etot.json");
    run_ok(BIN, &["structural", &m, "-o", &out, "--seed", "7"]);
    let first = std::fs::read(&out).unwrap();
    run_ok(BIN, &["structural", &m, "-o", &out, "--seed", "7"]);
    assert_eq!(std::fs::read(&out).unwrap(), first);
}

#[test]
fn bad_inputs_exit_2_name_the_field_and_leave_nothing() {
    let bad = testdata().join("identifiability/bad");
    let cases = bad_cases(&bad.join("cases.json"), &bad, &[]);
    assert!(cases.len() >= 15);
    check_bad_inputs_of(BIN, &["structural"], &cases, &[]);
}

#[test]
fn a_failed_run_never_overwrites_a_good_report() {
    let dir = Dir::new();
    let out = dir.path("report.json");
    let lv = model("lotka-volterra.json");
    run_ok(BIN, &["structural", &lv, "-o", &out]);
    let before = std::fs::read(&out).unwrap();
    let failed = run(BIN, &["structural", &lv, "-o", &out, "--outputs", "nope"]);
    assert_eq!(failed.status.code(), Some(2));
    assert_eq!(std::fs::read(&out).unwrap(), before);
    assert_eq!(dir.files(), ["report.json"]);
}

#[test]
fn fim_report_of_michaelis_menten_with_kcat_and_etot() {
    let dir = Dir::new();
    let (out, fit) = (dir.path("fim.json"), dir.path("fit.json"));
    std::fs::write(
        &fit,
        r#"{"parameters": {"kcat": {"estimate": 20}, "Etot": {"estimate": 0.05}}}"#,
    )
    .unwrap();
    let data = model("mm-data.csv");
    run_ok(
        BIN,
        &[
            "fim",
            &model("mm-kcat-etot.json"),
            "--data",
            &data,
            "--fit",
            &fit,
            "-o",
            &out,
        ],
    );
    let report = read_json(&out);
    let p = &report["parameters"];
    assert_eq!(p["kcat"]["value"], 20.0);
    assert_eq!(p["Etot"]["value"], 0.05);
    for (name, identifiable) in [("kcat", false), ("Etot", false), ("Km", true), ("S0", true)] {
        assert_eq!(p[name]["identifiable"], identifiable, "{name}");
    }
    assert!(p["kcat"]["stderr"].is_null());
    // Wald interval of a log-scaled parameter: value·exp(±1.96·se).
    let (km, se) = (2.0, p["Km"]["stderr"].as_f64().unwrap());
    let ci = p["Km"]["ci95"].as_array().unwrap();
    assert!((ci[0].as_f64().unwrap() - km * (-1.959964 * se).exp()).abs() < 1e-6);
    let eigen = report["eigen"].as_array().unwrap();
    assert_eq!(eigen.len(), 4);
    assert_eq!(eigen[3]["null"], true);
    assert_eq!(eigen[2]["null"], false);
    assert_eq!(report["noise"]["S"]["source"], "sigma column of the data");
    assert_eq!(report["points"], 20);
}

#[test]
fn fim_bad_inputs_exit_2_and_leave_nothing() {
    let bad = testdata().join("identifiability/bad");
    let cases = bad_cases(&bad.join("fim-cases.json"), &bad, &[("bad", &bad)]);
    assert!(cases.len() >= 8);
    check_bad_inputs_of(BIN, &["fim"], &cases, &[]);
}

/// Every column of a table, as text, for comparing tables whose metadata differ.
fn columns(path: &str) -> Vec<(String, String)> {
    let table = piml_io::read_table(Path::new(path)).unwrap();
    table
        .columns()
        .map(|(name, column)| (name.to_string(), format!("{column:?}")))
        .collect()
}

#[test]
fn sharded_profiles_merge_to_the_unsharded_run() {
    let dir = Dir::new();
    let m = model("mm-reduced.json");
    let data = model("mm-data.csv");
    let profile = |out: &str, report: &str, extra: &[&str]| {
        let mut args = vec![
            "profile", &m, "--data", &data, "-o", out, "--report", report, "-q",
        ];
        args.extend_from_slice(extra);
        run_ok(BIN, &args);
    };
    let (whole, whole_report) = (dir.path("whole.parquet"), dir.path("whole.json"));
    profile(&whole, &whole_report, &[]);
    let shards: Vec<String> = (0..2)
        .map(|i| dir.path(&format!("shard-{i}.parquet")))
        .collect();
    for (i, shard) in shards.iter().enumerate() {
        let spec = format!("{i}/2");
        profile(
            shard,
            &dir.path(&format!("shard-{i}.json")),
            &["--shard", &spec],
        );
    }
    let (merged, merged_report) = (dir.path("merged.parquet"), dir.path("merged.json"));
    run_ok(
        BIN,
        &[
            "merge",
            &shards[0],
            &shards[1],
            "-o",
            &merged,
            "--report",
            &merged_report,
        ],
    );
    assert_eq!(columns(&merged), columns(&whole));
    let (a, b) = (read_json(&merged_report), read_json(&whole_report));
    assert_eq!(a["parameters"], b["parameters"]);
    // The reduced Michaelis–Menten model and its data determine all three.
    for name in ["Vmax", "Km", "S0"] {
        assert_eq!(b["parameters"][name]["class"], "identifiable", "{name}");
    }

    let (one, one_report) = (dir.path("km.parquet"), dir.path("km.json"));
    profile(&one, &one_report, &["--param", "Km"]);
    let report = read_json(&one_report);
    assert_eq!(report["parameters"].as_object().unwrap().len(), 1);
    assert_eq!(report["parameters"]["Km"], b["parameters"]["Km"]);
}

#[test]
fn profile_bad_inputs_exit_2() {
    let dir = Dir::new();
    let (out, report) = (dir.path("p.parquet"), dir.path("r.json"));
    let m = model("mm-reduced.json");
    let data = model("mm-data.csv");
    let bad = run(
        BIN,
        &[
            "profile", &m, "--data", &data, "-o", &out, "--report", &report, "--param", "Kmm",
        ],
    );
    assert_eq!(bad.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&bad.stderr);
    assert!(
        stderr.contains("--param: 'Kmm' is not an estimated parameter (did you mean 'Km'?)"),
        "{stderr}"
    );
    let not_a_profile = run(BIN, &["merge", &data, "-o", &out, "--report", &report]);
    assert_eq!(not_a_profile.status.code(), Some(2));
    assert!(dir.files().is_empty());
}

/// Proportional noise with σ unknown (fit-kinetics' likelihood, which the
/// profiles share) and a fit document as fit-kinetics writes it, with the
/// per-observable `sigma_S` entry that is no model parameter: the profiles
/// start at the fit, and every interval holds its estimate.
#[test]
fn profiles_take_proportional_noise_and_a_fit_kinetics_document() {
    let dir = Dir::new();
    let text = std::fs::read_to_string(model("mm-reduced.json")).unwrap();
    let proportional = text.replace(
        r#""S": { "expr": "S", "units": "uM" }"#,
        r#""S": { "expr": "S", "units": "uM", "noise": { "kind": "proportional" } }"#,
    );
    assert_ne!(proportional, text);
    let m = dir.path("mm-proportional.json");
    std::fs::write(&m, proportional).unwrap();
    // The measurements without their sigma column: σ is then estimated.
    let csv = std::fs::read_to_string(model("mm-data.csv")).unwrap();
    let data = dir.path("mm.csv");
    let rows: Vec<String> = csv
        .lines()
        .map(|l| l.rsplit_once(',').unwrap().0.to_string())
        .collect();
    std::fs::write(&data, rows.join("\n") + "\n").unwrap();
    let fit = dir.path("fit.json");
    std::fs::write(
        &fit,
        r#"{"tool": "fit-kinetics", "parameters": {
             "Vmax": {"estimate": 1.0, "stderr": 0.01}, "Km": {"estimate": 2.0},
             "S0": {"estimate": 10.0}, "sigma_S": {"estimate": 0.01}}}"#,
    )
    .unwrap();
    let (out, report) = (dir.path("p.parquet"), dir.path("r.json"));
    run_ok(
        BIN,
        &[
            "profile", &m, "--data", &data, "--fit", &fit, "-o", &out, "--report", &report, "-q",
        ],
    );
    let r = read_json(&report);
    for name in ["Vmax", "Km", "S0"] {
        let p = &r["parameters"][name];
        assert_eq!(p["class"], "identifiable", "{name}: {p}");
        let (lo, hi, est) = (
            p["ci95"][0].as_f64().unwrap(),
            p["ci95"][1].as_f64().unwrap(),
            p["estimate"].as_f64().unwrap(),
        );
        assert!(lo < est && est < hi, "{name}: {p}");
    }
}

/// `fim --fit f.json -o f.json` would replace the fit by the report: refused, the fit kept.
#[test]
fn an_output_that_is_the_fit_is_refused() {
    let dir = Dir::new();
    let fit = dir.path("fit.json");
    std::fs::write(&fit, r#"{"parameters": {}}"#).unwrap();
    let model = testdata().join("identifiability/mm-reduced.json");
    let data = testdata().join("identifiability/mm-data.csv");
    check_input_kept(
        BIN,
        &[
            "fim",
            model.to_str().unwrap(),
            "--data",
            data.to_str().unwrap(),
            "--fit",
            &fit,
            "-o",
            &fit,
        ],
        &fit,
    );
}

/// A second output in a folder that takes no files fails the run before any work, and the
/// first output's old file stays as it was.
#[test]
fn a_failed_second_output_leaves_the_first_as_it_was() {
    let dir = Dir::new();
    let first = dir.path("profile.parquet");
    check_second_output_unwritable(
        BIN,
        &[
            "profile",
            &model("mm-reduced.json"),
            "--data",
            &model("mm-data.csv"),
            "-o",
            &first,
        ],
        &first,
        "--report",
    );
}

/// A PEtab problem is read as piml's model file and table (what `import petab` writes):
/// Boehm's exp(−k·t) input becomes a state, every kinetic parameter is structurally
/// identifiable from the three observables with the initial values known (as the literature
/// finds), and the Fisher information takes the problem's 48 measurements and noise levels.
#[test]
fn a_petab_problem_is_read_with_its_measurements() {
    let dir = Dir::new();
    let yaml =
        testdata().join("petab/benchmark/Boehm_JProteomeRes2014/Boehm_JProteomeRes2014.yaml");
    let yaml = yaml.to_str().unwrap();
    let out = dir.path("structural.json");
    run_ok(
        BIN,
        &["structural", yaml, "--known-initial", "all", "-o", &out],
    );
    let report = read_json(&out);
    assert_eq!(
        report["exponentials_made_states"]["exp1_"],
        "exp(-1 * Epo_degradation_BaF3 * t)"
    );
    let parameters = report["parameters"].as_object().unwrap();
    assert_eq!(parameters.len(), 6);
    assert!(parameters.values().all(|p| p["identifiable"] == true));
    assert_eq!(report["noise_parameters"].as_array().unwrap().len(), 3);
    let fim = dir.path("fim.json");
    run_ok(BIN, &["fim", yaml, "-o", &fim]);
    let fim = read_json(&fim);
    assert_eq!(fim["points"], 48);
    assert_eq!(fim["noise"]["pSTAT5A_rel"]["sigma"], 3.85261197844677);
    // The problem names its measurements; a model file needs them.
    let refused = run(
        BIN,
        &["fim", yaml, "--data", yaml, "-o", &dir.path("x.json")],
    );
    assert_eq!(refused.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&refused.stderr).contains("names its own measurements"));
    let refused = run(
        BIN,
        &[
            "fim",
            &model("two-compartment.json"),
            "-o",
            &dir.path("x.json"),
        ],
    );
    assert_eq!(refused.status.code(), Some(2));
    assert!(!Path::new(&dir.path("x.json")).exists());
}
