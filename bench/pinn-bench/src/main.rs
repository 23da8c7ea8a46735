//! `pinn-bench`: the loss and gradient of the inverse Fisher–KPP PINN of
//! ../shared/peers/deepxde_fisher_inverse.py (net 2-32-32-32-1 tanh; 2000
//! interior points with u, u_t, u_xx; 100 boundary points with u_x; 100
//! initial and 176 data points with u; unknowns D and k) timed with piml-nn.
//! It writes the points and the network it used to `--out`, so that
//! bench/peers/pinn_torch.py evaluates the very same loss in PyTorch, and
//! prints one JSON line per precision of the pass and thread count, plus the
//! f64 and f32 GEMM peaks of this machine.

use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Instant;

use anyhow::{Context, Result};
use clap::Parser;
use nalgebra::{DMatrix, RealField};
use piml_nn::{
    Adam, Architecture, Evaluator, JetGrads, JetSpec, Jets, Mlp, PointSet, Precision, Schedule,
};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

#[derive(Debug, Parser)]
#[command(name = "pinn-bench", version)]
struct Args {
    /// Directory for the points (points.csv) and the network (net.safetensors)
    #[arg(long)]
    out: PathBuf,
    /// Thread counts to time
    #[arg(long, value_delimiter = ',', default_value = "1,2")]
    threads: Vec<usize>,
    /// Precisions of the network pass to time (f64, f32)
    #[arg(long, value_delimiter = ',', default_value = "f64,f32", value_parser = parse_precision)]
    precision: Vec<Precision>,
    /// Time each case for at least this long
    #[arg(long, default_value_t = 2.0)]
    min_seconds: f64,
    /// Points per block of the evaluator
    #[arg(long, default_value_t = piml_nn::DEFAULT_BLOCK_SIZE)]
    block_size: usize,
}

const SETS: [(&str, usize); 4] = [
    ("interior", 2000),
    ("boundary", 100),
    ("initial", 100),
    ("data", 176),
];
/// The unknowns' starting values, as in the DeepXDE script.
const EXTRA: [f64; 2] = [0.1, 0.5];

fn u0(x: f64) -> f64 {
    0.5 * (1.0 - ((x - 0.25) / 0.05).tanh())
}

/// Points (x, t) of each set and the targets of the initial and data sets.
fn points(rng: &mut ChaCha8Rng) -> Vec<(Vec<f64>, Vec<f64>)> {
    let interior: Vec<f64> = (0..2000)
        .flat_map(|_| [rng.random::<f64>(), rng.random::<f64>()])
        .collect();
    let boundary: Vec<f64> = (0..100)
        .flat_map(|i| [(i % 2) as f64, rng.random::<f64>()])
        .collect();
    let initial: Vec<f64> = (0..100).flat_map(|_| [rng.random::<f64>(), 0.0]).collect();
    let data: Vec<f64> = (0..11)
        .flat_map(|j| (0..16).flat_map(move |i| [i as f64 / 15.0, j as f64 / 10.0]))
        .collect();
    // Data targets: the initial profile carried along (values only matter for the loss value).
    let target = |p: &[f64]| p.chunks(2).map(|q| u0(q[0])).collect::<Vec<f64>>();
    vec![
        (interior, vec![]),
        (boundary, vec![]),
        (initial.clone(), target(&initial)),
        (data.clone(), target(&data)),
    ]
}

/// L = mean r² + mean u_x² + mean (u − u0)² + mean (u − d)², r = u_t − D u_xx − k u(1 − u).
fn loss(
    targets: &[Vec<f64>],
    jets: &Jets<'_>,
    grads: &mut JetGrads<'_>,
    dextra: &mut [f64],
) -> f64 {
    let n = SETS[jets.set].1 as f64;
    let (d, k) = (jets.extra[0], jets.extra[1]);
    let mut total = 0.0;
    for p in 0..jets.len() {
        let u = jets.value(p, 0);
        match jets.set {
            0 => {
                let (ut, uxx) = (jets.first(1, p, 0), jets.second(0, p, 0));
                let r = ut - d * uxx - k * u * (1.0 - u);
                total += r * r / n;
                let g = 2.0 * r / n;
                *grads.first(1, p, 0) += g;
                *grads.second(0, p, 0) += -d * g;
                *grads.value(p, 0) += -k * (1.0 - 2.0 * u) * g;
                dextra[0] += -uxx * g;
                dextra[1] += -u * (1.0 - u) * g;
            }
            1 => {
                let ux = jets.first(0, p, 0);
                total += ux * ux / n;
                *grads.first(0, p, 0) += 2.0 * ux / n;
            }
            s => {
                let e = u - targets[s][jets.start + p];
                total += e * e / n;
                *grads.value(p, 0) += 2.0 * e / n;
            }
        }
    }
    total
}

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(f64::total_cmp);
    v[v.len() / 2]
}

/// Times `f` until `min_seconds` passed (at least 10 runs); the median.
fn time(min_seconds: f64, mut f: impl FnMut()) -> (f64, usize) {
    f();
    let (mut samples, start) = (Vec::new(), Instant::now());
    while samples.len() < 10 || start.elapsed().as_secs_f64() < min_seconds {
        let t = Instant::now();
        f();
        samples.push(t.elapsed().as_secs_f64());
    }
    let n = samples.len();
    (median(samples), n)
}

fn parse_precision(name: &str) -> Result<Precision, String> {
    Precision::parse(name).ok_or_else(|| format!("unknown precision {name:?} (f64 or f32)"))
}

/// GFLOP/s of [4096×64]·[64×64] in T on one thread (nalgebra calling matrixmultiply): the
/// GEMM peak at the layer shapes of a PINN block, and its repeats.
fn gemm_peak<T: RealField + Copy>(min_seconds: f64) -> (f64, usize) {
    let (a, b) = (
        DMatrix::<T>::from_fn(4096, 64, |i, j| {
            nalgebra::convert(((i * 7 + j) % 13) as f64)
        }),
        DMatrix::<T>::identity(64, 64),
    );
    let mut c = DMatrix::<T>::zeros(4096, 64);
    let (one, zero) = (nalgebra::one::<T>(), nalgebra::zero::<T>());
    let (seconds, repeats) = time(min_seconds, || c.gemm(one, &a, &b, zero));
    (2.0 * 4096.0 * 64.0 * 64.0 / seconds / 1e9, repeats)
}

fn main() -> ExitCode {
    piml_cli::main_with(piml_cli::errors![piml_nn::Error], || run(Args::parse()))
}

fn run(args: Args) -> Result<()> {
    std::fs::create_dir_all(&args.out)
        .with_context(|| format!("creating {}", args.out.display()))?;
    let arch = Architecture::new(vec![[0.0, 1.0], [0.0, 1.0]], vec![32, 32, 32], 1);
    let mlp = Mlp::new(arch, 0)?;
    let sets = points(&mut ChaCha8Rng::seed_from_u64(1));
    let specs = [
        JetSpec::new(&[0, 1], &[0])?,
        JetSpec::new(&[0], &[])?,
        JetSpec::value(),
        JetSpec::value(),
    ];
    let mut csv = String::from("set,x,t,target\n");
    for ((name, _), (p, target)) in SETS.iter().zip(&sets) {
        for (i, q) in p.chunks(2).enumerate() {
            csv += &format!(
                "{name},{:e},{:e},{:e}\n",
                q[0],
                q[1],
                target.get(i).copied().unwrap_or(f64::NAN)
            );
        }
    }
    std::fs::write(args.out.join("points.csv"), csv)?;
    std::fs::write(args.out.join("net.safetensors"), mlp.to_safetensors()?)?;

    let targets: Vec<Vec<f64>> = sets.iter().map(|(_, t)| t.clone()).collect();
    let point_sets: Vec<PointSet> = sets
        .into_iter()
        .zip(specs)
        .map(|((p, _), spec)| PointSet::new(p, spec))
        .collect();
    // Multiply-adds of one evaluation: every stream of every point goes
    // forward through each layer, and back through it twice (input and weight
    // gradients) except for the first layer's input gradient.
    let columns: usize = point_sets
        .iter()
        .map(|s| s.points().len() / 2 * s.spec().streams())
        .sum();
    let shapes = mlp.layer_shapes();
    let forward: usize = shapes.iter().map(|(o, i)| o * i).sum();
    let macs = columns * (3 * forward - shapes[0].0 * shapes[0].1);

    let mut params = mlp.params().to_vec();
    params.extend(EXTRA);
    let targets: &[Vec<f64>] = &targets;
    let fisher = |j: &Jets<'_>, g: &mut JetGrads<'_>, e: &mut [f64]| loss(targets, j, g, e);
    // The f64 loss and gradient, against which the f32 pass's are reported.
    let mut reference = vec![0.0; params.len()];
    let reference_loss = Evaluator::new(&mlp, point_sets.clone(), EXTRA.len())?
        .with_block_size(args.block_size)
        .loss_and_gradient(&params, &fisher, &mut reference)?;
    let reference_scale = reference.iter().fold(0.0_f64, |m, g| m.max(g.abs()));
    let mut out = std::io::stdout().lock();
    for &precision in &args.precision {
        for &threads in &args.threads {
            let pool = rayon::ThreadPoolBuilder::new()
                .num_threads(threads)
                .build()?;
            let mut evaluator = Evaluator::new(&mlp, point_sets.clone(), EXTRA.len())?
                .with_block_size(args.block_size)
                .with_precision(precision);
            let mut grad = vec![0.0; params.len()];
            let mut value = 0.0;
            let (seconds, repeats) = pool.install(|| {
                time(args.min_seconds, || {
                    value = evaluator
                        .loss_and_gradient(&params, &fisher, &mut grad)
                        .expect("evaluation");
                })
            });
            // One Adam step (evaluation and update), as DeepXDE's training loop takes it.
            let (mut adam, mut moving) = (
                Adam::new(params.len(), Schedule::Constant(1e-3)),
                params.clone(),
            );
            let mut adam_grad = vec![0.0; params.len()];
            let (adam_seconds, _) = pool.install(|| {
                time(args.min_seconds / 2.0, || {
                    evaluator
                        .loss_and_gradient(&moving, &fisher, &mut adam_grad)
                        .expect("evaluation");
                    adam.step(&mut moving, &adam_grad);
                })
            });
            let grad_difference = grad
                .iter()
                .zip(&reference)
                .fold(0.0_f64, |m, (a, b)| m.max((a - b).abs()));
            let line = serde_json::json!({
                "solver": "piml", "precision": precision.name(), "threads": threads, "seconds": seconds,
                "repeats": repeats, "adam_step_seconds": adam_seconds,
                "loss": value, "grad_norm": grad.iter().map(|g| g * g).sum::<f64>().sqrt(),
                "grad_extra": &grad[grad.len() - 2..], "gflops": 2.0 * macs as f64 / seconds / 1e9,
                "macs": macs, "weights": mlp.n_params(),
                "loss_rel_diff_f64": (value - reference_loss).abs() / reference_loss.abs(),
                "grad_rel_diff_f64": grad_difference / reference_scale,
            });
            writeln!(out, "{line}")?;
        }
    }
    // The GEMM peaks of this machine at the layer shapes of a PINN block, one thread.
    for (precision, (gflops, repeats)) in [
        ("f64", gemm_peak::<f64>(args.min_seconds / 2.0)),
        ("f32", gemm_peak::<f32>(args.min_seconds / 2.0)),
    ] {
        let line = serde_json::json!({
            "solver": "gemm-peak", "precision": precision, "threads": 1, "repeats": repeats,
            "seconds": 2.0 * 4096.0 * 64.0 * 64.0 / gflops / 1e9, "gflops": gflops,
        });
        writeln!(out, "{line}")?;
    }
    Ok(())
}
