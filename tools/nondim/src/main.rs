//! `nondim`: a model in characteristic scales, its π groups, and a report
//! of term sizes, stiffness and Turing instability.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::{Context, Result};
use clap::{Parser, Subcommand};
use piml_cli::{CommonArgs, warn};
use piml_io::{META_MODEL, Outputs, Provenance, read_table, write_table};
use piml_model::{Expr, Model};

const EXAMPLE: &str = "\
Examples:
  # Fisher–KPP in µm, h and cells/µm² becomes u_t = u_xx + u(1 - u)
  nondim testdata/nondim/fisher-kpp-cells.json -o fisher.nd.json \\
      --scale t=1/r --scale 'x=sqrt(D/r)' --scale u=K --report fisher.report.json

  # Groups, steady states, Turing conditions and dispersion relation
  nondim testdata/schnakenberg-1d.json -o schnak.nd.json --report schnak.report.json

  # Simulate the dimensionless model, then convert the table back
  simulate fisher.nd.json -o nd.parquet --t-end 2.4
  nondim restore nd.parquet -o dimensional.parquet";

/// Rescale a model by characteristic scales: the dimension matrix, the
/// Buckingham-π groups, the dimensionless model (with the scales that convert
/// its results back), and a report of term magnitudes, stiffness and, for
/// reaction–diffusion models, Turing instability.
#[derive(Debug, Parser)]
#[command(
    name = "nondim",
    version,
    after_help = EXAMPLE,
    args_conflicts_with_subcommands = true,
    subcommand_negates_reqs = true,
    allow_negative_numbers = true
)]
struct Args {
    #[command(subcommand)]
    command: Option<Command>,
    /// Model file (JSON); - reads it from stdin
    #[arg(required = true)]
    model: Option<PathBuf>,
    /// The dimensionless model (JSON)
    #[arg(short, long, value_name = "FILE", required = true)]
    output: Option<PathBuf>,
    /// A characteristic scale, an expression of parameters and domain lengths
    /// (L_x, L_y): t, x (every space axis) or a species (repeatable)
    #[arg(long = "scale", value_name = "NAME=EXPR", value_parser = piml_nondim::parse_scale)]
    scales: Vec<(String, Expr)>,
    /// Write the report (groups, scales, term magnitudes, stiffness, Turing) to this JSON file
    #[arg(long, value_name = "FILE")]
    report: Option<PathBuf>,
    #[command(flatten)]
    common: CommonArgs,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Convert a table of a dimensionless model (simulate output) back to dimensional units
    Restore {
        /// Table (Parquet or CSV) written from a model made by nondim
        table: PathBuf,
        /// Output table: .parquet or .csv; - writes Parquet to stdout
        #[arg(short, long, value_name = "FILE")]
        output: PathBuf,
        /// The dimensionless model [default: the table's piml.model metadata]
        #[arg(long, value_name = "FILE")]
        model: Option<PathBuf>,
    },
}

fn main() -> ExitCode {
    piml_cli::main_parsed(
        piml_cli::errors![piml_nondim::Error, piml_model::Error],
        |args: Args| match args.command {
            Some(Command::Restore {
                table,
                output,
                model,
            }) => restore(&table, &output, model.as_deref()),
            None => run(args),
        },
    )
}

fn run(args: Args) -> Result<()> {
    let (Some(model_path), Some(output)) = (&args.model, &args.output) else {
        anyhow::bail!("expected a model file and -o OUTPUT");
    };
    let outputs: Vec<&Path> = std::iter::once(output.as_path())
        .chain(args.report.as_deref())
        .collect();
    let model = args.common.start(model_path, &[], &outputs)?;
    let analysis = piml_nondim::analyse(&model, &args.scales)
        .with_context(|| model_path.display().to_string())?;
    for note in &analysis.rewritten.notes {
        warn(format_args!("{}: {note}", model_path.display()));
    }
    // Everything is computed before anything is written.
    let report = match &args.report {
        Some(_) => Some(piml_nondim::report(&model, &analysis)?),
        None => None,
    };
    let mut written = Outputs::default();
    written.json(output, &analysis.rewritten.document)?;
    if let (Some(path), Some(body)) = (&args.report, report) {
        let provenance = Provenance::from_env("nondim", None);
        written.json(path, &provenance.document(&model.name, body))?;
    }
    Ok(written.commit()?)
}

fn restore(table_path: &Path, output: &Path, model_path: Option<&Path>) -> Result<()> {
    let inputs: Vec<&Path> = std::iter::once(table_path).chain(model_path).collect();
    piml_cli::check_outputs(&[output], &inputs)?;
    let table = read_table(table_path)?;
    let model = match model_path {
        Some(p) => Model::from_file(p)?,
        None => {
            let text = table.metadata().get(META_MODEL).with_context(|| {
                format!(
                    "{}: no piml.model metadata; give the dimensionless model with --model",
                    table_path.display()
                )
            })?;
            Model::from_json_str(text, &format!("{} (piml.model)", table_path.display()))?
        }
    };
    let (mut restored, dimensional) = piml_nondim::restore(&table, &model)?;
    let source = dimensional.map_or_else(|| model.source_json(), |d| d.to_string());
    restored.set_metadata(Provenance::from_env("nondim", None).table_metadata(&source));
    write_table(output, &restored)?;
    Ok(())
}
