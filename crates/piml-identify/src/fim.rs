//! The Fisher information of the estimated parameters at given values,
//! from forward sensitivities of the kinetic equations (piml-sim), with its
//! eigen-decomposition (stiff and sloppy directions, Gutenkunst et al. 2007),
//! Cramér–Rao standard errors and correlations.
//!
//! For a measurement y ~ N(f(θ), s²) the information is ∇f∇fᵀ/s² plus
//! 2∇s∇sᵀ/s² when s depends on θ: proportional noise s = c·|f| gives
//! (1/c² + 2)∇f∇fᵀ/f², lognormal noise (log y ~ N(log f, σ²)) gives
//! ∇f∇fᵀ/(σ²f²). Gradients are taken in each parameter's optimisation
//! scale: ∂f/∂log θ = θ∂f/∂θ for log-scaled parameters.

use nalgebra::{DMatrix, SymmetricEigen};
use piml_io::Table;
use piml_model::expr::derivative;
use piml_model::{Expr, Kinetics, Model, NoiseKind, Scale, Sigma, Tape};
use piml_ode::OdeSolver;
use piml_sim::solve_kinetics_sensitivities;

use crate::error::Error;

/// Eigenvalues below this fraction of the largest are zero to the accuracy
/// of the sensitivities (relative errors δ ≈ 1e-8 at the default tolerances
/// put a true zero near δ²·λmax): their directions are not identifiable.
pub const NULL_FRACTION: f64 = 1e-10;
/// Eigenvalues below this fraction of the largest mark sloppy directions:
/// six decades, where the sloppy-model literature draws the line.
pub const SLOPPY_FRACTION: f64 = 1e-6;
/// A parameter whose component along a null direction exceeds this is not identifiable.
const NULL_COMPONENT: f64 = 0.1;

/// One measured value.
#[derive(Debug, Clone, PartialEq)]
pub struct Measurement {
    /// Index into [`Data::experiments`].
    pub experiment: usize,
    pub t: f64,
    /// Index into the model's observables.
    pub observable: usize,
    pub value: f64,
    /// Its standard deviation, from a `sigma_<name>` column.
    pub sigma: Option<f64>,
}

/// Measurements grouped by experiment (condition).
#[derive(Debug, Clone, PartialEq)]
pub struct Data {
    /// Condition names; `None` is the model as written.
    pub experiments: Vec<Option<String>>,
    pub points: Vec<Measurement>,
    /// Columns that are none of t, condition, replicate, observables or sigmas.
    pub ignored_columns: Vec<String>,
}

fn input(message: String) -> Error {
    Error::Input(message)
}

/// Reads the measurements of a data table (DESIGN.md's wide layout):
/// `t`, optional `condition`, one column per observable, optional `sigma_<name>`.
pub fn read_data(table: &Table, model: &Model) -> Result<Data, Error> {
    if model.is_algebraic() || model.is_spatial() {
        return Err(input(format!(
            "model '{}' is {}: the Fisher information here needs kinetic equations (species and \
             no space axes)",
            model.name,
            if model.is_spatial() {
                "spatial"
            } else {
                "algebraic"
            }
        )));
    }
    let file = table
        .source()
        .map_or_else(|| "data".to_string(), |p| p.display().to_string());
    table.require_columns(&["t"])?;
    let t = table.f64_values("t")?;
    let observed: Vec<usize> = (0..model.observables.len())
        .filter(|&i| table.column(&model.observables[i].name).is_some())
        .collect();
    if observed.is_empty() {
        let names: Vec<&str> = model.observables.iter().map(|o| o.name.as_str()).collect();
        return Err(input(format!(
            "{file}: no column for any observable of the model ({})",
            names.join(", ")
        )));
    }
    let conditions: Vec<Option<String>> = match table.column("condition") {
        Some(_) => table.utf8_column("condition")?.to_vec(),
        None => vec![None; table.n_rows()],
    };
    let mut experiments: Vec<Option<String>> = Vec::new();
    let mut known: Vec<String> = vec!["t".into(), "condition".into(), "replicate".into()];
    let mut points = Vec::new();
    for &o in &observed {
        let name = &model.observables[o].name;
        let values = table.f64_values(name)?;
        let sigma_name = format!("sigma_{name}");
        let sigmas = match table.column(&sigma_name) {
            Some(_) => Some(table.f64_values(&sigma_name)?),
            None => None,
        };
        known.extend([name.clone(), sigma_name.clone()]);
        for (row, value) in values.iter().enumerate() {
            let Some(value) = *value else { continue };
            let line = row + 2;
            let time = t[row].filter(|v| v.is_finite()).ok_or_else(|| {
                input(format!("{file}: row {line}: 't' is missing or not finite"))
            })?;
            if !value.is_finite() {
                return Err(input(format!(
                    "{file}: row {line}, column '{name}': the value {value} is not finite"
                )));
            }
            let sigma = match sigmas.as_ref().and_then(|s| s[row]) {
                Some(s) if !(s > 0.0 && s.is_finite()) => {
                    return Err(input(format!(
                        "{file}: row {line}, column '{sigma_name}': a standard deviation must be \
                         positive, got {s}"
                    )));
                }
                other => other,
            };
            let experiment = match experiments.iter().position(|e| *e == conditions[row]) {
                Some(e) => e,
                None => {
                    experiments.push(conditions[row].clone());
                    experiments.len() - 1
                }
            };
            points.push(Measurement {
                experiment,
                t: time,
                observable: o,
                value,
                sigma,
            });
        }
    }
    if points.is_empty() {
        return Err(input(format!("{file}: no measured values")));
    }
    let known: Vec<&str> = known.iter().map(String::as_str).collect();
    Ok(Data {
        experiments,
        points,
        ignored_columns: table.unknown_columns(&known),
    })
}

/// Sets the parameter values of a fit document (`"parameters": {"<name>":
/// {"estimate": …}}`); errors name the file and the parameter.
pub fn apply_fit(model: &mut Model, fit: &serde_json::Value, file: &str) -> Result<(), Error> {
    let parameters = fit
        .get("parameters")
        .and_then(|p| p.as_object())
        .ok_or_else(|| input(format!("{file}: expected an object \"parameters\"")))?;
    for (name, entry) in parameters {
        let value = entry
            .get("estimate")
            .and_then(serde_json::Value::as_f64)
            .ok_or_else(|| {
                input(format!(
                    "{file}: parameters.{name}: expected a number \"estimate\""
                ))
            })?;
        model
            .set_parameter(name, value)
            .map_err(|e| input(format!("{file}: parameters.{name}: {e}")))?;
    }
    Ok(())
}

/// Where an observable's noise level came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SigmaSource {
    /// `sigma_<name>` columns (as the standard deviation of the value).
    Column,
    /// The model's `noise.sigma`.
    Model,
    /// Estimated from the residuals at the given values: RSS/(n − p).
    Residuals,
}

/// The noise of one observable as used.
#[derive(Debug, Clone, PartialEq)]
pub struct NoiseUsed {
    pub observable: String,
    pub kind: NoiseKind,
    /// The model's (or the residuals') σ; `None` when every point has its own column value.
    pub sigma: Option<f64>,
    pub source: SigmaSource,
    pub points: usize,
}

/// The Fisher information and what follows from it.
#[derive(Debug, Clone)]
pub struct Fisher {
    /// The estimated parameters, in model order.
    pub names: Vec<String>,
    pub values: Vec<f64>,
    pub scales: Vec<Scale>,
    /// In the parameters' optimisation scales.
    pub matrix: DMatrix<f64>,
    /// Descending, with unit eigenvectors (sign: largest component positive).
    pub eigenvalues: Vec<f64>,
    pub eigenvectors: Vec<Vec<f64>>,
    /// Not in a null direction.
    pub identifiable: Vec<bool>,
    /// Cramér–Rao standard errors in the optimisation scale (`None`: not identifiable).
    pub stderr: Vec<Option<f64>>,
    /// From the pseudo-inverse; `None` where a parameter is not identifiable.
    pub correlations: Vec<Vec<Option<f64>>>,
    pub noise: Vec<NoiseUsed>,
    pub points: usize,
}

/// One point's model value and gradient in the optimisation scales.
pub(crate) struct Predicted {
    pub f: f64,
    pub gradient: Vec<f64>,
}

/// The noise of one point: its kind and σ on the noise model's scale (a
/// `sigma_<name>` column makes it Gaussian with that σ).
#[derive(Debug, Clone, Copy)]
pub(crate) struct PointNoise {
    pub kind: NoiseKind,
    pub sigma: f64,
}

/// Each observable with its derivatives: [h, ∂h/∂y…, ∂h/∂p…] of (y, p, t).
fn observable_tapes(model: &Model) -> Vec<Tape> {
    let mut inputs: Vec<String> = model.species.iter().map(|s| s.name.clone()).collect();
    inputs.extend(model.parameters.iter().map(|p| p.name.clone()));
    inputs.push("t".into());
    model
        .observables
        .iter()
        .map(|o| {
            let mut exprs: Vec<Expr> = vec![o.expr.clone()];
            exprs.extend(
                inputs[..inputs.len() - 1]
                    .iter()
                    .map(|v| derivative(&o.expr, v)),
            );
            // Every symbol of a validated kinetic model's observable is among these inputs.
            Tape::compile(&exprs, &inputs)
                .unwrap_or_else(|e| panic!("validated observable refers to {e}"))
        })
        .collect()
}

/// Predictions and gradients of every measurement.
pub(crate) fn predict(
    model: &Model,
    estimated: &[usize],
    data: &Data,
    solver: &OdeSolver,
) -> Result<Vec<Predicted>, Error> {
    let tapes = observable_tapes(model);
    let (n, np) = (model.species.len(), model.parameters.len());
    let t0 = model
        .time
        .as_ref()
        .and_then(|t| t.span)
        .map_or(0.0, |s| s[0]);
    let mut predicted: Vec<Option<Predicted>> = data.points.iter().map(|_| None).collect();
    for (e, name) in data.experiments.iter().enumerate() {
        let (experiment, overridden) = match name.as_deref().and_then(|c| model.condition(c)) {
            Some(c) => (
                model.under_condition(c),
                c.parameters.iter().map(|(p, _)| p.clone()).collect(),
            ),
            None => (model.clone(), Vec::new()),
        };
        let kinetics = Kinetics::new(&experiment).map_err(|e| input(e.to_string()))?;
        let p = experiment.parameter_values();
        let mut times: Vec<f64> = data
            .points
            .iter()
            .filter(|m| m.experiment == e)
            .map(|m| m.t)
            .collect();
        times.sort_by(f64::total_cmp);
        times.dedup();
        let label = name.as_deref().map_or_else(
            || "the model as written".to_string(),
            |c| format!("condition '{c}'"),
        );
        if let Some(first) = times.first().filter(|t| **t < t0) {
            return Err(input(format!(
                "data of {label}: the time {first} is before the start of the model's span, {t0}"
            )));
        }
        let trajectory =
            solve_kinetics_sensitivities(&kinetics, &p, t0, &times, solver).map_err(|source| {
                Error::Solver {
                    context: format!("sensitivities of {label}"),
                    source,
                }
            })?;
        let mut out = vec![0.0; 1 + n + np];
        for (k, m) in data
            .points
            .iter()
            .enumerate()
            .filter(|(_, m)| m.experiment == e)
        {
            let row = times.partition_point(|t| *t < m.t);
            let y: Vec<f64> = (0..n).map(|i| trajectory.species[i][row]).collect();
            tapes[m.observable].eval_parts(&[&y, &p, &[m.t]], &mut out);
            let s = &trajectory.sensitivities[row];
            let gradient = estimated
                .iter()
                .map(|&j| {
                    if overridden.contains(&model.parameters[j].name) {
                        return 0.0;
                    }
                    let total =
                        (0..n).map(|i| out[1 + i] * s[(i, j)]).sum::<f64>() + out[1 + n + j];
                    match model.parameters[j].scale {
                        Scale::Log => total * model.parameters[j].value,
                        Scale::Lin => total,
                    }
                })
                .collect();
            predicted[k] = Some(Predicted {
                f: out[0],
                gradient,
            });
        }
    }
    Ok(predicted.into_iter().flatten().collect())
}

/// The Fisher information of the estimated parameters (`estimated`, indices
/// into the model's parameters) at the model's values, from `data`'s design.
pub fn fisher_information(
    model: &Model,
    estimated: &[usize],
    data: &Data,
    solver: &OdeSolver,
) -> Result<Fisher, Error> {
    if estimated.is_empty() {
        return Err(input(format!(
            "model '{}' has no parameters to estimate",
            model.name
        )));
    }
    let predicted = predict(model, estimated, data, solver)?;
    let np = estimated.len();
    let (noise, levels) = noise_levels(model, data, &predicted, np);
    let mut matrix = DMatrix::<f64>::zeros(np, np);
    for (pr, level) in predicted.iter().zip(&levels) {
        let s2 = level.sigma * level.sigma;
        let weight = match level.kind {
            NoiseKind::Gaussian => 1.0 / s2,
            NoiseKind::Proportional => (1.0 / s2 + 2.0) / (pr.f * pr.f),
            NoiseKind::Lognormal => 1.0 / (s2 * pr.f * pr.f),
        };
        for a in 0..np {
            for b in 0..np {
                matrix[(a, b)] += weight * pr.gradient[a] * pr.gradient[b];
            }
        }
    }
    if matrix.iter().any(|v| !v.is_finite()) {
        return Err(Error::Numerical(
            "the Fisher information is not finite (a model value of 0 under proportional or \
             lognormal noise, or sensitivities that overflowed)"
                .into(),
        ));
    }
    Ok(decompose(
        model,
        estimated,
        matrix,
        noise,
        data.points.len(),
    ))
}

/// Each observable's noise as used, and each point's: a `sigma_<name>`
/// column (Gaussian, the standard deviation of the value), else the model's
/// noise, else σ from the residuals at the given values.
pub(crate) fn noise_levels(
    model: &Model,
    data: &Data,
    predicted: &[Predicted],
    np: usize,
) -> (Vec<NoiseUsed>, Vec<PointNoise>) {
    let mut levels = vec![
        PointNoise {
            kind: NoiseKind::Gaussian,
            sigma: 1.0,
        };
        data.points.len()
    ];
    let mut noise = Vec::new();
    for (o, observable) in model.observables.iter().enumerate() {
        let points: Vec<usize> = (0..data.points.len())
            .filter(|&k| data.points[k].observable == o)
            .collect();
        if points.is_empty() {
            continue;
        }
        let kind = observable
            .noise
            .as_ref()
            .map_or(NoiseKind::Gaussian, |n| n.kind);
        let model_sigma = match observable.noise.as_ref().and_then(|n| n.sigma.as_ref()) {
            Some(Sigma::Value(v)) => Some(*v),
            Some(Sigma::Parameter(p)) => model.parameter(p).map(|q| q.value),
            None => None,
        };
        let columns = points.iter().all(|&k| data.points[k].sigma.is_some());
        let (sigma, source) = match (columns, model_sigma) {
            (true, _) => (None, SigmaSource::Column),
            (false, Some(s)) => (Some(s), SigmaSource::Model),
            (false, None) => (
                Some(residual_sigma(kind, &points, data, predicted, np)),
                SigmaSource::Residuals,
            ),
        };
        for &k in &points {
            levels[k] = match data.points[k].sigma {
                Some(s) => PointNoise {
                    kind: NoiseKind::Gaussian,
                    sigma: s,
                },
                None => PointNoise {
                    kind,
                    sigma: sigma.unwrap_or(1.0),
                },
            };
        }
        noise.push(NoiseUsed {
            observable: observable.name.clone(),
            kind,
            sigma,
            source,
            points: points.len(),
        });
    }
    (noise, levels)
}

/// σ² = RSS/(n − p) on the noise model's scale (n − p at least 1).
fn residual_sigma(
    kind: NoiseKind,
    points: &[usize],
    data: &Data,
    predicted: &[Predicted],
    np: usize,
) -> f64 {
    let rss: f64 = points
        .iter()
        .map(|&k| {
            let (y, f) = (data.points[k].value, predicted[k].f);
            match kind {
                NoiseKind::Gaussian => (y - f).powi(2),
                NoiseKind::Proportional => ((y - f) / f).powi(2),
                NoiseKind::Lognormal => (y.ln() - f.ln()).powi(2),
            }
        })
        .sum();
    let dof = points.len().saturating_sub(np).max(1) as f64;
    (rss / dof).sqrt()
}

fn decompose(
    model: &Model,
    estimated: &[usize],
    matrix: DMatrix<f64>,
    noise: Vec<NoiseUsed>,
    points: usize,
) -> Fisher {
    let np = estimated.len();
    let eigen = SymmetricEigen::new(matrix.clone());
    let mut order: Vec<usize> = (0..np).collect();
    order.sort_by(|&a, &b| eigen.eigenvalues[b].total_cmp(&eigen.eigenvalues[a]));
    let eigenvalues: Vec<f64> = order.iter().map(|&i| eigen.eigenvalues[i]).collect();
    let eigenvectors: Vec<Vec<f64>> = order
        .iter()
        .map(|&i| {
            let v: Vec<f64> = eigen.eigenvectors.column(i).iter().copied().collect();
            let largest = v
                .iter()
                .copied()
                .fold(0.0, |m: f64, x| if x.abs() > m.abs() { x } else { m });
            v.iter().map(|x| x * largest.signum()).collect()
        })
        .collect();
    let threshold = eigenvalues.first().copied().unwrap_or(0.0).max(0.0) * NULL_FRACTION;
    let null: Vec<&Vec<f64>> = eigenvalues
        .iter()
        .zip(&eigenvectors)
        .filter(|(l, _)| **l <= threshold)
        .map(|(_, v)| v)
        .collect();
    let identifiable: Vec<bool> = (0..np)
        .map(|j| null.iter().all(|v| v[j].abs() <= NULL_COMPONENT))
        .collect();
    // Pseudo-inverse over the directions the data determine.
    let mut covariance = DMatrix::<f64>::zeros(np, np);
    for (l, v) in eigenvalues.iter().zip(&eigenvectors) {
        if *l > threshold {
            for a in 0..np {
                for b in 0..np {
                    covariance[(a, b)] += v[a] * v[b] / l;
                }
            }
        }
    }
    let stderr: Vec<Option<f64>> = (0..np)
        .map(|j| identifiable[j].then(|| covariance[(j, j)].sqrt()))
        .collect();
    let correlations = (0..np)
        .map(|a| {
            (0..np)
                .map(|b| match (stderr[a], stderr[b]) {
                    (Some(sa), Some(sb)) if sa > 0.0 && sb > 0.0 => {
                        Some(covariance[(a, b)] / (sa * sb))
                    }
                    _ => None,
                })
                .collect()
        })
        .collect();
    Fisher {
        names: estimated
            .iter()
            .map(|&j| model.parameters[j].name.clone())
            .collect(),
        values: estimated
            .iter()
            .map(|&j| model.parameters[j].value)
            .collect(),
        scales: estimated
            .iter()
            .map(|&j| model.parameters[j].scale)
            .collect(),
        matrix,
        eigenvalues,
        eigenvectors,
        identifiable,
        stderr,
        correlations,
        noise,
        points,
    }
}
