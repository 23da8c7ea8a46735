//! `plot` end to end: tables written to a temporary directory, pictures
//! decoded, and bad input refused with exit status 2 and nothing written.

use std::collections::BTreeMap;

use piml_io::{Table, write_table};
use piml_testkit::{Dir, check_input_kept, run, run_ok};

const BIN: &str = env!("CARGO_BIN_EXE_plot");

const MODEL: &str = r#"{"name": "front", "time": {"units": "h"},
  "space": {"x": {"units": "um"}, "y": {"units": "um"}},
  "species": {"u": {"units": "cells/um^2"}}}"#;

fn f64s(values: impl IntoIterator<Item = f64>) -> Vec<Option<f64>> {
    values.into_iter().map(Some).collect()
}

/// A travelling front u = 1 / (1 + exp(x - 10 t)) on 40 cells at 11 times,
/// with `y` copies for a 2-D table when `ny > 1`.
fn front(ny: usize) -> Table {
    let (mut t, mut x, mut y, mut u) = (Vec::new(), Vec::new(), Vec::new(), Vec::new());
    for it in 0..=10 {
        for iy in 0..ny {
            for ix in 0..40 {
                let (pt, px) = (f64::from(it), 2.5 * f64::from(ix));
                t.push(pt);
                x.push(px);
                y.push(f64::from(iy as u32));
                u.push(1.0 / (1.0 + (px - 10.0 * pt).exp()));
            }
        }
    }
    let mut table = Table::new();
    table.push_f64("t", f64s(t));
    table.push_f64("x", f64s(x));
    if ny > 1 {
        table.push_f64("y", f64s(y));
    }
    table.push_f64("u", f64s(u));
    table.set_metadata(BTreeMap::from([(
        "piml.model".to_string(),
        MODEL.to_string(),
    )]));
    table
}

fn write(dir: &Dir, name: &str, table: &Table) -> String {
    let path = dir.path(name);
    write_table(std::path::Path::new(&path), table).expect("the table is written");
    path
}

/// The size of a PNG file.
fn png_size(path: &str) -> (u32, u32) {
    let file = std::fs::File::open(path).expect("the picture exists");
    let reader = png::Decoder::new(std::io::BufReader::new(file))
        .read_info()
        .expect("a PNG");
    let info = reader.info();
    (info.width, info.height)
}

#[test]
fn kymograph_and_field_of_a_front() {
    let dir = Dir::new();
    let one = write(&dir, "front.parquet", &front(1));
    let two = write(&dir, "front2d.parquet", &front(3));
    let png = dir.path("kymo.png");
    run_ok(
        BIN,
        &[
            "kymograph",
            &one,
            "-o",
            &png,
            "--width",
            "640",
            "--height",
            "400",
        ],
    );
    assert_eq!(png_size(&png), (640, 400));
    let svg = dir.path("field.svg");
    run_ok(
        BIN,
        &[
            "field", &two, "-o", &svg, "--time", "0,5", "--title", "Front",
        ],
    );
    let text = std::fs::read_to_string(&svg).expect("the SVG");
    for label in ["Front", "t = 0 h", "t = 5 h", "u [cells/um^2]", "x [um]"] {
        assert!(text.contains(label), "no '{label}' in the SVG");
    }
}

#[test]
fn trajectories_with_data_from_csv() {
    let dir = Dir::new();
    let mut sim = Table::new();
    sim.push_f64("t", f64s((0..50).map(|i| 0.2 * f64::from(i))));
    sim.push_f64("S", f64s((0..50).map(|i| (-0.02 * f64::from(i)).exp())));
    sim.push_f64(
        "P",
        f64s((0..50).map(|i| 1.0 - (-0.02 * f64::from(i)).exp())),
    );
    let sim = write(&dir, "sim.parquet", &sim);
    let data = dir.path("data.csv");
    std::fs::write(&data, "t,S\n1,0.83\n4,0.45\n8,0.2\n").expect("the data");
    let png = dir.path("traj.png");
    run_ok(
        BIN,
        &[
            "trajectories",
            &sim,
            "--data",
            &data,
            "-o",
            &png,
            "--species",
            "S,P",
        ],
    );
    assert_eq!(png_size(&png), (900, 600));
}

/// Issue 20: in a table whose model has no space section, `x` and `y` are
/// species, drawn as time courses.
#[test]
fn trajectories_of_species_named_x_and_y() {
    let dir = Dir::new();
    let mut sim = Table::new();
    sim.push_f64("t", f64s((0..50).map(|i| 0.2 * f64::from(i))));
    sim.push_f64("x", f64s((0..50).map(|i| (0.3 * f64::from(i)).sin() + 2.0)));
    sim.push_f64("y", f64s((0..50).map(|i| (0.3 * f64::from(i)).cos() + 2.0)));
    sim.set_metadata(BTreeMap::from([(
        "piml.model".to_string(),
        r#"{"name": "lotka-volterra-xy", "species": {"x": {}, "y": {}}}"#.to_string(),
    )]));
    let sim = write(&dir, "xy.parquet", &sim);
    let png = dir.path("xy.png");
    run_ok(BIN, &["trajectories", &sim, "-o", &png, "--species", "x,y"]);
    assert_eq!(png_size(&png), (900, 600));
}

#[test]
fn operator_prediction_against_truth() {
    let dir = Dir::new();
    let truth = front(1);
    let mut with_sample = truth.clone();
    with_sample.push("sample", piml_io::Column::I64(vec![0; truth.n_rows()]));
    let last: Vec<bool> = truth
        .f64_values("t")
        .unwrap()
        .iter()
        .map(|t| *t == Some(10.0))
        .collect();
    let prediction = with_sample.filter(&last);
    let truth = write(&dir, "truth.parquet", &with_sample);
    let prediction = write(&dir, "pred.parquet", &prediction);
    let svg = dir.path("op.svg");
    run_ok(BIN, &["operator", &prediction, &truth, "-o", &svg]);
    let text = std::fs::read_to_string(&svg).expect("the SVG");
    assert!(text.contains("sample 0 prediction") && text.contains("t = 10 h"));
}

/// Runs a bad command: exit 2, the message names `expect`, no file left but the inputs.
fn refused(dir: &Dir, args: &[&str], expect: &str) {
    let before = dir.files();
    let out = run(BIN, args);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{args:?}: {stderr}");
    assert!(stderr.starts_with("error: "), "{stderr}");
    assert!(
        stderr.contains(expect),
        "{args:?}:\n  got:  {stderr}  want: {expect}"
    );
    assert_eq!(dir.files(), before, "{args:?} left files behind");
}

#[test]
fn bad_input_exits_2_naming_the_file_or_column() {
    let dir = Dir::new();
    let one = write(&dir, "front.parquet", &front(1));
    let out = dir.path("out.png");
    let missing = dir.path("missing.parquet");
    refused(
        &dir,
        &["kymograph", &missing, "-o", &out],
        "missing.parquet",
    );
    refused(
        &dir,
        &["history", &one, "-o", &out],
        "front.parquet: not a training history",
    );
    refused(
        &dir,
        &["kymograph", &one, "-o", &out, "--species", "v"],
        "column 'v'",
    );
    refused(
        &dir,
        &["profile", &one, "-o", &out],
        "missing column 'parameter'",
    );
    refused(&dir, &["field", &one, "-o", &out], "missing column 'y'");
    refused(
        &dir,
        &["operator", &one, &one, "-o", &out, "--samples", "0"],
        "invalid value '0' for '--samples <N>': expected a count of at least 1",
    );
    refused(
        &dir,
        &["kymograph", &one, "-o", &dir.path("out.jpg")],
        "name it .png or .svg",
    );
    refused(
        &dir,
        &["kymograph", &one, "-o", &dir.path("no/such/dir/out.png")],
        "no such directory",
    );
    refused(
        &dir,
        &["operator", &one, "-o", &out],
        "takes 2 tables, got 1",
    );
    refused(
        &dir,
        &["field", &one, "-o", &out, "--time", "a"],
        "'a' is not a number",
    );
    refused(
        &dir,
        &[
            "kymograph",
            &one,
            "-o",
            &out,
            "--width",
            "100000",
            "--height",
            "100000",
        ],
        "--width 100000 --height 100000: a picture takes 200 to 16384 pixels across",
    );

    // A good picture is not replaced by a failed run.
    run_ok(BIN, &["kymograph", &one, "-o", &out]);
    let good = std::fs::read(&out).expect("the picture");
    refused(
        &dir,
        &["kymograph", &one, "-o", &out, "--species", "v"],
        "column 'v'",
    );
    assert_eq!(std::fs::read(&out).expect("the picture"), good);
}

/// A picture named as its own input table is refused, the table kept.
#[test]
fn an_output_that_is_the_input_is_refused() {
    let dir = Dir::new();
    let table = dir.path("t.csv");
    std::fs::write(&table, "t,u\n0,1\n1,2\n").unwrap();
    check_input_kept(
        BIN,
        &["trajectories", &table, "-o", &table, "--format", "png"],
        &table,
    );
}
