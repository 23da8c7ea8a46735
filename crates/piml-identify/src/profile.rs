//! Profile likelihoods (Raue et al. 2009): each estimated parameter is
//! stepped out from the optimum in both directions while the others are
//! re-optimised, warm-started, until −2 log L has risen by the 95% threshold
//! χ²₁(0.95) = 3.84 or a bound is reached.
//!
//! The likelihood and the optimiser are piml-fit's (fit-kinetics'): every
//! noise model it takes, sigmas estimated per observable profiled out at
//! each point, and its bounded Levenberg–Marquardt method on the problem
//! with the profiled parameter held ([`Problem::fixing`]). Steps are taken
//! in its box coordinates (ln θ for log-scaled parameters).

use piml_fit::{Method, Problem, Settings, minimise};
use piml_model::Scale;
use rayon::prelude::*;

use crate::error::Error;

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

const SETTINGS: Settings = Settings {
    method: Method::LevenbergMarquardt,
    max_iterations: 500,
    tolerance: 1e-12,
};

/// The optimum of `problem` from `theta` (natural units): θ and −2 log L.
fn optimum(problem: &Problem, theta: &[f64]) -> Result<(Vec<f64>, f64), Error> {
    let outcome = minimise(problem, theta, &SETTINGS);
    if !outcome.nll.is_finite() {
        return Err(Error::Numerical(format!(
            "model '{}': the optimisation failed: {}",
            problem.model().name,
            outcome.message
        )));
    }
    Ok((outcome.theta, 2.0 * outcome.nll))
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

/// The profile of estimated parameter `i` from the optimum `best` (natural
/// units, with −2 log L = `best_value`); `first_step` in box coordinates.
pub fn profile(
    problem: &Problem,
    best: &[f64],
    best_value: f64,
    i: usize,
    first_step: f64,
) -> Result<Vec<ProfilePoint>, Error> {
    let mut points = vec![ProfilePoint {
        parameter: i,
        direction: 0,
        step: 0,
        values: best.to_vec(),
        rise: 0.0,
    }];
    let transform = problem.estimated()[i].transform();
    let [lo, hi] = transform.box_limits();
    let others = |theta: &[f64]| -> Vec<f64> {
        let mut rest = theta.to_vec();
        rest.remove(i);
        rest
    };
    for direction in [-1i64, 1] {
        let (mut x, mut rise, mut h) = (best.to_vec(), 0.0, first_step);
        let (mut step, mut attempts) = (0i64, 0);
        while step < MAX_STEPS as i64 && attempts < 4 * MAX_STEPS {
            attempts += 1;
            let target = transform.box_coordinate(x[i]) + direction as f64 * h;
            let at_bound = target <= lo || target >= hi;
            let held = transform.box_natural(target.clamp(lo, hi)).0;
            let (rest, value) = optimum(&problem.fixing(i, held), &others(&x))?;
            let mut next = rest;
            next.insert(i, held);
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
                values: next.clone(),
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
pub fn profiles(problem: &Problem, which: &[usize]) -> Result<Vec<ProfilePoint>, Error> {
    let start: Vec<f64> = problem.estimated().iter().map(|e| e.value).collect();
    let (best, best_value) = optimum(problem, &start)?;
    // First steps from the curvature: a tenth of the Wald standard error in box coordinates.
    let fisher = problem.evaluate(&best)?.fisher;
    let results: Vec<Result<Vec<ProfilePoint>, Error>> = which
        .par_iter()
        .map(|&i| {
            let transform = problem.estimated()[i].transform();
            let (_, d) = transform.box_natural(transform.box_coordinate(best[i]));
            let curvature = fisher[(i, i)] * d * d;
            let step = if curvature > 0.0 {
                (0.1 / curvature.sqrt()).min(0.5)
            } else {
                0.05
            };
            profile(problem, &best, best_value, i, step)
        })
        .collect();
    let mut points = Vec::new();
    for r in results {
        points.extend(r?);
    }
    Ok(points)
}
