//! `import sbml` end to end: a model of the PEtab suite becomes a piml model file, names piml
//! reserves are renamed with a warning, and the bad-input corpus (testdata/bad/sbml) exits 2
//! naming file, line, column and element, writing nothing.

use std::path::{Path, PathBuf};

use piml_testkit::{Dir, bad_cases, check_bad_inputs_of, check_input_kept, run, run_ok};

const BIN: &str = env!("CARGO_BIN_EXE_import");

fn testdata(path: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../testdata")
        .join(path)
}

fn arg(p: &Path) -> &str {
    p.to_str().unwrap()
}

#[test]
fn an_sbml_model_becomes_a_piml_model_file() {
    let dir = Dir::new();
    let out = dir.path("conversion.json");
    run_ok(
        BIN,
        &[
            "sbml",
            arg(&testdata("petab/test-suite/0001/_model.xml")),
            "-o",
            &out,
        ],
    );
    let doc: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&out).unwrap()).unwrap();
    assert_eq!(doc["name"], "conversion_reaction_0");
    assert_eq!(doc["species"]["A"]["initial"], "a0");
    assert_eq!(doc["species"]["B"]["initial"], "b0");
    assert_eq!(
        doc["rates"]["A"],
        "(((-(compartment * k1 * A)) / compartment) + ((compartment * k2 * B) / compartment))"
    );
    assert_eq!(doc["parameters"]["compartment"]["value"], 1.0);
    piml_model::Model::from_file(Path::new(&out)).unwrap();
}

#[test]
fn names_piml_reserves_are_renamed_with_a_warning() {
    let dir = Dir::new();
    let sbml = dir.path("reserved.xml");
    std::fs::write(
        &sbml,
        r#"<?xml version="1.0"?>
<sbml xmlns="http://www.sbml.org/sbml/level2/version4" level="2" version="4">
 <model id="reserved">
  <listOfCompartments><compartment id="cell" size="1"/></listOfCompartments>
  <listOfSpecies><species id="t" compartment="cell" initialConcentration="1"/></listOfSpecies>
  <listOfParameters><parameter id="exp" value="0.3"/></listOfParameters>
  <listOfReactions><reaction id="decay" reversible="false">
   <listOfReactants><speciesReference species="t"/></listOfReactants>
   <kineticLaw><math xmlns="http://www.w3.org/1998/Math/MathML">
    <apply><times/><ci>cell</ci><ci>exp</ci><ci>t</ci></apply></math></kineticLaw>
  </reaction></listOfReactions>
 </model>
</sbml>"#,
    )
    .unwrap();
    let out = dir.path("reserved.json");
    let result = run(BIN, &["sbml", &sbml, "-o", &out]);
    let stderr = String::from_utf8_lossy(&result.stderr);
    assert!(result.status.success(), "{stderr}");
    assert!(
        stderr.contains("'t' is a name piml reserves; the model calls it 't_'"),
        "{stderr}"
    );
    assert!(stderr.contains("'exp' is a name piml reserves; the model calls it 'exp_'"));
    let doc: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&out).unwrap()).unwrap();
    assert_eq!(doc["rates"]["t_"], "((-(cell * exp_ * t_)) / cell)");
}

#[test]
fn bad_sbml_exits_2_naming_file_line_and_element() {
    let bad = testdata("bad/sbml");
    let cases = bad_cases(&bad.join("cases.json"), &bad, &[]);
    assert!(cases.len() >= 20);
    check_bad_inputs_of(BIN, &["sbml"], &cases, &[]);
}

#[test]
fn an_output_that_is_the_sbml_file_is_refused() {
    let dir = Dir::new();
    let sbml = dir.path("m.xml");
    std::fs::copy(testdata("petab/test-suite/0001/_model.xml"), &sbml).unwrap();
    check_input_kept(BIN, &["sbml", &sbml, "-o", &sbml], &sbml);
}

#[test]
fn a_petab_problem_becomes_a_model_file_and_a_table() {
    let dir = Dir::new();
    let folder = dir.path("boehm");
    let yaml = testdata("petab/benchmark/Boehm_JProteomeRes2014/Boehm_JProteomeRes2014.yaml");
    run_ok(BIN, &["petab", arg(&yaml), "-o", &folder]);
    let model = piml_model::Model::from_file(&Path::new(&folder).join("model.json")).unwrap();
    let estimated: Vec<&str> = model
        .parameters
        .iter()
        .filter(|p| p.estimate)
        .map(|p| p.name.as_str())
        .collect();
    // The parameter table estimates nine (the three noise levels among them).
    assert_eq!(estimated.len(), 9, "{estimated:?}");
    assert!(estimated.contains(&"sd_pSTAT5A_rel"));
    let observed: Vec<&str> = model.observables.iter().map(|o| o.name.as_str()).collect();
    assert_eq!(observed, ["pSTAT5A_rel", "pSTAT5B_rel", "rSTAT5A_rel"]);
    let table = piml_io::read_table(&Path::new(&folder).join("data.parquet")).unwrap();
    // 16 times, three observables at each: 48 measurements.
    assert_eq!(table.n_rows(), 16);
    assert_eq!(
        table.column_names(),
        [
            "t",
            "condition",
            "pSTAT5A_rel",
            "pSTAT5B_rel",
            "rSTAT5A_rel"
        ]
    );
    assert_eq!(table.source_model().unwrap().unwrap()["name"], model.name);
}

#[test]
fn a_petab_problem_the_model_file_cannot_say_is_refused_and_nothing_is_made() {
    let dir = Dir::new();
    let folder = dir.path("zheng");
    let yaml = testdata("petab/benchmark/Zheng_PNAS2012/Zheng_PNAS2012.yaml");
    let out = run(BIN, &["petab", arg(&yaml), "-o", &folder]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(
        stderr.contains("cannot say pre-equilibration (condition 'preequilibration')"),
        "{stderr}"
    );
    assert!(!Path::new(&folder).exists());
}
