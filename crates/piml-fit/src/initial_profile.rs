//! Initial fields estimated from the measurements at the start of the time span.
//!
//! Measurements at t0 are as noisy as any other. Taken as the exact initial field (interpolated
//! and held fixed), their noise is a start the model must smooth away, and only diffusion can:
//! on Fisher–KPP data with the PC-3 scratch assay's spacing, replicates and noise (σ = 1.27e-4
//! cells/µm², D = 300 µm²/h, r = 0.044 /h; testdata/scratch), a fixed interpolated start gave
//! D = 676 with a profile interval of [589, 768], while estimating the start gave D = 450,
//! [268, 650] (over six noise draws the fixed start's interval missed the truth four times,
//! the estimated one's once; docs/fit-kinetics.md). So the
//! start is a profile through one unknown value per measured position (linear between
//! positions, constant beyond the ends, as [`piml_model::interpolate_profile`] draws it),
//! estimated with the model's parameters, and the rows at t0 are fitted like every other row.
//! The values are nuisance parameters: they take part in the optimisation, the Fisher
//! information and the intervals of the others, but are reported apart and never profiled.

use piml_model::{Expr, Model, Parameter, Scale, profile_expression};

use crate::data::Dataset;

/// One estimated initial value: species `species` at `position` in experiment `group`.
#[derive(Debug, Clone, PartialEq)]
pub struct InitialValue {
    pub group: usize,
    pub species: usize,
    pub position: f64,
}

/// A model with its initial values estimated.
pub(crate) struct WithInitialValues {
    /// The model with one parameter per estimated initial value, appended after its own.
    pub model: Model,
    /// Each group's initial expressions over them: (species, expression).
    pub expressions: Vec<Vec<(usize, Expr)>>,
    /// What each appended parameter stands for.
    pub values: Vec<InitialValue>,
}

/// The model with one parameter per initial value the data's groups estimate (estimated,
/// linear scale, starting at the mean of the measurements there) and each group's initial
/// expressions over them.
pub(crate) fn with_initial_values(model: &Model, data: &Dataset) -> WithInitialValues {
    let mut model = model.clone();
    let mut values = Vec::new();
    let mut expressions = Vec::new();
    let axis = model
        .space
        .first()
        .map(|(name, _)| name.clone())
        .unwrap_or_else(|| "x".into());
    for (g, group) in data.groups.iter().enumerate() {
        let mut own = Vec::new();
        for (species, knots) in &group.initial_knots {
            let bounds = value_bounds(data, *species, &model);
            let names: Vec<Expr> = knots
                .iter()
                .map(|&(position, mean)| {
                    let name =
                        initial_value_name(&model, group.condition.as_deref(), *species, position);
                    model.parameters.push(Parameter {
                        name: name.clone(),
                        value: mean.clamp(bounds[0], bounds[1]),
                        units: model.species[*species].units.clone(),
                        bounds: Some(bounds),
                        estimate: true,
                        scale: Scale::Lin,
                    });
                    values.push(InitialValue {
                        group: g,
                        species: *species,
                        position,
                    });
                    Expr::Var(name)
                })
                .collect();
            let positions: Vec<f64> = knots.iter().map(|k| k.0).collect();
            own.push((*species, profile_expression(&positions, &names, &axis)));
        }
        expressions.push(own);
    }
    WithInitialValues {
        model,
        expressions,
        values,
    }
}

/// `u(t0, x=25)`, or `u(t0, x=25; low-density)` in a named experiment: a name no model
/// parameter can have (the expression language has no such identifiers).
fn initial_value_name(model: &Model, condition: Option<&str>, species: usize, x: f64) -> String {
    let axis = model.space.first().map_or("x", |(n, _)| n.as_str());
    let s = &model.species[species].name;
    match condition {
        Some(c) => format!("{s}(t0, {axis}={x}; {c})"),
        None => format!("{s}(t0, {axis}={x})"),
    }
}

/// Bounds of an initial value: from 0 (or below the smallest measurement by the measurements'
/// range, when some are negative) to above the largest by that range.
fn value_bounds(data: &Dataset, species: usize, model: &Model) -> [f64; 2] {
    let (lo, hi) = data
        .points
        .iter()
        .filter(|p| model.measured_species(p.observable) == Some(species))
        .fold((f64::INFINITY, f64::NEG_INFINITY), |(lo, hi), p| {
            (lo.min(p.value), hi.max(p.value))
        });
    let range = (hi - lo).max(hi.abs()).max(f64::MIN_POSITIVE);
    [if lo >= 0.0 { 0.0 } else { lo - range }, hi + range]
}
