//! Characteristic scales of time, length and each species: given with
//! `--scale name=EXPR`, or chosen from the model — products of powers of
//! the repeating variables (time 1/r, length √(D/r), concentration K), and
//! where those cannot make a dimension, the time span or the largest
//! initial value. Scales are expressions of parameters, so a `--set`
//! before nondim moves them.

use std::collections::HashMap;

use piml_model::expr::{Expr, excerpt, parse};
use piml_model::{Model, Numbers, infer_units};

use crate::dimensions::{Dimensions, Quantity};
use crate::error::Error;
use crate::groups::repeating;
use crate::monomial::Monomial;
use crate::rational::solve;

/// Where a scale came from.
#[derive(Debug, Clone, PartialEq)]
pub enum Origin {
    Given,
    /// From the repeating variables.
    Repeating,
    /// The model's time span.
    TimeSpan,
    /// The largest magnitude of the species' initial value.
    Initial,
}

impl Origin {
    pub fn describe(&self) -> &'static str {
        match self {
            Origin::Given => "--scale",
            Origin::Repeating => "repeating variables",
            Origin::TimeSpan => "time span",
            Origin::Initial => "largest initial value",
        }
    }
}

/// The characteristic scale of `t`, of every space axis (`x`, one length
/// for all axes so that diffusion stays isotropic), or of a species.
#[derive(Debug, Clone)]
pub struct Scale {
    pub name: String,
    /// An expression of parameters and domain lengths (`L_x`).
    pub expr: Expr,
    pub value: f64,
    /// The units of the variable it scales.
    pub units: String,
    pub origin: Origin,
}

/// Parses `name=EXPR`.
pub fn parse_scale(s: &str) -> Result<(String, Expr), String> {
    let (name, text) = s
        .split_once('=')
        .ok_or_else(|| format!("'{s}': expected NAME=EXPR"))?;
    let e = parse(text.trim()).map_err(|e| format!("'{}': {e}", excerpt(s)))?;
    Ok((name.trim().to_string(), e))
}

/// Parameter values and domain lengths by name.
pub fn values(dims: &Dimensions) -> HashMap<String, f64> {
    dims.physical
        .iter()
        .map(|q| (q.name.clone(), q.value))
        .collect()
}

/// The scales of `t`, `x` (when spatial) and every species.
pub fn characteristic_scales(
    model: &Model,
    dims: &Dimensions,
    given: &[(String, Expr)],
) -> Result<Vec<Scale>, Error> {
    let mut names: Vec<&str> = vec!["t"];
    if model.is_spatial() {
        names.push("x");
    }
    names.extend(model.species.iter().map(|s| s.name.as_str()));
    for (name, _) in given {
        if !names.contains(&name.as_str()) {
            let hint = piml_model::did_you_mean(name, names.iter().copied());
            return Err(Error::Scale {
                name: name.clone(),
                message: format!(
                    "no variable '{name}'{hint}; scales are for {} (x sets every space axis)",
                    names.join(", ")
                ),
            });
        }
    }
    let vals = values(dims);
    let rep = repeating(dims);
    names
        .iter()
        .map(|&name| {
            let target = dims
                .variable(name)
                .expect("every scaled name is a variable");
            match given.iter().rev().find(|(n, _)| n == name) {
                Some((_, e)) => given_scale(name, e, target, dims, &vals),
                None => auto_scale(model, name, target, &rep, &vals),
            }
        })
        .collect()
}

fn given_scale(
    name: &str,
    e: &Expr,
    target: &Quantity,
    dims: &Dimensions,
    vals: &HashMap<String, f64>,
) -> Result<Scale, Error> {
    let err = |message: String| Error::Scale {
        name: name.to_string(),
        message,
    };
    for sym in e.symbols() {
        if !vals.contains_key(&sym) {
            let known: Vec<&str> = dims.physical.iter().map(|q| q.name.as_str()).collect();
            let hint = piml_model::did_you_mean(&sym, known.iter().copied());
            return Err(err(format!(
                "unknown name '{sym}'{hint} in '{e}'; a scale may use {}",
                known.join(", ")
            )));
        }
    }
    let physical: HashMap<_, _> = dims.symbols();
    let (unit, issues) = infer_units(e, &physical, Numbers::Free);
    if let Some(issue) = issues.first() {
        return Err(err(format!("'{e}': {issue}")));
    }
    if let Some(unit) = unit
        && !unit.same_as(&target.unit)
    {
        return Err(err(format!(
            "'{e}' is in {unit}, but {name} is in {} ({})",
            target.unit, target.units
        )));
    }
    let value = e.eval(&|n| vals.get(n).copied());
    if !(value.is_finite() && value > 0.0) {
        return Err(err(format!("'{e}' = {value}: a scale must be positive")));
    }
    Ok(Scale {
        name: name.to_string(),
        expr: e.clone(),
        value,
        units: target.units.clone(),
        origin: Origin::Given,
    })
}

fn auto_scale(
    model: &Model,
    name: &str,
    target: &Quantity,
    rep: &[&Quantity],
    vals: &HashMap<String, f64>,
) -> Result<Scale, Error> {
    let basis: Vec<_> = rep.iter().map(|q| q.dims.clone()).collect();
    let (expr, origin) = match solve(&basis, &target.dims) {
        Some(c) => {
            let m = rep.iter().zip(&c).fold(Monomial::one(), |m, (q, p)| {
                m.times(&Monomial::name(&q.name).power(*p))
            });
            // Unit prefixes: the product may be in other units of the same dimension.
            let unit = rep
                .iter()
                .zip(&c)
                .fold(piml_model::units::Unit::ONE, |u, (q, p)| {
                    u * q.unit.powf(p.to_f64())
                });
            if !unit.same_as(&target.unit) {
                return Err(Error::Scale {
                    name: name.to_string(),
                    message: format!(
                        "the scale from the repeating variables, '{}', is {} times the units of {name} ({}); give --scale {name}=EXPR",
                        m.to_expr(),
                        unit.scale / target.unit.scale,
                        target.units
                    ),
                });
            }
            (m.to_expr(), Origin::Repeating)
        }
        None if name == "t" => {
            let span = model.time.as_ref().and_then(|t| t.span).ok_or_else(|| Error::Scale {
                name: "t".into(),
                message: "no parameter combination is a time and the model has no time span; give --scale t=EXPR".into(),
            })?;
            (Expr::Num(span[1] - span[0]), Origin::TimeSpan)
        }
        None => {
            let peak = initial_peak(model, name, vals);
            if !(peak.is_finite() && peak > 0.0) {
                return Err(Error::Scale {
                    name: name.to_string(),
                    message: format!(
                        "no parameter is in the units of {name} ({}) and its initial value is {peak}; give --scale {name}=EXPR",
                        target.units
                    ),
                });
            }
            (Expr::Num(peak), Origin::Initial)
        }
    };
    let value = expr.eval(&|n| vals.get(n).copied());
    if !(value.is_finite() && value > 0.0) {
        return Err(Error::Scale {
            name: name.to_string(),
            message: format!(
                "'{expr}' = {value}: a scale must be positive; give --scale {name}=EXPR"
            ),
        });
    }
    Ok(Scale {
        name: name.to_string(),
        expr,
        value,
        units: target.units.clone(),
        origin,
    })
}

/// Points spread over the domain (or the single point of a kinetic model):
/// 101 per axis in 1-D, 21×21 in 2-D, span ends included.
pub fn sample_points(model: &Model) -> Vec<Vec<(String, f64)>> {
    let per_axis = if model.space.len() > 1 { 21 } else { 101 };
    let mut points: Vec<Vec<(String, f64)>> = vec![Vec::new()];
    for (axis, a) in &model.space {
        let [lo, hi] = a.span.unwrap_or([0.0, 1.0]);
        points = points
            .into_iter()
            .flat_map(|p| {
                (0..per_axis).map(move |i| {
                    let mut q = p.clone();
                    q.push((
                        axis.clone(),
                        lo + (hi - lo) * i as f64 / (per_axis - 1) as f64,
                    ));
                    q
                })
            })
            .collect();
    }
    points
}

/// The largest |initial value| of a species over the domain.
fn initial_peak(model: &Model, name: &str, vals: &HashMap<String, f64>) -> f64 {
    let species = model
        .species
        .iter()
        .find(|s| s.name == name)
        .expect("a species");
    sample_points(model)
        .iter()
        .map(|point| {
            species
                .initial
                .eval(&|n| {
                    point
                        .iter()
                        .find(|(a, _)| a == n)
                        .map(|(_, v)| *v)
                        .or_else(|| vals.get(n).copied())
                })
                .abs()
        })
        .fold(0.0, f64::max)
}
