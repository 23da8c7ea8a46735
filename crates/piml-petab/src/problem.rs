//! A PEtab v1 problem read and checked: every id a table uses is resolved here, so that an
//! evaluation never meets an unknown name.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use piml_model::{Expr, Kinetics, Model};
use yaml_rust2::{Yaml, YamlLoader};

use crate::error::Error;
use crate::formula;
use crate::tsv::{Tsv, parse_number};

/// The scale a parameter is estimated on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scale {
    Lin,
    Log,
    Log10,
}

/// A row of the parameter table (bounds and nominal value on the linear scale).
#[derive(Debug, Clone)]
pub struct Estimated {
    pub id: String,
    pub scale: Scale,
    pub bounds: [f64; 2],
    pub nominal: f64,
    pub estimate: bool,
}

/// A value in a condition or override column: a number, or a parameter of the table.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Value {
    Number(f64),
    Parameter(usize),
}

/// What a condition column sets.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Target {
    /// A model parameter (compartment sizes are parameters of the imported model).
    Parameter(usize),
    /// A species' initial value.
    Species(usize),
}

#[derive(Debug)]
pub(crate) struct Condition {
    pub id: String,
    /// NaN values (species only) keep what pre-equilibration left.
    pub sets: Vec<(Target, Value)>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Transform {
    Lin,
    Log,
    Log10,
}

/// An observable, its formulas with SBML rules substituted (and, in the noise formula, the
/// observable itself), and their exact derivatives by every symbol they use.
#[derive(Debug)]
pub(crate) struct Observable {
    pub id: String,
    pub formula: Expr,
    pub noise: Expr,
    pub transform: Transform,
    pub laplace: bool,
    pub d_formula: Vec<(String, Expr)>,
    pub d_noise: Vec<(String, Expr)>,
}

/// The derivative of `e` by each symbol it uses.
fn derivatives(e: &Expr) -> Vec<(String, Expr)> {
    e.symbols()
        .into_iter()
        .map(|s| {
            let d = piml_model::expr::derivative(e, &s);
            (s, d)
        })
        .collect()
}

#[derive(Debug)]
pub(crate) struct Measurement {
    pub observable: usize,
    pub preequilibration: Option<usize>,
    pub condition: usize,
    pub time: f64,
    pub value: f64,
    pub observable_parameters: Vec<Value>,
    pub noise_parameters: Vec<Value>,
}

impl Measurement {
    /// The values of the observable's (or, with `noise`, the noise formula's) placeholders.
    pub(crate) fn placeholders(&self, noise: bool) -> &[Value] {
        if noise {
            &self.noise_parameters
        } else {
            &self.observable_parameters
        }
    }
}

/// A row of the measurement table, by the ids it names.
#[derive(Debug, Clone, Copy)]
pub struct MeasurementRow<'a> {
    pub observable: &'a str,
    pub preequilibration: Option<&'a str>,
    pub condition: &'a str,
    pub time: f64,
    pub value: f64,
}

/// A PEtab problem: the imported model and the tables.
#[derive(Debug)]
pub struct Problem {
    pub file: PathBuf,
    /// Every file the problem is read from: the YAML file, the SBML model and the four tables.
    pub files: Vec<PathBuf>,
    pub model: Model,
    /// The imported model's document (what `model` was read from).
    pub(crate) document: serde_json::Value,
    pub(crate) kinetics: Kinetics,
    /// Times (formulas of parameters) at which the rates jump: integration restarts there.
    pub(crate) switches: Vec<Expr>,
    pub parameters: Vec<Estimated>,
    /// For each row of the parameter table, the model parameter it sets, if any.
    pub(crate) model_parameter: Vec<Option<usize>>,
    pub(crate) conditions: Vec<Condition>,
    pub(crate) observables: Vec<Observable>,
    pub(crate) measurements: Vec<Measurement>,
}

fn yaml_error(file: &Path, why: impl Into<String>) -> Error {
    Error::Yaml {
        file: file.display().to_string(),
        why: why.into(),
    }
}

/// The one file a `problems[0]` entry lists under `key`.
fn one_file(file: &Path, problem: &Yaml, key: &str) -> Result<PathBuf, Error> {
    let list = problem[key]
        .as_vec()
        .ok_or_else(|| yaml_error(file, format!("problems[0].{key}: expected a list of files")))?;
    match list.as_slice() {
        [one] => {
            let name = one.as_str().ok_or_else(|| {
                yaml_error(file, format!("problems[0].{key}: expected a file name"))
            })?;
            Ok(file.parent().unwrap_or(Path::new(".")).join(name))
        }
        _ => Err(yaml_error(
            file,
            format!(
                "problems[0].{key}: piml reads one file here, the problem lists {}",
                list.len()
            ),
        )),
    }
}

impl Problem {
    /// Reads the PEtab YAML file at `path` and everything it names.
    pub fn load(path: &Path) -> Result<Problem, Error> {
        let text = std::fs::read_to_string(path).map_err(|source| Error::Read {
            file: path.display().to_string(),
            source,
        })?;
        let docs = YamlLoader::load_from_str(&text).map_err(|e| yaml_error(path, e.to_string()))?;
        let doc = docs.first().ok_or_else(|| yaml_error(path, "empty"))?;
        let version = match &doc["format_version"] {
            Yaml::Integer(v) => v.to_string(),
            Yaml::String(v) | Yaml::Real(v) => v.clone(),
            _ => return Err(yaml_error(path, "no format_version")),
        };
        if !(version == "1" || version.starts_with("1.")) {
            return Err(yaml_error(
                path,
                format!("format_version {version}: piml reads PEtab version 1"),
            ));
        }
        let problems = doc["problems"]
            .as_vec()
            .ok_or_else(|| yaml_error(path, "no 'problems' list"))?;
        let [problem] = problems.as_slice() else {
            return Err(yaml_error(
                path,
                format!(
                    "piml reads one problem per file, this one has {}",
                    problems.len()
                ),
            ));
        };
        let parameter_file = doc["parameter_file"]
            .as_str()
            .ok_or_else(|| yaml_error(path, "no parameter_file"))?;
        let folder = path.parent().unwrap_or(Path::new("."));
        let sbml_file = one_file(path, problem, "sbml_files")?;
        let sbml_name = sbml_file.display().to_string();
        let sbml = std::fs::read_to_string(&sbml_file).map_err(|source| Error::Read {
            file: sbml_name.clone(),
            source,
        })?;
        let lowered = piml_sbml::import(&sbml, &sbml_name)?;
        let model_error = |source| Error::Model {
            file: sbml_name.clone(),
            source,
        };
        let model =
            Model::from_json_str(&lowered.document.to_string(), &sbml_name).map_err(model_error)?;
        let kinetics = Kinetics::new(&model).map_err(model_error)?;
        let renamed: BTreeMap<String, String> = lowered.renamed.into_iter().collect();
        let switches = lowered
            .switches
            .iter()
            .map(|text| piml_model::expr::parse(text).expect("the importer writes valid formulas"))
            .collect();
        let rules = lowered
            .rules
            .into_iter()
            .map(|(id, text)| {
                let expr =
                    piml_model::expr::parse(&text).expect("the importer writes valid formulas");
                (renamed.get(&id).cloned().unwrap_or(id), expr)
            })
            .collect();
        let mut reader = Reader {
            model: &model,
            renamed: &renamed,
            parameters: Vec::new(),
        };
        let files = vec![
            path.to_path_buf(),
            sbml_file,
            folder.join(parameter_file),
            one_file(path, problem, "condition_files")?,
            one_file(path, problem, "observable_files")?,
            one_file(path, problem, "measurement_files")?,
        ];
        let parameters = reader.parameters(&Tsv::read(&files[2])?)?;
        let conditions = reader.conditions(&Tsv::read(&files[3])?)?;
        let observables = reader.observables(&Tsv::read(&files[4])?, &rules)?;
        let measurements =
            reader.measurements(&Tsv::read(&files[5])?, &conditions, &observables)?;
        let model_parameter = parameters
            .iter()
            .map(|p| {
                model
                    .parameters
                    .iter()
                    .position(|m| m.name == reader.piml_name(&p.id))
            })
            .collect();
        Ok(Problem {
            file: path.to_path_buf(),
            files,
            model,
            document: lowered.document,
            kinetics,
            switches,
            parameters,
            model_parameter,
            conditions,
            observables,
            measurements,
        })
    }

    /// The parameter table's nominal values (linear scale).
    pub fn nominal(&self) -> Vec<f64> {
        self.parameters.iter().map(|p| p.nominal).collect()
    }

    /// The nominal values with `set` (parameter id, value) in place of some.
    pub fn nominal_with(&self, set: &[(String, f64)]) -> Result<Vec<f64>, Error> {
        let mut theta = self.nominal();
        for (name, value) in set {
            let j = self
                .parameters
                .iter()
                .position(|p| &p.id == name)
                .ok_or_else(|| Error::UnknownParameter {
                    name: name.clone(),
                    file: self.file.display().to_string(),
                })?;
            theta[j] = *value;
        }
        Ok(theta)
    }

    /// The number of measurements.
    pub fn n_measurements(&self) -> usize {
        self.measurements.len()
    }

    /// Each measurement row as PEtab names it, in table order.
    pub fn measurement_rows(&self) -> Vec<MeasurementRow<'_>> {
        self.measurements
            .iter()
            .map(|m| MeasurementRow {
                observable: &self.observables[m.observable].id,
                preequilibration: m.preequilibration.map(|c| self.conditions[c].id.as_str()),
                condition: &self.conditions[m.condition].id,
                time: m.time,
                value: m.value,
            })
            .collect()
    }
}

/// Reads the tables, resolving ids against the model and the parameter table.
struct Reader<'a> {
    model: &'a Model,
    renamed: &'a BTreeMap<String, String>,
    /// Ids of the parameter table, once read.
    parameters: Vec<String>,
}

impl Reader<'_> {
    fn piml_name(&self, id: &str) -> String {
        self.renamed
            .get(id)
            .cloned()
            .unwrap_or_else(|| id.to_string())
    }

    fn parameters(&mut self, t: &Tsv) -> Result<Vec<Estimated>, Error> {
        let [id, scale, lower, upper, nominal, estimate] = [
            "parameterId",
            "parameterScale",
            "lowerBound",
            "upperBound",
            "nominalValue",
            "estimate",
        ]
        .map(|c| t.require(c));
        let (id, scale, lower, upper, nominal, estimate) =
            (id?, scale?, lower?, upper?, nominal?, estimate?);
        let rows = t
            .rows
            .iter()
            .map(|(line, cells)| {
                let scale = match cells[scale].as_str() {
                    "lin" => Scale::Lin,
                    "log" => Scale::Log,
                    "log10" => Scale::Log10,
                    other => {
                        return Err(t.error(
                            *line,
                            scale,
                            format!("'{other}' is not lin, log or log10"),
                        ));
                    }
                };
                let estimate = match cells[estimate].as_str() {
                    "1" => true,
                    "0" => false,
                    other => {
                        return Err(t.error(*line, estimate, format!("'{other}' is not 0 or 1")));
                    }
                };
                let number = |c: usize| t.number(*line, c, &cells[c]);
                Ok(Estimated {
                    id: cells[id].clone(),
                    scale,
                    bounds: [number(lower)?, number(upper)?],
                    nominal: number(nominal)?,
                    estimate,
                })
            })
            .collect::<Result<Vec<_>, _>>()?;
        self.parameters = rows.iter().map(|p| p.id.clone()).collect();
        Ok(rows)
    }

    /// A number, or the id of a row of the parameter table.
    fn value(&self, t: &Tsv, line: usize, column: usize, text: &str) -> Result<Value, Error> {
        if let Some(v) = parse_number(text) {
            return Ok(Value::Number(v));
        }
        self.parameters
            .iter()
            .position(|p| p == text)
            .map(Value::Parameter)
            .ok_or_else(|| {
                t.error(
                    line,
                    column,
                    format!("'{text}' is neither a number nor a parameter of the parameter table"),
                )
            })
    }

    fn conditions(&self, t: &Tsv) -> Result<Vec<Condition>, Error> {
        let id = t.require("conditionId")?;
        let targets = t
            .columns
            .iter()
            .enumerate()
            .filter(|(c, name)| *c != id && name.as_str() != "conditionName")
            .map(|(c, name)| {
                let piml = self.piml_name(name);
                let target =
                    if let Some(p) = self.model.parameters.iter().position(|p| p.name == piml) {
                        Target::Parameter(p)
                    } else if let Some(s) = self.model.species.iter().position(|s| s.name == piml) {
                        Target::Species(s)
                    } else {
                        return Err(t.error(
                            1,
                            c,
                            "names no parameter, species or compartment of the model",
                        ));
                    };
                Ok((c, target))
            })
            .collect::<Result<Vec<_>, _>>()?;
        t.rows
            .iter()
            .map(|(line, cells)| {
                let sets = targets
                    .iter()
                    .filter(|(c, _)| !cells[*c].is_empty())
                    .map(|&(c, target)| Ok((target, self.value(t, *line, c, &cells[c])?)))
                    .collect::<Result<_, Error>>()?;
                Ok(Condition {
                    id: cells[id].clone(),
                    sets,
                })
            })
            .collect()
    }

    fn observables(
        &self,
        t: &Tsv,
        rules: &BTreeMap<String, Expr>,
    ) -> Result<Vec<Observable>, Error> {
        let id = t.require("observableId")?;
        let formula = t.require("observableFormula")?;
        let noise = t.require("noiseFormula")?;
        let transform = t.index("observableTransformation");
        let distribution = t.index("noiseDistribution");
        t.rows
            .iter()
            .map(|(line, cells)| {
                let own = cells[id].clone();
                let read = |c: usize, also: &[String]| -> Result<Expr, Error> {
                    let expr = formula::parse(&cells[c], self.renamed)
                        .map_err(|why| t.error(*line, c, why))?;
                    self.check_symbols(&expr, &own, also, rules)
                        .map_err(|why| t.error(*line, c, why))?;
                    Ok(expr)
                };
                let transform = match transform.map_or("", |c| cells[c].as_str()) {
                    "" | "lin" => Transform::Lin,
                    "log" => Transform::Log,
                    "log10" => Transform::Log10,
                    other => {
                        return Err(t.error(
                            *line,
                            transform.unwrap_or(0),
                            format!("'{other}' is not lin, log or log10"),
                        ));
                    }
                };
                let laplace = match distribution.map_or("", |c| cells[c].as_str()) {
                    "" | "normal" => false,
                    "laplace" => true,
                    other => {
                        return Err(t.error(
                            *line,
                            distribution.unwrap_or(0),
                            format!("'{other}' is not normal or laplace"),
                        ));
                    }
                };
                let with_rules = |e: Expr| e.substitute(&|name| rules.get(name).cloned());
                let formula = with_rules(read(formula, &[])?);
                let noise = with_rules(read(noise, std::slice::from_ref(&own))?)
                    .substitute(&|name| (name == own).then(|| formula.clone()));
                Ok(Observable {
                    d_formula: derivatives(&formula),
                    d_noise: derivatives(&noise),
                    formula,
                    noise,
                    id: own,
                    transform,
                    laplace,
                })
            })
            .collect()
    }

    /// Every symbol of an observable's formula must be a state, a model or table parameter, a
    /// rule, `t`, one of its placeholders (or, in its noise formula, the observable itself).
    fn check_symbols(
        &self,
        expr: &Expr,
        observable: &str,
        also: &[String],
        rules: &BTreeMap<String, Expr>,
    ) -> Result<(), String> {
        for symbol in expr.symbols() {
            let known = symbol == "t"
                || self.model.species.iter().any(|s| s.name == symbol)
                || self.model.parameters.iter().any(|p| p.name == symbol)
                || rules.contains_key(&symbol)
                || self.parameters.contains(&symbol)
                || also.contains(&symbol)
                || placeholder(&symbol, observable).is_some();
            if !known {
                return Err(format!(
                    "'{symbol}' is no species, parameter, rule or placeholder of observable '{observable}'"
                ));
            }
        }
        Ok(())
    }

    fn measurements(
        &self,
        t: &Tsv,
        conditions: &[Condition],
        observables: &[Observable],
    ) -> Result<Vec<Measurement>, Error> {
        let observable = t.require("observableId")?;
        let condition = t.require("simulationConditionId")?;
        let time_column = t.require("time")?;
        let value = t.require("measurement")?;
        let preequilibration = t.index("preequilibrationConditionId");
        let overrides = [t.index("observableParameters"), t.index("noiseParameters")];
        let find = |line: usize, c: usize, id: &str, what: &str, ids: Vec<&str>| {
            ids.iter().position(|x| *x == id).ok_or_else(|| {
                t.error(
                    line,
                    c,
                    format!("no {what} '{id}'; there are {}", ids.join(", ")),
                )
            })
        };
        let condition_ids: Vec<&str> = conditions.iter().map(|c| c.id.as_str()).collect();
        let observable_ids: Vec<&str> = observables.iter().map(|o| o.id.as_str()).collect();
        t.rows
            .iter()
            .map(|(line, cells)| {
                let line = *line;
                let o = find(
                    line,
                    observable,
                    &cells[observable],
                    "observable",
                    observable_ids.clone(),
                )?;
                let sim = find(
                    line,
                    condition,
                    &cells[condition],
                    "condition",
                    condition_ids.clone(),
                )?;
                let pre = match preequilibration.filter(|c| !cells[*c].is_empty()) {
                    Some(c) => Some(find(
                        line,
                        c,
                        &cells[c],
                        "condition",
                        condition_ids.clone(),
                    )?),
                    None => None,
                };
                let time = t.number(line, time_column, &cells[time_column])?;
                if time.is_nan() || time < 0.0 {
                    return Err(t.error(line, time_column, "a time must be ≥ 0 or inf"));
                }
                let value_cell = t.number(line, value, &cells[value])?;
                if !value_cell.is_finite() {
                    return Err(t.error(
                        line,
                        value,
                        format!("'{}' is not a finite measurement", cells[value]),
                    ));
                }
                let [obs, noise] = overrides.map(|c| match c {
                    Some(c) if !cells[c].is_empty() => cells[c]
                        .split(';')
                        .map(|v| self.value(t, line, c, v.trim()))
                        .collect::<Result<Vec<_>, _>>(),
                    _ => Ok(Vec::new()),
                });
                Ok(Measurement {
                    observable: o,
                    preequilibration: pre,
                    condition: sim,
                    time,
                    value: value_cell,
                    observable_parameters: obs?,
                    noise_parameters: noise?,
                })
            })
            .collect()
    }
}

/// `observableParameter3_obs` of observable `obs` → (false, 3); `noiseParameter1_obs` →
/// (true, 1).
pub(crate) fn placeholder(symbol: &str, observable: &str) -> Option<(bool, usize)> {
    let (kind, rest) = if let Some(r) = symbol.strip_prefix("observableParameter") {
        (false, r)
    } else {
        (true, symbol.strip_prefix("noiseParameter")?)
    };
    let (n, id) = rest.split_once('_')?;
    (id == observable).then_some(())?;
    n.parse::<usize>()
        .ok()
        .filter(|n| *n >= 1)
        .map(|n| (kind, n))
}
