//! One optimiser run from one start: Levenberg–Marquardt on Fisher scoring
//! (Gauss–Newton for least-squares likelihoods), a trust-region method projected on the
//! bounds in box coordinates (ln θ or θ), or L-BFGS through argmin in the logistic
//! coordinates of piml-optim's `Transform`. Both are judged converged by the same test:
//! the projected gradient in units of standard errors.

use nalgebra::{DMatrix, DVector};
use piml_optim::{Lbfgs, Transform};

use crate::problem::{Bound, Estimated, Problem, bound_at};

/// What the optimisers need of a likelihood: the estimated parameters' coordinates and
/// bounds, and −log L with its gradient and Fisher information. [`Problem`] is one; a PEtab
/// problem is another.
pub trait Objective {
    /// Each estimated parameter's transform (log or linear scale, bounds) and bounds.
    fn estimates(&self) -> Vec<(Transform, Option<[f64; 2]>)>;
    /// −log L, its gradient and the Fisher information (the estimated parameters first) at θ,
    /// or why the model could not be evaluated there.
    fn score(&self, theta: &[f64]) -> Result<Scored, String>;
}

/// −log L with its derivatives at one θ.
#[derive(Debug, Clone)]
pub struct Scored {
    pub nll: f64,
    pub gradient: Vec<f64>,
    /// Its leading block belongs to the estimated parameters.
    pub fisher: DMatrix<f64>,
}

impl Objective for Problem {
    fn estimates(&self) -> Vec<(Transform, Option<[f64; 2]>)> {
        self.estimated()
            .iter()
            .map(|e| (Estimated::transform(e), e.bounds))
            .collect()
    }

    fn score(&self, theta: &[f64]) -> Result<Scored, String> {
        let eval = self.evaluate(theta).map_err(|e| {
            let mut msg = e.to_string();
            let mut source = std::error::Error::source(&e);
            while let Some(s) = source {
                msg = format!("{msg}: {s}");
                source = s.source();
            }
            msg
        })?;
        Ok(Scored {
            nll: eval.nll,
            gradient: eval.gradient,
            fisher: eval.fisher,
        })
    }
}

/// The bound each estimate of `theta` is on, if any (see [`Estimated::at_bound`]).
fn at_bounds(coords: &Coordinates, theta: &[f64]) -> Vec<Option<Bound>> {
    coords
        .transforms
        .iter()
        .zip(theta)
        .map(|(t, v)| bound_at(*t, *v))
        .collect()
}

/// Which optimiser.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Method {
    /// Levenberg–Marquardt damping of Fisher-scoring steps as a trust-region method
    /// (Moré 1978), projected on the bounds; for Gaussian noise with known sigma the Fisher
    /// information is JᵀWJ and this is the classical Levenberg–Marquardt on weighted residuals.
    LevenbergMarquardt,
    /// L-BFGS (Liu & Nocedal 1989) with the Moré–Thuente line search.
    Lbfgs,
}

impl Method {
    pub const ALL: [Method; 2] = [Method::LevenbergMarquardt, Method::Lbfgs];

    pub fn name(self) -> &'static str {
        match self {
            Method::LevenbergMarquardt => "levenberg-marquardt",
            Method::Lbfgs => "lbfgs",
        }
    }

    /// The method of that [`Method::name`].
    pub fn from_name(name: &str) -> Option<Method> {
        Method::ALL.into_iter().find(|m| m.name() == name)
    }
}

/// Settings of each start.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Settings {
    pub method: Method,
    pub max_iterations: u64,
    /// Levenberg–Marquardt iterates until ½·g² ≤ `tolerance`, g the [`projected_gradient`]:
    /// until a Fisher-scoring step along any one parameter would lower −log L by less than this.
    /// L-BFGS stops at argmin's equivalent tests (`tol_cost` and, scaled, `tol_grad`).
    pub tolerance: f64,
}

impl Default for Settings {
    /// Levenberg–Marquardt, 500 iterations, tolerance 1e-12 (a projected gradient of 1.4e-6
    /// standard errors): the estimates then lie within ~1e-6 standard errors of the optimum.
    fn default() -> Settings {
        Settings {
            method: Method::LevenbergMarquardt,
            max_iterations: 500,
            tolerance: 1e-12,
        }
    }
}

impl Settings {
    /// The [`projected_gradient`] Levenberg–Marquardt iterates towards: √(2·tolerance).
    pub fn gradient_tolerance(&self) -> f64 {
        (2.0 * self.tolerance).sqrt()
    }

    /// The largest [`projected_gradient`] of a converged start: [`CONVERGED_WITHIN`] standard
    /// errors, or the gradient tolerance if that is looser.
    pub fn converged_within(&self) -> f64 {
        CONVERGED_WITHIN.max(self.gradient_tolerance())
    }
}

/// A start has converged when its [`projected_gradient`] is at most this many standard errors:
/// it is then within a thousandth of a standard error of a stationary point (or of the bound
/// that holds it), and −log L within ½·(1e-3)² = 5e-7 of the value there — inside the 1e-6 by
/// which starts count as having reached the best one ([`crate::REACHED_TOLERANCE`]). The target
/// the optimiser iterates towards is far tighter ([`Settings::tolerance`]), but an integrator
/// at rtol 1e-8 leaves a floor of ~2e-6 standard errors in the gradient of a time-course fit
/// (measured on the MM benchmark), which no optimiser can go below.
pub const CONVERGED_WITHIN: f64 = 1e-3;

/// The stationarity measure of an estimate: the largest gradient of −log L in units of
/// standard errors, |∂(−log L)/∂θᵢ|/√Fᵢᵢ (the same in any coordinates of θᵢ: the length of a
/// Fisher-scoring step along θᵢ in its standard errors), over the parameters a bound does not
/// hold. A parameter on or within [`crate::AT_BOUND`] of a bound (`sides[i]`) with the gradient
/// pushing outwards counts zero: the projected gradient (Bertsekas 1982). A free parameter
/// without Fisher information (Fᵢᵢ = 0: the data do not see it there) makes it infinite, as
/// nothing says that point is an optimum.
pub fn projected_gradient(gradient: &[f64], fisher: &DMatrix<f64>, sides: &[Option<Bound>]) -> f64 {
    gradient
        .iter()
        .zip(sides)
        .enumerate()
        .map(|(i, (g, side))| {
            let information = fisher[(i, i)];
            if side.is_some_and(|b| b.holds(*g)) {
                0.0
            } else if information > 0.0 {
                g.abs() / information.sqrt()
            } else {
                f64::INFINITY
            }
        })
        .fold(0.0, f64::max)
}

/// Where one start ended.
#[derive(Debug, Clone, PartialEq)]
pub struct Outcome {
    /// Estimated parameters in natural units (NaN when the start failed).
    pub theta: Vec<f64>,
    /// −log L there (NaN when the start failed).
    pub nll: f64,
    /// The [`projected_gradient`] at `theta` is within [`Settings::converged_within`].
    pub converged: bool,
    pub iterations: u64,
    /// Solves of the model with sensitivities.
    pub evaluations: usize,
    /// Why it stopped.
    pub message: String,
}

/// The largest trust region of Levenberg–Marquardt, in relative units (ln θ for log-scale
/// parameters): a factor e⁴ ≈ 55. A long step leaps across the valley onto a plateau of the
/// likelihood (all substrate gone before the first measurement; a rise over before the first
/// time point) where no gradient leads back. (On the MM benchmark with bounds [0.01, 100], a
/// step limit of 4 took 50 of 50 starts to the optimum, no limit 35; this trust region 49.)
const MAX_RADIUS: f64 = 4.0;

/// The first trust region: a factor e² ≈ 7 in one parameter. (Measured: of 40 starts of the
/// Lotka–Volterra fit of the acceptance tests within a factor 2 of the truth and the 50 of the
/// MM benchmark, 22 and 49 reached the optimum from a first radius of 2, 21 and 47 from 1, 23
/// and 49 from 4; only from 2 did the acceptance test's own start, rates ×1.3 and initial values
/// ×0.8, reach it rather than a local optimum. Every start of tests/optima.rs reaches its
/// optimum from 1, 2 or 4.)
const FIRST_RADIUS: f64 = 2.0;

/// A trust region shrunk below this (relative changes of 1e-10) ends the run: no step of the
/// size the numbers can still resolve lowers −log L.
const MIN_RADIUS: f64 = 1e-10;

/// A predicted decrease below this fraction of |−log L| (about 500 rounding errors) ends the
/// run: no step could show a decrease any more.
const RESOLVED: f64 = 1e-13;

/// A step is taken when −log L falls by more than this fraction of the predicted decrease
/// (Moré 1978, §4); the trust region shrinks below `SHRINK_BELOW` and grows above `GROW_ABOVE`.
const ACCEPT_ABOVE: f64 = 1e-4;
const SHRINK_BELOW: f64 = 0.25;
const GROW_ABOVE: f64 = 0.75;

/// The coordinates an optimiser works in: logistic (unconstrained) or box.
struct Coordinates {
    transforms: Vec<Transform>,
    bounds: Vec<Option<[f64; 2]>>,
    boxed: bool,
}

impl Coordinates {
    /// θ and dθ/dz at z; θ at a box limit is the bound itself (exp(ln 100) is 100.00000000000004).
    fn natural(&self, z: &[f64]) -> (Vec<f64>, Vec<f64>) {
        self.transforms
            .iter()
            .zip(&self.bounds)
            .zip(z)
            .map(|((t, bounds), z)| {
                if !self.boxed {
                    return t.natural(*z);
                }
                let (theta, d) = t.box_natural(*z);
                let [low, high] = t.box_limits();
                match bounds {
                    Some([lo, _]) if *z <= low => (*lo, d),
                    Some([_, hi]) if *z >= high => (*hi, d),
                    _ => (theta, d),
                }
            })
            .unzip()
    }

    fn coordinates(&self, theta: &[f64]) -> Vec<f64> {
        self.transforms
            .iter()
            .zip(theta)
            .map(|(t, v)| {
                if self.boxed {
                    t.box_coordinate(*v)
                } else {
                    t.coordinate(*v)
                }
            })
            .collect()
    }
}

fn failed(n: usize, iterations: u64, evaluations: usize, message: String) -> Outcome {
    Outcome {
        theta: vec![f64::NAN; n],
        nll: f64::NAN,
        converged: false,
        iterations,
        evaluations,
        message,
    }
}

/// Minimises −log L from `theta0` (natural units, inside the bounds).
pub fn minimise(problem: &impl Objective, theta0: &[f64], settings: &Settings) -> Outcome {
    let (transforms, bounds) = problem.estimates().into_iter().unzip();
    let coords = Coordinates {
        transforms,
        bounds,
        boxed: settings.method == Method::LevenbergMarquardt,
    };
    let z0 = coords.coordinates(theta0);
    match settings.method {
        Method::LevenbergMarquardt => levenberg_marquardt(problem, &coords, z0, settings),
        Method::Lbfgs => lbfgs(problem, &coords, z0, settings),
    }
}

/// An evaluation, θ, and the gradient and Fisher information in z.
type AtZ = (Scored, Vec<f64>, DVector<f64>, DMatrix<f64>);

/// The evaluation at z, with the gradient and the parameters' block of the
/// Fisher information carried to the z coordinates.
fn evaluate_z(problem: &impl Objective, coords: &Coordinates, z: &[f64]) -> Result<AtZ, String> {
    let (theta, d) = coords.natural(z);
    let eval = problem.score(&theta)?;
    let n = d.len();
    let g = DVector::from_fn(n, |i, _| eval.gradient[i] * d[i]);
    let f = DMatrix::from_fn(n, n, |i, j| eval.fisher[(i, j)] * d[i] * d[j]);
    if eval.nll.is_finite() && !(g.iter().chain(f.iter()).all(|v| v.is_finite())) {
        return Err(format!(
            "the gradient or the Fisher information is not finite at {theta:?}"
        ));
    }
    Ok((eval, theta, g, f))
}

/// The trust-region scale of each box coordinate, so that ‖D·δ‖ measures relative changes:
/// 1 for ln θ; 1/max(|θ₀|, its standard error at the start) for a parameter on a linear
/// scale (1 when neither is known).
fn relative_scale(transform: Transform, theta0: f64, information: f64) -> f64 {
    match transform {
        Transform::LogBounded { .. } | Transform::Log => 1.0,
        Transform::Bounded { .. } | Transform::Free => {
            let typical = theta0.abs().max(1.0 / information.sqrt());
            if typical > 0.0 && typical.is_finite() {
                1.0 / typical
            } else {
                1.0
            }
        }
    }
}

/// The step minimising the Fisher-scoring model gᵀδ + ½δᵀFδ within the trust region
/// ‖D·δ‖₂ ≤ `radius` (Moré 1978, §2–3): δ = −(F + λD²)⁻¹g with λ = 0 when the Gauss–Newton
/// step fits (then also returns true), else the λ > 0 that puts ‖D·δ‖ within 10% below the
/// radius. Solved through the eigendecomposition of D⁻¹FD⁻¹, so that a singular F, or one
/// whose entries span a hundred orders of magnitude (a rate constant on the plateau where the
/// data no longer see it), needs no regularisation: the direction F barely informs gets its
/// full share of the radius instead of none.
fn trust_region_step(
    f: &DMatrix<f64>,
    g: &DVector<f64>,
    d: &[f64],
    radius: f64,
) -> (DVector<f64>, bool) {
    let n = g.len();
    let eig = DMatrix::from_fn(n, n, |i, j| f[(i, j)] / (d[i] * d[j])).symmetric_eigen();
    // F is positive semi-definite: negative eigenvalues are rounding.
    let w: Vec<f64> = eig.eigenvalues.iter().map(|v| v.max(0.0)).collect();
    let a = eig.eigenvectors.transpose() * DVector::from_fn(n, |i, _| g[i] / d[i]);
    let coefficients = |lambda: f64| -> DVector<f64> {
        DVector::from_fn(n, |j, _| {
            if a[j] == 0.0 {
                0.0
            } else {
                -a[j] / (w[j] + lambda)
            }
        })
    };
    let length = |lambda: f64| coefficients(lambda).norm();
    let lambda = if length(0.0) <= radius {
        0.0
    } else {
        // ‖D·δ(λ)‖ falls from above the radius at λ = 0 to at most ‖a‖/λ: bisect between,
        // geometrically, since λ may lie anywhere from the smallest to the largest scale of F.
        // ln λ spans at most 1418 (f64's range): halves down to 1e-12 of it take 51 steps.
        let (mut lo, mut hi) = (f64::MIN_POSITIVE, a.norm() / radius);
        for _ in 0..64 {
            let mid = (0.5 * (lo.ln() + hi.ln())).exp();
            let l = length(mid);
            if l <= radius && l >= 0.9 * radius {
                hi = mid;
                break;
            }
            if l > radius {
                lo = mid;
            } else {
                hi = mid;
            }
        }
        hi
    };
    let scaled = &eig.eigenvectors * coefficients(lambda);
    (DVector::from_fn(n, |i, _| scaled[i] / d[i]), lambda == 0.0)
}

/// The secant correction S after the step `s`, along which the gradient changed by `y`, with
/// `f` the Fisher information at the step's end (Dennis, Gay & Welsch 1981, NL2SOL): S is first
/// scaled down where it overstates the curvature along s, then changed by the symmetric rank-two
/// update that makes (F + S)·s = y. Far from an optimum, where residuals are large, the Fisher
/// information misses the residuals' own curvature and its steps crawl along curved valleys;
/// near a good fit S matters little.
fn update_secant(secant: &mut DMatrix<f64>, s: &DVector<f64>, y: &DVector<f64>, f: &DMatrix<f64>) {
    let ys = y.dot(s);
    if !(ys > 0.0 && ys.is_finite()) {
        return;
    }
    let y_sharp = y - f * s;
    let curvature = s.dot(&(&*secant * s));
    if curvature != 0.0 {
        *secant *= (s.dot(&y_sharp).abs() / curvature.abs()).min(1.0);
    }
    let w = &y_sharp - &*secant * s;
    let change = (&w * y.transpose() + y * w.transpose()) / ys
        - (y * y.transpose()) * (w.dot(s) / (ys * ys));
    if change.iter().all(|v| v.is_finite()) {
        *secant += change;
    }
}

/// Levenberg–Marquardt as a trust-region method (Moré 1978) on Fisher scoring, projected on
/// the bounds in box coordinates: the step solves the damped system on the parameters no bound
/// holds, is projected onto the bounds, and is judged by the ratio ρ of the actual to the
/// predicted decrease of −log L, which also sets the next trust region. It iterates until the
/// [`projected_gradient`] meets the tolerance, or no step can lower −log L any more (the trust
/// region or the predicted decrease shrinks to nothing), or the iteration limit; whichever
/// stops it, the start has converged only if the projected gradient is within
/// [`Settings::converged_within`].
fn levenberg_marquardt(
    problem: &impl Objective,
    coords: &Coordinates,
    mut z: Vec<f64>,
    settings: &Settings,
) -> Outcome {
    let n = z.len();
    let mut evaluations = 1;
    let (mut eval, mut theta, mut g, mut f) = match evaluate_z(problem, coords, &z) {
        Ok(e) => e,
        Err(msg) => return failed(n, 0, evaluations, format!("at the start: {msg}")),
    };
    if !eval.nll.is_finite() {
        return failed(
            n,
            0,
            evaluations,
            "the likelihood is not finite at the start (a prediction of a lognormal or proportional observable is not positive)".into(),
        );
    }
    let limits: Vec<[f64; 2]> = coords.transforms.iter().map(|t| t.box_limits()).collect();
    let scale: Vec<f64> = (0..n)
        .map(|i| relative_scale(coords.transforms[i], theta[i], eval.fisher[(i, i)]))
        .collect();
    let target = settings.gradient_tolerance();
    let mut radius = FIRST_RADIUS;
    let mut iteration = 0;
    // The structured secant correction S to the Fisher information (the curvature of large
    // residuals it leaves out), and whether the last step was better predicted with it.
    let mut secant = DMatrix::<f64>::zeros(n, n);
    let mut augmented = false;
    let why = loop {
        let stationarity = projected_gradient(g.as_slice(), &f, &at_bounds(coords, &theta));
        if stationarity <= target {
            break "stationary".to_string();
        }
        if iteration == settings.max_iterations {
            break "iteration limit reached".to_string();
        }
        iteration += 1;
        // A coordinate on its bound with the gradient pushing outwards stays there this
        // iteration (projected Newton, Bertsekas 1982); the step is solved on the others.
        let free: Vec<usize> = (0..n)
            .filter(|&i| {
                let side = if z[i] <= limits[i][0] {
                    Some(Bound::Lower)
                } else if z[i] >= limits[i][1] {
                    Some(Bound::Upper)
                } else {
                    None
                };
                !side.is_some_and(|b| b.holds(g[i]))
            })
            .collect();
        let m = free.len();
        if m == 0 {
            break "every parameter is held by a bound".to_string();
        }
        let model = if augmented { &f + &secant } else { f.clone() };
        let (step, gauss_newton) = trust_region_step(
            &DMatrix::from_fn(m, m, |i, j| model[(free[i], free[j])]),
            &DVector::from_fn(m, |i, _| g[free[i]]),
            &free.iter().map(|&i| scale[i]).collect::<Vec<_>>(),
            radius,
        );
        let mut trial = z.clone();
        for (k, &i) in free.iter().enumerate() {
            trial[i] = (z[i] + step[k]).clamp(limits[i][0], limits[i][1]);
        }
        let s = DVector::from_fn(n, |i, _| trial[i] - z[i]);
        let length = (0..n)
            .map(|i| (scale[i] * s[i]).powi(2))
            .sum::<f64>()
            .sqrt();
        // The decrease the model predicts for the projected step, with the Fisher information
        // alone and with the secant correction.
        let fisher_predicted = -g.dot(&s) - 0.5 * s.dot(&(&f * &s));
        let augmented_predicted = fisher_predicted - 0.5 * s.dot(&(&secant * &s));
        let predicted = if augmented {
            augmented_predicted
        } else {
            fisher_predicted
        };
        // Even the full Gauss–Newton step promises less than −log L can show: done. (A step cut
        // short by the trust region promises little on a plateau, where a longer one may not.)
        if gauss_newton && predicted > 0.0 && predicted < RESOLVED * eval.nll.abs().max(1.0) {
            break format!("predicted decrease {predicted:.1e} below what −log L resolves");
        }
        let ratio = if predicted > 0.0 {
            evaluations += 1;
            match evaluate_z(problem, coords, &trial) {
                Ok(next) if next.0.nll.is_finite() => {
                    let actual = eval.nll - next.0.nll;
                    let ratio = actual / predicted;
                    // NL2SOL's choice (Dennis, Gay & Welsch 1981): the next step uses the model
                    // that predicted this one better.
                    augmented =
                        (actual - augmented_predicted).abs() < (actual - fisher_predicted).abs();
                    if ratio > ACCEPT_ABOVE {
                        update_secant(&mut secant, &s, &(&next.2 - &g), &next.3);
                        (eval, theta, g, f) = next;
                        z = trial;
                    }
                    ratio
                }
                // A failed solve or an infinite likelihood: a shorter step.
                _ => f64::NEG_INFINITY,
            }
        } else {
            // Projection turned the step uphill: a shorter one turns towards the gradient.
            f64::NEG_INFINITY
        };
        if ratio < SHRINK_BELOW {
            // A step projected to nothing shrinks the region itself.
            radius = SHRINK_BELOW
                * if length > 0.0 {
                    length.min(radius)
                } else {
                    radius
                };
        } else if ratio > GROW_ABOVE {
            radius = (2.0 * length).max(radius).min(MAX_RADIUS);
        }
        if radius.is_nan() || radius < MIN_RADIUS {
            break format!("no downhill step: the trust region shrank below {MIN_RADIUS:.0e}");
        }
    };
    let stationarity = projected_gradient(g.as_slice(), &f, &at_bounds(coords, &theta));
    Outcome {
        theta,
        nll: eval.nll,
        converged: stationarity <= settings.converged_within(),
        iterations: iteration,
        evaluations,
        message: format!(
            "{why}; projected gradient {stationarity:.2e} standard errors (tolerance {target:.1e})"
        ),
    }
}

fn lbfgs(
    problem: &impl Objective,
    coords: &Coordinates,
    z0: Vec<f64>,
    settings: &Settings,
) -> Outcome {
    let n = z0.len();
    // Diagonal preconditioning by the Fisher information at the start: in
    // w = √F_ii·(z − z0) the first step, −∇, is already of the right length
    // (argmin's L-BFGS starts from the identity as inverse Hessian).
    let scale: Vec<f64> = match evaluate_z(problem, coords, &z0) {
        Ok((_, _, _, f)) => (0..n)
            .map(|i| {
                let d = f[(i, i)];
                if d > 0.0 && d.is_finite() {
                    1.0 / d.sqrt()
                } else {
                    1.0
                }
            })
            .collect(),
        Err(msg) => return failed(n, 0, 1, format!("at the start: {msg}")),
    };
    let z_of = |w: &[f64]| -> Vec<f64> { (0..n).map(|i| z0[i] + scale[i] * w[i]).collect() };
    let settings_lbfgs = Lbfgs {
        memory: 10,
        max_iters: settings.max_iterations,
        tol_grad: settings.tolerance.sqrt() * 1e-2,
        tol_cost: settings.tolerance,
    };
    let last_error = std::cell::RefCell::new(None);
    let result = settings_lbfgs.minimize(vec![0.0; n], |w, grad| {
        match evaluate_z(problem, coords, &z_of(w)) {
            Ok((eval, _, g, _)) => {
                for i in 0..n {
                    grad[i] = g[i] * scale[i];
                }
                eval.nll
            }
            Err(msg) => {
                *last_error.borrow_mut() = Some(msg);
                f64::NAN
            }
        }
    });
    match result {
        Ok(r) => {
            let (theta, _) = coords.natural(&z_of(&r.params));
            // argmin stops on its own tests, in its own coordinates: the start has converged
            // when the same projected-gradient test as Levenberg–Marquardt's holds.
            let (converged, message) = match problem.score(&theta) {
                Ok(eval) => {
                    let at = at_bounds(coords, &theta);
                    let stationarity = projected_gradient(&eval.gradient, &eval.fisher, &at);
                    (
                        stationarity <= settings.converged_within(),
                        format!(
                            "{}; projected gradient {stationarity:.2e} standard errors",
                            r.termination
                        ),
                    )
                }
                Err(e) => (false, format!("{}; at the end: {e}", r.termination)),
            };
            Outcome {
                theta,
                nll: r.cost,
                converged,
                iterations: r.iterations,
                evaluations: r.evaluations + 2,
                message,
            }
        }
        Err(e) => {
            let why = last_error.into_inner().unwrap_or_default();
            let msg = if why.is_empty() {
                e.to_string()
            } else {
                format!("{e}: {why}")
            };
            failed(n, 0, 0, msg)
        }
    }
}
