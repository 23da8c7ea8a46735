//! The structural report as JSON (DESIGN.md: every unknown under
//! `"parameters": {"<name>": {"identifiable": …}}`, combinations as expression strings).

use serde_json::{Map, Value, json};

use crate::combinations::CombinationKind;
use crate::field::P;
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
    json!({
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
    })
}
