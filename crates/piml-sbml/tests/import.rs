//! SBML files of the PEtab conformance suite and of the Benchmark-Models-PEtab collection
//! (testdata/petab, BSD 3-Clause) read into piml models, and simulated against closed forms.

use std::path::{Path, PathBuf};

use piml_model::{Kinetics, Model};
use piml_ode::{Method, OdeSolver};
use piml_sim::solve_kinetics;

fn petab(path: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../testdata/petab")
        .join(path)
}

/// The SBML file of `folder`, imported and read back as a piml model.
fn import(file: &Path) -> Result<Model, String> {
    let text = std::fs::read_to_string(file).unwrap();
    let lowered =
        piml_sbml::import(&text, &file.display().to_string()).map_err(|e| e.to_string())?;
    let model =
        Model::from_json_str(&lowered.document.to_string(), "imported").unwrap_or_else(|e| {
            panic!(
                "{}: the imported model does not read: {e}\n{:#}",
                file.display(),
                lowered.document
            )
        });
    Kinetics::new(&model).unwrap_or_else(|e| panic!("{}: {e}", file.display()));
    Ok(model)
}

fn sbml_in(folder: &Path) -> PathBuf {
    std::fs::read_dir(folder)
        .unwrap()
        .map(|e| e.unwrap().path())
        .find(|p| p.extension().is_some_and(|e| e == "xml"))
        .unwrap_or_else(|| panic!("no SBML file in {}", folder.display()))
}

fn solver() -> OdeSolver {
    OdeSolver::new(Method::Bdf)
        .rtol(1e-10)
        .atol(1e-12)
        .build()
        .unwrap()
}

fn at(model: &Model, species: &str, times: &[f64]) -> Vec<f64> {
    let kinetics = Kinetics::new(model).unwrap();
    let i = model
        .species
        .iter()
        .position(|s| s.name == species)
        .unwrap();
    solve_kinetics(&kinetics, &model.parameter_values(), 0.0, times, &solver())
        .unwrap()
        .species[i]
        .clone()
}

#[test]
fn every_conformance_suite_model_imports() {
    for case in 1..=20 {
        let folder = petab(&format!("test-suite/{case:04}"));
        import(&sbml_in(&folder)).unwrap_or_else(|e| panic!("case {case}: {e}"));
    }
}

/// Case 0001: A ⇌ B by mass action in a compartment of size 1, A(0) = a0 = 1, B(0) = b0 = 0,
/// k1 = 0.8, k2 = 0.6: A(10) as the suite's expected simulation gives it (its tolerance 1e-3;
/// the closed form A = (k2 + k1·e^{-(k1+k2)t})/(k1+k2) agrees to 1e-9).
#[test]
fn conversion_reaction_matches_the_suite_and_the_closed_form() {
    let mut model = import(&sbml_in(&petab("test-suite/0001"))).unwrap();
    for (name, value) in [("a0", 1.0), ("b0", 0.0), ("k1", 0.8), ("k2", 0.6)] {
        model.set_parameter(name, value).unwrap();
    }
    let a = at(&model, "A", &[0.0, 10.0]);
    assert!((a[0] - 1.0).abs() < 1e-12);
    assert!((a[1] - 0.428_571_903_730_696_65).abs() < 1e-8, "{}", a[1]);
    let closed = (0.6 + 0.8 * (-1.4f64 * 10.0).exp()) / 1.4;
    assert!((a[1] - closed).abs() < 1e-9);
}

/// A species counted as a concentration in a compartment of size 2 starts at its amount / 2,
/// and a kinetic law (amount per time) k·A·V changes it by k·A; counted as an amount it
/// starts at the amount.
#[test]
fn concentrations_and_amounts_follow_the_compartment_size() {
    let sbml = |only_substance: bool, law: &str| {
        format!(
            r#"<?xml version="1.0"?>
<sbml xmlns="http://www.sbml.org/sbml/level3/version2/core" level="3" version="2">
 <model id="decay">
  <listOfCompartments><compartment id="V" size="2" constant="true"/></listOfCompartments>
  <listOfSpecies><species id="A" compartment="V" initialAmount="4" hasOnlySubstanceUnits="{only_substance}" boundaryCondition="false" constant="false"/></listOfSpecies>
  <listOfParameters><parameter id="k" value="0.5" constant="true"/></listOfParameters>
  <listOfReactions><reaction id="r" reversible="false">
   <listOfReactants><speciesReference species="A" stoichiometry="1" constant="true"/></listOfReactants>
   <kineticLaw><math xmlns="http://www.w3.org/1998/Math/MathML">{law}</math></kineticLaw>
  </reaction></listOfReactions>
 </model>
</sbml>"#
        )
    };
    let read = |text: &str| {
        let lowered = piml_sbml::import(text, "decay.xml").unwrap();
        Model::from_json_str(&lowered.document.to_string(), "decay").unwrap()
    };
    let times = [0.0, 1.0, 3.0];
    let concentration = read(&sbml(
        false,
        "<apply><times/><ci>k</ci><ci>A</ci><ci>V</ci></apply>",
    ));
    let amount = read(&sbml(true, "<apply><times/><ci>k</ci><ci>A</ci></apply>"));
    for (model, start) in [(concentration, 2.0), (amount, 4.0)] {
        for (t, v) in times.iter().zip(at(&model, "A", &times)) {
            let exact = start * (-0.5 * t).exp();
            assert!((v - exact).abs() < 1e-8 * start, "t = {t}: {v} vs {exact}");
        }
    }
}

/// Every model of the benchmark collection reads, except those with constructs piml does not
/// simulate: each of those is refused naming the element and its id.
#[test]
fn benchmark_models_import_or_name_what_is_not_supported() {
    let refused = [("Smith_BMCSystBiol2013", "event")];
    let mut folders: Vec<PathBuf> = std::fs::read_dir(petab("benchmark"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.is_dir())
        .collect();
    folders.sort();
    assert_eq!(folders.len(), 16);
    for folder in folders {
        let name = folder.file_name().unwrap().to_string_lossy().to_string();
        let result = import(&sbml_in(&folder));
        match refused.iter().find(|(n, _)| *n == name) {
            Some((_, element)) => {
                let err = result.expect_err(&name);
                assert!(err.contains(&format!(": {element}")), "{name}: {err}");
                assert!(err.contains("not supported"), "{name}: {err}");
            }
            None => {
                result.unwrap_or_else(|e| panic!("{name}: {e}"));
            }
        }
    }
}

/// Units carried into the model file: Level 2's built-ins as redefined (time in minutes,
/// substance in µmol, volume in mL, so a concentration is mM), a parameter's own definition
/// (1/min), a compartment's, an amount species' substance, and a kind piml has no dimension for
/// (ampere) left out rather than written wrong; Level 3's defaults named on <model>.
#[test]
fn unit_definitions_become_the_model_units() {
    let document = |text: &str| piml_sbml::import(text, "units.xml").unwrap().document;
    let l2 = document(
        r#"<?xml version="1.0"?>
<sbml xmlns="http://www.sbml.org/sbml/level2/version4" level="2" version="4">
 <model id="units">
  <listOfUnitDefinitions>
   <unitDefinition id="time"><listOfUnits><unit kind="second" multiplier="60"/></listOfUnits></unitDefinition>
   <unitDefinition id="substance"><listOfUnits><unit kind="mole" scale="-6"/></listOfUnits></unitDefinition>
   <unitDefinition id="volume"><listOfUnits><unit kind="litre" scale="-3"/></listOfUnits></unitDefinition>
   <unitDefinition id="per_min"><listOfUnits><unit kind="second" exponent="-1" multiplier="60"/></listOfUnits></unitDefinition>
   <unitDefinition id="current"><listOfUnits><unit kind="ampere"/></listOfUnits></unitDefinition>
  </listOfUnitDefinitions>
  <listOfCompartments><compartment id="cell" size="2"/></listOfCompartments>
  <listOfSpecies>
   <species id="A" compartment="cell" initialConcentration="1"/>
   <species id="B" compartment="cell" initialAmount="0" hasOnlySubstanceUnits="true"/>
  </listOfSpecies>
  <listOfParameters>
   <parameter id="k" value="0.3" units="per_min"/>
   <parameter id="I" value="1" units="current"/>
  </listOfParameters>
  <listOfReactions><reaction id="conversion" reversible="false">
   <listOfReactants><speciesReference species="A"/></listOfReactants>
   <listOfProducts><speciesReference species="B"/></listOfProducts>
   <kineticLaw><math xmlns="http://www.w3.org/1998/Math/MathML">
    <apply><times/><ci>cell</ci><ci>k</ci><ci>A</ci></apply></math></kineticLaw>
  </reaction></listOfReactions>
 </model>
</sbml>"#,
    );
    assert_eq!(l2["time"]["units"], "min");
    assert_eq!(l2["species"]["A"]["units"], "mM");
    assert_eq!(l2["species"]["B"]["units"], "umol");
    assert_eq!(l2["parameters"]["cell"]["units"], "mL");
    assert_eq!(l2["parameters"]["k"]["units"], "1/min");
    assert!(l2["parameters"]["I"].get("units").is_none());
    let model = Model::from_json_str(&l2.to_string(), "units.json").unwrap();
    assert!(piml_model::units::check_units(&model).is_empty());
    let l3 = document(
        r#"<?xml version="1.0"?>
<sbml xmlns="http://www.sbml.org/sbml/level3/version2/core" level="3" version="2">
 <model id="units3" timeUnits="hour" substanceUnits="nanomole" volumeUnits="litre">
  <listOfUnitDefinitions>
   <unitDefinition id="hour"><listOfUnits><unit kind="second" multiplier="3600" exponent="1" scale="0"/></listOfUnits></unitDefinition>
   <unitDefinition id="nanomole"><listOfUnits><unit kind="mole" scale="-9" exponent="1" multiplier="1"/></listOfUnits></unitDefinition>
  </listOfUnitDefinitions>
  <listOfCompartments><compartment id="c" size="1" constant="true" spatialDimensions="3"/></listOfCompartments>
  <listOfSpecies><species id="X" compartment="c" initialConcentration="1" hasOnlySubstanceUnits="false" boundaryCondition="false" constant="false"/></listOfSpecies>
 </model>
</sbml>"#,
    );
    assert_eq!(l3["time"]["units"], "h");
    assert_eq!(l3["species"]["X"]["units"], "nM");
    assert_eq!(l3["parameters"]["c"]["units"], "L");
}
