//! SBML models (Level 2 Versions 3–4, Level 3 Versions 1–2, core) as piml model documents:
//! compartments, species as amounts or concentrations, global and local parameters, reactions
//! with MathML kinetic laws, function definitions, assignment and rate rules, initial
//! assignments. What piml cannot simulate the same way (events, delays, algebraic rules, fast
//! reactions, piecewise formulas) is refused naming the element and its id, never imported
//! as a silently different model.

mod error;
mod lower;
mod math;
mod sbml;
mod units;
mod xml;

pub use error::{Error, Place};
pub use lower::Lowered;

/// Reads the SBML text of `file` into a piml model document.
pub fn import(text: &str, file: &str) -> Result<Lowered, Error> {
    let doc = roxmltree::Document::parse(text).map_err(|e| Error::Xml {
        file: file.to_string(),
        message: e.to_string(),
    })?;
    let src = xml::Source { file, doc: &doc };
    let model = sbml::Sbml::read(&src)?;
    lower::lower(&model, file).map_err(|p| {
        // The element the problem concerns: the one with that id, or what assigns it.
        let node = doc
            .descendants()
            .find(|n| {
                ["id", "variable", "symbol"]
                    .iter()
                    .any(|a| n.attribute(*a) == Some(p.id.as_str()))
            })
            .unwrap_or_else(|| doc.root_element());
        if p.unsupported {
            src.unsupported(node, p.why)
        } else {
            src.invalid(node, p.why)
        }
    })
}
