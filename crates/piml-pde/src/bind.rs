//! A model's expressions with the parameter values substituted and the
//! constants folded, compiled over the grid's inputs (species columns,
//! coordinates, time), so that every evaluation on the grid skips the
//! parameters altogether.

use piml_model::expr::{Expr, Tape, derivative, simplify};

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
    Tape::compile(exprs, inputs).unwrap_or_else(|e| panic!("validated model refers to {e}"))
}
