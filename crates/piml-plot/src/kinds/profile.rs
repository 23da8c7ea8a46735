//! Profile likelihoods: Δ(−2 log L) along each parameter's profile with the
//! 95% threshold of χ²₁ (3.84), where the profile crosses it bounding the
//! confidence interval (Raue et al. 2009, Bioinformatics 25:1923).

use piml_io::Table;

use crate::Options;
use crate::error::Result;
use crate::figure::{Figure, Level, Lines, Mark, Panel, Series};
use crate::model::ModelInfo;
use crate::table::{column_error, curve, has, numbers, table_error};

/// The 0.95 quantile of χ² with one degree of freedom.
const CHI2_1_95: f64 = 3.841_458_820_694_124;

/// Columns: `parameter` (text), the profiled value — a `value` column, or, as
/// `identifiability profile` writes it, one column per parameter read at the row's
/// `parameter` — and `delta_chi2` or `objective` (−2 log L, from which the profile's
/// minimum is subtracted).
pub(crate) fn figure(table: &Table, options: &Options) -> Result<Figure> {
    table.require_columns(&["parameter"])?;
    let delta_column = if has(table, "delta_chi2") {
        "delta_chi2"
    } else if has(table, "objective") {
        "objective"
    } else {
        return Err(table_error(
            table,
            "a profile needs a 'delta_chi2' or an 'objective' column",
        ));
    };
    let names = table.utf8_column("parameter")?;
    let value = if has(table, "value") {
        numbers(table, "value")?
    } else {
        profiled_values(table, names)?
    };
    let y = numbers(table, delta_column)?;
    let mut parameters: Vec<&str> = Vec::new();
    for (row, name) in names.iter().enumerate() {
        let Some(name) = name.as_deref() else {
            return Err(column_error(
                table,
                "parameter",
                format!("row {}: no parameter name", row + 1),
            ));
        };
        if !parameters.contains(&name) {
            parameters.push(name);
        }
    }
    for wanted in &options.species {
        if !parameters.contains(&wanted.as_str()) {
            return Err(column_error(
                table,
                "parameter",
                format!(
                    "no profile of '{wanted}'; the table profiles {}",
                    parameters.join(", ")
                ),
            ));
        }
    }
    if !options.species.is_empty() {
        parameters.retain(|p| options.species.iter().any(|s| s == p));
    }
    let model = ModelInfo::of(table);
    let mut panels = Vec::new();
    for name in parameters {
        let rows: Vec<usize> = (0..names.len())
            .filter(|&r| names[r].as_deref() == Some(name))
            .collect();
        let mut points = curve(&value, &y, &rows);
        if delta_column == "objective" {
            let best = points.iter().map(|p| p.1).fold(f64::INFINITY, f64::min);
            points.iter_mut().for_each(|p| p.1 -= best);
        }
        panels.push(Panel::Lines(Lines {
            caption: name.to_string(),
            x_label: model.label(name),
            y_label: "Δ(−2 log L)".to_string(),
            log_y: false,
            series: vec![Series {
                label: String::new(),
                points,
                mark: Mark::LineDots,
                colour: 0,
            }],
            levels: vec![Level {
                label: "95% (χ²₁ = 3.84)".to_string(),
                y: CHI2_1_95,
            }],
            colours: 1,
            legend_low: true,
        }));
    }
    Ok(Figure::grid(model.title("profile likelihood"), panels))
}

/// Each row's value of the parameter it profiles, from that parameter's own column.
fn profiled_values(table: &Table, names: &[Option<String>]) -> Result<Vec<f64>> {
    let mut columns: Vec<(String, Vec<f64>)> = Vec::new();
    names
        .iter()
        .enumerate()
        .map(|(row, name)| {
            let name = name.as_deref().ok_or_else(|| {
                column_error(
                    table,
                    "parameter",
                    format!("row {}: no parameter name", row + 1),
                )
            })?;
            if !columns.iter().any(|(n, _)| n == name) {
                if !has(table, name) {
                    return Err(table_error(
                        table,
                        format!("a profile needs a 'value' column or a column '{name}'"),
                    ));
                }
                columns.push((name.to_string(), numbers(table, name)?));
            }
            let (_, v) = columns.iter().find(|(n, _)| n == name).expect("just added");
            Ok(v[row])
        })
        .collect()
}
