//! Printing expressions back in the model language, with only the
//! parentheses that precedence requires (so printing and parsing round-trip).

use std::fmt;

use super::ast::{BinOp, Expr};

const SUM: u8 = 1;
const PRODUCT: u8 = 2;
const UNARY: u8 = 3;
const POWER: u8 = 4;
const ATOM: u8 = 5;

fn precedence(e: &Expr) -> u8 {
    match e {
        Expr::Num(v) if *v < 0.0 || v.is_sign_negative() => UNARY,
        Expr::Num(_) | Expr::Var(_) | Expr::Call(..) => ATOM,
        Expr::Neg(_) => UNARY,
        Expr::Bin(BinOp::Add | BinOp::Sub, ..) => SUM,
        Expr::Bin(BinOp::Mul | BinOp::Div, ..) => PRODUCT,
        Expr::Bin(BinOp::Pow, ..) => POWER,
    }
}

fn write_number(f: &mut fmt::Formatter<'_>, v: f64) -> fmt::Result {
    let a = v.abs();
    if a != 0.0 && a.is_finite() && !(1e-4..1e6).contains(&a) {
        write!(f, "{v:e}")
    } else {
        write!(f, "{v}")
    }
}

fn write_at(f: &mut fmt::Formatter<'_>, e: &Expr, min_prec: u8) -> fmt::Result {
    if precedence(e) < min_prec {
        write!(f, "(")?;
        write_expr(f, e)?;
        write!(f, ")")
    } else {
        write_expr(f, e)
    }
}

fn write_expr(f: &mut fmt::Formatter<'_>, e: &Expr) -> fmt::Result {
    match e {
        Expr::Num(v) => write_number(f, *v),
        Expr::Var(s) => write!(f, "{s}"),
        Expr::Neg(a) => {
            write!(f, "-")?;
            write_at(f, a, UNARY)
        }
        Expr::Bin(op, a, b) => {
            let (left, right) = match op {
                BinOp::Add => (SUM, SUM),
                BinOp::Sub => (SUM, PRODUCT),
                BinOp::Mul => (PRODUCT, PRODUCT),
                BinOp::Div => (PRODUCT, UNARY),
                BinOp::Pow => (ATOM, UNARY),
            };
            write_at(f, a, left)?;
            match op {
                BinOp::Pow => write!(f, "^")?,
                _ => write!(f, " {} ", op.symbol())?,
            }
            write_at(f, b, right)
        }
        Expr::Call(func, args) => {
            write!(f, "{}(", func.name())?;
            for (i, a) in args.iter().enumerate() {
                if i > 0 {
                    write!(f, ", ")?;
                }
                write_expr(f, a)?;
            }
            write!(f, ")")
        }
    }
}

impl fmt::Display for Expr {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write_expr(f, self)
    }
}
