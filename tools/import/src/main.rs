//! `import`: the field's model files as piml models. `import sbml MODEL.xml -o model.json`
//! writes piml's model file for an SBML model; `import petab PROBLEM.yaml -o DIR` writes a
//! PEtab problem as piml's model file and measurement table (`DIR/model.json`,
//! `DIR/data.parquet`).

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::{Context, Result};
use clap::{Parser, Subcommand};
use piml_cli::warn;
use piml_io::{Outputs, Provenance};
use piml_model::Model;

const EXAMPLE: &str = "\
Examples:
  # An SBML model (Level 2 Version 4 or Level 3) as a piml model, then simulated
  import sbml testdata/petab/benchmark/Boehm_JProteomeRes2014/model_Boehm_JProteomeRes2014.xml \\
      -o boehm.json
  simulate boehm.json -o boehm.parquet --t-end 240

  # A PEtab problem as piml's model file and data table, evaluated as the problem says
  import petab testdata/petab/benchmark/Boehm_JProteomeRes2014/Boehm_JProteomeRes2014.yaml \
      -o boehm/
  fit-kinetics boehm/model.json --data boehm/data.parquet --evaluate -o boehm/evaluate.json";

/// Bring models written for other tools to piml: SBML files become piml model files, PEtab
/// problems piml model files and data tables, with every construct piml cannot simulate or
/// score the same way refused by name.
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
    /// A PEtab v1 problem as a piml model file (the SBML model with the parameter table's
    /// values, bounds and estimates, the observables and their noise, the conditions) and its
    /// measurements as a piml table, which give the problem's log-likelihood number for number
    Petab {
        /// The PEtab problem's YAML file
        problem: PathBuf,
        /// The folder to write model.json and data.parquet in (made if missing)
        #[arg(short, long, value_name = "DIR")]
        output: PathBuf,
    },
}

fn main() -> ExitCode {
    piml_cli::main_parsed(
        piml_cli::errors![piml_sbml::Error, piml_model::Error, piml_petab::Error],
        |args: Args| match args.command {
            Command::Sbml { model, output } => sbml(&model, &output),
            Command::Petab { problem, output } => petab(&problem, &output),
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

fn petab(input: &Path, folder: &Path) -> Result<()> {
    let (model_file, data_file) = (folder.join("model.json"), folder.join("data.parquet"));
    if folder.is_dir() {
        piml_cli::check_outputs(&[&model_file, &data_file], &[input])?;
    } else {
        // The folder is made once the problem has been read: its parent must take it.
        piml_cli::check_outputs(&[folder], &[input])?;
    }
    let problem = piml_petab::Problem::load(input)?;
    let mut native = problem.to_native()?;
    let text = native.model.to_string();
    Model::from_json_str(&text, &model_file.display().to_string())
        .context("the imported model does not read back (a bug in the importer)")?;
    let provenance = Provenance::from_env("import", None);
    native.table.set_metadata(provenance.table_metadata(&text));
    if !folder.is_dir() {
        std::fs::create_dir(folder)
            .with_context(|| format!("{}: cannot make the folder", folder.display()))?;
    }
    let mut written = Outputs::default();
    written.json(&model_file, &native.model)?;
    written.table(&data_file, &native.table)?;
    Ok(written.commit()?)
}
