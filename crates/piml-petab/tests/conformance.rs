//! The PEtab v1 conformance suite (testdata/petab/test-suite, BSD 3-Clause): every case's
//! log-likelihood, χ² and simulations at the nominal parameters within the case's own
//! tolerances (its `_NNNN_solution.yaml`). Each case reports on its own.

use std::path::{Path, PathBuf};

use piml_petab::{Problem, Settings};
use yaml_rust2::YamlLoader;

fn case_dir(case: usize) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join(format!("../../testdata/petab/test-suite/{case:04}"))
}

fn number(y: &yaml_rust2::Yaml) -> f64 {
    y.as_f64()
        .or_else(|| y.as_i64().map(|v| v as f64))
        .expect("a number")
}

/// Whether `got` is `want` within `tol` (NaN never is).
fn within(got: f64, want: f64, tol: f64) -> bool {
    (got - want).abs() <= tol
}

/// What is wrong with one case, if anything.
fn failure(case: usize) -> Option<String> {
    let dir = case_dir(case);
    let solution = std::fs::read_to_string(dir.join(format!("_{case:04}_solution.yaml"))).unwrap();
    let solution = &YamlLoader::load_from_str(&solution).unwrap()[0];
    let problem = match Problem::load(&dir.join(format!("_{case:04}.yaml"))) {
        Ok(p) => p,
        Err(e) => return Some(format!("case {case:04}: does not load: {e}")),
    };
    let eval = match problem.evaluate(&problem.nominal(), &Settings::default(), false) {
        Ok(e) => e,
        Err(e) => return Some(format!("case {case:04}: does not evaluate: {e}")),
    };
    let mut problems = Vec::new();
    for (what, got, key, tol) in [
        ("llh", eval.log_likelihood, "llh", "tol_llh"),
        ("chi2", eval.chi2, "chi2", "tol_chi2"),
    ] {
        let (want, tol) = (number(&solution[key]), number(&solution[tol]));
        if !within(got, want, tol) {
            problems.push(format!("{what} {got} vs {want} (tolerance {tol})"));
        }
    }
    let tol = number(&solution["tol_simulations"]);
    let simulations = std::fs::read_to_string(dir.join("_simulations.tsv")).unwrap();
    let mut lines = simulations.lines();
    let header: Vec<&str> = lines.next().unwrap().split('\t').collect();
    let column = header.iter().position(|c| *c == "simulation").unwrap();
    for (row, (line, got)) in lines.zip(&eval.simulations).enumerate() {
        let want: f64 = line
            .split('\t')
            .nth(column)
            .unwrap()
            .trim()
            .parse()
            .unwrap();
        if !within(*got, want, tol) {
            problems.push(format!("simulation row {}: {got} vs {want}", row + 1));
        }
    }
    (!problems.is_empty()).then(|| format!("case {case:04}: {}", problems.join("; ")))
}

#[test]
fn every_case_of_the_conformance_suite() {
    let failures: Vec<String> = (1..=20).filter_map(failure).collect();
    assert!(
        failures.is_empty(),
        "{} of 20 cases failed:\n{}",
        failures.len(),
        failures.join("\n")
    );
}
