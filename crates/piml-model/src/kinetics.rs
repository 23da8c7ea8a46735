//! The kinetic equations of a model, compiled: y' = f(t, y, p) with exact
//! Jacobians ∂f/∂y and ∂f/∂p, initial values y0(p) with ∂y0/∂p, and the
//! observables g(t, y, p).

use crate::error::Error;
use crate::expr::{Expr, Tape, derivative};
use crate::model::Model;

/// Compiled right-hand side, Jacobians, initial values and observables.
///
/// Inputs of the point-wise methods: the state `y` in species order, the
/// parameters `p` in declaration order, the time `t`. Matrices are
/// column-major: entry (i, j) sits at `j * rows + i`.
#[derive(Debug, Clone)]
pub struct Kinetics {
    species: Vec<String>,
    parameters: Vec<String>,
    rhs: Tape,
    jac_y: Tape,
    jac_p: Tape,
    initial: Tape,
    initial_jac_p: Tape,
}

/// The column-major Jacobian of `exprs` with respect to `vars`, symbolically.
fn jacobian(exprs: &[Expr], vars: &[String]) -> Vec<Expr> {
    vars.iter()
        .flat_map(|v| exprs.iter().map(move |e| derivative(e, v)))
        .collect()
}

fn compile(exprs: &[Expr], inputs: &[String]) -> Tape {
    // Every symbol was checked against the model's names when it was read.
    Tape::compile(exprs, inputs).unwrap_or_else(|e| panic!("validated model refers to {e}"))
}

impl Kinetics {
    /// Assembles the kinetic equations of a non-spatial, non-algebraic model.
    pub fn new(model: &Model) -> Result<Kinetics, Error> {
        if model.is_spatial() || model.is_algebraic() {
            return Err(Error::Usage {
                message: format!(
                    "model '{}' is {}: kinetic equations need species and no space axes",
                    model.name,
                    if model.is_spatial() {
                        "spatial"
                    } else {
                        "algebraic"
                    }
                ),
            });
        }
        let species: Vec<String> = model.species.iter().map(|s| s.name.clone()).collect();
        let parameters: Vec<String> = model.parameters.iter().map(|p| p.name.clone()).collect();
        let mut inputs = species.clone();
        inputs.extend(parameters.iter().cloned());
        inputs.push("t".into());

        let f = model.reaction_terms();
        let y0: Vec<Expr> = model.species.iter().map(|s| s.initial.clone()).collect();
        Ok(Kinetics {
            rhs: compile(&f, &inputs),
            jac_y: compile(&jacobian(&f, &species), &inputs),
            jac_p: compile(&jacobian(&f, &parameters), &inputs),
            initial: compile(&y0, &parameters),
            initial_jac_p: compile(&jacobian(&y0, &parameters), &parameters),
            species,
            parameters,
        })
    }

    pub fn n_species(&self) -> usize {
        self.species.len()
    }

    pub fn n_parameters(&self) -> usize {
        self.parameters.len()
    }

    pub fn species(&self) -> &[String] {
        &self.species
    }

    pub fn parameters(&self) -> &[String] {
        &self.parameters
    }

    /// f(t, y, p) into `out` (length n).
    #[inline]
    pub fn rhs(&self, t: f64, y: &[f64], p: &[f64], out: &mut [f64]) {
        self.rhs.eval_parts(&[y, p, &[t]], out);
    }

    /// ∂f/∂y, n×n column-major, into `out`.
    #[inline]
    pub fn jacobian_y(&self, t: f64, y: &[f64], p: &[f64], out: &mut [f64]) {
        self.jac_y.eval_parts(&[y, p, &[t]], out);
    }

    /// ∂f/∂p, n×np column-major, into `out`.
    #[inline]
    pub fn jacobian_p(&self, t: f64, y: &[f64], p: &[f64], out: &mut [f64]) {
        self.jac_p.eval_parts(&[y, p, &[t]], out);
    }

    /// y0(p) into `out`.
    pub fn initial(&self, p: &[f64], out: &mut [f64]) {
        self.initial.eval_parts(&[p], out);
    }

    /// ∂y0/∂p, n×np column-major, into `out`.
    pub fn initial_jacobian_p(&self, p: &[f64], out: &mut [f64]) {
        self.initial_jac_p.eval_parts(&[p], out);
    }
}

/// Compiled observables g(inputs…, y, p, t) for output tables.
#[derive(Debug, Clone)]
pub struct Observation {
    names: Vec<String>,
    tape: Tape,
}

impl Observation {
    /// Observables of `model` as functions of columns: species, then
    /// algebraic inputs, then parameters, then t, then the space coordinates.
    pub fn new(model: &Model) -> Observation {
        let mut inputs: Vec<String> = model.species.iter().map(|s| s.name.clone()).collect();
        inputs.extend(model.inputs.iter().cloned());
        inputs.extend(model.parameters.iter().map(|p| p.name.clone()));
        inputs.push("t".into());
        inputs.extend(model.space.iter().map(|(axis, _)| axis.clone()));
        let exprs: Vec<Expr> = model.observables.iter().map(|o| o.expr.clone()).collect();
        Observation {
            names: model.observables.iter().map(|o| o.name.clone()).collect(),
            tape: compile(&exprs, &inputs),
        }
    }

    pub fn names(&self) -> &[String] {
        &self.names
    }

    /// Evaluates every observable on columns. `state` holds the species (or
    /// the algebraic inputs) column by column, `coords` the space coordinates
    /// of a spatial model (none otherwise); parameters are constants.
    pub fn eval_columns(
        &self,
        state: &[&[f64]],
        p: &[f64],
        t: &[f64],
        coords: &[&[f64]],
    ) -> Vec<Vec<f64>> {
        let rows = t.len();
        let p_cols: Vec<Vec<f64>> = p.iter().map(|v| vec![*v; rows]).collect();
        let mut inputs: Vec<&[f64]> = state.to_vec();
        inputs.extend(p_cols.iter().map(Vec::as_slice));
        inputs.push(t);
        inputs.extend_from_slice(coords);
        let mut out = vec![Vec::new(); self.names.len()];
        self.tape.eval_columns(&inputs, &mut out);
        out
    }
}
