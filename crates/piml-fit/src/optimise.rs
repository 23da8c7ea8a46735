//! One optimiser run from one start: Levenberg–Marquardt on Fisher scoring
//! (Gauss–Newton for least-squares likelihoods) or L-BFGS through argmin,
//! both in the unconstrained coordinates of `transform.rs`.

use nalgebra::{DMatrix, DVector};
use piml_optim::{Lbfgs, Transform};

use crate::problem::{Estimated, Evaluation, Problem};

/// Which optimiser.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Method {
    /// Levenberg–Marquardt damping of Fisher-scoring steps (More 1978;
    /// for Gaussian noise with known sigma the Fisher information is JᵀWJ
    /// and this is the classical Levenberg–Marquardt on weighted residuals).
    LevenbergMarquardt,
    /// L-BFGS (Liu & Nocedal 1989) with the Moré–Thuente line search.
    Lbfgs,
}

impl Method {
    pub fn name(self) -> &'static str {
        match self {
            Method::LevenbergMarquardt => "levenberg-marquardt",
            Method::Lbfgs => "lbfgs",
        }
    }
}

/// Settings of each start.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Settings {
    pub method: Method,
    pub max_iterations: u64,
    /// Stop when the predicted decrease of −log L falls below this.
    pub tolerance: f64,
}

impl Default for Settings {
    /// Levenberg–Marquardt, 500 iterations, predicted decrease below 1e-12:
    /// a change of 1e-12 in log L moves the estimates by ~1e-6 standard errors.
    fn default() -> Settings {
        Settings {
            method: Method::LevenbergMarquardt,
            max_iterations: 500,
            tolerance: 1e-12,
        }
    }
}

/// Where one start ended.
#[derive(Debug, Clone, PartialEq)]
pub struct Outcome {
    /// Estimated parameters in natural units (NaN when the start failed).
    pub theta: Vec<f64>,
    /// −log L there (NaN when the start failed).
    pub nll: f64,
    pub converged: bool,
    pub iterations: u64,
    /// Solves of the model with sensitivities.
    pub evaluations: usize,
    /// Why it stopped.
    pub message: String,
}

/// Longest Levenberg–Marquardt step in any box coordinate: a factor e⁴ ≈ 55
/// for a log-scale parameter. (On the MM benchmark with bounds [0.01, 100],
/// 50 of 50 starts reached the optimum with it, 35 without any limit.)
const MAX_STEP: f64 = 4.0;

/// The coordinates an optimiser works in: logistic (unconstrained) or box.
struct Coordinates {
    transforms: Vec<Transform>,
    boxed: bool,
}

impl Coordinates {
    fn natural(&self, z: &[f64]) -> (Vec<f64>, Vec<f64>) {
        self.transforms
            .iter()
            .zip(z)
            .map(|(t, z)| {
                if self.boxed {
                    t.box_natural(*z)
                } else {
                    t.natural(*z)
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
pub fn minimise(problem: &Problem, theta0: &[f64], settings: &Settings) -> Outcome {
    let coords = Coordinates {
        transforms: problem
            .estimated()
            .iter()
            .map(Estimated::transform)
            .collect(),
        boxed: settings.method == Method::LevenbergMarquardt,
    };
    let z0 = coords.coordinates(theta0);
    match settings.method {
        Method::LevenbergMarquardt => levenberg_marquardt(problem, &coords, z0, settings),
        Method::Lbfgs => lbfgs(problem, &coords, z0, settings),
    }
}

/// An evaluation, θ, and the gradient and Fisher information in z.
type AtZ = (Evaluation, Vec<f64>, DVector<f64>, DMatrix<f64>);

/// The evaluation at z, with the gradient and the parameters' block of the
/// Fisher information carried to the z coordinates.
fn evaluate_z(problem: &Problem, coords: &Coordinates, z: &[f64]) -> Result<AtZ, String> {
    let (theta, d) = coords.natural(z);
    let eval = problem.evaluate(&theta).map_err(|e| {
        let mut msg = e.to_string();
        let mut source = std::error::Error::source(&e);
        while let Some(s) = source {
            msg = format!("{msg}: {s}");
            source = s.source();
        }
        msg
    })?;
    let n = d.len();
    let g = DVector::from_fn(n, |i, _| eval.gradient[i] * d[i]);
    let f = DMatrix::from_fn(n, n, |i, j| eval.fisher[(i, j)] * d[i] * d[j]);
    Ok((eval, theta, g, f))
}

fn levenberg_marquardt(
    problem: &Problem,
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
    let mut lambda = 1e-3;
    for iteration in 1..=settings.max_iterations {
        // Active bounds: a coordinate on its bound with the gradient pushing
        // outwards stays there this iteration (projected Newton, Bertsekas 1982).
        let free: Vec<bool> = (0..n)
            .map(|i| {
                !((z[i] <= limits[i][0] && g[i] > 0.0) || (z[i] >= limits[i][1] && g[i] < 0.0))
            })
            .collect();
        let step = loop {
            // (F + λ·diag F + εI)·δ = −g on the free coordinates, ε keeping a
            // singular F solvable.
            let scale = f.diagonal().max().max(f64::MIN_POSITIVE);
            let mut a = f.clone();
            let mut rhs = -&g;
            for i in 0..n {
                a[(i, i)] += lambda * f[(i, i)] + 1e-14 * scale;
                if !free[i] {
                    for j in 0..n {
                        a[(i, j)] = 0.0;
                        a[(j, i)] = 0.0;
                    }
                    a[(i, i)] = 1.0;
                    rhs[i] = 0.0;
                }
            }
            match a.cholesky() {
                Some(c) => break c.solve(&rhs),
                None => lambda *= 10.0,
            }
        };
        let predicted = -g.dot(&step);
        if predicted < settings.tolerance {
            return Outcome {
                theta,
                nll: eval.nll,
                converged: true,
                iterations: iteration - 1,
                evaluations,
                message: "predicted decrease below tolerance".into(),
            };
        }
        // A trust region: a long step would leap across the valley onto a
        // plateau of the likelihood (all substrate gone before the first
        // measurement, say) where no gradient leads back. Then the projection
        // onto the bounds.
        let longest = step.amax();
        let shrink = if longest > MAX_STEP {
            MAX_STEP / longest
        } else {
            1.0
        };
        let trial: Vec<f64> = (0..n)
            .map(|i| (z[i] + shrink * step[i]).clamp(limits[i][0], limits[i][1]))
            .collect();
        // Projection can turn a step uphill: damp more, towards the gradient.
        if (0..n).map(|i| g[i] * (trial[i] - z[i])).sum::<f64>() >= 0.0 {
            lambda *= 10.0;
            if lambda > 1e16 {
                return Outcome {
                    theta,
                    nll: eval.nll,
                    converged: false,
                    iterations: iteration,
                    evaluations,
                    message: format!(
                        "no downhill step within the bounds (predicted decrease {predicted:.3e})"
                    ),
                };
            }
            continue;
        }
        evaluations += 1;
        match evaluate_z(problem, coords, &trial) {
            Ok(next) if next.0.nll < eval.nll => {
                (eval, theta, g, f) = next;
                z = trial;
                lambda = (lambda / 10.0).max(1e-12);
            }
            // A failed solve or a worse point: shorter, more gradient-like steps.
            _ => lambda *= 10.0,
        }
        if lambda > 1e16 {
            return Outcome {
                theta,
                nll: eval.nll,
                converged: false,
                iterations: iteration,
                evaluations,
                message: format!("no downhill step found (predicted decrease {predicted:.3e})"),
            };
        }
    }
    Outcome {
        theta,
        nll: eval.nll,
        converged: false,
        iterations: settings.max_iterations,
        evaluations,
        message: "iteration limit reached".into(),
    }
}

fn lbfgs(problem: &Problem, coords: &Coordinates, z0: Vec<f64>, settings: &Settings) -> Outcome {
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
            Outcome {
                theta,
                nll: r.cost,
                converged: r.converged,
                iterations: r.iterations,
                evaluations: r.evaluations + 1,
                message: r.termination,
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
