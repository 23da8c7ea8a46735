//! Exponentials of states, of time or of unknowns lifted into states of their own, so that the
//! exact test, which takes rational functions, also takes the models that use them (an input
//! decaying as exp(−k·t), as imported SBML models often write it): z = exp(u) solves
//! z' = z·du/dt with z(t₀) = exp(u(t₀)), and du/dt = ∂u/∂t + Σᵢ ∂u/∂xᵢ·fᵢ is rational when u is.
//! The rewrite adds equations, not information: the model's solutions are unchanged.

use piml_model::Expr;
use piml_model::expr::{BinOp, Func, derivative, simplify};

/// A state that stands for `exp(argument)`.
#[derive(Debug, Clone)]
pub(crate) struct Lifted {
    pub name: String,
    /// What the state stands for, `exp(u)`.
    pub stands_for: Expr,
    /// Its value at t₀: exp of the argument at the initial values.
    pub initial: Expr,
}

/// The states, their rates and the outputs with every exponential whose argument `varies`
/// (names a state, `t` or an unknown) replaced by a new state; innermost first, so that each
/// argument is free of such exponentials when its derivative is taken. `initial` gives each
/// state's value at t₀ (the lifted ones are appended to `states`, `rates` and the returned list).
pub(crate) fn lift_exponentials(
    states: &mut Vec<String>,
    initial: &mut Vec<Expr>,
    rates: &mut Vec<Expr>,
    outputs: &mut [(String, Expr)],
    taken: &dyn Fn(&str) -> bool,
    varies: &dyn Fn(&str) -> bool,
    t0: f64,
) -> Vec<Lifted> {
    let mut lifted = Vec::new();
    loop {
        let is_variable = |s: &str| varies(s) || states.iter().any(|x| x == s);
        let Some(argument) = rates
            .iter()
            .chain(outputs.iter().map(|(_, e)| e))
            .find_map(|e| innermost(e, &is_variable))
        else {
            return lifted;
        };
        let name = (1..)
            .map(|k| format!("exp{k}_"))
            .find(|n| !taken(n) && !states.contains(n))
            .expect("a free name");
        let z = Expr::var(&name);
        let target = Expr::Call(Func::Exp, vec![argument.clone()]);
        for e in rates.iter_mut().chain(outputs.iter_mut().map(|(_, e)| e)) {
            *e = replace(e, &target, &z);
        }
        let mut du = derivative(&argument, "t");
        for (x, f) in states.iter().zip(rates.iter()) {
            if argument.mentions(x) {
                du = Expr::bin(
                    BinOp::Add,
                    du,
                    Expr::bin(BinOp::Mul, derivative(&argument, x), f.clone()),
                );
            }
        }
        let at_start = argument.substitute(&|s| {
            if s == "t" {
                return Some(Expr::Num(t0));
            }
            let i = states.iter().position(|x| x == s)?;
            Some(initial[i].clone())
        });
        let start = simplify(&Expr::Call(Func::Exp, vec![simplify(&at_start)]));
        rates.push(simplify(&Expr::bin(BinOp::Mul, z, du)));
        states.push(name.clone());
        initial.push(start.clone());
        lifted.push(Lifted {
            name,
            stands_for: target,
            initial: start,
        });
    }
}

/// The argument of an exponential in `e` that depends on a variable and holds no such
/// exponential itself.
fn innermost(e: &Expr, is_variable: &dyn Fn(&str) -> bool) -> Option<Expr> {
    let children: Vec<&Expr> = match e {
        Expr::Num(_) | Expr::Var(_) => return None,
        Expr::Neg(a) => vec![a],
        Expr::Bin(_, a, b) => vec![a, b],
        Expr::Call(_, args) => args.iter().collect(),
    };
    if let Some(inner) = children.iter().find_map(|c| innermost(c, is_variable)) {
        return Some(inner);
    }
    match e {
        Expr::Call(Func::Exp, args) if args[0].symbols().iter().any(|s| is_variable(s)) => {
            Some(args[0].clone())
        }
        _ => None,
    }
}

/// `e` with every occurrence of `target` replaced by `by`.
fn replace(e: &Expr, target: &Expr, by: &Expr) -> Expr {
    if e == target {
        return by.clone();
    }
    match e {
        Expr::Num(_) | Expr::Var(_) => e.clone(),
        Expr::Neg(a) => Expr::Neg(Box::new(replace(a, target, by))),
        Expr::Bin(op, a, b) => Expr::bin(*op, replace(a, target, by), replace(b, target, by)),
        Expr::Call(f, args) => {
            Expr::Call(*f, args.iter().map(|a| replace(a, target, by)).collect())
        }
    }
}
