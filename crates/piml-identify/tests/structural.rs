//! The structural test against known results from the identifiability
//! literature (the acceptance cases of issue 8).

use std::path::{Path, PathBuf};

use piml_identify::{CombinationKind, Question, Structural, System, structural};
use piml_model::Model;

fn testdata(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../testdata/identifiability")
        .join(name)
}

fn run(model: &str, question: Question) -> (System, Structural) {
    let model = Model::from_file(&testdata(model)).unwrap();
    let system = System::new(&model, &question).unwrap();
    let result = structural(&system, 1).unwrap();
    (system, result)
}

fn verdict(system: &System, result: &Structural, name: &str) -> bool {
    let j = system
        .unknowns
        .iter()
        .position(|u| u.name == name)
        .unwrap_or_else(|| panic!("no unknown {name}"));
    result.verdicts[j].identifiable
}

fn expressions(result: &Structural, kind: CombinationKind) -> Vec<String> {
    result
        .combinations
        .iter()
        .filter(|c| c.kind == kind)
        .map(|c| c.expression.to_string())
        .collect()
}

/// x1' = a x1 − b x1 x2, x2' = −c x2 + d x1 x2, y = x1: x2 can be rescaled
/// (x2 → λx2, b → b/λ) without changing y, so b and x2(0) are not
/// identifiable but their product is; a, c, d and x1(0) are.
#[test]
fn lotka_volterra_with_the_prey_observed() {
    let (system, result) = run("lotka-volterra.json", Question::default());
    for name in ["a", "c", "d", "x1(0)"] {
        assert!(verdict(&system, &result, name), "{name}");
    }
    for name in ["b", "x2(0)"] {
        assert!(!verdict(&system, &result, name), "{name}");
    }
    assert_eq!(
        expressions(&result, CombinationKind::Product),
        ["b * x2(0)"]
    );
    assert!(expressions(&result, CombinationKind::Sum).is_empty());
    // Five independent functions of six unknowns: one scaling symmetry.
    assert_eq!((result.rank, system.unknowns.len()), (5, 6));
    assert_eq!(result.expressed_functions, result.hidden_functions);
    assert!(result.error_bound < 1e-9, "{}", result.error_bound);
}

/// Bellman & Åström (1970): from y = x0 of the two-compartment model only
/// the coefficients of y'' + (a01 + a12 + a21) y' + a01 a12 y = 0 and the
/// initial data are determined.
#[test]
fn two_compartment_model_observed_in_the_central_compartment() {
    let (system, result) = run("two-compartment.json", Question::default());
    for name in ["a01", "a21", "a12", "x1(0)"] {
        assert!(!verdict(&system, &result, name), "{name}");
    }
    assert!(verdict(&system, &result, "x0(0)"));
    assert_eq!(
        expressions(&result, CombinationKind::Product),
        ["a01 * a12"]
    );
    assert_eq!(
        expressions(&result, CombinationKind::Sum),
        ["a01 + a21 + a12"]
    );
    // s, p and a12·(x0(0) + x1(0)) are identifiable: 3 functions of the 4, 2 expressed.
    assert_eq!(result.hidden_functions, 3);
    assert_eq!(result.expressed_functions, 2);
}

#[test]
fn reduced_michaelis_menten_is_identifiable() {
    let (system, result) = run("mm-reduced.json", Question::default());
    for name in ["Vmax", "Km", "S0"] {
        assert!(verdict(&system, &result, name), "{name}");
    }
    assert!(result.combinations.is_empty());
}

#[test]
fn kcat_and_etot_are_identifiable_only_as_their_product() {
    let (system, result) = run("mm-kcat-etot.json", Question::default());
    for name in ["Km", "S0"] {
        assert!(verdict(&system, &result, name), "{name}");
    }
    for name in ["kcat", "Etot"] {
        assert!(!verdict(&system, &result, name), "{name}");
    }
    assert_eq!(
        expressions(&result, CombinationKind::Product),
        ["kcat * Etot"]
    );
}

/// Knowing x2(0) removes the scaling symmetry of Lotka–Volterra: then b is identifiable.
#[test]
fn a_known_initial_value_can_make_a_parameter_identifiable() {
    let question = Question {
        known_initial: vec!["x2".into()],
        ..Question::default()
    };
    let (system, result) = run("lotka-volterra.json", question);
    assert!(system.unknowns.iter().all(|u| u.name != "x2(0)"));
    assert!(result.verdicts.iter().all(|v| v.identifiable));
}

/// Observing both species of Lotka–Volterra identifies everything.
#[test]
fn more_outputs_identify_more() {
    let model = Model::from_file(&testdata("lotka-volterra.json")).unwrap();
    let question = Question {
        outputs: vec!["x1".into(), "x2".into()],
        ..Question::default()
    };
    let system = System::new(&model, &question).unwrap();
    let result = structural(&system, 3).unwrap();
    assert!(result.verdicts.iter().all(|v| v.identifiable));
}

/// The verdicts do not depend on the random point.
#[test]
fn verdicts_agree_across_seeds() {
    let model = Model::from_file(&testdata("two-compartment.json")).unwrap();
    let system = System::new(&model, &Question::default()).unwrap();
    let first = structural(&system, 0).unwrap();
    for seed in 1..5 {
        let other = structural(&system, seed).unwrap();
        assert_eq!(other.verdicts, first.verdicts);
        assert_eq!(other.combinations, first.combinations);
    }
}

fn inline(text: &str, question: Question) -> (System, Structural) {
    let model = Model::from_json_str(text, "inline").unwrap();
    let system = System::new(&model, &question).unwrap();
    let result = structural(&system, 5).unwrap();
    (system, result)
}

/// HIV with immune response, w and z measured. By hand: xt → μ·xt, yi → μ·yi,
/// v → ν·v, q → μ·q, c → c/μ², lm → μ·lm, beta → beta/ν, k → k·ν/μ leaves
/// both outputs unchanged — a two-parameter scaling group — so exactly the
/// eight unknowns it moves are not identifiable and the rank is 15 − 2.
#[test]
fn hiv_model_has_a_two_parameter_scaling_symmetry() {
    let (system, result) = run("suite/hiv.json", Question::default());
    for name in ["lm", "beta", "k", "c", "q", "xt(0)", "yi(0)", "v(0)"] {
        assert!(!verdict(&system, &result, name), "{name}");
    }
    for name in ["d", "a", "u", "b", "h", "w(0)", "z(0)"] {
        assert!(verdict(&system, &result, name), "{name}");
    }
    assert_eq!(result.rank, 13);
    // Every combination found is invariant under the group: μ and ν exponents cancel.
    let mu = |name: &str| match name {
        "xt(0)" | "yi(0)" | "q" | "lm" => 1,
        "c" => -2,
        "k" => -1,
        _ => 0,
    };
    let nu = |name: &str| match name {
        "v(0)" | "k" => 1,
        "beta" => -1,
        _ => 0,
    };
    for c in &result.combinations {
        assert_eq!(c.kind, CombinationKind::Product);
        let (m, n) = c.terms.iter().fold((0, 0), |(m, n), &(j, e)| {
            let name = &system.unknowns[j].name;
            (m + e * mu(name), n + e * nu(name))
        });
        assert_eq!((m, n), (0, 0), "{}", c.expression);
    }
    assert_eq!(result.expressed_functions, result.hidden_functions);
}

/// x' = −k·t·x: x = x(0)·exp(−k t²/2) shows k and x(0); the equations depend
/// on t, so the order is decided by the margin rule.
#[test]
fn time_dependent_equations() {
    let (_, result) = inline(
        r#"{"species": {"u": {"initial": 2}},
            "parameters": {"k": {"value": 1, "estimate": true}},
            "rates": {"u": "-k*t*u"}}"#,
        Question::default(),
    );
    assert!(result.verdicts.iter().all(|v| v.identifiable));
    let (_, result) = inline(
        r#"{"species": {"u": {"initial": 2}},
            "parameters": {"k": {"value": 1, "estimate": true}, "g": {"value": 1, "estimate": true}},
            "rates": {"u": "-k*g*t*u"}}"#,
        Question::default(),
    );
    assert_eq!(result.rank, 2);
    assert!(matches!(
        result.order_rule,
        piml_identify::OrderRule::Margin(_)
    ));
    let products: Vec<String> = result
        .combinations
        .iter()
        .map(|c| c.expression.to_string())
        .collect();
    assert_eq!(products, ["k * g"]);
}

/// A known initial value of 0 is a fact, not a generic number: x' = −k·x from
/// x(0) = 0 never moves, so k does not even affect the output.
#[test]
fn a_known_zero_start_hides_the_rate() {
    let text = r#"{"species": {"u": {"initial": 0}},
        "parameters": {"k": {"value": 1, "estimate": true}},
        "rates": {"u": "-k*u"}}"#;
    let (_, unknown_start) = inline(text, Question::default());
    assert!(unknown_start.verdicts.iter().all(|v| v.identifiable));
    let known = Question {
        known_initial: vec!["u".into()],
        ..Question::default()
    };
    let (_, result) = inline(text, known);
    assert_eq!(
        result.verdicts,
        [piml_identify::Verdict {
            identifiable: false,
            affects_outputs: false
        }]
    );
}

/// Exponentials of time, states and unknowns become states of their own (z = exp(u),
/// z' = z·du/dt), which changes the equations, not the answer: u' = −a·exp(−k·t)·u from a
/// known start identifies a and k; with a·b in place of a, only the product is; and
/// u' = −k·exp(u) (z = exp(u), z' = −k·z²) identifies k.
#[test]
fn exponentials_become_states_with_the_same_answer() {
    let known = || Question {
        known_initial: vec!["u".into()],
        ..Question::default()
    };
    let (system, result) = inline(
        r#"{"species": {"u": {"initial": 2}},
            "parameters": {"a": {"value": 1, "estimate": true}, "k": {"value": 0.3, "estimate": true}},
            "rates": {"u": "-a*exp(-k*t)*u"}}"#,
        known(),
    );
    assert_eq!(
        system.lifted,
        [("exp1_".to_string(), "exp(-k * t)".to_string())]
    );
    assert_eq!(
        system.initial[1],
        piml_identify::Initial::Known(piml_model::Expr::Num(1.0))
    );
    assert!(result.verdicts.iter().all(|v| v.identifiable));
    let (_, result) = inline(
        r#"{"species": {"u": {"initial": 2}},
            "parameters": {"a": {"value": 1, "estimate": true}, "b": {"value": 2, "estimate": true},
                           "k": {"value": 0.3, "estimate": true}},
            "rates": {"u": "-a*b*exp(-k*t)*u"}}"#,
        known(),
    );
    assert_eq!(result.rank, 2);
    assert_eq!(expressions(&result, CombinationKind::Product), ["a * b"]);
    let (system, result) = inline(
        r#"{"species": {"u": {"initial": 0.5}},
            "parameters": {"k": {"value": 1, "estimate": true}},
            "rates": {"u": "-k*exp(u)"}}"#,
        known(),
    );
    assert_eq!(system.lifted[0].1, "exp(u)");
    assert!(result.verdicts.iter().all(|v| v.identifiable));
}
