//! L-BFGS (Nocedal 1980; Liu & Nocedal 1989) through argmin, with the Moré–Thuente line search
//! (Moré & Thuente 1994), on a flat `Vec<f64>` parameter vector.

use std::cell::{Cell, RefCell};

use argmin::core::{CostFunction, Executor, Gradient, State, TerminationReason, TerminationStatus};
use argmin::solver::linesearch::MoreThuenteLineSearch;
use argmin::solver::quasinewton::LBFGS;

use crate::Error;

/// Settings of an L-BFGS run.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Lbfgs {
    /// Number of correction pairs kept.
    pub memory: usize,
    /// Most iterations.
    pub max_iters: u64,
    /// Stop when ‖∇L‖ falls below this.
    pub tol_grad: f64,
    /// Stop when L changes by less than this from one iteration to the next.
    pub tol_cost: f64,
}

impl Default for Lbfgs {
    /// 10 correction pairs, 1000 iterations, ‖∇L‖ < 1e-10, ΔL < ε.
    fn default() -> Lbfgs {
        Lbfgs {
            memory: 10,
            max_iters: 1000,
            tol_grad: 1e-10,
            tol_cost: f64::EPSILON,
        }
    }
}

/// What an L-BFGS run reached.
#[derive(Debug, Clone, PartialEq)]
pub struct LbfgsResult {
    /// The best parameters found.
    pub params: Vec<f64>,
    /// The objective there.
    pub cost: f64,
    /// Iterations taken.
    pub iterations: u64,
    /// Evaluations of the objective (each gives the value and the gradient).
    pub evaluations: usize,
    /// Why it stopped, in argmin's words.
    pub termination: String,
    /// Whether it stopped because a tolerance was met (not the iteration limit, not a failed
    /// line search).
    pub converged: bool,
}

impl Lbfgs {
    /// Minimises `objective` from `x0`. The objective returns L(x) and writes ∇L(x) into its
    /// second argument; argmin asks for cost and gradient separately, often at the same point,
    /// so the last (x, L, ∇L) is memoised and each distinct x costs one evaluation.
    pub fn minimize<F>(&self, x0: Vec<f64>, objective: F) -> Result<LbfgsResult, Error>
    where
        F: FnMut(&[f64], &mut [f64]) -> f64,
    {
        let fail = |e: argmin::core::Error| Error(format!("L-BFGS: {e}"));
        let evaluations = Cell::new(0);
        let problem = Memo {
            objective: RefCell::new(objective),
            last: RefCell::new(None),
            evaluations: &evaluations,
        };
        let solver = LBFGS::new(MoreThuenteLineSearch::new(), self.memory)
            .with_tolerance_grad(self.tol_grad)
            .and_then(|s| s.with_tolerance_cost(self.tol_cost))
            .map_err(fail)?;
        let run = Executor::new(problem, solver)
            .configure(|state| state.param(x0).max_iters(self.max_iters))
            .run()
            .map_err(fail)?;
        let mut state = run.state;
        let status = state.get_termination_status().clone();
        let converged = matches!(
            status,
            TerminationStatus::Terminated(
                TerminationReason::SolverConverged | TerminationReason::TargetCostReached
            )
        );
        Ok(LbfgsResult {
            cost: state.get_best_cost(),
            iterations: state.get_iter(),
            params: state
                .take_best_param()
                .ok_or_else(|| Error("L-BFGS returned no parameters".into()))?,
            evaluations: evaluations.get(),
            termination: status.to_string(),
            converged,
        })
    }
}

/// The last point evaluated, its cost and gradient.
struct Evaluated {
    x: Vec<f64>,
    cost: f64,
    grad: Vec<f64>,
}

struct Memo<'a, F> {
    objective: RefCell<F>,
    last: RefCell<Option<Evaluated>>,
    evaluations: &'a Cell<usize>,
}

impl<F: FnMut(&[f64], &mut [f64]) -> f64> Memo<'_, F> {
    fn eval(&self, x: &[f64]) -> Result<(f64, Vec<f64>), argmin::core::Error> {
        if let Some(last) = self.last.borrow().as_ref()
            && last.x == x
        {
            return Ok((last.cost, last.grad.clone()));
        }
        let mut grad = vec![0.0; x.len()];
        let cost = (self.objective.borrow_mut())(x, &mut grad);
        self.evaluations.set(self.evaluations.get() + 1);
        if !cost.is_finite() || grad.iter().any(|g| !g.is_finite()) {
            return Err(argmin::core::Error::msg(format!(
                "the objective or its gradient is not finite (L = {cost})"
            )));
        }
        *self.last.borrow_mut() = Some(Evaluated {
            x: x.to_vec(),
            cost,
            grad: grad.clone(),
        });
        Ok((cost, grad))
    }
}

impl<F: FnMut(&[f64], &mut [f64]) -> f64> CostFunction for Memo<'_, F> {
    type Param = Vec<f64>;
    type Output = f64;

    fn cost(&self, x: &Vec<f64>) -> Result<f64, argmin::core::Error> {
        self.eval(x).map(|(c, _)| c)
    }
}

impl<F: FnMut(&[f64], &mut [f64]) -> f64> Gradient for Memo<'_, F> {
    type Param = Vec<f64>;
    type Gradient = Vec<f64>;

    fn gradient(&self, x: &Vec<f64>) -> Result<Vec<f64>, argmin::core::Error> {
        self.eval(x).map(|(_, g)| g)
    }
}
