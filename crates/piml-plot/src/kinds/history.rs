//! Training histories: losses on a log scale in one panel, then one panel per
//! estimated parameter (fit-pinn) or the learning rate (fit-operator), each
//! on its own scale.

use piml_io::{Column, Table};

use crate::Options;
use crate::error::Result;
use crate::figure::{Figure, Lines, Mark, Panel, Series};
use crate::model::ModelInfo;
use crate::table::{curve, has, numbers, table_error};

pub(crate) fn figure(table: &Table, options: &Options) -> Result<Figure> {
    let model = ModelInfo::of(table);
    let (x_label, x, losses, others, others_caption) = if has(table, "epoch") {
        // fit-operator train --history: epoch, train_error, test_error, lr, seconds.
        table.require_columns(&["epoch", "train_error", "test_error", "lr"])?;
        (
            "epoch".to_string(),
            numbers(table, "epoch")?,
            vec!["train_error".to_string(), "test_error".to_string()],
            vec!["lr".to_string()],
            "learning rate",
        )
    } else if has(table, "step") {
        // fit-pinn --history: phase, step, loss, loss_<term>, weight_<term>, parameters.
        table.require_columns(&["loss"])?;
        let names = numeric_names(table);
        let losses: Vec<String> = names
            .iter()
            .filter(|n| *n == "loss" || n.starts_with("loss_"))
            .cloned()
            .collect();
        let parameters: Vec<String> = names
            .into_iter()
            .filter(|n| n != "step" && !n.starts_with("loss") && !n.starts_with("weight_"))
            .filter(|n| options.species.is_empty() || options.species.contains(n))
            .collect();
        (
            "iteration".to_string(),
            iterations(&numbers(table, "step")?),
            losses,
            parameters,
            "",
        )
    } else {
        return Err(table_error(
            table,
            "not a training history: no 'step' column (fit-pinn --history) \
             nor 'epoch' column (fit-operator train --history)",
        ));
    };
    let rows: Vec<usize> = (0..table.n_rows()).collect();
    let panel = |caption: &str, names: &[String], log_y: bool| -> Result<Panel> {
        let series = names
            .iter()
            .enumerate()
            .map(|(i, name)| {
                Ok(Series {
                    // A panel of one curve needs no legend: its axis names it.
                    label: if names.len() > 1 {
                        name.clone()
                    } else {
                        String::new()
                    },
                    points: curve(&x, &numbers(table, name)?, &rows),
                    mark: Mark::Solid,
                    colour: i,
                })
            })
            .collect::<Result<Vec<_>>>()?;
        Ok(Panel::Lines(Lines {
            caption: caption.to_string(),
            x_label: x_label.clone(),
            y_label: model.shared_label(names, "loss"),
            log_y,
            series,
            levels: Vec::new(),
            colours: names.len(),
            legend_low: false,
        }))
    };
    let mut panels = vec![panel("losses", &losses, true)?];
    for name in &others {
        let positive = numbers(table, name)?.iter().all(|v| v.is_nan() || *v > 0.0);
        let caption = if others_caption.is_empty() {
            name
        } else {
            others_caption
        };
        panels.push(panel(
            caption,
            std::slice::from_ref(name),
            options.log_y && positive,
        )?);
    }
    Ok(Figure::grid(model.title("training history"), panels))
}

/// The numeric columns of the table, in order.
fn numeric_names(table: &Table) -> Vec<String> {
    table
        .columns()
        .filter(|(_, c)| !matches!(c, Column::Utf8(_)))
        .map(|(n, _)| n.to_string())
        .collect()
}

/// Steps counted on across phases: fit-pinn numbers Adam steps and L-BFGS
/// evaluations each from the start, so a later phase continues where the
/// one before stopped.
fn iterations(steps: &[f64]) -> Vec<f64> {
    let mut offset = 0.0;
    let mut last = f64::NEG_INFINITY;
    steps
        .iter()
        .map(|&s| {
            if s < last {
                offset += last;
            }
            last = s;
            s + offset
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::iterations;

    #[test]
    fn lbfgs_evaluations_continue_after_the_adam_steps() {
        // Adam rows at steps 0, 10, 20; L-BFGS rows at evaluations 0, 5; a final row.
        let steps = [0.0, 10.0, 20.0, 0.0, 5.0, 5.0];
        assert_eq!(iterations(&steps), [0.0, 10.0, 20.0, 20.0, 25.0, 25.0]);
    }
}
