//! The dimension matrix of a model: every parameter, domain length, time,
//! space axis and species with its units as exponents of the base
//! dimensions, after checking that every unit is given and every
//! expression is consistent.

use std::collections::HashMap;

use piml_model::expr::Expr;
use piml_model::units::{BASE, Unit};
use piml_model::{AxisBoundary, Model, Numbers, SideCondition, infer_units, symbol_units};

use crate::error::Error;
use crate::rational::Ratio;

/// What a quantity is in the model.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Role {
    Parameter,
    /// The length of a space axis's span (`L_x` for axis `x`).
    DomainLength(String),
    /// An independent variable: `t` or a space axis.
    Coordinate,
    Species,
}

impl Role {
    /// How reports name the role.
    pub fn describe(&self) -> &'static str {
        match self {
            Role::Parameter => "parameter",
            Role::DomainLength(_) => "domain length",
            Role::Coordinate => "coordinate",
            Role::Species => "species",
        }
    }
}

/// A named quantity with its units and dimension exponents.
#[derive(Debug, Clone)]
pub struct Quantity {
    pub name: String,
    pub role: Role,
    pub units: String,
    pub unit: Unit,
    /// Exponents of the base dimensions (piml_model::units::BASE).
    pub dims: Vec<Ratio>,
    /// The value (parameters, domain lengths); NaN for variables.
    pub value: f64,
}

/// Every quantity of a model with its dimensions.
#[derive(Debug, Clone)]
pub struct Dimensions {
    /// Parameters (declaration order), then domain lengths.
    pub physical: Vec<Quantity>,
    /// `t`, the space axes, then the species.
    pub variables: Vec<Quantity>,
}

/// The name of the length of axis `axis`'s span.
pub fn domain_length_name(axis: &str) -> String {
    format!("L_{axis}")
}

fn exponents(unit: &Unit, field: &str, units: &str) -> Result<Vec<Ratio>, Error> {
    unit.dims
        .iter()
        .map(|d| {
            Ratio::from_f64(*d).ok_or_else(|| {
                Error::units(
                    field,
                    format!("'{units}': exponent {d} is not a simple fraction"),
                )
            })
        })
        .collect()
}

impl Dimensions {
    /// Reads the units of every quantity and checks every expression of the
    /// model against them; errors name the field, the expression and both sides.
    pub fn of(model: &Model) -> Result<Dimensions, Error> {
        let (symbols, issues) = symbol_units(model);
        if let Some(issue) = issues.first() {
            return Err(Error::units(&issue.field, &issue.message));
        }
        let required = |name: &str, units: &Option<String>, field: String| {
            let text = units.as_ref().ok_or_else(|| {
                Error::units(
                    field.clone(),
                    format!(
                        "no units for '{name}'; nondim needs the units of every parameter, species, \
                         time and space axis (write \"dimensionless\" for pure numbers)"
                    ),
                )
            })?;
            let unit = symbols[name];
            Ok::<_, Error>((text.clone(), unit, exponents(&unit, &field, text)?))
        };
        let time = model.time.as_ref().and_then(|t| t.units.clone());
        let mut variables = Vec::new();
        let (units, unit, dims) = required("t", &time, "time.units".into())?;
        variables.push(Quantity {
            name: "t".into(),
            role: Role::Coordinate,
            units,
            unit,
            dims,
            value: f64::NAN,
        });
        let mut physical = Vec::new();
        for p in &model.parameters {
            let (units, unit, dims) =
                required(&p.name, &p.units, format!("parameters.{}.units", p.name))?;
            physical.push(Quantity {
                name: p.name.clone(),
                role: Role::Parameter,
                units,
                unit,
                dims,
                value: p.value,
            });
        }
        for (axis, a) in &model.space {
            let (units, unit, dims) = required(axis, &a.units, format!("space.{axis}.units"))?;
            let span = a.span.unwrap_or([0.0, 1.0]);
            let name = domain_length_name(axis);
            if model.parameter(&name).is_some() {
                return Err(Error::Model {
                    field: format!("parameters.{name}"),
                    message: format!(
                        "'{name}' names the length of axis {axis} in nondim's analysis; rename the parameter"
                    ),
                });
            }
            physical.push(Quantity {
                name,
                role: Role::DomainLength(axis.clone()),
                units: units.clone(),
                unit,
                dims: dims.clone(),
                value: span[1] - span[0],
            });
            variables.push(Quantity {
                name: axis.clone(),
                role: Role::Coordinate,
                units,
                unit,
                dims,
                value: f64::NAN,
            });
        }
        for s in &model.species {
            let (units, unit, dims) =
                required(&s.name, &s.units, format!("species.{}.units", s.name))?;
            variables.push(Quantity {
                name: s.name.clone(),
                role: Role::Species,
                units,
                unit,
                dims,
                value: f64::NAN,
            });
        }
        check_expressions(model, &symbols)?;
        Ok(Dimensions {
            physical,
            variables,
        })
    }

    pub fn variable(&self, name: &str) -> Option<&Quantity> {
        self.variables.iter().find(|q| q.name == name)
    }

    pub fn physical(&self, name: &str) -> Option<&Quantity> {
        self.physical.iter().find(|q| q.name == name)
    }

    /// The units of every quantity by name, for unit inference.
    pub fn symbols(&self) -> HashMap<String, Unit> {
        self.physical
            .iter()
            .chain(&self.variables)
            .map(|q| (q.name.clone(), q.unit))
            .collect()
    }

    /// The base dimensions that some quantity uses, by index into BASE.
    pub fn used_bases(&self) -> Vec<usize> {
        (0..BASE.len())
            .filter(|&i| {
                self.physical
                    .iter()
                    .chain(&self.variables)
                    .any(|q| !q.dims[i].is_zero())
            })
            .collect()
    }
}

/// `x` to 9 significant digits, so that unit factors print as 3600, not 3600.0000000000005.
fn rounded(x: f64) -> f64 {
    format!("{x:.8e}").parse().unwrap_or(x)
}

/// Checks that `e` at `field` has the units `want` (`what` says what it is).
fn expect_units(
    e: &Expr,
    field: &str,
    want: &Unit,
    what: &str,
    symbols: &HashMap<String, Unit>,
) -> Result<(), Error> {
    let (unit, issues) = infer_units(e, symbols, Numbers::AnyUnits);
    if let Some(issue) = issues.first() {
        return Err(Error::units(field, format!("'{e}': {issue}")));
    }
    let Some(unit) = unit else { return Ok(()) };
    if !unit.same_dimension(want) {
        return Err(Error::units(
            field,
            format!("'{e}' is in {unit}, but {what} needs {want}"),
        ));
    }
    if !unit.same_as(want) {
        return Err(Error::units(
            field,
            format!(
                "'{e}' is {} times the units {what} needs ({want})",
                rounded(unit.scale / want.scale)
            ),
        ));
    }
    Ok(())
}

/// Every rate, diffusion, initial and boundary expression in the units its
/// place requires.
fn check_expressions(model: &Model, symbols: &HashMap<String, Unit>) -> Result<(), Error> {
    let time = symbols["t"];
    let species_unit = |s: &str| symbols[s];
    if let Some(rates) = &model.rates {
        for (s, e) in rates {
            let want = species_unit(s) / time;
            expect_units(
                e,
                &format!("rates.{s}"),
                &want,
                &format!("species '{s}' per time"),
                symbols,
            )?;
        }
    }
    for (i, r) in model.reactions.iter().enumerate() {
        for (s, _) in r.reactants.iter().chain(&r.products) {
            let want = species_unit(s) / time;
            expect_units(
                &r.rate,
                &format!("reactions[{i}]"),
                &want,
                &format!("species '{s}' per time"),
                symbols,
            )?;
        }
    }
    let length = model.space.first().map(|(axis, _)| symbols[axis.as_str()]);
    for s in &model.species {
        let su = species_unit(&s.name);
        expect_units(
            &s.initial,
            &format!("species.{}.initial", s.name),
            &su,
            &format!("species '{}'", s.name),
            symbols,
        )?;
        if let (Some(d), Some(length)) = (&s.diffusion, length) {
            expect_units(
                d,
                &format!("species.{}.diffusion", s.name),
                &(length * length / time),
                "a diffusion coefficient (length²/time)",
                symbols,
            )?;
        }
    }
    for (axis_index, b) in model.boundary.iter().enumerate() {
        let AxisBoundary::Sides { min, max } = b else {
            continue;
        };
        let axis = &model.space[axis_index].0;
        for (side, c) in [("min", min), ("max", max)] {
            if let SideCondition::Dirichlet(values) = c {
                for (s, e) in values {
                    expect_units(
                        e,
                        &format!("boundary.{axis}.{side}.value.{s}"),
                        &species_unit(s),
                        &format!("species '{s}'"),
                        symbols,
                    )?;
                }
            }
        }
    }
    for c in &model.conditions {
        for (s, e) in &c.initial {
            expect_units(
                e,
                &format!("conditions.{}.initial.{s}", c.name),
                &species_unit(s),
                &format!("species '{s}'"),
                symbols,
            )?;
        }
    }
    Ok(())
}
