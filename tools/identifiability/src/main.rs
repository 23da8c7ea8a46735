//! `identifiability`: which parameters of a model can the data determine,
//! before any data exist (structural) and at a fit (Fisher information).

mod fim;
mod profile;
mod source;
mod structural;

use std::process::ExitCode;

use clap::{Parser, Subcommand};

const EXAMPLE: &str = "\
Examples:
  # Lotka–Volterra with only the prey measured: b is not identifiable, b·x2(0) is
  identifiability structural testdata/identifiability/lotka-volterra.json -o lv.json

  # The same with the predator's initial value known: now everything is
  identifiability structural testdata/identifiability/lotka-volterra.json -o lv.json \\
      --known-initial x2

  # The Fisher information of Michaelis–Menten data at fitted values
  identifiability fim testdata/mm-reduced.json --data mm.csv --fit fit.json -o fim.json

  # Profile likelihoods of every estimated parameter, one per Slurm array task, then merged
  identifiability profile model.json --data mm.csv -o p-$SLURM_ARRAY_TASK_ID.parquet \
      --report r-$SLURM_ARRAY_TASK_ID.json
  identifiability merge p-*.parquet -o profiles.parquet --report profiles.json";

/// Which parameters of a model can the data determine? `structural` answers
/// before any data exist, exactly; `fim` at a fit, from the Fisher information;
/// `profile` from profile likelihoods (`merge` joins sharded profiles).
#[derive(Debug, Parser)]
#[command(name = "identifiability", version, after_help = EXAMPLE)]
struct Args {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    Structural(structural::Args),
    Fim(fim::Args),
    Profile(profile::Args),
    Merge(profile::MergeArgs),
}

fn main() -> ExitCode {
    piml_cli::main_parsed(
        piml_cli::errors![
            piml_identify::Error,
            piml_fit::Error,
            piml_ode::Error,
            piml_model::Error,
            piml_petab::Error
        ],
        |args: Args| match args.command {
            Command::Structural(args) => structural::run(args),
            Command::Fim(args) => fim::run(args),
            Command::Profile(args) => profile::run(args),
            Command::Merge(args) => profile::merge(args),
        },
    )
}
