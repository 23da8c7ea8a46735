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

/// Open (issue 21): Isensee's pre-equilibration finds no steady state (the BDF's Newton
/// iteration fails near t = 3e7 in condition model1_data49).
const OPEN: [&str; 1] = ["Isensee_JCB2018"];

/// At piml's default tolerances (rtol 1e-10, atol 1e-12) every difference was ≤ 5e-5, far
/// below the 1e-3 asked; at atol 1e-8 Fujita's small concentrations were 7e-3 off.
#[test]
fn llh_at_the_published_parameters_matches_amici() {
    let mut failures = Vec::new();
    for (name, want) in references() {
        if OPEN.contains(&name.as_str()) {
            continue;
        }
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
