//! The dimensionless model: every variable replaced by its scale times a
//! dimensionless variable, every equation divided by its scale, and every
//! parameter by its scale in the unit system where the characteristic
//! scales are 1.
//!
//! Why this is exact: pick a dimensionally independent basis B among the
//! scales (then the parameters) and measure every quantity q in units of
//! B, q' = q / Π Bᵢ^cᵢ. A dimensionally homogeneous expression has the same
//! value in every consistent system of units (Barenblatt 1996, *Scaling*,
//! §1.1), so the rescaled equations are the same expressions with q → q',
//! and the scales themselves are 1. Parameters whose q' is a constant (the
//! repeating variables) disappear; the others become the new dimensionless
//! parameters. An expression whose bare numbers carry units (`x/200` with x
//! in µm) is not homogeneous with pure numbers: its parameters are then
//! folded in at their values, exactly for these values, and a note says so.

use std::collections::{BTreeSet, HashMap};

use piml_model::expr::simplify::{div, mul, pow};
use piml_model::expr::{Expr, simplify};
use piml_model::units::Unit;
use piml_model::{AxisBoundary, Model, Numbers, SideCondition, Sigma, infer_units};
use serde_json::{Map, Value, json};

use crate::dimensions::{Dimensions, Role};
use crate::error::Error;
use crate::groups::by_preference;
use crate::monomial::Monomial;
use crate::rational::{Ratio, integer_multiple, rank, solve};
use crate::scales::{Scale, values};

/// A parameter of the dimensionless model.
#[derive(Debug, Clone)]
pub struct NewParameter {
    pub name: String,
    /// The dimensional parameter it replaces.
    pub from: String,
    /// q / (its scale), in the dimensional parameters.
    pub expr: Expr,
    pub value: f64,
}

/// The dimensionless model and what was done to get it.
#[derive(Debug, Clone)]
pub struct Rewritten {
    /// The model document.
    pub document: Value,
    pub parameters: Vec<NewParameter>,
    /// Parameters that the scales absorb, with their constant value in the
    /// new units (1 for the repeating variables).
    pub absorbed: Vec<(String, f64)>,
    /// Expressions whose numbers carry units, folded at the current values.
    pub notes: Vec<String>,
}

/// How a dimensional quantity enters the new model.
struct Conversion {
    /// q' = q / scale(q), when it is a product of powers.
    monomial: Option<Monomial>,
    /// The value of scale(q) = q / q'.
    scale_value: f64,
    /// What q becomes: a new parameter's name or a constant.
    replacement: Expr,
}

/// A basis element: the dimensions and the expression of a scale or a quantity.
struct BasisElement {
    dims: Vec<Ratio>,
    expr: Expr,
    monomial: Option<Monomial>,
}

fn basis(dims: &Dimensions, scales: &[Scale]) -> Vec<BasisElement> {
    let scale_elements = scales.iter().map(|s| BasisElement {
        dims: dims.variable(&s.name).expect("a variable").dims.clone(),
        expr: s.expr.clone(),
        monomial: Monomial::from_expr(&s.expr),
    });
    let quantity_elements = by_preference(dims).into_iter().map(|q| BasisElement {
        dims: q.dims.clone(),
        expr: Expr::var(&q.name),
        monomial: Some(Monomial::name(&q.name)),
    });
    let mut chosen: Vec<BasisElement> = Vec::new();
    for e in scale_elements.chain(quantity_elements) {
        let mut trial: Vec<Vec<Ratio>> = chosen.iter().map(|c| c.dims.clone()).collect();
        trial.push(e.dims.clone());
        if rank(&trial) == trial.len() {
            chosen.push(e);
        }
    }
    chosen
}

/// A readable name for q' built from the integer form of its group.
fn parameter_name(q: &str, m: Option<&Monomial>, dims: &Dimensions) -> String {
    let Some(m) = m else {
        return format!("pi_{q}");
    };
    if m.coefficient == 1.0 && m.powers.len() == 1 && m.powers.get(q) == Some(&Ratio::ONE) {
        return q.to_string();
    }
    let names: Vec<&String> = m.powers.keys().collect();
    let ints = integer_multiple(&m.powers.values().copied().collect::<Vec<_>>());
    let powers: Vec<(String, i64)> = names
        .iter()
        .map(|n| n.to_string())
        .zip(ints.iter().map(|r| r.numer()))
        .collect();
    let classical = crate::groups::classical_name(&powers, dims, false);
    match classical {
        Some(c) if c.starts_with("Damköhler") => "Da".into(),
        Some(c) if c.starts_with("Péclet") => "Pe".into(),
        Some(c) if c.ends_with("ratio") && m.coefficient == 1.0 => {
            let over = powers
                .iter()
                .find(|(_, p)| *p < 0)
                .map_or("", |(n, _)| n.as_str());
            format!("{q}_over_{over}")
        }
        _ => format!("pi_{q}"),
    }
}

/// Makes `name` unique against `taken` with a numeric suffix.
fn unique(name: String, taken: &mut BTreeSet<String>) -> String {
    let mut candidate = name.clone();
    let mut i = 2;
    while taken.contains(&candidate) {
        candidate = format!("{name}_{i}");
        i += 1;
    }
    taken.insert(candidate.clone());
    candidate
}

/// Rewrites a model in its characteristic scales.
pub fn rewrite(model: &Model, dims: &Dimensions, scales: &[Scale]) -> Result<Rewritten, Error> {
    let vals = values(dims);
    let lookup = |n: &str| vals.get(n).copied();
    let b = basis(dims, scales);
    let b_dims: Vec<Vec<Ratio>> = b.iter().map(|e| e.dims.clone()).collect();
    let mut taken: BTreeSet<String> = model.species.iter().map(|s| s.name.clone()).collect();
    let mut conversions: HashMap<String, Conversion> = HashMap::new();
    let mut parameters = Vec::new();
    let mut absorbed = Vec::new();
    for q in &dims.physical {
        let c = solve(&b_dims, &q.dims).expect("the basis spans every quantity");
        let monomial = b
            .iter()
            .zip(&c)
            .try_fold(Monomial::name(&q.name), |m, (e, p)| {
                Some(m.times(&e.monomial.as_ref()?.power(-*p)))
            });
        let expr = match &monomial {
            Some(m) => m.to_expr(),
            None => simplify(&b.iter().zip(&c).fold(Expr::var(&q.name), |acc, (e, p)| {
                div(acc, pow(e.expr.clone(), Expr::Num(p.to_f64())))
            })),
        };
        let value = expr.eval(&lookup);
        let replacement = match (&monomial, &q.role) {
            (Some(m), _) if m.is_constant() => {
                absorbed.push((q.name.clone(), m.coefficient));
                Expr::Num(m.coefficient)
            }
            (_, Role::Parameter) => {
                let name = unique(parameter_name(&q.name, monomial.as_ref(), dims), &mut taken);
                parameters.push(NewParameter {
                    name: name.clone(),
                    from: q.name.clone(),
                    expr: expr.clone(),
                    value,
                });
                Expr::var(&name)
            }
            // A domain length lives in the spans, as a number.
            _ => Expr::Num(value),
        };
        conversions.insert(
            q.name.clone(),
            Conversion {
                monomial,
                // Π Bᵢ^cᵢ from the basis values, so that a parameter of value 0 has a scale too.
                scale_value: b
                    .iter()
                    .zip(&c)
                    .map(|(e, p)| e.expr.eval(&lookup).powf(p.to_f64()))
                    .product(),
                replacement,
            },
        );
    }
    let mut rw = Rewriter {
        model,
        dims,
        scales,
        conversions: &conversions,
        notes: Vec::new(),
    };
    let document = rw.document(&parameters)?;
    let notes = rw.notes;
    Ok(Rewritten {
        document,
        parameters,
        absorbed,
        notes,
    })
}

struct Rewriter<'a> {
    model: &'a Model,
    dims: &'a Dimensions,
    scales: &'a [Scale],
    conversions: &'a HashMap<String, Conversion>,
    notes: Vec<String>,
}

impl Rewriter<'_> {
    fn scale(&self, name: &str) -> &Scale {
        // y shares the length scale of x.
        let key = if self.model.space.iter().any(|(a, _)| a == name) {
            "x"
        } else {
            name
        };
        self.scales
            .iter()
            .find(|s| s.name == key)
            .expect("every variable has a scale")
    }

    /// `coefficient`·e with every variable v replaced by scale(v)·v, in the
    /// new parameters; `field` names e in notes.
    fn convert(&mut self, e: &Expr, coefficient: Expr, field: &str) -> Expr {
        let variables = |n: &str| {
            self.dims
                .variable(n)
                .map(|_| mul(self.scale(n).expr.clone(), Expr::var(n)))
        };
        let scaled = mul(coefficient, e.substitute(&variables));
        let mut symbols = self.dims.symbols();
        for v in &self.dims.variables {
            symbols.insert(v.name.clone(), Unit::ONE);
        }
        let (unit, issues) = infer_units(&scaled, &symbols, Numbers::Dimensionless);
        let homogeneous = issues.is_empty() && unit.is_none_or(|u| u.same_as(&Unit::ONE));
        let replaced = if homogeneous {
            scaled.substitute(&|n| self.conversions.get(n).map(|c| c.replacement.clone()))
        } else {
            // A plain number (an initial value of 10 cells) is simply divided by its scale.
            if !e.symbols().is_empty() {
                self.notes.push(format!(
                    "{field}: the numbers in '{e}' carry units; its parameters are folded in at their current values"
                ));
            }
            scaled.substitute(&|n| {
                self.conversions
                    .get(n)
                    .map(|c| mul(c.replacement.clone(), Expr::Num(c.scale_value)))
            })
        };
        simplify(&replaced)
    }

    fn inverse(&self, name: &str) -> Expr {
        div(Expr::Num(1.0), self.scale(name).expr.clone())
    }

    fn document(&mut self, parameters: &[NewParameter]) -> Result<Value, Error> {
        let model = self.model;
        let t_scale = self.scale("t").clone();
        let mut doc = Map::new();
        doc.insert("name".into(), format!("{}-nd", model.name).into());
        doc.insert(
            "description".into(),
            format!("Dimensionless form of '{}', written by nondim; `nondim` holds the scales that convert results back.", model.name).into(),
        );
        let mut time = Map::new();
        time.insert("units".into(), "dimensionless".into());
        if let Some([lo, hi]) = model.time.as_ref().and_then(|t| t.span) {
            time.insert(
                "span".into(),
                json!([lo / t_scale.value, hi / t_scale.value]),
            );
        }
        doc.insert("time".into(), Value::Object(time));
        if model.is_spatial() {
            let mut space = Map::new();
            for (axis, a) in &model.space {
                let [lo, hi] = a.span.expect("space axes have spans");
                let x = self.scale(axis).value;
                space.insert(
                    axis.clone(),
                    json!({"units": "dimensionless", "span": [lo / x, hi / x]}),
                );
            }
            doc.insert("space".into(), Value::Object(space));
            doc.insert("boundary".into(), self.boundary());
        }
        let mut species = Map::new();
        for s in &model.species {
            let mut entry = Map::new();
            entry.insert("units".into(), "dimensionless".into());
            let initial = self.convert(
                &s.initial,
                self.inverse(&s.name),
                &format!("species.{}.initial", s.name),
            );
            entry.insert("initial".into(), initial.to_string().into());
            if let Some(d) = &s.diffusion {
                let x = self.scale("x").expr.clone();
                let coefficient = div(t_scale.expr.clone(), pow(x, Expr::Num(2.0)));
                let d = self.convert(d, coefficient, &format!("species.{}.diffusion", s.name));
                entry.insert("diffusion".into(), d.to_string().into());
            }
            species.insert(s.name.clone(), Value::Object(entry));
        }
        doc.insert("species".into(), Value::Object(species));
        let mut params = Map::new();
        for p in parameters {
            let original = model.parameter(&p.from).expect("a parameter");
            let mut entry = Map::new();
            entry.insert("value".into(), p.value.into());
            entry.insert("units".into(), "dimensionless".into());
            entry.insert(
                "description".into(),
                format!("{} (was {})", p.expr, p.from).into(),
            );
            let conversion = &self.conversions[&p.from];
            let linear = conversion
                .monomial
                .as_ref()
                .is_some_and(|m| m.coefficient > 0.0 && m.powers.get(&p.from) == Some(&Ratio::ONE));
            if let (Some([lo, hi]), true) = (original.bounds, linear) {
                entry.insert(
                    "bounds".into(),
                    json!([lo / conversion.scale_value, hi / conversion.scale_value]),
                );
                entry.insert(
                    "scale".into(),
                    match original.scale {
                        piml_model::Scale::Log => "log",
                        piml_model::Scale::Lin => "lin",
                    }
                    .into(),
                );
            }
            if original.estimate {
                entry.insert("estimate".into(), true.into());
            }
            params.insert(p.name.clone(), Value::Object(entry));
        }
        doc.insert("parameters".into(), Value::Object(params));
        let mut rates = Map::new();
        for (s, f) in model.species.iter().zip(model.reaction_terms()) {
            let coefficient = div(t_scale.expr.clone(), self.scale(&s.name).expr.clone());
            let f = self.convert(&f, coefficient, &format!("the equation of {}", s.name));
            rates.insert(s.name.clone(), f.to_string().into());
        }
        doc.insert("rates".into(), Value::Object(rates));
        doc.insert("observables".into(), self.observables());
        let conditions = self.conditions()?;
        if !conditions.is_empty() {
            doc.insert("conditions".into(), Value::Object(conditions));
        }
        doc.insert("nondim".into(), self.section(parameters));
        Ok(Value::Object(doc))
    }

    fn boundary(&mut self) -> Value {
        let model = self.model;
        let mut out = Map::new();
        for ((axis, _), b) in model.space.iter().zip(&model.boundary) {
            let value = match b {
                AxisBoundary::Periodic => Value::from("periodic"),
                AxisBoundary::Sides { min, max } => {
                    let mut sides = Map::new();
                    for (side, c) in [("min", min), ("max", max)] {
                        let v = match c {
                            SideCondition::Neumann => Value::from("neumann"),
                            SideCondition::Dirichlet(values) => {
                                let mut m = Map::new();
                                for (s, e) in values {
                                    let field = format!("boundary.{axis}.{side}.value.{s}");
                                    let e = self.convert(e, self.inverse(s), &field);
                                    m.insert(s.clone(), e.to_string().into());
                                }
                                json!({"kind": "dirichlet", "value": m})
                            }
                        };
                        sides.insert(side.into(), v);
                    }
                    Value::Object(sides)
                }
            };
            out.insert(axis.clone(), value);
        }
        Value::Object(out)
    }

    /// Species observables keep their names with the noise in species
    /// scales; other observables are written in their original units
    /// (their scale in the `nondim` section is 1).
    fn observables(&self) -> Value {
        let mut out = Map::new();
        let vals = values(self.dims);
        for o in &self.model.observables {
            let species_scale = self
                .model
                .species
                .iter()
                .find(|s| o.expr == Expr::var(&s.name))
                .map(|s| self.scale(&s.name).value);
            let expr = match species_scale {
                Some(_) => o.expr.clone(),
                None => simplify(&o.expr.substitute(&|n| {
                    if self.dims.variable(n).is_some() {
                        Some(mul(Expr::Num(self.scale(n).value), Expr::var(n)))
                    } else {
                        vals.get(n).map(|v| Expr::Num(*v))
                    }
                })),
            };
            let mut entry = Map::new();
            entry.insert("expr".into(), expr.to_string().into());
            match (species_scale, &o.units) {
                (Some(_), _) => {
                    entry.insert("units".into(), "dimensionless".into());
                }
                (None, Some(units)) => {
                    entry.insert("units".into(), units.clone().into());
                }
                (None, None) => {}
            }
            if let Some(noise) = &o.noise {
                let mut n = Map::new();
                n.insert("kind".into(), noise.kind.name().into());
                let gaussian = noise.kind == piml_model::NoiseKind::Gaussian;
                let divisor = if gaussian {
                    species_scale.unwrap_or(1.0)
                } else {
                    1.0
                };
                match &noise.sigma {
                    None => {}
                    Some(Sigma::Value(v)) => {
                        n.insert("sigma".into(), (v / divisor).into());
                    }
                    Some(Sigma::Parameter(p)) => {
                        let c = &self.conversions[p];
                        match (&c.replacement, divisor == c.scale_value) {
                            (Expr::Var(name), true) => {
                                n.insert("sigma".into(), name.clone().into());
                            }
                            _ => {
                                n.insert("sigma".into(), (vals[p] / divisor).into());
                            }
                        }
                    }
                }
                entry.insert("noise".into(), Value::Object(n));
            }
            out.insert(o.name.clone(), Value::Object(entry));
        }
        Value::Object(out)
    }

    fn conditions(&mut self) -> Result<Map<String, Value>, Error> {
        let mut out = Map::new();
        for c in &self.model.conditions {
            let mut params = Map::new();
            for (p, v) in &c.parameters {
                let conv = &self.conversions[p];
                match &conv.replacement {
                    Expr::Var(name) => {
                        params.insert(name.clone(), (v / conv.scale_value).into());
                    }
                    _ if *v == self.model.parameter(p).map_or(f64::NAN, |q| q.value) => {}
                    _ => {
                        return Err(Error::Model {
                            field: format!("conditions.{}.parameters.{p}", c.name),
                            message: format!(
                                "'{p}' sets a characteristic scale, which one dimensionless model cannot vary; \
                                 give scales that do not use {p} (--scale)"
                            ),
                        });
                    }
                }
            }
            let mut initial = Map::new();
            for (s, e) in &c.initial {
                let field = format!("conditions.{}.initial.{s}", c.name);
                let e = self.convert(e, self.inverse(s), &field);
                initial.insert(s.clone(), e.to_string().into());
            }
            let mut entry = Map::new();
            if !params.is_empty() {
                entry.insert("parameters".into(), Value::Object(params));
            }
            if !initial.is_empty() {
                entry.insert("initial".into(), Value::Object(initial));
            }
            out.insert(c.name.clone(), Value::Object(entry));
        }
        Ok(out)
    }

    /// The `nondim` section: the scales of every column, the new parameters,
    /// and the dimensional model.
    fn section(&self, parameters: &[NewParameter]) -> Value {
        let mut scales = Map::new();
        let mut columns: Vec<&str> = vec!["t"];
        columns.extend(self.model.space.iter().map(|(a, _)| a.as_str()));
        columns.extend(self.model.species.iter().map(|s| s.name.as_str()));
        for c in columns {
            let s = self.scale(c);
            scales.insert(
                c.into(),
                json!({"value": s.value, "expr": s.expr.to_string(), "units": s.units}),
            );
        }
        let mut params = Map::new();
        for p in parameters {
            params.insert(
                p.name.clone(),
                json!({"expr": p.expr.to_string(), "value": p.value, "from": p.from}),
            );
        }
        json!({"scales": scales, "parameters": params, "model": self.model.source})
    }
}
