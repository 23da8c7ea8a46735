//! Every kind renders small tables to PNG (size checked, not blank, the colour
//! map's ends where the values' extremes are) and to SVG (labels with units
//! from the model), and refuses tables that lack what it needs.

use std::collections::{BTreeMap, HashSet};

use piml_io::{Column, Table};
use piml_plot::{Error, Format, Inputs, Kind, Options, render};

const MODEL: &str = r#"{"name": "decay", "time": {"units": "h"},
  "space": {"x": {"units": "um"}, "y": {"units": "um"}},
  "species": {"u": {"units": "uM"}, "v": {"units": "uM"}},
  "parameters": {"k": {"units": "1/h"}}}"#;

/// Viridis at 0 and 1 (plotters' ViridisRGB, matplotlib's table ends).
const VIRIDIS_LOW: [u8; 3] = [68, 1, 84];
const VIRIDIS_HIGH: [u8; 3] = [254, 232, 37];

fn with_model(mut table: Table) -> Table {
    table.set_metadata(BTreeMap::from([(
        "piml.model".to_string(),
        MODEL.to_string(),
    )]));
    table
}

fn f64s(values: impl IntoIterator<Item = f64>) -> Vec<Option<f64>> {
    values.into_iter().map(Some).collect()
}

/// Decay u = exp(-k t) and its product v = 1 - u at 21 times, k = 0.3/h.
fn trajectories() -> Table {
    let t: Vec<f64> = (0..21).map(|i| 0.5 * f64::from(i)).collect();
    let mut table = Table::new();
    table.push_f64("t", f64s(t.clone()));
    table.push_f64("u", f64s(t.iter().map(|t| (-0.3 * t).exp())));
    table.push_f64("v", f64s(t.iter().map(|t| 1.0 - (-0.3 * t).exp())));
    with_model(table)
}

/// A 1-D field u = x / 100 on 20 cells at 10 times: a ramp from 0 to 1 in x.
fn ramp_1d() -> Table {
    let (mut t, mut x, mut u) = (Vec::new(), Vec::new(), Vec::new());
    for it in 0..10 {
        for ix in 0..=20 {
            t.push(f64::from(it));
            x.push(5.0 * f64::from(ix));
            u.push(5.0 * f64::from(ix) / 100.0);
        }
    }
    let mut table = Table::new();
    table.push_f64("t", f64s(t));
    table.push_f64("x", f64s(x));
    table.push_f64("u", f64s(u));
    with_model(table)
}

/// A 2-D field u = x·y on a 12×12 grid at times 0, 1, 2.
fn field_2d() -> Table {
    let (mut t, mut x, mut y, mut u) = (Vec::new(), Vec::new(), Vec::new(), Vec::new());
    for it in 0..3 {
        for iy in 0..12 {
            for ix in 0..12 {
                let (px, py) = (f64::from(ix) / 11.0, f64::from(iy) / 11.0);
                t.push(f64::from(it));
                x.push(px);
                y.push(py);
                u.push(px * py * f64::from(it + 1));
            }
        }
    }
    let mut table = Table::new();
    table.push_f64("t", f64s(t));
    table.push_f64("x", f64s(x));
    table.push_f64("y", f64s(y));
    table.push_f64("u", f64s(u));
    with_model(table)
}

fn render_png(kind: Kind, tables: &[Table], data: Option<&Table>, options: &Options) -> Vec<u8> {
    let inputs = Inputs { tables, data };
    render(kind, inputs, options, Format::Png).unwrap_or_else(|e| panic!("{kind:?}: {e}"))
}

fn render_svg(kind: Kind, tables: &[Table], data: Option<&Table>, options: &Options) -> String {
    let inputs = Inputs { tables, data };
    let bytes =
        render(kind, inputs, options, Format::Svg).unwrap_or_else(|e| panic!("{kind:?}: {e}"));
    String::from_utf8(bytes).expect("SVG is text")
}

/// Whether one of the SVG's text elements says exactly `label`.
fn has_text(svg: &str, label: &str) -> bool {
    svg.split("<text")
        .skip(1)
        .filter_map(|t| Some(t.split_once('>')?.1.split_once("</text>")?.0.trim()))
        .any(|t| t == label)
}

/// Decodes a PNG into its size and RGB pixels.
fn decode(bytes: &[u8]) -> (u32, u32, Vec<[u8; 3]>) {
    let decoder = png::Decoder::new(std::io::Cursor::new(bytes));
    let mut reader = decoder.read_info().expect("a PNG header");
    let mut buf = vec![0; reader.output_buffer_size()];
    let info = reader.next_frame(&mut buf).expect("a PNG image");
    assert_eq!(info.color_type, png::ColorType::Rgb);
    let pixels = buf[..info.buffer_size()]
        .chunks_exact(3)
        .map(|p| [p[0], p[1], p[2]])
        .collect();
    (info.width, info.height, pixels)
}

/// Asserts the picture has the requested size and is drawn: a tenth of a
/// typical plot's pixels is ink (axes, labels, curves), far above 1%; and
/// antialiased text and lines give many distinct colours, far above 20.
fn assert_drawn(bytes: &[u8], options: &Options) -> Vec<[u8; 3]> {
    let (w, h, pixels) = decode(bytes);
    assert_eq!((w, h), (options.width, options.height));
    let ink = pixels.iter().filter(|p| **p != [255, 255, 255]).count();
    assert!(
        ink * 100 > pixels.len(),
        "only {ink} of {} pixels drawn",
        pixels.len()
    );
    let colours: HashSet<[u8; 3]> = pixels.iter().copied().collect();
    assert!(colours.len() > 20, "only {} colours", colours.len());
    pixels
}

fn small() -> Options {
    Options {
        width: 480,
        height: 320,
        ..Options::default()
    }
}

#[test]
fn trajectories_with_data_and_a_fit() {
    let sim = trajectories();
    let mut data = Table::new();
    data.push_f64("t", f64s([1.0, 3.0, 6.0]));
    data.push_f64("u", vec![Some(0.75), None, Some(0.16)]);
    // A fit's prediction of u alone, drawn dashed beside both curves.
    let mut fit = Table::new();
    fit.push("t", sim.column("t").unwrap().clone());
    fit.push("u", sim.column("u").unwrap().clone());
    let options = small();
    let pixels = assert_drawn(
        &render_png(
            Kind::Trajectories,
            &[sim.clone(), fit.clone()],
            Some(&data),
            &options,
        ),
        &options,
    );
    // Two series share the first colour of the map (u); v is drawn in another.
    assert!(
        pixels.contains(&VIRIDIS_LOW),
        "u is not drawn in the map's first colour"
    );
    let svg = render_svg(
        Kind::Trajectories,
        &[sim, fit],
        Some(&data),
        &Options::default(),
    );
    for label in ["decay: trajectories", "t [h]", "value [uM]", "u data", "v"] {
        assert!(has_text(&svg, label), "no '{label}' in the SVG");
    }
}

#[test]
fn trajectories_of_one_species_label_its_units_and_take_a_log_axis() {
    let options = Options {
        species: vec!["u".into()],
        log_y: true,
        ..small()
    };
    let table = trajectories();
    assert_drawn(
        &render_png(
            Kind::Trajectories,
            std::slice::from_ref(&table),
            None,
            &options,
        ),
        &options,
    );
    let svg = render_svg(Kind::Trajectories, &[table], None, &options);
    assert!(svg.contains("u [uM]"));
    assert!(!has_text(&svg, "v"), "v drawn though --species u");
}

/// Profiles of the ramp at two chosen times, a fit dashed and measurements as points: each
/// chosen time is one colour, shared by the fit and the data at that time, with one legend
/// entry.
#[test]
fn profiles_over_x_at_chosen_times_with_data_and_a_fit() {
    let field = ramp_1d();
    let mut data = Table::new();
    data.push_f64("t", f64s([0.0, 0.0, 9.0, 5.0]));
    data.push_f64("x", f64s([10.0, 10.0, 50.0, 50.0]));
    data.push_f64("u", f64s([0.12, 0.08, 0.5, 0.4]));
    let options = Options {
        times: vec![0.0, 9.0],
        ..small()
    };
    let tables = [field.clone(), field];
    let pixels = assert_drawn(
        &render_png(Kind::Profiles, &tables, Some(&data), &options),
        &options,
    );
    assert!(
        pixels.contains(&VIRIDIS_LOW),
        "the first time is not drawn in the map's first colour"
    );
    let svg = render_svg(Kind::Profiles, &tables, Some(&data), &options);
    // One legend entry per time: the fit and the data share their curve's.
    for label in [
        "decay: profiles",
        "x [um]",
        "u [uM]",
        "u t = 0 h",
        "u t = 9 h",
    ] {
        assert!(has_text(&svg, label), "no '{label}' in the SVG");
    }
    assert!(
        !svg.contains("data<"),
        "the data have legend entries of their own"
    );
    // t = 5 is not a chosen time: its measurement is not drawn.
    assert!(!svg.contains("t = 5"));
    let err = render(
        Kind::Profiles,
        Inputs {
            tables: &[field_2d()],
            data: None,
        },
        &small(),
        Format::Png,
    )
    .expect_err("a 2-D field");
    assert!(
        err.to_string().contains("profiles are of 1-D fields"),
        "{err}"
    );
}

#[test]
fn kymograph_maps_the_ramp_onto_the_colour_map_ends() {
    let options = small();
    let pixels = assert_drawn(
        &render_png(Kind::Kymograph, &[ramp_1d()], None, &options),
        &options,
    );
    // u = 0 at the left edge and 1 at the right: both ends of viridis appear
    // as cells, not only in the colour bar's 1/128 steps.
    let low = pixels.iter().filter(|p| **p == VIRIDIS_LOW).count();
    let high = pixels.iter().filter(|p| **p == VIRIDIS_HIGH).count();
    assert!(low > 200 && high > 200, "low {low}, high {high} pixels");
    let svg = render_svg(Kind::Kymograph, &[ramp_1d()], None, &options);
    for label in ["x [um]", "t [h]", "u [uM]"] {
        assert!(svg.contains(label), "no '{label}' in the SVG");
    }
}

#[test]
fn field_draws_the_chosen_times_on_one_scale() {
    let options = Options {
        times: vec![0.0, 2.0],
        ..small()
    };
    let pixels = assert_drawn(
        &render_png(Kind::Field, &[field_2d()], None, &options),
        &options,
    );
    assert!(pixels.contains(&VIRIDIS_HIGH));
    let svg = render_svg(Kind::Field, &[field_2d()], None, &options);
    assert!(svg.contains("t = 0 h") && svg.contains("t = 2 h"));
    assert!(!svg.contains("t = 1 h"), "a time not asked for is drawn");
    let outside = Options {
        times: vec![5.0],
        ..small()
    };
    let err = render(
        Kind::Field,
        Inputs {
            tables: &[field_2d()],
            data: None,
        },
        &outside,
        Format::Png,
    )
    .expect_err("t = 5 is outside the table");
    assert!(err.to_string().contains("--time 5"), "{err}");
}

#[test]
fn history_of_a_pinn_and_of_an_operator() {
    // fit-pinn: Adam steps 0..40, then L-BFGS evaluations counted from 0 again.
    let steps: Vec<i64> = (0..5)
        .map(|i| 10 * i)
        .chain((0..3).map(|i| 5 * i))
        .collect();
    let n = steps.len();
    let mut pinn = Table::new();
    pinn.push_utf8(
        "phase",
        (0..n)
            .map(|i| Some(if i < 5 { "adam" } else { "lbfgs" }.to_string()))
            .collect(),
    );
    pinn.push_i64("step", steps);
    pinn.push_f64("loss", f64s((0..n).map(|i| 10f64.powi(-(i as i32)))));
    pinn.push_f64(
        "loss_pde",
        f64s((0..n).map(|i| 0.5 * 10f64.powi(-(i as i32)))),
    );
    pinn.push_f64("weight_pde", f64s((0..n).map(|_| 1.0)));
    pinn.push_f64("k", f64s((0..n).map(|i| 0.1 + 0.02 * i as f64)));
    let pinn = with_model(pinn);
    let options = small();
    assert_drawn(
        &render_png(Kind::History, std::slice::from_ref(&pinn), None, &options),
        &options,
    );
    let svg = render_svg(Kind::History, &[pinn], None, &options);
    for label in ["losses", "k", "loss_pde", "k [1/h]", "iteration"] {
        assert!(has_text(&svg, label), "no '{label}' in the SVG");
    }
    assert!(
        !svg.contains("weight_pde"),
        "term weights are not parameters"
    );

    let mut operator = Table::new();
    operator.push_f64("epoch", f64s((1..=20).map(f64::from)));
    operator.push_f64("train_error", f64s((1..=20).map(|e| 1.0 / f64::from(e))));
    operator.push_f64("test_error", f64s((1..=20).map(|e| 1.2 / f64::from(e))));
    operator.push_f64("lr", f64s((1..=20).map(|e| 1e-3 * 0.5f64.powi(e / 10))));
    assert_drawn(
        &render_png(
            Kind::History,
            std::slice::from_ref(&operator),
            None,
            &options,
        ),
        &options,
    );
    let svg = render_svg(Kind::History, &[operator], None, &options);
    for label in ["train_error", "test_error", "learning rate", "epoch"] {
        assert!(svg.contains(label), "no '{label}' in the SVG");
    }
}

#[test]
fn residuals_over_space_and_time_and_over_time_alone() {
    let field = ramp_1d();
    let x: Vec<f64> = field
        .f64_values("x")
        .unwrap()
        .into_iter()
        .flatten()
        .collect();
    let mut table = Table::new();
    table.push("t", field.column("t").unwrap().clone());
    table.push("x", field.column("x").unwrap().clone());
    // Spanning decades, with an exact zero (drawn at the bottom of the scale).
    let r: Vec<f64> = x
        .iter()
        .map(|x| if *x == 0.0 { 0.0 } else { 1e-6 * x * x })
        .collect();
    table.push_f64("residual_u", f64s(r.clone()));
    table.push_f64("residual", f64s(r));
    let table = with_model(table);
    let options = small();
    let pixels = assert_drawn(
        &render_png(
            Kind::Residuals,
            std::slice::from_ref(&table),
            None,
            &options,
        ),
        &options,
    );
    assert!(pixels.contains(&VIRIDIS_LOW) && pixels.contains(&VIRIDIS_HIGH));
    let by_species = Options {
        species: vec!["u".into()],
        ..small()
    };
    let svg = render_svg(Kind::Residuals, &[table], None, &by_species);
    assert!(svg.contains("log10 |residual_u|"));

    let mut ode = Table::new();
    ode.push_f64("t", f64s((0..30).map(f64::from)));
    ode.push_f64(
        "residual",
        f64s((0..30).map(|i| 1e-3 * (-f64::from(i)).exp())),
    );
    assert_drawn(
        &render_png(Kind::Residuals, &[ode], None, &options),
        &options,
    );
}

/// An operator's truth: two samples, u = (s + 1) sin(πx) at t = 0 and t = 1.
fn operator_truth() -> Table {
    let (mut s, mut t, mut x, mut u) = (Vec::new(), Vec::new(), Vec::new(), Vec::new());
    for sample in 0..2 {
        for time in [0.0, 1.0] {
            for i in 0..32 {
                let px = f64::from(i) / 32.0;
                s.push(sample);
                t.push(time);
                x.push(px);
                u.push(
                    (sample as f64 + 1.0) * (std::f64::consts::PI * px).sin() * (1.0 - 0.5 * time),
                );
            }
        }
    }
    let mut table = Table::new();
    table.push("sample", Column::I64(s));
    table.push_f64("t", f64s(t));
    table.push_f64("x", f64s(x));
    table.push_f64("u", f64s(u));
    with_model(table)
}

#[test]
fn operator_prediction_against_truth() {
    let truth = operator_truth();
    let at_end: Vec<bool> = truth
        .f64_values("t")
        .unwrap()
        .iter()
        .map(|t| *t == Some(1.0))
        .collect();
    let mut prediction = truth.filter(&at_end);
    let u: Vec<Option<f64>> = prediction
        .f64_values("u")
        .unwrap()
        .iter()
        .map(|v| v.map(|v| 1.05 * v))
        .collect();
    prediction.push_f64("u", u);
    let options = small();
    assert_drawn(
        &render_png(
            Kind::Operator,
            &[prediction.clone(), truth.clone()],
            None,
            &options,
        ),
        &options,
    );
    let svg = render_svg(
        Kind::Operator,
        &[prediction.clone(), truth.clone()],
        None,
        &Options::default(),
    );
    for label in ["sample 1 prediction", "sample 0 truth", "t = 1 h", "u [uM]"] {
        assert!(svg.contains(label), "no '{label}' in the SVG");
    }
    // The truth at t = 0 only: nothing to compare the prediction with.
    let at_start: Vec<bool> = at_end.iter().map(|e| !e).collect();
    let err = render(
        Kind::Operator,
        Inputs {
            tables: &[prediction, truth.filter(&at_start)],
            data: None,
        },
        &options,
        Format::Png,
    )
    .expect_err("no truth at the prediction's time");
    assert!(
        err.to_string().contains("no rows of sample 0 at t = 1"),
        "{err}"
    );
}

/// Profiles of two parameters: −2 log L quadratic about 1 and 2 (curvature
/// 1/σ², σ = 0.5): each crosses 3.84 at 1.96σ.
fn profile_table(column: &str) -> Table {
    let (mut name, mut value, mut objective) = (Vec::new(), Vec::new(), Vec::new());
    for (p, centre) in [("k", 1.0), ("K", 2.0)] {
        for i in -10..=10 {
            let v = centre + 0.15 * f64::from(i);
            name.push(Some(p.to_string()));
            value.push(v);
            objective.push(100.0 + ((v - centre) / 0.5).powi(2));
        }
    }
    let mut table = Table::new();
    table.push_utf8("parameter", name);
    table.push_f64("value", f64s(value));
    table.push_f64(column, f64s(objective));
    with_model(table)
}

#[test]
fn profile_with_the_95_percent_threshold() {
    let options = small();
    for column in ["objective", "delta_chi2"] {
        assert_drawn(
            &render_png(Kind::Profile, &[profile_table(column)], None, &options),
            &options,
        );
    }
    let svg = render_svg(Kind::Profile, &[profile_table("objective")], None, &options);
    for label in ["95% (χ²₁ = 3.84)", "Δ(−2 log L)", "k [1/h]", "K"] {
        assert!(has_text(&svg, label), "no '{label}' in the SVG");
    }
    let only_k = Options {
        species: vec!["k".into()],
        ..small()
    };
    let svg = render_svg(Kind::Profile, &[profile_table("objective")], None, &only_k);
    assert!(!has_text(&svg, "K"));
    let unknown = Options {
        species: vec!["Vmax".into()],
        ..small()
    };
    let err = render(
        Kind::Profile,
        Inputs {
            tables: &[profile_table("objective")],
            data: None,
        },
        &unknown,
        Format::Svg,
    )
    .expect_err("no profile of Vmax");
    assert!(
        err.to_string()
            .contains("no profile of 'Vmax'; the table profiles k, K"),
        "{err}"
    );
}

#[test]
fn waterfall_sorts_the_starts_and_counts_the_failed() {
    let mut table = Table::new();
    table.push("start", Column::I64((0..12).collect()));
    let objective: Vec<Option<f64>> = (0..12)
        .map(|i| match i {
            3 => None,
            7 => Some(f64::NAN),
            _ => Some(10.0 + f64::from((i * 7) % 5)),
        })
        .collect();
    table.push_f64("objective", objective);
    let options = small();
    assert_drawn(
        &render_png(
            Kind::Waterfall,
            std::slice::from_ref(&table),
            None,
            &options,
        ),
        &options,
    );
    let svg = render_svg(
        Kind::Waterfall,
        std::slice::from_ref(&table),
        None,
        &options,
    );
    assert!(svg.contains("12 starts, 2 failed"));
    assert!(svg.contains("best 10.000000"));
    // The start tables of a run's shards draw as one run.
    let mut other = Table::new();
    other.push("start", Column::I64(vec![12, 13]));
    other.push_f64("objective", vec![Some(9.5), None]);
    let svg = render_svg(Kind::Waterfall, &[table, other], None, &options);
    assert!(svg.contains("14 starts, 3 failed"));
    assert!(svg.contains("best 9.500000"));
}

#[test]
fn every_kind_refuses_a_table_without_its_columns() {
    let mut empty = Table::new();
    empty.push_f64("z", f64s([1.0, 2.0]));
    for kind in Kind::ALL {
        let tables: Vec<Table> = (0..kind.tables().0).map(|_| empty.clone()).collect();
        let err = render(
            kind,
            Inputs {
                tables: &tables,
                data: None,
            },
            &small(),
            Format::Png,
        )
        .expect_err("a table of one unrelated column");
        assert!(err.is_input_error(), "{kind:?}: {err}");
        assert!(
            err.to_string().contains("<table>"),
            "{kind:?} does not name the table: {err}"
        );
    }
}

#[test]
fn options_that_name_what_the_table_lacks_are_refused() {
    let sim = trajectories();
    let check =
        |kind: Kind, tables: &[Table], data: Option<&Table>, options: Options, want: &str| {
            let err = render(kind, Inputs { tables, data }, &options, Format::Png).expect_err(want);
            assert!(matches!(
                err,
                Error::Column { .. } | Error::Option(_) | Error::Table { .. }
            ));
            assert!(err.to_string().contains(want), "{kind:?}: {err}");
        };
    let species = |s: &str| Options {
        species: vec![s.into()],
        ..small()
    };
    check(
        Kind::Trajectories,
        std::slice::from_ref(&sim),
        None,
        species("w"),
        "column 'w': not a column of values; the table has u, v",
    );
    check(
        Kind::Trajectories,
        &[ramp_1d()],
        None,
        small(),
        "the table has an x column",
    );
    check(
        Kind::Kymograph,
        &[field_2d()],
        None,
        small(),
        "a 2-D field, drawn by plot field",
    );
    check(
        Kind::Kymograph,
        &[ramp_1d()],
        None,
        Options {
            species: vec!["u".into(), "v".into()],
            ..small()
        },
        "shows one column",
    );
    check(
        Kind::Operator,
        std::slice::from_ref(&sim),
        None,
        small(),
        "takes 2 tables, got 1",
    );
    check(
        Kind::Kymograph,
        &[ramp_1d()],
        Some(&sim),
        small(),
        "--data overlays measurements on trajectories",
    );
    check(
        Kind::Trajectories,
        std::slice::from_ref(&sim),
        None,
        Options {
            width: 10,
            ..small()
        },
        "--width 10 --height 320: a picture takes 200 to 16384 pixels across",
    );
    check(
        Kind::Trajectories,
        std::slice::from_ref(&sim),
        None,
        Options {
            width: 100_000,
            height: 100_000,
            ..small()
        },
        "--width 100000 --height 100000: a picture takes 200 to 16384 pixels across and 150 to 16384 down",
    );
    let mut unrelated = Table::new();
    unrelated.push_f64("t", f64s([1.0]));
    unrelated.push_f64("w", f64s([1.0]));
    check(
        Kind::Trajectories,
        &[sim],
        Some(&unrelated),
        small(),
        "no column of the species drawn (u, v)",
    );
}

#[test]
fn the_same_tables_give_the_same_bytes() {
    let options = small();
    let a = render_png(Kind::Field, &[field_2d()], None, &options);
    let b = render_png(Kind::Field, &[field_2d()], None, &options);
    assert_eq!(a, b);
}
