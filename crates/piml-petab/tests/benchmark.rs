//! The Benchmark-Models-PEtab collection (testdata/petab/benchmark, BSD 3-Clause): the
//! log-likelihood at each problem's published parameters against AMICI's
//! (benchmark/REFERENCE.tsv), within 1e-3.

use std::path::{Path, PathBuf};

use piml_petab::{Problem, Settings};

fn benchmark(path: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../testdata/petab/benchmark")
        .join(path)
}

fn yaml_in(folder: &Path) -> PathBuf {
    std::fs::read_dir(folder)
        .unwrap()
        .map(|e| e.unwrap().path())
        .find(|p| p.extension().is_some_and(|e| e == "yaml"))
        .unwrap()
}

/// (problem, AMICI's llh at the nominal parameters).
fn references() -> Vec<(String, f64)> {
    std::fs::read_to_string(benchmark("REFERENCE.tsv"))
        .unwrap()
        .lines()
        .skip(1)
        .map(|l| {
            let mut cells = l.split('\t');
            let name = cells.next().unwrap().to_string();
            (name, cells.next().unwrap().parse().unwrap())
        })
        .collect()
}

/// Problems piml refuses, and what the message must name: Smith uses events.
const REFUSED: [(&str, &str); 1] = [(
    "Smith_BMCSystBiol2013",
    "event 'insulin_stimulation_end': events are not supported",
)];

/// At piml's default tolerances (rtol 1e-10, atol 1e-12) every difference was ≤ 5e-5, far
/// below the 1e-3 asked; at atol 1e-8 Fujita's small concentrations were 7e-3 off.
#[test]
fn llh_at_the_published_parameters_matches_amici() {
    let mut failures = Vec::new();
    for (name, want) in references() {
        let result = Problem::load(&yaml_in(&benchmark(&name)))
            .and_then(|p| p.evaluate(&p.nominal(), &Settings::default(), false));
        match (REFUSED.iter().find(|(n, _)| *n == name), result) {
            (None, Ok(e)) if (e.log_likelihood - want).abs() <= 1e-3 => {}
            (None, Ok(e)) => {
                failures.push(format!("{name}: llh {} vs AMICI {want}", e.log_likelihood))
            }
            (None, Err(e)) => failures.push(format!("{name}: {e}")),
            (Some((_, expect)), Err(e)) if e.to_string().contains(expect) => {}
            (Some(_), other) => failures.push(format!("{name}: expected a refusal, got {other:?}")),
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

/// The largest difference between the exact gradient and central differences (step 1e-4
/// of each value), relative to the largest component: integration at rtol 1e-12 leaves the
/// log-likelihood ~1e-10 noisy, so differences in components far below the largest are
/// noise of the differences (at rtol 1e-10 Fujita's and Elowitz's reached 7e-4).
fn gradient_error(problem: &Problem) -> f64 {
    let settings = Settings {
        rtol: 1e-12,
        atol: 1e-14,
        ..Settings::default()
    };
    let llh = |theta: &[f64]| {
        problem
            .evaluate(theta, &settings, false)
            .unwrap()
            .log_likelihood
    };
    let theta = problem.nominal();
    let exact = problem
        .evaluate(&theta, &settings, true)
        .unwrap()
        .gradient
        .unwrap();
    let differences: Vec<f64> = (0..theta.len())
        .map(|j| {
            // Relative to the value: benchmark rate constants of 1e-5 are strongly nonlinear
            // on the scale of an absolute step. At 1e-5 of the value the differences of
            // Fujita's tiny rate constants reach the integration's noise (1.2e-5 of the
            // largest component); at 1e-4 Elowitz's truncation error is 7e-6.
            let h = 1e-4
                * if theta[j] == 0.0 {
                    1e-3
                } else {
                    theta[j].abs()
                };
            let (mut up, mut down) = (theta.clone(), theta.clone());
            up[j] += h;
            down[j] -= h;
            (llh(&up) - llh(&down)) / (2.0 * h)
        })
        .collect();
    let scale = differences.iter().fold(0.0f64, |m, d| m.max(d.abs()));
    exact
        .iter()
        .zip(&differences)
        .map(|(g, d)| (g - d).abs() / scale)
        .fold(0.0, f64::max)
}

/// Forward sensitivities through pre-equilibration, overrides and transformations agree with
/// central differences on the problems the fits use and on the suite's cases with
/// pre-equilibration, log scales and noise parameters.
#[test]
fn gradients_match_central_differences() {
    let suite = |case: &str| {
        Path::new(env!("CARGO_MANIFEST_DIR")).join(format!(
            "../../testdata/petab/test-suite/{case}/_{case}.yaml"
        ))
    };
    let problems: Vec<PathBuf> = [
        "Boehm_JProteomeRes2014",
        "Fujita_SciSignal2010",
        "Zheng_PNAS2012",
        "Elowitz_Nature2000",
    ]
    .iter()
    .map(|n| yaml_in(&benchmark(n)))
    .chain(
        [
            "0004", "0007", "0009", "0010", "0015", "0016", "0017", "0018", "0019",
        ]
        .iter()
        .map(|c| suite(c)),
    )
    .collect();
    let failures: Vec<String> = problems
        .iter()
        .filter_map(|path| {
            let error = gradient_error(&Problem::load(path).unwrap());
            (error > 1e-5).then(|| format!("{}: {error:.2e}", path.display()))
        })
        .collect();
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}
