//! `--evaluate`: the log-likelihood and its gradient at given parameter values, without
//! optimising — what a modeller checks first after an import: the model's values (after
//! `--set`) for piml model files, the parameter table's nominal values (after `--set`) for a
//! PEtab problem.

use std::path::Path;

use anyhow::{Context, Result, bail};
use piml_io::{Outputs, Provenance};
use serde_json::{Map, Value, json};

/// Writes the evaluation document of a PEtab problem.
pub(crate) fn petab(
    file: &Path,
    set: &[(String, f64)],
    output: &Path,
    settings: piml_petab::Settings,
) -> Result<()> {
    let problem = piml_petab::Problem::load(file)?;
    let theta = problem.nominal_with(set)?;
    let e = problem.evaluate(&theta, &settings, true)?;
    let gradient = e.gradient.expect("asked for");
    let parameters: Map<String, Value> = problem
        .parameters
        .iter()
        .zip(&theta)
        .zip(&gradient)
        .map(|((p, value), g)| {
            (
                p.id.clone(),
                json!({"value": value, "estimate": p.estimate, "gradient": g}),
            )
        })
        .collect();
    let body = json!({
        "problem": file.display().to_string(),
        "measurements": problem.n_measurements(),
        "log_likelihood": e.log_likelihood,
        "chi2": e.chi2,
        "parameters": parameters,
        "integration": {"rtol": settings.rtol, "atol": settings.atol},
    });
    write(output, &problem.model.name, body)
}

/// Writes the evaluation document of fitting problems built from piml model files: −log L's
/// value and gradient at each model's values.
pub(crate) fn models(
    files: &[String],
    problems: &[piml_fit::Problem],
    output: &Path,
) -> Result<()> {
    let mut fits = Map::new();
    for (file, problem) in files.iter().zip(problems) {
        let theta: Vec<f64> = problem.estimated().iter().map(|e| e.value).collect();
        let e = problem
            .evaluate(&theta)
            .with_context(|| format!("{file}: evaluating at the model's values"))?;
        let parameters: Map<String, Value> = problem
            .estimated()
            .iter()
            .zip(&e.gradient)
            .map(|(p, g)| (p.name.clone(), json!({"value": p.value, "gradient": -g})))
            .collect();
        fits.insert(
            problem.model().name.clone(),
            json!({"file": file, "log_likelihood": -e.nll, "parameters": parameters}),
        );
    }
    let name = match problems {
        [one] => one.model().name.clone(),
        _ => "several models".into(),
    };
    if fits.len() != problems.len() {
        bail!("two model files name the same model: give each its own name");
    }
    write(output, &name, json!({"models": fits}))
}

fn write(output: &Path, model: &str, body: Value) -> Result<()> {
    let provenance = Provenance::from_env("fit-kinetics", None);
    let mut written = Outputs::default();
    written.json(output, &provenance.document(model, body))?;
    Ok(written.commit()?)
}
