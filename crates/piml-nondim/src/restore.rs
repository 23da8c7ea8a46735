//! Converting the tables of a dimensionless model back to the units of the
//! model it was made from: every column with a scale in the model's
//! `nondim` section (t, x, y, species, their `sigma_` columns) is
//! multiplied by it.

use piml_io::{Column, Table};
use piml_model::Model;

use crate::error::Error;

/// The table in dimensional units, with the dimensional model document
/// (when the section stores it) to put in its metadata.
pub fn restore(table: &Table, model: &Model) -> Result<(Table, Option<serde_json::Value>), Error> {
    let rescaling = model.rescaling.as_ref().ok_or_else(|| Error::Model {
        field: "nondim".into(),
        message: format!(
            "model '{}' has no 'nondim' section: it is not a model written by nondim",
            model.name
        ),
    })?;
    let scale_of = |column: &str| {
        let base = column.strip_prefix("sigma_").unwrap_or(column);
        rescaling
            .scales
            .iter()
            .find(|(n, _)| n == base)
            .map(|(_, s)| *s)
    };
    check_made_from(table, model, &rescaling.scales)?;
    if !table.columns().any(|(name, _)| scale_of(name).is_some()) {
        return Err(Error::Model {
            field: file_of(table),
            message: format!(
                "no column is a quantity of model '{}' (it rescales {}); the table has {}",
                model.name,
                names(rescaling.scales.iter().map(|(n, _)| n.as_str())),
                names(table.columns().map(|(n, _)| n))
            ),
        });
    }
    let mut out = table.clone();
    for (name, column) in table.columns() {
        let Some(scale) = scale_of(name) else {
            continue;
        };
        match column {
            Column::F64(values) => {
                out.push(
                    name,
                    Column::F64(values.iter().map(|v| v.map(|v| v * scale)).collect()),
                );
            }
            other => {
                return Err(Error::Model {
                    field: format!("column '{name}'"),
                    message: format!("expected numbers to rescale, got {}", other.type_name()),
                });
            }
        }
    }
    Ok((out, rescaling.dimensional.clone()))
}

fn file_of(table: &Table) -> String {
    table
        .source()
        .map_or_else(|| "the table".into(), |p| p.display().to_string())
}

fn names<'a>(names: impl Iterator<Item = &'a str>) -> String {
    names.collect::<Vec<_>>().join(", ")
}

/// Refuses a model the table was not made from: its columns would be multiplied by scales
/// they never had. The table's `piml.model` metadata, when it has one, must carry the same
/// scales (a model restored with `--set` or renamed keeps them).
fn check_made_from(table: &Table, model: &Model, scales: &[(String, f64)]) -> Result<(), Error> {
    let damaged = |message: String| Error::Model {
        field: file_of(table),
        message,
    };
    let Some(made_from) = table.source_model()? else {
        return Ok(());
    };
    let made_from = Model::from_json_str(&made_from.to_string(), "piml.model")
        .map_err(|e| damaged(format!("its piml.model metadata is not a model: {e}")))?;
    let same = made_from
        .rescaling
        .as_ref()
        .is_some_and(|r| r.scales == scales);
    if same {
        return Ok(());
    }
    let what = if made_from.rescaling.is_some() {
        "with other scales"
    } else {
        "which is not dimensionless (no 'nondim' section)"
    };
    Err(damaged(format!(
        "it was made from model '{}' {what}, not from model '{}': restoring it with that model \
         would give wrong units; leave out --model to use the table's own",
        made_from.name, model.name
    )))
}
