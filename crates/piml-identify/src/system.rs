//! The structural question asked of a model: which quantities are unknown,
//! what is measured, and the model's equations lowered to programs over Z/pZ.
//!
//! Unknowns are the parameters marked `estimate` (all parameters when none
//! is marked), except those that only set an observable's noise, and the
//! initial values nobody knows:
//! - an initial value written with estimated parameters (`"initial": "S0"`)
//!   is an expression of those unknowns;
//! - one written with known parameters only is known, at its value;
//! - a number is unknown (the convention of SIAN and
//!   StructuralIdentifiability.jl) unless `known_initial` names the species,
//!   in which case it is known at that number — 0 for a product that starts
//!   absent is a fact of the experiment, and it can change the answer.

use piml_model::{Expr, Model, Sigma, did_you_mean};

use crate::error::Error;
use crate::field::Fp;
use crate::lift::lift_exponentials;
use crate::program::{NotRational, Program, Symbol};

/// What is measured and what is known besides the model's own markings.
#[derive(Debug, Clone, Default)]
pub struct Question {
    /// Observables (or species) that are measured; empty: every observable of the model.
    pub outputs: Vec<String>,
    /// Species whose initial values are known, at the model's value; `all` for every species.
    pub known_initial: Vec<String>,
}

/// What kind of quantity an unknown is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum UnknownKind {
    Parameter,
    /// The initial value of a species, written `S(0)`.
    InitialValue {
        species: String,
    },
}

/// A quantity the test asks about.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Unknown {
    pub name: String,
    pub kind: UnknownKind,
}

/// How a species' initial value enters the test.
#[derive(Debug, Clone, PartialEq)]
pub enum Initial {
    /// An unknown of its own, `S(0)`.
    Unknown,
    /// Known, at this value (as the model writes it).
    Known(Expr),
    /// An expression of estimated parameters.
    Parametrised(Expr),
}

/// A model's structural question, ready for evaluation at random points.
#[derive(Debug, Clone)]
pub struct System {
    pub model: String,
    pub species: Vec<String>,
    pub unknowns: Vec<Unknown>,
    pub outputs: Vec<String>,
    /// Each species' initial value, in species order.
    pub initial: Vec<Initial>,
    /// Estimated parameters left out because they only set an observable's noise.
    pub noise_parameters: Vec<String>,
    /// States added for exponentials of varying quantities, and what each stands for.
    pub lifted: Vec<(String, String)>,
    /// f for every species (jet coordinates: species, then `theta`), then the outputs.
    pub(crate) rhs: Program,
    /// Each species' initial value as a function of the unknowns.
    pub(crate) initial_program: Program,
    /// The unknown (index) of each parameter jet coordinate `species.len() + r`.
    pub(crate) theta: Vec<usize>,
    /// Start of the time span, where the series are expanded.
    pub(crate) t0: Fp,
    pub(crate) uses_time: bool,
}

fn not_rational(place: String) -> impl FnOnce(NotRational) -> Error {
    move |NotRational(reason)| Error::NotRational { place, reason }
}

impl System {
    /// Sets up the structural question; errors name the flag or the model field.
    pub fn new(model: &Model, question: &Question) -> Result<System, Error> {
        if model.is_spatial() {
            return Err(Error::Input(format!(
                "model '{}' is spatial: the structural test takes kinetic (ODE) models",
                model.name
            )));
        }
        if model.is_algebraic() {
            return Err(Error::Input(format!(
                "model '{}' has no species: the structural test needs kinetic equations \
                 (an algebraic model's observables are explicit functions of its inputs)",
                model.name
            )));
        }
        let mut species: Vec<String> = model.species.iter().map(|s| s.name.clone()).collect();
        let mut outputs = choose_outputs(model, &question.outputs)?;
        let known_initial = known_species(model, &question.known_initial)?;

        let mut f = model.reaction_terms();
        let (estimated, noise_only) = estimated_parameters(model);
        let noise_parameters: Vec<String> = noise_only
            .iter()
            .map(|&j| model.parameters[j].name.clone())
            .collect();
        let mut unknowns: Vec<Unknown> = estimated
            .iter()
            .map(|&j| Unknown {
                name: model.parameters[j].name.clone(),
                kind: UnknownKind::Parameter,
            })
            .collect();
        let is_unknown_parameter = |name: &str| unknowns.iter().any(|u| u.name == name);
        let t0 = model
            .time
            .as_ref()
            .and_then(|t| t.span)
            .map_or(0.0, |s| s[0]);
        let mut initial_values: Vec<Expr> =
            model.species.iter().map(|s| s.initial.clone()).collect();
        let lifted = lift_exponentials(
            &mut species,
            &mut initial_values,
            &mut f,
            &mut outputs,
            &|name| model.parameter(name).is_some(),
            &|name| name == "t" || is_unknown_parameter(name),
            t0,
        );

        let mut initial = Vec::new();
        for (s, known) in model.species.iter().zip(&known_initial) {
            let estimated: Vec<String> = s
                .initial
                .symbols()
                .into_iter()
                .filter(|n| is_unknown_parameter(n))
                .collect();
            initial.push(match (known, estimated.is_empty()) {
                (true, false) => {
                    return Err(Error::Input(format!(
                        "--known-initial {}: its initial value '{}' depends on the estimated \
                         parameter '{}'; mark that parameter as not estimated, or do not name {} here",
                        s.name, s.initial, estimated[0], s.name
                    )));
                }
                (_, false) => Initial::Parametrised(s.initial.clone()),
                (true, true) => Initial::Known(s.initial.clone()),
                // Known parameters make a known value; a bare number is unknown unless named.
                (false, true) if !s.initial.symbols().is_empty() => {
                    Initial::Known(s.initial.clone())
                }
                (false, true) => Initial::Unknown,
            });
        }
        // A lifted exponential starts at exp(u(t₀)): known, or (when u(t₀) holds unknowns, which
        // the exact test cannot raise to a power) an unknown of its own.
        for l in &lifted {
            let unknown = l.initial.symbols().iter().any(|s| is_unknown_parameter(s));
            initial.push(if unknown {
                Initial::Unknown
            } else {
                Initial::Known(l.initial.clone())
            });
        }
        for (s, init) in species.iter().zip(&initial) {
            if *init == Initial::Unknown {
                unknowns.push(Unknown {
                    name: format!("{s}(0)"),
                    kind: UnknownKind::InitialValue { species: s.clone() },
                });
            }
        }

        let n = species.len();
        let unknown_index = |name: &str| unknowns.iter().position(|u| u.name == name);
        let theta: Vec<usize> = unknowns
            .iter()
            .enumerate()
            .filter(|(_, u)| {
                u.kind == UnknownKind::Parameter
                    && f.iter()
                        .chain(outputs.iter().map(|(_, e)| e))
                        .any(|e| e.mentions(&u.name))
            })
            .map(|(j, _)| j)
            .collect();
        let known_value = |name: &str| model.parameter(name).map(|p| p.value);
        let resolve_rhs = |name: &str| {
            if name == "t" {
                return Symbol::Time;
            }
            if let Some(i) = species.iter().position(|s| s == name) {
                return Symbol::State(i);
            }
            match unknown_index(name).and_then(|j| theta.iter().position(|&k| k == j)) {
                Some(r) => Symbol::Var(n + r),
                None => Symbol::Known(known_value(name).unwrap_or(f64::NAN)),
            }
        };

        let mut rhs = Program::new();
        for (i, fi) in f.iter().enumerate() {
            let place = if i < model.species.len() {
                rate_field(model, i, &resolve_rhs)
            } else {
                format!("the rate of {} (an exponential made a state)", species[i])
            };
            let node = rhs.lower(fi, &resolve_rhs).map_err(not_rational(place))?;
            rhs.push_output(node);
        }
        for (name, e) in &outputs {
            let place = if model.observables.iter().any(|o| &o.name == name) {
                format!("observables.{name}.expr")
            } else {
                format!("--outputs {name}")
            };
            let node = rhs.lower(e, &resolve_rhs).map_err(not_rational(place))?;
            rhs.push_output(node);
        }

        let resolve_initial = |name: &str| match unknown_index(name) {
            Some(j) => Symbol::Var(j),
            None => Symbol::Known(known_value(name).unwrap_or(f64::NAN)),
        };
        let mut initial_program = Program::new();
        for (s, init) in species.iter().zip(&initial) {
            let node = match init {
                Initial::Unknown => {
                    let j = unknown_index(&format!("{s}(0)")).unwrap_or(0);
                    initial_program.leaf(crate::program::Op::Var(j))
                }
                Initial::Known(e) | Initial::Parametrised(e) => initial_program
                    .lower(e, &resolve_initial)
                    .map_err(not_rational(format!("species.{s}.initial")))?,
            };
            initial_program.push_output(node);
        }

        let uses_time = f
            .iter()
            .chain(outputs.iter().map(|(_, e)| e))
            .any(|e| e.mentions("t"));
        Ok(System {
            model: model.name.clone(),
            species,
            unknowns,
            outputs: outputs.into_iter().map(|(name, _)| name).collect(),
            initial,
            noise_parameters,
            lifted: lifted
                .iter()
                .map(|l| (l.name.clone(), l.stands_for.to_string()))
                .collect(),
            rhs,
            initial_program,
            theta,
            t0: Fp::from_f64(t0).unwrap_or(Fp::ZERO),
            uses_time,
        })
    }

    pub fn n_species(&self) -> usize {
        self.species.len()
    }

    /// Jet coordinates of the equations: the species, then the parameters in them.
    pub(crate) fn n_coordinates(&self) -> usize {
        self.species.len() + self.theta.len()
    }
}

/// The parameters in question: those marked `estimate` (every parameter
/// when none is), as indices into the model's parameters — first those that
/// enter the equations, observables or initial values, then those that only
/// set an observable's noise (which say nothing about the dynamics).
pub fn estimated_parameters(model: &Model) -> (Vec<usize>, Vec<usize>) {
    let f = model.reaction_terms();
    let marked = model.parameters.iter().any(|p| p.estimate);
    let (mut estimated, mut noise_only) = (Vec::new(), Vec::new());
    for (j, p) in model.parameters.iter().enumerate() {
        if marked && !p.estimate {
            continue;
        }
        let in_equations = f
            .iter()
            .chain(model.observables.iter().map(|o| &o.expr))
            .chain(model.species.iter().map(|s| &s.initial))
            .any(|e| e.mentions(&p.name));
        let sets_noise = model.observables.iter().any(|o| {
            o.noise
                .as_ref()
                .is_some_and(|n| n.sigma == Some(Sigma::Parameter(p.name.clone())))
        });
        if sets_noise && !in_equations {
            noise_only.push(j);
        } else {
            estimated.push(j);
        }
    }
    (estimated, noise_only)
}

/// The field that holds species `i`'s equation: `rates.S`, or the first
/// reaction whose rate law the test cannot take.
fn rate_field(model: &Model, i: usize, resolve: &dyn Fn(&str) -> Symbol) -> String {
    if model.rates.is_some() {
        return format!("rates.{}", model.species[i].name);
    }
    let species = &model.species[i].name;
    model
        .reactions
        .iter()
        .enumerate()
        .find(|(_, r)| {
            let involved = r
                .reactants
                .iter()
                .chain(&r.products)
                .any(|(s, _)| s == species);
            involved && Program::new().lower(&r.rate, resolve).is_err()
        })
        .map_or_else(
            || format!("the equation of species '{species}'"),
            |(j, _)| format!("reactions[{j}].rate"),
        )
}

/// The measured outputs: names of observables or species, as expressions.
fn choose_outputs(model: &Model, names: &[String]) -> Result<Vec<(String, Expr)>, Error> {
    if names.is_empty() {
        return Ok(model
            .observables
            .iter()
            .map(|o| (o.name.clone(), o.expr.clone()))
            .collect());
    }
    let mut out: Vec<(String, Expr)> = Vec::new();
    for name in names {
        if out.iter().any(|(n, _)| n == name) {
            return Err(Error::Input(format!("--outputs: '{name}' is named twice")));
        }
        let expr = if let Some(o) = model.observables.iter().find(|o| &o.name == name) {
            o.expr.clone()
        } else if model.species.iter().any(|s| &s.name == name) {
            Expr::var(name)
        } else {
            let candidates = model
                .observables
                .iter()
                .map(|o| o.name.as_str())
                .chain(model.species.iter().map(|s| s.name.as_str()));
            let candidates: Vec<&str> = candidates.collect();
            let hint = did_you_mean(name, candidates.iter().copied());
            let mut listed: Vec<&str> = Vec::new();
            for c in candidates {
                if !listed.contains(&c) {
                    listed.push(c);
                }
            }
            return Err(Error::Input(format!(
                "--outputs: unknown output '{name}'{hint}; the model's observables and species are: {}",
                listed.join(", ")
            )));
        };
        out.push((name.clone(), expr));
    }
    Ok(out)
}

/// Per species, whether `--known-initial` names it.
fn known_species(model: &Model, names: &[String]) -> Result<Vec<bool>, Error> {
    let mut known = vec![false; model.species.len()];
    for name in names {
        if name == "all" {
            known.fill(true);
            continue;
        }
        let Some(i) = model.species.iter().position(|s| &s.name == name) else {
            let hint = did_you_mean(name, model.species.iter().map(|s| s.name.as_str()));
            return Err(Error::Input(format!(
                "--known-initial: unknown species '{name}'{hint}; the model's species are: {}",
                model.species_names().join(", ")
            )));
        };
        known[i] = true;
    }
    Ok(known)
}
