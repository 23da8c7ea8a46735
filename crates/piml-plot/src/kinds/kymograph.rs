//! A 1-D field over space and time: x across, t up, the value in colour.

use piml_io::Table;

use crate::Options;
use crate::error::Result;
use crate::figure::{Cells, ColourBar, Figure, Heat, Panel, value_range};
use crate::model::ModelInfo;
use crate::table::{groups, has, numbers, one_column, table_error};

pub(crate) fn figure(table: &Table, options: &Options) -> Result<Figure> {
    if has(table, "y") {
        return Err(table_error(
            table,
            "the table has a y column: a 2-D field, drawn by plot field",
        ));
    }
    table.require_columns(&["t", "x"])?;
    let name = one_column(table, &options.species)?;
    let (t, x, u) = (
        numbers(table, "t")?,
        numbers(table, "x")?,
        numbers(table, &name)?,
    );
    // Ensembles and conditions: the first group is drawn, and named.
    let group = groups(table)?.swap_remove(0);
    let points: Vec<(f64, f64, f64)> = group.rows.iter().map(|&r| (x[r], t[r], u[r])).collect();
    let Some((min, max)) = value_range(points.iter().map(|p| p.2)) else {
        return Err(crate::table::column_error(table, &name, "no value to draw"));
    };
    let model = ModelInfo::of(table);
    let caption = if group.label.is_empty() {
        name.clone()
    } else {
        format!("{name}, {}", group.label)
    };
    let mut figure = Figure::grid(
        model.title("kymograph"),
        vec![Panel::Heat(Heat {
            caption,
            x_label: model.coordinate_label("x"),
            y_label: model.coordinate_label("t"),
            cells: Cells::grid(&points),
            equal_aspect: false,
        })],
    );
    figure.colour_bar = Some(ColourBar {
        label: model.label(&name),
        min,
        max,
    });
    Ok(figure)
}
