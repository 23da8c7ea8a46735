//! The start table: one row per start (and model), written by shards and
//! read back by `merge`. Its metadata holds the models, the data file and
//! the settings, so that a merge reproduces the whole run.

use std::collections::BTreeMap;

use anyhow::{Result, bail};
use piml_fit::{Outcome, Problem, StartResult};
use piml_io::{Column, Provenance, Table};
use serde_json::{Value, json};

use crate::job::{FitSettings, Job};

/// Metadata keys of a start table besides the common ones.
pub(crate) const META_MODELS: &str = "piml.fit.models";
pub(crate) const META_DATA: &str = "piml.fit.data";
pub(crate) const META_SETTINGS: &str = "piml.fit.settings";

fn estimate_column(name: &str) -> String {
    format!("estimate_{name}")
}

/// A fitted model as its start table names it: the model's name and its estimated
/// parameters, in the optimiser's order.
pub(crate) struct Fitted {
    pub name: String,
    pub estimated: Vec<String>,
}

impl Fitted {
    pub fn of(problems: &[Problem]) -> Vec<Fitted> {
        problems
            .iter()
            .map(|p| Fitted {
                name: p.model().name.clone(),
                estimated: p.estimated().iter().map(|e| e.name.clone()).collect(),
            })
            .collect()
    }
}

/// The start table of a run of model files: the rows, and the models, data file and settings
/// in its metadata.
pub(crate) fn to_table(
    job: &Job,
    problems: &[Problem],
    results: &[Vec<StartResult>],
    provenance: &Provenance,
) -> Table {
    let mut table = rows(&Fitted::of(problems), results);
    let mut meta = provenance.table_metadata(&job.models[0].source_json());
    let models: Vec<Value> = job
        .files
        .iter()
        .zip(&job.models)
        .map(|(f, m)| json!({"file": f, "model": m.source}))
        .collect();
    meta.insert(META_MODELS.into(), Value::Array(models).to_string());
    meta.insert(META_DATA.into(), job.data.display().to_string());
    meta.insert(META_SETTINGS.into(), job.settings.to_json().to_string());
    table.set_metadata(meta);
    table
}

/// One row per start of every model (`results[m]` of `models[m]`): its objective, whether it
/// converged, its iterations, evaluations and message, and its estimates.
pub(crate) fn rows(models: &[Fitted], results: &[Vec<StartResult>]) -> Table {
    let mut names: Vec<String> = Vec::new();
    for m in models {
        for e in &m.estimated {
            if !names.contains(e) {
                names.push(e.clone());
            }
        }
    }
    let mut model = Vec::new();
    let mut start = Vec::new();
    let mut converged = Vec::new();
    let mut objective = Vec::new();
    let mut iterations = Vec::new();
    let mut evaluations = Vec::new();
    let mut message = Vec::new();
    let mut estimates: Vec<Vec<Option<f64>>> = vec![Vec::new(); names.len()];
    for (p, rs) in models.iter().zip(results) {
        for r in rs {
            let o = &r.outcome;
            model.push(Some(p.name.clone()));
            start.push(r.index as i64);
            converged.push(i64::from(o.converged));
            objective.push(Some(o.nll).filter(|v| v.is_finite()));
            iterations.push(o.iterations as i64);
            evaluations.push(o.evaluations as i64);
            message.push(Some(o.message.clone()));
            for (name, col) in names.iter().zip(&mut estimates) {
                let v = p
                    .estimated
                    .iter()
                    .position(|e| e == name)
                    .map(|i| o.theta[i])
                    .filter(|v| v.is_finite());
                col.push(v);
            }
        }
    }
    let mut table = Table::new();
    table.push_utf8("model", model);
    table.push_i64("start", start);
    table.push_i64("converged", converged);
    table.push_f64("objective", objective);
    table.push_i64("iterations", iterations);
    table.push_i64("evaluations", evaluations);
    table.push_utf8("message", message);
    for (name, col) in names.iter().zip(estimates) {
        table.push_f64(&estimate_column(name), col);
    }
    table
}

/// The job recorded in a start table's metadata.
pub(crate) fn job_of(table: &Table, file: &str) -> Result<Job> {
    let meta = table.metadata();
    let get = |key: &str| {
        meta.get(key).ok_or_else(|| {
            anyhow::anyhow!(
                "{file}: no '{key}' metadata: not a start table written by fit-kinetics --shard"
            )
        })
    };
    let bad = |key: &str| anyhow::anyhow!("{file}: metadata '{key}' is damaged");
    let settings: Value =
        serde_json::from_str(get(META_SETTINGS)?).map_err(|_| bad(META_SETTINGS))?;
    let settings = FitSettings::from_json(&settings).ok_or_else(|| bad(META_SETTINGS))?;
    let models: Value = serde_json::from_str(get(META_MODELS)?).map_err(|_| bad(META_MODELS))?;
    let mut files = Vec::new();
    let mut parsed = Vec::new();
    for m in models.as_array().ok_or_else(|| bad(META_MODELS))? {
        let name = m["file"].as_str().ok_or_else(|| bad(META_MODELS))?;
        files.push(name.to_string());
        parsed.push(piml_model::Model::from_json_str(
            &m["model"].to_string(),
            &format!("{file}: model {name}"),
        )?);
    }
    Ok(Job {
        files,
        models: parsed,
        data: get(META_DATA)?.into(),
        settings,
    })
}

/// A column of whole numbers (tables read back hold them as numbers: only
/// `sample` and `replicate` are integers by role).
fn integers(t: &Table, file: &str, name: &str) -> Result<Vec<i64>> {
    t.f64_values(name)?
        .into_iter()
        .enumerate()
        .map(|(r, v)| match v {
            Some(x) if x.fract() == 0.0 && x >= 0.0 => Ok(x as i64),
            _ => bail!(
                "{file}: row {}, column '{name}': expected a whole number",
                r + 1
            ),
        })
        .collect()
}

/// The starts of every model from the rows of `tables` (concatenated
/// shards), checked complete: each start of each model exactly once.
pub(crate) fn from_tables(
    tables: &[(String, Table)],
    models: &[Fitted],
    total: usize,
) -> Result<Vec<Vec<StartResult>>> {
    let mut found: Vec<BTreeMap<usize, StartResult>> = vec![BTreeMap::new(); models.len()];
    for (file, t) in tables {
        let model = t.utf8_column("model")?;
        let start = integers(t, file, "start")?;
        let converged = integers(t, file, "converged")?;
        let objective = t.f64_column("objective")?;
        let iterations = integers(t, file, "iterations")?;
        let evaluations = integers(t, file, "evaluations")?;
        let message = t.utf8_column("message")?;
        for r in 0..t.n_rows() {
            let name = model[r].as_deref().unwrap_or_default();
            let Some(m) = models.iter().position(|p| p.name == name) else {
                bail!(
                    "{file}: row {}: model '{name}' is not one of the run's models",
                    r + 1
                );
            };
            let theta = models[m]
                .estimated
                .iter()
                .map(|e| match t.column(&estimate_column(e)) {
                    Some(Column::F64(v)) => Ok(v[r].unwrap_or(f64::NAN)),
                    _ => bail!("{file}: no numeric column '{}'", estimate_column(e)),
                })
                .collect::<Result<Vec<f64>>>()?;
            let index = usize::try_from(start[r])
                .ok()
                .filter(|i| *i < total)
                .ok_or_else(|| {
                    anyhow::anyhow!(
                        "{file}: row {}: start {} is not in 0..{total}",
                        r + 1,
                        start[r]
                    )
                })?;
            let result = StartResult {
                index,
                outcome: Outcome {
                    theta,
                    nll: objective[r].unwrap_or(f64::NAN),
                    converged: converged[r] != 0,
                    iterations: iterations[r] as u64,
                    evaluations: evaluations[r] as usize,
                    message: message[r].clone().unwrap_or_default(),
                },
            };
            if found[m].insert(index, result).is_some() {
                bail!(
                    "{file}: start {index} of model '{name}' appears twice: is a shard merged twice?"
                );
            }
        }
    }
    for (m, f) in found.iter().enumerate() {
        if f.len() != total {
            let missing: Vec<String> = (0..total)
                .filter(|i| !f.contains_key(i))
                .map(|i| i.to_string())
                .collect();
            let shown = if missing.len() > 10 {
                format!("{}, … ({} in all)", missing[..10].join(", "), missing.len())
            } else {
                missing.join(", ")
            };
            bail!(
                "model '{}': starts {shown} of {total} are missing: merge the start tables of every shard",
                models[m].name
            );
        }
    }
    Ok(found
        .into_iter()
        .map(|f| f.into_values().collect())
        .collect())
}
