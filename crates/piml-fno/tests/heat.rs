//! A small operator learns the heat equation's solution operator (a Fourier multiplier, which
//! an FNO with enough modes represents exactly), generalises to held-out initial conditions,
//! transfers across resolutions, trains to the same bits on 1 and 2 threads, and resumes from a
//! checkpoint to the same bits.

use std::cell::Cell;

use piml_fno::{
    Config, Dataset, Ending, Epoch, Fno, Modes, Monitor, Precision, Settings, TrainState,
    Transforms, errors, train, train_from,
};
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
        gelu_twice: false,
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
        precision: Precision::F64,
        checkpoint_every: 0,
    }
}

fn trained(threads: usize, precision: Precision) -> (Fno, f64) {
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
                &Settings {
                    precision,
                    ..settings()
                },
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
    let (fno, test64) = trained(2, Precision::F64);
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
    for precision in [Precision::F64, Precision::F32] {
        let (a, _) = trained(1, precision);
        let (b, _) = trained(2, precision);
        assert!(
            a.params() == b.params(),
            "{precision:?}: weights differ between 1 and 2 threads"
        );
    }
}

#[test]
fn weights_files_round_trip() {
    for gelu_twice in [false, true] {
        let config = Config {
            gelu_twice,
            ..config()
        };
        let fno = Fno::new(config, 9).unwrap();
        let notes = serde_json::json!({"fields": ["u"]});
        let bytes = fno.to_safetensors(&notes).unwrap();
        let (back, n) = Fno::from_safetensors(&bytes).unwrap();
        assert_eq!(back, fno);
        assert_eq!(n, notes);
    }
}

/// 2-D: random fields Σ a sin(2π(kx x + ky y) + φ) on an n × n grid and their heat solutions.
fn heat_2d(samples: usize, n: usize, seed: u64) -> Dataset {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let mut d = Dataset {
        inputs: Vec::new(),
        targets: Vec::new(),
    };
    for _ in 0..samples {
        let modes: Vec<(f64, f64, f64, f64)> = (0..4)
            .map(|_| {
                let kx = rng.random_range(-2i32..=2) as f64;
                let ky = rng.random_range(0i32..=2) as f64;
                (
                    kx,
                    ky,
                    rng.random_range(-1.0..1.0),
                    rng.random_range(0.0..std::f64::consts::TAU),
                )
            })
            .collect();
        let field = |decay: bool| -> Vec<f64> {
            let mut v = Vec::with_capacity(n * n);
            for i in 0..n {
                for j in 0..n {
                    let (x, y) = (i as f64 / n as f64, j as f64 / n as f64);
                    v.push(
                        modes
                            .iter()
                            .map(|&(kx, ky, a, phi)| {
                                let w2 = std::f64::consts::TAU.powi(2) * (kx * kx + ky * ky);
                                let f = if decay { (-NU * w2 * T).exp() } else { 1.0 };
                                let arg = std::f64::consts::TAU * (kx * x + ky * y) + phi;
                                a * f * arg.sin()
                            })
                            .sum(),
                    );
                }
            }
            v
        };
        d.inputs.push(field(false));
        d.targets.push(field(true));
    }
    d
}

#[test]
fn learns_the_two_dimensional_heat_operator() {
    let config = Config {
        dims: 2,
        in_channels: 1,
        out_channels: 1,
        width: 8,
        modes: Modes { m1: 3, m2: 3 },
        layers: 2,
        projection: 16,
        gelu_twice: false,
    };
    let t = Transforms::new(16, 16, config.modes).unwrap();
    let mut fno = Fno::new(config, 4).unwrap();
    let settings = Settings {
        epochs: 40,
        batch: 8,
        lr: 5e-3,
        decay: (0.5, 15),
        test_every: 40,
        seed: 1,
        precision: Precision::F64,
        checkpoint_every: 0,
    };
    let history = train(
        &mut fno,
        &t,
        &heat_2d(80, 16, 1),
        Some(&heat_2d(20, 16, 2)),
        &settings,
        &mut |_| {},
    )
    .unwrap();
    let test = history.last().unwrap().test.unwrap();
    let first = history[0].train;
    // Wavenumbers up to |k| = 2√2 decay by up to e^{−3.2}: a 2-D multiplier the kept corner
    // blocks (|kx| < 3, ky < 3) hold exactly; 40 epochs take the error well below its start.
    assert!(
        test < 5e-2 && test < first / 5.0,
        "held-out {test:.3e}, first epoch {first:.3e}"
    );
}

/// Stops before the batch `at` (epoch, batches done) of a run of three batches an epoch,
/// keeping the state it hands over.
struct Stopper {
    at: (usize, usize),
    /// Batches asked about so far: the monitor is asked before each.
    asked: Cell<usize>,
    saved: Option<TrainState>,
}

impl Stopper {
    fn new(at: (usize, usize)) -> Stopper {
        Stopper {
            at,
            asked: Cell::new(0),
            saved: None,
        }
    }
}

impl Monitor for Stopper {
    fn epoch(&mut self, _: &Epoch) {}

    fn checkpoint(&mut self, state: &TrainState) -> Result<(), piml_fno::Error> {
        self.saved = Some(state.clone());
        Ok(())
    }

    fn stop(&self) -> bool {
        let n = self.asked.replace(self.asked.get() + 1);
        (n / 3 + 1, n % 3) == self.at
    }
}

#[test]
fn a_run_resumed_before_any_batch_ends_with_the_bits_of_an_uninterrupted_one() {
    // 30 samples in batches of 10: three batches an epoch. Stops before the first batch of an
    // epoch (its order drawn as the last one ended) and in the middle of one.
    let data = heat(30, 32, 7);
    let t = Transforms::new(1, 32, config().modes).unwrap();
    let settings = Settings {
        epochs: 4,
        test_every: 2,
        precision: Precision::F32,
        ..settings()
    };
    let mut whole = Fno::new(config(), 5).unwrap();
    let expected = train(&mut whole, &t, &data, Some(&data), &settings, &mut |_| {}).unwrap();
    let bits = |h: &[Epoch]| -> Vec<(usize, u64, Option<u64>, u64)> {
        h.iter()
            .map(|e| {
                let test = e.test.map(f64::to_bits);
                (e.epoch, e.train.to_bits(), test, e.lr.to_bits())
            })
            .collect()
    };
    for at in [(3, 0), (2, 2)] {
        let mut fno = Fno::new(config(), 5).unwrap();
        let mut stopper = Stopper::new(at);
        let ending = train_from(
            &mut fno,
            &t,
            &data,
            Some(&data),
            &settings,
            None,
            &mut stopper,
        )
        .unwrap();
        assert!(
            matches!(ending, Ending::Stopped(p) if (p.epoch, p.batch) == at),
            "{ending:?}"
        );
        // Through JSON, as a checkpoint file holds it, into an operator of other weights.
        let state = TrainState::from_json(&stopper.saved.unwrap().to_json()).unwrap();
        let mut resumed = Fno::new(config(), 99).unwrap();
        let never = &mut Stopper::new((0, 0));
        let ending = train_from(
            &mut resumed,
            &t,
            &data,
            Some(&data),
            &settings,
            Some(state),
            never,
        );
        let Ok(Ending::Finished(history)) = ending else {
            panic!("{at:?}: {ending:?}")
        };
        assert!(resumed.params() == whole.params(), "{at:?}: other weights");
        assert_eq!(bits(&history), bits(&expected), "{at:?}");
    }
}
