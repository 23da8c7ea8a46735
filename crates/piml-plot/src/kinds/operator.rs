//! Operator predictions against the truth: for a few ensemble members, the
//! predicted field (dashed) and the true one (solid) over x at the
//! prediction's time.

use piml_io::Table;

use crate::Options;
use crate::error::Result;
use crate::figure::{Figure, Lines, Mark, Panel, Series};
use crate::model::ModelInfo;
use crate::table::{chosen_columns, curve, distinct, has, numbers, one_column, table_error};

pub(crate) fn figure(prediction: &Table, truth: &Table, options: &Options) -> Result<Figure> {
    for table in [prediction, truth] {
        if has(table, "y") {
            return Err(table_error(
                table,
                "a 2-D field: draw prediction and truth each with plot field",
            ));
        }
        table.require_columns(&["sample", "t", "x"])?;
    }
    let name = one_column(prediction, &options.species)?;
    chosen_columns(truth, std::slice::from_ref(&name))?;
    let (ps, pt, px, pu) = (
        numbers(prediction, "sample")?,
        numbers(prediction, "t")?,
        numbers(prediction, "x")?,
        numbers(prediction, &name)?,
    );
    let (ts, tt, tx, tu) = (
        numbers(truth, "sample")?,
        numbers(truth, "t")?,
        numbers(truth, "x")?,
        numbers(truth, &name)?,
    );
    let samples: Vec<f64> = distinct(ps.iter().copied())
        .into_iter()
        .take(options.samples.max(1))
        .collect();
    let mut series = Vec::new();
    let mut time = f64::NAN;
    for (i, &sample) in samples.iter().enumerate() {
        let rows: Vec<usize> = (0..ps.len()).filter(|&r| ps[r] == sample).collect();
        // The prediction is of one time per member; the truth table may hold several.
        time = pt[rows[0]];
        let slack = 1e-9 * time.abs().max(1.0);
        let truth_rows: Vec<usize> = (0..ts.len())
            .filter(|&r| ts[r] == sample && (tt[r] - time).abs() <= slack)
            .collect();
        if truth_rows.is_empty() {
            return Err(table_error(
                truth,
                format!("no rows of sample {sample} at t = {time}, the prediction's time"),
            ));
        }
        series.push(Series {
            label: format!("sample {sample} truth"),
            points: curve(&tx, &tu, &truth_rows),
            mark: Mark::Solid,
            colour: i,
        });
        series.push(Series {
            label: format!("sample {sample} prediction"),
            points: curve(&px, &pu, &rows),
            mark: Mark::Dashed,
            colour: i,
        });
    }
    let model = ModelInfo::of(prediction);
    let t_units = model.coordinate_units("t").unwrap_or("");
    let panel = Lines {
        caption: format!("t = {time} {t_units}").trim_end().to_string(),
        x_label: model.coordinate_label("x"),
        y_label: model.label(&name),
        log_y: options.log_y,
        series,
        levels: Vec::new(),
        colours: samples.len(),
        legend_low: false,
    };
    Ok(Figure::grid(
        model.title("operator prediction (dashed) and truth (solid)"),
        vec![Panel::Lines(panel)],
    ))
}
