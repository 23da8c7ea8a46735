//! What a fit is: the models, the data, the settings — shared by a whole run,
//! a shard, and `merge` (which rebuilds it from a start table's metadata).

use std::path::{Path, PathBuf};

use anyhow::{Context, Result, bail};
use clap::ValueEnum;
use piml_fit::{Dataset, InitialFrom, Method, Problem, Settings, StartResult, rank, summarise};
use piml_model::Model;
use piml_ode::OdeSolver;
use serde_json::{Value, json};

/// The optimiser flag.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub(crate) enum MethodArg {
    /// Levenberg–Marquardt on Fisher scoring (Gauss–Newton for least squares), projected on the bounds
    Lm,
    /// L-BFGS through argmin, in logistic coordinates of the bounds
    Lbfgs,
}

impl From<MethodArg> for Method {
    fn from(m: MethodArg) -> Method {
        match m {
            MethodArg::Lm => Method::LevenbergMarquardt,
            MethodArg::Lbfgs => Method::Lbfgs,
        }
    }
}

/// The integrator flag.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub(crate) enum OdeArg {
    Auto,
    Explicit,
    Stiff,
}

/// Everything that decides the numbers of a fit, stored in start tables so
/// that `merge` reproduces the run.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct FitSettings {
    pub method: MethodArg,
    pub ode: OdeArg,
    pub rtol: f64,
    pub atol: f64,
    pub max_iterations: u64,
    pub starts: usize,
    pub seed: u64,
    /// Cells per axis of a reaction–diffusion model's method-of-lines grid (empty: none).
    pub grid: Vec<usize>,
    pub initial_from: InitialFrom,
    /// Fit only the rows of this experiment, under the model's settings for it.
    pub condition: Option<String>,
}

impl FitSettings {
    pub fn to_json(&self) -> Value {
        json!({
            "method": self.optimiser().method.name(),
            "ode": format!("{:?}", self.ode).to_lowercase(),
            "rtol": self.rtol,
            "atol": self.atol,
            "max_iterations": self.max_iterations,
            "starts": self.starts,
            "seed": self.seed,
            "grid": self.grid,
            "initial_from": format!("{:?}", self.initial_from).to_lowercase(),
            "condition": self.condition,
        })
    }

    pub fn from_json(v: &Value) -> Option<FitSettings> {
        let method = match Method::from_name(v["method"].as_str()?)? {
            Method::LevenbergMarquardt => MethodArg::Lm,
            Method::Lbfgs => MethodArg::Lbfgs,
        };
        let ode = OdeArg::from_str(v["ode"].as_str()?, true).ok()?;
        Some(FitSettings {
            method,
            ode,
            rtol: v["rtol"].as_f64()?,
            atol: v["atol"].as_f64()?,
            max_iterations: v["max_iterations"].as_u64()?,
            starts: usize::try_from(v["starts"].as_u64()?).ok()?,
            seed: v["seed"].as_u64()?,
            // Start tables written before --grid existed have no grid.
            grid: match v.get("grid") {
                None => Vec::new(),
                Some(g) => g
                    .as_array()?
                    .iter()
                    .map(|n| n.as_u64().and_then(|n| usize::try_from(n).ok()))
                    .collect::<Option<_>>()?,
            },
            // Start tables written before --initial-from existed took the model's.
            initial_from: match v.get("initial_from") {
                None => InitialFrom::Model,
                Some(i) => InitialFrom::from_str(i.as_str()?, true).ok()?,
            },
            // Absent or null: every row, as before --condition existed.
            condition: match v.get("condition") {
                None | Some(Value::Null) => None,
                Some(c) => Some(c.as_str()?.to_string()),
            },
        })
    }

    pub fn optimiser(&self) -> Settings {
        Settings {
            method: self.method.into(),
            max_iterations: self.max_iterations,
            ..Settings::default()
        }
    }

    pub fn solver(&self) -> Result<OdeSolver> {
        let method = match self.ode {
            OdeArg::Auto => piml_ode::Method::Auto,
            OdeArg::Explicit => piml_ode::Method::Explicit,
            OdeArg::Stiff => piml_ode::Method::Bdf,
        };
        OdeSolver::new(method)
            .rtol(self.rtol)
            .atol(self.atol)
            .build()
            .context("solver options")
    }
}

/// The models (with their files), the data file and the settings.
#[derive(Debug, Clone)]
pub(crate) struct Job {
    pub files: Vec<String>,
    pub models: Vec<Model>,
    pub data: PathBuf,
    pub settings: FitSettings,
}

impl Job {
    /// One fitting problem per model; warns once about ignored data columns.
    pub fn problems(&self) -> Result<Vec<Problem>> {
        let mut table = piml_io::read_table(&self.data)?;
        if let Some(name) = &self.settings.condition {
            table = table.rows_of_condition(name)?;
        }
        let name = self.data.display().to_string();
        let solver = self.settings.solver()?;
        let mut problems = Vec::new();
        for (file, model) in self.files.iter().zip(&self.models) {
            let model = &match self
                .settings
                .condition
                .as_deref()
                .and_then(|c| model.condition(c))
            {
                Some(c) => model.under_condition(c),
                None => model.clone(),
            };
            let grid = (!self.settings.grid.is_empty()).then_some(&self.settings.grid[..]);
            let data = Dataset::on_grid(model, &table, &name, grid, self.settings.initial_from)
                .with_context(|| format!("model {file}"))?;
            if problems.is_empty() && !data.ignored.is_empty() {
                piml_cli::warn(format_args!(
                    "{name}: ignoring columns that are no observable, sigma or coordinate of the model: {}",
                    data.ignored.join(", ")
                ));
            }
            problems.push(Problem::new(model, data, solver.clone())?);
        }
        // Models compared by likelihood must explain the same observations.
        if let Some(first) = problems.first() {
            let n = first.data().n_points();
            for (p, file) in problems.iter().zip(&self.files).skip(1) {
                if p.data().n_points() != n {
                    bail!(
                        "{file}: the model observes {} values of {}, {} observes {n}: models compared by AIC/BIC must be fitted to the same observations",
                        p.data().n_points(),
                        self.data.display(),
                        self.files[0]
                    );
                }
            }
        }
        Ok(problems)
    }
}

/// The result document's body: the best model's fit first, then (with
/// several models) the selection table and every model's fit. Returns the
/// body, the warnings, and the best model's index and estimates.
pub(crate) fn fit_document(
    job: &Job,
    problems: &[Problem],
    results: &[Vec<StartResult>],
) -> Result<(Value, Vec<String>, usize, Vec<f64>)> {
    let mut summaries = Vec::new();
    for (problem, r) in problems.iter().zip(results) {
        summaries.push(summarise(problem, r)?);
    }
    let ranked = rank(&summaries.iter().map(|s| s.criteria).collect::<Vec<_>>());
    let best = ranked[0].model;
    let mut body = serde_json::Map::new();
    body.insert("model".into(), json!(problems[best].model().name));
    body.insert("model_file".into(), json!(job.files[best]));
    body.insert("data".into(), json!(job.data.display().to_string()));
    body.insert("settings".into(), job.settings.to_json());
    if let Value::Object(fields) = summaries[best].document.clone() {
        body.extend(fields);
    }
    if problems.len() > 1 {
        let table: Vec<Value> = ranked
            .iter()
            .map(|r| {
                let c = &summaries[r.model].criteria;
                json!({
                    "model": problems[r.model].model().name,
                    "model_file": job.files[r.model],
                    "n_estimated": c.k,
                    "n_observations": c.n,
                    "minus2_log_likelihood": c.minus2_log_likelihood,
                    "aic": c.aic,
                    "aicc": c.aicc,
                    "bic": c.bic,
                    "delta_aic": r.delta_aic,
                    "akaike_weight": r.akaike_weight,
                })
            })
            .collect();
        body.insert("selection".into(), Value::Array(table));
        body.insert(
            "fits".into(),
            Value::Array(summaries.iter().map(|s| s.document.clone()).collect()),
        );
    }
    let warnings: Vec<String> = summaries.iter().flat_map(|s| s.warnings.clone()).collect();
    body.insert("warnings".into(), json!(warnings));
    Ok((
        Value::Object(body),
        warnings,
        best,
        summaries[best].theta.clone(),
    ))
}

/// Reads the model files and applies `--set` to each.
pub(crate) fn read_models(paths: &[PathBuf], common: &piml_cli::CommonArgs) -> Result<Vec<Model>> {
    paths
        .iter()
        .map(|p| {
            let mut m = Model::from_file(Path::new(p))?;
            common
                .apply_sets(&mut m)
                .with_context(|| format!("model {}", p.display()))?;
            Ok(m)
        })
        .collect()
}
