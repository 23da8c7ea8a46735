//! `simulate PROBLEM.yaml`: a PEtab problem's simulations at its nominal parameters (after
//! `--set`), one row per measurement in PEtab's simulation-table layout with the measurement
//! beside it.

use anyhow::{Result, bail};
use piml_io::{Outputs, Provenance, Table};
use piml_petab::MeasurementRow;

use crate::Args;

pub(crate) fn run(args: &Args) -> Result<()> {
    let file = &args.model;
    let model_flags = args.t_end.is_some()
        || args.times.is_some()
        || args.times_file.is_some()
        || args.samples.is_some()
        || args.noise.is_some()
        || args.keep.is_some()
        || args.condition.is_some()
        || !args.grid.is_empty()
        || args.report.is_some();
    if model_flags {
        bail!(
            "--t-end, --times, --times-file, --samples, --noise, --keep, --condition, --grid and --report apply to model files; a PEtab problem's measurement table sets the times and conditions"
        );
    }
    piml_cli::check_outputs(&[&args.output], &[file])?;
    args.common.init_threads()?;
    let problem = piml_petab::Problem::load(file)?;
    let theta = problem.nominal_with(&args.common.set)?;
    let settings = piml_petab::Settings {
        rtol: args.rtol,
        atol: args.atol,
        ..piml_petab::Settings::default()
    };
    let e = problem.evaluate(&theta, &settings, false)?;
    let rows = problem.measurement_rows();
    let text = |f: for<'a> fn(&MeasurementRow<'a>) -> Option<&'a str>| {
        rows.iter().map(|r| f(r).map(str::to_string)).collect()
    };
    let mut table = Table::new();
    table.push_utf8("observableId", text(|r| Some(r.observable)));
    table.push_utf8("preequilibrationConditionId", text(|r| r.preequilibration));
    table.push_utf8("simulationConditionId", text(|r| Some(r.condition)));
    table.push_f64("time", rows.iter().map(|r| Some(r.time)).collect());
    table.push_f64("measurement", rows.iter().map(|r| Some(r.value)).collect());
    table.push_f64(
        "simulation",
        e.simulations.iter().map(|v| Some(*v)).collect(),
    );
    let provenance = Provenance::from_env("simulate", None);
    table.set_metadata(provenance.table_metadata(&problem.model.source_json()));
    let mut written = Outputs::default();
    written.table(&args.output, &table)?;
    Ok(written.commit()?)
}
