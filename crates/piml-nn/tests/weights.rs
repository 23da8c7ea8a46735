//! Safetensors weights files: round trip, damaged files, and (when `PIML_TEST_PYTHON` names a
//! Python with numpy and safetensors) predictions reproduced by an independent numpy reader.

mod common;

use std::fmt::Write;
use std::path::Path;
use std::process::Command;

use piml_nn::{Activation, Architecture, Error, Mlp, OutputTransform};

fn networks() -> Vec<Mlp> {
    let mut out = Vec::new();
    for (seed, act) in Activation::ALL.into_iter().enumerate() {
        let spans = vec![[0.0, 1.9], [-1.0, 48.0]];
        let plain = Architecture::new(spans.clone(), vec![12, 9], 2).activation(act);
        let fancy = Architecture::new(spans, vec![10], 1)
            .activation(act)
            .fourier(4, 1.3)
            .initial_condition(1);
        out.push(Mlp::new(plain, seed as u64).unwrap());
        out.push(Mlp::new(fancy, 10 + seed as u64).unwrap());
    }
    out
}

/// Writes `net.safetensors` and `expected.csv` (columns x0.., u0_k.. when the network has a
/// hard initial condition, then u_k..; full precision) for the Python check.
fn write_check_files(mlp: &Mlp, dir: &Path) {
    let arch = mlp.architecture();
    let pts = common::points(arch, 50, 0.25);
    let u0 = match arch.transform {
        OutputTransform::Identity => None,
        OutputTransform::InitialCondition { time } => Some(common::u0_jets(
            &pts,
            &piml_nn::JetSpec::value(),
            arch.inputs(),
            time,
            arch.outputs,
        )),
    };
    let u = mlp.predict(&pts, u0.as_deref()).unwrap();
    std::fs::write(dir.join("net.safetensors"), mlp.to_safetensors().unwrap()).unwrap();
    let (d, k) = (arch.inputs(), arch.outputs);
    let mut csv = String::new();
    let mut header: Vec<String> = (0..d).map(|i| format!("x{i}")).collect();
    if u0.is_some() {
        header.extend((0..k).map(|o| format!("u0_{o}")));
    }
    header.extend((0..k).map(|o| format!("u_{o}")));
    writeln!(csv, "{}", header.join(",")).unwrap();
    for p in 0..pts.len() / d {
        let mut row: Vec<f64> = pts[p * d..(p + 1) * d].to_vec();
        if let Some(u0) = &u0 {
            row.extend(&u0[p * k..(p + 1) * k]);
        }
        row.extend(&u[p * k..(p + 1) * k]);
        let cells: Vec<String> = row.iter().map(|v| format!("{v:e}")).collect();
        writeln!(csv, "{}", cells.join(",")).unwrap();
    }
    std::fs::write(dir.join("expected.csv"), csv).unwrap();
}

#[test]
fn weights_round_trip_exactly() {
    for mlp in networks() {
        let back = Mlp::from_safetensors(&mlp.to_safetensors().unwrap()).unwrap();
        assert_eq!(back, mlp);
    }
}

#[test]
fn damaged_or_foreign_files_are_rejected() {
    let bytes = networks()[1].to_safetensors().unwrap();
    assert!(matches!(
        Mlp::from_safetensors(&bytes[..bytes.len() - 8]),
        Err(Error::Weights(_))
    ));
    let foreign = safetensors::serialize(
        [(
            "w",
            safetensors::tensor::TensorView::new(safetensors::Dtype::F64, vec![1], &[0u8; 8])
                .unwrap(),
        )],
        None,
    )
    .unwrap();
    let err = Mlp::from_safetensors(&foreign).unwrap_err();
    assert!(err.to_string().contains("not a piml network"), "{err}");
}

#[test]
fn python_reproduces_the_predictions() {
    let dir = tempfile::tempdir().unwrap();
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/python/check_safetensors.py");
    let python = std::env::var_os("PIML_TEST_PYTHON");
    for (i, mlp) in networks().iter().enumerate() {
        let sub = dir.path().join(i.to_string());
        std::fs::create_dir(&sub).unwrap();
        write_check_files(mlp, &sub);
        let Some(python) = &python else { continue };
        let out = Command::new(python)
            .arg(&script)
            .arg(sub.join("net.safetensors"))
            .arg(sub.join("expected.csv"))
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{:?}: {}{}",
            mlp.architecture(),
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
    }
}
