//! A 2-D field at chosen times, one panel each on a shared colour scale.

use piml_io::Table;

use crate::Options;
use crate::error::{Error, Result};
use crate::figure::{Cells, ColourBar, Figure, Heat, Panel, value_range};
use crate::model::ModelInfo;
use crate::table::{column_error, distinct, groups, numbers, one_column};

/// Panels drawn when no `--time` is given.
const DEFAULT_PANELS: usize = 4;

pub(crate) fn figure(table: &Table, options: &Options) -> Result<Figure> {
    table.require_columns(&["t", "x", "y"])?;
    let name = one_column(table, &options.species)?;
    let (t, x, y, u) = (
        numbers(table, "t")?,
        numbers(table, "x")?,
        numbers(table, "y")?,
        numbers(table, &name)?,
    );
    let group = groups(table)?.swap_remove(0);
    let times_in_table = distinct(group.rows.iter().map(|&r| t[r]));
    let times = chosen_times(&times_in_table, &options.times)?;
    let model = ModelInfo::of(table);
    let t_units = model.coordinate_units("t").unwrap_or("");
    let mut panels = Vec::new();
    let mut all = Vec::new();
    for time in times {
        let points: Vec<(f64, f64, f64)> = group
            .rows
            .iter()
            .filter(|&&r| t[r] == time)
            .map(|&r| (x[r], y[r], u[r]))
            .collect();
        all.extend(points.iter().map(|p| p.2));
        let mut caption = format!("t = {} {t_units}", short(time));
        if !group.label.is_empty() {
            caption = format!("{caption}, {}", group.label);
        }
        panels.push(Panel::Heat(Heat {
            caption: caption.trim_end().to_string(),
            x_label: model.coordinate_label("x"),
            y_label: model.coordinate_label("y"),
            cells: Cells::grid(&points),
            equal_aspect: true,
        }));
    }
    let Some((min, max)) = value_range(all) else {
        return Err(column_error(table, &name, "no value to draw"));
    };
    let mut figure = Figure::grid(model.title(&format!("{name} field")), panels);
    figure.colour_bar = Some(ColourBar {
        label: model.label(&name),
        min,
        max,
    });
    Ok(figure)
}

/// The table's times nearest the requested ones, or up to four spread
/// evenly from the first to the last.
fn chosen_times(available: &[f64], requested: &[f64]) -> Result<Vec<f64>> {
    let (Some(&first), Some(&last)) = (available.first(), available.last()) else {
        return Err(Error::Option("the table has no time with values".into()));
    };
    if requested.is_empty() {
        let n = available.len().min(DEFAULT_PANELS);
        return Ok((0..n)
            .map(|i| {
                available[if n == 1 {
                    0
                } else {
                    i * (available.len() - 1) / (n - 1)
                }]
            })
            .collect());
    }
    // A requested time may miss the stored one by rounding in its decimal form.
    let slack = 1e-9 * (last - first).abs().max(1.0);
    requested
        .iter()
        .map(|&want| {
            if want < first - slack || want > last + slack {
                return Err(Error::Option(format!(
                    "--time {want} is outside the table's times [{first}, {last}]"
                )));
            }
            Ok(available
                .iter()
                .copied()
                .min_by(|a, b| (a - want).abs().total_cmp(&(b - want).abs()))
                .unwrap_or(first))
        })
        .collect()
}

/// A time as a caption shows it: rounded to four decimals.
fn short(v: f64) -> String {
    format!("{}", (v * 1e4).round() / 1e4)
}

#[cfg(test)]
mod tests {
    use super::chosen_times;

    #[test]
    fn default_times_spread_from_first_to_last() {
        let times: Vec<f64> = (0..=10).map(f64::from).collect();
        assert_eq!(chosen_times(&times, &[]).unwrap(), [0.0, 3.0, 6.0, 10.0]);
        assert_eq!(chosen_times(&times[..2], &[]).unwrap(), [0.0, 1.0]);
    }

    #[test]
    fn requested_times_take_the_nearest_stored_one() {
        let times = [0.0, 0.1, 0.2, 0.30000000000000004];
        assert_eq!(chosen_times(&times, &[0.3, 0.09]).unwrap(), [times[3], 0.1]);
        assert!(chosen_times(&times, &[0.5]).is_err());
    }
}
