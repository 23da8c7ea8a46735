//! Reading the model document: walks the JSON by hand so that every error
//! names the field (`reactions[0].rate`) and offers the nearest valid name.

use std::collections::BTreeSet;

use serde_json::{Map, Value};

use crate::error::DocError;
use crate::expr::{Expr, Func, excerpt, parse};
use crate::model::{
    Axis, AxisBoundary, Condition, Model, Noise, NoiseKind, Observable, Parameter, Reaction,
    Rescaling, Scale, SideCondition, Sigma, Species,
};
use crate::suggest::did_you_mean;

type Res<T> = Result<T, DocError>;

/// Names a model may not use for its own symbols (nor may it use function
/// names): time and the table columns with a role.
const RESERVED: [&str; 4] = ["t", "condition", "sample", "replicate"];

/// The space coordinates, reserved too in a model with a `space` section; a
/// kinetic model may call its species `x` and `y`.
const COORDINATES: [&str; 2] = ["x", "y"];

fn kind_of(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

fn object<'a>(v: &'a Value, path: &str) -> Res<&'a Map<String, Value>> {
    v.as_object()
        .ok_or_else(|| DocError::field(path, format!("expected an object, got {}", kind_of(v))))
}

fn child(path: &str, key: &str) -> String {
    if path.is_empty() {
        key.to_string()
    } else {
        format!("{path}.{key}")
    }
}

/// Rejects keys that are not in `allowed`, suggesting the nearest one.
fn check_keys(map: &Map<String, Value>, path: &str, allowed: &[&str]) -> Res<()> {
    for key in map.keys() {
        if !allowed.contains(&key.as_str()) {
            let hint = did_you_mean(key, allowed.iter().copied());
            let hint = if hint.is_empty() {
                format!(" (expected one of: {})", allowed.join(", "))
            } else {
                hint
            };
            return Err(DocError::field(
                child(path, key),
                format!("unknown field{hint}"),
            ));
        }
    }
    Ok(())
}

fn number(v: &Value, path: &str) -> Res<f64> {
    let x = v
        .as_f64()
        .ok_or_else(|| DocError::field(path, format!("expected a number, got {}", kind_of(v))))?;
    if !x.is_finite() {
        return Err(DocError::field(path, "number is not finite"));
    }
    Ok(x)
}

fn string<'a>(v: &'a Value, path: &str) -> Res<&'a str> {
    v.as_str()
        .ok_or_else(|| DocError::field(path, format!("expected a string, got {}", kind_of(v))))
}

fn opt_string(map: &Map<String, Value>, key: &str, path: &str) -> Res<Option<String>> {
    map.get(key)
        .map(|v| string(v, &child(path, key)).map(str::to_string))
        .transpose()
}

/// A pair `[lo, hi]` with lo < hi.
fn interval(v: &Value, path: &str) -> Res<[f64; 2]> {
    let arr = v
        .as_array()
        .filter(|a| a.len() == 2)
        .ok_or_else(|| DocError::field(path, format!("expected [lo, hi], got {v}")))?;
    let lo = number(&arr[0], &format!("{path}[0]"))?;
    let hi = number(&arr[1], &format!("{path}[1]"))?;
    if lo >= hi {
        return Err(DocError::field(
            path,
            format!("expected lo < hi, got [{lo}, {hi}]"),
        ));
    }
    Ok([lo, hi])
}

fn identifier(name: &str, path: &str, spatial: bool) -> Res<()> {
    let mut chars = name.chars();
    let ok = chars.next().is_some_and(|c| c.is_alphabetic() || c == '_')
        && chars.all(|c| c.is_alphanumeric() || c == '_');
    if !ok {
        return Err(DocError::field(
            path,
            format!(
                "'{name}' is not a valid name (letters, digits and '_', not starting with a digit)"
            ),
        ));
    }
    if RESERVED.contains(&name) || Func::from_name(name).is_some() {
        return Err(DocError::field(
            path,
            format!("'{name}' is a reserved name"),
        ));
    }
    if spatial && COORDINATES.contains(&name) {
        return Err(DocError::field(
            path,
            format!("'{name}' is a reserved name: a space coordinate of the model"),
        ));
    }
    Ok(())
}

/// The symbols an expression may use in one place of the document.
struct Scope<'a> {
    names: Vec<&'a str>,
    what: &'a str,
}

impl Scope<'_> {
    /// Parses an expression given as a string or a number, checking its names.
    fn expr(&self, v: &Value, path: &str) -> Res<Expr> {
        let e = match v {
            Value::Number(_) => Expr::Num(number(v, path)?),
            Value::String(s) => {
                parse(s).map_err(|e| DocError::field(path, format!("'{}': {e}", excerpt(s))))?
            }
            other => {
                return Err(DocError::field(
                    path,
                    format!(
                        "expected an expression (a string or a number), got {}",
                        kind_of(other)
                    ),
                ));
            }
        };
        for sym in e.symbols() {
            if !self.names.contains(&sym.as_str()) {
                let hint = did_you_mean(&sym, self.names.iter().copied());
                return Err(DocError::field(
                    path,
                    format!(
                        "unknown symbol '{sym}'{hint}; {} may use {}",
                        self.what,
                        self.list()
                    ),
                ));
            }
        }
        Ok(e)
    }

    fn list(&self) -> String {
        if self.names.is_empty() {
            "no names".into()
        } else {
            self.names.join(", ")
        }
    }
}

/// Everything named in the document, collected before expressions are read.
struct Names {
    species: Vec<String>,
    parameters: Vec<String>,
    inputs: Vec<String>,
    coords: Vec<String>,
}

impl Names {
    fn scope<'a>(
        &'a self,
        what: &'a str,
        species: bool,
        params: bool,
        inputs: bool,
        time: bool,
    ) -> Scope<'a> {
        let mut names: Vec<&str> = Vec::new();
        if species {
            names.extend(self.species.iter().map(String::as_str));
        }
        if params {
            names.extend(self.parameters.iter().map(String::as_str));
        }
        if inputs {
            names.extend(self.inputs.iter().map(String::as_str));
        }
        if time {
            names.push("t");
        }
        names.extend(self.coords.iter().map(String::as_str));
        Scope { names, what }
    }

    fn species_name<'a>(&self, name: &'a str, path: &str) -> Res<&'a str> {
        if self.species.iter().any(|s| s == name) {
            return Ok(name);
        }
        let hint = did_you_mean(name, self.species.iter().map(String::as_str));
        Err(DocError::field(
            path,
            format!("unknown species '{name}'{hint}"),
        ))
    }
}

pub(crate) fn parse_model(text: &str) -> Res<Model> {
    if text.trim().is_empty() {
        return Err(DocError::Syntax("the file is empty".into()));
    }
    let doc: Value = serde_json::from_str(text).map_err(|e| DocError::Syntax(e.to_string()))?;
    if let Some(path) = crate::json_keys::first_duplicate_key(text) {
        return Err(DocError::field(
            path,
            "given twice in the same object: one of the two would be silently ignored",
        ));
    }
    let root = object(&doc, "(document)")?;
    check_keys(
        root,
        "",
        &[
            "name",
            "description",
            "time",
            "space",
            "boundary",
            "species",
            "parameters",
            "reactions",
            "rates",
            "inputs",
            "observables",
            "conditions",
            "nondim",
        ],
    )?;

    let name = opt_string(root, "name", "")?.unwrap_or_else(|| "model".into());
    let time = root.get("time").map(|v| axis(v, "time")).transpose()?;
    let space = match root.get("space") {
        None => Vec::new(),
        Some(v) => space(v)?,
    };

    // First pass: the names, so that expressions anywhere can be checked.
    let species_map = match root.get("species") {
        None => Map::new(),
        Some(v) => object(v, "species")?.clone(),
    };
    let params_map = match root.get("parameters") {
        None => Map::new(),
        Some(v) => object(v, "parameters")?.clone(),
    };
    let inputs = match root.get("inputs") {
        None => Vec::new(),
        Some(v) => {
            let arr = v.as_array().ok_or_else(|| {
                DocError::field(
                    "inputs",
                    format!("expected a list of names, got {}", kind_of(v)),
                )
            })?;
            arr.iter()
                .enumerate()
                .map(|(i, s)| string(s, &format!("inputs[{i}]")).map(str::to_string))
                .collect::<Res<Vec<_>>>()?
        }
    };
    let names = Names {
        species: species_map.keys().cloned().collect(),
        parameters: params_map.keys().cloned().collect(),
        inputs: inputs.clone(),
        coords: space.iter().map(|(n, _)| n.clone()).collect(),
    };
    let mut seen = BTreeSet::new();
    for (section, list) in [
        ("species", &names.species),
        ("parameters", &names.parameters),
        ("inputs", &names.inputs),
    ] {
        for n in list {
            identifier(n, &format!("{section}.{n}"), !space.is_empty())?;
            if !seen.insert(n.clone()) {
                return Err(DocError::field(
                    format!("{section}.{n}"),
                    format!("the name '{n}' is used twice"),
                ));
            }
        }
    }
    if names.species.is_empty() && names.inputs.is_empty() {
        return Err(DocError::field(
            "species",
            "the model has no species (and no inputs for an algebraic model)",
        ));
    }
    if !names.species.is_empty() && !names.inputs.is_empty() {
        return Err(DocError::field(
            "inputs",
            "a model with species is kinetic; inputs are for algebraic models without species",
        ));
    }

    let parameters = params_map
        .iter()
        .map(|(n, v)| parameter(n, v, &format!("parameters.{n}")))
        .collect::<Res<Vec<_>>>()?;
    let spatial = !space.is_empty();
    let initial_scope = names.scope("an initial value", false, true, false, false);
    let diffusion_scope = names.scope("a diffusion coefficient", true, true, false, true);
    let species = species_map
        .iter()
        .map(|(n, v)| {
            let path = format!("species.{n}");
            let map = object(v, &path)?;
            check_keys(
                map,
                &path,
                &["units", "initial", "diffusion", "description"],
            )?;
            let diffusion = map
                .get("diffusion")
                .map(|d| diffusion_scope.expr(d, &child(&path, "diffusion")))
                .transpose()?;
            if diffusion.is_some() && !spatial {
                return Err(DocError::field(
                    child(&path, "diffusion"),
                    "diffusion needs a 'space' section (the model has no space axes)",
                ));
            }
            Ok(Species {
                name: n.clone(),
                units: opt_string(map, "units", &path)?,
                initial: match map.get("initial") {
                    None => Expr::Num(0.0),
                    Some(v) => initial_scope.expr(v, &child(&path, "initial"))?,
                },
                initial_given: map.contains_key("initial"),
                diffusion,
            })
        })
        .collect::<Res<Vec<_>>>()?;

    let rate_scope = names.scope("a rate", true, true, false, true);
    let reactions = match root.get("reactions") {
        None => Vec::new(),
        Some(v) => {
            let arr = v.as_array().ok_or_else(|| {
                DocError::field("reactions", format!("expected a list, got {}", kind_of(v)))
            })?;
            arr.iter()
                .enumerate()
                .map(|(i, r)| reaction(r, &format!("reactions[{i}]"), &names, &rate_scope))
                .collect::<Res<Vec<_>>>()?
        }
    };
    let rates = match root.get("rates") {
        None => None,
        Some(v) => {
            if !reactions.is_empty() {
                return Err(DocError::field(
                    "rates",
                    "give either 'reactions' or 'rates', not both",
                ));
            }
            let map = object(v, "rates")?;
            Some(
                map.iter()
                    .map(|(s, e)| {
                        let path = format!("rates.{s}");
                        names.species_name(s, &path)?;
                        Ok((s.clone(), rate_scope.expr(e, &path)?))
                    })
                    .collect::<Res<Vec<_>>>()?,
            )
        }
    };
    if !names.species.is_empty() && reactions.is_empty() && rates.is_none() {
        return Err(DocError::field(
            "reactions",
            "a model with species needs 'reactions' or 'rates'",
        ));
    }

    let boundary = match root.get("boundary") {
        None => space
            .iter()
            .map(|_| AxisBoundary::Sides {
                min: SideCondition::Neumann,
                max: SideCondition::Neumann,
            })
            .collect(),
        Some(v) => {
            if !spatial {
                return Err(DocError::field(
                    "boundary",
                    "boundary conditions need a 'space' section",
                ));
            }
            boundary(v, &space, &names)?
        }
    };

    let observables = observables(root.get("observables"), &names, &parameters)?;
    let conditions = match root.get("conditions") {
        None => Vec::new(),
        Some(v) => conditions(v, &names, &initial_scope)?,
    };

    let columns: Vec<&str> = std::iter::once("t")
        .chain(names.coords.iter().map(String::as_str))
        .chain(names.species.iter().map(String::as_str))
        .chain(observables.iter().map(|o| o.name.as_str()))
        .collect();
    let rescaling = root
        .get("nondim")
        .map(|v| rescaling(v, &columns))
        .transpose()?;

    Ok(Model {
        name,
        time,
        space,
        boundary,
        species,
        parameters,
        reactions,
        rates,
        inputs,
        observables,
        conditions,
        rescaling,
        source: doc,
    })
}

/// The `nondim` section: `scales` maps `t`, the space axes and species (or
/// observables) to a positive scale, a number or `{"value", "expr", "units"}`
/// (`expr` and `units` say where it came from); `parameters` documents the
/// dimensionless groups; `model` is the dimensional model document.
fn rescaling(v: &Value, columns: &[&str]) -> Res<Rescaling> {
    let map = object(v, "nondim")?;
    check_keys(map, "nondim", &["scales", "parameters", "model"])?;
    let scales_map = object(
        map.get("scales")
            .ok_or_else(|| DocError::field("nondim", "missing 'scales'"))?,
        "nondim.scales",
    )?;
    let mut scales = Vec::new();
    for (name, s) in scales_map {
        let path = format!("nondim.scales.{name}");
        if !columns.contains(&name.as_str()) {
            let hint = did_you_mean(name, columns.iter().copied());
            return Err(DocError::field(
                path,
                format!(
                    "'{name}' is not a column of the model{hint}; scales apply to {}",
                    columns.join(", ")
                ),
            ));
        }
        let value = match s {
            Value::Object(m) => {
                check_keys(m, &path, &["value", "expr", "units"])?;
                let value = m
                    .get("value")
                    .ok_or_else(|| DocError::field(&path, "missing 'value'"))?;
                opt_string(m, "expr", &path)?;
                opt_string(m, "units", &path)?;
                number(value, &child(&path, "value"))?
            }
            other => number(other, &path)?,
        };
        if value <= 0.0 {
            return Err(DocError::field(
                path,
                format!("a scale must be positive, got {value}"),
            ));
        }
        scales.push((name.clone(), value));
    }
    if let Some(p) = map.get("parameters") {
        object(p, "nondim.parameters")?;
    }
    let dimensional = match map.get("model") {
        None => None,
        Some(m) => Some(Value::Object(object(m, "nondim.model")?.clone())),
    };
    Ok(Rescaling {
        scales,
        dimensional,
    })
}

fn axis(v: &Value, path: &str) -> Res<Axis> {
    let map = object(v, path)?;
    check_keys(map, path, &["units", "span"])?;
    Ok(Axis {
        units: opt_string(map, "units", path)?,
        span: map
            .get("span")
            .map(|s| interval(s, &child(path, "span")))
            .transpose()?,
    })
}

fn space(v: &Value) -> Res<Vec<(String, Axis)>> {
    let map = object(v, "space")?;
    check_keys(map, "space", &["x", "y"])?;
    if map.contains_key("y") && !map.contains_key("x") {
        return Err(DocError::field("space", "a 'y' axis needs an 'x' axis"));
    }
    let mut out = Vec::new();
    for key in ["x", "y"] {
        if let Some(a) = map.get(key) {
            let path = format!("space.{key}");
            let ax = axis(a, &path)?;
            if ax.span.is_none() {
                return Err(DocError::field(
                    path,
                    "a space axis needs a 'span' [lo, hi]",
                ));
            }
            out.push((key.to_string(), ax));
        }
    }
    if out.is_empty() {
        return Err(DocError::field("space", "expected an 'x' axis"));
    }
    Ok(out)
}

fn parameter(name: &str, v: &Value, path: &str) -> Res<Parameter> {
    // A bare number is shorthand for {"value": number}.
    if v.is_number() {
        return Ok(Parameter {
            name: name.to_string(),
            value: number(v, path)?,
            units: None,
            bounds: None,
            estimate: false,
            scale: Scale::Lin,
        });
    }
    let map = object(v, path)?;
    check_keys(
        map,
        path,
        &[
            "value",
            "units",
            "bounds",
            "estimate",
            "scale",
            "description",
        ],
    )?;
    let value = number(
        map.get("value")
            .ok_or_else(|| DocError::field(path, "missing 'value'"))?,
        &child(path, "value"),
    )?;
    let bounds = map
        .get("bounds")
        .map(|b| interval(b, &child(path, "bounds")))
        .transpose()?;
    if let Some([lo, hi]) = bounds
        && !(lo <= value && value <= hi)
    {
        return Err(DocError::field(
            child(path, "value"),
            format!("{value} lies outside the bounds [{lo}, {hi}]"),
        ));
    }
    let estimate = match map.get("estimate") {
        None => false,
        Some(e) => e.as_bool().ok_or_else(|| {
            DocError::field(
                child(path, "estimate"),
                format!("expected true or false, got {}", kind_of(e)),
            )
        })?,
    };
    let positive = bounds.is_some_and(|[lo, _]| lo > 0.0);
    let scale = match map.get("scale") {
        None => {
            if positive {
                Scale::Log
            } else {
                Scale::Lin
            }
        }
        Some(s) => match string(s, &child(path, "scale"))? {
            "log" if positive => Scale::Log,
            "log" => {
                return Err(DocError::field(
                    child(path, "scale"),
                    "a log scale needs positive bounds [lo, hi] with lo > 0",
                ));
            }
            "lin" => Scale::Lin,
            other => {
                return Err(DocError::field(
                    child(path, "scale"),
                    format!("expected \"log\" or \"lin\", got \"{other}\""),
                ));
            }
        },
    };
    Ok(Parameter {
        name: name.to_string(),
        value,
        units: opt_string(map, "units", path)?,
        bounds,
        estimate,
        scale,
    })
}

fn stoichiometry(v: Option<&Value>, path: &str, names: &Names) -> Res<Vec<(String, f64)>> {
    let Some(v) = v else { return Ok(Vec::new()) };
    let map = object(v, path)?;
    map.iter()
        .map(|(s, c)| {
            let p = child(path, s);
            names.species_name(s, &p)?;
            let c = number(c, &p)?;
            if c <= 0.0 {
                return Err(DocError::field(
                    p,
                    format!("stoichiometry must be positive, got {c}"),
                ));
            }
            Ok((s.clone(), c))
        })
        .collect()
}

fn reaction(v: &Value, path: &str, names: &Names, scope: &Scope) -> Res<Reaction> {
    use crate::expr::simplify::{mul, pow};
    let map = object(v, path)?;
    check_keys(
        map,
        path,
        &["name", "reactants", "products", "rate", "k", "description"],
    )?;
    let reactants = stoichiometry(map.get("reactants"), &child(path, "reactants"), names)?;
    let products = stoichiometry(map.get("products"), &child(path, "products"), names)?;
    if reactants.is_empty() && products.is_empty() {
        return Err(DocError::field(
            path,
            "a reaction needs 'reactants' or 'products'",
        ));
    }
    let rate = match (map.get("rate"), map.get("k")) {
        (Some(r), None) => scope.expr(r, &child(path, "rate"))?,
        (None, Some(k)) => {
            let k = scope.expr(k, &child(path, "k"))?;
            reactants
                .iter()
                .fold(k, |acc, (s, m)| mul(acc, pow(Expr::var(s), Expr::Num(*m))))
        }
        (Some(_), Some(_)) => {
            return Err(DocError::field(
                path,
                "give either 'rate' or a mass-action 'k', not both",
            ));
        }
        (None, None) => {
            return Err(DocError::field(
                path,
                "missing 'rate' (or a mass-action constant 'k')",
            ));
        }
    };
    Ok(Reaction {
        name: opt_string(map, "name", path)?,
        reactants,
        products,
        rate,
    })
}

fn side(v: &Value, path: &str, names: &Names) -> Res<Option<SideCondition>> {
    let value_scope = names.scope("a boundary value", false, true, false, true);
    let kind = match v {
        Value::String(s) => s.as_str(),
        Value::Object(map) => {
            check_keys(map, path, &["kind", "value"])?;
            string(
                map.get("kind")
                    .ok_or_else(|| DocError::field(path, "missing 'kind'"))?,
                &child(path, "kind"),
            )?
        }
        other => {
            return Err(DocError::field(
                path,
                format!("expected a boundary kind or object, got {}", kind_of(other)),
            ));
        }
    };
    match kind {
        "periodic" => Ok(None),
        "neumann" => Ok(Some(SideCondition::Neumann)),
        "dirichlet" => {
            let vpath = child(path, "value");
            let values = v.get("value").ok_or_else(|| {
                DocError::field(
                    path,
                    "a dirichlet side needs 'value': {species: expression}",
                )
            })?;
            let map = object(values, &vpath)?;
            let mut out = Vec::new();
            for s in &names.species {
                let e = map.get(s).ok_or_else(|| {
                    DocError::field(&vpath, format!("no value for species '{s}'"))
                })?;
                out.push((s.clone(), value_scope.expr(e, &child(&vpath, s))?));
            }
            for key in map.keys() {
                names.species_name(key, &child(&vpath, key))?;
            }
            Ok(Some(SideCondition::Dirichlet(out)))
        }
        other => {
            let hint = did_you_mean(other, ["periodic", "neumann", "dirichlet"]);
            Err(DocError::field(
                path,
                format!(
                    "unknown boundary kind '{other}'{hint}; expected periodic, neumann or dirichlet"
                ),
            ))
        }
    }
}

fn boundary(v: &Value, space: &[(String, Axis)], names: &Names) -> Res<Vec<AxisBoundary>> {
    let sides_of = |v: &Value, path: &str| -> Res<AxisBoundary> {
        let axis_name = path.rsplit('.').next().unwrap_or("x");
        let (lo_alias, hi_alias) = if axis_name == "y" {
            ("bottom", "top")
        } else {
            ("left", "right")
        };
        let as_sides = v.as_object().filter(|m| !m.contains_key("kind"));
        match as_sides {
            Some(map) => {
                check_keys(map, path, &["min", "max", lo_alias, hi_alias])?;
                let get = |a: &str, b: &str| -> Res<(String, &Value)> {
                    match (map.get(a), map.get(b)) {
                        (Some(x), None) => Ok((child(path, a), x)),
                        (None, Some(x)) => Ok((child(path, b), x)),
                        (Some(_), Some(_)) => Err(DocError::field(
                            path,
                            format!("give '{a}' or '{b}', not both"),
                        )),
                        (None, None) => Err(DocError::field(path, format!("missing '{a}' side"))),
                    }
                };
                let (pmin, vmin) = get("min", lo_alias)?;
                let (pmax, vmax) = get("max", hi_alias)?;
                match (side(vmin, &pmin, names)?, side(vmax, &pmax, names)?) {
                    (Some(min), Some(max)) => Ok(AxisBoundary::Sides { min, max }),
                    (None, None) => Ok(AxisBoundary::Periodic),
                    _ => Err(DocError::field(
                        path,
                        "periodic applies to both sides of an axis or to neither",
                    )),
                }
            }
            None => Ok(match side(v, path, names)? {
                None => AxisBoundary::Periodic,
                Some(s) => AxisBoundary::Sides {
                    min: s.clone(),
                    max: s,
                },
            }),
        }
    };
    match v {
        Value::Object(map) if !map.contains_key("kind") => {
            let axes: Vec<&str> = space.iter().map(|(n, _)| n.as_str()).collect();
            check_keys(map, "boundary", &axes)?;
            axes.iter()
                .map(|a| match map.get(*a) {
                    Some(b) => sides_of(b, &format!("boundary.{a}")),
                    None => Ok(AxisBoundary::Sides {
                        min: SideCondition::Neumann,
                        max: SideCondition::Neumann,
                    }),
                })
                .collect()
        }
        _ => space
            .iter()
            .map(|(a, _)| {
                sides_of(v, &format!("boundary.{a}")).map_err(|e| match e {
                    DocError::Field { message, .. } => DocError::field("boundary", message),
                    other => other,
                })
            })
            .collect(),
    }
}

fn noise(v: &Value, path: &str, parameters: &[Parameter]) -> Res<Noise> {
    let map = object(v, path)?;
    check_keys(map, path, &["kind", "sigma"])?;
    let kind_name = match map.get("kind") {
        None => "gaussian",
        Some(k) => string(k, &child(path, "kind"))?,
    };
    let kind = NoiseKind::from_name(kind_name).ok_or_else(|| {
        let hint = did_you_mean(kind_name, NoiseKind::NAMES.iter().map(|(_, n)| *n));
        DocError::field(child(path, "kind"), format!("unknown noise kind '{kind_name}'{hint}; expected gaussian, proportional or lognormal"))
    })?;
    let sigma = match map.get("sigma") {
        None => None,
        Some(Value::String(p)) => {
            if !parameters.iter().any(|q| &q.name == p) {
                let hint = did_you_mean(p, parameters.iter().map(|q| q.name.as_str()));
                return Err(DocError::field(
                    child(path, "sigma"),
                    format!("unknown parameter '{p}'{hint}"),
                ));
            }
            Some(Sigma::Parameter(p.clone()))
        }
        Some(s) => {
            let x = number(s, &child(path, "sigma"))?;
            if x <= 0.0 {
                return Err(DocError::field(
                    child(path, "sigma"),
                    format!("sigma must be positive, got {x}"),
                ));
            }
            Some(Sigma::Value(x))
        }
    };
    Ok(Noise { kind, sigma })
}

fn observables(v: Option<&Value>, names: &Names, parameters: &[Parameter]) -> Res<Vec<Observable>> {
    let scope = names.scope("an observable", true, true, true, true);
    let Some(v) = v else {
        // Without observables, each species is observed as it is.
        return Ok(names
            .species
            .iter()
            .map(|s| Observable {
                name: s.clone(),
                expr: Expr::var(s),
                units: None,
                noise: None,
            })
            .collect());
    };
    let map = object(v, "observables")?;
    map.iter()
        .map(|(name, o)| {
            let path = format!("observables.{name}");
            identifier(name, &path, !names.coords.is_empty())?;
            if names.parameters.contains(name) || names.inputs.contains(name) {
                return Err(DocError::field(
                    &path,
                    format!("'{name}' is already a parameter or input name"),
                ));
            }
            let (expr, units, noise_spec) = match o {
                Value::String(_) => (scope.expr(o, &path)?, None, None),
                _ => {
                    let m = object(o, &path)?;
                    check_keys(m, &path, &["expr", "units", "noise", "description"])?;
                    let e = m
                        .get("expr")
                        .ok_or_else(|| DocError::field(&path, "missing 'expr'"))?;
                    let noise_spec = m
                        .get("noise")
                        .map(|n| noise(n, &child(&path, "noise"), parameters))
                        .transpose()?;
                    (
                        scope.expr(e, &child(&path, "expr"))?,
                        opt_string(m, "units", &path)?,
                        noise_spec,
                    )
                }
            };
            if names.species.contains(name) && expr != Expr::var(name) {
                return Err(DocError::field(
                    &path,
                    format!("an observable named like species '{name}' must observe it as it is"),
                ));
            }
            Ok(Observable {
                name: name.clone(),
                expr,
                units,
                noise: noise_spec,
            })
        })
        .collect()
}

fn conditions(v: &Value, names: &Names, initial_scope: &Scope) -> Res<Vec<Condition>> {
    let map = object(v, "conditions")?;
    map.iter()
        .map(|(cname, c)| {
            let path = format!("conditions.{cname}");
            let m = object(c, &path)?;
            check_keys(m, &path, &["parameters", "initial", "description"])?;
            let parameters = match m.get("parameters") {
                None => Vec::new(),
                Some(p) => object(p, &child(&path, "parameters"))?
                    .iter()
                    .map(|(pn, pv)| {
                        let pp = format!("{path}.parameters.{pn}");
                        if !names.parameters.contains(pn) {
                            let hint =
                                did_you_mean(pn, names.parameters.iter().map(String::as_str));
                            return Err(DocError::field(
                                pp,
                                format!("unknown parameter '{pn}'{hint}"),
                            ));
                        }
                        Ok((pn.clone(), number(pv, &pp)?))
                    })
                    .collect::<Res<Vec<_>>>()?,
            };
            let initial = match m.get("initial") {
                None => Vec::new(),
                Some(i) => object(i, &child(&path, "initial"))?
                    .iter()
                    .map(|(sn, sv)| {
                        let sp = format!("{path}.initial.{sn}");
                        names.species_name(sn, &sp)?;
                        Ok((sn.clone(), initial_scope.expr(sv, &sp)?))
                    })
                    .collect::<Res<Vec<_>>>()?,
            };
            Ok(Condition {
                name: cname.clone(),
                parameters,
                initial,
            })
        })
        .collect()
}
