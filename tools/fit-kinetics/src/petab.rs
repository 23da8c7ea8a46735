//! PEtab problems (PROBLEM.yaml in place of a model file): `--evaluate` at the nominal values,
//! or a multistart maximum-likelihood fit of the estimated parameters with piml-fit's
//! optimisers on the PEtab likelihood.

use std::path::Path;

use anyhow::{Result, bail};
use piml_io::{Outputs, Provenance, Table};
use piml_petab::{Fit, Problem};
use rayon::prelude::*;
use serde_json::{Map, Value, json};

use crate::Args;
use crate::evaluate;

/// Starts whose log-likelihood is within this of the best have reached it (the 0.01
/// against a published optimum; a waterfall's plateau is far flatter).
const REACHED: f64 = 1e-2;

pub(crate) fn run(args: &Args, file: &Path, output: &Path) -> Result<()> {
    if args.data.is_some() {
        bail!("--data: a PEtab problem names its own measurements");
    }
    let settings = piml_petab::Settings {
        rtol: args.rtol,
        atol: args.atol,
        ..piml_petab::Settings::default()
    };
    if args.evaluate {
        return evaluate::petab(file, &args.common.set, output, settings);
    }
    if args.common.shard()?.count > 1 || args.checkpoint.dir.is_some() || args.predict.is_some() {
        bail!("--shard, --checkpoint and --predict are not available for PEtab problems yet");
    }
    if !args.common.set.is_empty() {
        bail!(
            "--set applies to a PEtab problem with --evaluate; a fit starts from its parameter table"
        );
    }
    let problem = Problem::load(file)?;
    let fit = Fit::new(&problem, settings);
    let optimiser = piml_fit::Settings {
        method: args.method.into(),
        max_iterations: args.max_iterations,
        ..piml_fit::Settings::default()
    };
    let seed = args.common.seed;
    let started = std::time::Instant::now();
    let outcomes: Vec<piml_fit::Outcome> = (0..args.starts)
        .into_par_iter()
        .map(|i| fit.from(&fit.start(i, seed), &optimiser))
        .collect();
    let best = (0..outcomes.len())
        .filter(|&i| outcomes[i].nll.is_finite())
        .min_by(|&a, &b| outcomes[a].nll.total_cmp(&outcomes[b].nll));
    let Some(best) = best else {
        bail!(
            "{}: no start could be evaluated: {}",
            file.display(),
            outcomes[0].message
        );
    };
    let theta = fit.full(&outcomes[best].theta);
    let at_best = problem.evaluate(&theta, &settings, false)?;
    let free = fit.free();
    let parameters: Map<String, Value> = problem
        .parameters
        .iter()
        .enumerate()
        .map(|(j, p)| {
            (
                p.id.clone(),
                json!({"estimate": theta[j], "estimated": free.contains(&j), "nominal": p.nominal,
                       "bounds": p.bounds, "scale": format!("{:?}", p.scale).to_lowercase()}),
            )
        })
        .collect();
    let mut waterfall: Vec<f64> = outcomes.iter().map(|o| -o.nll).collect();
    waterfall.sort_by(|a, b| b.total_cmp(a));
    let best_llh = -outcomes[best].nll;
    let body = json!({
        "problem": file.display().to_string(),
        "measurements": problem.n_measurements(),
        "log_likelihood": at_best.log_likelihood,
        "chi2": at_best.chi2,
        "parameters": parameters,
        "starts": {
            "count": outcomes.len(),
            "best": best,
            "converged": outcomes.iter().filter(|o| o.converged).count(),
            "reached_best": waterfall.iter().filter(|l| **l >= best_llh - REACHED).count(),
            "reached_within": REACHED,
            "waterfall": waterfall,
        },
        "settings": {"method": optimiser.method.name(), "max_iterations": optimiser.max_iterations,
                     "seed": seed, "rtol": settings.rtol, "atol": settings.atol},
        "wall_seconds": started.elapsed().as_secs_f64(),
    });
    let provenance = Provenance::from_env("fit-kinetics", Some(seed));
    let mut written = Outputs::default();
    written.json(output, &provenance.document(&problem.model.name, body))?;
    if let Some(path) = &args.starts_table {
        let mut table = Table::new();
        table.push_i64("start", (0..outcomes.len() as i64).collect());
        table.push_f64("objective", outcomes.iter().map(|o| Some(o.nll)).collect());
        table.push_f64(
            "log_likelihood",
            outcomes.iter().map(|o| Some(-o.nll)).collect(),
        );
        table.push_i64(
            "converged",
            outcomes.iter().map(|o| i64::from(o.converged)).collect(),
        );
        table.push_i64(
            "iterations",
            outcomes.iter().map(|o| o.iterations as i64).collect(),
        );
        table.set_metadata(provenance.table_metadata("null"));
        written.table(path, &table)?;
    }
    Ok(written.commit()?)
}
