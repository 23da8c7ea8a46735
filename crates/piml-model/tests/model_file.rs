//! Reading model files: the documented format, and errors that name the field.

use piml_model::{AxisBoundary, Kinetics, Model, NoiseKind, Scale, SideCondition, Sigma};

/// The example of DESIGN.md, verbatim.
const FISHER: &str = r#"{
  "name": "fisher-kpp",
  "time":  { "units": "h", "span": [0, 48] },
  "space": { "x": { "units": "um", "span": [0, 1900] } },
  "boundary": "neumann",
  "species": {
    "u": { "units": "cells/um^2", "initial": "1e-3*exp(-(x/200)^2)", "diffusion": "D" }
  },
  "parameters": {
    "D": { "value": 500,  "units": "um^2/h", "bounds": [1, 1e4], "estimate": true },
    "r": { "value": 0.05, "units": "1/h",    "bounds": [1e-3, 1], "estimate": true },
    "K": { "value": 1.7e-3, "units": "cells/um^2" }
  },
  "reactions": [
    { "name": "growth", "rate": "r*u*(1-u/K)", "products": { "u": 1 } }
  ],
  "observables": { "u": { "expr": "u", "noise": { "kind": "gaussian", "sigma": 1e-5 } } },
  "conditions": { "low-density": { "initial": { "u": "5e-4*exp(-(x/200)^2)" } } }
}"#;

const MM_FULL: &str = r#"{
  "name": "mm-full",
  "time": {"units": "min", "span": [0, 30]},
  "species": {"E": {"initial": "E0"}, "S": {"initial": 10}, "C": {}, "P": {}},
  "parameters": {"k1": 1.5, "km1": 0.5, "k2": 0.8, "E0": {"value": 0.3, "bounds": [0.01, 1], "estimate": true}},
  "reactions": [
    {"reactants": {"E": 1, "S": 1}, "products": {"C": 1}, "k": "k1"},
    {"reactants": {"C": 1}, "products": {"E": 1, "S": 1}, "k": "km1"},
    {"reactants": {"C": 1}, "products": {"E": 1, "P": 1}, "k": "k2"}
  ],
  "observables": {"S": "S", "total": {"expr": "S + C + P", "noise": {"kind": "proportional", "sigma": "cv"}}}
}"#;

#[test]
fn reads_the_design_example() {
    let m = Model::from_json_str(FISHER, "fisher.json").unwrap();
    assert_eq!(m.name, "fisher-kpp");
    assert_eq!(m.time.as_ref().unwrap().span, Some([0.0, 48.0]));
    assert_eq!(m.space.len(), 1);
    assert_eq!(
        m.boundary,
        vec![AxisBoundary::Sides {
            min: SideCondition::Neumann,
            max: SideCondition::Neumann
        }]
    );
    let d = m.parameter("D").unwrap();
    assert!(d.estimate);
    assert_eq!(d.scale, Scale::Log);
    assert_eq!(m.parameter("K").unwrap().scale, Scale::Lin);
    assert_eq!(
        m.observables[0].noise.as_ref().unwrap().kind,
        NoiseKind::Gaussian
    );
    assert_eq!(
        m.observables[0].noise.as_ref().unwrap().sigma,
        Some(Sigma::Value(1e-5))
    );
    assert_eq!(m.conditions[0].name, "low-density");
    assert_eq!(m.reaction_terms()[0].to_string(), "r * u * (1 - u / K)");
    assert!(
        piml_model::check_units(&m).is_empty(),
        "{:?}",
        piml_model::check_units(&m)
    );
}

#[test]
fn mass_action_reactions_assemble_with_exact_jacobians() {
    let doc = MM_FULL.replace("\"cv\"", "0.05");
    let m = Model::from_json_str(&doc, "mm.json").unwrap();
    let terms: Vec<String> = m.reaction_terms().iter().map(|e| e.to_string()).collect();
    assert_eq!(terms[0], "-(k1 * E * S) + km1 * C + k2 * C");
    assert_eq!(terms[3], "k2 * C");
    let k = Kinetics::new(&m).unwrap();
    let p = m.parameter_values();
    let y = [0.2, 7.0, 0.1, 2.7];
    let n = 4;
    let mut jac = vec![0.0; n * n];
    k.jacobian_y(0.0, &y, &p, &mut jac);
    let mut jp = vec![0.0; n * p.len()];
    k.jacobian_p(0.0, &y, &p, &mut jp);
    let f_at = |y: &[f64], p: &[f64]| {
        let mut f = vec![0.0; n];
        k.rhs(0.0, y, p, &mut f);
        f
    };
    // Mass action is polynomial of degree 2: central differences are exact
    // up to rounding, so 1e-8 is a tight check.
    for j in 0..n {
        let h = 1e-5;
        let (mut yp, mut ym) = (y, y);
        yp[j] += h;
        ym[j] -= h;
        let (fp, fm) = (f_at(&yp, &p), f_at(&ym, &p));
        for i in 0..n {
            assert!((jac[j * n + i] - (fp[i] - fm[i]) / (2.0 * h)).abs() < 1e-8);
        }
    }
    for j in 0..p.len() {
        let h = 1e-5;
        let (mut pp, mut pm) = (p.clone(), p.clone());
        pp[j] += h;
        pm[j] -= h;
        let (fp, fm) = (f_at(&y, &pp), f_at(&y, &pm));
        for i in 0..n {
            assert!((jp[j * n + i] - (fp[i] - fm[i]) / (2.0 * h)).abs() < 1e-8);
        }
    }
    // Initial values depend on the parameter E0, and so does their derivative.
    let mut y0 = vec![0.0; n];
    k.initial(&p, &mut y0);
    assert_eq!(y0, vec![0.3, 10.0, 0.0, 0.0]);
    let mut dy0 = vec![0.0; n * p.len()];
    k.initial_jacobian_p(&p, &mut dy0);
    let e0 = m.parameter_names().iter().position(|n| *n == "E0").unwrap();
    assert_eq!(&dy0[e0 * n..(e0 + 1) * n], &[1.0, 0.0, 0.0, 0.0]);
}

#[test]
fn set_and_conditions_override_the_model() {
    let mut m = Model::from_json_str(FISHER, "f.json").unwrap();
    m.set_parameter("r", 0.1).unwrap();
    assert_eq!(m.parameter("r").unwrap().value, 0.1);
    let err = m.set_parameter("rr", 1.0).unwrap_err().to_string();
    assert!(
        err.contains("unknown parameter 'rr' (did you mean 'r'?)"),
        "{err}"
    );
    let c = m.conditions[0].clone();
    let under = m.under_condition(&c);
    assert_eq!(
        under.species[0].initial.to_string(),
        "0.0005 * exp(-(x / 200)^2)"
    );
}

/// (document with one defect, text the error must contain)
const BAD: &[(&str, &str)] = &[
    ("", "f.json: not valid JSON: the file is empty"),
    (
        "{\"species\": ",
        "f.json: not valid JSON: EOF while parsing",
    ),
    ("[1, 2]", "(document): expected an object, got an array"),
    (
        r#"{"species": {"S": {"initial": 1}}, "rates": {"S": "-k*Sx"}, "parameters": {"k": 1}}"#,
        "rates.S: unknown symbol 'Sx' (did you mean 'S'?)",
    ),
    (
        r#"{"species": {"S": {"initial": 1}}, "rates": {"S": "-k*(S"}, "parameters": {"k": 1}}"#,
        "rates.S: '-k*(S': expected ')', found end of expression at column 6",
    ),
    (
        r#"{"species": {"S": {}}, "rates": {"S": "-S"}, "parameters": {"k": {"value": 5, "bounds": [10, 1]}}}"#,
        "parameters.k.bounds: expected lo < hi, got [10, 1]",
    ),
    (
        r#"{"species": {"S": {}}, "rates": {"S": "-S"}, "parameters": {"k": {"value": 5, "bounds": [1, 2]}}}"#,
        "parameters.k.value: 5 lies outside the bounds [1, 2]",
    ),
    (
        r#"{"species": {"S": {}}, "rates": {"S": "-S"}, "parameters": {"k": {"value": "5"}}}"#,
        "parameters.k.value: expected a number, got a string",
    ),
    (
        r#"{"species": {"S": {}}, "reactions": [{"reactnats": {"S": 1}, "k": 1}]}"#,
        "reactions[0].reactnats: unknown field (did you mean 'reactants'?)",
    ),
    (
        r#"{"species": {"S": {}}, "reactions": [{"reactants": {"Q": 1}, "k": 1}]}"#,
        "reactions[0].reactants.Q: unknown species 'Q'",
    ),
    (
        r#"{"species": {"S": {}}, "reactions": [{"reactants": {"S": 1}}]}"#,
        "reactions[0]: missing 'rate' (or a mass-action constant 'k')",
    ),
    (
        r#"{"species": {"t": {}}, "rates": {"t": "1"}}"#,
        "species.t: 't' is a reserved name",
    ),
    (
        r#"{"space": {"x": {"span": [0, 1]}}, "species": {"y": {}}, "rates": {"y": "1"}}"#,
        "species.y: 'y' is a reserved name: a space coordinate of the model",
    ),
    (
        r#"{"space": {"x": {"span": [0, 1]}}, "species": {"u": {}}, "rates": {"u": "-u"}, "observables": {"x": "u"}}"#,
        "observables.x: 'x' is a reserved name: a space coordinate of the model",
    ),
    (r#"{"species": {}}"#, "species: the model has no species"),
    (
        r#"{"species": {"S": {"initial": "S0*x"}}, "rates": {"S": "-S"}, "parameters": {"S0": 1}}"#,
        "species.S.initial: unknown symbol 'x'",
    ),
    (
        r#"{"species": {"S": {}}, "rates": {"S": "-S"}, "observables": {"o": {"expr": "S", "noise": {"kind": "gausian"}}}}"#,
        "observables.o.noise.kind: unknown noise kind 'gausian' (did you mean 'gaussian'?)",
    ),
    (
        r#"{"species": {"S": {}}, "rates": {"S": "-S"}, "conditions": {"c": {"parameters": {"k": 2}}}}"#,
        "conditions.c.parameters.k: unknown parameter 'k'",
    ),
    (
        r#"{"species": {"S": {}}, "rates": {"S": "-S"}, "boundary": "neumann"}"#,
        "boundary: boundary conditions need a 'space' section",
    ),
    (
        r#"{"space": {"x": {"span": [0, 1]}}, "species": {"u": {"diffusion": 1}}, "rates": {"u": "0"}, "boundary": {"x": {"min": "periodic", "max": "neumann"}}}"#,
        "boundary.x: periodic applies to both sides of an axis or to neither",
    ),
    (
        r#"{"species": {"S": {}}, "rates": {"S": "-S"}, "parameters": {"k": {"value": 1, "bounds": [-1, 2], "scale": "log"}}}"#,
        "parameters.k.scale: a log scale needs positive bounds",
    ),
];

#[test]
fn bad_documents_name_the_field() {
    for (doc, want) in BAD {
        let err = Model::from_json_str(doc, "f.json").unwrap_err();
        assert!(err.is_input_error());
        let msg = err.to_string();
        assert!(
            msg.contains(want),
            "document {doc}\n  gave: {msg}\n  want: {want}"
        );
    }
}

#[test]
fn observables_of_spatial_models_see_the_coordinates() {
    let doc = FISHER.replace(
        r#""observables": { "u": { "expr": "u""#,
        r#""observables": { "w": { "expr": "u * exp(-x/1000)""#,
    );
    let m = Model::from_json_str(&doc, "f.json").unwrap();
    let obs = piml_model::Observation::new(&m);
    let (u, t, x) = ([1e-3, 2e-3], [0.0, 1.0], [0.0, 1000.0]);
    let out = obs.eval_columns(&[&u], &m.parameter_values(), &t, &[&x]);
    assert_eq!(out[0][0], 1e-3);
    assert!((out[0][1] - 2e-3 * (-1.0f64).exp()).abs() < 1e-18);
}

/// The `nondim` section of a dimensionless model: scales as numbers or
/// `{value, expr, units}`, only for columns of the model, positive.
#[test]
fn the_nondim_section_holds_positive_scales_of_columns() {
    let with = |section: &str| {
        format!(
            r#"{{"time": {{"units": "dimensionless"}}, "species": {{"u": {{"initial": 1}}}},
                "rates": {{"u": "-u"}}, "nondim": {section}}}"#
        )
    };
    let m = Model::from_json_str(
        &with(r#"{"scales": {"t": {"value": 20, "expr": "1/r", "units": "h"}, "u": 0.5}, "model": {"name": "d"}}"#),
        "nd",
    )
    .unwrap();
    let r = m.rescaling.unwrap();
    assert_eq!(r.scales, vec![("t".into(), 20.0), ("u".into(), 0.5)]);
    assert_eq!(r.dimensional.unwrap()["name"], "d");
    let err = |section: &str| {
        Model::from_json_str(&with(section), "nd")
            .unwrap_err()
            .to_string()
    };
    assert!(err(r#"{"scales": {"w": 1}}"#).contains("nondim.scales.w: 'w' is not a column"));
    assert!(err(r#"{"scales": {"u": -1}}"#).contains("nondim.scales.u: a scale must be positive"));
    assert!(err(r#"{}"#).contains("nondim: missing 'scales'"));
    // Models without the section have none.
    assert!(
        Model::from_json_str(FISHER, "f")
            .unwrap()
            .rescaling
            .is_none()
    );
}

/// `x` and `y` are coordinates only in a model with space axes (issue 20):
/// Lotka–Volterra as textbooks write it reads and compiles.
#[test]
fn a_kinetic_model_may_name_its_species_x_and_y() {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../testdata/lotka-volterra-xy.json");
    let m = Model::from_file(&path).unwrap();
    let names: Vec<&str> = m.species.iter().map(|s| s.name.as_str()).collect();
    assert_eq!(names, ["x", "y"]);
    let k = Kinetics::new(&m).unwrap();
    let mut f = [0.0; 2];
    k.rhs(0.0, &[10.0, 10.0], &[1.1, 0.4, 0.1, 0.4], &mut f);
    assert_eq!(f, [11.0 - 40.0, 10.0 - 4.0]);
}
