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
