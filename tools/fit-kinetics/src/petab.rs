//! PEtab problems (PROBLEM.yaml in place of a model file): `--evaluate` at the nominal values,
//! or a multistart maximum-likelihood fit of the estimated parameters with piml-fit's
//! optimisers on the PEtab likelihood — whole, or in shards whose start tables `merge` joins
//! into the document the whole run writes.

use std::path::Path;
use std::time::Instant;

use anyhow::{Context, Result, bail};
use piml_cli::Progress;
use piml_fit::{Outcome, StartResult};
use piml_io::{Outputs, Provenance, RunKey, Table};
use piml_petab::{Fit, Problem};
use serde_json::{Map, Value, json};

use crate::evaluate;
use crate::resume::{self, Saved};
use crate::starts::{self, Fitted};
use crate::{Args, MergeArgs};

/// Starts whose log-likelihood is within this of the best have reached it (the 0.01
/// against a published optimum; a waterfall's plateau is far flatter).
const REACHED: f64 = 1e-2;

/// Metadata of a PEtab start table: the problem file and the run's settings.
pub(crate) const META_PETAB: &str = "piml.fit.petab";

/// What a PEtab multistart is: the problem and every setting its starts depend on.
struct Run {
    problem: String,
    starts: usize,
    seed: u64,
    optimiser: piml_fit::Settings,
    integration: piml_petab::Settings,
}

impl Run {
    fn to_json(&self) -> Value {
        json!({"problem": self.problem, "starts": self.starts, "seed": self.seed,
               "method": self.optimiser.method.name(),
               "max_iterations": self.optimiser.max_iterations,
               "rtol": self.integration.rtol, "atol": self.integration.atol})
    }

    fn from_json(v: &Value) -> Option<Run> {
        let method = piml_fit::Method::from_name(v["method"].as_str()?)?;
        Some(Run {
            problem: v["problem"].as_str()?.to_string(),
            starts: usize::try_from(v["starts"].as_u64()?).ok()?,
            seed: v["seed"].as_u64()?,
            optimiser: piml_fit::Settings {
                method,
                max_iterations: v["max_iterations"].as_u64()?,
                ..piml_fit::Settings::default()
            },
            integration: piml_petab::Settings {
                rtol: v["rtol"].as_f64()?,
                atol: v["atol"].as_f64()?,
                ..piml_petab::Settings::default()
            },
        })
    }
}

pub(crate) fn run(args: &Args, file: &Path, output: &Path) -> Result<()> {
    if args.data.is_some() {
        bail!("--data: a PEtab problem names its own measurements");
    }
    let integration = piml_petab::Settings {
        rtol: args.rtol,
        atol: args.atol,
        ..piml_petab::Settings::default()
    };
    if args.evaluate {
        return evaluate::petab(file, &args.common.set, output, integration);
    }
    if args.predict.is_some() {
        bail!("--predict is not available for PEtab problems yet");
    }
    if !args.common.set.is_empty() {
        bail!(
            "--set applies to a PEtab problem with --evaluate; a fit starts from its parameter table"
        );
    }
    let started = Instant::now();
    let shard = args.common.shard()?;
    let run = Run {
        problem: file.display().to_string(),
        starts: args.starts,
        seed: args.common.seed,
        optimiser: piml_fit::Settings {
            method: args.method.into(),
            max_iterations: args.max_iterations,
            ..piml_fit::Settings::default()
        },
        integration,
    };
    let problem = Problem::load(file)?;
    let fit = Fit::new(&problem, run.integration);
    let saved = match &args.checkpoint.dir {
        Some(dir) => {
            let mut key = RunKey::new();
            for (i, input) in problem.files.iter().enumerate() {
                key = key.input(&format!("problem file {}", i + 1), input)?;
            }
            let key = resume::settings(key, &run.to_json());
            Some(Saved::open(dir, key, 1, shard, args.checkpoint.every(1))?)
        }
        None => None,
    };
    let mut results = match &saved {
        Some(s) => s.load()?.pop().expect("one problem"),
        None => Vec::new(),
    };
    let range = shard.range(run.starts);
    let missing: Vec<usize> = range
        .clone()
        .filter(|i| results.iter().all(|r| r.index != *i))
        .collect();
    let starts: Vec<Vec<f64>> = (0..run.starts).map(|i| fit.start(i, run.seed)).collect();
    let progress = Progress::new(
        range.len() as u64,
        "fit-kinetics",
        args.common.quiet || range.len() < 2,
    );
    progress.set_position(results.len() as u64);
    let on_done = |r: &StartResult| {
        progress.inc();
        if let Some(saved) = &saved {
            saved.finished(0, r);
        }
    };
    let stop = || saved.as_ref().is_some_and(Saved::stopping);
    results.extend(piml_fit::run_starts(
        &fit,
        &starts,
        missing,
        &run.optimiser,
        &on_done,
        &stop,
    ));
    results.sort_by_key(|r| r.index);
    progress.finish();
    if let Some(saved) = &saved {
        saved.close(range.len())?;
    }
    let provenance = Provenance::from_env("fit-kinetics", Some(run.seed));
    let table = start_table(&problem, &fit, &run, &results, &provenance);
    let mut written = Outputs::default();
    if shard.count > 1 {
        written.table(output, &table)?;
        return Ok(written.commit()?);
    }
    if let Some(path) = &args.starts_table {
        written.table(path, &table)?;
    }
    let document = document(&problem, &fit, &run, &results, started)?;
    written.json(output, &provenance.document(&problem.model.name, document))?;
    Ok(written.commit()?)
}

/// `fit-kinetics merge` of the start tables of a PEtab problem's shards.
pub(crate) fn merge(args: &MergeArgs, tables: &[(String, Table)], started: Instant) -> Result<()> {
    if args.predict.is_some() || args.data.is_some() {
        bail!("--predict and --data are not available for PEtab problems");
    }
    let (first_file, first) = &tables[0];
    let recorded = first
        .metadata()
        .get(META_PETAB)
        .expect("checked by the caller");
    for (file, t) in &tables[1..] {
        if t.metadata().get(META_PETAB) != Some(recorded) {
            bail!(
                "{file}: '{META_PETAB}' differs from {first_file}'s: the tables come from different runs"
            );
        }
    }
    let run = serde_json::from_str(recorded)
        .ok()
        .as_ref()
        .and_then(Run::from_json)
        .with_context(|| format!("{first_file}: metadata '{META_PETAB}' is damaged"))?;
    let problem = Problem::load(Path::new(&run.problem))?;
    let fit = Fit::new(&problem, run.integration);
    let mut results = starts::from_tables(tables, &[fitted(&problem, &fit)], run.starts)?;
    let results = results.pop().expect("one problem");
    let provenance = Provenance::from_env("fit-kinetics", Some(run.seed));
    let document = document(&problem, &fit, &run, &results, started)?;
    let mut written = Outputs::default();
    written.json(
        &args.output,
        &provenance.document(&problem.model.name, document),
    )?;
    Ok(written.commit()?)
}

/// The problem as its start table names it: the model and the estimated rows of the
/// parameter table.
fn fitted(problem: &Problem, fit: &Fit) -> Fitted {
    Fitted {
        name: problem.model.name.clone(),
        estimated: fit
            .free()
            .iter()
            .map(|&j| problem.parameters[j].id.clone())
            .collect(),
    }
}

fn start_table(
    problem: &Problem,
    fit: &Fit,
    run: &Run,
    results: &[StartResult],
    provenance: &Provenance,
) -> Table {
    let mut table = starts::rows(&[fitted(problem, fit)], &[results.to_vec()]);
    table.push_f64(
        "log_likelihood",
        results
            .iter()
            .map(|r| Some(-r.outcome.nll).filter(|v| v.is_finite()))
            .collect(),
    );
    let mut meta = provenance.table_metadata(&problem.model.source_json());
    meta.insert(META_PETAB.into(), run.to_json().to_string());
    table.set_metadata(meta);
    table
}

/// The result document of a whole run (or of the merge of its shards): the best start's
/// estimates, log-likelihood and χ², and the waterfall.
fn document(
    problem: &Problem,
    fit: &Fit,
    run: &Run,
    results: &[StartResult],
    started: Instant,
) -> Result<Value> {
    let outcomes: Vec<&Outcome> = results.iter().map(|r| &r.outcome).collect();
    let best = (0..outcomes.len())
        .filter(|&i| outcomes[i].nll.is_finite())
        .min_by(|&a, &b| outcomes[a].nll.total_cmp(&outcomes[b].nll));
    let Some(best) = best else {
        bail!(
            "{}: no start could be evaluated: {}",
            run.problem,
            outcomes[0].message
        );
    };
    let theta = fit.full(&outcomes[best].theta);
    // With the sensitivities, as the optimiser saw it: their error test also tightens the states
    // (without them Fujita's best moved by 0.025 at rtol 1e-8).
    let at_best = problem.evaluate(&theta, &run.integration, true)?;
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
    Ok(json!({
        "problem": run.problem,
        "measurements": problem.n_measurements(),
        "log_likelihood": at_best.log_likelihood,
        "chi2": at_best.chi2,
        "parameters": parameters,
        "starts": {
            "count": outcomes.len(),
            "best": results[best].index,
            "converged": outcomes.iter().filter(|o| o.converged).count(),
            "reached_best": waterfall.iter().filter(|l| **l >= best_llh - REACHED).count(),
            "reached_within": REACHED,
            "waterfall": waterfall,
        },
        "settings": {"method": run.optimiser.method.name(),
                     "max_iterations": run.optimiser.max_iterations,
                     "seed": run.seed, "rtol": run.integration.rtol, "atol": run.integration.atol},
        "wall_seconds": started.elapsed().as_secs_f64(),
    }))
}
