//! Reading measurements and collocation tables, drawing collocation points, the prediction grid.

use std::path::Path;

use anyhow::{Context, Result, bail};
use piml_cli::warn;
use piml_io::{Table, read_table};
use piml_model::{AxisBoundary, Model};
use piml_pinn::{Collocation, Observations, ObservedColumn};
use piml_sampling::{Domain, Method, Set};
use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;

/// Columns a data table may have besides coordinates, observables and sigmas.
const META: [&str; 3] = ["condition", "replicate", "sample"];

/// The coordinate names of a model: t, then its space axes.
pub fn coordinates(model: &Model) -> Vec<String> {
    std::iter::once("t".to_string())
        .chain(model.space.iter().map(|(n, _)| n.clone()))
        .collect()
}

/// Numeric columns without nulls, or an error naming the file, column and row.
fn coordinate_columns(table: &Table, names: &[String], file: &Path) -> Result<Vec<Vec<f64>>> {
    let refs: Vec<&str> = names.iter().map(String::as_str).collect();
    table.require_columns(&refs)?;
    names
        .iter()
        .map(|n| {
            let v = table.f64_values(n)?;
            v.iter()
                .enumerate()
                .map(|(r, x)| {
                    x.filter(|x| x.is_finite()).with_context(|| {
                        format!(
                            "{}: row {}: coordinate '{n}' is missing or not finite",
                            file.display(),
                            r + 1
                        )
                    })
                })
                .collect()
        })
        .collect()
}

/// The measurements of one condition and the model under it, with the table of their rows.
pub fn read_data(
    path: &Path,
    model: &Model,
    condition: Option<&str>,
) -> Result<(Model, Observations, Table)> {
    let mut table = read_table(path)?;
    let mut model = model.clone();
    match condition {
        Some(name) => {
            table = table.rows_of_condition(name)?;
            if let Some(c) = model.condition(name) {
                model = model.under_condition(c);
            }
        }
        None if table.column("condition").is_some() => {
            let mut seen: Vec<&str> = Vec::new();
            for c in table.utf8_column("condition")?.iter().flatten() {
                if !seen.contains(&c.as_str()) {
                    seen.push(c);
                }
            }
            if seen.len() > 1 {
                bail!(
                    "{}: the data holds conditions {}; fit one at a time with --condition NAME",
                    path.display(),
                    seen.join(", ")
                );
            }
        }
        None => {}
    }
    let coords = coordinates(&model);
    let coord_columns = coordinate_columns(&table, &coords, path)?;
    let mut columns = Vec::new();
    let mut known: Vec<String> = coords.clone();
    known.extend(META.iter().map(|s| s.to_string()));
    for o in &model.observables {
        if table.column(&o.name).is_none() {
            continue;
        }
        let values: Vec<f64> = table
            .f64_values(&o.name)?
            .into_iter()
            .enumerate()
            .map(|(r, v)| match v {
                Some(v) if !v.is_finite() => bail!(
                    "{}: row {}, column '{}': {v} is not finite",
                    path.display(),
                    r + 1,
                    o.name
                ),
                v => Ok(v.unwrap_or(f64::NAN)),
            })
            .collect::<Result<_>>()?;
        let sigma_name = format!("sigma_{}", o.name);
        let sigma = match table.column(&sigma_name) {
            Some(_) => Some(
                table
                    .f64_values(&sigma_name)?
                    .into_iter()
                    .map(|v| v.unwrap_or(f64::NAN))
                    .collect(),
            ),
            None => None,
        };
        known.push(o.name.clone());
        known.push(sigma_name);
        columns.push(ObservedColumn {
            name: o.name.clone(),
            values,
            sigma,
        });
    }
    let refs: Vec<&str> = known.iter().map(String::as_str).collect();
    let unknown = table.unknown_columns(&refs);
    if columns.is_empty() {
        let names: Vec<&str> = model.observables.iter().map(|o| o.name.as_str()).collect();
        bail!(
            "{}: no column matches an observable of the model (observables: {}; columns: {})",
            path.display(),
            names.join(", "),
            table.column_names().join(", ")
        );
    }
    if !unknown.is_empty() {
        warn(format!(
            "{}: ignoring columns that are not coordinates or observables: {}",
            path.display(),
            unknown.join(", ")
        ));
    }
    Ok((
        model,
        Observations {
            coords: coord_columns,
            columns,
        },
        table,
    ))
}

/// The model under `condition` and no measurements: a forward problem.
pub fn no_data(model: &Model, condition: Option<&str>) -> Result<(Model, Observations)> {
    let model = match condition {
        Some(name) => match model.condition(name) {
            Some(c) => model.under_condition(c),
            None => {
                bail!("--condition {name}: the model has no such condition, and there is no data")
            }
        },
        None => model.clone(),
    };
    let coords = vec![Vec::new(); 1 + model.space.len()];
    Ok((
        model,
        Observations {
            coords,
            columns: Vec::new(),
        },
    ))
}

/// A collocation table: coordinates, `set`, optional `weight`.
pub fn read_collocation(path: &Path, model: &Model) -> Result<Collocation> {
    let table = read_table(path)?;
    let coords = coordinates(model);
    if let Some(extra) = ["x", "y"]
        .into_iter()
        .find(|c| table.column(c).is_some() && !coords.iter().any(|k| k == c))
    {
        bail!(
            "{}: column '{extra}' is a space coordinate, but model '{}' has only {}: points drawn for another model? (sample-collocation MODEL draws them for one)",
            path.display(),
            model.name,
            coords.join(", ")
        );
    }
    let columns = coordinate_columns(&table, &coords, path)?;
    check_inside_spans(model, &coords, &columns, path)?;
    let sets = table.utf8_column("set")?;
    let weights = match table.column("weight") {
        Some(_) => Some(table.f64_values("weight")?),
        None => None,
    };
    let mut out = Collocation::default();
    for (r, set) in sets.iter().enumerate() {
        let (points, w) = match set.as_deref() {
            Some("interior") => (&mut out.interior, &mut out.interior_weights),
            Some("boundary") => (&mut out.boundary, &mut out.boundary_weights),
            Some("initial") => (&mut out.initial, &mut out.initial_weights),
            other => bail!(
                "{}: row {}: set {:?} is not interior, boundary or initial",
                path.display(),
                r + 1,
                other.unwrap_or("(missing)")
            ),
        };
        if points.is_empty() {
            *points = vec![Vec::new(); coords.len()];
        }
        for (c, column) in points.iter_mut().zip(&columns) {
            c.push(column[r]);
        }
        if let Some(ws) = &weights {
            let v = ws[r]
                .filter(|v| *v >= 0.0 && v.is_finite())
                .with_context(|| format!("{}: row {}: weight is not ≥ 0", path.display(), r + 1))?;
            w.get_or_insert_with(Vec::new).push(v);
        }
    }
    Ok(out)
}

/// Refuses points outside the model's spans (drawn for another model or domain), naming the
/// first one's row; points on a side may sit a rounding error outside.
fn check_inside_spans(
    model: &Model,
    coords: &[String],
    columns: &[Vec<f64>],
    file: &Path,
) -> Result<()> {
    let spans = std::iter::once(model.time.as_ref().and_then(|t| t.span))
        .chain(model.space.iter().map(|(_, axis)| axis.span));
    for ((name, values), span) in coords.iter().zip(columns).zip(spans) {
        let Some([lo, hi]) = span else { continue };
        let slack = 1e-9 * (hi - lo).abs();
        if let Some((r, v)) = values
            .iter()
            .enumerate()
            .find(|(_, v)| **v < lo - slack || **v > hi + slack)
        {
            bail!(
                "{}: row {}, column '{name}': {v} lies outside model '{}''s span [{lo}, {hi}]: points drawn for another model or domain?",
                file.display(),
                r + 1,
                model.name
            );
        }
    }
    Ok(())
}

/// Independent random streams of one seed, one per set (as sample-collocation draws them).
fn stream(seed: u64, set: Set) -> ChaCha8Rng {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    rng.set_stream(set as u64);
    rng
}

/// Draws interior, boundary (sides, and pairs on periodic axes) and initial points.
pub fn sample_collocation(
    model: &Model,
    sampler: &str,
    [interior, boundary, initial]: [usize; 3],
    with_initial: bool,
    seed: u64,
) -> Result<Collocation> {
    let method = Method::ALL
        .into_iter()
        .find(|m| m.name() == sampler)
        .with_context(|| {
            format!("--sampler: '{sampler}' is not one of uniform, grid, lhs, sobol, halton")
        })?;
    let domain = Domain::from_model(model)?;
    let mut out = Collocation {
        interior: domain
            .interior(method, interior, &mut stream(seed, Set::Interior))?
            .columns,
        ..Collocation::default()
    };
    let periodic: Vec<usize> = model
        .boundary
        .iter()
        .enumerate()
        .filter(|(_, b)| matches!(b, AxisBoundary::Periodic))
        .map(|(a, _)| a + 1)
        .collect();
    let axes_with_boundary = periodic.len() + usize::from(!domain.sides.is_empty());
    let mut rng = stream(seed, Set::Boundary);
    let mut sets = Vec::new();
    if axes_with_boundary > 0 {
        let share = boundary.div_ceil(axes_with_boundary);
        if !domain.sides.is_empty() {
            sets.extend(
                domain
                    .boundary(method, share, &mut rng)?
                    .into_iter()
                    .map(|s| s.columns),
            );
        }
        for &axis in &periodic {
            // Points on the min end; the problem pairs each with its image on the max end.
            let mut s = domain.interior(method, share, &mut rng)?.columns;
            s[axis].iter_mut().for_each(|v| *v = domain.axes[axis].1[0]);
            sets.push(s);
        }
    }
    out.boundary = vec![Vec::new(); domain.axes.len()];
    for s in sets {
        for (c, column) in out.boundary.iter_mut().zip(s) {
            c.extend(column);
        }
    }
    if with_initial {
        let n = if model.is_spatial() {
            initial
        } else {
            initial.min(1)
        };
        out.initial = domain
            .initial(method, n, &mut stream(seed, Set::Initial))?
            .columns;
    }
    Ok(out)
}

/// Grid points per axis from `NT,NX[,NY]`.
pub fn parse_grid(spec: &str, model: &Model) -> Result<Vec<usize>> {
    let counts: Vec<usize> = spec
        .split(',')
        .map(|c| {
            c.trim()
                .parse()
                .with_context(|| format!("'{c}' is not a count"))
        })
        .collect::<Result<_>>()?;
    let axes = 1 + model.space.len();
    if counts.len() != axes {
        bail!(
            "'{spec}': {} counts for a model with {axes} axes (t and its space)",
            counts.len()
        );
    }
    if counts.contains(&0) {
        bail!("'{spec}': every axis needs at least one point");
    }
    Ok(counts)
}
