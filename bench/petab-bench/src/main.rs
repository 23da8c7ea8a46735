//! `petab-bench`: in-process wall time of piml's PEtab log-likelihood at a problem's nominal
//! parameters, for bench/petab.sh (contract in bench/README.md). The problem (YAML, SBML
//! model, tables) is loaded once, and that load is timed too; then `Problem::evaluate` is
//! timed without the gradient (`simulation`: every condition simulated, the likelihood
//! summed) and with it (`gradient`: forward sensitivities, the gradient and the Fisher
//! information), each a median of `--repeats` calls after one untimed warm-up, on one thread.
//! One JSON line per kind on stdout.

use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Instant;

use anyhow::{Context, Result, bail};
use clap::Parser;
use piml_petab::{Problem, Settings};

#[derive(Debug, Parser)]
#[command(name = "petab-bench", version)]
struct Args {
    /// Problem name to report (Boehm_JProteomeRes2014, …)
    #[arg(long)]
    problem: String,
    /// The PEtab problem's YAML file
    #[arg(long)]
    file: PathBuf,
    /// Relative tolerance of the integrator (and its sensitivities)
    #[arg(long, default_value_t = 1e-8)]
    rtol: f64,
    /// Absolute tolerance of the integrator (and its sensitivities)
    #[arg(long, default_value_t = 1e-8)]
    atol: f64,
    /// Timed calls per kind, after one warm-up
    #[arg(long, default_value_t = 20)]
    repeats: usize,
}

fn main() -> ExitCode {
    piml_cli::main_with(
        piml_cli::errors![piml_petab::Error, piml_ode::Error, piml_model::Error],
        || run(Args::parse()),
    )
}

fn median(mut samples: Vec<f64>) -> f64 {
    samples.sort_by(f64::total_cmp);
    let n = samples.len();
    if n % 2 == 1 {
        samples[n / 2]
    } else {
        0.5 * (samples[n / 2 - 1] + samples[n / 2])
    }
}

fn run(args: Args) -> Result<()> {
    if args.repeats == 0 {
        bail!("--repeats: expected at least 1");
    }
    rayon::ThreadPoolBuilder::new()
        .num_threads(1)
        .build_global()
        .context("one-thread pool")?;
    let start = Instant::now();
    let problem = Problem::load(&args.file)?;
    let load_seconds = start.elapsed().as_secs_f64();
    let theta = problem.nominal();
    // The steady-state test as fit-kinetics sets it: only the integration tolerances change.
    let settings = Settings {
        rtol: args.rtol,
        atol: args.atol,
        ..Settings::default()
    };
    let mut out = std::io::stdout().lock();
    for (kind, gradient) in [("simulation", false), ("gradient", true)] {
        let evaluate = || {
            problem
                .evaluate(&theta, &settings, gradient)
                .with_context(|| format!("{kind} of {} at the nominal values", args.problem))
        };
        let warm = evaluate()?;
        let mut samples = Vec::with_capacity(args.repeats);
        for _ in 0..args.repeats {
            let t = Instant::now();
            evaluate()?;
            samples.push(t.elapsed().as_secs_f64());
        }
        let min = samples.iter().copied().fold(f64::INFINITY, f64::min);
        let line = serde_json::json!({
            "kind": kind,
            "problem": args.problem,
            "solver": "piml",
            "rtol": args.rtol,
            "atol": args.atol,
            "seconds": median(samples),
            "min_seconds": min,
            "repeats": args.repeats,
            "llh": warm.log_likelihood,
            "chi2": warm.chi2,
            "gradient_norm": warm.gradient.map(|g| g.iter().map(|x| x * x).sum::<f64>().sqrt()),
            "parameters": problem.parameters.len(),
            "measurements": problem.n_measurements(),
            "load_seconds": load_seconds,
            "version": env!("CARGO_PKG_VERSION"),
        });
        writeln!(out, "{line}")?;
    }
    Ok(())
}
