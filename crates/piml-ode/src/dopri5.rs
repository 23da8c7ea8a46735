//! Dormand–Prince 5(4) (Dormand & Prince 1980) with the 4th-order continuous
//! extension of Dormand & Prince (1986) for dense output, the PI step-size
//! control of Gustafsson (1991) as in Hairer & Wanner's DOPRI5, and Hairer's
//! stiffness detection (Hairer & Wanner 1996, IV.2, eq. 2.13; Shampine 1977).
//!
//! Coefficients are those of Hairer, Nørsett & Wanner (1993), Table II.5.2,
//! and of dopri5.f (dense output `d1…d7`).

use crate::error::Error;
use crate::initial_step::initial_step;
use crate::problem::Problem;
use crate::solution::Stats;
use crate::tolerance::Tolerance;

/// Nodes c2…c7.
const C: [f64; 6] = [1.0 / 5.0, 3.0 / 10.0, 4.0 / 5.0, 8.0 / 9.0, 1.0, 1.0];
/// Rows 2…7 of the Butcher matrix (row 7 is the 5th-order solution).
const A: [&[f64]; 6] = [
    &[1.0 / 5.0],
    &[3.0 / 40.0, 9.0 / 40.0],
    &[44.0 / 45.0, -56.0 / 15.0, 32.0 / 9.0],
    &[
        19372.0 / 6561.0,
        -25360.0 / 2187.0,
        64448.0 / 6561.0,
        -212.0 / 729.0,
    ],
    &[
        9017.0 / 3168.0,
        -355.0 / 33.0,
        46732.0 / 5247.0,
        49.0 / 176.0,
        -5103.0 / 18656.0,
    ],
    &[
        35.0 / 384.0,
        0.0,
        500.0 / 1113.0,
        125.0 / 192.0,
        -2187.0 / 6784.0,
        11.0 / 84.0,
    ],
];
/// Difference of the 5th- and 4th-order weights (error estimate).
const E: [f64; 7] = [
    71.0 / 57600.0,
    0.0,
    -71.0 / 16695.0,
    71.0 / 1920.0,
    -17253.0 / 339200.0,
    22.0 / 525.0,
    -1.0 / 40.0,
];
/// Dense-output weights of the 4th-order continuous extension.
const D: [f64; 7] = [
    -12715105075.0 / 11282082432.0,
    0.0,
    87487479700.0 / 32700410799.0,
    -10690763975.0 / 1880347072.0,
    701980252875.0 / 199316789632.0,
    -1453857185.0 / 822651844.0,
    69997945.0 / 29380423.0,
];

/// PI controller: exponents β = 0.04 and 1/5 − 0.75β, safety 0.9, step
/// ratio within [1/5, 10] (dopri5.f defaults).
const BETA: f64 = 0.04;
const EXPO1: f64 = 0.2 - BETA * 0.75;
const SAFETY: f64 = 0.9;
const MAX_SHRINK: f64 = 5.0;
const MAX_GROWTH: f64 = 10.0;

/// DOPRI5's stability region meets the negative real axis near h·λ = −3.3;
/// dopri5.f calls a step stiff when the estimate of h·|λ| exceeds 3.25.
const STABILITY_BOUNDARY: f64 = 3.25;
/// The estimate is a Rayleigh quotient along y7 − y6 and falls short of the
/// dominant |λ| when that direction mixes stiff and smooth components: on
/// HIRES at rtol 1e-10 the steps sit at the stability limit while the
/// estimate reads 2.7 and drifts down. A step therefore counts as stiff
/// above 60% of the boundary; accuracy-limited steps of non-stiff problems
/// stay well below it (Lotka–Volterra: under 0.6 at rtol 1e-6, isolated
/// steps above 1.95 at rtol 1e-3, never 15 in a row).
const STIFF_THRESHOLD: f64 = 0.6 * STABILITY_BOUNDARY;
/// This many stiff steps, without `NONSTIFF_RESET` non-stiff ones in
/// between, mean the problem is stiff (dopri5.f).
const STIFF_STEPS: usize = 15;
const NONSTIFF_RESET: usize = 6;

/// The explicit integrator's state between steps.
#[derive(Debug)]
pub(crate) struct Dopri5 {
    tol: Tolerance,
    t: f64,
    t_old: f64,
    y: Vec<f64>,
    /// Next step size to try.
    h: f64,
    /// Stage derivatives k1…k7; k1 = f(t, y) (first same as last).
    k: [Vec<f64>; 7],
    stage: Vec<f64>,
    /// The argument of stage 6, kept for the stiffness estimate.
    stage6: Vec<f64>,
    y_new: Vec<f64>,
    err: Vec<f64>,
    scale: Vec<f64>,
    /// Coefficients of the continuous extension on [t_old, t].
    dense: [Vec<f64>; 5],
    facold: f64,
    last_rejected: bool,
    stiff_steps: usize,
    nonstiff_steps: usize,
}

impl Dopri5 {
    pub(crate) fn new<P: Problem>(
        problem: &mut P,
        tol: Tolerance,
        t0: f64,
        y0: &[f64],
        t_end: f64,
        stats: &mut Stats,
    ) -> Result<Self, Error> {
        let len = y0.len();
        let zeros = || vec![0.0; len];
        let mut k1 = zeros();
        problem.rhs(t0, y0, &mut k1);
        stats.rhs_evals += 1;
        if k1.iter().any(|v| !v.is_finite()) {
            return Err(Error::NonFinite { t: t0, h: 0.0 });
        }
        let h = initial_step(problem, &tol, (t0, t_end), y0, &k1, 5, stats);
        Ok(Self {
            tol,
            t: t0,
            t_old: t0,
            y: y0.to_vec(),
            h,
            k: [k1, zeros(), zeros(), zeros(), zeros(), zeros(), zeros()],
            stage: zeros(),
            stage6: zeros(),
            y_new: zeros(),
            err: zeros(),
            scale: zeros(),
            dense: [zeros(), zeros(), zeros(), zeros(), zeros()],
            facold: 1e-4,
            last_rejected: false,
            stiff_steps: 0,
            nonstiff_steps: 0,
        })
    }

    pub(crate) fn t(&self) -> f64 {
        self.t
    }

    pub(crate) fn y(&self) -> &[f64] {
        &self.y
    }

    /// Next step size to try.
    pub(crate) fn h(&self) -> f64 {
        self.h
    }

    /// Whether the stiffness detector has fired.
    pub(crate) fn is_stiff(&self) -> bool {
        self.stiff_steps >= STIFF_STEPS
    }

    /// Takes one accepted step towards `t_end`, never past it.
    pub(crate) fn step<P: Problem>(
        &mut self,
        problem: &mut P,
        t_end: f64,
        stats: &mut Stats,
    ) -> Result<(), Error> {
        let mut nonfinite = false;
        loop {
            let t = self.t;
            if self.h < 10.0 * (t.abs().next_up() - t.abs()) {
                return Err(if nonfinite {
                    Error::NonFinite { t, h: self.h }
                } else {
                    Error::StepSizeTooSmall { t, h: self.h }
                });
            }
            // Stretch the step to the end rather than leave a sliver.
            let last = t + 1.01 * self.h >= t_end;
            let h = if last { t_end - t } else { self.h };
            self.stages(problem, t, h);
            stats.rhs_evals += 6;
            let k = &self.k;
            for (i, e) in self.err.iter_mut().enumerate() {
                *e = E[0] * k[0][i]
                    + E[2] * k[2][i]
                    + E[3] * k[3][i]
                    + E[4] * k[4][i]
                    + E[5] * k[5][i]
                    + E[6] * k[6][i];
            }
            self.tol.scale(&self.y, &self.y_new, &mut self.scale);
            let err = self.tol.norm(h, &self.err, &self.scale);
            if !err.is_finite() {
                nonfinite = true;
                stats.rejected_steps += 1;
                self.last_rejected = true;
                self.h = h / MAX_SHRINK;
                continue;
            }
            let fac11 = err.powf(EXPO1);
            if err > 1.0 {
                nonfinite = false;
                stats.rejected_steps += 1;
                self.last_rejected = true;
                self.h = h / MAX_SHRINK.min(fac11 / SAFETY);
                continue;
            }
            let fac = (fac11 / self.facold.powf(BETA) / SAFETY).clamp(1.0 / MAX_GROWTH, MAX_SHRINK);
            let mut h_new = h / fac;
            if self.last_rejected {
                h_new = h_new.min(h);
            }
            self.facold = err.max(1e-4);
            self.last_rejected = false;
            self.detect_stiffness(h);
            self.fill_dense(h);
            std::mem::swap(&mut self.y, &mut self.y_new);
            self.k.swap(0, 6);
            self.t_old = t;
            self.t = if last { t_end } else { t + h };
            self.h = h_new;
            stats.steps += 1;
            return Ok(());
        }
    }

    /// Stages 2…7 of a step of size h from (t, y): fills k2…k7 and y_new.
    fn stages<P: Problem>(&mut self, problem: &mut P, t: f64, h: f64) {
        for (s, row) in A.iter().enumerate() {
            let arg = match s {
                4 => &mut self.stage6,
                5 => &mut self.y_new,
                _ => &mut self.stage,
            };
            arg.copy_from_slice(&self.y);
            for (j, a) in row.iter().enumerate() {
                if *a != 0.0 {
                    let ha = h * a;
                    for (x, kj) in arg.iter_mut().zip(&self.k[j]) {
                        *x += ha * kj;
                    }
                }
            }
            problem.rhs(t + C[s] * h, arg, &mut self.k[s + 1]);
        }
    }

    /// Hairer's estimate h·|λ| ≈ h·‖k7 − k6‖ / ‖y_new − stage6‖ of the
    /// dominant eigenvalue (Hairer & Wanner 1996, IV.2, eq. 2.13), compared
    /// with the stability boundary.
    fn detect_stiffness(&mut self, h: f64) {
        let mut num = 0.0;
        let mut den = 0.0;
        for i in 0..self.y.len() {
            num += (self.k[6][i] - self.k[5][i]).powi(2);
            den += (self.y_new[i] - self.stage6[i]).powi(2);
        }
        if den > 0.0 && h * (num / den).sqrt() > STIFF_THRESHOLD {
            self.nonstiff_steps = 0;
            self.stiff_steps += 1;
        } else {
            self.nonstiff_steps += 1;
            if self.nonstiff_steps == NONSTIFF_RESET {
                self.stiff_steps = 0;
            }
        }
    }

    /// Coefficients of the continuous extension over the step just accepted.
    fn fill_dense(&mut self, h: f64) {
        let k = &self.k;
        let [r1, r2, r3, r4, r5] = &mut self.dense;
        for i in 0..self.y.len() {
            let dy = self.y_new[i] - self.y[i];
            let bspl = h * k[0][i] - dy;
            r1[i] = self.y[i];
            r2[i] = dy;
            r3[i] = bspl;
            r4[i] = dy - h * k[6][i] - bspl;
            r5[i] = h
                * (D[0] * k[0][i]
                    + D[2] * k[2][i]
                    + D[3] * k[3][i]
                    + D[4] * k[4][i]
                    + D[5] * k[5][i]
                    + D[6] * k[6][i]);
        }
    }

    /// The continuous extension at t in [t_old, t] of the last step.
    pub(crate) fn interpolate(&self, t: f64, out: &mut [f64]) {
        if t == self.t {
            out.copy_from_slice(&self.y);
            return;
        }
        let theta = (t - self.t_old) / (self.t - self.t_old);
        let theta1 = 1.0 - theta;
        let [r1, r2, r3, r4, r5] = &self.dense;
        for (i, o) in out.iter_mut().enumerate() {
            *o = r1[i] + theta * (r2[i] + theta1 * (r3[i] + theta * (r4[i] + theta1 * r5[i])));
        }
    }
}
