//! MathML content markup (the subset SBML uses) read into a small tree, rewritten (function
//! definitions inlined, rules substituted) and written out in piml's expression language,
//! whose parser then gives the exact derivatives every tool needs.

use roxmltree::Node;

use crate::error::Error;
use crate::xml::{Source, child, elements};

/// An SBML formula.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Math {
    Num(f64),
    /// An SBML id (species, parameter, compartment, bound variable).
    Id(String),
    /// `csymbol` time.
    Time,
    Op(Op, Vec<Math>),
    /// A call of a function definition, inlined by [`Math::expand`].
    Call(String, Vec<Math>),
    /// `piecewise`: (value, condition) pieces, the first whose condition holds, else the
    /// last element (`otherwise`, 0 when absent, as nothing else is defined).
    Piecewise(Vec<Math>),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Op {
    Plus,
    Minus,
    Times,
    Divide,
    Power,
    Exp,
    Ln,
    Abs,
    Sin,
    Cos,
    Tanh,
    Min,
    Max,
    /// Relations and logic, 1 for true and 0 for false: they appear in piecewise conditions.
    Lt,
    Leq,
    Gt,
    Geq,
    Eq,
    Neq,
    And,
    Or,
    Not,
    Xor,
}

const AVOGADRO: f64 = 6.022_140_76e23;

/// A function definition: its bound variables and body.
#[derive(Debug, Clone)]
pub(crate) struct Lambda {
    pub params: Vec<String>,
    pub body: Math,
}

impl Math {
    /// Reads the single formula of a `<math>` element.
    pub fn from_math(src: &Source, math: Node) -> Result<Math, Error> {
        let mut children = elements(math);
        let (Some(first), None) = (children.next(), children.next()) else {
            return Err(src.invalid(math, "expected exactly one formula"));
        };
        Math::read(src, first)
    }

    /// Reads a `<lambda>`: `<bvar><ci>x</ci></bvar>…` then the body.
    pub fn lambda(src: &Source, lambda: Node) -> Result<Lambda, Error> {
        let mut params = Vec::new();
        let mut body = None;
        for c in elements(lambda) {
            if c.tag_name().name() == "bvar" {
                let ci = child(c, "ci").ok_or_else(|| src.invalid(c, "expected <ci>"))?;
                params.push(ci.text().unwrap_or("").trim().to_string());
            } else if body.replace(Math::read(src, c)?).is_some() {
                return Err(src.invalid(lambda, "expected one body after the bound variables"));
            }
        }
        let body = body.ok_or_else(|| src.invalid(lambda, "no body"))?;
        Ok(Lambda { params, body })
    }

    fn read(src: &Source, node: Node) -> Result<Math, Error> {
        let text = || node.text().unwrap_or("").trim().to_string();
        match node.tag_name().name() {
            "cn" => number(src, node).map(Math::Num),
            "ci" => Ok(Math::Id(text())),
            "csymbol" => match csymbol(node) {
                "time" => Ok(Math::Time),
                "avogadro" => Ok(Math::Num(AVOGADRO)),
                other => Err(src.unsupported(
                    node,
                    format!("csymbol '{other}' is not supported (only time and avogadro)"),
                )),
            },
            "exponentiale" => Ok(Math::Num(std::f64::consts::E)),
            "pi" => Ok(Math::Num(std::f64::consts::PI)),
            "semantics" => {
                let first = elements(node)
                    .next()
                    .ok_or_else(|| src.invalid(node, "empty"))?;
                Math::read(src, first)
            }
            "apply" => Math::apply(src, node),
            "true" => Ok(Math::Num(1.0)),
            "false" => Ok(Math::Num(0.0)),
            "piecewise" => {
                let mut parts = Vec::new();
                let mut otherwise = None;
                for c in elements(node) {
                    match c.tag_name().name() {
                        "piece" => {
                            let mut e = elements(c);
                            let (Some(value), Some(condition), None) =
                                (e.next(), e.next(), e.next())
                            else {
                                return Err(src.invalid(c, "expected a value and a condition"));
                            };
                            parts.push(Math::read(src, value)?);
                            parts.push(Math::read(src, condition)?);
                        }
                        "otherwise" => {
                            let value =
                                elements(c).next().ok_or_else(|| src.invalid(c, "empty"))?;
                            otherwise = Some(Math::read(src, value)?);
                        }
                        other => {
                            return Err(src.invalid(c, format!("<{other}> in a piecewise")));
                        }
                    }
                }
                parts.push(otherwise.unwrap_or(Math::Num(0.0)));
                Ok(Math::Piecewise(parts))
            }
            other => Err(src.unsupported(
                node,
                format!("MathML element <{other}> is not supported here"),
            )),
        }
    }

    fn apply(src: &Source, node: Node) -> Result<Math, Error> {
        let mut children = elements(node);
        let head = children
            .next()
            .ok_or_else(|| src.invalid(node, "an empty <apply>"))?;
        let rest: Vec<Node> = children.collect();
        let qualifier = |name: &str| rest.iter().find(|c| c.tag_name().name() == name);
        let args = rest
            .iter()
            .filter(|c| !matches!(c.tag_name().name(), "logbase" | "degree"))
            .map(|c| Math::read(src, *c))
            .collect::<Result<Vec<_>, _>>()?;
        let arity = |n: usize| -> Result<(), Error> {
            if args.len() == n {
                Ok(())
            } else {
                Err(src.invalid(head, format!("takes {n} argument(s), got {}", args.len())))
            }
        };
        let qualified = |name: &str, default: f64| -> Result<Math, Error> {
            match qualifier(name) {
                None => Ok(Math::Num(default)),
                Some(q) => Math::from_math(src, *q),
            }
        };
        let op = |op: Op| Ok(Math::Op(op, args.clone()));
        match head.tag_name().name() {
            "plus" => op(Op::Plus),
            "times" => op(Op::Times),
            "minus" if matches!(args.len(), 1 | 2) => op(Op::Minus),
            "divide" => arity(2).and_then(|()| op(Op::Divide)),
            "power" => arity(2).and_then(|()| op(Op::Power)),
            "exp" => arity(1).and_then(|()| op(Op::Exp)),
            "ln" => arity(1).and_then(|()| op(Op::Ln)),
            "abs" => arity(1).and_then(|()| op(Op::Abs)),
            "sin" => arity(1).and_then(|()| op(Op::Sin)),
            "cos" => arity(1).and_then(|()| op(Op::Cos)),
            "tanh" => arity(1).and_then(|()| op(Op::Tanh)),
            "tan" => arity(1).map(|()| {
                Math::Op(
                    Op::Divide,
                    vec![
                        Math::Op(Op::Sin, args.clone()),
                        Math::Op(Op::Cos, args.clone()),
                    ],
                )
            }),
            "lt" => arity(2).and_then(|()| op(Op::Lt)),
            "leq" => arity(2).and_then(|()| op(Op::Leq)),
            "gt" => arity(2).and_then(|()| op(Op::Gt)),
            "geq" => arity(2).and_then(|()| op(Op::Geq)),
            "eq" => arity(2).and_then(|()| op(Op::Eq)),
            "neq" => arity(2).and_then(|()| op(Op::Neq)),
            "and" if !args.is_empty() => op(Op::And),
            "or" if !args.is_empty() => op(Op::Or),
            "xor" => arity(2).and_then(|()| op(Op::Xor)),
            "not" => arity(1).and_then(|()| op(Op::Not)),
            "min" if !args.is_empty() => op(Op::Min),
            "max" if !args.is_empty() => op(Op::Max),
            // log_b(x) = ln x / ln b, base 10 unless a <logbase> says otherwise.
            "log" => {
                arity(1)?;
                let base = qualified("logbase", 10.0)?;
                Ok(Math::Op(
                    Op::Divide,
                    vec![Math::Op(Op::Ln, args.clone()), Math::Op(Op::Ln, vec![base])],
                ))
            }
            // The n-th root, square unless a <degree> says otherwise.
            "root" => {
                arity(1)?;
                let degree = qualified("degree", 2.0)?;
                Ok(Math::Op(
                    Op::Power,
                    vec![
                        args[0].clone(),
                        Math::Op(Op::Divide, vec![Math::Num(1.0), degree]),
                    ],
                ))
            }
            "ci" => Ok(Math::Call(
                head.text().unwrap_or("").trim().to_string(),
                args,
            )),
            "csymbol" => Err(src.unsupported(
                head,
                format!(
                    "csymbol '{}' is not supported (delays and other time-dependent functions)",
                    csymbol(head)
                ),
            )),
            other => Err(src.unsupported(
                head,
                format!("the MathML operator <{other}> is not supported"),
            )),
        }
    }

    /// The same node with its operands mapped by `f`.
    fn map<E>(&self, f: &mut impl FnMut(&Math) -> Result<Math, E>) -> Result<Math, E> {
        let all = |args: &[Math], f: &mut dyn FnMut(&Math) -> Result<Math, E>| {
            args.iter().map(f).collect::<Result<Vec<_>, E>>()
        };
        Ok(match self {
            Math::Op(op, args) => Math::Op(*op, all(args, f)?),
            Math::Call(name, args) => Math::Call(name.clone(), all(args, f)?),
            Math::Piecewise(parts) => Math::Piecewise(all(parts, f)?),
            Math::Num(_) | Math::Id(_) | Math::Time => self.clone(),
        })
    }

    /// Replaces every id `f` maps, leaving the others.
    pub fn substitute(&self, f: &impl Fn(&str) -> Option<Math>) -> Math {
        match self {
            Math::Id(id) => f(id).unwrap_or_else(|| self.clone()),
            _ => infallible(self.map(&mut |a| Ok(a.substitute(f)))),
        }
    }

    /// Replaces `csymbol time` by `value` (an initial value is the formula at the start).
    pub fn at_time(&self, value: f64) -> Math {
        match self {
            Math::Time => Math::Num(value),
            _ => infallible(self.map(&mut |a| Ok(a.at_time(value)))),
        }
    }

    /// Whether `csymbol time` appears.
    fn has_time(&self) -> bool {
        match self {
            Math::Time => true,
            Math::Op(_, args) | Math::Call(_, args) | Math::Piecewise(args) => {
                args.iter().any(Math::has_time)
            }
            Math::Num(_) | Math::Id(_) => false,
        }
    }

    /// The times at which a condition of the formula switches, where a condition compares
    /// time with a formula free of it (`time ≤ T_end`, `time − T < 0`): the places a solver
    /// must stop and restart at, as the right-hand side jumps there.
    pub fn time_switches(&self, out: &mut Vec<Math>) {
        if let Math::Op(Op::Lt | Op::Leq | Op::Gt | Op::Geq | Op::Eq | Op::Neq, args) = self {
            // time − X ⋛ c switches at X + c; time ⋛ X at X.
            let (a, b) = (&args[0], &args[1]);
            let switch = |side: &Math, other: &Math| match side {
                Math::Time => Some(other.clone()),
                Math::Op(Op::Minus, ab)
                    if ab.len() == 2 && ab[0] == Math::Time && !ab[1].has_time() =>
                {
                    Some(Math::Op(Op::Plus, vec![ab[1].clone(), other.clone()]))
                }
                _ => None,
            };
            let found = match (a.has_time(), b.has_time()) {
                (true, false) => switch(a, b),
                (false, true) => switch(b, a),
                _ => None,
            };
            out.extend(found);
        }
        if let Math::Op(_, args) | Math::Call(_, args) | Math::Piecewise(args) = self {
            args.iter().for_each(|a| a.time_switches(out));
        }
    }

    /// Every id the formula uses.
    pub fn ids<'m>(&'m self, out: &mut Vec<&'m str>) {
        match self {
            Math::Id(id) => out.push(id),
            Math::Op(_, args) | Math::Call(_, args) | Math::Piecewise(args) => {
                args.iter().for_each(|a| a.ids(out));
            }
            Math::Num(_) | Math::Time => {}
        }
    }

    /// Inlines every call of a function definition (`lookup` finds it), arguments in place
    /// of the bound variables; `None` names a function no definition has.
    pub fn expand(&self, lookup: &impl Fn(&str) -> Option<Lambda>) -> Result<Math, String> {
        Ok(match self {
            Math::Call(name, args) => {
                let lambda = lookup(name).ok_or_else(|| format!("unknown function '{name}'"))?;
                if lambda.params.len() != args.len() {
                    return Err(format!(
                        "function '{name}' takes {} argument(s), got {}",
                        lambda.params.len(),
                        args.len()
                    ));
                }
                let args = args
                    .iter()
                    .map(|a| a.expand(lookup))
                    .collect::<Result<Vec<_>, _>>()?;
                // Bound variables are local: the body sees only them (and other functions).
                let inlined = lambda.body.substitute(&|id| {
                    lambda
                        .params
                        .iter()
                        .position(|p| p == id)
                        .map(|i| args[i].clone())
                });
                inlined.expand(lookup)?
            }
            _ => self.map(&mut |a| a.expand(lookup))?,
        })
    }

    /// The formula in piml's expression language, every id through `name`. Operands are
    /// parenthesised, so precedence never needs thinking about.
    pub fn render(&self, name: &impl Fn(&str) -> String) -> String {
        let all = |args: &[Math]| -> Vec<String> { args.iter().map(|a| a.render(name)).collect() };
        let fold = |args: &[Math], op: &str, empty: &str| -> String {
            match args.len() {
                0 => empty.to_string(),
                1 => args[0].render(name),
                _ => format!("({})", all(args).join(&format!(" {op} "))),
            }
        };
        let nested = |f: &str, args: &[Math]| -> String {
            // min and max of several: min(a, min(b, c)).
            let mut parts = all(args);
            let mut out = parts.pop().unwrap_or_default();
            while let Some(p) = parts.pop() {
                out = format!("{f}({p}, {out})");
            }
            out
        };
        match self {
            Math::Num(v) => number_text(*v),
            Math::Id(id) => name(id),
            Math::Time => "t".to_string(),
            Math::Op(op, args) => match op {
                Op::Plus => fold(args, "+", "0"),
                Op::Times => fold(args, "*", "1"),
                Op::Minus if args.len() == 1 => format!("(-{})", args[0].render(name)),
                Op::Minus => fold(args, "-", "0"),
                Op::Divide => fold(args, "/", "1"),
                Op::Power => fold(args, "^", "1"),
                Op::Exp => format!("exp({})", all(args).join(", ")),
                Op::Ln => format!("log({})", all(args).join(", ")),
                Op::Abs => format!("abs({})", all(args).join(", ")),
                Op::Sin => format!("sin({})", all(args).join(", ")),
                Op::Cos => format!("cos({})", all(args).join(", ")),
                Op::Tanh => format!("tanh({})", all(args).join(", ")),
                Op::Min => nested("min", args),
                Op::Max => nested("max", args),
                // Truth values from sign(), whose derivative is 0 as a condition's should be:
                // [d > 0] = (sign d + |sign d|)/2, [d ≥ 0] = (2 + sign d − |sign d|)/2.
                Op::Lt => positive(&args[1], &args[0], name),
                Op::Gt => positive(&args[0], &args[1], name),
                Op::Leq => non_negative(&args[1], &args[0], name),
                Op::Geq => non_negative(&args[0], &args[1], name),
                Op::Eq => format!("(1 - {})", differ(&args[0], &args[1], name)),
                Op::Neq => differ(&args[0], &args[1], name),
                Op::And => fold(args, "*", "1"),
                Op::Or => nested("max", args),
                Op::Not => format!("(1 - {})", args[0].render(name)),
                Op::Xor => format!("abs({} - {})", args[0].render(name), args[1].render(name)),
            },
            // v1·c1 + (1 − c1)·(v2·c2 + (1 − c2)·(… otherwise)).
            Math::Piecewise(parts) => {
                let mut out = parts[parts.len() - 1].render(name);
                for piece in parts[..parts.len() - 1].chunks(2).rev() {
                    let (value, condition) = (piece[0].render(name), piece[1].render(name));
                    out = format!("({condition} * {value} + (1 - {condition}) * {out})");
                }
                out
            }
            // Expanded before rendering; a leftover call is rendered as written.
            Math::Call(f, args) => format!("{f}({})", all(args).join(", ")),
        }
    }
}

fn infallible(result: Result<Math, std::convert::Infallible>) -> Math {
    match result {
        Ok(m) => m,
        Err(never) => match never {},
    }
}

/// [a > b] as a formula.
fn positive(a: &Math, b: &Math, name: &impl Fn(&str) -> String) -> String {
    let s = format!("sign({} - {})", a.render(name), b.render(name));
    format!("(({s} + abs({s})) / 2)")
}

/// [a ≥ b] as a formula.
fn non_negative(a: &Math, b: &Math, name: &impl Fn(&str) -> String) -> String {
    let s = format!("sign({} - {})", a.render(name), b.render(name));
    format!("((2 + {s} - abs({s})) / 2)")
}

/// [a ≠ b] as a formula.
fn differ(a: &Math, b: &Math, name: &impl Fn(&str) -> String) -> String {
    format!("abs(sign({} - {}))", a.render(name), b.render(name))
}

/// The last path segment of a csymbol's definitionURL (`…/symbols/time` → `time`).
fn csymbol<'a>(node: Node<'a, '_>) -> &'a str {
    node.attribute("definitionURL")
        .and_then(|u| u.rsplit('/').next())
        .unwrap_or("")
}

/// A `<cn>`: integer, real, `e-notation` (mantissa `<sep/>` exponent) or rational.
fn number(src: &Source, node: Node) -> Result<f64, Error> {
    let parts: Vec<String> = node
        .children()
        .filter(|c| c.is_text())
        .map(|c| c.text().unwrap_or("").trim().to_string())
        .filter(|t| !t.is_empty())
        .collect();
    let parse = |t: &str| -> Result<f64, Error> {
        t.parse::<f64>()
            .map_err(|_| src.invalid(node, format!("'{t}' is not a number")))
    };
    let kind = node.attribute("type").unwrap_or("real");
    match (kind, parts.as_slice()) {
        ("e-notation", [m, e]) => Ok(parse(m)? * 10f64.powf(parse(e)?)),
        ("rational", [n, d]) => Ok(parse(n)? / parse(d)?),
        ("real" | "integer" | "double", [v]) => parse(v),
        _ => Err(src.invalid(
            node,
            format!("a number of type '{kind}' that does not read as one"),
        )),
    }
}

/// A number as piml's parser reads it back exactly (shortest round-trip digits), negative
/// ones in parentheses.
pub(crate) fn number_text(v: f64) -> String {
    let magnitude = v.abs();
    let text = if magnitude == 0.0 || (1e-4..1e15).contains(&magnitude) {
        format!("{magnitude}")
    } else {
        format!("{magnitude:e}")
    };
    if v.is_sign_negative() && magnitude != 0.0 {
        format!("(-{text})")
    } else {
        text
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn read(xml: &str) -> Result<Math, Error> {
        let text = format!(r#"<math xmlns="http://www.w3.org/1998/Math/MathML">{xml}</math>"#);
        let doc = roxmltree::Document::parse(&text).unwrap();
        let src = Source {
            file: "f.xml",
            doc: &doc,
        };
        Math::from_math(&src, doc.root_element())
    }

    fn render(xml: &str) -> String {
        read(xml).unwrap().render(&|id| id.to_string())
    }

    #[test]
    fn operators_render_in_piml_syntax() {
        assert_eq!(
            render("<apply><times/><ci> k1 </ci><ci>A</ci><cn>2</cn></apply>"),
            "(k1 * A * 2)"
        );
        assert_eq!(render("<apply><minus/><ci>a</ci></apply>"), "(-a)");
        assert_eq!(
            render("<apply><minus/><ci>a</ci><cn type='integer'>3</cn></apply>"),
            "(a - 3)"
        );
        assert_eq!(
            render("<apply><power/><ci>S</ci><ci>n</ci></apply>"),
            "(S ^ n)"
        );
        assert_eq!(render("<apply><ln/><ci>x</ci></apply>"), "log(x)");
        assert_eq!(
            render("<apply><log/><ci>x</ci></apply>"),
            "(log(x) / log(10))"
        );
        assert_eq!(
            render("<apply><log/><logbase><cn>2</cn></logbase><ci>x</ci></apply>"),
            "(log(x) / log(2))"
        );
        assert_eq!(render("<apply><root/><ci>x</ci></apply>"), "(x ^ (1 / 2))");
        assert_eq!(
            render("<apply><root/><degree><cn>3</cn></degree><ci>x</ci></apply>"),
            "(x ^ (1 / 3))"
        );
        assert_eq!(
            render("<apply><max/><ci>a</ci><ci>b</ci><ci>c</ci></apply>"),
            "max(a, max(b, c))"
        );
        assert_eq!(
            render("<apply><tan/><ci>a</ci></apply>"),
            "(sin(a) / cos(a))"
        );
        assert_eq!(
            render(
                "<csymbol encoding='text' definitionURL='http://www.sbml.org/sbml/symbols/time'>t</csymbol>"
            ),
            "t"
        );
        assert_eq!(render("<cn type='e-notation'>1.5<sep/>-3</cn>"), "0.0015");
        assert_eq!(render("<cn type='rational'>1<sep/>4</cn>"), "0.25");
        assert_eq!(render("<cn>-2.5e-7</cn>"), "(-2.5e-7)");
    }

    #[test]
    fn numbers_read_back_exactly() {
        for v in [0.1, 1.0 / 3.0, 6.02214076e23, 1e-300, -7.5, 123456.789, 0.0] {
            let text = number_text(v).replace(['(', ')'], "");
            assert_eq!(text.parse::<f64>().unwrap(), v, "{text}");
        }
    }

    #[test]
    fn function_definitions_are_inlined_with_their_own_variables() {
        let call = read("<apply><ci>f</ci><ci>x</ci><cn>2</cn></apply>").unwrap();
        let lambda = Lambda {
            params: vec!["a".into(), "x".into()],
            body: Math::Op(Op::Times, vec![Math::Id("a".into()), Math::Id("x".into())]),
        };
        let lookup = |name: &str| (name == "f").then(|| lambda.clone());
        // The caller's x is the first argument; the body's x is the second parameter.
        assert_eq!(
            call.expand(&lookup).unwrap().render(&|id| id.to_string()),
            "(x * 2)"
        );
        let unknown = read("<apply><ci>g</ci><ci>x</ci></apply>").unwrap();
        assert_eq!(unknown.expand(&lookup).unwrap_err(), "unknown function 'g'");
    }

    /// Conditions are 1 or 0 through sign(), exact also where the two sides are equal.
    #[test]
    fn piecewise_formulas_choose_the_first_piece_that_holds() {
        let m = read(
            "<piecewise>
               <piece><cn>1</cn><apply><lt/><ci>a</ci><cn>0</cn></apply></piece>
               <piece><cn>2</cn><apply><and/><apply><leq/><ci>a</ci><cn>1</cn></apply><apply><neq/><ci>a</ci><cn>0.5</cn></apply></apply></piece>
               <piece><cn>3</cn><apply><or/><apply><eq/><ci>a</ci><cn>0.5</cn></apply><apply><geq/><ci>a</ci><cn>5</cn></apply></apply></piece>
               <otherwise><cn>4</cn></otherwise>
             </piecewise>",
        )
        .unwrap();
        let text = m.render(&|id| id.to_string());
        let expr = piml_model::expr::parse(&text).unwrap();
        for (a, want) in [
            (-1.0, 1.0),
            (0.0, 2.0),
            (0.5, 3.0),
            (1.0, 2.0),
            (2.0, 4.0),
            (5.0, 3.0),
            (7.0, 3.0),
        ] {
            assert_eq!(expr.eval(&|_| Some(a)), want, "a = {a}: {text}");
        }
        let mut switches = Vec::new();
        read("<apply><leq/><apply><minus/><csymbol definitionURL='http://www.sbml.org/sbml/symbols/time'/><ci>T</ci></apply><cn>2</cn></apply>")
            .unwrap()
            .time_switches(&mut switches);
        assert_eq!(switches.len(), 1);
        assert_eq!(switches[0].render(&|id| id.to_string()), "(T + 2)");
    }

    #[test]
    fn unsupported_constructs_are_named() {
        let err = read(
            "<apply><csymbol definitionURL='http://www.sbml.org/sbml/symbols/delay'/><ci>x</ci><cn>1</cn></apply>",
        )
        .unwrap_err()
        .to_string();
        assert!(err.contains("csymbol 'delay' is not supported"), "{err}");
        let err = read("<apply><floor/><ci>x</ci></apply>")
            .unwrap_err()
            .to_string();
        assert!(err.contains("<floor> is not supported"), "{err}");
    }
}
