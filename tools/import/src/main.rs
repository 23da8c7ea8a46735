//! `import`: the field's model files as piml models. `import sbml MODEL.xml -o model.json`
//! writes piml's model file for an SBML model.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::{Context, Result};
use clap::{Parser, Subcommand};
use piml_cli::warn;
use piml_io::Outputs;
use piml_model::Model;

const EXAMPLE: &str = "\
Examples:
  # An SBML model (Level 2 Version 4 or Level 3) as a piml model, then simulated
  import sbml testdata/petab/benchmark/Boehm_JProteomeRes2014/model_Boehm_JProteomeRes2014.xml \\
      -o boehm.json
  simulate boehm.json -o boehm.parquet --t-end 240";

/// Bring models written for other tools to piml: SBML files become piml model files, with
/// every construct piml cannot simulate the same way refused by name.
#[derive(Debug, Parser)]
#[command(name = "import", version, after_help = EXAMPLE)]
struct Args {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// An SBML model (Level 2 Versions 3–4, Level 3 Versions 1–2, core) as a piml model file
    Sbml {
        /// The SBML file
        model: PathBuf,
        /// The piml model file (JSON)
        #[arg(short, long, value_name = "FILE")]
        output: PathBuf,
    },
}

fn main() -> ExitCode {
    piml_cli::main_parsed(
        piml_cli::errors![piml_sbml::Error, piml_model::Error],
        |args: Args| match args.command {
            Command::Sbml { model, output } => sbml(&model, &output),
        },
    )
}

fn sbml(input: &Path, output: &Path) -> Result<()> {
    piml_cli::check_outputs(&[output], &[input])?;
    let text = std::fs::read_to_string(input)
        .with_context(|| format!("{}: cannot read", input.display()))?;
    let file = input.display().to_string();
    let lowered = piml_sbml::import(&text, &file)?;
    for (id, name) in &lowered.renamed {
        warn(format_args!(
            "{file}: '{id}' is a name piml reserves; the model calls it '{name}'"
        ));
    }
    // What was written must read back as a model: checked before it replaces anything.
    Model::from_json_str(&lowered.document.to_string(), &file)
        .context("the imported model does not read back (a bug in the importer)")?;
    let mut written = Outputs::default();
    written.json(output, &lowered.document)?;
    Ok(written.commit()?)
}
