//! The measurements a model is fitted to: one wide table (DESIGN.md,
//! "Tables") read against the model, checked, and cut into experiments.

use std::collections::BTreeMap;

use piml_io::Table;
use piml_model::{Model, NoiseKind};
use piml_pde::Grid;

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
    /// Reaction–diffusion models: per measured row, the index into `times`
    /// and the grid cell whose centre is nearest the row's x (and y).
    pub sites: Vec<(usize, usize)>,
    /// With [`InitialFrom::Interpolated`]: each species' initial field on the grid's cells,
    /// from the rows at the start of the time span (which are then not fitted).
    pub initial: Option<Vec<Vec<f64>>>,
    /// With [`InitialFrom::Data`]: each species' measured positions at the start of the time
    /// span and the mean value at each, the knots of an initial profile to be estimated.
    pub initial_knots: Vec<(usize, Vec<(f64, f64)>)>,
}

/// Where a reaction–diffusion model's initial fields come from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "clap", derive(clap::ValueEnum))]
pub enum InitialFrom {
    /// The model's `initial` expressions (under each condition)
    Model,
    /// The measurements at the start of the time span, per condition, as noisy as every other:
    /// for each species, a profile through one unknown value per measured position (linear
    /// between positions, constant beyond the ends) estimated with the parameters, the rows at
    /// the start fitted like the rest. 1-D models only
    Data,
    /// The measurements at the start of the time span, per condition, taken as exact: for each
    /// species, the rows of the observables that measure it directly, replicates averaged at
    /// each position and interpolated linearly onto the cell centres (constant beyond the first
    /// and last position); those rows are not fitted. Noise in them biases the estimates (a
    /// noisy start needs diffusion to smooth it): for noise-free initial data. 1-D models only
    Interpolated,
}

/// One measured value.
#[derive(Debug, Clone, PartialEq)]
pub struct Point {
    pub group: usize,
    /// Index into the group's `times` (kinetic), `inputs` (algebraic) or
    /// `sites` (reaction–diffusion).
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
    /// The method-of-lines grid of a reaction–diffusion model.
    pub grid: Option<Grid>,
}

/// The noise kind an observable is fitted with (Gaussian unless the model says).
pub fn noise_kind(model: &Model, observable: usize) -> NoiseKind {
    model.observables[observable]
        .noise
        .as_ref()
        .map_or(NoiseKind::Gaussian, |n| n.kind)
}

impl Dataset {
    /// Reads the measurements of `table` for a kinetic or algebraic
    /// `model`; `file` names the table in errors.
    pub fn new(model: &Model, table: &Table, file: &str) -> Result<Dataset, Error> {
        Dataset::on_grid(model, table, file, None, InitialFrom::Model)
    }

    /// Reads the measurements of `table` for `model`; a reaction–diffusion
    /// model needs `cells`, the method-of-lines grid (cells per axis), and
    /// each row is matched to the cell whose centre is nearest its x (and y).
    /// With [`InitialFrom::Data`] the rows at the start of the time span give the knots of
    /// each experiment's initial profiles (estimated, those rows fitted), with
    /// [`InitialFrom::Interpolated`] its fixed initial fields (those rows not fitted).
    pub fn on_grid(
        model: &Model,
        table: &Table,
        file: &str,
        cells: Option<&[usize]>,
        initial: InitialFrom,
    ) -> Result<Dataset, Error> {
        let bad = |msg: String| Error::Input(format!("{file}: {msg}"));
        let from_data = matches!(initial, InitialFrom::Data | InitialFrom::Interpolated);
        if from_data && model.space.len() != 1 {
            return Err(Error::Input(format!(
                "model '{}': initial fields from the data need a 1-D reaction–diffusion model; it has {} space axes",
                model.name,
                model.space.len()
            )));
        }
        let grid = match (model.is_spatial(), cells) {
            (true, Some(cells)) => {
                Some(Grid::new(model, cells).map_err(|e| Error::Input(e.to_string()))?)
            }
            (true, None) => {
                return Err(Error::Input(format!(
                    "model '{}' is a reaction–diffusion model: it needs a method-of-lines grid (--grid NX[,NY])",
                    model.name
                )));
            }
            (false, Some(_)) => {
                return Err(Error::Input(format!(
                    "model '{}' has no space axes: a grid applies to reaction–diffusion models only",
                    model.name
                )));
            }
            (false, None) => None,
        };
        let io = |e: piml_io::Error| Error::Input(e.to_string());
        let rows = table.n_rows();
        let coords: Vec<String> = if model.is_algebraic() {
            model.inputs.clone()
        } else {
            std::iter::once("t".to_string())
                .chain(model.space.iter().map(|(n, _)| n.clone()))
                .collect()
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

        let t0 = model.start_time();
        // (group, observable, x, value) of the rows that give the initial fields.
        let mut initial_rows: Vec<(usize, usize, f64, f64)> = Vec::new();
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
                    sites: Vec::new(),
                    initial: None,
                    initial_knots: Vec::new(),
                });
                times_of.push(Vec::new());
            }
            let at = if model.is_algebraic() {
                groups[g].inputs.push(coord);
                groups[g].inputs.len() - 1
            } else if let Some(grid) = &grid {
                let mut cell = 0;
                let mut stride = 1;
                for (axis, &v) in grid.axes().iter().zip(&coord[1..]) {
                    let hi = axis.lo + axis.n as f64 * axis.h();
                    if v < axis.lo || v > hi {
                        return Err(bad(format!(
                            "row {row}, column '{}': {v} lies outside the model's span [{}, {hi}]",
                            axis.name, axis.lo
                        )));
                    }
                    // The nearest cell centre: the cell that holds the point.
                    let i = (((v - axis.lo) / axis.h()) as usize).min(axis.n - 1);
                    cell += i * stride;
                    stride *= axis.n;
                }
                if from_data && coord[0] == t0 {
                    for &(k, v) in &measured {
                        if !v.is_finite() {
                            let name = &model.observables[observed[k]].name;
                            return Err(bad(format!(
                                "row {row}, column '{name}': {v} is not finite"
                            )));
                        }
                        initial_rows.push((g, observed[k], coord[1], v));
                    }
                    if initial == InitialFrom::Interpolated {
                        continue;
                    }
                }
                times_of[g].push(coord[0]);
                groups[g].sites.push((times_of[g].len() - 1, cell));
                groups[g].sites.len() - 1
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
                let kind = noise_kind(model, o);
                if kind.is_logarithmic() && v <= 0.0 {
                    return Err(bad(format!(
                        "row {row}, column '{name}': {v} is not positive, but observable '{name}' has {} noise (log of the data)",
                        kind.name()
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
        if let (true, Some(grid)) = (from_data, &grid) {
            let centres = &grid.coordinates()[0];
            for (g, group) in groups.iter_mut().enumerate() {
                let experiment = match &group.condition {
                    Some(c) => format!("condition '{c}'"),
                    None => "the rows without a condition".to_string(),
                };
                if times_of[g].iter().all(|&t| t == t0) {
                    return Err(bad(format!(
                        "{experiment}: every row is at t = {t0}, which gives the initial fields: no later measurement to fit"
                    )));
                }
                let knots = (0..model.species.len())
                    .map(|s| {
                        let points: Vec<(f64, f64)> = initial_rows
                            .iter()
                            .filter(|&&(h, o, ..)| h == g && model.measured_species(o) == Some(s))
                            .map(|&(.., x, v)| (x, v))
                            .collect();
                        if points.is_empty() {
                            return Err(bad(format!(
                                "{experiment}: no row at t = {t0} measures species '{}' (an observable whose expression is the species itself), so its initial field cannot come from the data",
                                model.species[s].name
                            )));
                        }
                        Ok(piml_model::profile_knots(&points))
                    })
                    .collect::<Result<Vec<_>, _>>()?;
                if initial == InitialFrom::Interpolated {
                    group.initial = Some(
                        knots
                            .iter()
                            .map(|k| {
                                piml_model::interpolate_profile(k, centres)
                                    .expect("a profile has knots")
                            })
                            .collect(),
                    );
                } else {
                    group.initial_knots = knots.into_iter().enumerate().collect();
                }
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
        // Kinetic groups: distinct sorted times; points (and sites) refer to them.
        let index_of = |times: &[f64], t: f64| {
            times
                .binary_search_by(|x| x.total_cmp(&t))
                .expect("time is one of the group's")
        };
        for (g, times) in times_of.iter().enumerate() {
            let mut distinct = times.clone();
            distinct.sort_by(f64::total_cmp);
            distinct.dedup();
            for site in &mut groups[g].sites {
                site.0 = index_of(&distinct, times[site.0]);
            }
            groups[g].times = distinct;
        }
        let points = raw
            .into_iter()
            .map(|(group, at, observable, value, sigma, row)| {
                let at = if model.is_algebraic() || grid.is_some() {
                    at
                } else {
                    index_of(&groups[group].times, times_of[group][at])
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
            grid,
        })
    }

    pub fn n_points(&self) -> usize {
        self.points.len()
    }
}
