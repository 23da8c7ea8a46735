//! `nondim` end to end: the worked example of its help, `--set` moving the
//! scales, and `nondim restore` on a table of the dimensionless model.

use std::path::{Path, PathBuf};

use piml_io::{Column, META_MODEL, Table, read_table, write_table};
use piml_testkit::{Dir, run, run_ok, values};
use serde_json::Value;

const BIN: &str = env!("CARGO_BIN_EXE_nondim");

fn testdata(name: &str) -> String {
    let p: PathBuf = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../testdata")
        .join(name);
    p.to_str().unwrap().to_string()
}

fn json(path: &str) -> Value {
    serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
}

#[test]
fn fisher_kpp_example_writes_the_textbook_model_and_a_report() {
    let dir = Dir::new();
    let (out, report) = (dir.path("fisher.nd.json"), dir.path("report.json"));
    let model = testdata("nondim/fisher-kpp-cells.json");
    let args = [
        model.as_str(),
        "-o",
        &out,
        "--scale",
        "t=1/r",
        "--scale",
        "x=sqrt(D/r)",
        "--scale",
        "u=K",
        "--report",
        &report,
    ];
    let result = run_ok(BIN, &args);
    // The initial profile's numbers carry units: the tool says so.
    assert!(String::from_utf8_lossy(&result.stderr).contains("species.u.initial: the numbers"));
    let nd = json(&out);
    assert_eq!(nd["rates"]["u"], "u * (1 - u)");
    assert_eq!(nd["species"]["u"]["diffusion"], "1");
    assert_eq!(nd["nondim"]["scales"]["x"]["value"], 100.0);
    let r = json(&report);
    assert_eq!(r["tool"], "nondim");
    assert_eq!(r["model"], "fisher-kpp-cells");
    assert_eq!(r["groups"][0]["group"], "L_x^2*r/D");
    assert_eq!(r["stiffness"]["recommendation"], "explicit");
    // Same inputs, same bytes.
    let again = dir.path("again.nd.json");
    let args2 = [
        model.as_str(),
        "-o",
        &again,
        "--scale",
        "t=1/r",
        "--scale",
        "x=sqrt(D/r)",
        "--scale",
        "u=K",
    ];
    run_ok(BIN, &args2);
    assert_eq!(std::fs::read(&out).unwrap(), std::fs::read(&again).unwrap());
}

/// The scales are expressions of parameters: `--set k=0.4` makes the
/// morphogen's time scale 1/k = 2.5 s and its length √(D/k) = √250 µm.
#[test]
fn set_moves_the_scales() {
    let dir = Dir::new();
    let out = dir.path("m.nd.json");
    run_ok(
        BIN,
        &[&testdata("morphogen-1d.json"), "-o", &out, "--set", "k=0.4"],
    );
    let nd = json(&out);
    assert_eq!(nd["nondim"]["scales"]["t"]["value"], 2.5);
    let x = nd["nondim"]["scales"]["x"]["value"].as_f64().unwrap();
    assert!((x - 250f64.sqrt()).abs() < 1e-12 * x, "{x}");
}

/// A table of the dimensionless model, with the model in its metadata as
/// simulate writes it, comes back in hours, µm and cells/µm².
#[test]
fn restore_multiplies_each_column_by_its_scale() {
    let dir = Dir::new();
    let nd_path = dir.path("fisher.nd.json");
    run_ok(
        BIN,
        &[&testdata("nondim/fisher-kpp-cells.json"), "-o", &nd_path],
    );
    let nd_text = std::fs::read_to_string(&nd_path).unwrap();
    let mut table = Table::new();
    table.push_f64("t", vec![Some(0.0), Some(1.2)]);
    table.push_f64("x", vec![Some(0.5), Some(2.0)]);
    table.push_f64("u", vec![Some(0.25), None]);
    table.push_f64("sigma_u", vec![Some(0.01), Some(0.01)]);
    table.push_utf8("condition", vec![Some("a".into()), Some("a".into())]);
    table.set_metadata([(META_MODEL.to_string(), nd_text)].into());
    let input = dir.path("nd.parquet");
    write_table(Path::new(&input), &table).unwrap();
    let output = dir.path("back.parquet");
    run_ok(BIN, &["restore", &input, "-o", &output]);
    let back = read_table(Path::new(&output)).unwrap();
    assert_eq!(values(&back, "t"), vec![0.0, 24.0]);
    assert_eq!(values(&back, "x"), vec![50.0, 200.0]);
    assert_eq!(back.f64_column("u").unwrap(), &[Some(0.25 * 0.0017), None]);
    assert_eq!(values(&back, "sigma_u"), vec![0.01 * 0.0017, 0.01 * 0.0017]);
    assert!(matches!(back.column("condition"), Some(Column::Utf8(_))));
    // The metadata now holds the dimensional model.
    let meta: Value = serde_json::from_str(&back.metadata()[META_MODEL]).unwrap();
    assert_eq!(meta["name"], "fisher-kpp-cells");
    // A model that nondim did not write cannot be restored.
    let plain = run(
        BIN,
        &[
            "restore",
            &input,
            "-o",
            &dir.path("x.parquet"),
            "--model",
            &testdata("morphogen-1d.json"),
        ],
    );
    assert_eq!(plain.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&plain.stderr).contains("no 'nondim' section"));

    // Another dimensionless model than the one the table came from would give wrong units.
    let other = dir.path("morphogen.nd.json");
    run_ok(BIN, &[&testdata("morphogen-1d.json"), "-o", &other]);
    let refused = |table: &str, extra: &[&str], expect: &str| {
        let out = dir.path("refused.parquet");
        let r = run(BIN, &[&["restore", table, "-o", &out], extra].concat());
        let stderr = String::from_utf8_lossy(&r.stderr);
        assert_eq!(r.status.code(), Some(2), "{stderr}");
        assert!(stderr.contains(expect), "{stderr}");
        assert!(!Path::new(&out).exists());
    };
    refused(
        &input,
        &["--model", &other],
        "nd.parquet: it was made from model 'fisher-kpp-cells-nd' with other scales, not from model 'morphogen-gradient-nd'",
    );
    // Damaged metadata is named, not read as "no model".
    let mut damaged = table.clone();
    damaged.set_metadata([(META_MODEL.to_string(), "{\"name\": ".to_string())].into());
    let damaged_path = dir.path("damaged.parquet");
    write_table(Path::new(&damaged_path), &damaged).unwrap();
    refused(
        &damaged_path,
        &["--model", &nd_path],
        "damaged.parquet: metadata 'piml.model' (the model the table came from) is damaged",
    );
    // A table with none of the model's quantities.
    let mut unrelated = Table::new();
    unrelated.push_f64("w", vec![Some(1.0)]);
    let unrelated_path = dir.path("unrelated.csv");
    write_table(Path::new(&unrelated_path), &unrelated).unwrap();
    refused(
        &unrelated_path,
        &["--model", &nd_path],
        "unrelated.csv: no column is a quantity of model 'fisher-kpp-cells-nd' (it rescales t, x, u); the table has w",
    );
}
