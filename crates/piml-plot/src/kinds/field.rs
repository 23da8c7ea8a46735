//! A 2-D field at chosen times, one panel each on a shared colour scale.

use piml_io::Table;

use crate::Options;
use crate::error::Result;
use crate::figure::{Cells, ColourBar, Figure, Heat, Panel, value_range};
use crate::model::ModelInfo;
use crate::table::{chosen_times, column_error, distinct, groups, numbers, one_column};

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
    let times = chosen_times(&times_in_table, &options.times, DEFAULT_PANELS)?;
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

/// A time as a caption shows it: rounded to four decimals.
pub(crate) fn short(v: f64) -> String {
    format!("{}", (v * 1e4).round() / 1e4)
}
