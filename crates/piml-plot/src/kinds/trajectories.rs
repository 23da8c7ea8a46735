//! Curves of each table with measurements as points in the colour of their curve: ODE time
//! courses (one line per species and group — condition, sample) and profiles of 1-D fields
//! over x (one line per species, group and chosen time).

use piml_io::Table;

use crate::Options;
use crate::error::Result;
use crate::figure::{Figure, Lines, Mark, Panel, Series};
use crate::kinds::field::short;
use crate::model::ModelInfo;
use crate::table::{
    chosen_columns, chosen_times, column_error, curve, distinct, file, groups, has, has_coordinate,
    numbers, table_error,
};

/// What the curves run along.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Along {
    /// Time courses (trajectories).
    Time,
    /// Profiles over x at chosen times.
    Space,
}

/// Profiles drawn when no `--time` is given (a scratch assay's five images fit).
const DEFAULT_PROFILES: usize = 6;

pub(crate) fn figure(
    tables: &[Table],
    data: Option<&Table>,
    options: &Options,
    along: Along,
) -> Result<Figure> {
    let main = &tables[0];
    match along {
        Along::Time if has_coordinate(main, "x") => {
            return Err(table_error(
                main,
                "the table has an x column: a field, drawn by plot profiles, kymograph (1-D) or field (2-D)",
            ));
        }
        Along::Space if !has_coordinate(main, "x") || has_coordinate(main, "y") => {
            return Err(table_error(
                main,
                "profiles are of 1-D fields: the table needs t and x columns and no y",
            ));
        }
        _ => {}
    }
    let times = match along {
        Along::Time => Vec::new(),
        // The times of every table and the data: a fit may lack the initial time.
        Along::Space => {
            let mut all = Vec::new();
            for table in tables.iter().chain(data) {
                all.extend(numbers(table, "t")?);
            }
            chosen_times(&distinct(all), &options.times, DEFAULT_PROFILES)?
        }
    };
    let abscissa = match along {
        Along::Time => "t",
        Along::Space => "x",
    };
    let species = chosen_columns(main, &options.species)?;
    let model = ModelInfo::of(main);
    let t_units = model.coordinate_units("t").unwrap_or("").to_string();
    let at_time = |time: f64, group: &str| {
        let label = format!("t = {} {t_units}", short(time));
        join(label.trim_end(), group)
    };
    // The curves of a table: time courses per group, or profiles per group and chosen time.
    let curves = |table: &Table| -> Result<Vec<(String, Vec<usize>)>> {
        let groups = groups(table)?;
        if along == Along::Time {
            return Ok(groups.into_iter().map(|g| (g.label, g.rows)).collect());
        }
        let t = numbers(table, "t")?;
        let stored = distinct(t.iter().copied());
        let span = stored.last().unwrap_or(&0.0) - stored.first().unwrap_or(&0.0);
        let mut out = Vec::new();
        for group in &groups {
            for &time in &times {
                // This table's time nearest the chosen one, if it has it (rounding aside).
                let Some(&near) = stored
                    .iter()
                    .min_by(|a, b| (*a - time).abs().total_cmp(&(*b - time).abs()))
                else {
                    continue;
                };
                if (near - time).abs() > 1e-9 * span.max(1.0) {
                    continue;
                }
                let rows = group
                    .rows
                    .iter()
                    .copied()
                    .filter(|&r| t[r] == near)
                    .collect();
                out.push((at_time(time, &group.label), rows));
            }
        }
        Ok(out)
    };
    // One colour per curve of the first table; fits and data reuse it. Profiles take their
    // colours in time order (the first table may lack a time the others have) and one legend
    // entry per colour: the title says which table is solid and which dashed.
    let mut keys: Vec<String> = Vec::new();
    if along == Along::Space {
        for group in groups(main)? {
            for name in &species {
                keys.extend(
                    times
                        .iter()
                        .map(|&time| join(name, &at_time(time, &group.label))),
                );
            }
        }
    }
    let mut labelled: Vec<String> = Vec::new();
    let mut legend = |key: &str, label: String| {
        if along == Along::Time {
            label
        } else if labelled.iter().any(|k| k == key) {
            String::new()
        } else {
            labelled.push(key.to_string());
            key.to_string()
        }
    };
    let mut colour_of = |key: String| match keys.iter().position(|k| *k == key) {
        Some(i) => i,
        None => {
            keys.push(key);
            keys.len() - 1
        }
    };
    let mut series = Vec::new();
    for (k, table) in tables.iter().enumerate() {
        let t = numbers(table, abscissa)?;
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
        for (label, rows) in curves(table)? {
            for name in &names {
                let key = join(name, &label);
                series.push(Series {
                    label: legend(&key, format!("{key}{suffix}")),
                    points: curve(&t, &numbers(table, name)?, &rows),
                    mark: if k == 0 { Mark::Solid } else { Mark::Dashed },
                    colour: colour_of(key),
                });
            }
        }
    }
    if let Some(data) = data {
        let t = numbers(data, abscissa)?;
        let measured = present(data, &species)?;
        for (label, rows) in curves(data)? {
            for name in &measured {
                let key = join(name, &label);
                let points = curve(&t, &numbers(data, name)?, &rows);
                if points.is_empty() {
                    continue;
                }
                series.push(Series {
                    label: legend(&key, format!("{key} data")),
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
        x_label: model.coordinate_label(abscissa),
        y_label: model.shared_label(&species, "value"),
        log_y: options.log_y,
        series,
        levels: Vec::new(),
        colours: keys.len(),
        legend_low: false,
    };
    Ok(Figure::grid(
        model.title(match along {
            Along::Time => "trajectories",
            Along::Space => "profiles",
        }),
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
