//! The forward jets against an independent dual-number evaluation, and the reverse pass
//! against central finite differences, for every activation, 1–3 inputs, with and without
//! Fourier features and the hard initial condition.

mod common;

use common::{architectures, evaluator};
use piml_nn::{Activation, Architecture, Mlp};

#[test]
fn jets_match_dual_numbers() {
    let mut worst: f64 = 0.0;
    for (seed, arch) in architectures().into_iter().enumerate() {
        let mlp = Mlp::new(arch, seed as u64).unwrap();
        let mut ev = evaluator(&mlp);
        let d = mlp.architecture().inputs();
        let k = mlp.architecture().outputs;
        for set in 0..ev.sets().len() {
            let jets = ev.jets(mlp.params(), set).unwrap();
            let spec = ev.sets()[set].spec().clone();
            let ns = spec.streams();
            for (p, x) in ev.sets()[set].points().chunks_exact(d).enumerate() {
                let mut expect = vec![0.0; ns * k];
                for (o, u) in common::reference(&mlp, mlp.params(), x, None)
                    .iter()
                    .enumerate()
                {
                    expect[o] = u.v;
                }
                for (j, &i) in spec.first().iter().enumerate() {
                    let r = common::reference(&mlp, mlp.params(), x, Some(i));
                    for o in 0..k {
                        expect[(1 + j) * k + o] = r[o].d;
                        if let Some(s) = spec.second_stream(i) {
                            expect[s * k + o] = r[o].dd;
                        }
                    }
                }
                for (got, want) in jets[p * ns * k..(p + 1) * ns * k].iter().zip(&expect) {
                    let err = (got - want).abs() / want.abs().max(1e-3);
                    worst = worst.max(err);
                    assert!(err < 1e-8, "{:?}: {got} vs {want}", mlp.architecture());
                }
            }
        }
    }
    assert!(worst < 1e-10, "worst relative jet error {worst:e}");
}

#[test]
fn dual_reference_agrees_with_finite_differences() {
    // Guards the reference itself: its first and second derivatives against central differences.
    let arch = Architecture::new(vec![[0.0, 2.0], [-1.0, 1.0]], vec![6], 1)
        .activation(Activation::Gelu)
        .fourier(2, 0.5)
        .initial_condition(1);
    let mlp = Mlp::new(arch, 3).unwrap();
    let x = [0.7, 0.2];
    let h = 1e-4;
    for i in 0..2 {
        let at = |delta: f64| {
            let mut y = x;
            y[i] += delta;
            common::reference(&mlp, mlp.params(), &y, None)[0].v
        };
        let r = common::reference(&mlp, mlp.params(), &x, Some(i))[0];
        let d1 = (at(h) - at(-h)) / (2.0 * h);
        let d2 = (at(h) - 2.0 * r.v + at(-h)) / (h * h);
        assert!(
            (d1 - r.d).abs() < 1e-7 * (1.0 + r.d.abs()),
            "{d1} vs {}",
            r.d
        );
        assert!(
            (d2 - r.dd).abs() < 1e-5 * (1.0 + r.dd.abs()),
            "{d2} vs {}",
            r.dd
        );
    }
}

#[test]
fn gradient_matches_central_differences() {
    for (seed, arch) in architectures().into_iter().enumerate() {
        let mlp = Mlp::new(arch, 100 + seed as u64).unwrap();
        let mut ev = evaluator(&mlp);
        let mut params = mlp.params().to_vec();
        params.extend([0.9, 0.2]);
        let mut grad = vec![0.0; params.len()];
        ev.loss_and_gradient(&params, &common::loss, &mut grad)
            .unwrap();
        let mut scratch = vec![0.0; params.len()];
        let mut err: f64 = 0.0;
        for i in 0..params.len() {
            let h = 1e-6 * params[i].abs().max(1.0);
            let mut f = |delta: f64| {
                let mut q = params.clone();
                q[i] += delta;
                ev.loss_and_gradient(&q, &common::loss, &mut scratch)
                    .unwrap()
            };
            let fd = (f(h) - f(-h)) / (2.0 * h);
            err = err.max((fd - grad[i]).abs());
        }
        let scale = grad.iter().fold(0.0_f64, |m, g| m.max(g.abs()));
        let rel = err / scale;
        assert!(
            rel < 1e-6,
            "{:?}: relative gradient error {rel:e}",
            mlp.architecture()
        );
    }
}
