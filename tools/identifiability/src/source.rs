//! What the subcommands read: a piml model file (and, for `fim` and `profile`, its data
//! table), or a PEtab problem, read as piml's model file and table in memory — what `import
//! petab` writes — so that every verdict is about the problem's own likelihood.

use std::path::Path;

use anyhow::{Result, bail};
use piml_identify::apply_fit;
use piml_io::{Table, read_json, read_table};
use piml_model::Model;

/// The model, and the measurements when the subcommand reads some.
pub(crate) struct Source {
    pub model: Model,
    pub data: Option<Measurements>,
}

/// A data table and the name its errors give.
pub(crate) struct Measurements {
    pub table: Table,
    pub name: String,
}

/// Starts the run (threads, outputs checked against the inputs), then reads the model at
/// `model` with `--set` applied, and the data: `data` for a model file (required when
/// `needs_data`), the problem's own measurements for a PEtab problem.
pub(crate) fn start(
    common: &piml_cli::CommonArgs,
    model: &Path,
    data: Option<&Path>,
    needs_data: bool,
    other_inputs: &[&Path],
    outputs: &[&Path],
) -> Result<Source> {
    let inputs: Vec<&Path> = data
        .into_iter()
        .chain(other_inputs.iter().copied())
        .collect();
    if !piml_petab::is_problem_file(model) {
        if needs_data && data.is_none() {
            bail!("--data: the measurements are required with a piml model file");
        }
        let model = common.start(model, &inputs, outputs)?;
        let data = data
            .map(|path| {
                Ok::<_, anyhow::Error>(Measurements {
                    table: read_table(path)?,
                    name: path.display().to_string(),
                })
            })
            .transpose()?;
        return Ok(Source { model, data });
    }
    if let Some(path) = data {
        bail!(
            "--data {}: a PEtab problem names its own measurements",
            path.display()
        );
    }
    common.init_threads()?;
    piml_cli::check_outputs(outputs, &[&[model], &inputs[..]].concat())?;
    let problem = piml_petab::Problem::load(model)?;
    let native = problem.to_native()?;
    let file = model.display().to_string();
    let mut model = Model::from_json_str(&native.model.to_string(), &file)?;
    common.apply_sets(&mut model)?;
    Ok(Source {
        model,
        data: needs_data.then(|| Measurements {
            table: native.table,
            name: format!("{file} (its measurement table)"),
        }),
    })
}

/// [`start`] for `fim` and `profile`: the measurements required, and the model at the values of
/// the fit document `fit` (fit-kinetics' fit.json) when one is given, `--set` having the last
/// word.
pub(crate) fn at_fit(
    common: &piml_cli::CommonArgs,
    model: &Path,
    data: Option<&Path>,
    fit: Option<&Path>,
    outputs: &[&Path],
) -> Result<Source> {
    let mut source = start(common, model, data, true, &Vec::from_iter(fit), outputs)?;
    if let Some(path) = fit {
        let document: serde_json::Value = read_json(path)?;
        apply_fit(&mut source.model, &document, &path.display().to_string())?;
        common.apply_sets(&mut source.model)?;
    }
    Ok(source)
}
