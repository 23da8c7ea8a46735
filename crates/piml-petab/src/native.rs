//! A PEtab problem as piml's own files: the model file (the SBML model with the parameter
//! table's values, bounds, scales and estimates, the observables with their noise, and the
//! conditions) and the measurement table in piml's wide layout — so that every piml tool reads
//! the problem, and `fit-kinetics model.json --data data.parquet` gives the PEtab likelihood
//! number for number.
//!
//! What piml's model file cannot say is refused by name rather than approximated: rates that
//! switch at given times, pre-equilibration, steady-state (`time = inf`) measurements, Laplace
//! noise, placeholders that differ between an observable's rows, noise formulas other than a
//! number or a parameter, and conditions that set a parameter to an estimated one.

use std::collections::BTreeMap;

use piml_io::Table;
use piml_model::Expr;
use serde_json::{Map, Value as Json, json};

use crate::error::Error;
use crate::problem::{
    Measurement, Observable, Problem, Scale, Target, Transform, Value, placeholder,
};

/// The model document and the measurement table (its metadata left to the writer).
#[derive(Debug)]
pub struct Native {
    pub model: Json,
    pub table: Table,
}

/// An observable's noise in piml's terms: the kind, and σ as a number, a parameter, or a
/// value per measurement row (the table's `sigma_<observable>` column).
enum Sigma {
    Number(f64),
    Parameter(String),
    PerRow(Vec<f64>),
}

impl Problem {
    /// The problem as a piml model document and measurement table, or what stops it.
    pub fn to_native(&self) -> Result<Native, Error> {
        let refuse = |what: String| Error::Inexpressible {
            file: self.file.display().to_string(),
            what,
        };
        if let Some(at) = self.switches.first() {
            return Err(refuse(format!(
                "rates that switch at a given time (t = {at}): piml's model file has no switch \
                 times for a solver to stop at"
            )));
        }
        if let Some(m) = self
            .measurements
            .iter()
            .find(|m| m.preequilibration.is_some())
        {
            let c = m.preequilibration.expect("found");
            return Err(refuse(format!(
                "pre-equilibration (condition '{}')",
                self.conditions[c].id
            )));
        }
        if self.measurements.iter().any(|m| m.time.is_infinite()) {
            return Err(refuse("steady-state measurements (time = inf)".into()));
        }
        let mut model = self.document.clone();
        let mut used = std::collections::BTreeSet::new();
        let mut observables = Map::new();
        let mut sigma_columns: Vec<(String, Vec<f64>)> = Vec::new();
        for (o, observable) in self.observables.iter().enumerate() {
            let rows: Vec<&Measurement> = self
                .measurements
                .iter()
                .filter(|m| m.observable == o)
                .collect();
            if rows.is_empty() {
                // Never measured: nothing to fill its placeholders with, nothing to fit.
                continue;
            }
            let (formula, noise) = self.observable_native(observable, &rows).map_err(refuse)?;
            used.extend(formula.symbols());
            let kind = match observable.transform {
                Transform::Lin => "gaussian",
                Transform::Log => "lognormal",
                Transform::Log10 => "log10normal",
            };
            let noise = match noise {
                Sigma::Number(s) => json!({"kind": kind, "sigma": s}),
                Sigma::Parameter(p) => {
                    used.insert(p.clone());
                    json!({"kind": kind, "sigma": p})
                }
                Sigma::PerRow(s) => {
                    sigma_columns.push((observable.id.clone(), s));
                    json!({"kind": kind})
                }
            };
            observables.insert(
                observable.id.clone(),
                json!({"expr": formula.to_string(), "noise": noise}),
            );
        }
        let conditions = self.conditions_native(&mut used).map_err(refuse)?;
        let parameters = model["parameters"]
            .as_object_mut()
            .expect("the importer writes a parameters section");
        for (j, p) in self.parameters.iter().enumerate() {
            let name = self.piml_parameter(j);
            if self.model_parameter[j].is_none() && !used.contains(&name) {
                continue;
            }
            let entry = parameters
                .entry(name)
                .or_insert_with(|| json!({}))
                .as_object_mut()
                .expect("parameters are objects");
            entry.insert("value".into(), json!(p.nominal));
            if p.estimate {
                entry.insert("estimate".into(), json!(true));
                entry.insert("bounds".into(), json!(p.bounds));
                if p.scale == Scale::Lin {
                    entry.insert("scale".into(), json!("lin"));
                }
            }
        }
        model["observables"] = Json::Object(observables);
        model["conditions"] = Json::Object(conditions);
        Ok(Native {
            model,
            table: self.table_native(&sigma_columns),
        })
    }

    /// The piml name of row `j` of the parameter table.
    fn piml_parameter(&self, j: usize) -> String {
        match self.model_parameter[j] {
            Some(i) => self.model.parameters[i].name.clone(),
            None => self.parameters[j].id.clone(),
        }
    }

    /// Whether `name` is a parameter of the model or of the parameter table (piml names).
    fn is_parameter(&self, name: &str) -> bool {
        self.model.parameters.iter().any(|p| p.name == name)
            || (0..self.parameters.len()).any(|j| self.piml_parameter(j) == name)
    }

    fn value_expr(&self, v: Value) -> Expr {
        match v {
            Value::Number(x) => Expr::Num(x),
            Value::Parameter(j) => Expr::var(&self.piml_parameter(j)),
        }
    }

    /// An observable's formula with its placeholders filled (the same in every row), and its
    /// σ.
    fn observable_native(
        &self,
        observable: &Observable,
        rows: &[&Measurement],
    ) -> Result<(Expr, Sigma), String> {
        if observable.laplace {
            return Err(format!(
                "observable '{}': Laplace noise (piml's observables are normal or lognormal)",
                observable.id
            ));
        }
        let filled = |e: &Expr, m: &Measurement| -> Expr {
            piml_model::expr::simplify(&e.substitute(&|name| {
                let (noise, n) = placeholder(name, &observable.id)?;
                m.placeholders(noise)
                    .get(n - 1)
                    .map(|&v| self.value_expr(v))
            }))
        };
        let formula = filled(&observable.formula, rows[0]);
        if rows
            .iter()
            .any(|m| filled(&observable.formula, m) != formula)
        {
            return Err(format!(
                "observable '{}': observableParameters that differ between its measurement rows",
                observable.id
            ));
        }
        let noise: Vec<Expr> = rows.iter().map(|m| filled(&observable.noise, m)).collect();
        let sigma = if noise.iter().all(|n| *n == noise[0]) {
            match &noise[0] {
                Expr::Num(s) => Sigma::Number(*s),
                Expr::Var(p) if self.is_parameter(p) => Sigma::Parameter(p.clone()),
                other => {
                    return Err(format!(
                        "observable '{}': the noise formula '{other}' (piml's σ is a number or a \
                         parameter)",
                        observable.id
                    ));
                }
            }
        } else if let Some(s) = noise.iter().map(Expr::as_num).collect::<Option<Vec<f64>>>() {
            Sigma::PerRow(s)
        } else {
            return Err(format!(
                "observable '{}': noiseParameters that differ between its measurement rows and \
                 are not all numbers",
                observable.id
            ));
        };
        Ok((formula, sigma))
    }

    /// piml's conditions section; the parameters the conditions name join `used`.
    fn conditions_native(
        &self,
        used: &mut std::collections::BTreeSet<String>,
    ) -> Result<Map<String, Json>, String> {
        let mut out = Map::new();
        for condition in &self.conditions {
            let (mut parameters, mut initial) = (Map::new(), Map::new());
            for &(target, value) in &condition.sets {
                let number = match value {
                    Value::Number(x) => x,
                    Value::Parameter(j) if !self.parameters[j].estimate => {
                        self.parameters[j].nominal
                    }
                    Value::Parameter(j) => match target {
                        Target::Species(s) => {
                            let name = self.piml_parameter(j);
                            used.insert(name.clone());
                            initial.insert(self.model.species[s].name.clone(), json!(name));
                            continue;
                        }
                        Target::Parameter(p) => {
                            return Err(format!(
                                "condition '{}' sets '{}' to the estimated parameter '{}' \
                                 (piml's conditions set numbers)",
                                condition.id, self.model.parameters[p].name, self.parameters[j].id
                            ));
                        }
                    },
                };
                if number.is_nan() {
                    // NaN keeps the value a pre-equilibration left, and there is none here:
                    // the model's own.
                    continue;
                }
                match target {
                    Target::Parameter(p) => {
                        parameters.insert(self.model.parameters[p].name.clone(), json!(number))
                    }
                    Target::Species(s) => {
                        initial.insert(self.model.species[s].name.clone(), json!(number))
                    }
                };
            }
            let mut entry = Map::new();
            if !parameters.is_empty() {
                entry.insert("parameters".into(), Json::Object(parameters));
            }
            if !initial.is_empty() {
                entry.insert("initial".into(), Json::Object(initial));
            }
            out.insert(condition.id.clone(), Json::Object(entry));
        }
        Ok(out)
    }

    /// The measurements in piml's wide layout: one row per condition, time and repeat (the
    /// `replicate` column, when some observable is measured twice at one time of one
    /// condition), one column per observable, and the `sigma_<observable>` columns.
    fn table_native(&self, sigma_columns: &[(String, Vec<f64>)]) -> Table {
        // (condition, time, repeat) → (observable, measurement index) of its measurements.
        type Key = (usize, u64, usize);
        let mut cells: BTreeMap<Key, Vec<(usize, usize)>> = BTreeMap::new();
        let mut repeats: BTreeMap<(usize, u64, usize), usize> = BTreeMap::new();
        for (i, m) in self.measurements.iter().enumerate() {
            // Times are finite and ≥ 0 here, so their bits sort as the numbers do.
            let time = m.time.to_bits();
            let k = repeats
                .entry((m.condition, time, m.observable))
                .or_insert(0);
            cells
                .entry((m.condition, time, *k))
                .or_default()
                .push((m.observable, i));
            *k += 1;
        }
        // Each measurement's position among its observable's rows (the order of `PerRow`).
        let mut position = vec![0; self.measurements.len()];
        let mut seen = vec![0; self.observables.len()];
        for (i, m) in self.measurements.iter().enumerate() {
            position[i] = seen[m.observable];
            seen[m.observable] += 1;
        }
        let keys: Vec<&Key> = cells.keys().collect();
        let mut table = Table::new();
        table.push_f64(
            "t",
            keys.iter().map(|k| Some(f64::from_bits(k.1))).collect(),
        );
        table.push_utf8(
            "condition",
            keys.iter()
                .map(|k| Some(self.conditions[k.0].id.clone()))
                .collect(),
        );
        if keys.iter().any(|k| k.2 > 0) {
            table.push_i64("replicate", keys.iter().map(|k| k.2 as i64).collect());
        }
        let column = |o: usize, value: &dyn Fn(usize) -> f64| -> Vec<Option<f64>> {
            cells
                .values()
                .map(|at| at.iter().find(|(oo, _)| *oo == o).map(|&(_, i)| value(i)))
                .collect()
        };
        for (o, observable) in self.observables.iter().enumerate() {
            if seen[o] > 0 {
                table.push_f64(&observable.id, column(o, &|i| self.measurements[i].value));
            }
        }
        for (id, sigma) in sigma_columns {
            let o = self
                .observables
                .iter()
                .position(|x| &x.id == id)
                .expect("an observable");
            table.push_f64(&format!("sigma_{id}"), column(o, &|i| sigma[position[i]]));
        }
        table
    }
}
