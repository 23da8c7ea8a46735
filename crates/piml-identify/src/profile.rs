//! Profile likelihoods (Raue et al. 2009): each estimated parameter is
//! stepped out from the optimum in both directions while the others are
//! re-optimised, warm-started, until −2 log L has risen by the 95% threshold
//! χ²₁(0.95) = 3.84 or a bound is reached.
//!
//! The objective here is a stand-in until piml-fit's (fit-kinetics) exists:
//! a Gaussian likelihood on each observable's noise scale, −2 log L = Σ r² +
//! const with standardised residuals r (Gaussian: (y − f)/σ; lognormal:
//! (ln y − ln f)/σ), minimised by a bounded Levenberg–Marquardt method whose
//! Jacobian is the forward sensitivities. [`Objective`] is the one seam to
//! replace by piml-fit's objective and optimiser.

use nalgebra::{DMatrix, DVector};
use piml_model::{Model, NoiseKind, Scale};
use piml_ode::OdeSolver;
use rayon::prelude::*;

use crate::error::Error;
use crate::fim::{Data, PointNoise, noise_levels, predict};

/// χ²₁ quantile at 95%: the rise of −2 log L that bounds a 95% profile interval.
pub const THRESHOLD: f64 = 3.841_458_820_694_124;
/// A profile whose rise stays below this on both sides is flat.
const FLAT: f64 = 1e-3;
/// Profile points per side before giving up (the side stays open).
const MAX_STEPS: usize = 60;
/// The rise of −2 log L aimed at between consecutive profile points.
const TARGET_RISE: f64 = 0.4;
/// A larger rise in one step makes the step shorter…
const MAX_RISE: f64 = 1.6;
/// …down to this step in the optimisation scale.
const MIN_STEP: f64 = 1e-4;

/// The likelihood of the data as a function of the estimated parameters in
/// their optimisation scales (log for positive bounds).
#[derive(Debug)]
pub struct Objective<'a> {
    model: &'a Model,
    estimated: Vec<usize>,
    data: &'a Data,
    solver: &'a OdeSolver,
    levels: Vec<PointNoise>,
    /// Bounds in the optimisation scale.
    bounds: Vec<[f64; 2]>,
}

fn to_scale(scale: Scale, v: f64) -> f64 {
    match scale {
        Scale::Log => v.ln(),
        Scale::Lin => v,
    }
}

fn from_scale(scale: Scale, x: f64) -> f64 {
    match scale {
        Scale::Log => x.exp(),
        Scale::Lin => x,
    }
}

impl<'a> Objective<'a> {
    /// The objective at the model's noise; σ that neither the data nor the
    /// model give is estimated from the residuals at the model's values and
    /// then held fixed.
    pub fn new(
        model: &'a Model,
        estimated: Vec<usize>,
        data: &'a Data,
        solver: &'a OdeSolver,
    ) -> Result<Objective<'a>, Error> {
        let predicted = predict(model, &estimated, data, solver)?;
        let (noise, levels) = noise_levels(model, data, &predicted, estimated.len());
        if let Some(n) = noise.iter().find(|n| n.kind == NoiseKind::Proportional) {
            return Err(Error::Input(format!(
                "observable '{}': proportional noise has a parameter-dependent variance, which this \
                 least-squares profile does not take yet; give a sigma_{} column or use gaussian \
                 or lognormal noise",
                n.observable, n.observable
            )));
        }
        let bounds = estimated
            .iter()
            .map(|&j| {
                let p = &model.parameters[j];
                match p.bounds {
                    Some([lo, hi]) => [to_scale(p.scale, lo), to_scale(p.scale, hi)],
                    None => [f64::NEG_INFINITY, f64::INFINITY],
                }
            })
            .collect();
        Ok(Objective {
            model,
            estimated,
            data,
            solver,
            levels,
            bounds,
        })
    }

    fn scale(&self, i: usize) -> Scale {
        self.model.parameters[self.estimated[i]].scale
    }

    /// The model's values of the estimated parameters, in the optimisation scale.
    pub fn start(&self) -> Vec<f64> {
        (0..self.estimated.len())
            .map(|i| {
                to_scale(
                    self.scale(i),
                    self.model.parameters[self.estimated[i]].value,
                )
            })
            .collect()
    }

    /// Values in the parameters' own units.
    pub fn natural(&self, x: &[f64]) -> Vec<f64> {
        x.iter()
            .enumerate()
            .map(|(i, &v)| from_scale(self.scale(i), v))
            .collect()
    }

    /// Standardised residuals and their Jacobian at `x`.
    fn residuals(&self, x: &[f64]) -> Result<(DVector<f64>, DMatrix<f64>), Error> {
        let mut model = self.model.clone();
        for (i, v) in self.natural(x).into_iter().enumerate() {
            model.parameters[self.estimated[i]].value = v;
        }
        let predicted = predict(&model, &self.estimated, self.data, self.solver)?;
        let (n, p) = (predicted.len(), self.estimated.len());
        let mut r = DVector::zeros(n);
        let mut jac = DMatrix::zeros(n, p);
        for (k, (pr, level)) in predicted.iter().zip(&self.levels).enumerate() {
            let y = self.data.points[k].value;
            let (residual, scale) = match level.kind {
                NoiseKind::Lognormal => (
                    (y.ln() - pr.f.ln()) / level.sigma,
                    1.0 / (pr.f * level.sigma),
                ),
                _ => ((y - pr.f) / level.sigma, 1.0 / level.sigma),
            };
            r[k] = residual;
            for j in 0..p {
                jac[(k, j)] = -pr.gradient[j] * scale;
            }
        }
        Ok((r, jac))
    }

    /// Minimises over every coordinate but `fixed`, from `x`, within the
    /// bounds: Levenberg–Marquardt with Marquardt's diagonal scaling and
    /// steps clipped to the box. A step whose integration fails is rejected
    /// like one that raises the objective.
    pub fn minimise(
        &self,
        mut x: Vec<f64>,
        fixed: Option<usize>,
    ) -> Result<(Vec<f64>, f64), Error> {
        let free: Vec<usize> = (0..x.len()).filter(|&j| Some(j) != fixed).collect();
        let (mut r, mut jac) = self.residuals(&x)?;
        let mut cost = r.norm_squared();
        let mut lambda = 1e-3;
        for _ in 0..200 {
            if free.is_empty() {
                break;
            }
            let jf = jac.select_columns(&free);
            let a = jf.transpose() * &jf;
            let g = jf.transpose() * &r;
            let mut improved = false;
            while lambda < 1e12 {
                let mut m = a.clone();
                for d in 0..free.len() {
                    m[(d, d)] += lambda * a[(d, d)].max(1e-12);
                }
                let Some(step) = m.lu().solve(&(-&g)) else {
                    lambda *= 4.0;
                    continue;
                };
                let mut trial = x.clone();
                for (d, &j) in free.iter().enumerate() {
                    trial[j] = (x[j] + step[d]).clamp(self.bounds[j][0], self.bounds[j][1]);
                }
                match self.residuals(&trial) {
                    Ok((r_new, jac_new)) if r_new.norm_squared() < cost => {
                        let new_cost = r_new.norm_squared();
                        let gain = cost - new_cost;
                        (x, r, jac, cost) = (trial, r_new, jac_new, new_cost);
                        lambda = (lambda / 3.0).max(1e-12);
                        improved = gain > 1e-12 * (1.0 + cost);
                        break;
                    }
                    Ok(_) | Err(Error::Solver { .. }) => lambda *= 4.0,
                    Err(e) => return Err(e),
                }
            }
            if !improved {
                break;
            }
        }
        Ok((x, cost))
    }
}

/// One point of a profile.
#[derive(Debug, Clone, PartialEq)]
pub struct ProfilePoint {
    /// Index of the profiled parameter among the estimated ones.
    pub parameter: usize,
    /// −1 or +1 for the two sides, 0 for the optimum.
    pub direction: i64,
    /// 1, 2, … outwards on each side.
    pub step: i64,
    /// Every estimated parameter, in its own units.
    pub values: Vec<f64>,
    /// Rise of −2 log L over the optimum.
    pub rise: f64,
}

/// The profile of estimated parameter `i` from the optimum `best` (with
/// −2 log L = `best_value`); `first_step` in the optimisation scale.
pub fn profile(
    objective: &Objective,
    best: &[f64],
    best_value: f64,
    i: usize,
    first_step: f64,
) -> Result<Vec<ProfilePoint>, Error> {
    let mut points = vec![ProfilePoint {
        parameter: i,
        direction: 0,
        step: 0,
        values: objective.natural(best),
        rise: 0.0,
    }];
    let [lo, hi] = objective.bounds[i];
    for direction in [-1i64, 1] {
        let (mut x, mut rise, mut h) = (best.to_vec(), 0.0, first_step);
        let (mut step, mut attempts) = (0i64, 0);
        while step < MAX_STEPS as i64 && attempts < 4 * MAX_STEPS {
            attempts += 1;
            let target = x[i] + direction as f64 * h;
            let at_bound = target <= lo || target >= hi;
            let mut trial = x.clone();
            trial[i] = target.clamp(lo, hi);
            let (next, value) = objective.minimise(trial, Some(i))?;
            let next_rise = value - best_value;
            // A step that overshoots by far (a steep wall, a bound reached by
            // another parameter) is retried shorter, so the crossing is bracketed closely.
            if next_rise - rise > MAX_RISE && h > MIN_STEP {
                h /= 4.0;
                continue;
            }
            step += 1;
            points.push(ProfilePoint {
                parameter: i,
                direction,
                step,
                values: objective.natural(&next),
                rise: next_rise,
            });
            if next_rise >= THRESHOLD || at_bound {
                break;
            }
            // Aim at an even rise per step: the profile is nearly quadratic in the step.
            let increase = (next_rise - rise).max(1e-12);
            h *= (TARGET_RISE / increase).sqrt().clamp(0.5, 2.0);
            (x, rise) = (next, next_rise);
        }
    }
    Ok(points)
}

/// How a profile classifies its parameter.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ProfileClass {
    /// Both sides cross the threshold.
    Identifiable,
    /// A side stays below the threshold up to a bound (or the step limit).
    PracticallyNonIdentifiable,
    /// Flat on both sides.
    StructurallyNonIdentifiable,
}

impl ProfileClass {
    pub fn name(self) -> &'static str {
        match self {
            ProfileClass::Identifiable => "identifiable",
            ProfileClass::PracticallyNonIdentifiable => "practically non-identifiable",
            ProfileClass::StructurallyNonIdentifiable => "structurally non-identifiable",
        }
    }
}

/// What one parameter's profile says.
#[derive(Debug, Clone, PartialEq)]
pub struct ProfileSummary {
    pub estimate: f64,
    pub class: ProfileClass,
    /// The threshold crossings, interpolated in the optimisation scale; `None` on an open side.
    pub ci95: [Option<f64>; 2],
}

/// The summary of one parameter's points (those with `parameter == i`), in any order.
pub fn summarise(points: &[ProfilePoint], i: usize, scale: Scale) -> ProfileSummary {
    let mine: Vec<&ProfilePoint> = points.iter().filter(|p| p.parameter == i).collect();
    let estimate = mine
        .iter()
        .find(|p| p.direction == 0)
        .map_or(f64::NAN, |p| p.values[i]);
    let mut ci95 = [None, None];
    let mut highest: f64 = 0.0;
    for (side, direction) in [(0, -1i64), (1, 1)] {
        let mut path: Vec<&&ProfilePoint> =
            mine.iter().filter(|p| p.direction == direction).collect();
        path.sort_by_key(|p| p.step);
        let (mut prev_x, mut prev_rise) = (to_scale(scale, estimate), 0.0);
        for p in path {
            let x = to_scale(scale, p.values[i]);
            highest = highest.max(p.rise);
            if p.rise >= THRESHOLD {
                let w = (THRESHOLD - prev_rise) / (p.rise - prev_rise);
                ci95[side] = Some(from_scale(scale, prev_x + w * (x - prev_x)));
                break;
            }
            (prev_x, prev_rise) = (x, p.rise);
        }
    }
    let class = match ci95 {
        [Some(_), Some(_)] => ProfileClass::Identifiable,
        _ if highest < FLAT => ProfileClass::StructurallyNonIdentifiable,
        _ => ProfileClass::PracticallyNonIdentifiable,
    };
    ProfileSummary {
        estimate,
        class,
        ci95,
    }
}

/// Fits every estimated parameter from the model's values, then profiles the
/// parameters `which` (indices among the estimated ones) in parallel; the
/// points come back in parameter order, whatever the threads.
pub fn profiles(objective: &Objective, which: &[usize]) -> Result<Vec<ProfilePoint>, Error> {
    let (best, best_value) = objective.minimise(objective.start(), None)?;
    // First steps from the curvature: a tenth of the Wald standard error in the optimisation scale.
    let (_, jac) = objective.residuals(&best)?;
    let info = jac.transpose() * &jac;
    let results: Vec<Result<Vec<ProfilePoint>, Error>> = which
        .par_iter()
        .map(|&i| {
            let curvature = info[(i, i)];
            let step = if curvature > 0.0 {
                (0.1 / curvature.sqrt()).min(0.5)
            } else {
                0.05
            };
            profile(objective, &best, best_value, i, step)
        })
        .collect();
    let mut points = Vec::new();
    for r in results {
        points.extend(r?);
    }
    Ok(points)
}
