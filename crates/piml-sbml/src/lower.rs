//! An SBML model as a piml model document: states with their rates (reactions summed with
//! their stoichiometries, divided by the compartment's size for species counted as
//! concentrations), parameters (global, kinetic-law-local, compartment sizes), rules and
//! function definitions substituted into every formula, initial values as expressions of
//! parameters.

use std::collections::{BTreeMap, BTreeSet};

use serde_json::{Map, Value, json};

use crate::math::{Math, Op};
use crate::sbml::{Initial, RuleKind, Sbml};

/// What went wrong while lowering, with the SBML id it concerns; the caller adds the file.
#[derive(Debug)]
pub(crate) struct Problem {
    pub id: String,
    pub why: String,
    /// Valid SBML that piml does not simulate (rather than a broken file).
    pub unsupported: bool,
}

fn problem(id: &str, why: impl Into<String>) -> Problem {
    Problem {
        id: id.to_string(),
        why: why.into(),
        unsupported: false,
    }
}

/// Names piml gives a meaning of its own: they are renamed with a trailing `_`.
const RESERVED: [&str; 6] = ["t", "x", "y", "condition", "sample", "replicate"];

/// How deep substitutions may nest before a cycle is assumed (rules referring to each other).
const MAX_DEPTH: usize = 64;

/// The model document and the piml name of every SBML id that had to be renamed.
#[derive(Debug)]
pub struct Lowered {
    pub document: Value,
    pub renamed: Vec<(String, String)>,
    /// Ids a rule (or a constant's initial assignment) defines, with their formulas in piml
    /// names of states and parameters: what an observable that names them means.
    pub rules: Vec<(String, String)>,
    /// Times (formulas of parameters) at which a rate switches, such as the end of a
    /// stimulus: a solver should stop and restart there.
    pub switches: Vec<String>,
}

pub(crate) fn lower(sbml: &Sbml, file: &str) -> Result<Lowered, Problem> {
    let names = Names::new(sbml);
    let expand = |id: &str, m: &Math| -> Result<Math, Problem> {
        m.expand(&|f| sbml.functions.get(f).cloned())
            .map_err(|why| problem(id, why))
    };
    // Formulas that stand for an id everywhere: assignment rules, and initial assignments of
    // parameters and compartments (constants whose value is a formula).
    let mut defined: BTreeMap<&str, Math> = BTreeMap::new();
    for rule in sbml.rules.iter().filter(|r| r.kind == RuleKind::Assignment) {
        defined.insert(&rule.variable, expand(&rule.variable, &rule.math)?);
    }
    // States (species, and anything a rate rule changes) start from their initial
    // assignments instead.
    let is_state = |id: &str| {
        sbml.species.iter().any(|s| s.id == id)
            || sbml
                .rules
                .iter()
                .any(|r| r.kind == RuleKind::Rate && r.variable == id)
    };
    for (id, math) in &sbml.initial_assignments {
        if !is_state(id) && !defined.contains_key(id.as_str()) {
            defined.insert(id, expand(id, math)?);
        }
    }
    let rate_rules: BTreeMap<&str, Math> = sbml
        .rules
        .iter()
        .filter(|r| r.kind == RuleKind::Rate)
        .map(|r| Ok((r.variable.as_str(), expand(&r.variable, &r.math)?)))
        .collect::<Result<_, Problem>>()?;
    for c in &sbml.compartments {
        if rate_rules.contains_key(c.id.as_str())
            || (defined.contains_key(c.id.as_str())
                && sbml.rules.iter().any(|r| r.variable == c.id))
        {
            return Err(Problem {
                unsupported: true,
                ..problem(
                    &c.id,
                    "a compartment whose size changes in time is not supported",
                )
            });
        }
    }
    let known: BTreeSet<&str> = sbml.global_ids().collect();
    for s in &sbml.species {
        if !sbml.compartments.iter().any(|c| c.id == s.compartment) {
            return Err(problem(
                &s.id,
                format!("compartment '{}' is not defined", s.compartment),
            ));
        }
    }
    for (id, m) in defined.iter().chain(&rate_rules) {
        if !known.contains(id) {
            return Err(problem(
                id,
                format!("a rule for '{id}', which no element defines"),
            ));
        }
        check_defined(id, m, &known, &[])?;
    }
    for (id, m) in &sbml.initial_assignments {
        if !known.contains(id.as_str()) {
            return Err(problem(
                id,
                format!("an initial assignment to '{id}', which no element defines"),
            ));
        }
        check_defined(id, &expand(id, m)?, &known, &[])?;
    }
    let resolve = |id: &str, m: &Math| resolve(id, m, &defined, 0);

    // Kinetic laws with their local parameters renamed apart.
    let mut rates: BTreeMap<&str, Vec<Math>> = BTreeMap::new();
    for r in &sbml.reactions {
        let local = |id: &str| {
            r.locals
                .iter()
                .any(|(l, _)| l == id)
                .then(|| Math::Id(names.local(&r.id, id)))
        };
        let law = expand(&r.id, &r.law)?;
        let locals: Vec<&str> = r.locals.iter().map(|(l, _)| l.as_str()).collect();
        check_defined(&r.id, &law, &known, &locals)?;
        let law = resolve(&r.id, &law.substitute(&local))?;
        let net = net_stoichiometry(&r.reactants, &r.products);
        for (species, nu) in net {
            let s = sbml
                .species
                .iter()
                .find(|s| s.id == species)
                .ok_or_else(|| problem(&r.id, format!("unknown species '{species}'")))?;
            if s.boundary || s.constant {
                continue;
            }
            let flux = match nu {
                1.0 => law.clone(),
                -1.0 => Math::Op(Op::Minus, vec![law.clone()]),
                _ => Math::Op(Op::Times, vec![Math::Num(nu), law.clone()]),
            };
            let per_volume = if s.only_substance {
                flux
            } else {
                Math::Op(Op::Divide, vec![flux, Math::Id(s.compartment.clone())])
            };
            rates.entry(&s.id).or_default().push(per_volume);
        }
    }

    // States: species not set by an assignment rule, and parameters with rate rules.
    let mut species = Map::new();
    let mut switches: Vec<Math> = Vec::new();
    let mut rendered_rates = Map::new();
    let initial = Initials {
        sbml,
        defined: &defined,
    };
    let render = |m: &Math| m.render(&|id| names.get(id));
    for s in sbml
        .species
        .iter()
        .filter(|s| !defined.contains_key(s.id.as_str()))
    {
        let rate = match rate_rules.get(s.id.as_str()) {
            Some(rule) => {
                if rates.contains_key(s.id.as_str()) {
                    return Err(problem(
                        &s.id,
                        "changed both by reactions and by a rate rule",
                    ));
                }
                resolve(&s.id, rule)?
            }
            None => Math::Op(Op::Plus, rates.remove(s.id.as_str()).unwrap_or_default()),
        };
        rate.time_switches(&mut switches);
        rendered_rates.insert(names.get(&s.id), Value::from(render(&rate)));
        let mut entry = Map::new();
        entry.insert(
            "initial".into(),
            value_or_text(&initial.of(&s.id, 0)?, &render),
        );
        if let Some(name) = s.name.as_ref().filter(|n| **n != s.id) {
            entry.insert("description".into(), Value::from(name.clone()));
        }
        if let Some(units) = &s.units {
            entry.insert("units".into(), Value::from(units.clone()));
        }
        species.insert(names.get(&s.id), Value::Object(entry));
    }
    let mut parameters = Map::new();
    let mut parameter = |id: &str, value: f64, description: Option<&str>, units: Option<&str>| {
        let mut entry = Map::new();
        entry.insert("value".into(), json!(value));
        if let Some(d) = description {
            entry.insert("description".into(), Value::from(d));
        }
        if let Some(u) = units {
            entry.insert("units".into(), Value::from(u));
        }
        parameters.insert(names.get(id), Value::Object(entry));
    };
    for p in &sbml.parameters {
        if let Some(rule) = rate_rules.get(p.id.as_str()) {
            let rate = resolve(&p.id, rule)?;
            rate.time_switches(&mut switches);
            rendered_rates.insert(names.get(&p.id), Value::from(render(&rate)));
            species.insert(
                names.get(&p.id),
                json!({"initial": value_or_text(&initial.of(&p.id, 0)?, &render)}),
            );
        } else if !defined.contains_key(p.id.as_str()) {
            let value = p
                .value
                .ok_or_else(|| problem(&p.id, "a parameter with neither a value nor a rule"))?;
            parameter(
                &p.id,
                value,
                p.name.as_deref().filter(|n| *n != p.id),
                p.units.as_deref(),
            );
        }
    }
    for c in &sbml.compartments {
        if !defined.contains_key(c.id.as_str()) {
            // Level 2 gives a 3-D compartment without a size the size 1.
            parameter(
                &c.id,
                c.size.unwrap_or(1.0),
                Some("compartment size"),
                c.units.as_deref(),
            );
        }
    }
    for r in &sbml.reactions {
        for (id, value) in &r.locals {
            parameter(
                &names.local(&r.id, id),
                *value,
                Some(&format!("local parameter of reaction {}", r.id)),
                None,
            );
        }
    }
    let mut document = Map::new();
    document.insert("name".into(), Value::from(sbml.id.clone()));
    document.insert(
        "description".into(),
        Value::from(format!(
            "Imported from SBML {file}{}",
            sbml.name
                .as_ref()
                .map_or(String::new(), |n| format!(" (model '{n}')"))
        )),
    );
    if let Some(units) = &sbml.time_units {
        document.insert("time".into(), json!({ "units": units }));
    }
    document.insert("species".into(), Value::Object(species));
    document.insert("parameters".into(), Value::Object(parameters));
    document.insert("rates".into(), Value::Object(rendered_rates));
    let rules = defined
        .iter()
        .map(|(id, m)| {
            let m = resolve(id, m)?;
            m.time_switches(&mut switches);
            Ok((id.to_string(), render(&m)))
        })
        .collect::<Result<_, Problem>>()?;
    let mut switches: Vec<String> = switches.iter().map(render).collect();
    switches.sort();
    switches.dedup();
    Ok(Lowered {
        document: Value::Object(document),
        renamed: names.renamed(),
        rules,
        switches,
    })
}

/// Refuses a formula that uses an id no element defines (`locals` are the reaction's own).
fn check_defined(
    owner: &str,
    m: &Math,
    known: &BTreeSet<&str>,
    locals: &[&str],
) -> Result<(), Problem> {
    let mut used = Vec::new();
    m.ids(&mut used);
    match used
        .into_iter()
        .find(|id| !known.contains(id) && !locals.contains(id))
    {
        Some(id) => Err(problem(
            owner,
            format!("uses '{id}', which no element of the model defines"),
        )),
        None => Ok(()),
    }
}

/// Net stoichiometry per species: products count positive, reactants negative.
fn net_stoichiometry(
    reactants: &[(String, f64)],
    products: &[(String, f64)],
) -> Vec<(String, f64)> {
    let mut net: Vec<(String, f64)> = Vec::new();
    let terms = reactants
        .iter()
        .map(|(s, n)| (s, -n))
        .chain(products.iter().map(|(s, n)| (s, *n)));
    for (s, n) in terms {
        match net.iter_mut().find(|(id, _)| id == s) {
            Some((_, total)) => *total += n,
            None => net.push((s.clone(), n)),
        }
    }
    net.retain(|(_, n)| *n != 0.0);
    net
}

/// Substitutes `defined` formulas for their ids until none is left.
fn resolve(
    owner: &str,
    m: &Math,
    defined: &BTreeMap<&str, Math>,
    depth: usize,
) -> Result<Math, Problem> {
    let mut used = Vec::new();
    m.ids(&mut used);
    if !used.iter().any(|id| defined.contains_key(id)) {
        return Ok(m.clone());
    }
    if depth > MAX_DEPTH {
        return Err(problem(
            owner,
            "rules refer to each other in a cycle (or nest deeper than 64)",
        ));
    }
    let once = m.substitute(&|id| defined.get(id).cloned());
    resolve(owner, &once, defined, depth + 1)
}

/// Initial values as formulas of parameters: initial assignments, else the attributes
/// (converted between amount and concentration by the compartment's size), with the initial
/// values of the states they mention substituted in.
struct Initials<'a> {
    sbml: &'a Sbml,
    defined: &'a BTreeMap<&'a str, Math>,
}

impl Initials<'_> {
    fn of(&self, id: &str, depth: usize) -> Result<Math, Problem> {
        if depth > MAX_DEPTH {
            return Err(problem(id, "initial values refer to each other in a cycle"));
        }
        let assigned = self
            .sbml
            .initial_assignments
            .iter()
            .find(|(s, _)| s == id)
            .map(|(_, m)| m.clone());
        let own = match assigned {
            Some(m) => m
                .expand(&|f| self.sbml.functions.get(f).cloned())
                .map_err(|why| problem(id, why))?,
            None => self.attribute(id)?,
        };
        self.states_at_start(id, &own.at_time(0.0), depth)
    }

    fn attribute(&self, id: &str) -> Result<Math, Problem> {
        if let Some(p) = self.sbml.parameters.iter().find(|p| p.id == id) {
            return p
                .value
                .map(Math::Num)
                .ok_or_else(|| problem(id, "a rate-rule parameter without a value"));
        }
        let s = self
            .sbml
            .species
            .iter()
            .find(|s| s.id == id)
            .ok_or_else(|| problem(id, "no initial value"))?;
        let size = Math::Id(s.compartment.clone());
        Ok(match (s.initial, s.only_substance) {
            (Some(Initial::Concentration(c)), false) | (Some(Initial::Amount(c)), true) => {
                Math::Num(c)
            }
            (Some(Initial::Amount(a)), false) => Math::Op(Op::Divide, vec![Math::Num(a), size]),
            (Some(Initial::Concentration(c)), true) => {
                Math::Op(Op::Times, vec![Math::Num(c), size])
            }
            (None, _) => {
                return Err(problem(
                    id,
                    "a species without an initial value (no initialConcentration, initialAmount or initialAssignment)",
                ));
            }
        })
    }

    /// Replaces states and rule-defined ids in an initial formula by their values at the start.
    fn states_at_start(&self, owner: &str, m: &Math, depth: usize) -> Result<Math, Problem> {
        if depth > MAX_DEPTH {
            return Err(problem(
                owner,
                "initial values refer to each other in a cycle",
            ));
        }
        let mut used = Vec::new();
        m.ids(&mut used);
        let states: BTreeSet<&str> = used
            .into_iter()
            .filter(|id| self.is_state(id) || self.defined.contains_key(id))
            .collect();
        if states.is_empty() {
            return Ok(m.clone());
        }
        let values: BTreeMap<&str, Math> = states
            .into_iter()
            .map(|id| {
                let value = match self.defined.get(id) {
                    Some(rule) => self.states_at_start(owner, &rule.at_time(0.0), depth + 1)?,
                    None => self.of(id, depth + 1)?,
                };
                Ok((id, value))
            })
            .collect::<Result<_, Problem>>()?;
        Ok(m.substitute(&|id| values.get(id).cloned()))
    }

    fn is_state(&self, id: &str) -> bool {
        let rate_rule = |id: &str| {
            self.sbml
                .rules
                .iter()
                .any(|r| r.kind == RuleKind::Rate && r.variable == id)
        };
        (self.sbml.species.iter().any(|s| s.id == id) && !self.defined.contains_key(id))
            || (self.sbml.parameters.iter().any(|p| p.id == id) && rate_rule(id))
    }
}

/// A number as a JSON number, a formula as its text.
fn value_or_text(m: &Math, render: &impl Fn(&Math) -> String) -> Value {
    match m {
        Math::Num(v) => json!(v),
        _ => Value::from(render(m)),
    }
}

/// piml names for SBML ids: the same where allowed, else with a trailing `_` until unique;
/// kinetic-law-local parameters become `<reaction>_<parameter>`.
struct Names {
    map: BTreeMap<String, String>,
    locals: BTreeMap<(String, String), String>,
}

impl Names {
    fn new(sbml: &Sbml) -> Names {
        let ids: Vec<&str> = sbml.global_ids().collect();
        let mut taken: BTreeSet<String> = ids.iter().map(|id| id.to_string()).collect();
        let mut fresh = |base: String| {
            let mut name = base;
            while taken.contains(&name) || Names::reserved(&name) {
                name.push('_');
            }
            taken.insert(name.clone());
            name
        };
        let map = ids
            .iter()
            .map(|&id| {
                let name = if Names::reserved(id) {
                    fresh(id.to_string())
                } else {
                    id.to_string()
                };
                (id.to_string(), name)
            })
            .collect();
        let locals = sbml
            .reactions
            .iter()
            .flat_map(|r| r.locals.iter().map(move |(l, _)| (r.id.clone(), l.clone())))
            .map(|(r, l)| {
                let name = fresh(format!("{r}_{l}"));
                ((r, l), name)
            })
            .collect();
        Names { map, locals }
    }

    fn reserved(name: &str) -> bool {
        RESERVED.contains(&name) || piml_model::expr::Func::from_name(name).is_some()
    }

    /// The piml name of a kinetic-law-local parameter.
    fn local(&self, reaction: &str, local: &str) -> String {
        self.locals[&(reaction.to_string(), local.to_string())].clone()
    }

    /// The piml name of an SBML id (a local parameter's name maps to itself).
    fn get(&self, id: &str) -> String {
        self.map.get(id).cloned().unwrap_or_else(|| id.to_string())
    }

    fn renamed(&self) -> Vec<(String, String)> {
        self.map
            .iter()
            .filter(|(id, name)| id != name)
            .map(|(id, name)| (id.clone(), name.clone()))
            .collect()
    }
}
