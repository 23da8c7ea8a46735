//! `plot`: PNG and SVG pictures of the tables piml's tools write.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::{Result, anyhow};
use clap::{Parser, ValueEnum};
use piml_cli::parse_times;
use piml_io::{atomic_write, read_table};
use piml_plot::{Format, Inputs, Kind, Options, render};

const EXAMPLE: &str = "\
Examples:
  # Michaelis–Menten time course, noisy data as points, a fit's prediction dashed
  plot trajectories mm.parquet fit-prediction.parquet --data data.parquet -o mm.png

  # Scratch-assay profiles over x at the measured times: data as points, two fits dashed
  plot profiles mol.parquet pinn.parquet --data assay.csv -o profiles.png --time 0,12,24,36,48

  # Fisher–KPP front as an x–t heatmap
  plot kymograph fisher.parquet -o fisher.svg --species u

  # Gray–Scott Turing pattern at three times, one panel each
  plot field gray-scott.parquet -o gs.png --species v --time 0,1000,5000

  # PINN training history, residual map; operator prediction against the truth
  plot history history.parquet -o history.png
  plot residuals residuals.parquet -o residuals.png
  plot operator predicted.parquet test.parquet -o operator.png --samples 3";

/// Draw a picture of piml tables: trajectories and 1-D profiles with data and fits, kymographs,
/// 2-D fields, training histories, PINN residuals, operator predictions, profile
/// likelihoods and multistart waterfalls.
#[derive(Debug, Parser)]
#[command(name = "plot", version, after_help = EXAMPLE, allow_negative_numbers = true)]
struct Args {
    /// What to draw
    #[arg(value_enum)]
    kind: KindArg,
    /// Input tables (Parquet or CSV): operator takes PREDICTED TRUTH, trajectories and
    /// profiles one or more (the first solid, further ones dashed), waterfall one or the start
    /// tables of a run's shards, the other kinds one
    #[arg(required = true, value_name = "TABLE")]
    inputs: Vec<PathBuf>,
    /// Output picture: .png or .svg (- with --format writes to stdout)
    #[arg(short, long, value_name = "FILE")]
    output: PathBuf,
    /// Picture format [default: from the output's extension]
    #[arg(long, value_enum)]
    format: Option<FormatArg>,
    /// Measurements drawn as points over trajectories or profiles
    #[arg(long, value_name = "TABLE")]
    data: Option<PathBuf>,
    /// Title [default: the model's name and the kind]
    #[arg(long)]
    title: Option<String>,
    /// Width in pixels
    #[arg(long, default_value_t = Options::default().width)]
    width: u32,
    /// Height in pixels
    #[arg(long, default_value_t = Options::default().height)]
    height: u32,
    /// Columns to draw: species or observables; the parameters of history and
    /// profile; the species of a residual (repeatable or comma list)
    #[arg(long, value_name = "NAME", value_delimiter = ',')]
    species: Vec<String>,
    /// Logarithmic value axis (trajectories, operator, waterfall, history parameters)
    #[arg(long)]
    log_y: bool,
    /// Times of the panels of a 2-D field or of the profiles: a comma list or
    /// start:stop:step, each the table's nearest [default: four (profiles: six) spread over
    /// the table's times]
    #[arg(long, value_name = "LIST", value_parser = parse_times_arg, allow_hyphen_values = true)]
    time: Option<Times>,
    /// Ensemble members an operator picture overlays
    #[arg(long, value_name = "N", default_value_t = Options::default().samples, value_parser = piml_cli::count::<usize>)]
    samples: usize,
}

/// A list of times as one flag value (clap would take a `Vec` for repeated flags).
#[derive(Debug, Clone)]
struct Times(Vec<f64>);

fn parse_times_arg(s: &str) -> Result<Times, String> {
    parse_times(s).map(Times)
}

#[derive(Debug, Clone, Copy, ValueEnum)]
enum KindArg {
    Trajectories,
    Profiles,
    Kymograph,
    Field,
    History,
    Residuals,
    Operator,
    Profile,
    Waterfall,
}

#[derive(Debug, Clone, Copy, ValueEnum)]
enum FormatArg {
    Png,
    Svg,
}

fn run(args: Args) -> Result<()> {
    let format = match args.format {
        Some(FormatArg::Png) => Format::Png,
        Some(FormatArg::Svg) => Format::Svg,
        None => Format::from_path(&args.output).ok_or_else(|| {
            anyhow!(
                "{}: cannot tell the picture's format: name it .png or .svg, or give --format",
                args.output.display()
            )
        })?,
    };
    let inputs: Vec<&Path> = args
        .inputs
        .iter()
        .chain(&args.data)
        .map(PathBuf::as_path)
        .collect();
    piml_cli::check_outputs(&[&args.output], &inputs)?;
    let tables = args
        .inputs
        .iter()
        .map(|p| read_table(p))
        .collect::<Result<Vec<_>, _>>()?;
    let data = args.data.as_deref().map(read_table).transpose()?;
    let kind = match args.kind {
        KindArg::Trajectories => Kind::Trajectories,
        KindArg::Profiles => Kind::Profiles,
        KindArg::Kymograph => Kind::Kymograph,
        KindArg::Field => Kind::Field,
        KindArg::History => Kind::History,
        KindArg::Residuals => Kind::Residuals,
        KindArg::Operator => Kind::Operator,
        KindArg::Profile => Kind::Profile,
        KindArg::Waterfall => Kind::Waterfall,
    };
    let options = Options {
        title: args.title,
        width: args.width,
        height: args.height,
        species: args.species,
        log_y: args.log_y,
        times: args.time.map(|t| t.0).unwrap_or_default(),
        samples: args.samples,
    };
    let inputs = Inputs {
        tables: &tables,
        data: data.as_ref(),
    };
    let bytes = render(kind, inputs, &options, format)?;
    atomic_write(&args.output, |out| std::io::Write::write_all(out, &bytes))?;
    Ok(())
}

fn main() -> ExitCode {
    piml_cli::main_parsed(piml_cli::errors![piml_plot::Error], run)
}
