//! Rational expressions lowered to a straight-line program over Z/pZ.
//!
//! The model's expressions (rate laws, observables, initial values) become a
//! shared DAG of + − × ÷ on constants, independent variables, species and
//! time: `mm()` and `hill()` with an integer exponent are spelled out, integer
//! powers become products, and sub-expressions of known numbers alone (even
//! `exp(-Ea/R/T)`) are evaluated once. Anything else is not a rational
//! function of the unknowns, and the exact test cannot take it.

use std::collections::HashMap;

use piml_model::Expr;
use piml_model::expr::{BinOp, Func};

use crate::field::Fp;

/// One instruction; operands are indices of earlier instructions.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Op {
    Const(Fp),
    /// An independent variable, constant in time: its index is its jet coordinate.
    Var(usize),
    /// A species: the power series being solved for.
    State(usize),
    /// Time, t0 + τ.
    Time,
    Neg(usize),
    Add(usize, usize),
    Sub(usize, usize),
    Mul(usize, usize),
    Div(usize, usize),
}

/// What a name in an expression stands for.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Symbol {
    /// A number known in advance (a parameter that is not estimated).
    Known(f64),
    Var(usize),
    State(usize),
    Time,
}

/// Why an expression cannot be lowered.
#[derive(Debug, Clone, PartialEq)]
pub struct NotRational(pub String);

/// The largest integer power spelled out as products.
const MAX_POWER: f64 = 1024.0;

/// A DAG of operations with hash-consing and constant folding, and the
/// nodes that are its outputs.
#[derive(Debug, Clone, Default)]
pub struct Program {
    ops: Vec<Op>,
    index: HashMap<Op, usize>,
    outputs: Vec<usize>,
}

impl Program {
    pub fn new() -> Program {
        Program::default()
    }

    pub fn ops(&self) -> &[Op] {
        &self.ops
    }

    pub fn outputs(&self) -> &[usize] {
        &self.outputs
    }

    pub fn push_output(&mut self, node: usize) {
        self.outputs.push(node);
    }

    fn constant(&self, node: usize) -> Option<Fp> {
        match self.ops[node] {
            Op::Const(c) => Some(c),
            _ => None,
        }
    }

    fn node(&mut self, op: Op) -> usize {
        if let Some(&i) = self.index.get(&op) {
            return i;
        }
        self.ops.push(op);
        self.index.insert(op, self.ops.len() - 1);
        self.ops.len() - 1
    }

    pub fn leaf(&mut self, op: Op) -> usize {
        self.node(op)
    }

    fn add(&mut self, a: usize, b: usize) -> usize {
        match (self.constant(a), self.constant(b)) {
            (Some(x), Some(y)) => self.node(Op::Const(x + y)),
            (Some(Fp::ZERO), _) => b,
            (_, Some(Fp::ZERO)) => a,
            _ => self.node(Op::Add(a, b)),
        }
    }

    fn sub(&mut self, a: usize, b: usize) -> usize {
        match (self.constant(a), self.constant(b)) {
            (Some(x), Some(y)) => self.node(Op::Const(x - y)),
            (_, Some(Fp::ZERO)) => a,
            (Some(Fp::ZERO), _) => self.neg(b),
            _ if a == b => self.node(Op::Const(Fp::ZERO)),
            _ => self.node(Op::Sub(a, b)),
        }
    }

    fn neg(&mut self, a: usize) -> usize {
        match self.ops[a] {
            Op::Const(x) => self.node(Op::Const(-x)),
            Op::Neg(inner) => inner,
            _ => self.node(Op::Neg(a)),
        }
    }

    fn mul(&mut self, a: usize, b: usize) -> usize {
        match (self.constant(a), self.constant(b)) {
            (Some(x), Some(y)) => self.node(Op::Const(x * y)),
            (Some(Fp::ZERO), _) | (_, Some(Fp::ZERO)) => self.node(Op::Const(Fp::ZERO)),
            (Some(Fp::ONE), _) => b,
            (_, Some(Fp::ONE)) => a,
            _ => self.node(Op::Mul(a, b)),
        }
    }

    fn div(&mut self, a: usize, b: usize) -> Result<usize, NotRational> {
        match (self.constant(a), self.constant(b)) {
            (_, Some(Fp::ZERO)) => Err(NotRational("division by zero".into())),
            (Some(Fp::ZERO), _) => Ok(self.node(Op::Const(Fp::ZERO))),
            (_, Some(y)) => {
                let inv = self.node(Op::Const(y.inv().unwrap_or(Fp::ONE)));
                Ok(self.mul(a, inv))
            }
            _ if a == b => Ok(self.node(Op::Const(Fp::ONE))),
            _ => Ok(self.node(Op::Div(a, b))),
        }
    }

    /// a^n for an integer n, by repeated squaring.
    fn powi(&mut self, a: usize, n: i64) -> Result<usize, NotRational> {
        let mut acc = self.node(Op::Const(Fp::ONE));
        let mut base = a;
        let mut e = n.unsigned_abs();
        while e > 0 {
            if e & 1 == 1 {
                acc = self.mul(acc, base);
            }
            e >>= 1;
            if e > 0 {
                base = self.mul(base, base);
            }
        }
        if n < 0 {
            let one = self.node(Op::Const(Fp::ONE));
            self.div(one, acc)
        } else {
            Ok(acc)
        }
    }

    /// Lowers an expression; `resolve` says what each name stands for.
    pub fn lower(
        &mut self,
        e: &Expr,
        resolve: &dyn Fn(&str) -> Symbol,
    ) -> Result<usize, NotRational> {
        let known = |s: &str| match resolve(s) {
            Symbol::Known(v) => Some(v),
            _ => None,
        };
        match e {
            Expr::Num(v) => Fp::from_f64(*v)
                .map(|c| self.node(Op::Const(c)))
                .ok_or_else(|| NotRational(format!("the number {v} is not finite"))),
            Expr::Var(name) => Ok(match resolve(name) {
                Symbol::Known(v) => {
                    let c = Fp::from_f64(v).ok_or_else(|| {
                        NotRational(format!("'{name}' has the non-finite value {v}"))
                    })?;
                    self.node(Op::Const(c))
                }
                Symbol::Var(i) => self.node(Op::Var(i)),
                Symbol::State(i) => self.node(Op::State(i)),
                Symbol::Time => self.node(Op::Time),
            }),
            Expr::Neg(a) => {
                let a = self.lower(a, resolve)?;
                Ok(self.neg(a))
            }
            Expr::Bin(BinOp::Pow, a, b) => self.power(e, a, b, resolve),
            Expr::Bin(op, a, b) => {
                let (a, b) = (self.lower(a, resolve)?, self.lower(b, resolve)?);
                match op {
                    BinOp::Add => Ok(self.add(a, b)),
                    BinOp::Sub => Ok(self.sub(a, b)),
                    BinOp::Mul => Ok(self.mul(a, b)),
                    BinOp::Div => self.div(a, b),
                    BinOp::Pow => unreachable!("handled above"),
                }
            }
            Expr::Call(Func::Pow, args) => self.power(e, &args[0], &args[1], resolve),
            Expr::Call(Func::Mm, args) => {
                // mm(s, V, K) = V·s/(K + s)
                let s = self.lower(&args[0], resolve)?;
                let v = self.lower(&args[1], resolve)?;
                let k = self.lower(&args[2], resolve)?;
                let num = self.mul(v, s);
                let den = self.add(k, s);
                self.div(num, den)
            }
            Expr::Call(Func::Hill, args) => {
                // hill(s, V, K, n) = V·sⁿ/(Kⁿ + sⁿ), rational for an integer n
                let n = match self.exponent(e, &args[3], &known)? {
                    Exponent::Integer(n) => n,
                    Exponent::Folded(node) => return Ok(node),
                };
                let s = self.lower(&args[0], resolve)?;
                let v = self.lower(&args[1], resolve)?;
                let k = self.lower(&args[2], resolve)?;
                let sn = self.powi(s, n)?;
                let kn = self.powi(k, n)?;
                let num = self.mul(v, sn);
                let den = self.add(kn, sn);
                self.div(num, den)
            }
            // Known numbers alone make a known number, whatever the function.
            Expr::Call(..) if e.symbols().iter().all(|s| known(s).is_some()) => {
                self.known_number(e, &known)
            }
            Expr::Call(func, _) => Err(NotRational(format!(
                "'{e}': {}() of a species or an unknown parameter is not a rational function \
                 (the exact test takes + - * /, integer powers, mm() and hill() with an integer \
                 exponent, and exp(), which it makes a species of its own; rewrite the others \
                 with extra species, e.g. s = sin(u), c = cos(u) with s' = c*u', c' = -s*u')",
                func.name()
            ))),
        }
    }

    fn power(
        &mut self,
        whole: &Expr,
        base: &Expr,
        exponent: &Expr,
        resolve: &dyn Fn(&str) -> Symbol,
    ) -> Result<usize, NotRational> {
        let known = |s: &str| match resolve(s) {
            Symbol::Known(v) => Some(v),
            _ => None,
        };
        match self.exponent(whole, exponent, &known)? {
            Exponent::Integer(n) => {
                let a = self.lower(base, resolve)?;
                self.powi(a, n)
            }
            Exponent::Folded(node) => Ok(node),
        }
    }

    /// The integer exponent of a power (or of hill()); a non-integer one is
    /// fine only when the whole expression is a known number.
    fn exponent(
        &mut self,
        whole: &Expr,
        exponent: &Expr,
        known: &dyn Fn(&str) -> Option<f64>,
    ) -> Result<Exponent, NotRational> {
        match integer_exponent(whole, exponent, known) {
            Ok(n) => Ok(Exponent::Integer(n)),
            Err(_) if whole.symbols().iter().all(|s| known(s).is_some()) => {
                self.known_number(whole, known).map(Exponent::Folded)
            }
            Err(e) => Err(e),
        }
    }

    /// A sub-expression of known numbers, evaluated in floating point.
    fn known_number(
        &mut self,
        e: &Expr,
        known: &dyn Fn(&str) -> Option<f64>,
    ) -> Result<usize, NotRational> {
        let v = e.eval(known);
        let c = Fp::from_f64(v).ok_or_else(|| NotRational(format!("'{e}' evaluates to {v}")))?;
        Ok(self.node(Op::Const(c)))
    }

    /// For every node, bounds (a, b) on the total degrees of a numerator and
    /// a denominator that represent it as a fraction of polynomials in the
    /// variables, species and time. Used only to bound the probability of
    /// error, so the bounds are generous (denominators multiply even when
    /// shared).
    pub fn degrees(&self) -> Vec<(u64, u64)> {
        let mut d: Vec<(u64, u64)> = Vec::with_capacity(self.ops.len());
        for op in &self.ops {
            let at = |i: usize| d[i];
            let next = match *op {
                Op::Const(_) => (0, 0),
                Op::Var(_) | Op::State(_) | Op::Time => (1, 0),
                Op::Neg(a) => at(a),
                Op::Add(a, b) | Op::Sub(a, b) => {
                    let ((a1, b1), (a2, b2)) = (at(a), at(b));
                    (
                        a1.saturating_add(b2).max(a2.saturating_add(b1)),
                        b1.saturating_add(b2),
                    )
                }
                Op::Mul(a, b) => {
                    let ((a1, b1), (a2, b2)) = (at(a), at(b));
                    (a1.saturating_add(a2), b1.saturating_add(b2))
                }
                Op::Div(a, b) => {
                    let ((a1, b1), (a2, b2)) = (at(a), at(b));
                    (a1.saturating_add(b2), b1.saturating_add(a2))
                }
            };
            d.push(next);
        }
        d
    }
}

enum Exponent {
    Integer(i64),
    /// The whole power was a known number: its node.
    Folded(usize),
}

/// The exponent of a power as an integer; anything else is not rational.
fn integer_exponent(
    whole: &Expr,
    exponent: &Expr,
    known: &dyn Fn(&str) -> Option<f64>,
) -> Result<i64, NotRational> {
    let symbols = exponent.symbols();
    if let Some(s) = symbols.iter().find(|s| known(s).is_none()) {
        return Err(NotRational(format!(
            "'{whole}': the exponent depends on '{s}', so the power is not a rational function"
        )));
    }
    let n = exponent.eval(known);
    if n.fract() != 0.0 || n.abs() > MAX_POWER {
        return Err(NotRational(format!(
            "'{whole}': the exponent {n} is not an integer of at most {MAX_POWER}, so the power \
             is not a rational function"
        )));
    }
    Ok(n as i64)
}
