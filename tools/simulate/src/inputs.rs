//! What to simulate, from the flags: conditions, output times, inputs of
//! algebraic models — each checked against the model.

use anyhow::{Context, Result, bail};
use piml_cli::parse_times;
use piml_io::read_table;
use piml_model::{Condition, Model};
use piml_sim::{Spatial, full_grid};

use crate::{Args, MethodArg};

/// Rejects flags that do not apply to the kind of model, rather than ignoring them.
pub(crate) fn check_flags_fit(args: &Args, model: &Model) -> Result<()> {
    let timed = args.t_end.is_some() || args.times.is_some() || args.times_file.is_some();
    if model.is_algebraic() && timed {
        bail!(
            "--t-end, --times and --times-file apply to kinetic models; this algebraic model takes --input or --inputs-file"
        );
    }
    if !model.is_algebraic() && (!args.input.is_empty() || args.inputs_file.is_some()) {
        bail!(
            "--input and --inputs-file apply to algebraic models (with 'inputs'); this model is kinetic"
        );
    }
    let spatial_flags = !args.grid.is_empty()
        || args.dt.is_some()
        || args.perturb.is_some()
        || args.random_initial.is_some()
        || args.measure.is_some()
        || args.stride != 1
        || args.method == MethodArg::Spectral;
    if !model.is_spatial() && spatial_flags {
        bail!(
            "--grid, --dt, --perturb, --random-initial, --stride, --measure and --method spectral apply to reaction–diffusion models (with a 'space' section)"
        );
    }
    if model.is_spatial() && args.keep.is_some() {
        bail!(
            "--keep thins time courses; for a reaction–diffusion model take --measure N random points of space-time"
        );
    }
    Ok(())
}

/// `--condition`: none (the model as written), one by name, or all.
pub(crate) fn select_conditions<'m>(
    model: &'m Model,
    choice: Option<&str>,
) -> Result<Vec<Option<&'m Condition>>> {
    Ok(match choice {
        None => vec![None],
        Some("all") if model.conditions.is_empty() => vec![None],
        Some("all") => model.conditions.iter().map(Some).collect(),
        Some(name) => match model.condition(name) {
            Some(c) => vec![Some(c)],
            None => {
                let hint = piml_model::did_you_mean(
                    name,
                    model.conditions.iter().map(|c| c.name.as_str()),
                );
                bail!("--condition: the model has no condition '{name}'{hint}");
            }
        },
    })
}

pub(crate) fn output_times(args: &Args, model: &Model, t0: f64) -> Result<Vec<f64>> {
    let even = |end: f64| -> Result<Vec<f64>> {
        if end.is_nan() || end <= t0 {
            bail!("--t-end: {end} is not after the start time {t0}");
        }
        Ok((0..=100)
            .map(|i| t0 + (end - t0) * i as f64 / 100.0)
            .collect())
    };
    if let Some(t) = &args.times {
        return Ok(t.0.clone());
    }
    if let Some(end) = args.t_end {
        return even(end);
    }
    if let Some(path) = &args.times_file {
        let table = read_table(path)?;
        let t = table.f64_values("t").context("--times-file")?;
        if let Some((row, v)) = t
            .iter()
            .enumerate()
            .find_map(|(r, v)| v.filter(|v| !v.is_finite()).map(|v| (r + 1, v)))
        {
            bail!(
                "--times-file {}: row {row}, column 't': {v} is not finite",
                path.display()
            );
        }
        let mut t: Vec<f64> = t.into_iter().flatten().collect();
        t.sort_by(f64::total_cmp);
        t.dedup();
        if t.is_empty() {
            bail!(
                "--times-file {}: the 't' column has no values",
                path.display()
            );
        }
        return Ok(t);
    }
    match model.time.as_ref().and_then(|t| t.span) {
        Some([_, end]) => even(end),
        None => bail!(
            "{}: the model has no time span: give --t-end, --times or --times-file",
            args.model.display()
        ),
    }
}

/// Input columns of an algebraic model: the full grid of `--input` values,
/// or the columns of `--inputs-file`.
pub(crate) fn algebraic_inputs(args: &Args, model: &Model) -> Result<Vec<Vec<f64>>> {
    if let Some(path) = &args.inputs_file {
        let table = read_table(path)?;
        return model
            .inputs
            .iter()
            .map(|name| {
                let col = table.f64_values(name).context("--inputs-file")?;
                col.into_iter()
                    .enumerate()
                    .map(|(row, v)| {
                        v.ok_or_else(|| {
                            anyhow::anyhow!(
                                "--inputs-file {}: row {}: column '{name}' is empty",
                                path.display(),
                                row + 1
                            )
                        })
                    })
                    .collect()
            })
            .collect();
    }
    let mut given: Vec<(String, Vec<f64>)> = Vec::new();
    for spec in &args.input {
        let (name, values) = spec.split_once('=').with_context(|| {
            format!("--input '{spec}': expected NAME=LIST or NAME=START:STOP:STEP")
        })?;
        if !model.inputs.iter().any(|i| i == name) {
            let hint = piml_model::did_you_mean(name, model.inputs.iter().map(String::as_str));
            bail!("--input: the model has no input '{name}'{hint}");
        }
        given.push((
            name.to_string(),
            parse_times(values)
                .map_err(anyhow::Error::msg)
                .with_context(|| format!("--input {name}"))?,
        ));
    }
    let axes: Vec<&[f64]> = model
        .inputs
        .iter()
        .map(|name| {
            given
                .iter()
                .find(|(n, _)| n == name)
                .map(|(_, v)| v.as_slice())
                .with_context(|| {
                    format!("the algebraic model needs --input {name}=VALUES (or --inputs-file)")
                })
        })
        .collect::<Result<_>>()?;
    Ok(full_grid(&axes))
}

/// Grid, time stepper and output settings of a reaction–diffusion model.
/// Cells per axis: `--grid`, or 128 per axis.
pub(crate) fn grid_cells(args: &Args, model: &Model) -> Vec<usize> {
    if args.grid.is_empty() {
        vec![128; model.space.len()]
    } else {
        args.grid.clone()
    }
}

pub(crate) fn spatial_settings(args: &Args, model: &Model) -> Result<Spatial> {
    let method = match args.method {
        MethodArg::Auto => piml_pde::Method::Auto,
        MethodArg::Explicit => piml_pde::Method::Explicit,
        MethodArg::Stiff => piml_pde::Method::Bdf,
        MethodArg::Spectral => piml_pde::Method::Spectral,
    };
    let mut solver = piml_pde::Solver::new(method)
        .rtol(args.rtol)
        .atol(args.atol);
    if let Some(dt) = args.dt {
        solver = solver.dt(dt);
    }
    if args.stride == 0 {
        bail!("--stride: expected at least 1");
    }
    if args.perturb.is_some_and(|a| !(a.is_finite() && a >= 0.0)) {
        bail!("--perturb: expected a finite amplitude >= 0");
    }
    Ok(Spatial {
        cells: grid_cells(args, model),
        solver: solver.build().context("solver options")?,
        random_initial: args.random_initial,
        perturb: args.perturb,
        stride: args.stride,
        measure: args.measure,
    })
}
