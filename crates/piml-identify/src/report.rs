//! The reports as JSON (DESIGN.md: every unknown under
//! `"parameters": {"<name>": {"identifiable": …}}`, combinations as expression strings).

use serde_json::{Map, Value, json};

use piml_model::Scale;

use crate::combinations::CombinationKind;
use crate::field::P;
use crate::fim::{Fisher, NULL_FRACTION, SLOPPY_FRACTION, SigmaSource};
use crate::profile::{ProfileClass, ProfilePoint, THRESHOLD, summarise};
use crate::structural::{OrderRule, Structural};
use crate::system::{Initial, System, UnknownKind};

/// The body of a structural report (the tool adds the provenance envelope).
pub fn structural_report(system: &System, result: &Structural) -> Value {
    let name = |j: usize| system.unknowns[j].name.clone();
    let mut parameters = Map::new();
    for (j, (unknown, verdict)) in system.unknowns.iter().zip(&result.verdicts).enumerate() {
        let mut entry = Map::new();
        entry.insert("identifiable".into(), verdict.identifiable.into());
        match &unknown.kind {
            UnknownKind::Parameter => {
                entry.insert("kind".into(), "parameter".into());
            }
            UnknownKind::InitialValue { species } => {
                entry.insert("kind".into(), "initial value".into());
                entry.insert("species".into(), species.clone().into());
            }
        }
        if !verdict.identifiable {
            entry.insert("affects_outputs".into(), verdict.affects_outputs.into());
            let combinations: Vec<Value> = result
                .combinations
                .iter()
                .filter(|c| c.terms.iter().any(|(k, _)| *k == j))
                .map(|c| c.expression.to_string().into())
                .collect();
            entry.insert("combinations".into(), combinations.into());
        }
        parameters.insert(unknown.name.clone(), Value::Object(entry));
    }
    let combinations: Vec<Value> = result
        .combinations
        .iter()
        .map(|c| {
            json!({
                "expression": c.expression.to_string(),
                "kind": c.kind.name(),
                "unknowns": c.terms.iter().map(|&(j, _)| name(j)).collect::<Vec<_>>(),
                match c.kind {
                    CombinationKind::Product => "exponents",
                    CombinationKind::Sum => "coefficients",
                }: c.terms.iter().map(|&(_, a)| a).collect::<Vec<_>>(),
            })
        })
        .collect();
    let initial_values: Map<String, Value> = system
        .species
        .iter()
        .zip(&system.initial)
        .map(|(s, init)| {
            let entry = match init {
                Initial::Unknown => json!({"status": "unknown", "unknown": format!("{s}(0)")}),
                Initial::Known(e) => json!({"status": "known", "value": e.to_string()}),
                Initial::Parametrised(e) => {
                    json!({"status": "estimated", "expression": e.to_string()})
                }
            };
            (s.clone(), entry)
        })
        .collect();
    let order_rule = match result.order_rule {
        OrderRule::Stabilised => {
            "the rank with respect to every initial value and parameter stopped growing \
             (generic initial values: proven sufficient, Sedoglavic 2002)"
                .to_string()
        }
        OrderRule::FullRank => {
            "every unknown identifiable: further orders cannot change the verdict".into()
        }
        OrderRule::Margin(k) => format!(
            "fixed or shared initial values, or time in the equations: no general order bound \
             is known, so the rank had to stay constant for {k} further orders"
        ),
    };
    let n_free = result.verdicts.iter().filter(|v| !v.identifiable).count();
    let mut report = json!({
        "method": "local structural identifiability: rank of the Jacobian of the outputs' Taylor \
                   coefficients with respect to the unknowns at a random point, computed exactly \
                   modulo a prime (Sedoglavic 2002)",
        "local": true,
        "verdict": "local: an identifiable unknown is determined up to finitely many values \
                    near a generic point; the test says nothing about global uniqueness",
        "outputs": system.outputs,
        "initial_values": initial_values,
        "noise_parameters": system.noise_parameters,
        "parameters": parameters,
        "combinations": combinations,
        "non_identifiable": n_free,
        "identifiable_functions_of_non_identifiable": result.hidden_functions,
        "expressed_by_combinations": result.expressed_functions,
        "rank": result.rank,
        "unknowns": system.unknowns.len(),
        "taylor_orders": result.orders,
        "order_rule": order_rule,
        "prime": P.to_string(),
        "error_probability_bound": result.error_bound,
    });
    if !system.lifted.is_empty() {
        let lifted: Map<String, Value> = system
            .lifted
            .iter()
            .map(|(name, what)| (name.clone(), what.clone().into()))
            .collect();
        report["exponentials_made_states"] = Value::Object(lifted);
    }
    report
}

/// The body of a Fisher-information report (the tool adds the envelope).
pub fn fim_report(fisher: &Fisher) -> Value {
    let z = 1.959_963_984_540_054; // the 97.5% normal quantile
    let mut parameters = Map::new();
    for (j, name) in fisher.names.iter().enumerate() {
        let value = fisher.values[j];
        let (scale, ci95) = match (fisher.scales[j], fisher.stderr[j]) {
            (Scale::Log, Some(se)) => (
                "log",
                json!([value * (-z * se).exp(), value * (z * se).exp()]),
            ),
            (Scale::Lin, Some(se)) => ("lin", json!([value - z * se, value + z * se])),
            (Scale::Log, None) => ("log", Value::Null),
            (Scale::Lin, None) => ("lin", Value::Null),
        };
        parameters.insert(
            name.clone(),
            json!({
                "identifiable": fisher.identifiable[j],
                "value": value,
                "scale": scale,
                "stderr": fisher.stderr[j],
                "ci95": ci95,
            }),
        );
    }
    let largest = fisher.eigenvalues.first().copied().unwrap_or(0.0);
    let eigen: Vec<Value> = fisher
        .eigenvalues
        .iter()
        .zip(&fisher.eigenvectors)
        .map(|(&l, v)| {
            let vector: Map<String, Value> = fisher
                .names
                .iter()
                .zip(v)
                .map(|(n, c)| (n.clone(), (*c).into()))
                .collect();
            json!({
                "eigenvalue": l,
                "relative": if largest > 0.0 { l / largest } else { 0.0 },
                "null": l <= largest.max(0.0) * NULL_FRACTION,
                "sloppy": l <= largest.max(0.0) * SLOPPY_FRACTION,
                "vector": vector,
            })
        })
        .collect();
    let correlations: Map<String, Value> = fisher
        .names
        .iter()
        .zip(&fisher.correlations)
        .map(|(a, row)| {
            let row: Map<String, Value> = fisher
                .names
                .iter()
                .zip(row)
                .map(|(b, r)| (b.clone(), json!(r)))
                .collect();
            (a.clone(), Value::Object(row))
        })
        .collect();
    let noise: Map<String, Value> = fisher
        .noise
        .iter()
        .map(|n| {
            let source = match n.source {
                SigmaSource::Column => "sigma column of the data",
                SigmaSource::Model => "the model's noise",
                SigmaSource::Residuals => "estimated by maximum likelihood at the given values (a nuisance)",
            };
            (
                n.observable.clone(),
                json!({"kind": n.kind.name(), "sigma": n.sigma, "source": source, "points": n.points}),
            )
        })
        .collect();
    let smallest = fisher.eigenvalues.last().copied().unwrap_or(0.0);
    let matrix: Vec<Vec<f64>> = (0..fisher.names.len())
        .map(|a| {
            (0..fisher.names.len())
                .map(|b| fisher.matrix[(a, b)])
                .collect()
        })
        .collect();
    json!({
        "method": "Fisher information of the estimated parameters at the given values, from forward \
                   sensitivities of the kinetic equations, in each parameter's optimisation scale \
                   (log for parameters with positive bounds); noise parameters and per-observable \
                   sigmas eliminated as nuisances (Schur complement)",
        "local": true,
        "points": fisher.points,
        "noise": noise,
        "parameters": parameters,
        "eigen": eigen,
        "condition_number": if smallest > 0.0 { Some(largest / smallest) } else { None },
        "null_fraction": NULL_FRACTION,
        "sloppy_fraction": SLOPPY_FRACTION,
        "correlations": correlations,
        "fisher_information": matrix,
    })
}

/// The body of a profile report: each profiled parameter's class and
/// profile interval (`names`/`scales`: the estimated parameters).
pub fn profile_report(names: &[String], scales: &[Scale], points: &[ProfilePoint]) -> Value {
    let mut parameters = Map::new();
    for (i, name) in names.iter().enumerate() {
        let count = points.iter().filter(|p| p.parameter == i).count();
        if count == 0 {
            continue;
        }
        let s = summarise(points, i, scales[i]);
        parameters.insert(
            name.clone(),
            json!({
                "identifiable": s.class == ProfileClass::Identifiable,
                "class": s.class.name(),
                "estimate": s.estimate,
                "ci95": s.ci95,
                "points": count,
            }),
        );
    }
    json!({
        "method": "profile likelihood (Raue et al. 2009): each parameter stepped out from the optimum \
                   with the others re-optimised, up to a rise of -2 log L of 3.84 (95%, one degree of \
                   freedom) or a bound; fit-kinetics' likelihood (piml-fit) and bounded Levenberg-Marquardt",
        "local": true,
        "threshold": THRESHOLD,
        "parameters": parameters,
    })
}
