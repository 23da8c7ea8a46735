//! ODE time courses: one line per species and group (condition, sample) of
//! each table, measurements as points in the colour of their curve.

use piml_io::Table;

use crate::Options;
use crate::error::Result;
use crate::figure::{Figure, Lines, Mark, Panel, Series};
use crate::model::ModelInfo;
use crate::table::{chosen_columns, column_error, curve, file, groups, has, numbers, table_error};

pub(crate) fn figure(tables: &[Table], data: Option<&Table>, options: &Options) -> Result<Figure> {
    let main = &tables[0];
    if has(main, "x") {
        return Err(table_error(
            main,
            "the table has an x column: a field, drawn by plot kymograph (1-D) or plot field (2-D)",
        ));
    }
    let species = chosen_columns(main, &options.species)?;
    let model = ModelInfo::of(main);
    // One colour per curve of the first table; fits and data reuse it.
    let mut keys: Vec<String> = Vec::new();
    let mut colour_of = |key: String| match keys.iter().position(|k| *k == key) {
        Some(i) => i,
        None => {
            keys.push(key);
            keys.len() - 1
        }
    };
    let mut series = Vec::new();
    for (k, table) in tables.iter().enumerate() {
        let t = numbers(table, "t")?;
        let names = present(table, &species)?;
        let suffix = if k == 0 {
            String::new()
        } else {
            format!(
                " ({})",
                file(table)
                    .file_stem()
                    .unwrap_or_default()
                    .to_string_lossy()
            )
        };
        for group in groups(table)? {
            for name in &names {
                let key = join(name, &group.label);
                series.push(Series {
                    label: format!("{key}{suffix}"),
                    points: curve(&t, &numbers(table, name)?, &group.rows),
                    mark: if k == 0 { Mark::Solid } else { Mark::Dashed },
                    colour: colour_of(key),
                });
            }
        }
    }
    if let Some(data) = data {
        let t = numbers(data, "t")?;
        let measured = present(data, &species)?;
        for group in groups(data)? {
            for name in &measured {
                let key = join(name, &group.label);
                let points = curve(&t, &numbers(data, name)?, &group.rows);
                if points.is_empty() {
                    continue;
                }
                series.push(Series {
                    label: format!("{key} data"),
                    points,
                    mark: Mark::Dots,
                    colour: colour_of(key),
                });
            }
        }
        if !series.iter().any(|s| s.mark == Mark::Dots) {
            return Err(column_error(data, measured[0], "no measured value"));
        }
    }
    let panel = Lines {
        caption: String::new(),
        x_label: model.coordinate_label("t"),
        y_label: model.shared_label(&species, "value"),
        log_y: options.log_y,
        series,
        levels: Vec::new(),
        colours: keys.len(),
        legend_low: false,
    };
    Ok(Figure::grid(
        model.title("trajectories"),
        vec![Panel::Lines(panel)],
    ))
}

/// The drawn columns a further table holds: a fit's prediction or the data
/// may hold only some (its observables); none is an error.
fn present<'a>(table: &Table, species: &'a [String]) -> Result<Vec<&'a String>> {
    let names: Vec<&String> = species.iter().filter(|s| has(table, s)).collect();
    if names.is_empty() {
        return Err(table_error(
            table,
            format!("no column of the species drawn ({})", species.join(", ")),
        ));
    }
    Ok(names)
}

/// `u`, or `u sample 3` when the table has several groups.
pub(crate) fn join(name: &str, group: &str) -> String {
    if group.is_empty() {
        name.to_string()
    } else {
        format!("{name} {group}")
    }
}
