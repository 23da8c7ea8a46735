//! Multistart: starts from a Latin hypercube in the (log-)bounds, run in
//! parallel (each start is sequential, so the results do not depend on the
//! thread count), and the summary of the best one.

use piml_io::{f64_bits, f64_from_bits};
use piml_model::Scale;
use piml_sim::{Vary, latin_hypercube};
use rand::SeedableRng;
use rayon::prelude::*;
use serde_json::{Map, Value, json};

use crate::error::Error;
use crate::optimise::{Objective, Outcome, Settings, minimise, projected_gradient};
use crate::problem::{Bound, Problem};
use crate::selection::Criteria;
use crate::uncertainty::Uncertainty;

/// Starts whose −log L lies within this of the best reached the optimum
/// (log-likelihood units: far below any statistically meaningful difference,
/// far above the optimisers' stopping tolerance).
pub const REACHED_TOLERANCE: f64 = 1e-6;

/// The start points: the model's values first, then N − 1 points of a Latin
/// hypercube over the bounds (in log space for log-scale parameters; estimated
/// initial values keep their start). They depend on the seed and N only, never
/// on the shard.
pub fn start_points(problem: &Problem, n: usize, seed: u64) -> Result<Vec<Vec<f64>>, Error> {
    if n == 0 {
        return Err(Error::Input("--starts: expected at least 1".into()));
    }
    let mut points = vec![problem.estimated().iter().map(|e| e.value).collect()];
    if n == 1 {
        return Ok(points);
    }
    // Estimated initial values start at the measurements' means in every start: drawn at
    // random they would start from a profile no experiment had.
    let drawn: Vec<&crate::Estimated> = problem
        .estimated()
        .iter()
        .filter(|e| e.initial_value.is_none())
        .collect();
    let ranges = drawn
        .iter()
        .map(|e| {
            let [lo, hi] = e.bounds.ok_or_else(|| {
                Error::Input(format!(
                    "model '{}': parameter '{}' has no bounds, but multistart draws starts within the bounds of every estimated parameter",
                    problem.model().name,
                    e.name
                ))
            })?;
            Ok(Vary {
                name: e.name.clone(),
                lo,
                hi,
                log: e.scale == Scale::Log,
            })
        })
        .collect::<Result<Vec<_>, Error>>()?;
    let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(seed);
    for draw in latin_hypercube(&ranges, n - 1, &mut rng) {
        let mut values = draw.into_iter();
        points.push(
            problem
                .estimated()
                .iter()
                .map(|e| match e.initial_value {
                    Some(_) => e.value,
                    None => values.next().expect("one draw per drawn parameter"),
                })
                .collect(),
        );
    }
    Ok(points)
}

/// One finished start.
#[derive(Debug, Clone, PartialEq)]
pub struct StartResult {
    pub index: usize,
    pub outcome: Outcome,
}

impl StartResult {
    /// The result as JSON that restores it bit for bit ([`StartResult::from_json`]): what a
    /// checkpoint keeps of a finished start.
    pub fn to_json(&self) -> Value {
        let o = &self.outcome;
        json!({
            "index": self.index,
            "theta": f64_bits(&o.theta),
            "nll": o.nll.to_bits(),
            "converged": o.converged,
            "iterations": o.iterations,
            "evaluations": o.evaluations,
            "message": o.message,
        })
    }

    /// The result [`StartResult::to_json`] wrote; `None` if `v` is not one.
    pub fn from_json(v: &Value) -> Option<StartResult> {
        Some(StartResult {
            index: usize::try_from(v["index"].as_u64()?).ok()?,
            outcome: Outcome {
                theta: f64_from_bits(&v["theta"])?,
                nll: f64::from_bits(v["nll"].as_u64()?),
                converged: v["converged"].as_bool()?,
                iterations: v["iterations"].as_u64()?,
                evaluations: usize::try_from(v["evaluations"].as_u64()?).ok()?,
                message: v["message"].as_str()?.to_string(),
            },
        })
    }
}

/// Runs the starts `indices` (a shard of `0..starts.len()`, or what a checkpoint lacks), in
/// parallel, telling `on_done` of each finished one. Once `stop` says so no further start
/// begins (those running finish): the result then holds only the starts that ran, in order.
pub fn run_starts(
    problem: &(impl Objective + Sync),
    starts: &[Vec<f64>],
    indices: impl IntoParallelIterator<Item = usize>,
    settings: &Settings,
    on_done: &(dyn Fn(&StartResult) + Sync),
    stop: &(dyn Fn() -> bool + Sync),
) -> Vec<StartResult> {
    indices
        .into_par_iter()
        .filter_map(|index| {
            if stop() {
                return None;
            }
            let result = StartResult {
                index,
                outcome: minimise(problem, &starts[index], settings),
            };
            on_done(&result);
            Some(result)
        })
        .collect()
}

/// The fit of one model: its best start, criteria and document.
#[derive(Debug, Clone)]
pub struct Summary {
    pub criteria: Criteria,
    /// Estimated parameters (natural units) at the best start.
    pub theta: Vec<f64>,
    pub document: Value,
    /// Warnings the tool should print (estimates on a bound, near-singular information,
    /// unconverged starts).
    pub warnings: Vec<String>,
}

/// Summarises the starts of one model: the best, how many reached it, which
/// estimates ended on a bound, and the uncertainty from the Fisher information
/// of the others there.
pub fn summarise(problem: &Problem, results: &[StartResult]) -> Result<Summary, Error> {
    let model = &problem.model().name;
    let best = results
        .iter()
        .filter(|r| r.outcome.nll.is_finite())
        .min_by(|a, b| a.outcome.nll.total_cmp(&b.outcome.nll))
        .ok_or_else(|| {
            let why = results
                .first()
                .map(|r| format!(" (start {}: {})", r.index, r.outcome.message))
                .unwrap_or_default();
            Error::Optimisation(format!(
                "model '{model}': no start reached a finite likelihood{why}"
            ))
        })?;
    let reached = results
        .iter()
        .filter(|r| r.outcome.nll <= best.outcome.nll + REACHED_TOLERANCE)
        .count();
    let converged = results.iter().filter(|r| r.outcome.converged).count();
    let theta = best.outcome.theta.clone();
    let eval = problem.evaluate(&theta)?;
    let n = problem.data().n_points();
    let k = problem.n_estimated();
    let criteria = Criteria::new(eval.nll, n, k);

    let mut names: Vec<String> = problem.estimated().iter().map(|e| e.name.clone()).collect();
    names.extend(problem.profiled_names());
    let mut values = theta.clone();
    values.extend(&eval.sigmas);
    // Estimates on a bound are held by it: reported as such, and left out of the one Fisher
    // block that gives every standard error, interval, correlation and the condition number.
    let sides = problem.at_bounds(&theta);
    let mut held: Vec<bool> = sides.iter().map(Option::is_some).collect();
    held.resize(names.len(), false);
    let unc = Uncertainty::of_free(&eval.fisher, &held);
    let stationarity = projected_gradient(&eval.gradient, &eval.fisher, &sides);
    let mut warnings = Vec::new();
    // An initial value on its bound (a density of 0 in an empty stretch) is a measurement's
    // value, not a parameter the data fail to determine: no warning.
    for ((e, v), side) in problem.estimated().iter().zip(&theta).zip(&sides) {
        if e.initial_value.is_some() {
            continue;
        }
        if let (Some(side), Some([lo, hi])) = (side, e.bounds) {
            let bound = if *side == Bound::Lower { lo } else { hi };
            warnings.push(format!(
                "model '{model}': parameter '{}' = {v} ended on its {} bound ({bound}): the bound holds it, not the data, so it has no standard error or interval; widen the bound if it is not physical",
                e.name,
                side.name(),
            ));
        }
    }
    if let Some(weak) = &unc.weakest {
        let who: Vec<&str> = weak.iter().map(|&i| names[i].as_str()).collect();
        warnings.push(format!(
            "model '{model}': the Fisher information is near singular (condition number {:.3e}): {} may not be identifiable from these data; run `identifiability` on the model",
            unc.condition,
            who.join(", ")
        ));
    }
    if !best.outcome.converged {
        warnings.push(format!(
            "model '{model}': the best start ({}) did not converge: {}",
            best.index, best.outcome.message
        ));
    }
    // Estimated initial values are reported apart (`initial_profile`), and left out of the
    // parameters and their correlations (which stay the model's: the marginal correlations
    // of the full inverse).
    let nuisance = |i: usize| {
        problem
            .estimated()
            .get(i)
            .and_then(|e| e.initial_value.as_ref())
    };
    let shown: Vec<usize> = (0..names.len())
        .filter(|&i| nuisance(i).is_none())
        .collect();
    let mut profile: Vec<Value> = Vec::new();
    for i in (0..names.len()).filter(|&i| nuisance(i).is_some()) {
        let v = nuisance(i).expect("filtered");
        let group = &problem.data().groups[v.group];
        profile.push(json!({
            "condition": group.condition,
            "species": problem.model().species[v.species].name,
            "position": v.position,
            "estimate": values[i],
            "stderr": unc.stderr[i],
            "at_bound": sides[i].map(Bound::name),
        }));
    }
    let mut parameters = Map::new();
    for (i, name) in shown.iter().map(|&i| (i, &names[i])) {
        let mut entry = Map::new();
        entry.insert("estimate".into(), json!(values[i]));
        entry.insert("stderr".into(), json!(unc.stderr[i]));
        entry.insert(
            "ci95".into(),
            if held[i] {
                Value::Null
            } else {
                json!(unc.ci95(i, values[i]))
            },
        );
        if let Some(e) = problem.estimated().get(i) {
            entry.insert("at_bound".into(), json!(sides[i].map(Bound::name)));
            entry.insert("initial".into(), json!(e.value));
            entry.insert("bounds".into(), json!(e.bounds));
            entry.insert(
                "scale".into(),
                json!(if e.scale == Scale::Log { "log" } else { "lin" }),
            );
        } else {
            entry.insert(
                "kind".into(),
                json!("noise sigma, estimated per observable"),
            );
        }
        parameters.insert(name.clone(), Value::Object(entry));
    }
    let correlation: Vec<Vec<f64>> = shown
        .iter()
        .map(|&i| shown.iter().map(|&j| unc.correlation[(i, j)]).collect())
        .collect();
    let shown_names: Vec<&String> = shown.iter().map(|&i| &names[i]).collect();
    let mut document = json!({
        "model": model,
        "parameters": parameters,
        "correlation": { "parameters": shown_names, "matrix": correlation },
        "fisher_condition_number": unc.condition,
        "objective": eval.nll,
        "log_likelihood": -eval.nll,
        "minus2_log_likelihood": criteria.minus2_log_likelihood,
        "aic": criteria.aic,
        "aicc": criteria.aicc,
        "bic": criteria.bic,
        "n_observations": n,
        "n_estimated": k,
        "converged": best.outcome.converged,
        "projected_gradient": stationarity,
        "iterations": best.outcome.iterations,
        "evaluations": best.outcome.evaluations,
        "termination": best.outcome.message,
        "starts": {
            "total": results.len(),
            "converged": converged,
            "reached_best": reached,
            "best_start": best.index,
            "reached_tolerance": REACHED_TOLERANCE,
        },
    });
    if !profile.is_empty() {
        // The initial fields estimated through the measurements at the start of the span.
        document["initial_profile"] = Value::Array(profile);
    }
    Ok(Summary {
        criteria,
        theta,
        document,
        warnings,
    })
}
