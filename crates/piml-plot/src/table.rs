//! Reading the columns a picture needs: numbers, the columns that hold
//! values (not coordinates or roles), and the groups (condition, sample) rows
//! belong to.

use std::path::PathBuf;

use piml_io::{Column, Table};

use crate::error::{Error, Result};
use crate::model::ModelInfo;

/// Columns with a role in piml's tables, never drawn as values.
const ROLE_COLUMNS: [&str; 6] = ["t", "condition", "sample", "replicate", "set", "weight"];

/// The space coordinates: roles too, unless the table's model has no space
/// section, where `x` and `y` may be species.
const COORDINATES: [&str; 2] = ["x", "y"];

/// The file a table came from, for messages.
pub(crate) fn file(table: &Table) -> PathBuf {
    table
        .source()
        .map_or_else(|| PathBuf::from("<table>"), |p| p.to_path_buf())
}

/// A whole-table error naming the table's file.
pub(crate) fn table_error(table: &Table, problem: impl Into<String>) -> Error {
    Error::Table {
        file: file(table),
        problem: problem.into(),
    }
}

/// A column error naming the table's file and the column.
pub(crate) fn column_error(table: &Table, column: &str, problem: impl Into<String>) -> Error {
    Error::Column {
        file: file(table),
        column: column.to_string(),
        problem: problem.into(),
    }
}

/// A column of numbers (floats or integers), null as NaN.
pub(crate) fn numbers(table: &Table, name: &str) -> Result<Vec<f64>> {
    table.require_columns(&[name])?;
    match table.column(name) {
        Some(Column::I64(v)) => Ok(v.iter().map(|&i| i as f64).collect()),
        _ => Ok(table
            .f64_column(name)?
            .iter()
            .map(|v| v.unwrap_or(f64::NAN))
            .collect()),
    }
}

/// Whether the table has a column of that name.
pub(crate) fn has(table: &Table, name: &str) -> bool {
    table.column(name).is_some()
}

/// Whether the table has the space coordinate `axis` (`x` or `y`): a column
/// of that name in a table whose model (if it carries one) has space axes.
pub(crate) fn has_coordinate(table: &Table, axis: &str) -> bool {
    has(table, axis) && ModelInfo::of(table).may_be_spatial()
}

/// The numeric columns that hold values: not coordinates, roles or `sigma_*`.
pub(crate) fn value_columns(table: &Table) -> Vec<String> {
    let spatial = ModelInfo::of(table).may_be_spatial();
    let has_role =
        |name: &str| ROLE_COLUMNS.contains(&name) || (spatial && COORDINATES.contains(&name));
    table
        .columns()
        .filter(|(name, column)| {
            !has_role(name) && !name.starts_with("sigma_") && !matches!(column, Column::Utf8(_))
        })
        .map(|(name, _)| name.to_string())
        .collect()
}

/// The value columns to draw: those `--species` names (each must be a value
/// column of the table), or every one.
pub(crate) fn chosen_columns(table: &Table, species: &[String]) -> Result<Vec<String>> {
    let available = value_columns(table);
    if species.is_empty() {
        if available.is_empty() {
            return Err(table_error(
                table,
                format!(
                    "no column of values to draw; the table has {}",
                    table.column_names().join(", ")
                ),
            ));
        }
        return Ok(available);
    }
    for name in species {
        if !available.contains(name) {
            return Err(column_error(
                table,
                name,
                format!(
                    "not a column of values; the table has {}",
                    if available.is_empty() {
                        "none".to_string()
                    } else {
                        available.join(", ")
                    }
                ),
            ));
        }
    }
    Ok(species.to_vec())
}

/// The one value column of a picture that shows a single field.
pub(crate) fn one_column(table: &Table, species: &[String]) -> Result<String> {
    if species.len() > 1 {
        return Err(Error::Option(format!(
            "this picture shows one column; --species names {}",
            species.join(", ")
        )));
    }
    Ok(chosen_columns(table, species)?.swap_remove(0))
}

/// Rows that belong together (one condition, one ensemble member), in the
/// order they first appear.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Group {
    /// `condition sample`, or empty when the table has one group.
    pub label: String,
    pub rows: Vec<usize>,
}

/// Splits the rows by `condition` and `sample`.
pub(crate) fn groups(table: &Table) -> Result<Vec<Group>> {
    let conditions = if has(table, "condition") {
        Some(table.utf8_column("condition")?)
    } else {
        None
    };
    let samples = if has(table, "sample") {
        Some(numbers(table, "sample")?)
    } else {
        None
    };
    let mut out: Vec<Group> = Vec::new();
    for row in 0..table.n_rows() {
        let mut parts = Vec::new();
        if let Some(c) = conditions {
            parts.push(c[row].clone().unwrap_or_default());
        }
        if let Some(s) = &samples {
            parts.push(format!("sample {}", s[row]));
        }
        let label = parts.join(" ");
        match out.iter_mut().find(|g| g.label == label) {
            Some(g) => g.rows.push(row),
            None => out.push(Group {
                label,
                rows: vec![row],
            }),
        }
    }
    if out.is_empty() {
        return Err(table_error(table, "the table has no rows"));
    }
    if out.len() == 1 {
        out[0].label.clear();
    }
    Ok(out)
}

/// The distinct finite values of a column, ascending.
pub(crate) fn distinct(values: impl IntoIterator<Item = f64>) -> Vec<f64> {
    let mut v: Vec<f64> = values.into_iter().filter(|x| x.is_finite()).collect();
    v.sort_by(f64::total_cmp);
    v.dedup();
    v
}

/// `(x, y)` pairs of the given rows with both finite, sorted by x.
pub(crate) fn curve(xs: &[f64], ys: &[f64], rows: &[usize]) -> Vec<(f64, f64)> {
    let mut points: Vec<(f64, f64)> = rows
        .iter()
        .map(|&r| (xs[r], ys[r]))
        .filter(|(x, y)| x.is_finite() && y.is_finite())
        .collect();
    points.sort_by(|a, b| a.0.total_cmp(&b.0));
    points
}

/// The table's times nearest the requested ones, or up to `default` spread
/// evenly from the first to the last.
pub(crate) fn chosen_times(
    available: &[f64],
    requested: &[f64],
    default: usize,
) -> Result<Vec<f64>> {
    let (Some(&first), Some(&last)) = (available.first(), available.last()) else {
        return Err(Error::Option("the table has no time with values".into()));
    };
    if requested.is_empty() {
        let n = available.len().min(default);
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn groups_split_by_condition_and_sample_in_order_of_appearance() {
        let mut table = Table::new();
        table.push_utf8(
            "condition",
            ["low", "low", "high", "low"]
                .map(|c| Some(c.to_string()))
                .to_vec(),
        );
        table.push("sample", Column::I64(vec![0, 1, 0, 0]));
        let groups = groups(&table).unwrap();
        let labels: Vec<&str> = groups.iter().map(|g| g.label.as_str()).collect();
        assert_eq!(labels, ["low sample 0", "low sample 1", "high sample 0"]);
        assert_eq!(groups[0].rows, [0, 3]);
    }

    #[test]
    fn a_single_group_has_no_label() {
        let mut table = Table::new();
        table.push_f64("t", vec![Some(0.0), Some(1.0)]);
        let groups = groups(&table).unwrap();
        assert_eq!(groups.len(), 1);
        assert!(groups[0].label.is_empty());
    }

    #[test]
    fn default_times_spread_from_first_to_last() {
        let times: Vec<f64> = (0..=10).map(f64::from).collect();
        assert_eq!(chosen_times(&times, &[], 4).unwrap(), [0.0, 3.0, 6.0, 10.0]);
        assert_eq!(chosen_times(&times[..2], &[], 4).unwrap(), [0.0, 1.0]);
    }

    #[test]
    fn requested_times_take_the_nearest_stored_one() {
        let times = [0.0, 0.1, 0.2, 0.30000000000000004];
        assert_eq!(
            chosen_times(&times, &[0.3, 0.09], 4).unwrap(),
            [times[3], 0.1]
        );
        assert!(chosen_times(&times, &[0.5], 4).is_err());
    }
}
