//! SBML units as piml unit strings. An SBML unit definition is a product of
//! (multiplier·10^scale·kind)^exponent; piml's unit strings say the same with a number, a name
//! and a power, and a definition that equals a unit piml names (60 s is `min`, 1e-6 mol/L is
//! `uM`) is written by that name. Kinds piml has no dimension for (ampere, kelvin, candela, …)
//! leave the quantity without units rather than with wrong ones.

use std::collections::BTreeMap;

use piml_model::units::{Unit, parse_unit};
use roxmltree::Node;

use crate::error::Error;
use crate::xml::{Source, list};

/// SBML base unit kinds and piml's name for each (`None`: no piml dimension).
fn kind(name: &str) -> Option<&'static str> {
    Some(match name {
        "mole" => "mol",
        "litre" | "liter" => "L",
        "second" => "s",
        "metre" | "meter" => "m",
        "gram" => "g",
        "kilogram" => "kg",
        "item" => "count",
        "dimensionless" => "1",
        _ => return None,
    })
}

/// Names a unit definition is written with when it equals one of them.
const NAMED: [&str; 22] = [
    "min", "h", "day", "mol", "mmol", "umol", "nmol", "pmol", "M", "mM", "uM", "nM", "pM", "L",
    "mL", "uL", "nL", "pL", "fL", "1/s", "1/min", "1/h",
];

/// The unit definitions of a model as piml unit strings, by id (those piml cannot write are
/// absent).
pub(crate) fn definitions(src: &Source, model: Node) -> Result<BTreeMap<String, String>, Error> {
    let mut out = BTreeMap::new();
    for definition in list(model, "listOfUnitDefinitions", "unitDefinition") {
        let id = src.attribute(definition, "id")?.to_string();
        let factors = list(definition, "listOfUnits", "unit")
            .map(|u| {
                let kind = kind(src.attribute(u, "kind")?);
                let exponent = src.number(u, "exponent")?.unwrap_or(1.0);
                let scale = src.number(u, "scale")?.unwrap_or(0.0);
                let multiplier = src.number(u, "multiplier")?.unwrap_or(1.0);
                Ok(kind.map(|k| factor(k, multiplier * 10f64.powf(scale), exponent)))
            })
            .collect::<Result<Option<Vec<String>>, Error>>()?;
        if let Some(text) = factors.and_then(|f| written(&f)) {
            out.insert(id, text);
        }
    }
    Ok(out)
}

/// One factor of a definition: `(m kind)^e`, without what is 1.
fn factor(kind: &str, multiplier: f64, exponent: f64) -> String {
    let base = if multiplier == 1.0 {
        kind.to_string()
    } else {
        format!("({multiplier} {kind})")
    };
    if exponent == 1.0 {
        base
    } else {
        format!("{base}^{exponent}")
    }
}

/// The product of `factors` as piml writes it: by name when one matches, else as the product;
/// `None` when it does not parse (it always should).
fn written(factors: &[String]) -> Option<String> {
    let text = if factors.is_empty() {
        "1".to_string()
    } else {
        factors.join(" * ")
    };
    let unit = parse_unit(&text).ok()?;
    Some(name_of(&unit).map_or(text, str::to_string))
}

fn name_of(unit: &Unit) -> Option<&'static str> {
    if unit.same_as(&Unit::ONE) {
        return Some("dimensionless");
    }
    NAMED
        .into_iter()
        .find(|n| parse_unit(n).is_ok_and(|u| u.same_as(unit)))
}

/// A unit reference (an attribute's value): a definition's id, or a base kind.
pub(crate) fn resolve(definitions: &BTreeMap<String, String>, reference: &str) -> Option<String> {
    definitions
        .get(reference)
        .cloned()
        .or_else(|| written(&[kind(reference)?.to_string()]))
}

/// `substance / volume`, named where piml has a name (mol / L is `M`).
pub(crate) fn per(substance: &str, volume: &str) -> Option<String> {
    written(&[format!("({substance})"), format!("({volume})^-1")])
}
