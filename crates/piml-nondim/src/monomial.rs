//! Products of powers of names, c·Π nameᵖ with rational p: scales, groups
//! and dimensionless parameters are such products, and keeping them in this
//! form cancels r·(1/r) exactly where the expression simplifier does not.

use std::collections::BTreeMap;

use piml_model::expr::simplify::{div, mul, pow};
use piml_model::expr::{BinOp, Expr, Func};

use crate::rational::{Ratio, common_denominator};

/// c·Π nameᵖ.
#[derive(Debug, Clone, PartialEq)]
pub struct Monomial {
    pub coefficient: f64,
    pub powers: BTreeMap<String, Ratio>,
}

impl Monomial {
    pub fn one() -> Monomial {
        Monomial {
            coefficient: 1.0,
            powers: BTreeMap::new(),
        }
    }

    pub fn name(name: &str) -> Monomial {
        Monomial {
            coefficient: 1.0,
            powers: BTreeMap::from([(name.to_string(), Ratio::ONE)]),
        }
    }

    /// The product of two monomials, with powers that cancel removed.
    pub fn times(&self, o: &Monomial) -> Monomial {
        let mut powers = self.powers.clone();
        for (n, p) in &o.powers {
            let e = powers.entry(n.clone()).or_insert(Ratio::ZERO);
            *e = *e + *p;
        }
        powers.retain(|_, p| !p.is_zero());
        Monomial {
            coefficient: self.coefficient * o.coefficient,
            powers,
        }
    }

    pub fn power(&self, e: Ratio) -> Monomial {
        Monomial {
            coefficient: self.coefficient.powf(e.to_f64()),
            powers: self
                .powers
                .iter()
                .map(|(n, p)| (n.clone(), *p * e))
                .filter(|(_, p)| !p.is_zero())
                .collect(),
        }
    }

    /// Whether the monomial is a plain number.
    pub fn is_constant(&self) -> bool {
        self.powers.is_empty()
    }

    /// Reads an expression built of names, numbers, `* / ^`, `sqrt` and
    /// `pow` with constant rational exponents; `None` for anything else.
    pub fn from_expr(e: &Expr) -> Option<Monomial> {
        match e {
            Expr::Num(v) => Some(Monomial {
                coefficient: *v,
                powers: BTreeMap::new(),
            }),
            Expr::Var(n) => Some(Monomial::name(n)),
            Expr::Neg(a) => {
                let mut m = Monomial::from_expr(a)?;
                m.coefficient = -m.coefficient;
                Some(m)
            }
            Expr::Bin(BinOp::Mul, a, b) => {
                Some(Monomial::from_expr(a)?.times(&Monomial::from_expr(b)?))
            }
            Expr::Bin(BinOp::Div, a, b) => {
                Some(Monomial::from_expr(a)?.times(&Monomial::from_expr(b)?.power(Ratio::int(-1))))
            }
            Expr::Bin(BinOp::Pow, a, b) => {
                let e = Ratio::from_f64(piml_model::expr::simplify(b).as_num()?)?;
                Some(Monomial::from_expr(a)?.power(e))
            }
            Expr::Call(Func::Sqrt, args) => {
                Some(Monomial::from_expr(&args[0])?.power(Ratio::new(1, 2)))
            }
            Expr::Call(Func::Pow, args) => {
                let e = Ratio::from_f64(piml_model::expr::simplify(&args[1]).as_num()?)?;
                Some(Monomial::from_expr(&args[0])?.power(e))
            }
            _ => None,
        }
    }

    /// The monomial as an expression: c·num/den, with the fractional
    /// parts of the powers under one root (`sqrt(D/r)`, `v/sqrt(D*r)`).
    pub fn to_expr(&self) -> Expr {
        let root = common_denominator(&self.powers.values().copied().collect::<Vec<_>>());
        // p = whole + part/root with |whole| the integer part of p.
        let split: Vec<(&String, i64, i64)> = self
            .powers
            .iter()
            .map(|(n, p)| {
                let whole = p.numer() / p.denom();
                let part = ((*p - Ratio::int(whole)) * Ratio::int(root)).numer();
                (n, whole, part)
            })
            .collect();
        let product = |pick: &dyn Fn(i64, i64) -> i64, positive: bool| -> Expr {
            split.iter().fold(Expr::Num(1.0), |acc, (n, whole, part)| {
                let e = pick(*whole, *part);
                if e == 0 || (e > 0) != positive {
                    acc
                } else {
                    mul(acc, pow(Expr::var(n), Expr::Num(e.abs() as f64)))
                }
            })
        };
        let rooted = |e: Expr| match (e.as_num(), root) {
            (Some(1.0), _) | (_, 1) => e,
            (_, 2) => Expr::Call(Func::Sqrt, vec![e]),
            (_, r) => pow(e, div(Expr::Num(1.0), Expr::Num(r as f64))),
        };
        let (whole_num, whole_den) = (product(&|w, _| w, true), product(&|w, _| w, false));
        let (part_num, part_den) = (product(&|_, p| p, true), product(&|_, p| p, false));
        let body = if whole_num.as_num() == Some(1.0) && whole_den.as_num() == Some(1.0) {
            rooted(div(part_num, part_den))
        } else {
            div(
                mul(whole_num, rooted(part_num)),
                mul(whole_den, rooted(part_den)),
            )
        };
        mul(Expr::Num(self.coefficient), body)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use piml_model::expr::parse;

    #[test]
    fn cancels_and_prints_with_roots() {
        let m = Monomial::from_expr(&parse("r*(1/r)*K/K").unwrap()).unwrap();
        assert!(m.is_constant() && m.coefficient == 1.0);
        let x = Monomial::from_expr(&parse("sqrt(D/r)").unwrap()).unwrap();
        assert_eq!(x.to_expr().to_string(), "sqrt(D / r)");
        let v = Monomial::from_expr(&parse("v/sqrt(D*r)").unwrap()).unwrap();
        assert_eq!(v.to_expr().to_string(), "v / sqrt(D * r)");
        assert!(Monomial::from_expr(&parse("1/(k1 + k2)").unwrap()).is_none());
    }
}
