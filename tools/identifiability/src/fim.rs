//! `identifiability fim`: the Fisher information at a fit.

use std::path::PathBuf;

use anyhow::{Context, Result};
use clap::ValueEnum;
use piml_cli::warn;
use piml_fit::InitialFrom;
use piml_identify::{fim_report, fisher_information, problem_on_grid};
use piml_io::{Provenance, write_json};
use piml_ode::{Method, OdeSolver};

use crate::source::{self, Measurements, Source};

const EXAMPLE: &str = "\
Examples:
  # Information of the Michaelis–Menten data at the fitted values
  identifiability fim testdata/mm-reduced.json --data mm.csv --fit fit.json -o fim.json

The parameters are those marked \"estimate\" (every parameter when none is); their values come
from --fit (fit-kinetics' fit.json), else from the model. The likelihood is fit-kinetics':
gaussian, proportional, lognormal or log10normal noise; sigma from a sigma_<name> column, else the model's
noise sigma (a number or a parameter), else estimated per observable (a nuisance). Eigenvalues below 1e-10 of the largest are null directions
(not identifiable from these data), below 1e-6 sloppy.";

/// Eigenvalues and eigenvectors of the Fisher information of the estimated parameters at a fit
/// (stiff, sloppy and null directions), Cramér–Rao standard errors, Wald intervals and
/// correlations, from forward sensitivities of the kinetic equations (or of a reaction–diffusion
/// model by the method of lines, --grid) at the data's times.
#[derive(Debug, clap::Args)]
#[command(after_help = EXAMPLE, allow_negative_numbers = true)]
pub(crate) struct Args {
    /// Model file (JSON; - reads it from stdin), or a PEtab problem (YAML) with its measurements
    model: PathBuf,
    /// Measurements (Parquet or CSV): t, optional condition, observable columns, optional
    /// sigma_<name> (required with a model file)
    #[arg(long, value_name = "FILE")]
    data: Option<PathBuf>,
    /// Fit document with "parameters": {"<name>": {"estimate": …}} [default: the model's values]
    #[arg(long, value_name = "FILE")]
    fit: Option<PathBuf>,
    /// Report (JSON); - writes it to stdout
    #[arg(short, long, value_name = "FILE")]
    output: PathBuf,
    #[command(flatten)]
    integration: Integration,
    #[command(flatten)]
    common: piml_cli::CommonArgs,
}

/// How the likelihood is computed: the rows, the integrator, and for a reaction–diffusion
/// model the method-of-lines grid and initial fields (shared by `fim` and `profile`; the same
/// flags and meanings as fit-kinetics').
#[derive(Debug, clap::Args)]
pub(crate) struct Integration {
    /// Only the data rows of this condition, under the model's settings for it
    #[arg(long, value_name = "NAME")]
    condition: Option<String>,
    /// Cells per axis of the method-of-lines grid of a reaction–diffusion model (required for
    /// one); each data row is matched to the cell whose centre is nearest its x (and y)
    #[arg(long, value_name = "NX[,NY]", value_delimiter = ',')]
    grid: Vec<usize>,
    /// Initial fields of a reaction–diffusion model (data: estimated through the rows at the
    /// start of the span; interpolated: those rows taken as exact)
    #[arg(long, value_enum, value_name = "FROM", default_value_t = InitialFrom::Model)]
    initial_from: InitialFrom,
    /// Integrator of the sensitivities
    #[arg(long, value_enum, default_value_t = MethodArg::Auto)]
    method: MethodArg,
    /// Relative tolerance (tight: null directions are told from small eigenvalues)
    #[arg(long, default_value = "1e-10")]
    rtol: f64,
    /// Absolute tolerance
    #[arg(long, default_value = "1e-12")]
    atol: f64,
}

/// The solver the integration flags ask for.
fn solver(integration: &Integration) -> Result<OdeSolver> {
    let method = match integration.method {
        MethodArg::Auto => Method::Auto,
        MethodArg::Explicit => Method::Explicit,
        MethodArg::Stiff => Method::Bdf,
    };
    OdeSolver::new(method)
        .rtol(integration.rtol)
        .atol(integration.atol)
        .build()
        .context("solver options")
}

/// The likelihood of the measurements (shared by `fim` and `profile`).
pub(crate) fn load_problem(
    model: &piml_model::Model,
    data: Option<Measurements>,
    integration: &Integration,
) -> Result<piml_fit::Problem> {
    let Measurements { mut table, name } = data.expect("read by source::start");
    let mut model = model.clone();
    if let Some(name) = &integration.condition {
        table = table.rows_of_condition(name)?;
        if let Some(c) = model.condition(name) {
            model = model.under_condition(c);
        }
    }
    piml_cli::check_fit_grid(&integration.grid, &model)?;
    let grid = (!integration.grid.is_empty()).then_some(&integration.grid[..]);
    let problem = problem_on_grid(
        &model,
        &table,
        &name,
        solver(integration)?,
        grid,
        integration.initial_from,
    )?;
    if !problem.data().ignored.is_empty() {
        warn(format_args!(
            "{name}: ignoring columns {}",
            problem.data().ignored.join(", ")
        ));
    }
    Ok(problem)
}

#[derive(Debug, Clone, Copy, PartialEq, ValueEnum)]
enum MethodArg {
    Auto,
    Explicit,
    Stiff,
}

pub(crate) fn run(args: Args) -> Result<()> {
    let Source { model, data } = source::at_fit(
        &args.common,
        &args.model,
        args.data.as_deref(),
        args.fit.as_deref(),
        &[args.output.as_path()],
    )?;
    let problem = load_problem(&model, data, &args.integration)?;
    let fisher = fisher_information(&problem)?;
    let provenance = Provenance::from_env("identifiability", None);
    write_json(
        &args.output,
        &provenance.document(&model.name, fim_report(&fisher)),
    )?;
    Ok(())
}
