//! The analysis of a model end to end, and its report as a JSON document.

use std::collections::HashMap;

use piml_model::expr::BinOp;
use piml_model::expr::Expr;
use piml_model::units::BASE;
use piml_model::{Kinetics, Model};
use serde_json::{Map, Value, json};

use crate::dimensions::Dimensions;
use crate::error::Error;
use crate::groups::{Group, group_text, pi_groups, repeating};
use crate::rewrite::{Rewritten, rewrite};
use crate::scales::{Scale, characteristic_scales, values};
use crate::stability::{homogeneous, steady_states, stiffness};
use crate::turing::analyse as turing_at;

/// Everything nondim derives from a model.
#[derive(Debug, Clone)]
pub struct Analysis {
    pub dims: Dimensions,
    pub repeating: Vec<String>,
    pub groups: Vec<Group>,
    pub scales: Vec<Scale>,
    pub rewritten: Rewritten,
}

/// Checks the units, finds the groups and scales, and rewrites the model.
pub fn analyse(model: &Model, given_scales: &[(String, Expr)]) -> Result<Analysis, Error> {
    if model.is_algebraic() {
        return Err(Error::Model {
            field: "species".into(),
            message: format!(
                "model '{}' is algebraic (no species): nondim rescales kinetic and reaction–diffusion models",
                model.name
            ),
        });
    }
    let dims = Dimensions::of(model)?;
    let repeating = repeating(&dims).iter().map(|q| q.name.clone()).collect();
    let groups = pi_groups(&dims);
    let scales = characteristic_scales(model, &dims, given_scales)?;
    let rewritten = rewrite(model, &dims, &scales)?;
    Ok(Analysis {
        dims,
        repeating,
        groups,
        scales,
        rewritten,
    })
}

fn complex_list(ev: &[(f64, f64)]) -> Value {
    ev.iter().map(|(re, im)| json!([re, im])).collect()
}

fn named_state(model: &Model, y: &[f64]) -> Value {
    Value::Object(
        model
            .species
            .iter()
            .zip(y)
            .map(|(s, v)| (s.name.clone(), json!(v)))
            .collect(),
    )
}

/// The expression multiplied out into a sum of products: products and
/// quotients distribute over sums, and whole powers up to 3 of sums are
/// expanded; function calls stay whole.
fn expand(e: &Expr) -> Vec<Expr> {
    use piml_model::expr::simplify::{div, mul, neg};
    match e {
        Expr::Bin(BinOp::Add, a, b) => [expand(a), expand(b)].concat(),
        Expr::Bin(BinOp::Sub, a, b) => {
            [expand(a), expand(b).into_iter().map(neg).collect()].concat()
        }
        Expr::Neg(a) => expand(a).into_iter().map(neg).collect(),
        Expr::Bin(BinOp::Mul, a, b) => {
            let right = expand(b);
            expand(a)
                .iter()
                .flat_map(|x| right.iter().map(move |y| mul(x.clone(), y.clone())))
                .collect()
        }
        Expr::Bin(BinOp::Div, a, b) => expand(a)
            .into_iter()
            .map(|x| div(x, (**b).clone()))
            .collect(),
        Expr::Bin(BinOp::Pow, a, b)
            if matches!(b.as_num(), Some(2.0 | 3.0)) && expand(a).len() > 1 =>
        {
            let n = b.as_num().unwrap_or(1.0) as usize;
            let repeated = Expr::bin(BinOp::Mul, (**a).clone(), (**a).clone());
            let product = if n == 2 {
                repeated
            } else {
                Expr::bin(BinOp::Mul, repeated, (**a).clone())
            };
            expand(&product)
        }
        other => vec![other.clone()],
    }
    .into_iter()
    .filter(|t| t.as_num() != Some(0.0))
    .collect()
}

/// Each equation's terms (multiplied out) with their size at the characteristic scales:
/// |term| · T / U (species at their scales, t = T, x at the domain's
/// centre), the coefficient the term has in the dimensionless equation.
fn term_magnitudes(model: &Model, analysis: &Analysis) -> Value {
    let vals = values(&analysis.dims);
    let scale = |n: &str| {
        analysis
            .scales
            .iter()
            .find(|s| s.name == n)
            .map(|s| s.value)
            .unwrap_or(f64::NAN)
    };
    let mut point: HashMap<String, f64> = vals.clone();
    point.insert("t".into(), scale("t"));
    for (axis, a) in &model.space {
        let [lo, hi] = a.span.unwrap_or([0.0, 1.0]);
        point.insert(axis.clone(), 0.5 * (lo + hi));
    }
    for s in &model.species {
        point.insert(s.name.clone(), scale(&s.name));
    }
    let eval = |e: &Expr| e.eval(&|n| point.get(n).copied());
    let mut out = Map::new();
    for s in &model.species {
        let mut terms: Vec<(String, Expr)> = Vec::new();
        if let Some(rates) = &model.rates {
            if let Some((_, e)) = rates.iter().find(|(n, _)| *n == s.name) {
                terms.extend(expand(e).into_iter().map(|p| (p.to_string(), p)));
            }
        } else {
            for (i, r) in model.reactions.iter().enumerate() {
                let sum = |v: &[(String, f64)]| {
                    v.iter()
                        .filter(|(n, _)| *n == s.name)
                        .map(|(_, c)| c)
                        .sum::<f64>()
                };
                let net = sum(&r.products) - sum(&r.reactants);
                if net != 0.0 {
                    let label = r.name.clone().unwrap_or_else(|| format!("reactions[{i}]"));
                    let parts = expand(&piml_model::expr::simplify::mul(
                        Expr::Num(net),
                        r.rate.clone(),
                    ));
                    let single = parts.len() == 1;
                    terms.extend(parts.into_iter().map(|p| {
                        (
                            if single {
                                label.clone()
                            } else {
                                format!("{label}: {p}")
                            },
                            p,
                        )
                    }));
                }
            }
        }
        let ratio = scale("t") / scale(&s.name);
        let mut rows: Vec<(String, String, f64)> = terms
            .iter()
            .map(|(label, e)| (label.clone(), e.to_string(), (eval(e) * ratio).abs()))
            .collect();
        if let Some(d) = &s.diffusion {
            let x = scale("x");
            rows.push((
                "diffusion".into(),
                format!("div({d} grad {})", s.name),
                (eval(d) * scale("t") / (x * x)).abs(),
            ));
        }
        let top = rows.iter().map(|r| r.2).fold(0.0, f64::max);
        let list: Vec<Value> = rows
            .into_iter()
            .map(|(label, expr, m)| json!({"term": label, "expr": expr, "magnitude": m, "dominant": m == top && top > 0.0}))
            .collect();
        out.insert(s.name.clone(), Value::Array(list));
    }
    Value::Object(out)
}

/// The report document body: groups, scales, parameters, term magnitudes,
/// steady states, stiffness and (reaction–diffusion models) Turing analysis.
pub fn report(model: &Model, analysis: &Analysis) -> Result<Value, Error> {
    let dims = &analysis.dims;
    let vals = values(dims);
    let bases = dims.used_bases();
    let mut quantities = Map::new();
    for q in dims.physical.iter().chain(&dims.variables) {
        let exps: Map<String, Value> = bases
            .iter()
            .map(|&i| (BASE[i].to_string(), json!(q.dims[i].to_f64())))
            .collect();
        quantities.insert(
            q.name.clone(),
            json!({"units": q.units, "role": q.role.describe(), "exponents": exps}),
        );
    }
    let groups: Vec<Value> = analysis
        .groups
        .iter()
        .map(|g| {
            let value = g.powers.iter().fold(1.0, |acc, (n, p)| {
                acc * vals.get(n).copied().unwrap_or(f64::NAN).powi(*p as i32)
            });
            let powers: Map<String, Value> = g
                .powers
                .iter()
                .map(|(n, p)| (n.clone(), json!(p)))
                .collect();
            json!({
                "group": group_text(&g.powers),
                "around": g.around,
                "powers": powers,
                "value": if g.variable { Value::Null } else { json!(value) },
                "kind": if g.variable { "variable" } else { "parameters" },
                "name": g.classical,
            })
        })
        .collect();
    let scales: Map<String, Value> = analysis
        .scales
        .iter()
        .map(|s| (s.name.clone(), json!({"expr": s.expr.to_string(), "value": s.value, "units": s.units, "from": s.origin.describe()})))
        .collect();
    let params: Map<String, Value> = analysis
        .rewritten
        .parameters
        .iter()
        .map(|p| {
            (
                p.name.clone(),
                json!({"expr": p.expr.to_string(), "value": p.value, "from": p.from}),
            )
        })
        .collect();
    let absorbed: Map<String, Value> = analysis
        .rewritten
        .absorbed
        .iter()
        .map(|(n, v)| (n.clone(), json!(v)))
        .collect();

    let kinetic = homogeneous(model);
    let kin = Kinetics::new(&kinetic).map_err(|e| Error::Model {
        field: "species".into(),
        message: e.to_string(),
    })?;
    let species_scales: Vec<f64> = model
        .species
        .iter()
        .map(|s| {
            analysis
                .scales
                .iter()
                .find(|c| c.name == s.name)
                .map_or(1.0, |c| c.value)
        })
        .collect();
    let t_scale = analysis
        .scales
        .iter()
        .find(|s| s.name == "t")
        .map_or(1.0, |s| s.value);
    let rate_scale = species_scales
        .iter()
        .fold(0.0, |a: f64, u| a.max(u / t_scale));
    // Without kinetics (pure diffusion) every homogeneous state is steady.
    let no_kinetics = kinetic
        .reaction_terms()
        .iter()
        .all(|f| piml_model::expr::simplify(f).as_num() == Some(0.0));
    let steady = if no_kinetics {
        Vec::new()
    } else {
        steady_states(&kinetic, &kin, &species_scales, rate_scale)
    };
    let stiff = stiffness(&kinetic, &kin, &steady, &species_scales);
    let steady_json: Vec<Value> = steady
        .iter()
        .map(|s| json!({"state": named_state(model, &s.state), "eigenvalues": complex_list(&s.eigenvalues), "stable": s.stable}))
        .collect();
    let samples: Vec<Value> = stiff
        .samples
        .iter()
        .map(|s| json!({"at": s.label, "t": s.t, "state": named_state(model, &s.state), "eigenvalues": complex_list(&s.eigenvalues)}))
        .collect();
    let mut body = json!({
        "dimension_matrix": {"bases": bases.iter().map(|&i| BASE[i]).collect::<Vec<_>>(), "quantities": quantities},
        "repeating": analysis.repeating,
        "groups": groups,
        "scales": scales,
        "parameters": params,
        "absorbed": absorbed,
        "notes": analysis.rewritten.notes,
        "terms": term_magnitudes(model, analysis),
        "steady_states": steady_json,
        "every_state_steady": no_kinetics,
        "stiffness": {
            "ratio": stiff.ratio,
            "explicit_steps": stiff.index,
            "stiff": stiff.stiff,
            "recommendation": if stiff.stiff { "stiff" } else { "explicit" },
            "reason": stiff.reason,
            "trajectory_error": stiff.trajectory_error,
            "samples": samples,
        },
    });
    if model.is_spatial() {
        let (diffusion, stiff_grid) = diffusion_stiffness(model, &kinetic);
        if stiff_grid && !stiff.stiff {
            body["stiffness"]["recommendation"] = "stiff".into();
            body["stiffness"]["reason"] = format!(
                "the kinetics alone are not stiff, but diffusion on simulate's default grid is: {}",
                diffusion["reason"].as_str().unwrap_or("")
            )
            .into();
        }
        body["stiffness"]["diffusion"] = diffusion;
    }
    if model.is_spatial() && model.species.len() >= 2 {
        body["turing"] = Value::Array(turing_report(model, &kinetic, &kin, &steady));
    }
    Ok(body)
}

/// Cells per axis of simulate's default grid.
const DEFAULT_CELLS: f64 = 128.0;

/// The fastest diffusion mode of the method of lines on simulate's default
/// grid, Σ_axes 4·D_max/h² (the largest eigenvalue magnitude of the 3-point
/// Laplacian times D), with the diffusivities at the homogeneous initial
/// state; stiff when an explicit method would need more than 1e4 steps.
fn diffusion_stiffness(model: &Model, kinetic: &Model) -> (Value, bool) {
    let initial: Vec<(String, f64)> = kinetic
        .species
        .iter()
        .map(|s| (s.name.clone(), s.initial.as_num().unwrap_or(f64::NAN)))
        .collect();
    let centre: Vec<(String, f64)> = crate::stability::domain_centre(model);
    let [t0, t1] = model
        .time
        .as_ref()
        .and_then(|t| t.span)
        .unwrap_or([0.0, 1.0]);
    let lookup = |n: &str| {
        initial
            .iter()
            .chain(&centre)
            .find(|(m, _)| m == n)
            .map(|(_, v)| *v)
            .or_else(|| model.parameter(n).map(|p| p.value))
            .or_else(|| (n == "t").then_some(t0))
    };
    let d_max = model
        .species
        .iter()
        .filter_map(|s| s.diffusion.as_ref().map(|d| d.eval(&lookup).abs()))
        .fold(0.0, f64::max);
    let rate: f64 = model
        .space
        .iter()
        .map(|(_, a)| {
            let [lo, hi] = a.span.unwrap_or([0.0, 1.0]);
            let h = (hi - lo) / DEFAULT_CELLS;
            4.0 * d_max / (h * h)
        })
        .sum();
    let steps = rate * (t1 - t0);
    let stiff = steps > 1e4;
    let periodic = model
        .boundary
        .iter()
        .all(|b| *b == piml_model::AxisBoundary::Periodic);
    let reason = if stiff {
        format!(
            "the fastest diffusion mode decays at {rate:.3e} per unit time (~{steps:.1e} explicit steps): use the stiff solver{}",
            if periodic {
                ", or --method spectral (ETDRK4) when the diffusivities are constant"
            } else {
                ""
            }
        )
    } else {
        format!(
            "the fastest diffusion mode decays at {rate:.3e} per unit time (~{steps:.1e} explicit steps)"
        )
    };
    (
        json!({"cells_per_axis": DEFAULT_CELLS, "max_diffusivity": d_max, "fastest_rate": rate, "explicit_steps": steps, "stiff": stiff, "reason": reason}),
        stiff,
    )
}

fn turing_report(
    model: &Model,
    kinetic: &Model,
    kin: &Kinetics,
    steady: &[crate::stability::SteadyState],
) -> Vec<Value> {
    let n = kin.n_species();
    let p = kinetic.parameter_values();
    let t0 = crate::stability::start_time(kinetic);
    let centre: Vec<(String, f64)> = crate::stability::domain_centre(model);
    steady
        .iter()
        .map(|s| {
            let mut jac = vec![0.0; n * n];
            kin.jacobian_y(t0, &s.state, &p, &mut jac);
            let lookup = |name: &str| {
                model
                    .species
                    .iter()
                    .position(|q| q.name == name)
                    .map(|i| s.state[i])
                    .or_else(|| centre.iter().find(|(a, _)| a == name).map(|(_, v)| *v))
                    .or_else(|| model.parameter(name).map(|q| q.value))
                    .or_else(|| (name == "t").then_some(t0))
            };
            let diffusion: Vec<f64> = model
                .species
                .iter()
                .map(|q| q.diffusion.as_ref().map_or(0.0, |d| d.eval(&lookup)))
                .collect();
            let t = turing_at(model, &s.state, &jac, &diffusion, s.stable);
            json!({
                "state": named_state(model, &t.state),
                "diffusion": t.diffusion,
                "stable_without_diffusion": s.stable,
                "conditions": t.conditions.iter().map(|c| json!({"condition": c.name, "value": c.value, "holds": c.holds})).collect::<Vec<_>>(),
                "turing_unstable": t.turing_unstable,
                "fastest": t.fastest.map(|(k, w, g)| json!({"k": k, "wavelength": w, "sigma": g})),
                "domain": t.axes.iter().map(|a| json!({
                    "axis": a.axis,
                    "length": a.length,
                    "wavelengths": a.wavelengths,
                    "unstable_modes": a.unstable_modes,
                    "fastest_mode": a.fastest_mode.map(|(m, k, g)| json!({"n": m, "k": k, "sigma": g})),
                })).collect::<Vec<_>>(),
                "dispersion": t.dispersion.iter().map(|(k, g)| json!([k, g])).collect::<Vec<_>>(),
            })
        })
        .collect()
}
