//! `fit-kinetics`: fit kinetic, reaction–diffusion and algebraic models to measurements, with
//! multistart, uncertainty from the Fisher information and model selection.

mod evaluate;
mod job;
mod petab;
mod resume;
mod starts;

use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Instant;

use anyhow::{Context, Result, bail};
use clap::{Parser, Subcommand};
use piml_cli::{CommonArgs, Progress, warn};
use piml_fit::{Problem, StartResult, run_starts, start_points};
use piml_io::{Outputs, Provenance, read_table};

use crate::job::{FitSettings, Job, MethodArg, OdeArg, fit_document, read_models};
use piml_fit::InitialFrom;

const EXAMPLE: &str = "\
Examples:
  # Michaelis–Menten, mass action or Hill? Fit all three, 20 starts each, and compare
  fit-kinetics testdata/kinetics/mass-action.json testdata/kinetics/michaelis-menten.json \\
      testdata/kinetics/hill.json --data mm.parquet --starts 20 -o fit.json --predict pred.parquet

  # 100 starts as 4 Slurm array tasks, then merged
  fit-kinetics testdata/kinetics/lotka-volterra-initial.json --data lv.parquet --starts 100 \\
      --shard 2/4 -o starts-2.parquet
  fit-kinetics merge starts-*.parquet -o fit.json

  # Fisher–KPP by the method of lines on 50 cells (rows matched to the nearest cell centre)
  fit-kinetics testdata/fisher-kpp-1d.json --data fk.csv --grid 50 -o fit.json

  # The same with the initial profile from the t = 0 rows (a scratch assay's first image)
  fit-kinetics pipelines/scratch-assay/fisher-kpp.json --data assay.csv --grid 114 \
      --initial-from data --condition initial-16000 -o fit.json";

/// Fit every parameter marked `estimate` (and initial values written as
/// parameters) to a data table by maximum likelihood: ODE models to time
/// courses (several conditions, replicates, missing values), reaction–diffusion
/// models to space–time data by the method of lines (--grid), algebraic models
/// to dose–response or initial-rate tables. Reports estimates, standard
/// errors, correlations, Wald 95% intervals, −2 log L, AIC, AICc and BIC, and
/// with several model files ranks them by AIC with Akaike weights.
#[derive(Debug, Parser)]
#[command(name = "fit-kinetics", version, after_help = EXAMPLE, args_conflicts_with_subcommands = true, subcommand_negates_reqs = true, allow_negative_numbers = true)]
struct Args {
    #[command(subcommand)]
    merge: Option<MergeCommand>,
    /// Model files (JSON); with several, the fits are compared
    #[arg(required = true)]
    models: Vec<PathBuf>,
    /// Measurements: Parquet or CSV with t (or the inputs), optional condition and replicate,
    /// one column per observable, optional sigma_<observable> (a PEtab problem names its own)
    #[arg(long, value_name = "FILE")]
    data: Option<PathBuf>,
    /// Result document (JSON); with --shard, the start table (Parquet) instead
    #[arg(short, long, value_name = "FILE", required = true)]
    output: Option<PathBuf>,
    /// Optimiser
    #[arg(long, value_enum, default_value_t = MethodArg::Lm)]
    method: MethodArg,
    /// Starts per model: the model's values, then a Latin hypercube in the (log-)bounds
    #[arg(long, value_name = "N", default_value_t = 1, value_parser = piml_cli::count::<usize>)]
    starts: usize,
    /// Most optimiser iterations per start
    #[arg(long, value_name = "N", default_value_t = 500, value_parser = piml_cli::count::<u64>)]
    max_iterations: u64,
    /// Integrator of the kinetic equations and their sensitivities
    #[arg(long, value_enum, default_value_t = OdeArg::Auto)]
    ode: OdeArg,
    /// Relative tolerance of the integrator
    #[arg(long, default_value = "1e-8")]
    rtol: f64,
    /// Absolute tolerance of the integrator
    #[arg(long, default_value = "1e-10")]
    atol: f64,
    /// Write the best model's predictions at the data's times (or inputs) to this table
    #[arg(long, value_name = "FILE")]
    predict: Option<PathBuf>,
    /// Cells per axis of the method-of-lines grid of a reaction–diffusion model (required for
    /// one); each data row is matched to the cell whose centre is nearest its x (and y)
    #[arg(long, value_name = "NX[,NY]", value_delimiter = ',')]
    grid: Vec<usize>,
    /// Initial fields of a reaction–diffusion model (data: estimated through the rows at the
    /// start of the span; interpolated: those rows taken as exact)
    #[arg(long, value_enum, value_name = "FROM", default_value_t = InitialFrom::Model)]
    initial_from: InitialFrom,
    /// Also write the table of every start (as a shard would) to this file
    #[arg(long, value_name = "FILE")]
    starts_table: Option<PathBuf>,
    /// Fit only the data rows of this condition, under the model's settings for it (the model
    /// as written when it lists no such condition) [default: every row, each under its own]
    #[arg(long, value_name = "NAME")]
    condition: Option<String>,
    /// Evaluate without optimising: log-likelihood and gradient at the model's values (or a
    /// PEtab problem's nominal ones, with its chi2), after --set
    #[arg(long)]
    evaluate: bool,
    #[command(flatten)]
    checkpoint: piml_cli::CheckpointArgs,
    #[command(flatten)]
    common: CommonArgs,
}

#[derive(Debug, Subcommand)]
enum MergeCommand {
    /// Merge the start tables of the shards of one run into its result document
    Merge(MergeArgs),
}

#[derive(Debug, clap::Args)]
struct MergeArgs {
    /// Start tables written by `fit-kinetics … --shard I/N -o FILE`
    #[arg(required = true)]
    tables: Vec<PathBuf>,
    /// Result document (JSON)
    #[arg(short, long, value_name = "FILE")]
    output: PathBuf,
    /// The data file, if it moved since the shards ran [default: the path they recorded]
    #[arg(long, value_name = "FILE")]
    data: Option<PathBuf>,
    /// Write the best model's predictions at the data's times (or inputs) to this table
    #[arg(long, value_name = "FILE")]
    predict: Option<PathBuf>,
}

fn main() -> ExitCode {
    piml_cli::main_parsed(
        piml_cli::errors![
            piml_fit::Error,
            piml_ode::Error,
            piml_model::Error,
            piml_petab::Error
        ],
        |args: Args| match args.merge {
            Some(MergeCommand::Merge(m)) => merge(m),
            None => fit(args),
        },
    )
}

fn fit(args: Args) -> Result<()> {
    args.common.init_threads()?;
    if args.starts == 0 {
        bail!("--starts: expected at least 1");
    }
    let shard = args.common.shard()?;
    let sharded = shard.count > 1;
    let output = args.output.clone().expect("required by clap");
    if sharded && (args.predict.is_some() || args.starts_table.is_some()) {
        bail!(
            "--shard: -o names the start table; --predict and --starts-table belong to the unsharded run or to merge"
        );
    }
    if sharded && output.extension().is_some_and(|e| e == "json") {
        bail!("--shard: -o names the start table of this shard (.parquet), not a JSON document");
    }
    let outputs: Vec<&Path> = std::iter::once(&output)
        .chain(&args.predict)
        .chain(&args.starts_table)
        .map(PathBuf::as_path)
        .collect();
    let inputs: Vec<&Path> = args
        .models
        .iter()
        .chain(&args.data)
        .map(PathBuf::as_path)
        .collect();
    piml_cli::check_outputs(&outputs, &inputs)?;
    if let [problem] = args.models.as_slice()
        && piml_petab::is_problem_file(problem)
    {
        return petab::run(&args, problem, &output);
    }
    let Some(data) = args.data.clone() else {
        bail!("--data: a piml model file is fitted to a table (a PEtab problem names its own)");
    };
    let job = Job {
        files: args
            .models
            .iter()
            .map(|p| p.display().to_string())
            .collect(),
        models: read_models(&args.models, &args.common)?,
        data,
        settings: FitSettings {
            method: args.method,
            ode: args.ode,
            rtol: args.rtol,
            atol: args.atol,
            max_iterations: args.max_iterations,
            starts: args.starts,
            seed: args.common.seed,
            grid: args.grid.clone(),
            initial_from: args.initial_from,
            condition: args.condition.clone(),
        },
    };
    for model in &job.models {
        piml_cli::check_fit_grid(&args.grid, model)?;
    }
    let started = Instant::now();
    let problems = job.problems()?;
    if args.evaluate {
        return evaluate::models(&job.files, &problems, &output);
    }
    for problem in &problems {
        // Each start keeps its point, its estimate and the table's row.
        let per_start = (3 * problem.n_estimated() + 16) as f64 * 8.0;
        piml_cli::check_memory(
            &format!("--starts {}", args.starts),
            args.starts as f64 * per_start,
        )?;
    }
    let range = shard.range(args.starts);
    let starts = problems
        .iter()
        .map(|p| start_points(p, args.starts, args.common.seed))
        .collect::<Result<Vec<_>, _>>()?;
    let saved = args
        .checkpoint
        .dir
        .as_deref()
        .map(|dir| {
            resume::Saved::open(
                dir,
                resume::model_key(&job, &args.models, &args.common.set)?,
                job.models.len(),
                shard,
                args.checkpoint.every(1),
            )
        })
        .transpose()?;
    let mut results: Vec<Vec<StartResult>> = match &saved {
        Some(s) => s.load()?,
        None => vec![Vec::new(); problems.len()],
    };
    let total = range.len() * problems.len();
    let progress = Progress::new(total as u64, "fit-kinetics", args.common.quiet || total < 2);
    progress.set_position(results.iter().map(Vec::len).sum::<usize>() as u64);
    let settings = job.settings.optimiser();
    for (m, (p, s)) in problems.iter().zip(&starts).enumerate() {
        let missing: Vec<usize> = range
            .clone()
            .filter(|i| results[m].iter().all(|r| r.index != *i))
            .collect();
        let on_done = |r: &StartResult| {
            progress.inc();
            if let Some(saved) = &saved {
                saved.finished(m, r);
            }
        };
        let stop = || saved.as_ref().is_some_and(resume::Saved::stopping);
        results[m].extend(run_starts(p, s, missing, &settings, &on_done, &stop));
        results[m].sort_by_key(|r| r.index);
    }
    progress.finish();
    if let Some(saved) = &saved {
        saved.close(total)?;
    }
    let provenance = Provenance::from_env("fit-kinetics", Some(args.common.seed));
    let mut written = Outputs::default();
    if sharded {
        let table = starts::to_table(&job, &problems, &results, &provenance);
        written.table(&output, &table)?;
        return Ok(written.commit()?);
    }
    if let Some(path) = &args.starts_table {
        written.table(
            path,
            &starts::to_table(&job, &problems, &results, &provenance),
        )?;
    }
    finish(
        &job,
        &problems,
        &results,
        &provenance,
        (&output, args.predict.as_deref()),
        written,
        started,
    )
}

fn merge(args: MergeArgs) -> Result<()> {
    let outputs: Vec<&Path> = std::iter::once(&args.output)
        .chain(&args.predict)
        .map(PathBuf::as_path)
        .collect();
    let inputs: Vec<&Path> = args
        .tables
        .iter()
        .chain(&args.data)
        .map(PathBuf::as_path)
        .collect();
    piml_cli::check_outputs(&outputs, &inputs)?;
    let started = Instant::now();
    let tables = args
        .tables
        .iter()
        .map(|p| Ok((p.display().to_string(), read_table(p)?)))
        .collect::<Result<Vec<_>>>()?;
    let (first_file, first) = &tables[0];
    if first.metadata().contains_key(petab::META_PETAB) {
        return petab::merge(&args, &tables, started);
    }
    let mut job = starts::job_of(first, first_file)?;
    for (file, t) in &tables[1..] {
        for key in [
            starts::META_MODELS,
            starts::META_DATA,
            starts::META_SETTINGS,
        ] {
            if t.metadata().get(key) != first.metadata().get(key) {
                bail!(
                    "{file}: '{key}' differs from {first_file}'s: the tables come from different runs"
                );
            }
        }
    }
    if let Some(d) = &args.data {
        job.data = d.clone();
    }
    let problems = job.problems()?;
    let results =
        starts::from_tables(&tables, &starts::Fitted::of(&problems), job.settings.starts)?;
    let provenance = Provenance::from_env("fit-kinetics", Some(job.settings.seed));
    finish(
        &job,
        &problems,
        &results,
        &provenance,
        (&args.output, args.predict.as_deref()),
        Outputs::default(),
        started,
    )
}

/// Writes the result document (and the predictions) with the run's other staged outputs,
/// all together: the same for a whole run and for the merge of its shards.
fn finish(
    job: &Job,
    problems: &[Problem],
    results: &[Vec<StartResult>],
    provenance: &Provenance,
    (output, predict): (&Path, Option<&Path>),
    mut written: Outputs,
    started: Instant,
) -> Result<()> {
    let (mut body, warnings, best, theta) = fit_document(job, problems, results)?;
    for w in &warnings {
        warn(w);
    }
    body["wall_seconds"] = serde_json::json!(started.elapsed().as_secs_f64());
    let doc = provenance.document(&problems[best].model().name, body);
    written.json(output, &doc)?;
    if let Some(path) = predict {
        let mut table = problems[best]
            .prediction_table(&theta)
            .context("predictions of the best fit")?;
        table.set_metadata(provenance.table_metadata(&problems[best].model().source_json()));
        written.table(path, &table)?;
    }
    Ok(written.commit()?)
}
