//! `identifiability`: which parameters of a model can the data determine,
//! before any data exist (structural) and at a fit (Fisher information).

mod structural;

use std::process::ExitCode;

use clap::{Parser, Subcommand};
use piml_cli::main_with;

const EXAMPLE: &str = "\
Examples:
  # Lotka–Volterra with only the prey measured: b is not identifiable, b·x2(0) is
  identifiability structural testdata/identifiability/lotka-volterra.json -o lv.json

  # The same with the predator's initial value known: now everything is
  identifiability structural testdata/identifiability/lotka-volterra.json -o lv.json \\
      --known-initial x2";

/// Which parameters of a model can the data determine? `structural` answers
/// before any data exist, exactly; `fim` at a fit, from the Fisher information.
#[derive(Debug, Parser)]
#[command(name = "identifiability", version, after_help = EXAMPLE)]
struct Args {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    Structural(structural::Args),
}

fn main() -> ExitCode {
    main_with(|| match Args::parse().command {
        Command::Structural(args) => structural::run(args),
    })
}
