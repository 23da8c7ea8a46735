//! Acceptance tests of the fitting library: an independent closed-form fit of
//! Michaelis–Menten, model selection between Hill and Michaelis–Menten,
//! Lotka–Volterra with lognormal noise and estimated initial values, and multistart.

use std::path::{Path, PathBuf};

use nalgebra::{DMatrix, DVector};
use piml_fit::{
    Criteria, Dataset, Method, Problem, Settings, StartResult, minimise, rank, run_starts,
    start_points, summarise,
};
use piml_io::Table;
use piml_model::{Model, NoiseKind};
use piml_ode::{Method as OdeMethod, OdeSolver};
use piml_reference::michaelis_menten_substrate;
use piml_sim::{NoiseChoice, NoiseSpec, Plan, member_rng};

fn testdata(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../testdata")
        .join(name)
}

fn model(name: &str) -> Model {
    Model::from_file(&testdata(name)).unwrap()
}

fn solver(rtol: f64, atol: f64) -> OdeSolver {
    OdeSolver::new(OdeMethod::Auto)
        .rtol(rtol)
        .atol(atol)
        .build()
        .unwrap()
}

fn problem(m: &Model, table: &Table, rtol: f64) -> Problem {
    let data = Dataset::new(m, table, "<test>").unwrap();
    Problem::new(m, data, solver(rtol, rtol * 1e-2)).unwrap()
}

const S0: f64 = 10.0;
const VMAX: f64 = 1.0;
const KM: f64 = 2.0;

/// The MM benchmark problem: S0 = 10, Vmax = 1, Km = 2, t = 1..20, Gaussian
/// noise with known sigma 2% of the true value (the set-up of scipy_mm_fit.py).
fn mm_table() -> (Table, Vec<f64>, Vec<f64>, Vec<f64>) {
    let t: Vec<f64> = (1..=20).map(f64::from).collect();
    let truth: Vec<f64> = t
        .iter()
        .map(|&t| michaelis_menten_substrate(t, S0, VMAX, KM))
        .collect();
    let sigma: Vec<f64> = truth.iter().map(|s| 0.02 * s).collect();
    let mut rng = member_rng(0, 0, 0);
    let y: Vec<f64> = truth
        .iter()
        .zip(&sigma)
        .map(|(f, s)| {
            NoiseSpec {
                kind: NoiseKind::Gaussian,
                sigma: *s,
            }
            .draw(*f, &mut rng)
        })
        .collect();
    let mut table = Table::new();
    table.push_f64("t", t.iter().copied().map(Some).collect());
    table.push_f64("S", y.iter().copied().map(Some).collect());
    table.push_f64("sigma_S", sigma.iter().copied().map(Some).collect());
    (table, t, y, sigma)
}

/// Weighted Gauss–Newton on the Lambert-W closed form S(t) = Km·W(x),
/// ln x = ln(S0/Km) + (S0 − Vmax·t)/Km, with dW/d ln x = W/(1 + W):
/// ∂S/∂Vmax = −t·W/(1+W), ∂S/∂Km = W + Km·W/(1+W)·(−1/Km − (S0 − Vmax·t)/Km²).
/// Returns the estimates and the covariance (JᵀWJ)⁻¹.
fn closed_form_fit(t: &[f64], y: &[f64], sigma: &[f64]) -> (DVector<f64>, DMatrix<f64>) {
    let mut p = DVector::from_vec(vec![VMAX, KM]);
    let mut cov = DMatrix::zeros(2, 2);
    for _ in 0..100 {
        let (vmax, km) = (p[0], p[1]);
        let mut j = DMatrix::zeros(t.len(), 2);
        let mut r = DVector::zeros(t.len());
        for i in 0..t.len() {
            let s = michaelis_menten_substrate(t[i], S0, vmax, km);
            let w = s / km;
            let dw = w / (1.0 + w);
            j[(i, 0)] = -t[i] * dw / sigma[i];
            j[(i, 1)] = (w + km * dw * (-1.0 / km - (S0 - vmax * t[i]) / (km * km))) / sigma[i];
            r[i] = (y[i] - s) / sigma[i];
        }
        let jtj = j.transpose() * &j;
        cov = jtj.clone().try_inverse().unwrap();
        let step = &cov * (j.transpose() * r);
        p += &step;
        if step.amax() < 1e-15 {
            break;
        }
    }
    (p, cov)
}

#[test]
fn michaelis_menten_equals_the_closed_form_fit() {
    let (table, t, y, sigma) = mm_table();
    let (exact, cov) = closed_form_fit(&t, &y, &sigma);
    // rtol 1e-10: the ODE's error moves the estimates by ~1e-10 relative,
    // far inside the 1e-6 asked for.
    let m = model("kinetics/mm-time-course.json");
    let pr = problem(&m, &table, 1e-10);
    for method in [Method::LevenbergMarquardt, Method::Lbfgs] {
        let settings = Settings {
            method,
            ..Settings::default()
        };
        // From the peer's start (0.5, 5), away from the optimum.
        let out = minimise(&pr, &[0.5, 5.0], &settings);
        assert!(out.converged, "{method:?}: {out:?}");
        for i in 0..2 {
            let rel = (out.theta[i] - exact[i]).abs() / exact[i];
            assert!(
                rel < 1e-6,
                "{method:?}: {:?} vs {exact}: {rel:e}",
                out.theta
            );
        }
    }
    let results = run_starts(
        &pr,
        &start_points(&pr, 1, 0).unwrap(),
        0..1,
        &Settings::default(),
        &|_| {},
        &|| false,
    );
    let summary = summarise(&pr, &results).unwrap();
    // The Fisher information of Gaussian noise with known sigma is JᵀWJ; the
    // two Jacobians (ODE sensitivities, closed form) agree to ~1e-9, so 1e-6.
    for (i, name) in ["Vmax", "Km"].iter().enumerate() {
        let se = summary.document["parameters"][name]["stderr"]
            .as_f64()
            .unwrap();
        let gn = cov[(i, i)].sqrt();
        assert!((se - gn).abs() < 1e-6 * gn, "{name}: {se} vs {gn}");
    }
    let rho = summary.document["correlation"]["matrix"][0][1]
        .as_f64()
        .unwrap();
    let gn_rho = cov[(0, 1)] / (cov[(0, 0)] * cov[(1, 1)]).sqrt();
    assert!((rho - gn_rho).abs() < 1e-6, "{rho} vs {gn_rho}");
    // −log L at the optimum: ½χ² + Σ ln σᵢ + n/2·ln 2π with the closed form's χ².
    let chi2: f64 = (0..t.len())
        .map(|i| {
            ((y[i] - michaelis_menten_substrate(t[i], S0, exact[0], exact[1])) / sigma[i]).powi(2)
        })
        .sum();
    let nll = 0.5 * chi2
        + sigma.iter().map(|s| s.ln()).sum::<f64>()
        + 10.0 * (2.0 * std::f64::consts::PI).ln();
    assert!((summary.criteria.minus2_log_likelihood - 2.0 * nll).abs() < 1e-6);
}

#[test]
fn ninety_percent_of_fifty_starts_reach_the_optimum() {
    let (table, ..) = mm_table();
    // mm-reduced.json bounds Vmax and Km to [0.01, 100]: wide enough that some
    // starts use up the substrate before the first measurement.
    let m = model("mm-reduced.json");
    let pr = problem(&m, &table, 1e-8);
    let starts = start_points(&pr, 50, 3).unwrap();
    let results = run_starts(&pr, &starts, 0..50, &Settings::default(), &|_| {}, &|| {
        false
    });
    let summary = summarise(&pr, &results).unwrap();
    let reached = summary.document["starts"]["reached_best"].as_u64().unwrap();
    assert!(
        reached >= 45,
        "{reached} of 50: {:?}",
        summary.document["starts"]
    );
    // Shards of the start list are the same starts.
    let again = run_starts(&pr, &starts, 20..30, &Settings::default(), &|_| {}, &|| {
        false
    });
    assert_eq!(again[..], results[20..30]);
    // Stopped after some starts and run again on the others (a resumed checkpoint): the same
    // results, and each survives its checkpoint's JSON bit for bit.
    let finished = std::sync::atomic::AtomicUsize::new(0);
    let count = |_: &StartResult| {
        finished.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
    };
    // Two threads, so that few starts are under way when the stop comes on a machine of many.
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(2)
        .build()
        .unwrap();
    let first = pool.install(|| {
        run_starts(&pr, &starts, 0..50, &Settings::default(), &count, &|| {
            finished.load(std::sync::atomic::Ordering::SeqCst) >= 5
        })
    });
    assert!(first.len() >= 5 && first.len() < 50, "{}", first.len());
    let rest: Vec<usize> = (0..50)
        .filter(|i| first.iter().all(|r| r.index != *i))
        .collect();
    let mut all = first.clone();
    all.extend(run_starts(
        &pr,
        &starts,
        rest,
        &Settings::default(),
        &|_| {},
        &|| false,
    ));
    all.sort_by_key(|r| r.index);
    // Compared as their JSON, which holds the bits (a failed start's NaN is not equal to itself).
    let bits = |rs: &[StartResult]| rs.iter().map(StartResult::to_json).collect::<Vec<_>>();
    assert_eq!(bits(&all), bits(&results));
    for r in &all {
        let back = StartResult::from_json(&r.to_json()).unwrap();
        assert_eq!(back.to_json(), r.to_json());
    }
}

/// Noisy data from a model: its three conditions, times 0.5..20, 2% proportional noise.
fn simulate(m: &Model, seed: u64) -> Table {
    let plan = Plan {
        model: m,
        conditions: m.conditions.iter().map(Some).collect(),
        times: (1..=40).map(|i| 0.5 * f64::from(i)).collect(),
        inputs: Vec::new(),
        varied: Vec::new(),
        draws: Vec::new(),
        noise: NoiseChoice::Fixed(NoiseSpec {
            kind: NoiseKind::Proportional,
            sigma: 0.02,
        }),
        sparse: None,
        solver: solver(1e-10, 1e-12),
        spatial: None,
        seed,
    };
    plan.run(0..1, &|| {}).unwrap().table
}

fn criteria_of(files: &[&str], table: &Table) -> Vec<Criteria> {
    files
        .iter()
        .map(|f| {
            let m = model(f);
            let pr = problem(&m, table, 1e-8);
            let starts = start_points(&pr, 8, 1).unwrap();
            let results = run_starts(&pr, &starts, 0..8, &Settings::default(), &|_| {}, &|| false);
            summarise(&pr, &results).unwrap().criteria
        })
        .collect()
}

#[test]
fn hill_data_select_hill_and_michaelis_menten_data_do_not() {
    let candidates = ["kinetics/michaelis-menten.json", "kinetics/hill.json"];
    let mut hill = model("kinetics/hill.json");
    hill.set_parameter("n", 2.5).unwrap();
    let c = criteria_of(&candidates, &simulate(&hill, 11));
    assert!(c[1].aic < c[0].aic && c[1].bic < c[0].bic, "{c:?}");
    assert_eq!(rank(&c)[0].model, 1);

    let c = criteria_of(
        &candidates,
        &simulate(&model("kinetics/michaelis-menten.json"), 12),
    );
    assert!(c[0].bic < c[1].bic, "{c:?}");
}

#[test]
fn lotka_volterra_lognormal_recovers_parameters_and_initial_values() {
    let m = model("kinetics/lotka-volterra-initial.json");
    let truth: Vec<f64> = m
        .parameters
        .iter()
        .filter(|p| p.estimate)
        .map(|p| p.value)
        .collect();
    let plan = Plan {
        model: &m,
        conditions: vec![None],
        times: (1..=30).map(f64::from).collect(),
        inputs: Vec::new(),
        varied: Vec::new(),
        draws: Vec::new(),
        noise: NoiseChoice::Fixed(NoiseSpec {
            kind: NoiseKind::Lognormal,
            sigma: 0.1,
        }),
        sparse: None,
        solver: solver(1e-10, 1e-12),
        spatial: None,
        seed: 5,
    };
    let table = plan.run(0..1, &|| {}).unwrap().table;
    let pr = problem(&m, &table, 1e-8);
    // Start away from the truth: every rate ×1.3, initial values ×0.8.
    let start: Vec<f64> = truth
        .iter()
        .enumerate()
        .map(|(i, v)| if i < 4 { v * 1.3 } else { v * 0.8 })
        .collect();
    let results = vec![piml_fit::StartResult {
        index: 0,
        outcome: minimise(&pr, &start, &Settings::default()),
    }];
    let s = summarise(&pr, &results).unwrap();
    assert!(results[0].outcome.converged, "{:?}", results[0].outcome);
    // Each estimate within two standard errors of the value that generated the
    // data (the Wald 95% interval covers it with probability 0.95 each).
    for (e, v) in pr.estimated().iter().zip(&truth) {
        let p = &s.document["parameters"][&e.name];
        let (est, se) = (
            p["estimate"].as_f64().unwrap(),
            p["stderr"].as_f64().unwrap(),
        );
        assert!(
            (est - v).abs() < 2.0 * se,
            "{}: {est} ± {se}, truth {v}",
            e.name
        );
    }
    for name in ["sigma_prey", "sigma_predator"] {
        let p = &s.document["parameters"][name];
        let (est, se) = (
            p["estimate"].as_f64().unwrap(),
            p["stderr"].as_f64().unwrap(),
        );
        assert!((est - 0.1).abs() < 2.0 * se, "{name}: {est} ± {se}");
    }
}

/// The exact gradient (sensitivities, profiled sigmas by the envelope theorem)
/// against central differences of −log L, for every noise kind: Gaussian with
/// a sigma column, proportional, lognormal and log10-normal with profiled sigmas,
/// and initial values as parameters.
#[test]
fn gradients_match_finite_differences() {
    let mm = model("kinetics/michaelis-menten.json");
    let lv = model("kinetics/lotka-volterra-initial.json");
    let lv10 = Model::from_json_str(
        &std::fs::read_to_string(testdata("kinetics/lotka-volterra-initial.json"))
            .unwrap()
            .replace("\"lognormal\"", "\"log10normal\""),
        "lotka-volterra-log10",
    )
    .unwrap();
    assert!(
        lv10.observables
            .iter()
            .all(|o| o.noise.as_ref().unwrap().kind == NoiseKind::Log10normal)
    );
    let lv_data = {
        let plan = Plan {
            model: &lv,
            conditions: vec![None],
            times: (1..=15).map(f64::from).collect(),
            inputs: Vec::new(),
            varied: Vec::new(),
            draws: Vec::new(),
            noise: NoiseChoice::Fixed(NoiseSpec {
                kind: NoiseKind::Lognormal,
                sigma: 0.1,
            }),
            sparse: None,
            solver: solver(1e-10, 1e-12),
            spatial: None,
            seed: 2,
        };
        plan.run(0..1, &|| {}).unwrap().table
    };
    let cases = [
        (
            model("kinetics/mm-time-course.json"),
            mm_table().0,
            vec![0.8, 2.5],
        ),
        (mm.clone(), simulate(&mm, 3), vec![1.2, 1.7]),
        (
            lv10,
            lv_data.clone(),
            vec![1.0, 0.45, 0.09, 0.42, 9.0, 11.0],
        ),
        (lv, lv_data, vec![1.0, 0.45, 0.09, 0.42, 9.0, 11.0]),
    ];
    for (m, table, theta) in cases {
        // rtol 1e-12 keeps the solver's error (~1e-12·|L|) far below the
        // differences' truncation error (h² ~ 1e-10 relative).
        let pr = problem(&m, &table, 1e-12);
        let g = pr.evaluate(&theta).unwrap().gradient;
        for j in 0..theta.len() {
            let h = 1e-5 * theta[j];
            let at = |d: f64| {
                let mut t = theta.clone();
                t[j] += d;
                pr.evaluate(&t).unwrap().nll
            };
            let fd = (at(h) - at(-h)) / (2.0 * h);
            assert!(
                (fd - g[j]).abs() < 1e-5 * g[j].abs().max(1.0),
                "{}: ∂/∂{}: exact {} vs differences {fd}",
                m.name,
                pr.estimated()[j].name,
                g[j]
            );
        }
    }
}
