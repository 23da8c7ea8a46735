//! The Fisher information of the estimated parameters at given values —
//! piml-fit's, from one solve of the kinetic equations (or of a reaction–diffusion
//! model's method-of-lines system) with their forward sensitivities, for every noise model piml-fit takes — with its
//! eigen-decomposition (stiff and sloppy directions, Gutenkunst et al. 2007),
//! Cramér–Rao standard errors and correlations.
//!
//! Noise parameters (a sigma that is a parameter appearing in no equation)
//! and sigmas estimated per observable are nuisances: the information of
//! the others is the Schur complement F_kk − F_kn F_nn⁺ F_nk, the inverse
//! of the kinetic block of F⁻¹. It is given in each parameter's
//! optimisation scale: ∂/∂log θ = θ∂/∂θ for log-scaled parameters.

use nalgebra::{DMatrix, SymmetricEigen};
use piml_fit::{Dataset, InitialFrom, Problem};
use piml_io::Table;
use piml_model::{Model, NoiseKind, Scale};
use piml_ode::OdeSolver;

use crate::error::Error;
use crate::system::estimated_parameters;

/// Eigenvalues below this fraction of the largest are zero to the accuracy
/// of the sensitivities (relative errors δ ≈ 1e-8 at the default tolerances
/// put a true zero near δ²·λmax): their directions are not identifiable.
pub const NULL_FRACTION: f64 = 1e-10;
/// Eigenvalues below this fraction of the largest mark sloppy directions:
/// six decades, where the sloppy-model literature draws the line.
pub const SLOPPY_FRACTION: f64 = 1e-6;
/// A parameter whose component along a null direction exceeds this is not identifiable.
const NULL_COMPONENT: f64 = 0.1;

fn input(message: String) -> Error {
    Error::Input(message)
}

/// The model as the analyses see it: the parameters marked `estimate`, or
/// every parameter when none is.
pub fn analysed(model: &Model) -> Model {
    let mut model = model.clone();
    if !model.parameters.iter().any(|p| p.estimate) {
        for p in &mut model.parameters {
            p.estimate = true;
        }
    }
    model
}

/// piml-fit's likelihood of `table` (named `file` in errors) under the
/// analysed model, starting at the model's values.
pub fn problem(
    model: &Model,
    table: &Table,
    file: &str,
    solver: OdeSolver,
) -> Result<Problem, Error> {
    problem_on_grid(model, table, file, solver, None, InitialFrom::Model)
}

/// [`problem`] for any model: a reaction–diffusion model is solved by the method of lines on
/// `cells` per axis (as fit-kinetics `--grid` does), its initial fields from `initial`.
pub fn problem_on_grid(
    model: &Model,
    table: &Table,
    file: &str,
    solver: OdeSolver,
    cells: Option<&[usize]>,
    initial: InitialFrom,
) -> Result<Problem, Error> {
    let model = analysed(model);
    let data = Dataset::on_grid(&model, table, file, cells, initial)?;
    Ok(Problem::new(&model, data, solver)?)
}

/// Sets the parameter values of a fit document (`"parameters": {"<name>":
/// {"estimate": …}}`, as fit-kinetics writes it); errors name the file and
/// the parameter. Sigmas fit-kinetics estimated per observable
/// (`sigma_<observable>`, not model parameters) are skipped: the analyses
/// estimate them again at every parameter point.
pub fn apply_fit(model: &mut Model, fit: &serde_json::Value, file: &str) -> Result<(), Error> {
    let parameters = fit
        .get("parameters")
        .and_then(|p| p.as_object())
        .ok_or_else(|| input(format!("{file}: expected an object \"parameters\"")))?;
    for (name, entry) in parameters {
        let per_observable = name
            .strip_prefix("sigma_")
            .is_some_and(|o| model.observables.iter().any(|ob| ob.name == o));
        if per_observable && model.parameter(name).is_none() {
            continue;
        }
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
    /// Estimated per observable by maximum likelihood at the given values
    /// (σ̂² = mean squared scaled residual) and treated as a nuisance.
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

/// The Fisher information of the parameters `estimated_parameters` lists
/// (noise parameters and per-observable sigmas are nuisances) at the
/// problem's start values, from `problem`'s data design.
pub fn fisher_information(problem: &Problem) -> Result<Fisher, Error> {
    let model = problem.model();
    let theta: Vec<f64> = problem.estimated().iter().map(|e| e.value).collect();
    let eval = problem.evaluate(&theta)?;
    let (kinetic, _) = estimated_parameters(model);
    let (kept, nuisance): (Vec<usize>, Vec<usize>) = (0..eval.fisher.nrows()).partition(|&i| {
        problem
            .estimated()
            .get(i)
            .is_some_and(|e| kinetic.contains(&e.index))
    });
    if kept.is_empty() {
        return Err(input(format!(
            "model '{}' has no parameters to estimate",
            model.name
        )));
    }
    let block = |rows: &[usize], cols: &[usize]| {
        DMatrix::from_fn(rows.len(), cols.len(), |a, b| {
            eval.fisher[(rows[a], cols[b])]
        })
    };
    let mut matrix = block(&kept, &kept);
    if !nuisance.is_empty() {
        let cross = block(&kept, &nuisance);
        let inverse = block(&nuisance, &nuisance)
            .pseudo_inverse(1e-300)
            .map_err(|e| {
                Error::Numerical(format!("nuisance block of the Fisher information: {e}"))
            })?;
        matrix -= &cross * inverse * cross.transpose();
    }
    let estimated: Vec<usize> = kept.iter().map(|&i| problem.estimated()[i].index).collect();
    for (a, &ja) in estimated.iter().enumerate() {
        for (b, &jb) in estimated.iter().enumerate() {
            matrix[(a, b)] *= scale_factor(model, ja) * scale_factor(model, jb);
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
        &estimated,
        matrix,
        noise_used(problem, &eval.sigmas),
        problem.data().points.len(),
    ))
}

/// dθ/d(optimisation coordinate) at the parameter's value.
fn scale_factor(model: &Model, j: usize) -> f64 {
    match model.parameters[j].scale {
        Scale::Log => model.parameters[j].value,
        Scale::Lin => 1.0,
    }
}

/// Each measured observable's noise as the likelihood uses it.
fn noise_used(problem: &Problem, sigmas: &[f64]) -> Vec<NoiseUsed> {
    let model = problem.model();
    problem
        .data()
        .observed
        .iter()
        .map(|&o| {
            let (sigma, source) = match problem.sigma_source(o) {
                piml_fit::SigmaSource::Column => (None, SigmaSource::Column),
                piml_fit::SigmaSource::Known(v) => (Some(v), SigmaSource::Model),
                piml_fit::SigmaSource::Parameter(j) => {
                    (Some(model.parameters[j].value), SigmaSource::Model)
                }
                piml_fit::SigmaSource::Profiled(k) => (Some(sigmas[k]), SigmaSource::Residuals),
            };
            NoiseUsed {
                observable: model.observables[o].name.clone(),
                kind: piml_fit::noise_kind(model, o),
                sigma,
                source,
                points: problem
                    .data()
                    .points
                    .iter()
                    .filter(|p| p.observable == o)
                    .count(),
            }
        })
        .collect()
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
