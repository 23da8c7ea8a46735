//! The parts of an SBML model piml simulates, read from the XML tree. Constructs piml does not
//! simulate are refused here, naming the element and its id.

use std::collections::BTreeMap;

use roxmltree::Node;

use crate::error::Error;
use crate::math::{Lambda, Math};
use crate::units;
use crate::xml::{Source, child, elements, list};

#[derive(Debug)]
pub(crate) struct Compartment {
    pub id: String,
    pub size: Option<f64>,
    /// Its size's units (piml's unit string), when the model says and piml can write them.
    pub units: Option<String>,
}

/// How a species' initial value is given in its attributes.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Initial {
    Concentration(f64),
    Amount(f64),
}

#[derive(Debug)]
pub(crate) struct Species {
    pub id: String,
    pub name: Option<String>,
    pub compartment: String,
    pub initial: Option<Initial>,
    /// The species' symbol is its amount, not its concentration.
    pub only_substance: bool,
    /// Reactions do not change it (set by rules or constant).
    pub boundary: bool,
    pub constant: bool,
    /// Units of the species' symbol: its substance, or substance per its compartment's size.
    pub units: Option<String>,
}

#[derive(Debug)]
pub(crate) struct Parameter {
    pub id: String,
    pub name: Option<String>,
    pub value: Option<f64>,
    pub units: Option<String>,
}

#[derive(Debug)]
pub(crate) struct Reaction {
    pub id: String,
    /// (species, stoichiometry): reactants then products.
    pub reactants: Vec<(String, f64)>,
    pub products: Vec<(String, f64)>,
    pub law: Math,
    /// Kinetic-law-local parameters: (id, value).
    pub locals: Vec<(String, f64)>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum RuleKind {
    Assignment,
    Rate,
}

#[derive(Debug)]
pub(crate) struct Rule {
    pub variable: String,
    pub kind: RuleKind,
    pub math: Math,
}

#[derive(Debug)]
pub(crate) struct Sbml {
    pub id: String,
    pub name: Option<String>,
    /// The model's time units (piml's unit string).
    pub time_units: Option<String>,
    pub functions: BTreeMap<String, Lambda>,
    pub compartments: Vec<Compartment>,
    pub species: Vec<Species>,
    pub parameters: Vec<Parameter>,
    pub initial_assignments: Vec<(String, Math)>,
    pub rules: Vec<Rule>,
    pub reactions: Vec<Reaction>,
}

/// The levels and versions whose core piml reads.
const SUPPORTED: [(u32, u32); 4] = [(2, 3), (2, 4), (3, 1), (3, 2)];

impl Sbml {
    /// The ids formulas may use: compartments, species, parameters.
    pub fn global_ids(&self) -> impl Iterator<Item = &str> {
        self.compartments
            .iter()
            .map(|c| c.id.as_str())
            .chain(self.species.iter().map(|s| s.id.as_str()))
            .chain(self.parameters.iter().map(|p| p.id.as_str()))
    }

    pub fn read(src: &Source) -> Result<Sbml, Error> {
        let root = src.doc.root_element();
        if root.tag_name().name() != "sbml" {
            return Err(src.invalid(
                root,
                "not an SBML document (the root element is not <sbml>)",
            ));
        }
        let level = src.number(root, "level")?.unwrap_or(0.0) as u32;
        let version = src.number(root, "version")?.unwrap_or(0.0) as u32;
        if !SUPPORTED.contains(&(level, version)) {
            return Err(src.unsupported(
                root,
                format!("SBML Level {level} Version {version}: piml reads Level 2 Versions 3–4 and Level 3 Versions 1–2"),
            ));
        }
        let model = child(root, "model").ok_or_else(|| src.invalid(root, "no <model>"))?;
        refuse_unsupported(src, model)?;
        let math_of = |node: Node| -> Result<Math, Error> {
            let math = child(node, "math").ok_or_else(|| src.invalid(node, "no <math>"))?;
            Math::from_math(src, math)
        };
        let functions = list(model, "listOfFunctionDefinitions", "functionDefinition")
            .map(|f| {
                let id = src.attribute(f, "id")?.to_string();
                let math = child(f, "math").ok_or_else(|| src.invalid(f, "no <math>"))?;
                let lambda = child(math, "lambda").ok_or_else(|| src.invalid(f, "no <lambda>"))?;
                Ok((id, Math::lambda(src, lambda)?))
            })
            .collect::<Result<_, Error>>()?;
        let defined = units::definitions(src, model)?;
        let unit = |reference: Option<&str>| reference.and_then(|r| units::resolve(&defined, r));
        // Level 2's built-in units are the defaults a unit definition of the same id replaces;
        // Level 3 names its defaults on <model>.
        let default = |l3: &str, l2: &str| {
            if level == 2 {
                units::resolve(&defined, l2)
            } else {
                unit(model.attribute(l3))
            }
        };
        let time_units = default("timeUnits", "time").or_else(|| (level == 2).then(|| "s".into()));
        let substance_units =
            default("substanceUnits", "substance").or_else(|| (level == 2).then(|| "mol".into()));
        let volume_units =
            default("volumeUnits", "volume").or_else(|| (level == 2).then(|| "L".into()));
        let compartments: Vec<Compartment> = list(model, "listOfCompartments", "compartment")
            .map(|c| {
                let three_d = src.number(c, "spatialDimensions")?.is_none_or(|d| d == 3.0);
                Ok(Compartment {
                    units: match c.attribute("units") {
                        Some(r) => unit(Some(r)),
                        None => volume_units.clone().filter(|_| three_d),
                    },
                    id: src.attribute(c, "id")?.to_string(),
                    // Level 2's `volume` is Level 1's name for the size.
                    size: match src.number(c, "size")? {
                        Some(s) => Some(s),
                        None => src.number(c, "volume")?,
                    },
                })
            })
            .collect::<Result<_, Error>>()?;
        let species = list(model, "listOfSpecies", "species")
            .map(|s| {
                let initial = match (
                    src.number(s, "initialConcentration")?,
                    src.number(s, "initialAmount")?,
                ) {
                    (Some(c), None) => Some(Initial::Concentration(c)),
                    (None, Some(a)) => Some(Initial::Amount(a)),
                    (None, None) => None,
                    (Some(_), Some(_)) => {
                        return Err(
                            src.invalid(s, "both initialConcentration and initialAmount are given")
                        );
                    }
                };
                let only_substance = src.flag(s, "hasOnlySubstanceUnits", false)?;
                let substance = match s.attribute("substanceUnits") {
                    Some(r) => unit(Some(r)),
                    None => substance_units.clone(),
                };
                let volume = compartments
                    .iter()
                    .find(|c| Some(c.id.as_str()) == s.attribute("compartment"))
                    .and_then(|c| c.units.clone());
                let units = match (substance, only_substance) {
                    (Some(substance), true) => Some(substance),
                    (Some(substance), false) => volume.and_then(|v| units::per(&substance, &v)),
                    (None, _) => None,
                };
                Ok(Species {
                    id: src.attribute(s, "id")?.to_string(),
                    units,
                    name: s.attribute("name").map(str::to_string),
                    compartment: src.attribute(s, "compartment")?.to_string(),
                    initial,
                    only_substance,
                    boundary: src.flag(s, "boundaryCondition", false)?,
                    constant: src.flag(s, "constant", false)?,
                })
            })
            .collect::<Result<_, Error>>()?;
        let parameters = list(model, "listOfParameters", "parameter")
            .map(|p| {
                Ok(Parameter {
                    id: src.attribute(p, "id")?.to_string(),
                    name: p.attribute("name").map(str::to_string),
                    value: src.number(p, "value")?,
                    units: unit(p.attribute("units")),
                })
            })
            .collect::<Result<_, Error>>()?;
        let initial_assignments = list(model, "listOfInitialAssignments", "initialAssignment")
            .map(|a| Ok((src.attribute(a, "symbol")?.to_string(), math_of(a)?)))
            .collect::<Result<_, Error>>()?;
        let rules = child(model, "listOfRules")
            .into_iter()
            .flat_map(elements)
            .map(|r| {
                let kind = match r.tag_name().name() {
                    "assignmentRule" => RuleKind::Assignment,
                    "rateRule" => RuleKind::Rate,
                    _ => {
                        return Err(src.unsupported(
                            r,
                            "algebraic rules are not supported (piml solves ODEs, not DAEs)",
                        ));
                    }
                };
                Ok(Rule {
                    variable: src.attribute(r, "variable")?.to_string(),
                    kind,
                    math: math_of(r)?,
                })
            })
            .collect::<Result<_, Error>>()?;
        let reactions = list(model, "listOfReactions", "reaction")
            .map(|r| reaction(src, r))
            .collect::<Result<_, Error>>()?;
        Ok(Sbml {
            id: src.attribute(model, "id").unwrap_or("model").to_string(),
            name: model.attribute("name").map(str::to_string),
            time_units,
            functions,
            compartments,
            species,
            parameters,
            initial_assignments,
            rules,
            reactions,
        })
    }
}

/// Events, constraints piml cannot check and the like: refused with their element and id.
fn refuse_unsupported(src: &Source, model: Node) -> Result<(), Error> {
    if let Some(event) = list(model, "listOfEvents", "event").next() {
        return Err(src.unsupported(
            event,
            "events are not supported (piml's solvers integrate smooth ODEs without discontinuities)",
        ));
    }
    Ok(())
}

fn reaction(src: &Source, r: Node) -> Result<Reaction, Error> {
    if src.flag(r, "fast", false)? {
        return Err(src.unsupported(
            r,
            "fast reactions are not supported (they make the model a DAE)",
        ));
    }
    let references = |list_name: &str| -> Result<Vec<(String, f64)>, Error> {
        list(r, list_name, "speciesReference")
            .map(|s| {
                if let Some(m) = child(s, "stoichiometryMath") {
                    return Err(src.unsupported(m, "stoichiometryMath is not supported"));
                }
                Ok((
                    src.attribute(s, "species")?.to_string(),
                    src.number(s, "stoichiometry")?.unwrap_or(1.0),
                ))
            })
            .collect()
    };
    let law = child(r, "kineticLaw")
        .ok_or_else(|| src.invalid(r, "no <kineticLaw>: the reaction has no rate"))?;
    let math = child(law, "math").ok_or_else(|| src.invalid(law, "no <math>"))?;
    // Level 2 keeps local parameters in listOfParameters, Level 3 in listOfLocalParameters.
    let locals = list(law, "listOfParameters", "parameter")
        .chain(list(law, "listOfLocalParameters", "localParameter"))
        .map(|p| {
            let value = src
                .number(p, "value")?
                .ok_or_else(|| src.invalid(p, "a local parameter without a value"))?;
            Ok((src.attribute(p, "id")?.to_string(), value))
        })
        .collect::<Result<_, Error>>()?;
    Ok(Reaction {
        id: src.attribute(r, "id")?.to_string(),
        reactants: references("listOfReactants")?,
        products: references("listOfProducts")?,
        law: Math::from_math(src, math)?,
        locals,
    })
}
