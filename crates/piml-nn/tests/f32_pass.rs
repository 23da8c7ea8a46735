//! The f32 pass against the f64 pass: output jets, loss and gradient agree to a bound set by
//! f32 rounding, for every activation, 1–3 inputs, with and without Fourier features and the
//! hard initial condition; and the f32 pass is as deterministic as the f64 one.

mod common;

use common::{architectures, evaluator};
use piml_nn::{Architecture, Evaluator, JetSpec, Mlp, Precision};

/// Unit roundoff of f32.
const U: f64 = f32::EPSILON as f64 / 2.0;

/// Error bounds, in units of U, relative to the largest magnitude of the quantity compared
/// (each stream of each output of a set; the loss; the whole gradient).
///
/// Rounding the weights and features to f32 perturbs each a = Wz + b by u·|W||z|, and a
/// product of n terms adds γ_n|W||z| ≈ n·u·|W||z| (Higham 2002, eq. 3.5); the activation and
/// the jet formulas add a few u. Over the three dense layers of these networks (n = 3–11)
/// that is ≈ 40 u before amplification by the layers (‖W‖·|σ′| ≈ 1–2 each at Glorot
/// initialisation) and, for the gradient, the reverse pass through the same products and the
/// sum over a block's ≤ 16 columns. The loss squares residuals e₀j + e₁j² − target that
/// cancel. Measured over these 48 networks: jets 34 u, loss 18 u, gradient 16 u; the bound
/// leaves a factor ≥ 4 for other seeds and architectures.
const BOUND: f64 = 128.0;

#[test]
fn f32_jets_loss_and_gradient_match_f64() {
    let (mut worst_jet, mut worst_loss, mut worst_grad) = (0.0_f64, 0.0_f64, 0.0_f64);
    for (seed, arch) in architectures().into_iter().enumerate() {
        let mlp = Mlp::new(arch, 200 + seed as u64).unwrap();
        let mut ev64 = evaluator(&mlp);
        let mut ev32 = evaluator(&mlp).with_precision(Precision::F32);
        assert_eq!(ev32.precision(), Precision::F32);
        let k = mlp.architecture().outputs;
        for set in 0..ev64.sets().len() {
            let ns = ev64.sets()[set].spec().streams();
            let (j64, j32) = (
                ev64.jets(mlp.params(), set).unwrap(),
                ev32.jets(mlp.params(), set).unwrap(),
            );
            assert_eq!(j64.len(), j32.len());
            // Entry (point, stream, output) is at (p·ns + s)·k + o.
            for so in 0..ns * k {
                let column = |j: &[f64]| {
                    j.iter()
                        .skip(so)
                        .step_by(ns * k)
                        .copied()
                        .collect::<Vec<_>>()
                };
                let (a, b) = (column(&j64), column(&j32));
                let scale = a.iter().fold(0.0_f64, |m, v| m.max(v.abs()));
                for (x, y) in a.iter().zip(&b) {
                    let err = (x - y).abs() / (U * scale);
                    worst_jet = worst_jet.max(err);
                    assert!(err < BOUND, "{:?}: jet {y} vs {x}", mlp.architecture());
                }
            }
        }
        let mut params = mlp.params().to_vec();
        params.extend([0.9, 0.2]);
        let (mut g64, mut g32) = (vec![0.0; params.len()], vec![0.0; params.len()]);
        let l64 = ev64
            .loss_and_gradient(&params, &common::loss, &mut g64)
            .unwrap();
        let l32 = ev32
            .loss_and_gradient(&params, &common::loss, &mut g32)
            .unwrap();
        let err = (l64 - l32).abs() / (U * l64.abs());
        worst_loss = worst_loss.max(err);
        assert!(err < BOUND, "{:?}: loss {l32} vs {l64}", mlp.architecture());
        let scale = g64.iter().fold(0.0_f64, |m, g| m.max(g.abs()));
        for (x, y) in g64.iter().zip(&g32) {
            let err = (x - y).abs() / (U * scale);
            worst_grad = worst_grad.max(err);
            assert!(err < BOUND, "{:?}: gradient {y} vs {x}", mlp.architecture());
        }
    }
    eprintln!("worst: jets {worst_jet:.1} u, loss {worst_loss:.1} u, gradient {worst_grad:.1} u");
    // The pass really runs in f32: f64 would agree to ~1e-9 U.
    assert!(worst_jet > 0.5 && worst_grad > 0.5);
}

/// The inverse Fisher–KPP network of bench/pinn-bench (2-32-32-32-1 tanh) on 300 interior
/// points with u, u_t, u_xx (several chunks) and 50 with u, in f32.
fn fisher_evaluator() -> (Evaluator, Vec<f64>) {
    let arch = Architecture::new(vec![[0.0, 1.0], [0.0, 1.0]], vec![32, 32, 32], 1);
    let mlp = Mlp::new(arch, 5).unwrap();
    let sets = vec![
        common::point_set(
            mlp.architecture(),
            300,
            0.1,
            JetSpec::new(&[0, 1], &[0]).unwrap(),
        ),
        common::point_set(mlp.architecture(), 50, 2.9, JetSpec::value()),
    ];
    let ev = Evaluator::new(&mlp, sets, 2)
        .unwrap()
        .with_precision(Precision::F32);
    let mut params = mlp.params().to_vec();
    params.extend([0.9, 0.2]);
    (ev, params)
}

#[test]
fn f32_results_do_not_depend_on_threads_or_repeats() {
    let run = |threads: usize| {
        let pool = rayon::ThreadPoolBuilder::new()
            .num_threads(threads)
            .build()
            .unwrap();
        let (mut ev, params) = fisher_evaluator();
        let mut grad = vec![0.0; params.len()];
        pool.install(|| {
            let first = ev
                .loss_and_gradient(&params, &common::loss, &mut grad)
                .unwrap();
            let first_grad = grad.clone();
            let again = ev
                .loss_and_gradient(&params, &common::loss, &mut grad)
                .unwrap();
            assert_eq!((first.to_bits(), &first_grad), (again.to_bits(), &grad));
            (
                first.to_bits(),
                grad.iter().map(|g| g.to_bits()).collect::<Vec<_>>(),
            )
        })
    };
    // Chunks are summed in a fixed order in f64 whatever thread ran them: identical bits.
    assert_eq!(run(1), run(2));
}
