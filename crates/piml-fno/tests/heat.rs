//! A small operator learns the heat equation's solution operator (a Fourier multiplier, which
//! an FNO with enough modes represents exactly), generalises to held-out initial conditions,
//! transfers across resolutions, and trains to the same bits on 1 and 2 threads.

use piml_fno::{Config, Dataset, Fno, Modes, Settings, Transforms, errors, train};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

const NU: f64 = 0.01;
const T: f64 = 0.1;

/// Random initial conditions Σ_{k=1..6} a_k sin(2πkx + φ_k) + c on n points of [0, 1), and
/// their exact solutions at T: each mode decays by exp(−ν(2πk)²T).
fn heat(samples: usize, n: usize, seed: u64) -> Dataset {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let mut d = Dataset {
        inputs: Vec::new(),
        targets: Vec::new(),
    };
    for _ in 0..samples {
        let c: f64 = rng.random_range(-0.5..0.5);
        let modes: Vec<(f64, f64, f64)> = (1..=6)
            .map(|k| {
                let a: f64 = rng.random_range(-1.0..1.0) / k as f64;
                (k as f64, a, rng.random_range(0.0..std::f64::consts::TAU))
            })
            .collect();
        let field = |decay: bool| -> Vec<f64> {
            (0..n)
                .map(|j| {
                    let x = j as f64 / n as f64;
                    c + modes
                        .iter()
                        .map(|&(k, a, phi)| {
                            let w = std::f64::consts::TAU * k;
                            let f = if decay { (-NU * w * w * T).exp() } else { 1.0 };
                            a * f * (w * x + phi).sin()
                        })
                        .sum::<f64>()
                })
                .collect()
        };
        d.inputs.push(field(false));
        d.targets.push(field(true));
    }
    d
}

fn config() -> Config {
    Config {
        dims: 1,
        in_channels: 1,
        out_channels: 1,
        width: 12,
        modes: Modes { m1: 0, m2: 8 },
        layers: 2,
        projection: 24,
    }
}

fn settings() -> Settings {
    Settings {
        epochs: 60,
        batch: 10,
        lr: 5e-3,
        decay: (0.5, 20),
        test_every: 60,
        seed: 3,
    }
}

fn trained(threads: usize) -> (Fno, f64) {
    let t = Transforms::new(1, 64, config().modes).unwrap();
    let (train_set, test_set) = (heat(200, 64, 1), heat(50, 64, 2));
    let mut fno = Fno::new(config(), 5).unwrap();
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(threads)
        .build()
        .unwrap();
    let history = pool
        .install(|| {
            train(
                &mut fno,
                &t,
                &train_set,
                Some(&test_set),
                &settings(),
                &mut |_| {},
            )
        })
        .unwrap();
    (fno, history.last().unwrap().test.unwrap())
}

fn mean(v: &[f64]) -> f64 {
    v.iter().sum::<f64>() / v.len() as f64
}

#[test]
fn learns_the_heat_operator_and_transfers_across_resolutions() {
    let (fno, test64) = trained(2);
    // The bound for held-out initial conditions.
    assert!(test64 < 1e-2, "held-out relative L2 {test64:.3e}");
    for n in [128, 256] {
        let t = Transforms::new(1, n, config().modes).unwrap();
        let e = mean(&errors(&fno, &t, &heat(50, n, 2)));
        // Same initial conditions on finer grids: the learned modes do not depend on n.
        assert!(
            e < 1.5 * test64,
            "{n} points: {e:.3e} against {test64:.3e} at 64"
        );
    }
}

#[test]
fn one_and_two_threads_train_the_same_weights() {
    let (a, _) = trained(1);
    let (b, _) = trained(2);
    assert!(
        a.params() == b.params(),
        "weights differ between 1 and 2 threads"
    );
}

#[test]
fn weights_files_round_trip() {
    let fno = Fno::new(config(), 9).unwrap();
    let notes = serde_json::json!({"fields": ["u"]});
    let bytes = fno.to_safetensors(&notes).unwrap();
    let (back, n) = Fno::from_safetensors(&bytes).unwrap();
    assert_eq!(back, fno);
    assert_eq!(n, notes);
}
