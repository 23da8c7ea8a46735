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

/// Problems piml refuses, and the element the message must name: Smith uses events; Fujita
/// and Isensee drive their inputs with piecewise formulas, which piml's expression language
/// cannot state yet.
const REFUSED: [(&str, &str); 3] = [
    (
        "Smith_BMCSystBiol2013",
        "event 'insulin_stimulation_end': events are not supported",
    ),
    ("Fujita_SciSignal2010", "piecewise in assignmentRule 'EGF'"),
    ("Isensee_JCB2018", "piecewise in assignmentRule 'Fsk'"),
];

/// AMICI integrates at rtol = atol = 1e-8 and the reference is its value: piml's own
/// integration error at the same tolerances stays far below the 1e-3 asked (seen: ≤ 5e-5).
#[test]
fn llh_at_the_published_parameters_matches_amici() {
    let mut failures = Vec::new();
    for (name, want) in references() {
        let result = Problem::load(&yaml_in(&benchmark(&name)))
            .and_then(|p| p.evaluate(&p.nominal(), &Settings::default()));
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
