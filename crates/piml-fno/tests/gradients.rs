//! The operator's batched forward pass against single samples, and its reverse pass against
//! central finite differences, in 1-D and 2-D.

use piml_fno::{Config, Fno, Modes, Tape};

/// Deterministic numbers in (−1, 1).
fn noise(i: usize) -> f64 {
    ((i as f64 * 12.9898).sin() * 43758.5453).fract()
}

fn check(config: Config, n1: usize, n2: usize) {
    let mut fno = Fno::new(config, 7).unwrap();
    // Larger spectral weights than the initialisation, so that the spectral path matters.
    for (i, p) in fno.params_mut().iter_mut().enumerate() {
        *p += 0.2 * noise(i);
    }
    let t = fno.transforms(n1, n2).unwrap();
    let n = t.points();
    // Two samples in one pass: the batched products must keep them apart.
    let u: Vec<Vec<f64>> = (0..2)
        .map(|j| {
            (0..n * config.in_channels)
                .map(|i| noise(1000 + 7919 * j + i))
                .collect()
        })
        .collect();
    let inputs: Vec<&[f64]> = u.iter().map(Vec::as_slice).collect();
    let weights: Vec<f64> = (0..2 * n * config.out_channels)
        .map(|i| noise(5000 + i))
        .collect();
    let mut s = t.scratch();
    let mut tape = Tape::default();
    // L = Σ w·out², a nonlinear functional so that the reverse pass sees a varied gradient.
    let mut loss = |fno: &Fno, tape: &mut Tape| -> f64 {
        fno.forward(&t, &inputs, tape, &mut s);
        tape.output()
            .iter()
            .zip(&weights)
            .map(|(o, w)| w * o * o)
            .sum()
    };
    let l0: f64 = loss(&fno, &mut tape);
    let dout: Vec<f64> = tape
        .output()
        .iter()
        .zip(&weights)
        .map(|(o, w)| 2.0 * w * o)
        .collect();
    let mut grad = vec![0.0; fno.n_params()];
    let mut s2 = t.scratch();
    fno.backward(&t, &mut tape, &dout, &mut grad, &mut s2);
    let n_params = fno.n_params();
    for i in (0..n_params)
        .step_by(n_params / 97 + 1)
        .chain([n_params - 1])
    {
        // h = 1e-6: truncation O(h²) far below the 1e-6 tolerance.
        let h = 1e-6;
        let mut plus = fno.clone();
        plus.params_mut()[i] += h;
        let mut minus = fno.clone();
        minus.params_mut()[i] -= h;
        let fd = (loss(&plus, &mut tape) - loss(&minus, &mut tape)) / (2.0 * h);
        // Rounding in the difference quotient: about ε·|L|/h per evaluation.
        let rounding = 100.0 * f64::EPSILON * l0.abs() / h;
        let scale = fd.abs().max(grad[i].abs());
        assert!(
            (fd - grad[i]).abs() <= 1e-6 * scale + rounding,
            "parameter {i} of {n_params}: reverse pass {} vs central difference {fd}",
            grad[i]
        );
    }
}

/// A batch's outputs are those of its samples passed one by one.
fn batch_equals_single_samples(config: Config, n1: usize, n2: usize) {
    let fno = Fno::new(config, 3).unwrap();
    let t = fno.transforms(n1, n2).unwrap();
    let n = t.points();
    let u: Vec<Vec<f64>> = (0..3)
        .map(|j| {
            (0..n * config.in_channels)
                .map(|i| noise(300 + 1000 * j + i))
                .collect()
        })
        .collect();
    let inputs: Vec<&[f64]> = u.iter().map(Vec::as_slice).collect();
    let mut s = t.scratch();
    let mut batch = Tape::default();
    fno.forward(&t, &inputs, &mut batch, &mut s);
    for (j, sample) in inputs.iter().enumerate() {
        let mut single = Tape::default();
        fno.forward(&t, &[sample], &mut single, &mut s);
        for (a, b) in batch.sample_output(j).iter().zip(single.output()) {
            // The same sums in a different blocking of the products: rounding only.
            assert!(
                (a - b).abs() < 1e-12 * (1.0 + b.abs()),
                "sample {j}: {a} vs {b}"
            );
        }
    }
}

#[test]
fn a_batch_equals_its_samples_one_by_one() {
    batch_equals_single_samples(config_1d(), 1, 16);
    batch_equals_single_samples(config_2d(), 8, 10);
}

fn config_1d() -> Config {
    Config {
        dims: 1,
        in_channels: 2,
        out_channels: 1,
        width: 5,
        modes: Modes { m1: 0, m2: 4 },
        layers: 3,
        projection: 6,
        gelu_twice: false,
    }
}

fn config_2d() -> Config {
    Config {
        dims: 2,
        in_channels: 1,
        out_channels: 2,
        width: 4,
        modes: Modes { m1: 2, m2: 3 },
        layers: 2,
        projection: 5,
        gelu_twice: false,
    }
}

#[test]
fn reverse_pass_matches_central_differences_in_1d() {
    check(config_1d(), 1, 16);
}

#[test]
fn reverse_pass_matches_central_differences_in_2d() {
    check(config_2d(), 8, 10);
}

#[test]
fn reverse_pass_with_gelu_twice_matches_central_differences() {
    check(
        Config {
            gelu_twice: true,
            ..config_1d()
        },
        1,
        16,
    );
}

/// The f32 passes (what training runs) give the f64 output and gradient to f32 accuracy.
#[test]
fn single_precision_passes_agree_with_double_precision() {
    for (config, n1, n2) in [(config_1d(), 1, 16), (config_2d(), 8, 10)] {
        let fno = Fno::new(config, 11).unwrap();
        let single = fno.cast::<f32>();
        let (t, t32) = (
            fno.transforms(n1, n2).unwrap(),
            single.transforms(n1, n2).unwrap(),
        );
        let n = t.points();
        let u: Vec<f64> = (0..n * config.in_channels).map(|i| noise(40 + i)).collect();
        let u32: Vec<f32> = u.iter().map(|&v| v as f32).collect();
        let (mut tape, mut tape32) = (Tape::default(), Tape::<f32>::default());
        fno.forward(&t, &[&u], &mut tape, &mut t.scratch());
        single.forward(&t32, &[&u32], &mut tape32, &mut t32.scratch());
        let dout: Vec<f64> = (0..tape.output().len()).map(|i| noise(90 + i)).collect();
        let dout32: Vec<f32> = dout.iter().map(|&v| v as f32).collect();
        let mut grad = vec![0.0; fno.n_params()];
        let mut grad32 = vec![0.0f32; fno.n_params()];
        fno.backward(&t, &mut tape, &dout, &mut grad, &mut t.scratch());
        single.backward(&t32, &mut tape32, &dout32, &mut grad32, &mut t32.scratch());
        // Rounding of the weights and inputs to f32 (relative 6e-8) and of every product and
        // transform (sums of at most a few hundred terms) stays far below 1e-4 of each
        // vector's largest entry.
        let close = |a: &[f64], b: &[f32], what: &str| {
            let scale = a.iter().fold(0.0f64, |m, v| m.max(v.abs()));
            for (i, (x, &y)) in a.iter().zip(b).enumerate() {
                assert!(
                    (x - y as f64).abs() <= 1e-4 * scale,
                    "{what} {i}: f64 {x} vs f32 {y}"
                );
            }
        };
        close(tape.output(), tape32.output(), "output");
        close(&grad, &grad32, "gradient");
    }
}
