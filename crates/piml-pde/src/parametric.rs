//! Derivatives of the method-of-lines system with respect to model
//! parameters, for forward sensitivities (piml-ode's `solve_sensitivities`):
//! ∂f/∂p of each cell's reaction term and each face's flux, and ∂u₀/∂p of
//! the initial fields, all from the model's expressions differentiated
//! symbolically and compiled like the operator itself.
//!
//! The diffusion terms are linear in the diffusivities: with D_f = (D_a + D_b)/2
//! the flux F = D_f·(u_b − u_a)/h² has ∂F/∂p = ½(∂D_a/∂p + ∂D_b/∂p)·(u_b − u_a)/h²,
//! and a Dirichlet wall's 2D(g − u)/h² has 2(∂D/∂p)(g − u)/h², so the
//! operator's own flux and wall code evaluates them with ∂D/∂p in place of D.

use nalgebra::DMatrix;
use piml_model::Model;
use piml_model::expr::{Expr, Tape, derivative};
use piml_ode::{OdeSystem, ParametricSystem};

use crate::bind::{Binding, compile};
use crate::error::Error;
use crate::grid::Grid;
use crate::operator::{Fields, ReactionDiffusion};

/// A reaction–diffusion system with the derivatives of its right-hand side
/// and initial fields with respect to chosen parameters.
#[derive(Debug, Clone)]
pub struct SensitiveReactionDiffusion {
    system: ReactionDiffusion,
    /// ∂R_k/∂p_j over (species, coordinates, t), column-major (k + ns·j).
    reaction: Tape,
    /// ∂D_k/∂p_j, column-major (k + ns·j).
    diffusion: Tape,
    /// ∂u₀_k/∂p_j over the coordinates, column-major (k + ns·j).
    initial: Tape,
    n_params: usize,
}

impl SensitiveReactionDiffusion {
    /// `model` discretised on `grid` at `params`, differentiable with
    /// respect to the parameters `which` (indices into the model's parameters).
    /// A parameter in a Dirichlet wall value is refused: the wall terms'
    /// derivatives are not carried.
    pub fn new(model: &Model, grid: Grid, params: &[f64], which: &[usize]) -> Result<Self, Error> {
        let system = ReactionDiffusion::new(model, grid, params)?;
        let names: Vec<&str> = which
            .iter()
            .map(|&j| model.parameters[j].name.as_str())
            .collect();
        for side in &model.boundary {
            if let piml_model::AxisBoundary::Sides { min, max } = side {
                for condition in [min, max] {
                    if let piml_model::SideCondition::Dirichlet(values) = condition
                        && let Some(n) = names
                            .iter()
                            .find(|n| values.iter().any(|(_, e)| e.mentions(n)))
                    {
                        return Err(Error::Model {
                            model: model.name.clone(),
                            reason: format!(
                                "parameter '{n}' sets a Dirichlet wall value: sensitivities to it are not supported"
                            ),
                        });
                    }
                }
            }
        }
        let binding = Binding::new(&model.parameter_names(), params);
        let d = |exprs: &[Expr]| -> Vec<Expr> {
            names
                .iter()
                .flat_map(|n| exprs.iter().map(|e| binding.bind(&derivative(e, n))))
                .collect()
        };
        let coordinates: Vec<String> = system
            .grid()
            .axes()
            .iter()
            .map(|a| a.name.clone())
            .collect();
        let mut inputs: Vec<String> = system.species().to_vec();
        inputs.extend(coordinates.iter().cloned());
        inputs.push("t".into());
        let diffusion: Vec<Expr> = model
            .species
            .iter()
            .map(|s| s.diffusion.clone().unwrap_or(Expr::Num(0.0)))
            .collect();
        let initial: Vec<Expr> = model.species.iter().map(|s| s.initial.clone()).collect();
        Ok(Self {
            reaction: compile(&d(&model.reaction_terms()), &inputs),
            diffusion: compile(&d(&diffusion), &inputs),
            initial: compile(&d(&initial), &coordinates),
            n_params: which.len(),
            system,
        })
    }

    pub fn system(&self) -> &ReactionDiffusion {
        &self.system
    }

    /// ∂u₀/∂p in the ODE state's ordering (dim × n_params): the initial sensitivities.
    pub fn initial_sensitivities(&self) -> DMatrix<f64> {
        let ns = self.system.n_species();
        let coordinates = self.system.grid().coordinates();
        let inputs: Vec<&[f64]> = coordinates.iter().map(Vec::as_slice).collect();
        let mut columns: Fields = vec![Vec::new(); ns * self.n_params];
        self.initial.eval_columns(&inputs, &mut columns);
        let mut s0 = DMatrix::zeros(self.system.dim(), self.n_params);
        for j in 0..self.n_params {
            let mut y = vec![0.0; self.system.dim()];
            self.system.scatter(&columns[ns * j..ns * (j + 1)], &mut y);
            s0.set_column(j, &nalgebra::DVector::from_vec(y));
        }
        s0
    }
}

impl OdeSystem for SensitiveReactionDiffusion {
    fn dim(&self) -> usize {
        self.system.dim()
    }
    fn rhs(&self, t: f64, y: &[f64], dydt: &mut [f64]) {
        self.system.rhs(t, y, dydt);
    }
    fn jacobian(&self, t: f64, y: &[f64], jac: &mut DMatrix<f64>) {
        self.system.jacobian(t, y, jac);
    }
    fn jacobian_structure(&self) -> piml_ode::JacobianStructure {
        self.system.jacobian_structure()
    }
    fn banded_jacobian(&self, t: f64, y: &[f64], jac: &mut piml_ode::BandedMatrix) {
        self.system.banded_jacobian(t, y, jac);
    }
    fn sparse_pattern(&self) -> piml_ode::SparseMatrix {
        self.system.sparse_pattern()
    }
    fn sparse_jacobian(&self, t: f64, y: &[f64], jac: &mut piml_ode::SparseMatrix) {
        self.system.sparse_jacobian(t, y, jac);
    }
}

impl ParametricSystem for SensitiveReactionDiffusion {
    fn n_params(&self) -> usize {
        self.n_params
    }

    fn param_jacobian(&self, t: f64, y: &[f64], jp: &mut DMatrix<f64>) {
        let ns = self.system.n_species();
        let u = self.system.fields(y);
        let mut columns = vec![Vec::new(); ns * self.n_params];
        let mut dd = vec![Vec::new(); ns * self.n_params];
        self.system.eval_cells(&self.reaction, t, &u, &mut columns);
        self.system.eval_cells(&self.diffusion, t, &u, &mut dd);
        for j in 0..self.n_params {
            let column = &mut columns[ns * j..ns * (j + 1)];
            self.system
                .add_fluxes(&u, &dd[ns * j..ns * (j + 1)], column);
            self.system
                .add_walls(t, &u, &dd[ns * j..ns * (j + 1)], column);
            let mut y = vec![0.0; self.system.dim()];
            self.system.scatter(column, &mut y);
            jp.set_column(j, &nalgebra::DVector::from_vec(y));
        }
    }
}
