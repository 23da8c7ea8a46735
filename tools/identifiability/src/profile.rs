//! `identifiability profile` and `identifiability merge`: profile likelihoods, sharded.

use std::path::{Path, PathBuf};

use anyhow::{Context, Result, bail};
use piml_identify::{ProfilePoint, analysed, profile_report, profiles};
use piml_io::{META_MODEL, Outputs, Provenance, Table, read_table};
use piml_model::{Model, Scale};

use crate::fim::{Integration, load_problem};
use crate::source::{self, Source};

const EXAMPLE: &str = "\
Examples:
  # Profiles of every estimated parameter, and the report
  identifiability profile testdata/mm-reduced.json --data mm.csv --fit fit.json \\
      -o profiles.parquet --report profiles.json

  # One parameter per Slurm array task, then the merge
  identifiability profile model.json --data d.csv -o p-$SLURM_ARRAY_TASK_ID.parquet \\
      --report r-$SLURM_ARRAY_TASK_ID.json
  identifiability merge p-*.parquet -o profiles.parquet --report profiles.json

The likelihood and the optimiser are fit-kinetics': gaussian, proportional, lognormal or log10normal
noise; sigma from a sigma_<name> column, else the model's noise sigma (a number or a
parameter, re-optimised when estimated), else estimated per observable at every profile
point; bounded Levenberg–Marquardt from the --fit values (fit-kinetics' fit.json).";

/// Profile likelihood of each estimated parameter (Raue et al. 2009): stepped out from the
/// optimum in both directions with the others re-optimised, to a rise of −2 log L of 3.84 or a
/// bound; classified identifiable (both sides cross), practically non-identifiable (open on a
/// side) or structurally non-identifiable (flat), with the profile 95% intervals.
#[derive(Debug, clap::Args)]
#[command(after_help = EXAMPLE, allow_negative_numbers = true)]
pub(crate) struct Args {
    /// Model file (JSON; - reads it from stdin), or a PEtab problem (YAML) with its measurements
    model: PathBuf,
    /// Measurements (Parquet or CSV): t, optional condition, observable columns, optional
    /// sigma_<name> (required with a model file)
    #[arg(long, value_name = "FILE")]
    data: Option<PathBuf>,
    /// Fit document with "parameters": {"<name>": {"estimate": …}}: the start [default: the model's values]
    #[arg(long, value_name = "FILE")]
    fit: Option<PathBuf>,
    /// Profile points (Parquet or CSV): parameter, direction, step, delta_chi2, then every estimated parameter
    #[arg(short, long, value_name = "FILE")]
    output: PathBuf,
    /// Report (JSON): each profiled parameter's class and interval
    #[arg(long, value_name = "FILE")]
    report: PathBuf,
    /// Profile only this parameter
    #[arg(long, value_name = "NAME")]
    param: Option<String>,
    #[command(flatten)]
    integration: Integration,
    #[command(flatten)]
    common: piml_cli::CommonArgs,
}

/// Concatenate the profile tables of several shards and write the report of the whole.
#[derive(Debug, clap::Args)]
pub(crate) struct MergeArgs {
    /// Shard tables written by `identifiability profile`, in shard order
    #[arg(required = true)]
    shards: Vec<PathBuf>,
    /// Merged profile points
    #[arg(short, long, value_name = "FILE")]
    output: PathBuf,
    /// Report (JSON) of the merged profiles
    #[arg(long, value_name = "FILE")]
    report: PathBuf,
}

const FIXED: [&str; 4] = ["parameter", "direction", "step", "delta_chi2"];

fn to_table(names: &[String], points: &[ProfilePoint]) -> Table {
    let mut table = Table::new();
    table.push_utf8(
        "parameter",
        points
            .iter()
            .map(|p| Some(names[p.parameter].clone()))
            .collect(),
    );
    table.push_i64("direction", points.iter().map(|p| p.direction).collect());
    table.push_i64("step", points.iter().map(|p| p.step).collect());
    table.push_f64("delta_chi2", points.iter().map(|p| Some(p.rise)).collect());
    for (j, name) in names.iter().enumerate() {
        table.push_f64(name, points.iter().map(|p| Some(p.values[j])).collect());
    }
    table
}

fn from_table(table: &Table, names: &[String], file: &Path) -> Result<Vec<ProfilePoint>> {
    let mut required: Vec<&str> = FIXED.to_vec();
    required.extend(names.iter().map(String::as_str));
    table.require_columns(&required)?;
    let parameter = table.utf8_column("parameter")?;
    // Integer columns come back as numbers from CSV and from Parquet alike.
    let direction = table.f64_values("direction")?;
    let step = table.f64_values("step")?;
    let rise = table.f64_values("delta_chi2")?;
    let values: Vec<Vec<Option<f64>>> = names
        .iter()
        .map(|n| table.f64_values(n))
        .collect::<Result<_, _>>()?;
    (0..table.n_rows())
        .map(|row| {
            let line = row + 2;
            let name = parameter[row].as_deref().unwrap_or("");
            let i = names.iter().position(|n| n == name).with_context(|| {
                format!(
                    "{}: row {line}: '{name}' is not an estimated parameter",
                    file.display()
                )
            })?;
            let number = |v: Option<f64>, column: &str| {
                v.with_context(|| format!("{}: row {line}: '{column}' is missing", file.display()))
            };
            Ok(ProfilePoint {
                parameter: i,
                direction: number(direction[row], "direction")? as i64,
                step: number(step[row], "step")? as i64,
                rise: number(rise[row], "delta_chi2")?,
                values: values
                    .iter()
                    .zip(names)
                    .map(|(column, n)| number(column[row], n))
                    .collect::<Result<_>>()?,
            })
        })
        .collect()
}

/// The estimated parameters (piml-fit's order: the model's) and their scales.
fn names_and_scales(model: &Model) -> (Vec<String>, Vec<Scale>) {
    analysed(model)
        .parameters
        .iter()
        .filter(|p| p.estimate)
        .map(|p| (p.name.clone(), p.scale))
        .unzip()
}

fn write(
    output: &Path,
    report: &Path,
    model: &Model,
    names: &[String],
    scales: &[Scale],
    points: &[ProfilePoint],
) -> Result<()> {
    let provenance = Provenance::from_env("identifiability", None);
    let mut table = to_table(names, points);
    table.set_metadata(provenance.table_metadata(&model.source_json()));
    let mut written = Outputs::default();
    written.table(output, &table)?;
    written.json(
        report,
        &provenance.document(&model.name, profile_report(names, scales, points)),
    )?;
    Ok(written.commit()?)
}

pub(crate) fn run(args: Args) -> Result<()> {
    let Source { model, data } = source::at_fit(
        &args.common,
        &args.model,
        args.data.as_deref(),
        args.fit.as_deref(),
        &[args.output.as_path(), args.report.as_path()],
    )?;
    let (names, scales) = names_and_scales(&model);
    for name in &names {
        if FIXED.contains(&name.as_str()) {
            bail!(
                "parameter '{name}': the name is a column of the profile table; rename the parameter"
            );
        }
    }
    let which: Vec<usize> = match &args.param {
        Some(name) => {
            let hint = piml_model::did_you_mean(name, names.iter().map(String::as_str));
            let i = names.iter().position(|n| n == name).with_context(|| {
                format!(
                    "--param: '{name}' is not an estimated parameter{hint}; they are: {}",
                    names.join(", ")
                )
            })?;
            vec![i]
        }
        None => (0..names.len()).collect(),
    };
    let which = &which[args.common.shard()?.range(which.len())];
    let problem = load_problem(&model, data, &args.integration)?;
    let points = profiles(&problem, which)?;
    write(&args.output, &args.report, &model, &names, &scales, &points)
}

pub(crate) fn merge(args: MergeArgs) -> Result<()> {
    let shards: Vec<&Path> = args.shards.iter().map(PathBuf::as_path).collect();
    piml_cli::check_outputs(&[&args.output, &args.report], &shards)?;
    let mut model: Option<Model> = None;
    let mut points = Vec::new();
    for path in &args.shards {
        let table = read_table(path)?;
        let source = table.metadata().get(META_MODEL).with_context(|| {
            format!(
                "{}: no '{META_MODEL}' metadata: not a profile table",
                path.display()
            )
        })?;
        let shard_model =
            Model::from_json_str(source, &format!("{} ({META_MODEL})", path.display()))?;
        if let Some(first) = &model
            && first.source != shard_model.source
        {
            bail!(
                "{}: profiles of a different model than {}",
                path.display(),
                args.shards[0].display()
            );
        }
        let (names, _) = names_and_scales(&shard_model);
        points.extend(from_table(&table, &names, path)?);
        model.get_or_insert(shard_model);
    }
    let Some(model) = model else {
        bail!("no shard tables given");
    };
    // Parameter order, each profile's points in the order they were computed.
    points.sort_by_key(|p| p.parameter);
    let (names, scales) = names_and_scales(&model);
    write(&args.output, &args.report, &model, &names, &scales, &points)
}
