//! Variable-order (1–5), variable-step BDF in the quasi-constant step-size
//! form of Shampine & Reichelt (1997, "The MATLAB ODE Suite", SIAM J. Sci.
//! Comput. 18(1), §2), with the NDF error-constant modification κ of ode15s
//! (Klopfenstein 1971; Shampine & Reichelt 1997, Table 1).
//!
//! The state is kept as backward differences D⁰y, …, D^{k+2}y scaled to the
//! current step h. A step predicts with the interpolating polynomial of the
//! differences, corrects with a simplified Newton iteration on
//! (I − c·J)Δ = c·f − ψ − d, c = h/α_k, and estimates the local error from
//! the (k+1)-th difference. A change of step size re-expresses the
//! differences on the new spacing (Shampine & Reichelt 1997, eq. 2.4: the
//! matrices R and U). After k+1 steps of equal size the order changes to
//! k−1, k or k+1, whichever allows the largest next step.
//!
//! The Jacobian is reused across steps and re-evaluated only when Newton
//! fails to converge with a stale one; the LU factors are reused while c
//! stays the same. With an iterative linear solver (`krylov.rs`) each Newton
//! correction is solved to a fixed fraction of the Newton tolerance.

use crate::error::Error;
use crate::initial_step::initial_step;
use crate::krylov::LINEAR_TOLERANCE_FRACTION;
use crate::linear::LinearSolver;
use crate::problem::Problem;
use crate::solution::Stats;
use crate::tolerance::Tolerance;

const MAX_ORDER: usize = 5;
/// Newton iterations per attempt before giving up (Shampine & Reichelt 1997).
const NEWTON_MAXITER: usize = 4;
/// Consecutive Newton failures on one step before the solve fails (CVODE's maxncf).
const MAX_NEWTON_FAILURES: usize = 10;
const MIN_FACTOR: f64 = 0.2;
const MAX_FACTOR: f64 = 10.0;
/// NDF coefficients κ_k (Shampine & Reichelt 1997, Table 1; κ₅ = 0: plain BDF5).
const KAPPA: [f64; MAX_ORDER + 1] = [0.0, -0.1850, -1.0 / 9.0, -0.0823, -0.0415, 0.0];

/// Why the last attempt failed: decides the error once the step underflows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Failure {
    ErrorTest,
    Newton,
    NonFinite,
}

/// Outcome of one simplified Newton solve.
enum Newton {
    Converged { iterations: usize },
    Failed(Failure),
}

/// The BDF integrator's state between steps.
#[derive(Debug)]
pub(crate) struct Bdf<L> {
    tol: Tolerance,
    newton_tol: f64,
    /// γ_k = Σ_{j≤k} 1/j, α_k = (1 − κ_k)γ_k, error constants κ_kγ_k + 1/(k+1).
    gamma: [f64; MAX_ORDER + 1],
    alpha: [f64; MAX_ORDER + 1],
    error_const: [f64; MAX_ORDER + 1],
    len: usize,
    t: f64,
    h: f64,
    order: usize,
    n_equal_steps: usize,
    /// Backward differences, MAX_ORDER + 3 rows of `len` values.
    d: Vec<f64>,
    /// Whether the Jacobian held by `lu` is evaluated at the current step.
    jac_current: bool,
    /// The linear solver, which also holds the Jacobian.
    lu: L,
    /// The c of the current factorisation of I − c·J, if it is up to date.
    lu_c: Option<f64>,
    y_predict: Vec<f64>,
    psi: Vec<f64>,
    y_new: Vec<f64>,
    /// Accumulated Newton correction y_new − y_predict.
    correction: Vec<f64>,
    dy: Vec<f64>,
    f: Vec<f64>,
    scale: Vec<f64>,
    /// Scratch rows for re-expressing the differences.
    work: Vec<f64>,
}

impl<L: LinearSolver> Bdf<L> {
    /// Starts at order 1 from (t0, y0) with Hairer's initial step for a
    /// method of local error O(h²).
    pub(crate) fn new<P: Problem>(
        problem: &mut P,
        tol: Tolerance,
        mut lu: L,
        t0: f64,
        y0: &[f64],
        t_end: f64,
        stats: &mut Stats,
    ) -> Result<Self, Error> {
        let len = y0.len();
        let mut f0 = vec![0.0; len];
        problem.rhs(t0, y0, &mut f0);
        stats.rhs_evals += 1;
        if f0.iter().any(|v| !v.is_finite()) {
            return Err(Error::NonFinite { t: t0, h: 0.0 });
        }
        let h = initial_step(problem, &tol, (t0, t_end), y0, &f0, 2, stats);
        let mut gamma = [0.0; MAX_ORDER + 1];
        for k in 1..=MAX_ORDER {
            gamma[k] = gamma[k - 1] + 1.0 / k as f64;
        }
        let alpha = std::array::from_fn(|k| (1.0 - KAPPA[k]) * gamma[k]);
        let error_const = std::array::from_fn(|k| KAPPA[k] * gamma[k] + 1.0 / (k + 1) as f64);
        let mut d = vec![0.0; (MAX_ORDER + 3) * len];
        d[..len].copy_from_slice(y0);
        for (d1, f) in d[len..2 * len].iter_mut().zip(&f0) {
            *d1 = h * f;
        }
        lu.update_jacobian(problem, t0, y0);
        stats.jacobian_evals += 1;
        let newton_tol = (10.0 * f64::EPSILON / tol.rtol).max(0.03_f64.min(tol.rtol.sqrt()));
        let zeros = || vec![0.0; len];
        Ok(Self {
            tol,
            newton_tol,
            gamma,
            alpha,
            error_const,
            len,
            t: t0,
            h,
            order: 1,
            n_equal_steps: 0,
            d,
            jac_current: true,
            lu,
            lu_c: None,
            y_predict: zeros(),
            psi: zeros(),
            y_new: zeros(),
            correction: zeros(),
            dy: zeros(),
            f: zeros(),
            scale: zeros(),
            work: vec![0.0; (MAX_ORDER + 1) * len],
        })
    }

    pub(crate) fn t(&self) -> f64 {
        self.t
    }

    /// Next step size to try.
    pub(crate) fn h(&self) -> f64 {
        self.h
    }

    /// Row r of the difference array.
    fn row(&self, r: usize) -> &[f64] {
        &self.d[r * self.len..(r + 1) * self.len]
    }

    /// Takes one accepted step towards `t_end`, never past it.
    pub(crate) fn step<P: Problem>(
        &mut self,
        problem: &mut P,
        t_end: f64,
        stats: &mut Stats,
    ) -> Result<(), Error> {
        let t = self.t;
        let min_step = 10.0 * (t.abs().next_up() - t.abs());
        let mut failure = Failure::ErrorTest;
        let mut newton_failures = 0;
        loop {
            if self.h < min_step {
                let h = self.h;
                return Err(match failure {
                    Failure::ErrorTest => Error::StepSizeTooSmall { t, h },
                    Failure::Newton => Error::NewtonFailure {
                        failures: newton_failures,
                        t,
                        h,
                    },
                    Failure::NonFinite => Error::NonFinite { t, h },
                });
            }
            let mut t_new = t + self.h;
            // A step that would stop a few ulps short of t_end ends on it instead: the step
            // left over would be too small to take (Isensee's switch at t = 60 stopped at
            // 59.99999999999999 and failed there).
            if t_new > t_end || t_end - t_new < 10.0 * (t_end.abs().next_up() - t_end.abs()) {
                t_new = t_end;
                self.rescale((t_end - t) / self.h);
            }
            self.predict();
            let c = self.h / self.alpha[self.order];
            let iterations = loop {
                match self.newton(problem, t_new, c, stats) {
                    Newton::Converged { iterations } => break Some(iterations),
                    Newton::Failed(why) if self.jac_current => {
                        failure = why;
                        break None;
                    }
                    Newton::Failed(_) => {
                        self.lu.update_jacobian(problem, t_new, &self.y_predict);
                        stats.jacobian_evals += 1;
                        self.jac_current = true;
                        self.lu_c = None;
                    }
                }
            };
            let Some(iterations) = iterations else {
                stats.rejected_steps += 1;
                newton_failures += 1;
                if newton_failures >= MAX_NEWTON_FAILURES {
                    return Err(Error::NewtonFailure {
                        failures: newton_failures,
                        t,
                        h: self.h,
                    });
                }
                self.rescale(0.5);
                continue;
            };
            let safety =
                0.9 * (2 * NEWTON_MAXITER + 1) as f64 / (2 * NEWTON_MAXITER + iterations) as f64;
            let order = self.order;
            self.tol
                .scale(&self.d[..self.len], &self.y_new, &mut self.scale);
            let error_norm = self
                .tol
                .norm(self.error_const[order], &self.correction, &self.scale);
            if error_norm > 1.0 {
                stats.rejected_steps += 1;
                failure = Failure::ErrorTest;
                self.rescale(MIN_FACTOR.max(safety * error_norm.powf(-1.0 / (order + 1) as f64)));
                continue;
            }
            stats.steps += 1;
            self.accept(t_new);
            if self.n_equal_steps > order {
                self.change_order(error_norm, safety);
            }
            return Ok(());
        }
    }

    /// y_predict = Σ_{j≤k} D^j y, ψ = Σ_{1≤j≤k} γ_j D^j y / α_k, and the
    /// Newton weights from the prediction.
    fn predict(&mut self) {
        let len = self.len;
        let order = self.order;
        self.y_predict.copy_from_slice(&self.d[..len]);
        self.psi.fill(0.0);
        for j in 1..=order {
            let row = &self.d[j * len..(j + 1) * len];
            let g = self.gamma[j] / self.alpha[order];
            for ((yp, psi), dj) in self.y_predict.iter_mut().zip(self.psi.iter_mut()).zip(row) {
                *yp += dj;
                *psi += g * dj;
            }
        }
        self.tol
            .scale(&self.y_predict, &self.y_predict, &mut self.scale);
    }

    /// Simplified Newton iteration for y_new = y_predict + d with
    /// c·f(t_new, y_new) − ψ − d = 0, starting from d = 0
    /// (Shampine & Reichelt 1997, §2.3; convergence-rate test of Hairer &
    /// Wanner 1996, IV.8, eq. 8.11).
    fn newton<P: Problem>(
        &mut self,
        problem: &mut P,
        t_new: f64,
        c: f64,
        stats: &mut Stats,
    ) -> Newton {
        if self.lu_c != Some(c) {
            stats.lu_decompositions += 1;
            if self.lu.setup(c).is_err() {
                self.lu_c = None;
                return Newton::Failed(Failure::Newton);
            }
            self.lu_c = Some(c);
        }
        let n = problem.dim();
        self.y_new.copy_from_slice(&self.y_predict);
        self.correction.fill(0.0);
        let mut dy_norm_old: Option<f64> = None;
        for k in 0..NEWTON_MAXITER {
            problem.rhs(t_new, &self.y_new, &mut self.f);
            stats.rhs_evals += 1;
            for (((dy, f), psi), d) in self
                .dy
                .iter_mut()
                .zip(&self.f)
                .zip(&self.psi)
                .zip(&self.correction)
            {
                *dy = c * f - psi - d;
            }
            let linear_tol = LINEAR_TOLERANCE_FRACTION * self.newton_tol;
            for (block, scale) in self.dy.chunks_exact_mut(n).zip(self.scale.chunks_exact(n)) {
                stats.linear_iterations += self.lu.solve(block, scale, linear_tol);
            }
            let dy_norm = self.tol.norm(1.0, &self.dy, &self.scale);
            if !dy_norm.is_finite() {
                return Newton::Failed(Failure::NonFinite);
            }
            // The contraction rate is measured on the state block: the
            // sensitivity blocks are driven by the state's corrections
            // through the coupling the block-diagonal matrix leaves out, so
            // they lag one iteration behind and then contract at its rate.
            let state_norm = if self.dy.len() == n {
                dy_norm
            } else {
                self.tol.norm(1.0, &self.dy[..n], &self.scale[..n])
            };
            let rate = dy_norm_old.map(|old| state_norm / old);
            if let Some(rate) = rate
                && (rate >= 1.0
                    || rate.powi((NEWTON_MAXITER - k) as i32) / (1.0 - rate) * dy_norm
                        > self.newton_tol)
            {
                return Newton::Failed(Failure::Newton);
            }
            for ((y, d), dy) in self
                .y_new
                .iter_mut()
                .zip(self.correction.iter_mut())
                .zip(&self.dy)
            {
                *y += dy;
                *d += dy;
            }
            if dy_norm == 0.0
                || rate.is_some_and(|rate| rate / (1.0 - rate) * dy_norm < self.newton_tol)
            {
                return Newton::Converged { iterations: k + 1 };
            }
            dy_norm_old = Some(state_norm);
        }
        Newton::Failed(Failure::Newton)
    }

    /// Updates the differences with the accepted correction d:
    /// D^{k+2} = d − D^{k+1}, D^{k+1} = d, D^j += D^{j+1} for j = k…0.
    fn accept(&mut self, t_new: f64) {
        let len = self.len;
        let order = self.order;
        let (head, tail) = self.d.split_at_mut((order + 2) * len);
        let (dk1, dk2) = (&head[(order + 1) * len..], &mut tail[..len]);
        for ((x, d), prev) in dk2.iter_mut().zip(&self.correction).zip(dk1) {
            *x = d - prev;
        }
        head[(order + 1) * len..].copy_from_slice(&self.correction);
        for j in (0..=order).rev() {
            let (lo, hi) = self.d.split_at_mut((j + 1) * len);
            for (a, b) in lo[j * len..].iter_mut().zip(&hi[..len]) {
                *a += b;
            }
        }
        self.t = t_new;
        self.n_equal_steps += 1;
        self.jac_current = false;
    }

    /// Picks the order among k−1, k, k+1 that allows the largest next step
    /// (Shampine & Reichelt 1997, §2.2) and rescales to that step.
    fn change_order(&mut self, error_norm: f64, safety: f64) {
        let order = self.order;
        let error_m = if order > 1 {
            self.tol
                .norm(self.error_const[order - 1], self.row(order), &self.scale)
        } else {
            f64::INFINITY
        };
        let error_p = if order < MAX_ORDER {
            self.tol.norm(
                self.error_const[order + 1],
                self.row(order + 2),
                &self.scale,
            )
        } else {
            f64::INFINITY
        };
        let factors = [
            error_m.powf(-1.0 / order as f64),
            error_norm.powf(-1.0 / (order + 1) as f64),
            error_p.powf(-1.0 / (order + 2) as f64),
        ];
        let (best, factor) =
            factors.iter().enumerate().fold(
                (1, factors[1]),
                |acc, (i, &f)| if f > acc.1 { (i, f) } else { acc },
            );
        self.order = order + best - 1;
        self.rescale(MAX_FACTOR.min(safety * factor));
    }

    /// Multiplies the step by `factor`, re-expressing D⁰…D^k on the new
    /// spacing: D ← (R·U)ᵀ D (Shampine & Reichelt 1997, eq. 2.4).
    fn rescale(&mut self, factor: f64) {
        let order = self.order;
        let len = self.len;
        let r = difference_map(order, factor);
        let u = difference_map(order, 1.0);
        let mut ru = [[0.0; MAX_ORDER + 1]; MAX_ORDER + 1];
        for i in 0..=order {
            for j in 0..=order {
                ru[i][j] = (0..=order).map(|l| r[i][l] * u[l][j]).sum();
            }
        }
        self.work[..(order + 1) * len].fill(0.0);
        for (j, out) in self.work.chunks_exact_mut(len).take(order + 1).enumerate() {
            for (i, di) in self.d.chunks_exact(len).take(order + 1).enumerate() {
                let w = ru[i][j];
                for (o, x) in out.iter_mut().zip(di) {
                    *o += w * x;
                }
            }
        }
        self.d[..(order + 1) * len].copy_from_slice(&self.work[..(order + 1) * len]);
        self.h *= factor;
        self.n_equal_steps = 0;
    }

    /// The interpolating polynomial of the differences at t in the last step:
    /// y(t) = D⁰ + Σ_{m<k} Π_{l≤m} (t − t_n + l·h) / ((l+1)·h) · D^{m+1}.
    pub(crate) fn interpolate(&self, t: f64, out: &mut [f64]) {
        out.copy_from_slice(self.row(0));
        if t == self.t {
            return;
        }
        let mut p = 1.0;
        for m in 0..self.order {
            p *= (t - (self.t - self.h * m as f64)) / (self.h * (m + 1) as f64);
            for (o, d) in out.iter_mut().zip(self.row(m + 1)) {
                *o += p * d;
            }
        }
    }
}

/// R(ρ)_{ij} = Π_{l=1..i} (l − 1 − ρ·j)/l for i ≥ 1, R_{0j} = 1
/// (Shampine & Reichelt 1997, eq. 2.4), for orders up to `order`.
fn difference_map(order: usize, factor: f64) -> [[f64; MAX_ORDER + 1]; MAX_ORDER + 1] {
    let mut r = [[0.0; MAX_ORDER + 1]; MAX_ORDER + 1];
    r[0][..=order].fill(1.0);
    for i in 1..=order {
        let (done, rest) = r.split_at_mut(i);
        for (j, (x, prev)) in rest[0]
            .iter_mut()
            .zip(&done[i - 1])
            .enumerate()
            .take(order + 1)
            .skip(1)
        {
            *x = prev * ((i - 1) as f64 - factor * j as f64) / i as f64;
        }
    }
    r
}
