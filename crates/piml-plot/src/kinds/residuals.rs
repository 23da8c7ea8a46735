//! PINN residuals: |residual| over (x, t) in colour on a log scale, or over t
//! alone for an ODE model.

use piml_io::Table;

use crate::Options;
use crate::error::Result;
use crate::figure::{Cells, ColourBar, Figure, Heat, Lines, Mark, Panel, Series, value_range};
use crate::model::ModelInfo;
use crate::table::{column_error, has_coordinate, numbers};

pub(crate) fn figure(table: &Table, options: &Options) -> Result<Figure> {
    let column = match options.species.as_slice() {
        [] => "residual".to_string(),
        [one] => format!("residual_{one}"),
        more => {
            return Err(crate::Error::Option(format!(
                "plot residuals shows one residual; --species names {}",
                more.join(", ")
            )));
        }
    };
    let t = numbers(table, "t")?;
    let r = numbers(table, &column)?;
    let model = ModelInfo::of(table);
    let title = model.title(&format!("|{column}|"));
    if !has_coordinate(table, "x") {
        let points: Vec<(f64, f64)> = t
            .iter()
            .zip(&r)
            .filter(|(t, r)| t.is_finite() && r.is_finite())
            .map(|(&t, &r)| (t, r.abs()))
            .collect();
        let panel = Lines {
            caption: String::new(),
            x_label: model.coordinate_label("t"),
            y_label: format!("|{column}|"),
            log_y: true,
            series: vec![Series {
                label: String::new(),
                points,
                mark: Mark::Dots,
                colour: 0,
            }],
            levels: Vec::new(),
            colours: 1,
            legend_low: false,
        };
        return Ok(Figure::grid(title, vec![Panel::Lines(panel)]));
    }
    let x = numbers(table, "x")?;
    // Residuals span decades: colour by log10 |r|; exact zeros sit at the bottom.
    let mut dots: Vec<(f64, f64, f64)> = (0..table.n_rows())
        .filter(|&i| x[i].is_finite() && t[i].is_finite() && r[i].is_finite())
        .map(|i| (x[i], t[i], r[i].abs().log10()))
        .collect();
    let Some((min, max)) = value_range(dots.iter().map(|d| d.2)) else {
        return Err(column_error(table, &column, "no nonzero residual to draw"));
    };
    for dot in &mut dots {
        dot.2 = dot.2.max(min);
    }
    let mut figure = Figure::grid(
        title,
        vec![Panel::Heat(Heat {
            caption: String::new(),
            x_label: model.coordinate_label("x"),
            y_label: model.coordinate_label("t"),
            cells: Cells::Dots(dots),
            equal_aspect: false,
        })],
    );
    figure.colour_bar = Some(ColourBar {
        label: format!("log10 |{column}|"),
        min,
        max,
    });
    Ok(figure)
}
