//! `identifiability structural`: exact local structural identifiability.

use std::path::PathBuf;

use anyhow::Result;
use piml_identify::{Question, System, structural, structural_report};
use piml_io::{Provenance, write_json};

use crate::source;

const EXAMPLE: &str = "\
Examples:
  # Two-compartment model seen through its central compartment
  identifiability structural testdata/identifiability/two-compartment.json -o report.json

  # Only the observable S, with the product's initial value known (at the model's value)
  identifiability structural model.json --outputs S --known-initial P -o report.json

Unknowns are the parameters marked \"estimate\" (every parameter when none is marked) and
the initial values written as numbers, unless --known-initial names the species. An initial
value written with parameters follows them: estimated parameters make it unknown, known ones
make it known. The verdict is local and holds at generic values of the unknowns.";

/// Local structural identifiability of every unknown parameter and initial value from the
/// outputs, by the exact rank test of Sedoglavic (2002) over a prime field: the verdicts, the
/// identifiable products and sums of the unknowns that are not identifiable, and a bound on
/// the probability that the random point misled the test.
#[derive(Debug, clap::Args)]
#[command(after_help = EXAMPLE, allow_negative_numbers = true)]
pub(crate) struct Args {
    /// Model file (JSON; - reads it from stdin), or a PEtab problem (YAML): its observables
    model: PathBuf,
    /// Report (JSON); - writes it to stdout
    #[arg(short, long, value_name = "FILE")]
    output: PathBuf,
    /// Measured observables or species [default: every observable of the model]
    #[arg(long, value_name = "NAME,…", value_delimiter = ',')]
    outputs: Vec<String>,
    /// Species whose initial values are known, at the model's value (`all` for every species)
    #[arg(long, value_name = "NAME,…", value_delimiter = ',')]
    known_initial: Vec<String>,
    #[command(flatten)]
    common: piml_cli::CommonArgs,
}

pub(crate) fn run(args: Args) -> Result<()> {
    let model = source::start(
        &args.common,
        &args.model,
        None,
        false,
        &[],
        &[args.output.as_path()],
    )?
    .model;
    let question = Question {
        outputs: args.outputs,
        known_initial: args.known_initial,
    };
    let system = System::new(&model, &question)?;
    let result = structural(&system, args.common.seed)?;
    let provenance = Provenance::from_env("identifiability", Some(args.common.seed));
    let report = provenance.document(&model.name, structural_report(&system, &result));
    write_json(&args.output, &report)?;
    Ok(())
}
