//! Simplifying constructors: constant folding and the algebraic identities
//! that keep symbolic derivatives short (0·a, 1·a, a+0, a^1, −(−a), …).

use super::ast::{BinOp, Expr, Func};

fn num(e: &Expr) -> Option<f64> {
    e.as_num()
}

pub fn neg(a: Expr) -> Expr {
    match a {
        Expr::Num(v) => Expr::Num(-v),
        Expr::Neg(inner) => *inner,
        other => Expr::Neg(Box::new(other)),
    }
}

pub fn add(a: Expr, b: Expr) -> Expr {
    match (num(&a), num(&b)) {
        (Some(x), Some(y)) => Expr::Num(x + y),
        (Some(0.0), _) => b,
        (_, Some(0.0)) => a,
        _ => match b {
            Expr::Neg(inner) => sub(a, *inner),
            Expr::Num(y) if y < 0.0 => Expr::bin(BinOp::Sub, a, Expr::Num(-y)),
            b => Expr::bin(BinOp::Add, a, b),
        },
    }
}

pub fn sub(a: Expr, b: Expr) -> Expr {
    match (num(&a), num(&b)) {
        (Some(x), Some(y)) => Expr::Num(x - y),
        (_, Some(0.0)) => a,
        (Some(0.0), _) => neg(b),
        _ if a == b => Expr::Num(0.0),
        _ => match b {
            Expr::Neg(inner) => add(a, *inner),
            b => Expr::bin(BinOp::Sub, a, b),
        },
    }
}

pub fn mul(a: Expr, b: Expr) -> Expr {
    match (num(&a), num(&b)) {
        (Some(x), Some(y)) => Expr::Num(x * y),
        (Some(0.0), _) => Expr::Num(0.0),
        (_, Some(0.0)) => Expr::Num(0.0),
        (Some(1.0), _) => b,
        (_, Some(1.0)) => a,
        (Some(-1.0), _) => neg(b),
        (_, Some(-1.0)) => neg(a),
        // Constants first, so that c1·(c2·x) folds to (c1c2)·x.
        (None, Some(_)) => mul(b, a),
        (Some(x), None) => match b {
            Expr::Bin(BinOp::Mul, l, r) if l.as_num().is_some() => {
                mul(Expr::Num(x * l.as_num().unwrap_or(1.0)), *r)
            }
            Expr::Neg(inner) => mul(Expr::Num(-x), *inner),
            b => Expr::bin(BinOp::Mul, a, b),
        },
        (None, None) => match (a, b) {
            (Expr::Neg(l), Expr::Neg(r)) => mul(*l, *r),
            (Expr::Neg(l), r) | (r, Expr::Neg(l)) => neg(mul(*l, r)),
            (a, b) => Expr::bin(BinOp::Mul, a, b),
        },
    }
}

pub fn div(a: Expr, b: Expr) -> Expr {
    match (num(&a), num(&b)) {
        (Some(x), Some(y)) if y != 0.0 => Expr::Num(x / y),
        (Some(0.0), _) => Expr::Num(0.0),
        (_, Some(1.0)) => a,
        (_, Some(-1.0)) => neg(a),
        _ if a == b => Expr::Num(1.0),
        _ => match a {
            Expr::Neg(inner) => neg(div(*inner, b)),
            a => Expr::bin(BinOp::Div, a, b),
        },
    }
}

pub fn pow(a: Expr, b: Expr) -> Expr {
    match (num(&a), num(&b)) {
        (Some(x), Some(y)) => Expr::Num(x.powf(y)),
        (_, Some(0.0)) => Expr::Num(1.0),
        (_, Some(1.0)) => a,
        (Some(1.0), _) => Expr::Num(1.0),
        _ => Expr::bin(BinOp::Pow, a, b),
    }
}

pub fn bin(op: BinOp, a: Expr, b: Expr) -> Expr {
    match op {
        BinOp::Add => add(a, b),
        BinOp::Sub => sub(a, b),
        BinOp::Mul => mul(a, b),
        BinOp::Div => div(a, b),
        BinOp::Pow => pow(a, b),
    }
}

pub fn call(func: Func, args: Vec<Expr>) -> Expr {
    if args.iter().all(|a| a.as_num().is_some()) {
        let vals: Vec<f64> = args.iter().filter_map(Expr::as_num).collect();
        return Expr::Num(func.apply(&vals));
    }
    match func {
        Func::Pow => {
            let mut it = args.into_iter();
            match (it.next(), it.next()) {
                (Some(a), Some(b)) => pow(a, b),
                _ => Expr::Num(f64::NAN),
            }
        }
        _ => Expr::Call(func, args),
    }
}

/// Rebuilds an expression bottom-up through the simplifying constructors.
pub fn simplify(e: &Expr) -> Expr {
    match e {
        Expr::Num(v) => Expr::Num(*v),
        Expr::Var(s) => Expr::Var(s.clone()),
        Expr::Neg(a) => neg(simplify(a)),
        Expr::Bin(op, a, b) => bin(*op, simplify(a), simplify(b)),
        Expr::Call(f, args) => call(*f, args.iter().map(simplify).collect()),
    }
}
