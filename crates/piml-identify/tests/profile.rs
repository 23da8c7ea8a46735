//! Profile likelihoods: agreement with the Wald interval where the model is
//! linear in its parameters, and Michaelis–Menten designs that do or do not
//! determine Km.

use piml_identify::{
    Data, Measurement, Objective, ProfileClass, estimated_parameters, fisher_information, profiles,
    summarise,
};
use piml_model::{Kinetics, Model};
use piml_ode::{Method, OdeSolver};
use piml_sim::solve_kinetics;

fn solver() -> OdeSolver {
    OdeSolver::new(Method::Auto)
        .rtol(1e-10)
        .atol(1e-12)
        .build()
        .unwrap()
}

/// Measurements of the first observable (= the first species) at `times`:
/// the model's exact values plus a fixed ±`wiggle` pattern (no randomness).
fn data(model: &Model, times: &[f64], wiggle: f64) -> Data {
    let kinetics = Kinetics::new(model).unwrap();
    let exact =
        solve_kinetics(&kinetics, &model.parameter_values(), 0.0, times, &solver()).unwrap();
    Data {
        experiments: vec![None],
        points: times
            .iter()
            .enumerate()
            .map(|(k, &t)| Measurement {
                experiment: 0,
                t,
                observable: 0,
                value: exact.species[0][k] + wiggle * [1.0, -1.0, 0.5][k % 3],
                sigma: None,
            })
            .collect(),
        ignored_columns: Vec::new(),
    }
}

/// y = x0 + a·t is linear in (x0, a): −2 log L is exactly quadratic, so the
/// profile interval is the Wald interval of the Fisher information.
#[test]
fn a_linear_model_gives_the_wald_interval() {
    let model = Model::from_json_str(
        r#"{"species": {"u": {"initial": "x0"}},
            "parameters": {"x0": {"value": 1, "estimate": true}, "a": {"value": 0.5, "estimate": true}},
            "rates": {"u": "a"},
            "observables": {"obs": {"expr": "u", "noise": {"kind": "gaussian", "sigma": 0.1}}}}"#,
        "linear",
    )
    .unwrap();
    let times: Vec<f64> = (1..=10).map(f64::from).collect();
    let design = data(&model, &times, 0.05);
    let (estimated, _) = estimated_parameters(&model);
    let solver = solver();
    let objective = Objective::new(&model, estimated.clone(), &design, &solver).unwrap();
    let points = profiles(&objective, &[0, 1]).unwrap();
    // The Fisher information does not depend on the values in a linear model.
    let fisher = fisher_information(&model, &estimated, &design, &solver).unwrap();
    for i in 0..2 {
        let s = summarise(&points, i, piml_model::Scale::Lin);
        assert_eq!(s.class, ProfileClass::Identifiable);
        let half = 1.959_963_984_540_054 * fisher.stderr[i].unwrap();
        let (lo, hi) = (s.ci95[0].unwrap(), s.ci95[1].unwrap());
        // Interpolating a quadratic linearly between profile points spaced
        // for rises of ~0.4 misplaces the crossing by at most ~1% of the half-width.
        assert!(
            (lo - (s.estimate - half)).abs() < 0.01 * half,
            "{lo} vs {}",
            s.estimate - half
        );
        assert!(
            (hi - (s.estimate + half)).abs() < 0.01 * half,
            "{hi} vs {}",
            s.estimate + half
        );
    }
}

fn michaelis_menten(s0: f64, km: f64) -> Model {
    Model::from_json_str(
        &format!(
            r#"{{"species": {{"S": {{"initial": {s0}}}}},
            "parameters": {{"Vmax": {{"value": 1, "bounds": [0.01, 100], "estimate": true}},
                           "Km": {{"value": {km}, "bounds": [0.01, 100], "estimate": true}}}},
            "rates": {{"S": "-mm(S, Vmax, Km)"}},
            "observables": {{"obs": {{"expr": "S", "noise": {{"kind": "gaussian", "sigma": 0.1}}}}}}}}"#
        ),
        "mm",
    )
    .unwrap()
}

/// Substrate far above Km (S from 100 to 80, Km = 1): the rate is Vmax
/// whatever small Km is, so Km's profile stays open towards 0 while
/// Vmax's closes. Data down through Km (S from 10 to 0, Km = 2) close both.
#[test]
fn michaelis_menten_km_needs_data_near_km() {
    let times: Vec<f64> = (1..=20).map(f64::from).collect();
    let solver = solver();

    let saturated = michaelis_menten(100.0, 1.0);
    let design = data(&saturated, &times, 0.05);
    let (estimated, _) = estimated_parameters(&saturated);
    let objective = Objective::new(&saturated, estimated, &design, &solver).unwrap();
    let points = profiles(&objective, &[0, 1]).unwrap();
    let vmax = summarise(&points, 0, piml_model::Scale::Log);
    let km = summarise(&points, 1, piml_model::Scale::Log);
    assert_eq!(vmax.class, ProfileClass::Identifiable, "{vmax:?}");
    assert_eq!(km.class, ProfileClass::PracticallyNonIdentifiable, "{km:?}");
    assert!(km.ci95[0].is_none(), "{km:?}");

    let spread = michaelis_menten(10.0, 2.0);
    let design = data(&spread, &times, 0.05);
    let (estimated, _) = estimated_parameters(&spread);
    let objective = Objective::new(&spread, estimated, &design, &solver).unwrap();
    let points = profiles(&objective, &[0, 1]).unwrap();
    for i in 0..2 {
        let s = summarise(&points, i, piml_model::Scale::Log);
        assert_eq!(s.class, ProfileClass::Identifiable, "{s:?}");
        // The true values lie inside the 95% intervals of this gentle data.
        let truth = [1.0, 2.0][i];
        assert!(
            s.ci95[0].unwrap() < truth && truth < s.ci95[1].unwrap(),
            "{s:?}"
        );
    }
}

/// Profiles computed one parameter at a time equal those computed together.
#[test]
fn profiles_do_not_depend_on_which_are_computed_together() {
    let model = michaelis_menten(10.0, 2.0);
    let times: Vec<f64> = (1..=10).map(|k| 2.0 * f64::from(k)).collect();
    let design = data(&model, &times, 0.05);
    let (estimated, _) = estimated_parameters(&model);
    let solver = solver();
    let objective = Objective::new(&model, estimated, &design, &solver).unwrap();
    let both = profiles(&objective, &[0, 1]).unwrap();
    let mut apart = profiles(&objective, &[0]).unwrap();
    apart.extend(profiles(&objective, &[1]).unwrap());
    assert_eq!(both, apart);
}
