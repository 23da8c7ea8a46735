//! Profile likelihoods: agreement with the Wald interval where the model is
//! linear in its parameters, and Michaelis–Menten designs that do or do not
//! determine Km.

use piml_fit::Problem;
use piml_identify::{ProfileClass, fisher_information, problem, profiles, summarise};
use piml_io::Table;
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

/// The likelihood of measurements of the observable `obs` (= the first
/// species) at `times`: the model's exact values plus a fixed ±`wiggle`
/// pattern (no randomness).
fn data(model: &Model, times: &[f64], wiggle: f64) -> Problem {
    let kinetics = Kinetics::new(model).unwrap();
    let exact =
        solve_kinetics(&kinetics, &model.parameter_values(), 0.0, times, &solver()).unwrap();
    let mut table = Table::new();
    table.push_f64("t", times.iter().map(|&t| Some(t)).collect());
    table.push_f64(
        "obs",
        (0..times.len())
            .map(|k| Some(exact.species[0][k] + wiggle * [1.0, -1.0, 0.5][k % 3]))
            .collect(),
    );
    problem(model, &table, "data", solver()).unwrap()
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
    let points = profiles(&design, &[0, 1]).unwrap();
    // The Fisher information does not depend on the values in a linear model.
    let fisher = fisher_information(&design).unwrap();
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

    let saturated = michaelis_menten(100.0, 1.0);
    let design = data(&saturated, &times, 0.05);
    let points = profiles(&design, &[0, 1]).unwrap();
    let vmax = summarise(&points, 0, piml_model::Scale::Log);
    let km = summarise(&points, 1, piml_model::Scale::Log);
    assert_eq!(vmax.class, ProfileClass::Identifiable, "{vmax:?}");
    assert_eq!(km.class, ProfileClass::PracticallyNonIdentifiable, "{km:?}");
    assert!(km.ci95[0].is_none(), "{km:?}");

    let spread = michaelis_menten(10.0, 2.0);
    let design = data(&spread, &times, 0.05);
    let points = profiles(&design, &[0, 1]).unwrap();
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
    let both = profiles(&design, &[0, 1]).unwrap();
    let mut apart = profiles(&design, &[0]).unwrap();
    apart.extend(profiles(&design, &[1]).unwrap());
    assert_eq!(both, apart);
}

/// ln y = ln x0 − k·t + ε with σ unknown is a linear regression in
/// (ln x0, k); with σ profiled out, −2 log L rises by n·ln(RSS(k)/RSS_min)
/// and RSS(k) − RSS_min = (k − k̂)²·Sₜₜ (Sₜₜ = Σ(t − t̄)²), so the profile
/// interval is k̂ ± √(RSS_min·(e^{3.84/n} − 1)/Sₜₜ): the lognormal noise model
/// and the profiled sigma of fit-kinetics' likelihood, checked in closed form.
#[test]
fn lognormal_noise_with_unknown_sigma_matches_the_regression_interval() {
    let model = Model::from_json_str(
        r#"{"species": {"u": {"initial": "x0"}},
            "parameters": {"x0": {"value": 2, "estimate": true}, "k": {"value": 0.3, "estimate": true}},
            "rates": {"u": "-k*u"},
            "observables": {"obs": {"expr": "u", "noise": {"kind": "lognormal"}}}}"#,
        "decay",
    )
    .unwrap();
    let times: Vec<f64> = (1..=12).map(f64::from).collect();
    let wiggle = [0.05, -0.05, 0.025];
    let log_y: Vec<f64> = times
        .iter()
        .enumerate()
        .map(|(k, &t)| 2f64.ln() - 0.3 * t + wiggle[k % 3])
        .collect();
    let mut table = Table::new();
    table.push_f64("t", times.iter().map(|&t| Some(t)).collect());
    table.push_f64("obs", log_y.iter().map(|v| Some(v.exp())).collect());
    let design = problem(&model, &table, "data", solver()).unwrap();
    let points = profiles(&design, &[1]).unwrap();
    let s = summarise(&points, 1, piml_model::Scale::Lin);

    let n = times.len() as f64;
    let t_mean = times.iter().sum::<f64>() / n;
    let y_mean = log_y.iter().sum::<f64>() / n;
    let stt: f64 = times.iter().map(|t| (t - t_mean).powi(2)).sum();
    let slope = times
        .iter()
        .zip(&log_y)
        .map(|(t, y)| (t - t_mean) * (y - y_mean))
        .sum::<f64>()
        / stt;
    let rss: f64 = times
        .iter()
        .zip(&log_y)
        .map(|(t, y)| (y - y_mean - slope * (t - t_mean)).powi(2))
        .sum();
    let k_hat = -slope;
    let half = (rss * ((piml_identify::THRESHOLD / n).exp() - 1.0) / stt).sqrt();
    // The optimum to the optimiser's tolerance (1e-12 in −log L ~ 1e-6 standard errors).
    assert!(
        (s.estimate - k_hat).abs() < 1e-4 * half,
        "{} vs {k_hat}",
        s.estimate
    );
    // Linear interpolation between points spaced for rises of ~0.4 of a
    // nearly quadratic curve: within 1% of the half-width.
    let (lo, hi) = (s.ci95[0].unwrap(), s.ci95[1].unwrap());
    assert!(
        (lo - (k_hat - half)).abs() < 0.01 * half,
        "{lo} vs {}",
        k_hat - half
    );
    assert!(
        (hi - (k_hat + half)).abs() < 0.01 * half,
        "{hi} vs {}",
        k_hat + half
    );
}
