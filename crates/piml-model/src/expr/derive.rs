//! Exact symbolic differentiation.
//!
//! Every derivative the tools need (Jacobians for stiff solvers, forward
//! sensitivities, PDE residual gradients) comes from here, built through the
//! simplifying constructors so that zero terms vanish as they appear.

use super::ast::{BinOp, Expr, Func};
use super::simplify::{add, call, div, mul, neg, pow, sub};

fn n(v: f64) -> Expr {
    Expr::Num(v)
}

/// ∂e/∂var.
pub fn derivative(e: &Expr, var: &str) -> Expr {
    if !e.mentions(var) {
        return n(0.0);
    }
    match e {
        Expr::Num(_) => n(0.0),
        Expr::Var(s) => n(if s == var { 1.0 } else { 0.0 }),
        Expr::Neg(a) => neg(derivative(a, var)),
        Expr::Bin(op, a, b) => {
            let (da, db) = (derivative(a, var), derivative(b, var));
            // Operands are copied only where the rule uses them: copying them
            // for sums made a sum of n terms cost n² (8,000 terms: 16 s).
            let (a, b) = (|| (**a).clone(), || (**b).clone());
            match op {
                BinOp::Add => add(da, db),
                BinOp::Sub => sub(da, db),
                BinOp::Mul => add(mul(da, b()), mul(a(), db)),
                // (a/b)' = a'/b − a·b'/b²
                BinOp::Div => sub(div(da, b()), div(mul(a(), db), pow(b(), n(2.0)))),
                BinOp::Pow => power_rule(a(), b(), da, db),
            }
        }
        Expr::Call(func, args) => {
            let mut total = n(0.0);
            for (i, arg) in args.iter().enumerate() {
                let darg = derivative(arg, var);
                if darg.as_num() == Some(0.0) {
                    continue;
                }
                total = add(total, mul(partial(*func, args, i), darg));
            }
            total
        }
    }
}

/// (a^b)' = b·a^(b−1)·a' + a^b·ln(a)·b', dropping the term whose factor vanishes.
fn power_rule(a: Expr, b: Expr, da: Expr, db: Expr) -> Expr {
    let base_term = if da.as_num() == Some(0.0) {
        n(0.0)
    } else {
        mul(mul(b.clone(), pow(a.clone(), sub(b.clone(), n(1.0)))), da)
    };
    let exponent_term = if db.as_num() == Some(0.0) {
        n(0.0)
    } else {
        mul(mul(pow(a.clone(), b), call(Func::Log, vec![a])), db)
    };
    add(base_term, exponent_term)
}

/// ∂f(args)/∂args[i] as an expression of the arguments.
fn partial(func: Func, args: &[Expr], i: usize) -> Expr {
    let a = |k: usize| args[k].clone();
    match func {
        Func::Exp => call(Func::Exp, vec![a(0)]),
        Func::Log => div(n(1.0), a(0)),
        Func::Sqrt => div(n(0.5), call(Func::Sqrt, vec![a(0)])),
        Func::Sin => call(Func::Cos, vec![a(0)]),
        Func::Cos => neg(call(Func::Sin, vec![a(0)])),
        Func::Tanh => sub(n(1.0), pow(call(Func::Tanh, vec![a(0)]), n(2.0))),
        Func::Abs => call(Func::Sign, vec![a(0)]),
        Func::Sign | Func::Step => n(0.0),
        // min(a, b) follows a where a < b; max where a > b.
        Func::Min => call(
            Func::Step,
            vec![if i == 0 {
                sub(a(1), a(0))
            } else {
                sub(a(0), a(1))
            }],
        ),
        Func::Max => call(
            Func::Step,
            vec![if i == 0 {
                sub(a(0), a(1))
            } else {
                sub(a(1), a(0))
            }],
        ),
        Func::Pow => {
            if i == 0 {
                mul(a(1), pow(a(0), sub(a(1), n(1.0))))
            } else {
                mul(pow(a(0), a(1)), call(Func::Log, vec![a(0)]))
            }
        }
        // mm(s, V, K) = V·s/(K+s)
        Func::Mm => {
            let (s, v, k) = (a(0), a(1), a(2));
            let denom = add(k.clone(), s.clone());
            match i {
                0 => div(mul(v, k), pow(denom, n(2.0))),
                1 => div(s, denom),
                _ => neg(div(mul(v, s), pow(denom, n(2.0)))),
            }
        }
        // hill(s, V, K, m) = V·sᵐ/(Kᵐ + sᵐ) = V·sᵐ/D
        Func::Hill => {
            let (s, v, k, m) = (a(0), a(1), a(2), a(3));
            let sm = pow(s.clone(), m.clone());
            let km = pow(k.clone(), m.clone());
            let d2 = pow(add(km.clone(), sm.clone()), n(2.0));
            match i {
                0 => div(mul(mul(mul(v, m.clone()), pow(s, sub(m, n(1.0)))), km), d2),
                1 => div(sm.clone(), add(km, sm)),
                2 => neg(div(
                    mul(mul(mul(v, sm), m.clone()), pow(k, sub(m, n(1.0)))),
                    d2,
                )),
                _ => div(
                    mul(
                        mul(mul(v, sm), km),
                        sub(call(Func::Log, vec![s]), call(Func::Log, vec![k])),
                    ),
                    d2,
                ),
            }
        }
    }
}
