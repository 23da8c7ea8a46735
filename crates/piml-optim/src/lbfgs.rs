//! L-BFGS (Nocedal 1980; Liu & Nocedal 1989) through argmin, with the Moré–Thuente line search
//! (Moré & Thuente 1994), on a flat `Vec<f64>` parameter vector.
//!
//! argmin runs the iterations (its `Executor`) and the line search; the quasi-Newton direction
//! is ours: argmin's own L-BFGS allocates a vector for every product of its two-loop recursion
//! and recomputes every yᵀs each iteration, which with 100 correction pairs of a network's
//! thousands of weights cost about as much as a PINN's loss and gradient. Here the pairs live
//! in preallocated buffers and the recursion runs in place.

use std::cell::{Cell, RefCell};
use std::collections::VecDeque;

use argmin::core::{
    CostFunction, Executor, Gradient, IterState, KV, LineSearch, OptimizationResult, Problem,
    Solver, State, TerminationReason, TerminationStatus,
};
use argmin::solver::linesearch::MoreThuenteLineSearch;

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
        if self.memory == 0 {
            return Err(Error(
                "L-BFGS: the memory must keep at least one pair".into(),
            ));
        }
        if [self.tol_grad, self.tol_cost]
            .iter()
            .any(|t| t.partial_cmp(&0.0).is_none_or(|o| o.is_lt()))
        {
            return Err(Error(format!(
                "L-BFGS: tolerances must be ≥ 0, got {} and {}",
                self.tol_grad, self.tol_cost
            )));
        }
        let evaluations = Cell::new(0);
        let problem = Memo {
            objective: RefCell::new(objective),
            last: RefCell::new(None),
            evaluations: &evaluations,
        };
        let solver = TwoLoop {
            linesearch: MoreThuenteLineSearch::new(),
            pairs: Pairs::new(self.memory, x0.len()),
            tol_grad: self.tol_grad,
            tol_cost: self.tol_cost,
        };
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

type LbfgsState = IterState<Vec<f64>, Vec<f64>, (), (), (), f64>;

/// L-BFGS as an argmin solver: the direction −H∇L by the two-loop recursion (Nocedal & Wright
/// 2006, Algorithm 7.4, H₀ = γI with γ = sᵀy/yᵀy of the newest pair), a Moré–Thuente line
/// search along it, the new pair stored (Algorithm 7.5). The same iterates as argmin's `LBFGS`
/// up to the rounding of the dot products, and the same stopping tests.
struct TwoLoop {
    linesearch: MoreThuenteLineSearch<Vec<f64>, Vec<f64>, f64>,
    pairs: Pairs,
    tol_grad: f64,
    tol_cost: f64,
}

impl<O> Solver<O, LbfgsState> for TwoLoop
where
    O: CostFunction<Param = Vec<f64>, Output = f64>
        + Gradient<Param = Vec<f64>, Gradient = Vec<f64>>,
{
    fn name(&self) -> &str {
        "L-BFGS"
    }

    fn init(
        &mut self,
        problem: &mut Problem<O>,
        mut state: LbfgsState,
    ) -> Result<(LbfgsState, Option<KV>), argmin::core::Error> {
        let param = state
            .take_param()
            .ok_or_else(|| argmin::core::Error::msg("L-BFGS needs a starting point"))?;
        let cost = match state.get_cost() {
            c if c.is_infinite() => problem.cost(&param)?,
            c => c,
        };
        let grad = match state.take_gradient() {
            Some(g) => g,
            None => problem.gradient(&param)?,
        };
        Ok((state.param(param).cost(cost).gradient(grad), None))
    }

    fn next_iter(
        &mut self,
        problem: &mut Problem<O>,
        mut state: LbfgsState,
    ) -> Result<(LbfgsState, Option<KV>), argmin::core::Error> {
        let missing = || argmin::core::Error::msg("L-BFGS: the state lost its point");
        let param = state.take_param().ok_or_else(missing)?;
        let grad = state.take_gradient().ok_or_else(missing)?;
        let cost = state.get_cost();
        self.linesearch
            .search_direction(self.pairs.direction(&grad));
        let objective = problem.take_problem().ok_or_else(missing)?;
        let search = Executor::new(objective, self.linesearch.clone())
            .configure(|c| c.param(param.clone()).gradient(grad.clone()).cost(cost))
            .ctrlc(false)
            .run();
        let OptimizationResult {
            problem: mut searched,
            state: mut found,
            ..
        } = match search {
            Ok(r) => r,
            Err(e) => {
                let reason = format!("Line search terminated with: '{e}'");
                return Ok((
                    state.terminate_with(TerminationReason::SolverExit(reason)),
                    None,
                ));
            }
        };
        problem.problem = searched.take_problem();
        problem.consume_func_counts(searched);
        let next = found.take_param().ok_or_else(missing)?;
        let next_cost = found.get_cost();
        // The line search evaluated the gradient there last: the memo answers.
        let next_grad = problem.gradient(&next)?;
        self.pairs.push(&param, &next, &grad, &next_grad);
        Ok((state.param(next).cost(next_cost).gradient(next_grad), None))
    }

    fn terminate(&mut self, state: &LbfgsState) -> TerminationStatus {
        let grad = state.get_gradient().map_or(f64::NAN, |g| dot(g, g).sqrt());
        if grad < self.tol_grad || (state.get_prev_cost() - state.get_cost()).abs() < self.tol_cost
        {
            TerminationStatus::Terminated(TerminationReason::SolverConverged)
        } else {
            TerminationStatus::NotTerminated
        }
    }
}

/// The correction pairs s = x_{k+1} − x_k, y = ∇L_{k+1} − ∇L_k with ρ = 1/yᵀs, in
/// `memory` + 1 slots of length n allocated once: the pairs kept, and a spare the next pair
/// is written into before it is known to be kept.
struct Pairs {
    n: usize,
    memory: usize,
    s: Vec<f64>,
    y: Vec<f64>,
    rho: Vec<f64>,
    /// α of each slot, scratch of the recursion.
    alpha: Vec<f64>,
    /// Slots of the pairs kept, oldest first.
    kept: VecDeque<usize>,
    spare: usize,
    /// sᵀy/yᵀy of the newest pair: H₀ = γI.
    gamma: f64,
}

impl Pairs {
    fn new(memory: usize, n: usize) -> Pairs {
        let slots = memory + 1;
        Pairs {
            n,
            memory,
            s: vec![0.0; slots * n],
            y: vec![0.0; slots * n],
            rho: vec![0.0; slots],
            alpha: vec![0.0; slots],
            kept: VecDeque::with_capacity(slots),
            spare: 0,
            gamma: 1.0,
        }
    }

    /// −H∇L by the two-loop recursion.
    fn direction(&mut self, grad: &[f64]) -> Vec<f64> {
        let n = self.n;
        let mut q = grad.to_vec();
        for &k in self.kept.iter().rev() {
            let (s, y) = (&self.s[k * n..][..n], &self.y[k * n..][..n]);
            let alpha = dot(s, &q) * self.rho[k];
            q.iter_mut().zip(y).for_each(|(q, y)| *q -= y * alpha);
            self.alpha[k] = alpha;
        }
        let gamma = self.gamma;
        q.iter_mut().for_each(|q| *q *= gamma);
        for &k in &self.kept {
            let (s, y) = (&self.s[k * n..][..n], &self.y[k * n..][..n]);
            let c = self.alpha[k] - dot(y, &q) * self.rho[k];
            q.iter_mut().zip(s).for_each(|(r, s)| *r += s * c);
        }
        q.iter_mut().for_each(|r| *r = -*r);
        q
    }

    /// Keeps the pair of a step from (x, g) to (x1, g1), in place of the oldest when full. A
    /// pair without positive curvature (sᵀy ≤ 0, which a line search meeting the Wolfe
    /// conditions never returns) would make H indefinite: it is dropped.
    fn push(&mut self, x: &[f64], x1: &[f64], g: &[f64], g1: &[f64]) {
        let (n, k) = (self.n, self.spare);
        let (s, y) = (&mut self.s[k * n..][..n], &mut self.y[k * n..][..n]);
        s.iter_mut()
            .zip(x1.iter().zip(x))
            .for_each(|(s, (a, b))| *s = a - b);
        y.iter_mut()
            .zip(g1.iter().zip(g))
            .for_each(|(y, (a, b))| *y = a - b);
        let sy = dot(s, y);
        // NaN fails this test too.
        if sy.partial_cmp(&0.0) != Some(std::cmp::Ordering::Greater) {
            return;
        }
        self.rho[k] = 1.0 / sy;
        self.gamma = sy / dot(y, y);
        self.kept.push_back(k);
        self.spare = if self.kept.len() > self.memory {
            self.kept.pop_front().expect("more pairs than the memory")
        } else {
            self.kept.len()
        };
    }
}

/// aᵀb with independent partial sums that the compiler keeps in vector registers (a single
/// running sum waits on each addition's latency), added in a fixed order: the result does
/// not depend on anything but a and b.
fn dot(a: &[f64], b: &[f64]) -> f64 {
    const LANES: usize = 16;
    let (ca, cb) = (a.chunks_exact(LANES), b.chunks_exact(LANES));
    let tail: f64 = ca
        .remainder()
        .iter()
        .zip(cb.remainder())
        .map(|(x, y)| x * y)
        .sum();
    let mut acc = [0.0; LANES];
    for (x, y) in ca.zip(cb) {
        for l in 0..LANES {
            acc[l] += x[l] * y[l];
        }
    }
    acc.iter().sum::<f64>() + tail
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

#[cfg(test)]
mod tests {
    use super::*;
    use argmin::solver::quasinewton::LBFGS;

    const N: usize = 40;

    /// A smooth, strictly convex test function that is not quadratic (so that the line
    /// search takes more than one trial): Σ a_i (x_i − t_i)² + (Σ x_i²/N)², with its gradient.
    fn objective(x: &[f64], g: &mut [f64]) -> f64 {
        let a = |i: usize| 1.0 + i as f64 / 4.0;
        let t = |i: usize| (i as f64).sin();
        let m = x.iter().map(|v| v * v).sum::<f64>() / N as f64;
        let mut f = m * m;
        for i in 0..N {
            f += a(i) * (x[i] - t(i)).powi(2);
            g[i] = 2.0 * a(i) * (x[i] - t(i)) + 4.0 * m * x[i] / N as f64;
        }
        f
    }

    /// Records every point argmin's own L-BFGS evaluates.
    struct Recorded(RefCell<Vec<Vec<f64>>>);

    impl CostFunction for Recorded {
        type Param = Vec<f64>;
        type Output = f64;
        fn cost(&self, x: &Vec<f64>) -> Result<f64, argmin::core::Error> {
            self.0.borrow_mut().push(x.clone());
            Ok(objective(x, &mut [0.0; N]))
        }
    }

    impl Gradient for Recorded {
        type Param = Vec<f64>;
        type Gradient = Vec<f64>;
        fn gradient(&self, x: &Vec<f64>) -> Result<Vec<f64>, argmin::core::Error> {
            let mut g = vec![0.0; N];
            objective(x, &mut g);
            Ok(g)
        }
    }

    #[test]
    fn the_two_loop_recursion_takes_argmin_s_steps() {
        let (memory, iters) = (5, 25);
        let x0 = vec![3.0; N];
        let reference = Recorded(RefCell::new(Vec::new()));
        let solver = LBFGS::new(MoreThuenteLineSearch::new(), memory)
            .with_tolerance_grad(0.0)
            .and_then(|s| s.with_tolerance_cost(0.0))
            .unwrap();
        let run = Executor::new(reference, solver)
            .configure(|s| s.param(x0.clone()).max_iters(iters))
            .run()
            .unwrap();
        let mut expected = run.problem.problem.unwrap().0.into_inner();
        // argmin evaluates the cost at every trial point and once more at the start of each
        // line search; the memo makes those repeats free, so compare distinct points.
        expected.dedup();
        let mut ours = Vec::new();
        let result = Lbfgs {
            memory,
            max_iters: iters,
            tol_grad: 0.0,
            tol_cost: 0.0,
        }
        .minimize(x0, |x, g| {
            ours.push(x.to_vec());
            objective(x, g)
        })
        .unwrap();
        assert_eq!(result.iterations, iters);
        assert!(
            expected.len() > iters as usize + 2,
            "the line search should take extra trials"
        );
        assert_eq!(ours.len(), expected.len());
        // Only the dot products differ (partial sums in another order, relative error of a
        // few ε each); over 25 iterations on a problem with condition number ~10 that stays
        // far below 1e-12 of the iterates' size.
        for (k, (a, b)) in ours.iter().zip(&expected).enumerate() {
            for (u, v) in a.iter().zip(b) {
                assert!(
                    (u - v).abs() <= 1e-12 * (1.0 + v.abs()),
                    "point {k}: {u} vs {v}"
                );
            }
        }
        // And it got somewhere: the gradient fell by six orders of magnitude.
        let norm = |x: &[f64]| {
            let mut g = vec![0.0; N];
            objective(x, &mut g);
            dot(&g, &g).sqrt()
        };
        let (start, end) = (norm(&[3.0; N]), norm(&result.params));
        assert!(end < 1e-6 * start, "‖∇f‖ from {start} to {end}");
    }

    #[test]
    fn the_dot_product_adds_every_term() {
        for n in [0, 1, 15, 16, 17, 40, 1000] {
            let a: Vec<f64> = (0..n).map(|i| i as f64).collect();
            let b = vec![2.0; n];
            // Integers below 2^53: exact whatever the order.
            assert_eq!(dot(&a, &b), (n * n.saturating_sub(1)) as f64, "n = {n}");
        }
    }
}
