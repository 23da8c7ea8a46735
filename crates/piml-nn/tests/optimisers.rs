//! Adam against the published rule, L-BFGS through argmin against a closed form, and
//! reproducibility of training across runs and thread counts.

mod common;

use nalgebra::{DMatrix, DVector};
use piml_nn::{
    Activation, Adam, Architecture, Evaluator, JetGrads, JetSpec, Jets, Lbfgs, Mlp, Schedule,
};

#[test]
fn adam_follows_kingma_and_ba_algorithm_1() {
    // f(θ) = ½ Σ aᵢ(θᵢ − cᵢ)², gradient aᵢ(θᵢ − cᵢ); the reference is Algorithm 1 of
    // Kingma & Ba (2015) written out step by step. 37 coordinates: the update's vector loop
    // and its scalar remainder, whichever the CPU's lanes.
    const N: usize = 37;
    let a: Vec<f64> = (0..N)
        .map(|i| [1.0, 10.0, 0.1][i % 3] * (1.0 + i as f64))
        .collect();
    let c: Vec<f64> = (0..N)
        .map(|i| [0.5, -2.0, 3.0][i % 3] + 0.01 * i as f64)
        .collect();
    let grad = |th: &[f64]| (0..N).map(|i| a[i] * (th[i] - c[i])).collect::<Vec<_>>();
    let schedule = Schedule::Step {
        initial: 0.1,
        factor: 0.5,
        steps: 7,
    };
    let mut adam = Adam::new(N, schedule);
    let mut theta = vec![0.0; N];
    let (mut th_ref, mut m, mut v) = (vec![0.0; N], [0.0; N], [0.0; N]);
    let (b1, b2, eps) = (0.9_f64, 0.999_f64, 1e-8);
    for t in 1..=30 {
        let alpha = 0.1 * 0.5_f64.powi((t - 1) / 7);
        let g = grad(&th_ref);
        for i in 0..N {
            m[i] = b1 * m[i] + (1.0 - b1) * g[i];
            v[i] = b2 * v[i] + (1.0 - b2) * g[i] * g[i];
            let m_hat = m[i] / (1.0 - b1.powi(t));
            let v_hat = v[i] / (1.0 - b2.powi(t));
            th_ref[i] -= alpha * m_hat / (v_hat.sqrt() + eps);
        }
        let g = grad(&theta);
        adam.step(&mut theta, &g);
        for i in 0..N {
            assert!(
                (theta[i] - th_ref[i]).abs() <= 1e-15 * th_ref[i].abs().max(1.0),
                "step {t}, θ{i}: {} vs {}",
                theta[i],
                th_ref[i]
            );
        }
    }
    assert_eq!(adam.steps(), 30);
    // The first step moves every coordinate by α against the sign of the gradient.
    let mut adam = Adam::new(N, Schedule::Constant(0.01));
    let mut theta = vec![0.0; N];
    adam.step(&mut theta, &grad(&[0.0; N]));
    for i in 0..N {
        assert!((theta[i] - 0.01 * c[i].signum()).abs() < 1e-9);
    }
}

#[test]
fn schedules_decay_as_documented() {
    let e = Schedule::Exponential {
        initial: 1e-3,
        rate: 0.9,
        steps: 1000,
    };
    assert_eq!(e.rate(0), 1e-3);
    assert!((e.rate(500) - 1e-3 * 0.9_f64.sqrt()).abs() < 1e-18);
    assert!((e.rate(2000) - 1e-3 * 0.81).abs() < 1e-18);
    let s = Schedule::Step {
        initial: 1.0,
        factor: 0.1,
        steps: 10,
    };
    assert_eq!(
        (s.rate(9), s.rate(10), s.rate(25)),
        (1.0, 0.1, 0.1_f64.powi(2))
    );
    assert_eq!(Schedule::Constant(0.2).rate(1_000_000), 0.2);
}

#[test]
fn lbfgs_fits_the_last_layer_to_its_least_squares_solution() {
    // The output is linear in the last layer's weights and bias: u = Hθ with fixed hidden
    // features H, so ½‖Hθ − y‖² has the closed-form minimiser (HᵀH)⁻¹Hᵀy.
    let arch =
        Architecture::new(vec![[0.0, 1.0], [0.0, 2.0]], vec![6], 1).activation(Activation::Sin);
    let mlp = Mlp::new(arch, 11).unwrap();
    let pts = common::points(mlp.architecture(), 60, 0.5);
    let mut ev = Evaluator::new(&mlp, vec![piml_nn::PointSet::new(pts, JetSpec::value())], 0)
        .unwrap()
        .with_block_size(16);
    let n = mlp.n_params();
    let last = n - 7; // 6 weights and a bias
    let mut columns = Vec::new();
    for j in 0..7 {
        let mut p = mlp.params().to_vec();
        p[last..].fill(0.0);
        p[last + j] = 1.0;
        columns.extend(ev.jets(&p, 0).unwrap());
    }
    let h = DMatrix::from_column_slice(60, 7, &columns);
    // Targets near the span of the features, so that the optimum is sharply defined in f64:
    // near it a line search must see the loss fall by ~½gᵀ(HᵀH)⁻¹g, above the rounding
    // noise of the loss, ~‖r‖·ε·|u|·√n. With residuals of 1e-6 that noise (~1e-19) hid the
    // last steps (gradient stuck near 4e-11, relative error 3e-10, depending on rounding
    // luck); residuals of 1e-8 leave two orders of margin.
    let truth = DVector::from_vec(vec![0.5, -1.0, 0.3, 2.0, -0.7, 1.1, 0.2]);
    let ys = &h * truth + DVector::from_fn(60, |p, _| 1e-8 * (17.0 * p as f64).sin());
    let exact = (h.transpose() * &h)
        .cholesky()
        .unwrap()
        .solve(&(h.transpose() * &ys));
    let mse = |jets: &Jets<'_>, djets: &mut JetGrads<'_>, _: &mut [f64]| {
        let mut total = 0.0;
        for p in 0..jets.len() {
            let r = jets.value(p, 0) - ys[jets.start + p];
            total += 0.5 * r * r;
            *djets.value(p, 0) = r;
        }
        total
    };
    let mut full = mlp.params().to_vec();
    full[last..].fill(0.0);
    let mut grad = vec![0.0; n];
    let settings = Lbfgs {
        memory: 10,
        max_iters: 500,
        tol_grad: 1e-11,
        tol_cost: 0.0,
    };
    let result = settings
        .minimize(vec![0.0; 7], |theta, g| {
            full[last..].copy_from_slice(theta);
            let loss = ev.loss_and_gradient(&full, &mse, &mut grad).unwrap();
            g.copy_from_slice(&grad[last..]);
            loss
        })
        .unwrap();
    let err = (DVector::from_vec(result.params.clone()) - &exact).amax() / exact.amax();
    let cond = h.singular_values().max() / h.singular_values().min();
    assert!(
        err < 1e-10,
        "relative error {err:e} (cond {cond:e}) after {result:?}"
    );
    assert!(result.converged, "{result:?}");
    assert!(
        result.evaluations as u64 <= 3 * result.iterations + 5,
        "{result:?}"
    );
}

/// 25 Adam steps of the test loss on three point sets with `threads` threads.
fn train(threads: usize, seed: u64) -> Vec<f64> {
    let arch =
        Architecture::new(vec![[0.0, 1.0], [0.0, 3.0]], vec![16, 16], 1).initial_condition(1);
    let mlp = Mlp::new(arch, seed).unwrap();
    let a = mlp.architecture();
    let sets = vec![
        common::point_set(a, 300, 0.1, JetSpec::new(&[1, 0], &[0]).unwrap()),
        common::point_set(a, 40, 0.7, JetSpec::new(&[0], &[]).unwrap()),
        common::point_set(a, 50, 0.3, JetSpec::value()),
    ];
    let mut ev = Evaluator::new(&mlp, sets, 2).unwrap().with_block_size(32);
    let mut params = mlp.params().to_vec();
    params.extend([1.0, 0.1]);
    let mut grad = vec![0.0; params.len()];
    let mut adam = Adam::new(params.len(), Schedule::Constant(1e-2));
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(threads)
        .build()
        .unwrap();
    pool.install(|| {
        for _ in 0..25 {
            ev.loss_and_gradient(&params, &common::loss, &mut grad)
                .unwrap();
            adam.step(&mut params, &grad);
        }
    });
    params
}

#[test]
fn training_is_reproducible_and_independent_of_the_thread_count() {
    let one = train(1, 5);
    assert_eq!(one, train(1, 5), "same seed, same threads");
    // Each block's gradient has its own buffer and blocks are summed in a fixed order, so
    // the bound is zero: 1 and 2 threads give bitwise identical weights.
    assert_eq!(one, train(2, 5), "1 and 2 threads");
    assert_ne!(one, train(1, 6), "another seed");
}
