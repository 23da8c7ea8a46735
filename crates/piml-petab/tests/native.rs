//! A PEtab problem as piml's own model file and table (`Problem::to_native`, what `import
//! petab` writes) gives the same log-likelihood through piml-fit as the PEtab evaluation: on
//! every conformance case piml's model file can express (their expected llh within the case's
//! tolerance), and on the benchmark problems (within 1e-6 of the PEtab path). What it cannot
//! express is refused by name.

use std::path::{Path, PathBuf};

use piml_model::Model;
use piml_ode::{Method, OdeSolver};
use piml_petab::{Error, Problem, Settings};

fn testdata(path: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../testdata/petab")
        .join(path)
}

/// −log L through piml's own files at the model file's values.
fn native_llh(problem: &Problem) -> Result<f64, Error> {
    let native = problem.to_native()?;
    let model = Model::from_json_str(&native.model.to_string(), "native.json")
        .expect("the native model reads");
    let data = piml_fit::Dataset::new(&model, &native.table, "native.parquet")
        .expect("the native table reads");
    let solver = OdeSolver::new(Method::Bdf)
        .rtol(1e-10)
        .atol(1e-12)
        .build()
        .unwrap();
    let fit = piml_fit::Problem::new(&model, data, solver).expect("a fitting problem");
    let theta: Vec<f64> = fit.estimated().iter().map(|e| e.value).collect();
    Ok(-fit.evaluate(&theta).expect("evaluates").nll)
}

/// Cases the model file expresses, and what stops the others.
const REFUSED: [(usize, &str); 6] = [
    (5, "to the estimated parameter 'offset_A_c0'"),
    (6, "observableParameters that differ"),
    (9, "pre-equilibration"),
    (10, "pre-equilibration"),
    (17, "pre-equilibration"),
    (18, "pre-equilibration"),
];

#[test]
fn conformance_cases_give_the_same_llh_through_the_model_file() {
    let mut failures = Vec::new();
    for case in 1..=20 {
        let dir = testdata(&format!("test-suite/{case:04}"));
        let problem = Problem::load(&dir.join(format!("_{case:04}.yaml"))).unwrap();
        let want = problem
            .evaluate(&problem.nominal(), &Settings::default(), false)
            .unwrap()
            .log_likelihood;
        let refused: Vec<&str> = REFUSED
            .iter()
            .filter(|(c, _)| *c == case)
            .map(|(_, why)| *why)
            .collect();
        match (native_llh(&problem), refused.as_slice()) {
            (Ok(got), []) if (got - want).abs() <= 1e-6 * want.abs().max(1.0) => {}
            (Ok(got), []) => failures.push(format!("case {case:04}: llh {got} vs {want}")),
            (Ok(_), why) => failures.push(format!("case {case:04}: expressed, expected {why:?}")),
            (Err(e @ Error::Inexpressible { .. }), why)
                if why.iter().any(|w| e.to_string().contains(w)) => {}
            (Err(e), _) => failures.push(format!("case {case:04}: {e}")),
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

/// Benchmark problems and what stops the model file expressing each (None: it does).
const BENCHMARK: [(&str, Option<&str>); 4] = [
    ("Boehm_JProteomeRes2014", None),
    (
        "Zheng_PNAS2012",
        Some("pre-equilibration (condition 'preequilibration')"),
    ),
    (
        "Fujita_SciSignal2010",
        Some("switch at a given time (t = EGF_end)"),
    ),
    ("Elowitz_Nature2000", None),
];

#[test]
fn benchmark_problems_give_the_same_llh_through_the_model_file() {
    let mut failures = Vec::new();
    for (name, refused) in BENCHMARK {
        let problem = Problem::load(&testdata(&format!("benchmark/{name}/{name}.yaml"))).unwrap();
        let want = problem
            .evaluate(&problem.nominal(), &Settings::default(), false)
            .unwrap()
            .log_likelihood;
        match (native_llh(&problem), refused) {
            (Ok(got), None) if (got - want).abs() <= 1e-6 * want.abs().max(1.0) => {}
            (Ok(got), None) => failures.push(format!("{name}: llh {got} vs {want}")),
            (Ok(_), Some(why)) => failures.push(format!("{name}: expressed, expected {why}")),
            (Err(e), Some(why)) if e.to_string().contains(why) => {}
            (Err(e), _) => failures.push(format!("{name}: {e}")),
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}
