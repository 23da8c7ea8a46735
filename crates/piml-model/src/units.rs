//! Units: unit strings parsed into a scale factor and a dimension vector, and
//! a check that every rate law has the units of its species per unit time.

use std::collections::HashMap;
use std::fmt;

use crate::expr::{BinOp, Expr, Func, MAX_NESTING, excerpt};
use crate::model::Model;

/// Base dimensions: length, time, amount (mol), count (cells, molecules),
/// mass, and arbitrary units (fluorescence and the like).
pub const BASE: [&str; 6] = ["m", "s", "mol", "count", "g", "AU"];

/// A unit: `scale` times the product of base units raised to `dims`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Unit {
    pub scale: f64,
    pub dims: [f64; 6],
}

impl Unit {
    pub const ONE: Unit = Unit {
        scale: 1.0,
        dims: [0.0; 6],
    };

    fn base(i: usize, scale: f64) -> Unit {
        let mut dims = [0.0; 6];
        dims[i] = 1.0;
        Unit { scale, dims }
    }

    pub fn powf(self, e: f64) -> Unit {
        Unit {
            scale: self.scale.powf(e),
            dims: self.dims.map(|d| d * e),
        }
    }

    pub fn is_dimensionless(&self) -> bool {
        self.dims.iter().all(|d| d.abs() < 1e-12)
    }

    pub fn same_dimension(&self, o: &Unit) -> bool {
        self.dims
            .iter()
            .zip(&o.dims)
            .all(|(a, b)| (a - b).abs() < 1e-12)
    }

    /// Same dimension and the same scale to rounding.
    pub fn same_as(&self, o: &Unit) -> bool {
        self.same_dimension(o)
            && ((self.scale - o.scale).abs() <= 1e-9 * self.scale.abs().max(o.scale.abs()))
    }
}

impl std::ops::Mul for Unit {
    type Output = Unit;
    // Multiplying units adds their dimension exponents.
    #[allow(clippy::suspicious_arithmetic_impl)]
    fn mul(self, o: Unit) -> Unit {
        Unit {
            scale: self.scale * o.scale,
            dims: std::array::from_fn(|i| self.dims[i] + o.dims[i]),
        }
    }
}

impl std::ops::Div for Unit {
    type Output = Unit;
    fn div(self, o: Unit) -> Unit {
        self * o.powf(-1.0)
    }
}

impl fmt::Display for Unit {
    /// In base units, e.g. `1e-6 m^2 s^-1`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let parts: Vec<String> = BASE
            .iter()
            .zip(self.dims)
            .filter(|(_, d)| d.abs() > 1e-12)
            .map(|(b, d)| {
                if (d - 1.0).abs() < 1e-12 {
                    b.to_string()
                } else {
                    format!("{b}^{d}")
                }
            })
            .collect();
        // Scientific notation outside [1e-4, 1e6], as expressions print numbers.
        let scale = if (1e-4..1e6).contains(&self.scale.abs()) {
            format!("{}", self.scale)
        } else {
            format!("{:e}", self.scale)
        };
        match (self.scale == 1.0, parts.is_empty()) {
            (true, true) => write!(f, "dimensionless"),
            (false, true) => write!(f, "{scale}"),
            (true, false) => write!(f, "{}", parts.join(" ")),
            (false, false) => write!(f, "{scale} {}", parts.join(" ")),
        }
    }
}

/// A unit string that does not parse.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("unit '{text}': {message}")]
pub struct UnitError {
    pub text: String,
    pub message: String,
}

fn named_unit(name: &str) -> Option<Unit> {
    let with_prefix = |s: &str| -> Option<Unit> {
        Some(match s {
            "m" => Unit::base(0, 1.0),
            "s" => Unit::base(1, 1.0),
            "mol" => Unit::base(2, 1.0),
            "g" => Unit::base(4, 1.0),
            "L" | "l" => Unit::base(0, 0.1).powf(3.0),
            // molar = mol/L
            "M" => Unit::base(2, 1.0) / Unit::base(0, 0.1).powf(3.0),
            _ => return None,
        })
    };
    let whole = match name {
        "min" => Some(Unit::base(1, 60.0)),
        "h" | "hr" | "hour" | "hours" => Some(Unit::base(1, 3600.0)),
        "day" | "days" => Some(Unit::base(1, 86400.0)),
        "cell" | "cells" | "molecule" | "molecules" | "count" | "counts" | "copies"
        | "particles" => Some(Unit::base(3, 1.0)),
        "AU" | "au" | "a.u." => Some(Unit::base(5, 1.0)),
        "dimensionless" | "1" | "-" => Some(Unit::ONE),
        "%" | "percent" => Some(Unit {
            scale: 0.01,
            dims: [0.0; 6],
        }),
        _ => None,
    };
    if whole.is_some() {
        return whole;
    }
    if let Some(u) = with_prefix(name) {
        return Some(u);
    }
    let mut chars = name.chars();
    let prefix = chars.next()?;
    let scale = match prefix {
        'f' => 1e-15,
        'p' => 1e-12,
        'n' => 1e-9,
        'u' | 'µ' | 'μ' => 1e-6,
        'm' => 1e-3,
        'c' => 1e-2,
        'd' => 1e-1,
        'k' => 1e3,
        'M' => 1e6,
        _ => return None,
    };
    with_prefix(chars.as_str()).map(|u| Unit {
        scale: u.scale * scale,
        ..u
    })
}

struct UnitParser<'a> {
    text: &'a str,
    chars: Vec<char>,
    pos: usize,
    /// Parentheses open at `pos`, bounded as in expressions.
    depth: usize,
}

impl UnitParser<'_> {
    fn err<T>(&self, message: impl Into<String>) -> Result<T, UnitError> {
        Err(UnitError {
            text: excerpt(self.text),
            message: message.into(),
        })
    }

    fn skip_spaces(&mut self) {
        while self.chars.get(self.pos).is_some_and(|c| c.is_whitespace()) {
            self.pos += 1;
        }
    }

    /// product := factor (('*' | '/' | '·' | ' ') factor)*
    fn product(&mut self) -> Result<Unit, UnitError> {
        let mut u = self.factor()?;
        loop {
            let before = self.pos;
            self.skip_spaces();
            match self.chars.get(self.pos) {
                Some('*' | '·' | '.') => {
                    self.pos += 1;
                    u = u * self.factor()?;
                }
                Some('/') => {
                    self.pos += 1;
                    u = u / self.factor()?;
                }
                Some(')') | None => return Ok(u),
                Some(_) if self.pos > before => u = u * self.factor()?,
                Some(c) => return self.err(format!("unexpected '{c}'")),
            }
        }
    }

    /// factor := (name | number | '(' product ')') ('^' signed number)?
    fn factor(&mut self) -> Result<Unit, UnitError> {
        self.skip_spaces();
        let base = match self.chars.get(self.pos) {
            Some('(') => {
                if self.depth == MAX_NESTING {
                    return self.err(format!("nested deeper than {MAX_NESTING} levels"));
                }
                self.pos += 1;
                self.depth += 1;
                let u = self.product()?;
                self.depth -= 1;
                self.skip_spaces();
                if self.chars.get(self.pos) != Some(&')') {
                    return self.err("missing ')'");
                }
                self.pos += 1;
                u
            }
            Some(c) if c.is_alphanumeric() || matches!(c, 'µ' | '%' | '#' | '_') => {
                let start = self.pos;
                while self.chars.get(self.pos).is_some_and(|c| {
                    c.is_alphanumeric() || matches!(c, 'µ' | '%' | '#' | '_' | '.')
                }) {
                    // A '.' continues a word only inside "a.u." and a decimal number (0.5);
                    // elsewhere it multiplies (`mol.L^-1`).
                    let word = &self.chars[start..self.pos];
                    let decimal = !word.is_empty() && word.iter().all(char::is_ascii_digit);
                    if self.chars[self.pos] == '.' && !word.starts_with(&['a']) && !decimal {
                        break;
                    }
                    self.pos += 1;
                }
                let word: String = self.chars[start..self.pos].iter().collect();
                if let Ok(v) = word.parse::<f64>() {
                    Unit {
                        scale: v,
                        dims: [0.0; 6],
                    }
                } else {
                    match named_unit(&word) {
                        Some(u) => u,
                        None => return self.err(format!("unknown unit '{word}'")),
                    }
                }
            }
            Some(c) => return self.err(format!("unexpected '{c}'")),
            None => return self.err("missing a unit"),
        };
        let after_base = self.pos;
        self.skip_spaces();
        if self.chars.get(self.pos) != Some(&'^') {
            // Spaces here separate factors: leave them to the product.
            self.pos = after_base;
        } else {
            self.pos += 1;
            let start = self.pos;
            while self
                .chars
                .get(self.pos)
                .is_some_and(|c| c.is_ascii_digit() || matches!(c, '-' | '+' | '.'))
            {
                self.pos += 1;
            }
            let text: String = self.chars[start..self.pos].iter().collect();
            let e: f64 = text.parse().map_err(|_| UnitError {
                text: excerpt(self.text),
                message: format!("bad exponent '{text}'"),
            })?;
            return Ok(base.powf(e));
        }
        Ok(base)
    }
}

/// Parses a unit string such as `uM`, `1/s`, `um^2/h`, `cells/um^2`, `1/(uM*min)`.
pub fn parse_unit(text: &str) -> Result<Unit, UnitError> {
    if text.trim().is_empty() {
        return Ok(Unit::ONE);
    }
    let mut p = UnitParser {
        text,
        chars: text.chars().collect(),
        pos: 0,
        depth: 0,
    };
    let u = p.product()?;
    if p.pos < p.chars.len() {
        return p.err(format!("unexpected '{}'", p.chars[p.pos]));
    }
    Ok(u)
}

/// A unit problem found in a model: where, and what.
#[derive(Debug, Clone, PartialEq)]
pub struct UnitIssue {
    pub field: String,
    pub message: String,
}

impl fmt::Display for UnitIssue {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.field, self.message)
    }
}

/// The units of an expression: known, or free (a bare number, which takes
/// whatever units it is combined with).
#[derive(Debug, Clone, Copy)]
enum Q {
    Known(Unit),
    Free,
}

/// How bare numbers in an expression count when its units are inferred.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Numbers {
    /// A number takes whatever units it is combined with (`10 - x` is a length).
    Free,
    /// A number may carry any units: a product or quotient with a number has
    /// units that cannot be told (`x/200` may be a pure number), so only
    /// what is certainly inconsistent is reported.
    AnyUnits,
    /// Every number is a pure number: an expression is then homogeneous only
    /// if its numbers carry no hidden units (what rescaling by units needs).
    Dimensionless,
}

struct Inference<'a> {
    symbols: &'a HashMap<String, Unit>,
    numbers: Numbers,
    issues: Vec<String>,
}

impl Inference<'_> {
    fn same(&mut self, a: Q, b: Q, what: &str) -> Q {
        match (a, b) {
            (Q::Known(x), Q::Known(y)) => {
                if !x.same_dimension(&y) {
                    self.issues
                        .push(format!("{what} of quantities in {x} and {y}"));
                } else if !x.same_as(&y) {
                    self.issues.push(format!(
                        "{what} of quantities whose units differ by a factor {}",
                        x.scale / y.scale
                    ));
                }
                a
            }
            (Q::Known(_), Q::Free) => a,
            _ => b,
        }
    }

    fn dimensionless(&mut self, a: Q, what: &str) {
        if let Q::Known(u) = a
            && !u.is_dimensionless()
        {
            self.issues.push(format!("{what} of a quantity in {u}"));
        }
    }

    fn infer(&mut self, e: &Expr) -> Q {
        match e {
            Expr::Num(_) => match self.numbers {
                Numbers::Free | Numbers::AnyUnits => Q::Free,
                Numbers::Dimensionless => Q::Known(Unit::ONE),
            },
            Expr::Var(s) => self.symbols.get(s).map_or(Q::Free, |u| Q::Known(*u)),
            Expr::Neg(a) => self.infer(a),
            Expr::Bin(op, a, b) => {
                let (qa, qb) = (self.infer(a), self.infer(b));
                match op {
                    BinOp::Add => self.same(qa, qb, "sum"),
                    BinOp::Sub => self.same(qa, qb, "difference"),
                    BinOp::Mul | BinOp::Div => match (qa, qb) {
                        (Q::Free, _) | (_, Q::Free) if self.numbers == Numbers::AnyUnits => Q::Free,
                        (Q::Known(x), Q::Known(y)) => {
                            Q::Known(if *op == BinOp::Mul { x * y } else { x / y })
                        }
                        (Q::Known(x), Q::Free) => Q::Known(x),
                        (Q::Free, Q::Known(y)) => {
                            Q::Known(if *op == BinOp::Mul { y } else { y.powf(-1.0) })
                        }
                        (Q::Free, Q::Free) => Q::Free,
                    },
                    BinOp::Pow => self.power(qa, b, qb),
                }
            }
            Expr::Call(f, args) => {
                let q: Vec<Q> = args.iter().map(|a| self.infer(a)).collect();
                match f {
                    Func::Exp | Func::Log | Func::Sin | Func::Cos | Func::Tanh => {
                        self.dimensionless(q[0], &format!("{}()", f.name()));
                        Q::Known(Unit::ONE)
                    }
                    Func::Sqrt => match q[0] {
                        Q::Known(u) => Q::Known(u.powf(0.5)),
                        Q::Free => Q::Free,
                    },
                    Func::Abs => q[0],
                    Func::Sign | Func::Step => Q::Known(Unit::ONE),
                    Func::Min | Func::Max => self.same(q[0], q[1], &format!("{}()", f.name())),
                    Func::Pow => self.power(q[0], &args[1], q[1]),
                    Func::Mm => {
                        self.same(q[0], q[2], "mm() substrate and Km");
                        q[1]
                    }
                    Func::Hill => {
                        self.same(q[0], q[2], "hill() substrate and K");
                        self.dimensionless(q[3], "hill() exponent");
                        q[1]
                    }
                }
            }
        }
    }

    fn power(&mut self, base: Q, exponent: &Expr, qe: Q) -> Q {
        self.dimensionless(qe, "exponent");
        match (base, crate::expr::simplify(exponent).as_num()) {
            (Q::Known(u), Some(n)) => Q::Known(u.powf(n)),
            (Q::Known(u), None) => {
                self.dimensionless(Q::Known(u), "power with a variable exponent");
                Q::Known(Unit::ONE)
            }
            (Q::Free, _) => Q::Free,
        }
    }
}

/// The units of an expression (`None` when only bare numbers decide them)
/// and the inconsistencies found on the way (sums of different units, a
/// dimensional argument of `exp`, …). Names missing from `symbols` count as
/// free, like numbers under [`Numbers::Free`].
pub fn infer_units(
    e: &Expr,
    symbols: &HashMap<String, Unit>,
    numbers: Numbers,
) -> (Option<Unit>, Vec<String>) {
    let mut inf = Inference {
        symbols,
        numbers,
        issues: Vec::new(),
    };
    let q = match inf.infer(e) {
        Q::Known(u) => Some(u),
        Q::Free => None,
    };
    (q, inf.issues)
}

/// The units of every name of a model that gives them (species, parameters,
/// `t`, the space axes), and the unit strings that do not parse.
pub fn symbol_units(model: &Model) -> (HashMap<String, Unit>, Vec<UnitIssue>) {
    let mut issues = Vec::new();
    let mut symbols = HashMap::new();
    let mut declare = |name: &str, units: &Option<String>, field: String| {
        if let Some(text) = units {
            match parse_unit(text) {
                Ok(u) => {
                    symbols.insert(name.to_string(), u);
                }
                Err(e) => issues.push(UnitIssue {
                    field,
                    message: e.to_string(),
                }),
            }
        }
    };
    for s in &model.species {
        declare(&s.name, &s.units, format!("species.{}.units", s.name));
    }
    for p in &model.parameters {
        declare(&p.name, &p.units, format!("parameters.{}.units", p.name));
    }
    if let Some(time) = &model.time {
        declare("t", &time.units, "time.units".into());
    }
    for (name, axis) in &model.space {
        declare(name, &axis.units, format!("space.{name}.units"));
    }
    (symbols, issues)
}

/// Checks that each rate has the units of its species per unit time.
///
/// Returns the problems found (unparseable units, inconsistent sums, rates
/// in the wrong units); an empty list when all is consistent or when the
/// model gives too few units to tell.
pub fn check_units(model: &Model) -> Vec<UnitIssue> {
    let (symbols, mut issues) = symbol_units(model);
    let Some(time_unit) = symbols.get("t").copied() else {
        return issues;
    };

    let check_rate = |field: String, rate: &Expr, species: &str, issues: &mut Vec<UnitIssue>| {
        let (q, found) = infer_units(rate, &symbols, Numbers::Free);
        issues.extend(found.into_iter().map(|m| UnitIssue {
            field: field.clone(),
            message: m,
        }));
        let (Some(su), Some(ru)) = (symbols.get(species), q) else {
            return;
        };
        let want = *su / time_unit;
        if !ru.same_dimension(&want) {
            issues.push(UnitIssue {
                field,
                message: format!(
                    "the rate is in {ru}, but species '{species}' needs {want} (its units per time)"
                ),
            });
        } else if !ru.same_as(&want) {
            issues.push(UnitIssue {
                field,
                message: format!(
                    "the rate is {} times the units species '{species}' needs per time",
                    ru.scale / want.scale
                ),
            });
        }
    };
    if let Some(rates) = &model.rates {
        for (s, e) in rates {
            check_rate(format!("rates.{s}"), e, s, &mut issues);
        }
    } else {
        for (i, r) in model.reactions.iter().enumerate() {
            for (s, _) in r.reactants.iter().chain(&r.products) {
                check_rate(format!("reactions[{i}]"), &r.rate, s, &mut issues);
            }
        }
    }
    issues.dedup();
    issues
}

#[cfg(test)]
mod tests {
    use super::*;

    fn close(a: f64, b: f64) -> bool {
        (a - b).abs() <= 1e-12 * a.abs().max(b.abs())
    }

    #[test]
    fn parses_biological_units() {
        let um = parse_unit("uM").unwrap();
        assert!(close(um.scale, 1e-3)); // µmol/L = 1e-6 mol / 1e-3 m³
        assert_eq!(um.dims, [-3.0, 0.0, 1.0, 0.0, 0.0, 0.0]);
        let d = parse_unit("um^2/h").unwrap();
        assert!(close(d.scale, 1e-12 / 3600.0));
        assert_eq!(d.dims, [2.0, -1.0, 0.0, 0.0, 0.0, 0.0]);
        let k2 = parse_unit("1/(uM*min)").unwrap();
        assert!(close(k2.scale, 1.0 / (1e-3 * 60.0)));
        assert_eq!(
            parse_unit("cells/um^2").unwrap().dims,
            [-2.0, 0.0, 0.0, 1.0, 0.0, 0.0]
        );
        assert!(parse_unit("dimensionless").unwrap().is_dimensionless());
        assert!(
            parse_unit("mM")
                .unwrap()
                .same_as(&parse_unit("mmol/L").unwrap())
        );
        assert!(
            parse_unit("nM s^-1")
                .unwrap()
                .same_as(&parse_unit("nM/s").unwrap())
        );
        assert!(close(parse_unit("day").unwrap().scale, 86400.0));
        assert!(close(parse_unit("mL").unwrap().scale, 1e-6));
        assert!(
            parse_unit("uMM")
                .unwrap_err()
                .message
                .contains("unknown unit 'uMM'")
        );
        assert!(parse_unit("um^").is_err());
        // A decimal point is part of a number (0.5 mol once read as 0·5 mol); between names a
        // '.' multiplies.
        assert!(close(parse_unit("(0.5 mol)").unwrap().scale, 0.5));
        assert!(close(parse_unit("0.000001 mol").unwrap().scale, 1e-6));
        assert!(
            parse_unit("mol.L^-1")
                .unwrap()
                .same_as(&parse_unit("M").unwrap())
        );
        assert!(
            parse_unit("a.u.")
                .unwrap()
                .same_as(&parse_unit("AU").unwrap())
        );
    }

    fn model(rate_units: &str, rate: &str) -> Model {
        let doc = format!(
            r#"{{"time": {{"units": "min"}},
                "species": {{"S": {{"units": "uM", "initial": 10}}}},
                "parameters": {{"Vmax": {{"value": 1, "units": "{rate_units}"}}, "Km": {{"value": 2, "units": "uM"}}}},
                "rates": {{"S": "{rate}"}}}}"#
        );
        Model::from_json_str(&doc, "test").unwrap()
    }

    #[test]
    fn rate_units_are_checked() {
        assert!(check_units(&model("uM/min", "-mm(S, Vmax, Km)")).is_empty());
        let wrong = check_units(&model("uM/s", "-mm(S, Vmax, Km)"));
        assert_eq!(wrong.len(), 1);
        assert!(wrong[0].message.contains("60 times"), "{}", wrong[0]);
        let wrong_dim = check_units(&model("1/min", "-mm(S, Vmax, Km)"));
        assert!(wrong_dim[0].message.contains("needs"), "{}", wrong_dim[0]);
        let bad_sum = check_units(&model("uM/min", "-Vmax + S"));
        assert!(
            bad_sum.iter().any(|i| i.message.starts_with("sum")),
            "{bad_sum:?}"
        );
    }

    /// Numbers that may carry units hide nothing that is certainly wrong
    /// (`x/200` may be a pure number); pure numbers expose it.
    #[test]
    fn numbers_count_as_asked() {
        let symbols: HashMap<String, Unit> = [
            ("x".to_string(), parse_unit("um").unwrap()),
            ("r".to_string(), parse_unit("1/h").unwrap()),
            ("D".to_string(), parse_unit("um^2/h").unwrap()),
        ]
        .into();
        let e = |s: &str| crate::expr::parse(s).unwrap();
        let gauss = e("1e-3*exp(-(x/200)^2)");
        assert!(
            infer_units(&gauss, &symbols, Numbers::AnyUnits)
                .1
                .is_empty()
        );
        assert!(!infer_units(&gauss, &symbols, Numbers::Free).1.is_empty());
        assert!(
            !infer_units(&gauss, &symbols, Numbers::Dimensionless)
                .1
                .is_empty()
        );
        let (u, issues) = infer_units(&e("r*x + D"), &symbols, Numbers::AnyUnits);
        assert!(issues[0].starts_with("sum of quantities in"), "{issues:?}");
        assert!(u.is_some());
        let ok = infer_units(&e("1 - x*r*x/D"), &symbols, Numbers::Dimensionless);
        assert!(ok.1.is_empty() && ok.0.unwrap().same_as(&Unit::ONE));
    }
}
