//! Axis labels from the model a table carries in its `piml.model` metadata:
//! names with their units.

use piml_io::Table;
use serde_json::Value;

/// The model document of a table, if it has a readable one.
#[derive(Debug, Clone, Default)]
pub(crate) struct ModelInfo {
    doc: Option<Value>,
}

impl ModelInfo {
    /// Reads `piml.model`; a table without it (a CSV, another tool's file)
    /// gets labels without units.
    pub(crate) fn of(table: &Table) -> ModelInfo {
        let doc = table
            .metadata()
            .get("piml.model")
            .and_then(|text| serde_json::from_str(text).ok());
        ModelInfo { doc }
    }

    /// Whether the model has space axes, or may have: a table without a
    /// model (a CSV) names its coordinates `x` and `y` as a field would.
    pub(crate) fn may_be_spatial(&self) -> bool {
        self.doc
            .as_ref()
            .is_none_or(|doc| doc.get("space").is_some())
    }

    /// The model's name.
    pub(crate) fn name(&self) -> Option<&str> {
        self.doc.as_ref()?.get("name")?.as_str()
    }

    /// The units of a species, observable or parameter.
    pub(crate) fn units(&self, name: &str) -> Option<&str> {
        let doc = self.doc.as_ref()?;
        ["species", "observables", "parameters"]
            .iter()
            .find_map(|section| doc.get(section)?.get(name)?.get("units")?.as_str())
            .filter(|u| shown(u))
    }

    /// The units of a coordinate: `t`, `x` or `y`.
    pub(crate) fn coordinate_units(&self, axis: &str) -> Option<&str> {
        let doc = self.doc.as_ref()?;
        let section = if axis == "t" {
            doc.get("time")?
        } else {
            doc.get("space")?.get(axis)?
        };
        section.get("units")?.as_str().filter(|u| shown(u))
    }

    /// `name [units]`, or the name alone when the model gives no units.
    pub(crate) fn label(&self, name: &str) -> String {
        with_units(name, self.units(name))
    }

    /// `t [h]`, `x [um]`, …
    pub(crate) fn coordinate_label(&self, axis: &str) -> String {
        with_units(axis, self.coordinate_units(axis))
    }

    /// The label of an axis holding several columns: their common units, if
    /// they share them.
    pub(crate) fn shared_label(&self, names: &[String], what: &str) -> String {
        match names {
            [one] => self.label(one),
            _ => {
                let units: Vec<Option<&str>> = names.iter().map(|n| self.units(n)).collect();
                match units.first() {
                    Some(first) if units.iter().all(|u| u == first) => with_units(what, *first),
                    _ => what.to_string(),
                }
            }
        }
    }

    /// The default title: the model's name and what is drawn.
    pub(crate) fn title(&self, what: &str) -> String {
        match self.name() {
            Some(name) => format!("{name}: {what}"),
            None => what.to_string(),
        }
    }
}

/// Whether units are worth a label: "dimensionless" is not.
fn shown(units: &str) -> bool {
    !units.is_empty() && units != "dimensionless"
}

fn with_units(name: &str, units: Option<&str>) -> String {
    match units {
        Some(u) => format!("{name} [{u}]"),
        None => name.to_string(),
    }
}
