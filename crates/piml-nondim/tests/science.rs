//! The issue's acceptance cases: textbook rescalings, π groups against
//! published ones, Turing analyses against Murray's conditions and known
//! figures, and Robertson's stiffness.

mod common;

use common::{model, scales};
use piml_model::Model;
use piml_nondim::{Ratio, analyse, rank, report};
use serde_json::Value;

/// Fisher–KPP in µm, hours and cells/µm² with t = 1/r, x = √(D/r), u = K
/// is u_t = u_xx + u(1 − u): no parameter is left (Murray 2002, *Mathematical
/// Biology I*, §13.2, eq. 13.5).
#[test]
fn fisher_kpp_in_cell_units_becomes_the_textbook_equation() {
    let m = model("nondim/fisher-kpp-cells.json");
    let given = analyse(&m, &scales(&["t=1/r", "x=sqrt(D/r)", "u=K"])).unwrap();
    let doc = &given.rewritten.document;
    assert_eq!(doc["rates"]["u"], "u * (1 - u)");
    assert_eq!(doc["species"]["u"]["diffusion"], "1");
    assert_eq!(doc["parameters"], Value::Object(Default::default()));
    // T = 20 h, X = 100 µm: the domain [0, 1900] µm is [0, 19], 48 h is 2.4.
    assert_eq!(doc["space"]["x"]["span"], serde_json::json!([0.0, 19.0]));
    assert_eq!(doc["time"]["span"], serde_json::json!([0.0, 2.4]));
    // The automatic choice is the same rescaling.
    let auto = analyse(&m, &[]).unwrap();
    assert_eq!(auto.rewritten.document["rates"], doc["rates"]);
    assert_eq!(
        auto.rewritten.document["nondim"]["scales"],
        doc["nondim"]["scales"]
    );
    // The document is a valid model whose `nondim` section converts back.
    let nd = Model::from_json_str(&doc.to_string(), "nd").unwrap();
    let back = nd.rescaling.unwrap().scales;
    assert_eq!(
        back,
        vec![
            ("t".into(), 20.0),
            ("x".into(), 100.0),
            ("u".into(), 0.0017)
        ]
    );
}

fn parameter_groups(a: &piml_nondim::Analysis) -> Vec<&piml_nondim::Group> {
    a.groups.iter().filter(|g| !g.variable).collect()
}

/// u_t = D u_xx − k u on [0, L] has one group, k L²/D (the Damköhler number;
/// the square of L/λ with λ = √(D/k) the decay length).
#[test]
fn morphogen_has_the_single_group_k_l2_over_d() {
    let m = model("morphogen-1d.json");
    let a = analyse(&m, &[]).unwrap();
    let groups = parameter_groups(&a);
    assert_eq!(groups.len(), 1, "{groups:?}");
    let mut powers = groups[0].powers.clone();
    powers.sort();
    assert_eq!(
        powers,
        vec![("D".into(), -1), ("L_x".into(), 2), ("k".into(), 1)]
    );
    assert!(groups[0].classical.unwrap().starts_with("Damköhler"));
    let r = report(&m, &a).unwrap();
    // k L²/D = 0.1 · 100² / 100.
    assert_eq!(r["groups"][0]["value"], 10.0);
    assert_eq!(a.rewritten.document["rates"]["u"], "-u");
}

/// In the domain's scales, x = L x′ and t = (L²/D) t′, the morphogen model
/// is the textbook u_t = u_xx − Da·u on [0, 1] with Da = k L²/D.
#[test]
fn morphogen_in_domain_scales_has_the_damkohler_number_as_its_parameter() {
    let m = model("morphogen-1d.json");
    let a = analyse(&m, &scales(&["x=L_x", "t=L_x^2/D"])).unwrap();
    let doc = &a.rewritten.document;
    assert_eq!(doc["rates"]["u"], "-(Da * u)");
    assert_eq!(doc["species"]["u"]["diffusion"], "1");
    assert_eq!(doc["space"]["x"]["span"], serde_json::json!([0.0, 1.0]));
    assert_eq!(doc["parameters"]["Da"]["value"], 10.0);
    assert_eq!(doc["nondim"]["parameters"]["Da"]["expr"], "L_x^2 * k / D");
}

/// pint's `pi_theorem` on Fisher–KPP with a front speed v, over r, D, v, L
/// and t, gives r L²/D, r t and v²/(D r) (pint documentation, "Buckingham Pi
/// Theorem"). Ours must span the same groups: equal up to products and powers.
#[test]
fn fisher_kpp_with_a_front_speed_has_pints_groups() {
    let mut doc: Value = serde_json::from_str(
        &std::fs::read_to_string(common::testdata("fisher-kpp-1d.json")).unwrap(),
    )
    .unwrap();
    doc["parameters"]["v"] = serde_json::json!({"value": 2, "units": "um/h"});
    let m = Model::from_json_str(&doc.to_string(), "fisher-v").unwrap();
    let a = analyse(&m, &[]).unwrap();
    let names = ["r", "D", "v", "L_x", "t"];
    let vector = |powers: &[(&str, i64)]| -> Vec<Ratio> {
        names
            .iter()
            .map(|n| Ratio::int(powers.iter().find(|(m, _)| m == n).map_or(0, |(_, p)| *p)))
            .collect()
    };
    let ours: Vec<Vec<Ratio>> = a
        .groups
        .iter()
        .filter(|g| g.powers.iter().all(|(n, _)| names.contains(&n.as_str())))
        .map(|g| {
            let p: Vec<(&str, i64)> = g.powers.iter().map(|(n, p)| (n.as_str(), *p)).collect();
            vector(&p)
        })
        .collect();
    let pint = [
        vector(&[("r", 1), ("L_x", 2), ("D", -1)]),
        vector(&[("r", 1), ("t", 1)]),
        vector(&[("v", 2), ("D", -1), ("r", -1)]),
    ];
    assert_eq!(ours.len(), 3);
    assert_eq!(rank(&ours), 3);
    let mut both = ours.clone();
    both.extend(pint.iter().cloned());
    assert_eq!(
        rank(&both),
        3,
        "pint's groups are products and powers of ours"
    );
    // And they read as pint's: v²/(D r) is named after the Fisher speed.
    let v = a.groups.iter().find(|g| g.around == "v").unwrap();
    assert_eq!(piml_nondim::group_text(&v.powers), "v^2/(r*D)");
    assert!(v.classical.unwrap().contains("Fisher"));
}

fn turing(m: &Model) -> Value {
    let a = analyse(m, &[]).unwrap();
    let r = report(m, &a).unwrap();
    r["turing"][0].clone()
}

/// Schnakenberg a = 0.1, b = 0.9, Du = 1, Dv = 20: the steady state
/// (a + b, b/(a + b)²) = (1, 0.9) satisfies Murray's four conditions, and the
/// fastest mode is k = 0.4867, λ = 12.91, σ = 0.263 (the issue's figures;
/// scipy's bounded minimiser on the same dispersion relation gives
/// k = 0.486664, λ = 12.9107, σ = 0.263158 = 5/19). Tolerances: half a unit
/// of the last published digit.
#[test]
fn schnakenberg_is_turing_unstable_with_the_known_wavelength() {
    let t = turing(&model("schnakenberg-1d.json"));
    let state = &t["state"];
    assert!((state["u"].as_f64().unwrap() - 1.0).abs() < 1e-12);
    assert!((state["v"].as_f64().unwrap() - 0.9).abs() < 1e-12);
    for c in t["conditions"].as_array().unwrap() {
        assert_eq!(c["holds"], true, "{c}");
    }
    assert_eq!(t["turing_unstable"], true);
    let f = &t["fastest"];
    assert!((f["k"].as_f64().unwrap() - 0.4867).abs() < 5e-5, "{f}");
    assert!(
        (f["wavelength"].as_f64().unwrap() - 12.91).abs() < 5e-3,
        "{f}"
    );
    assert!((f["sigma"].as_f64().unwrap() - 0.263).abs() < 5e-4, "{f}");
    // 100/12.91 wavelengths; modes 5..=13 of the periodic line grow (as
    // piml-pde's turing test measures on the grid), the 8th fastest.
    let d = &t["domain"][0];
    assert!((d["wavelengths"].as_f64().unwrap() - 7.7455).abs() < 1e-3);
    assert_eq!(
        d["unstable_modes"],
        serde_json::json!([5, 6, 7, 8, 9, 10, 11, 12, 13])
    );
    assert_eq!(d["fastest_mode"]["n"], 8);
    // The table's maximum is within one grid step of the refined one.
    let table = t["dispersion"].as_array().unwrap();
    let best = table
        .iter()
        .map(|p| p[1].as_f64().unwrap())
        .fold(f64::MIN, f64::max);
    assert!(best <= f["sigma"].as_f64().unwrap() + 1e-15 && best > 0.25);
}

/// Brusselator a = 2, b = 3, Du = 1: (a, b/a) turns Turing-unstable when
/// b > (1 + a√(Du/Dv))², i.e. Dv > 4 + √12 = 7.46 (Murray's condition (iv));
/// stable for Dv = 7, unstable for Dv = 8.
#[test]
fn brusselator_turns_turing_unstable_between_dv_7_and_8() {
    let mut m = model("nondim/brusselator-1d.json");
    for (dv, unstable) in [(7.0, false), (8.0, true)] {
        m.set_parameter("Dv", dv).unwrap();
        let t = turing(&m);
        assert!((t["state"]["u"].as_f64().unwrap() - 2.0).abs() < 1e-12);
        assert!((t["state"]["v"].as_f64().unwrap() - 1.5).abs() < 1e-12);
        assert_eq!(t["turing_unstable"], unstable, "Dv = {dv}: {t}");
        assert_eq!(t["conditions"][3]["holds"], unstable);
        // (2·Dv − 4)² − 16·Dv: −12 at Dv = 7, 16 at Dv = 8.
        let iv = t["conditions"][3]["value"].as_f64().unwrap();
        assert!(
            (iv - if unstable { 16.0 } else { -12.0 }).abs() < 1e-9,
            "{iv}"
        );
    }
}

/// Robertson's kinetics are the classic stiff problem: rates 0.04, 1e4 and
/// 3e7 make the Jacobian's decay rates differ by far more than 1e6 along the
/// solution (Hairer & Wanner 1996, *Solving ODEs II*, §IV.1).
#[test]
fn robertson_is_reported_stiff() {
    let m = model("robertson.json");
    let r = report(&m, &analyse(&m, &[]).unwrap()).unwrap();
    let s = &r["stiffness"];
    assert!(s["ratio"].as_f64().unwrap() >= 1e6, "{}", s["ratio"]);
    assert_eq!(s["recommendation"], "stiff");
    // Its only non-negative steady state with y1 + y2 + y3 = 1 is (0, 0, 1).
    let steady = r["steady_states"].as_array().unwrap();
    assert_eq!(steady.len(), 1, "{steady:?}");
    assert_eq!(
        steady[0]["state"],
        serde_json::json!({"y1": 0.0, "y2": 0.0, "y3": 1.0})
    );
}

/// Lotka–Volterra in 1/α and α/β is u' = u − u v, v' = (δ/β) u v − (γ/α) v
/// (Murray 2002, *Mathematical Biology I*, §3.1, with its two groups), and
/// it is not stiff.
#[test]
fn lotka_volterra_has_two_ratios_and_is_not_stiff() {
    let lv = model("lotka-volterra.json");
    let a = analyse(&lv, &[]).unwrap();
    let groups: Vec<String> = parameter_groups(&a)
        .iter()
        .map(|g| piml_nondim::group_text(&g.powers))
        .collect();
    assert_eq!(groups, vec!["delta/beta", "gamma/alpha"]);
    let r = report(&lv, &a).unwrap();
    assert_eq!(r["stiffness"]["recommendation"], "explicit");
    let doc = &a.rewritten.document;
    assert_eq!(doc["rates"]["prey"], "prey - prey * predator");
}

/// Michaelis–Menten S' = −Vmax S/(Km + S) in Km and Km/Vmax is
/// S' = −S/(1 + S) with the one group S0/Km.
#[test]
fn michaelis_menten_keeps_one_group() {
    let m = model("mm-reduced.json");
    let a = analyse(&m, &[]).unwrap();
    let doc = &a.rewritten.document;
    assert_eq!(doc["rates"]["S"], "-mm(S, 1, 1)");
    assert_eq!(doc["species"]["S"]["initial"], "S0_over_Km");
    assert_eq!(doc["parameters"]["S0_over_Km"]["value"], 5.0);
    assert_eq!(
        doc["conditions"]["low-substrate"]["parameters"]["S0_over_Km"],
        2.5
    );
    // Gaussian noise of the species observable in units of Km = 2 µM.
    assert_eq!(doc["observables"]["S"]["noise"]["sigma"], 0.05);
}

/// An observable that is not a species stays in its own units: the reaction
/// velocity at S′ = 1 (S = Km = 2 µM) is Vmax·Km/(Km + Km) = 0.5 µM/min.
#[test]
fn other_observables_keep_their_units() {
    let mut doc: Value =
        serde_json::from_str(&model("mm-reduced.json").source.to_string()).unwrap();
    doc["observables"]["v"] = serde_json::json!({"expr": "mm(S, Vmax, Km)", "units": "uM/min"});
    let m = Model::from_json_str(&doc.to_string(), "mm-v").unwrap();
    let nd = &analyse(&m, &[]).unwrap().rewritten.document;
    let v = piml_model::expr::parse(nd["observables"]["v"]["expr"].as_str().unwrap()).unwrap();
    assert!(
        (v.eval(&|n| (n == "S").then_some(1.0)) - 0.5).abs() < 1e-15,
        "{v}"
    );
    assert_eq!(nd["observables"]["v"]["units"], "uM/min");
    assert_eq!(nd["observables"]["S"]["units"], "dimensionless");
}

/// On simulate's default grid (128 cells on [0, 100]) Schnakenberg's fastest
/// diffusion mode decays at 4·Dv/h² = 4·20·1.28² = 131.072 per unit time,
/// which over the span of 200 makes the method of lines stiff although the
/// kinetics alone are not.
#[test]
fn diffusion_on_the_default_grid_makes_schnakenberg_stiff() {
    let m = model("schnakenberg-1d.json");
    let r = report(&m, &analyse(&m, &[]).unwrap()).unwrap();
    let s = &r["stiffness"];
    assert!(s["ratio"].as_f64().unwrap() < 10.0);
    let rate = s["diffusion"]["fastest_rate"].as_f64().unwrap();
    assert!((rate - 131.072).abs() < 1e-9, "{rate}");
    assert_eq!(s["recommendation"], "stiff");
    assert!(s["reason"].as_str().unwrap().contains("spectral"));
}
