//! The measurements a model is fitted to: one wide table (DESIGN.md,
//! "Tables") read against the model, checked, and cut into experiments.

use std::collections::BTreeMap;

use piml_io::Table;
use piml_model::{Model, NoiseKind};

use crate::error::Error;

/// One experiment: the rows of one `condition` (none: the model as written).
#[derive(Debug, Clone, PartialEq)]
pub struct Group {
    pub condition: Option<String>,
    /// Kinetic models: the distinct measurement times, increasing.
    pub times: Vec<f64>,
    /// Algebraic models: one row of input values per measured row, in the
    /// model's `inputs` order.
    pub inputs: Vec<Vec<f64>>,
}

/// One measured value.
#[derive(Debug, Clone, PartialEq)]
pub struct Point {
    pub group: usize,
    /// Index into the group's `times` (kinetic) or `inputs` (algebraic).
    pub at: usize,
    /// Index of the observable in the model's `observables`.
    pub observable: usize,
    pub value: f64,
    /// Standard deviation from a `sigma_<name>` column, if the table has one.
    pub sigma: Option<f64>,
    /// Row of the table, counting data rows from 1.
    pub row: usize,
}

/// A table of measurements checked against a model.
#[derive(Debug, Clone, PartialEq)]
pub struct Dataset {
    pub groups: Vec<Group>,
    pub points: Vec<Point>,
    /// The model observables that have a column in the table, by index.
    pub observed: Vec<usize>,
    /// Columns that are none of the known ones: the tool warns that it ignores them.
    pub ignored: Vec<String>,
}

/// The noise kind an observable is fitted with (Gaussian unless the model says).
pub fn noise_kind(model: &Model, observable: usize) -> NoiseKind {
    model.observables[observable]
        .noise
        .as_ref()
        .map_or(NoiseKind::Gaussian, |n| n.kind)
}

impl Dataset {
    /// Reads the measurements of `table` for `model`; `file` names the table in errors.
    pub fn new(model: &Model, table: &Table, file: &str) -> Result<Dataset, Error> {
        let bad = |msg: String| Error::Input(format!("{file}: {msg}"));
        if model.is_spatial() {
            return Err(Error::Input(format!(
                "model '{}' is a reaction–diffusion model: fit-kinetics fits kinetic and algebraic models only",
                model.name
            )));
        }
        let io = |e: piml_io::Error| Error::Input(e.to_string());
        let rows = table.n_rows();
        let coords: Vec<String> = if model.is_algebraic() {
            model.inputs.clone()
        } else {
            vec!["t".to_string()]
        };
        let coord_refs: Vec<&str> = coords.iter().map(String::as_str).collect();
        table.require_columns(&coord_refs).map_err(io)?;
        let coord_cols = coords
            .iter()
            .map(|c| table.f64_values(c).map_err(io))
            .collect::<Result<Vec<_>, _>>()?;

        let observed: Vec<usize> = (0..model.observables.len())
            .filter(|&o| table.column(&model.observables[o].name).is_some())
            .collect();
        let mut known: Vec<String> = coords.clone();
        known.extend(["condition", "replicate", "sample"].map(String::from));
        for &o in &observed {
            let name = &model.observables[o].name;
            known.push(name.clone());
            known.push(format!("sigma_{name}"));
        }
        let known_refs: Vec<&str> = known.iter().map(String::as_str).collect();
        let ignored = table.unknown_columns(&known_refs);
        if observed.is_empty() {
            let names: Vec<&str> = model.observables.iter().map(|o| o.name.as_str()).collect();
            return Err(bad(format!(
                "no column matches an observable of model '{}' (it observes: {}); the table has: {}",
                model.name,
                names.join(", "),
                table.column_names().join(", ")
            )));
        }
        let values = observed
            .iter()
            .map(|&o| table.f64_column(&model.observables[o].name).map_err(io))
            .collect::<Result<Vec<_>, _>>()?;
        let sigmas = observed
            .iter()
            .map(|&o| {
                let name = format!("sigma_{}", model.observables[o].name);
                table
                    .column(&name)
                    .map(|_| table.f64_values(&name).map_err(io))
                    .transpose()
            })
            .collect::<Result<Vec<_>, _>>()?;
        let conditions: Option<&[Option<String>]> = table
            .column("condition")
            .map(|_| table.utf8_column("condition").map_err(io))
            .transpose()?;

        let t0 = model
            .time
            .as_ref()
            .and_then(|t| t.span)
            .map_or(0.0, |s| s[0]);
        // Experiments in order of first appearance; their rows' coordinates.
        let mut group_of: BTreeMap<Option<String>, usize> = BTreeMap::new();
        let mut groups: Vec<Group> = Vec::new();
        // (group, index of the row's coordinates in the group, observable, value, sigma, row)
        let mut raw: Vec<(usize, usize, usize, f64, Option<f64>, usize)> = Vec::new();
        let mut times_of: Vec<Vec<f64>> = Vec::new();
        for r in 0..rows {
            let row = r + 1;
            let measured: Vec<(usize, f64)> = values
                .iter()
                .enumerate()
                .filter_map(|(k, col)| col[r].map(|v| (k, v)))
                .collect();
            if measured.is_empty() {
                continue;
            }
            let condition = conditions.and_then(|c| c[r].clone());
            if let Some(name) = &condition
                && model.condition(name).is_none()
            {
                let listed: Vec<&str> = model.conditions.iter().map(|c| c.name.as_str()).collect();
                let hint = piml_model::did_you_mean(name, listed.iter().copied());
                return Err(bad(format!(
                    "row {row}, column 'condition': the model '{}' has no condition '{name}'{hint}; it has: {}",
                    model.name,
                    if listed.is_empty() {
                        "none".to_string()
                    } else {
                        listed.join(", ")
                    }
                )));
            }
            let mut coord = Vec::with_capacity(coords.len());
            for (c, col) in coords.iter().zip(&coord_cols) {
                match col[r] {
                    Some(v) if v.is_finite() => coord.push(v),
                    Some(v) => {
                        return Err(bad(format!("row {row}, column '{c}': {v} is not finite")));
                    }
                    None => return Err(bad(format!("row {row}, column '{c}': missing value"))),
                }
            }
            if !model.is_algebraic() && coord[0] < t0 {
                return Err(bad(format!(
                    "row {row}, column 't': {} lies before the start of the model's time span, {t0}",
                    coord[0]
                )));
            }
            let next = groups.len();
            let g = *group_of.entry(condition.clone()).or_insert(next);
            if g == next {
                groups.push(Group {
                    condition,
                    times: Vec::new(),
                    inputs: Vec::new(),
                });
                times_of.push(Vec::new());
            }
            let at = if model.is_algebraic() {
                groups[g].inputs.push(coord);
                groups[g].inputs.len() - 1
            } else {
                times_of[g].push(coord[0]);
                times_of[g].len() - 1
            };
            for (k, v) in measured {
                let o = observed[k];
                let name = &model.observables[o].name;
                if !v.is_finite() {
                    return Err(bad(format!(
                        "row {row}, column '{name}': {v} is not finite"
                    )));
                }
                if noise_kind(model, o) == NoiseKind::Lognormal && v <= 0.0 {
                    return Err(bad(format!(
                        "row {row}, column '{name}': {v} is not positive, but observable '{name}' has lognormal noise (log of the data)"
                    )));
                }
                let sigma = match &sigmas[k] {
                    None => None,
                    Some(col) => match col[r] {
                        Some(s) if s > 0.0 && s.is_finite() => Some(s),
                        Some(s) => {
                            return Err(bad(format!(
                                "row {row}, column 'sigma_{name}': {s} is not a positive number"
                            )));
                        }
                        None => {
                            return Err(bad(format!(
                                "row {row}, column 'sigma_{name}': missing where '{name}' is measured"
                            )));
                        }
                    },
                };
                raw.push((g, at, o, v, sigma, row));
            }
        }
        if raw.is_empty() {
            let names: Vec<&str> = observed
                .iter()
                .map(|&o| model.observables[o].name.as_str())
                .collect();
            return Err(bad(format!(
                "every value of {} is missing: nothing to fit",
                names.join(", ")
            )));
        }
        // Kinetic groups: distinct sorted times; points refer to them.
        for (g, times) in times_of.iter().enumerate() {
            let mut distinct = times.clone();
            distinct.sort_by(f64::total_cmp);
            distinct.dedup();
            groups[g].times = distinct;
        }
        let points = raw
            .into_iter()
            .map(|(group, at, observable, value, sigma, row)| {
                let at = if model.is_algebraic() {
                    at
                } else {
                    let t = times_of[group][at];
                    groups[group]
                        .times
                        .binary_search_by(|x| x.total_cmp(&t))
                        .expect("time is one of the group's")
                };
                Point {
                    group,
                    at,
                    observable,
                    value,
                    sigma,
                    row,
                }
            })
            .collect();
        Ok(Dataset {
            groups,
            points,
            observed,
            ignored,
        })
    }

    pub fn n_points(&self) -> usize {
        self.points.len()
    }
}
