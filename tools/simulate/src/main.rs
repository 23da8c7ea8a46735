//! `simulate`: trajectories of a model, exact or as noisy, sparse synthetic data.

mod inputs;
mod petab;

use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Instant;

use anyhow::{Context, Result, bail};
use clap::{Parser, ValueEnum};
use piml_cli::{CommonArgs, Progress, parse_times, warn};
use piml_io::{Outputs, Provenance};
use piml_model::Model;
use piml_ode::{Method, OdeSolver, Stats};
use piml_sim::{NoiseChoice, NoiseSpec, Plan, Sparse, Vary, latin_hypercube};
use rand::SeedableRng;

use crate::inputs::{
    algebraic_inputs, check_flags_fit, grid_cells, output_times, select_conditions,
    spatial_settings,
};

const EXAMPLE: &str = "\
Examples:
  # Michaelis–Menten substrate depletion, 2% proportional noise, 8 of 41 times kept
  simulate testdata/mm-reduced.json -o mm.parquet --times 0:20:0.5 \\
      --noise proportional:0.02 --keep 8 --seed 1

  # Robertson's stiff kinetics to t = 1e11 at tight tolerances
  simulate testdata/robertson.json -o rob.parquet --times 0,1,1e3,1e11 \\
      --method stiff --rtol 1e-10 --atol 1e-14

  # 64 parameter draws over a Latin hypercube, the 2nd of 4 shards (as in a Slurm array)
  simulate testdata/lotka-volterra.json -o lv-1.parquet --samples 64 \\
      --vary alpha=0.5:2:log --shard 1/4";

/// Simulate a model: kinetic ODEs (stiff or not) or an algebraic model, exact
/// or with measurement noise and sparse sampling, for one parameter set or an
/// ensemble of parameter draws.
#[derive(Debug, Parser)]
#[command(name = "simulate", version, after_help = EXAMPLE, allow_negative_numbers = true,
    group(clap::ArgGroup::new("ensemble").multiple(true).args(["vary", "random_initial"])))]
pub(crate) struct Args {
    /// Model file (JSON), or a PEtab problem (YAML: its simulations at the nominal
    /// parameters, one row per measurement); - reads a model from stdin
    model: PathBuf,
    /// Output table: .parquet, or .csv; - writes Parquet to stdout
    #[arg(short, long, value_name = "FILE")]
    output: PathBuf,
    /// End time: 101 evenly spaced output times from the start of the model's span
    #[arg(long, value_name = "T", conflicts_with_all = ["times", "times_file"])]
    t_end: Option<f64>,
    /// Output times: a comma list (0,0.5,2) or a range start:stop:step
    #[arg(long, value_name = "LIST", value_parser = parse_times_arg, conflicts_with = "times_file", allow_hyphen_values = true)]
    times: Option<Times>,
    /// Output times from the `t` column of a table (Parquet or CSV)
    #[arg(long, value_name = "FILE")]
    times_file: Option<PathBuf>,
    /// Integrator: explicit Runge–Kutta, stiff BDF, or automatic switching
    #[arg(long, value_enum, default_value_t = MethodArg::Auto)]
    method: MethodArg,
    /// Relative tolerance of the integrator
    #[arg(long, default_value = "1e-6")]
    rtol: f64,
    /// Absolute tolerance of the integrator
    #[arg(long, default_value = "1e-9")]
    atol: f64,
    /// Experiment: a condition of the model, or `all` for every one
    #[arg(long, value_name = "NAME|all")]
    condition: Option<String>,
    /// Noise on the observables: gaussian:SIGMA, proportional:CV, lognormal:SIGMA,
    /// log10normal:SIGMA, or `model`
    #[arg(long, value_name = "KIND:SIGMA|model")]
    noise: Option<String>,
    /// Keep K random output times per observable and condition (sparse sampling)
    #[arg(long, value_name = "K", value_parser = piml_cli::count::<usize>)]
    keep: Option<usize>,
    /// Ensemble size: parameter draws over a Latin hypercube of the --vary ranges, and/or
    /// random initial fields (--random-initial)
    #[arg(long, value_name = "N", requires = "ensemble", value_parser = piml_cli::count::<usize>)]
    samples: Option<usize>,
    /// A parameter range for the ensemble (repeatable)
    #[arg(
        long,
        value_name = "NAME=LO:HI[:log]",
        requires = "samples",
        group = "ensemble"
    )]
    vary: Vec<Vary>,
    /// Input values of an algebraic model: NAME=LIST or NAME=START:STOP:STEP (repeatable; all combinations)
    #[arg(long = "input", value_name = "NAME=VALUES")]
    input: Vec<String>,
    /// Input columns of an algebraic model from a table (Parquet or CSV)
    #[arg(long, value_name = "FILE", conflicts_with = "input")]
    inputs_file: Option<PathBuf>,
    /// Cells per axis of a reaction–diffusion model's grid [default: 128 per axis]
    #[arg(long, value_name = "NX[,NY]", value_delimiter = ',')]
    grid: Vec<usize>,
    /// Time step of the spectral method (ETDRK4), which has no error control
    #[arg(long, value_name = "DT")]
    dt: Option<f64>,
    /// Add a random field to each species' initial field, a new one per ensemble member:
    /// gaussian:LENGTH[:AMP] (squared-exponential covariance) or modes:LENGTH[:AMP] (4 Fourier modes)
    #[arg(long, value_name = "KIND:LENGTH[:AMP]")]
    random_initial: Option<piml_pde::RandomField>,
    /// Add seeded uniform noise in [-AMP, AMP] to the initial fields (clipped at 0)
    #[arg(long, value_name = "AMP")]
    perturb: Option<f64>,
    /// Write every S-th cell along each axis
    #[arg(long, value_name = "S", default_value_t = 1, value_parser = piml_cli::count::<usize>)]
    stride: usize,
    /// Keep N random (cell, time) points: sparse measurements of a reaction–diffusion model
    #[arg(long, value_name = "N", value_parser = piml_cli::count::<usize>)]
    measure: Option<usize>,
    /// Write solver statistics and timings to this JSON file
    #[arg(long, value_name = "FILE")]
    report: Option<PathBuf>,
    #[command(flatten)]
    common: CommonArgs,
}

#[derive(Debug, Clone)]
struct Times(Vec<f64>);

fn parse_times_arg(s: &str) -> Result<Times, String> {
    parse_times(s).map(Times)
}

#[derive(Debug, Clone, Copy, PartialEq, ValueEnum)]
pub(crate) enum MethodArg {
    Auto,
    Explicit,
    Stiff,
    /// ETDRK4 on FFTs: periodic reaction–diffusion models with constant diffusion (needs --dt)
    Spectral,
}

fn main() -> ExitCode {
    piml_cli::main_parsed(
        piml_cli::errors![
            piml_sim::Error,
            piml_pde::Error,
            piml_ode::Error,
            piml_model::Error,
            piml_petab::Error
        ],
        run,
    )
}

fn run(args: Args) -> Result<()> {
    if piml_petab::is_problem_file(&args.model) {
        return petab::run(&args);
    }
    let outputs: Vec<&Path> = std::iter::once(&args.output)
        .chain(&args.report)
        .map(PathBuf::as_path)
        .collect();
    let inputs: Vec<&Path> = args
        .times_file
        .iter()
        .chain(&args.inputs_file)
        .map(PathBuf::as_path)
        .collect();
    let model = args.common.start(&args.model, &inputs, &outputs)?;
    for issue in piml_model::check_units(&model) {
        warn(format_args!("{}: units: {issue}", args.model.display()));
    }
    check_flags_fit(&args, &model)?;
    let conditions = select_conditions(&model, args.condition.as_deref())?;
    let t0 = model
        .time
        .as_ref()
        .and_then(|t| t.span)
        .map_or(0.0, |s| s[0]);
    let times = if model.is_algebraic() {
        Vec::new()
    } else {
        output_times(&args, &model, t0)?
    };
    let inputs = if model.is_algebraic() {
        algebraic_inputs(&args, &model)?
    } else {
        Vec::new()
    };
    let noise = match args.noise.as_deref() {
        None => NoiseChoice::Exact,
        Some("model") => NoiseChoice::Model,
        Some(s) => NoiseChoice::Fixed(
            s.parse::<NoiseSpec>()
                .map_err(anyhow::Error::msg)
                .context("--noise")?,
        ),
    };
    check_size(
        &args,
        &model,
        times.len().max(inputs.len()),
        conditions.len(),
    )?;
    let draws = match args.samples {
        None => Vec::new(),
        Some(0) => bail!("--samples: expected at least 1"),
        Some(n) => latin_hypercube(
            &args.vary,
            n,
            &mut rand_chacha::ChaCha8Rng::seed_from_u64(args.common.seed),
        ),
    };
    let method = match args.method {
        MethodArg::Auto | MethodArg::Spectral => Method::Auto,
        MethodArg::Explicit => Method::Explicit,
        MethodArg::Stiff => Method::Bdf,
    };
    let solver = OdeSolver::new(method)
        .rtol(args.rtol)
        .atol(args.atol)
        .build()
        .context("solver options")?;
    let spatial = if model.is_spatial() {
        Some(spatial_settings(&args, &model)?)
    } else {
        None
    };
    let plan = Plan {
        model: &model,
        conditions,
        times,
        inputs,
        varied: args.vary.iter().map(|v| v.name.clone()).collect(),
        draws,
        noise,
        sparse: args.keep.map(|keep| Sparse { keep }),
        solver,
        spatial,
        seed: args.common.seed,
    };

    let members = args.common.shard()?.range(plan.n_members());
    let progress = Progress::new(
        members.len() as u64,
        "simulate",
        args.common.quiet || members.len() < 2,
    );
    let started = Instant::now();
    let outcome = plan.run(members.clone(), &|| progress.inc())?;
    let seconds = started.elapsed().as_secs_f64();
    progress.finish();

    let provenance = Provenance::from_env("simulate", Some(args.common.seed));
    let mut table = outcome.table;
    table.set_metadata(provenance.table_metadata(&model.source_json()));
    let mut written = Outputs::default();
    written.table(&args.output, &table)?;

    if let Some(path) = &args.report {
        // Work summed over members and conditions.
        let total = |count: fn(&Stats) -> usize| outcome.stats.iter().map(count).sum::<usize>();
        let report = serde_json::json!({
            "members": members.len(),
            "conditions": plan.conditions.len(),
            "rows": table.n_rows(),
            "solve_seconds": seconds,
            "solver": {
                "method": format!("{:?}", args.method).to_lowercase(),
                "rtol": args.rtol,
                "atol": args.atol,
                "steps": total(|s| s.steps),
                "rejected_steps": total(|s| s.rejected_steps),
                "rhs_evaluations": total(|s| s.rhs_evals),
                "jacobian_evaluations": total(|s| s.jacobian_evals),
                "lu_factorisations": total(|s| s.lu_decompositions),
                "linear_iterations": total(|s| s.linear_iterations),
            },
        });
        written.json(path, &provenance.document(&model.name, report))?;
    }
    Ok(written.commit()?)
}

/// Refuses, before anything is allocated, a run whose table or solver state would not fit in
/// memory: the members' rows (every column an f64) and, for a reaction–diffusion model, the
/// state and the solver's work arrays (a generous 32 vectors of the state).
fn check_size(args: &Args, model: &Model, points: usize, conditions: usize) -> Result<()> {
    let species = model.species.len() as f64;
    let rows_per_member = if model.is_spatial() {
        let cells = grid_cells(args, model);
        piml_cli::check_grid(&cells, model.species.len(), 32.0)?;
        let written: f64 = cells
            .iter()
            .map(|&n| n.div_ceil(args.stride) as f64)
            .product();
        args.measure.map_or(written * points as f64, |m| m as f64)
    } else {
        points as f64 * species
    };
    let Some(samples) = args.samples else {
        return Ok(());
    };
    let columns = (model.space.len() + 4) as f64 + species;
    let table = samples as f64 * conditions as f64 * rows_per_member * columns * 8.0;
    let draws = samples as f64 * args.vary.len() as f64 * 8.0;
    piml_cli::check_memory(&format!("--samples {samples}"), table + draws)
}
