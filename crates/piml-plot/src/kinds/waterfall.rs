//! Multistart waterfall: the final objective of every start, sorted; a flat
//! step at the bottom means several starts found the same best optimum
//! (Raue et al. 2013, PLoS ONE 8:e74335).

use piml_io::Table;

use crate::Options;
use crate::error::Result;
use crate::figure::{Figure, Level, Lines, Mark, Panel, Series};
use crate::model::ModelInfo;
use crate::table::{column_error, numbers};

/// Columns: `start` (the start's index) and `objective`, in one table or in the tables of a
/// run's shards; starts that failed (null or NaN objective) are counted in the caption.
pub(crate) fn figure(tables: &[Table], options: &Options) -> Result<Figure> {
    let mut objective = Vec::new();
    for table in tables {
        table.require_columns(&["start", "objective"])?;
        numbers(table, "start")?;
        objective.extend(numbers(table, "objective")?);
    }
    let table = &tables[0];
    let rows = objective.len();
    objective.retain(|v| v.is_finite());
    let failed = rows - objective.len();
    if objective.is_empty() {
        return Err(column_error(
            table,
            "objective",
            "no start has a finite objective",
        ));
    }
    objective.sort_by(f64::total_cmp);
    let best = objective[0];
    let points = objective
        .iter()
        .enumerate()
        .map(|(i, &v)| ((i + 1) as f64, v))
        .collect();
    let caption = match failed {
        0 => format!("{} starts", objective.len()),
        _ => format!("{} starts, {failed} failed", objective.len() + failed),
    };
    let panel = Lines {
        caption,
        x_label: "start (sorted by objective)".to_string(),
        y_label: "objective".to_string(),
        log_y: options.log_y,
        series: vec![Series {
            label: String::new(),
            points,
            mark: Mark::LineDots,
            colour: 0,
        }],
        levels: vec![Level {
            label: format!("best {best:.6}"),
            y: best,
        }],
        colours: 1,
        legend_low: true,
    };
    let model = ModelInfo::of(table);
    Ok(Figure::grid(
        model.title("multistart waterfall"),
        vec![Panel::Lines(panel)],
    ))
}
