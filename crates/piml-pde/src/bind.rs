//! A model's expressions with the parameter values substituted and the
//! constants folded, compiled over the grid's inputs (species columns,
//! coordinates, time), so that every evaluation on the grid skips the
//! parameters altogether.

use piml_model::expr::{BinOp, Expr, Tape, derivative, simplify};

/// Parameter names with their values.
#[derive(Debug, Clone)]
pub(crate) struct Binding {
    values: Vec<(String, f64)>,
}

impl Binding {
    pub(crate) fn new(names: &[&str], values: &[f64]) -> Self {
        Self {
            values: names
                .iter()
                .map(|n| n.to_string())
                .zip(values.iter().copied())
                .collect(),
        }
    }

    /// `e` with every parameter replaced by its value, simplified.
    pub(crate) fn bind(&self, e: &Expr) -> Expr {
        let lookup = |name: &str| {
            self.values
                .iter()
                .find(|(n, _)| n == name)
                .map(|(_, v)| Expr::Num(*v))
        };
        simplify(&e.substitute(&lookup))
    }
}

/// ∂e_k/∂v_s for every expression e_k and variable v_s, column-major
/// (entry k + n·s), simplified.
pub(crate) fn jacobian(exprs: &[Expr], vars: &[String]) -> Vec<Expr> {
    vars.iter()
        .flat_map(|v| exprs.iter().map(move |e| simplify(&derivative(e, v))))
        .collect()
}

/// Compiles expressions of the model, whose names were all checked when the
/// model was read; an unknown name here means an input list left out a
/// coordinate or species, which is a bug.
pub(crate) fn compile(exprs: &[Expr], inputs: &[String]) -> Tape {
    let exprs: Vec<Expr> = exprs.iter().map(expand_small_powers).collect();
    Tape::compile(&exprs, inputs).unwrap_or_else(|e| panic!("validated model refers to {e}"))
}

/// `a^2` and `a^3` as the products a·a and (a·a)·a: the tape's power tests
/// its exponent for every value, a product vectorises, and the power of
/// an exponent 2 or 3 is this very product, so the values do not change.
fn expand_small_powers(e: &Expr) -> Expr {
    match e {
        Expr::Num(_) | Expr::Var(_) => e.clone(),
        Expr::Neg(a) => Expr::Neg(Box::new(expand_small_powers(a))),
        Expr::Bin(BinOp::Pow, a, b) if b.as_num() == Some(2.0) || b.as_num() == Some(3.0) => {
            let a = expand_small_powers(a);
            let square = Expr::bin(BinOp::Mul, a.clone(), a.clone());
            if b.as_num() == Some(2.0) {
                square
            } else {
                Expr::bin(BinOp::Mul, square, a)
            }
        }
        Expr::Bin(op, a, b) => Expr::bin(*op, expand_small_powers(a), expand_small_powers(b)),
        Expr::Call(f, args) => Expr::Call(*f, args.iter().map(expand_small_powers).collect()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use piml_model::expr::parse;

    /// Squares and cubes as products give the very bits of the tape's power.
    #[test]
    fn expanded_powers_keep_the_values() {
        let inputs = ["u".to_string(), "v".to_string()];
        let e = [parse("u^2*v - (u + v)^3 + v^2.5").unwrap()];
        let plain = Tape::compile(&e, &inputs).unwrap();
        let expanded = compile(&e, &inputs);
        assert!(expanded.len() > plain.len(), "the powers were expanded");
        for (u, v) in [(0.3, 1.7), (-2.5, 0.1), (1e-160, 3.0), (7.0, 1e100)] {
            let (mut a, mut b) = ([0.0], [0.0]);
            plain.eval(&[u, v], &mut plain.scratch(), &mut a);
            expanded.eval(&[u, v], &mut expanded.scratch(), &mut b);
            assert_eq!(a[0].to_bits(), b[0].to_bits(), "u = {u}, v = {v}");
        }
    }
}
