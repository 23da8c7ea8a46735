//! The validated model: what a model file says, with every expression parsed
//! and every name checked.

use std::path::Path;

use crate::error::Error;
use crate::expr::Expr;

/// A time or space axis: its units and span.
#[derive(Debug, Clone, PartialEq)]
pub struct Axis {
    pub units: Option<String>,
    pub span: Option<[f64; 2]>,
}

/// A boundary condition on one side of a space axis.
#[derive(Debug, Clone, PartialEq)]
pub enum SideCondition {
    /// Zero flux.
    Neumann,
    /// Values of the species on this side, expressions of parameters, t, x, y.
    Dirichlet(Vec<(String, Expr)>),
}

/// The boundary conditions of one space axis.
#[derive(Debug, Clone, PartialEq)]
pub enum AxisBoundary {
    Periodic,
    Sides {
        min: SideCondition,
        max: SideCondition,
    },
}

#[derive(Debug, Clone, PartialEq)]
pub struct Species {
    pub name: String,
    pub units: Option<String>,
    /// An expression of parameters and space coordinates (0 when the model gives none).
    pub initial: Expr,
    /// Whether the model file (or the condition it is under) gives `initial`: a fit may then
    /// take the initial value from the data instead of the 0 that stands in for it.
    pub initial_given: bool,
    /// An expression of parameters, coordinates and species (reaction–diffusion models).
    pub diffusion: Option<Expr>,
}

/// Whether an estimated parameter is optimised on a log or a linear scale.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scale {
    Log,
    Lin,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Parameter {
    pub name: String,
    pub value: f64,
    pub units: Option<String>,
    pub bounds: Option<[f64; 2]>,
    pub estimate: bool,
    pub scale: Scale,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Reaction {
    pub name: Option<String>,
    pub reactants: Vec<(String, f64)>,
    pub products: Vec<(String, f64)>,
    /// The rate law; for a mass-action `k` this is k·Π reactantᵐ.
    pub rate: Expr,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NoiseKind {
    /// y = f + σ·ε
    Gaussian,
    /// y = f·(1 + σ·ε), σ a coefficient of variation
    Proportional,
    /// y = f·exp(σ·ε)
    Lognormal,
    /// y = f·10^(σ·ε): σ on the log₁₀ scale (PEtab's log10 observables)
    Log10normal,
}

impl NoiseKind {
    pub const NAMES: [(NoiseKind, &'static str); 4] = [
        (NoiseKind::Gaussian, "gaussian"),
        (NoiseKind::Proportional, "proportional"),
        (NoiseKind::Lognormal, "lognormal"),
        (NoiseKind::Log10normal, "log10normal"),
    ];

    /// Whether the noise acts on the logarithm of the observable (which must then be positive).
    pub fn is_logarithmic(self) -> bool {
        matches!(self, NoiseKind::Lognormal | NoiseKind::Log10normal)
    }

    pub fn from_name(s: &str) -> Option<NoiseKind> {
        Self::NAMES.iter().find(|(_, n)| *n == s).map(|(k, _)| *k)
    }

    pub fn name(self) -> &'static str {
        Self::NAMES
            .iter()
            .find(|(k, _)| *k == self)
            .map_or("?", |(_, n)| n)
    }
}

/// The standard deviation of an observable's noise.
#[derive(Debug, Clone, PartialEq)]
pub enum Sigma {
    Value(f64),
    /// The name of a parameter (which may be estimated and shared).
    Parameter(String),
}

#[derive(Debug, Clone, PartialEq)]
pub struct Noise {
    pub kind: NoiseKind,
    /// Absent: estimated per observable by the fitting tools.
    pub sigma: Option<Sigma>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Observable {
    pub name: String,
    pub expr: Expr,
    pub units: Option<String>,
    pub noise: Option<Noise>,
}

/// A named experiment: parameter and initial-value overrides.
#[derive(Debug, Clone, PartialEq)]
pub struct Condition {
    pub name: String,
    pub parameters: Vec<(String, f64)>,
    pub initial: Vec<(String, Expr)>,
}

/// How the columns of a dimensionless model convert back to the units of
/// the model it was made from: the `nondim` section that the `nondim` tool
/// writes (docs/nondim.md). A dimensional value is the column times its scale.
#[derive(Debug, Clone, PartialEq)]
pub struct Rescaling {
    /// Column name (`t`, `x`, `y`, a species or an observable) and its
    /// characteristic scale in the original units.
    pub scales: Vec<(String, f64)>,
    /// The dimensional model document, when the section stores it.
    pub dimensional: Option<serde_json::Value>,
}

/// A validated model.
#[derive(Debug, Clone, PartialEq)]
pub struct Model {
    pub name: String,
    pub time: Option<Axis>,
    /// `x`, then `y`, when the model is spatial.
    pub space: Vec<(String, Axis)>,
    /// One entry per space axis, in the order of `space`.
    pub boundary: Vec<AxisBoundary>,
    pub species: Vec<Species>,
    pub parameters: Vec<Parameter>,
    pub reactions: Vec<Reaction>,
    /// Direct right-hand sides, when the model gives `rates` instead of reactions.
    pub rates: Option<Vec<(String, Expr)>>,
    /// Input columns of an algebraic model.
    pub inputs: Vec<String>,
    pub observables: Vec<Observable>,
    pub conditions: Vec<Condition>,
    /// Present when the model is the dimensionless form of another one.
    pub rescaling: Option<Rescaling>,
    /// The model document as written (stored in every table's metadata).
    pub source: serde_json::Value,
}

impl Model {
    /// Reads and validates a model file; errors name the file and the field.
    pub fn from_file(path: &Path) -> Result<Model, Error> {
        let file = path.display().to_string();
        let text = std::fs::read_to_string(path).map_err(|reason| Error::Read {
            file: file.clone(),
            reason,
        })?;
        Model::from_json_str(&text, &file)
    }

    /// Parses and validates a model document; `origin` names it in errors.
    pub fn from_json_str(text: &str, origin: &str) -> Result<Model, Error> {
        crate::document::parse_model(text).map_err(|e| e.in_file(origin))
    }

    pub fn is_algebraic(&self) -> bool {
        self.species.is_empty()
    }

    pub fn is_spatial(&self) -> bool {
        !self.space.is_empty()
    }

    pub fn species_names(&self) -> Vec<&str> {
        self.species.iter().map(|s| s.name.as_str()).collect()
    }

    pub fn parameter_names(&self) -> Vec<&str> {
        self.parameters.iter().map(|p| p.name.as_str()).collect()
    }

    pub fn parameter(&self, name: &str) -> Option<&Parameter> {
        self.parameters.iter().find(|p| p.name == name)
    }

    pub fn condition(&self, name: &str) -> Option<&Condition> {
        self.conditions.iter().find(|c| c.name == name)
    }

    /// Parameter values in declaration order.
    pub fn parameter_values(&self) -> Vec<f64> {
        self.parameters.iter().map(|p| p.value).collect()
    }

    /// Sets a parameter's value (`--set name=value`); errors name the parameter.
    pub fn set_parameter(&mut self, name: &str, value: f64) -> Result<(), Error> {
        let names = self.parameter_names().join(", ");
        let hint = crate::did_you_mean(name, self.parameters.iter().map(|p| p.name.as_str()));
        let p = self
            .parameters
            .iter_mut()
            .find(|p| p.name == name)
            .ok_or_else(|| Error::Usage {
                message: format!("unknown parameter '{name}'{hint}; the model has: {names}"),
            })?;
        if !value.is_finite() {
            return Err(Error::Usage {
                message: format!("parameter '{name}': value {value} is not finite"),
            });
        }
        p.value = value;
        Ok(())
    }

    /// Checks that every estimated parameter's value (its start, after `--set` or a fit) can
    /// start an estimation: inside its bounds, and positive on a log scale. Estimating from
    /// outside would first pull the value in silently, or fail later as NaN.
    pub fn check_estimated_values(&self) -> Result<(), Error> {
        for p in self.parameters.iter().filter(|p| p.estimate) {
            let v = p.value;
            let why = match p.bounds {
                Some([lo, hi]) if !(lo <= v && v <= hi) => {
                    format!("lies outside its bounds [{lo}, {hi}]")
                }
                _ if p.scale == Scale::Log && v <= 0.0 => {
                    "is not positive, but it is estimated on a log scale".to_string()
                }
                _ => continue,
            };
            return Err(Error::Usage {
                message: format!(
                    "parameter '{}' = {v} {why}: an estimate starts from its value (set it inside, or change the bounds or the scale)",
                    p.name
                ),
            });
        }
        Ok(())
    }

    /// The model as it stands in one experiment: the condition's parameter
    /// values and initial expressions replace the model's.
    pub fn under_condition(&self, condition: &Condition) -> Model {
        let mut m = self.clone();
        for (name, value) in &condition.parameters {
            if let Some(p) = m.parameters.iter_mut().find(|p| &p.name == name) {
                p.value = *value;
            }
        }
        for (name, initial) in &condition.initial {
            if let Some(s) = m.species.iter_mut().find(|s| &s.name == name) {
                s.initial = initial.clone();
                s.initial_given = true;
            }
        }
        m
    }

    /// The right-hand side of each species' equation (without diffusion):
    /// the stoichiometric sum of the reaction rates, or the model's `rates`.
    pub fn reaction_terms(&self) -> Vec<Expr> {
        use crate::expr::simplify::{add, mul, sub};
        if let Some(rates) = &self.rates {
            return self
                .species
                .iter()
                .map(|s| {
                    rates
                        .iter()
                        .find(|(n, _)| *n == s.name)
                        .map_or(Expr::Num(0.0), |(_, e)| e.clone())
                })
                .collect();
        }
        self.species
            .iter()
            .map(|s| {
                let mut total = Expr::Num(0.0);
                for r in &self.reactions {
                    let gain: f64 = r
                        .products
                        .iter()
                        .filter(|(n, _)| *n == s.name)
                        .map(|(_, v)| v)
                        .sum();
                    let loss: f64 = r
                        .reactants
                        .iter()
                        .filter(|(n, _)| *n == s.name)
                        .map(|(_, v)| v)
                        .sum();
                    let net = gain - loss;
                    if net > 0.0 {
                        total = add(total, mul(Expr::Num(net), r.rate.clone()));
                    } else if net < 0.0 {
                        total = sub(total, mul(Expr::Num(-net), r.rate.clone()));
                    }
                }
                total
            })
            .collect()
    }

    /// The model document as compact JSON, for table metadata.
    pub fn source_json(&self) -> String {
        self.source.to_string()
    }
}
