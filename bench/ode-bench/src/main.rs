//! `ode-bench`: median wall time of piml's stiff and automatic solvers on a
//! model file, one JSON line per solver, for bench/ode.sh (contract in
//! bench/README.md). The model is parsed and compiled once; each timed solve
//! starts a fresh integrator, as the peers' timings do.

use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::{Duration, Instant};

use anyhow::{Context, Result};
use clap::Parser;
use piml_model::{Kinetics, Model};
use piml_ode::{Method, OdeSolver};
use piml_sim::solve_kinetics;

#[derive(Debug, Parser)]
#[command(name = "ode-bench", version)]
struct Args {
    /// Problem name to report (robertson, hires)
    #[arg(long)]
    problem: String,
    /// Model file
    #[arg(long)]
    model: PathBuf,
    /// Integrate from the start of the model's span to this time
    #[arg(long)]
    t_end: f64,
    #[arg(long)]
    rtol: f64,
    #[arg(long)]
    atol: f64,
    /// Keep timing until this much solving time was spent (at least 5 solves)
    #[arg(long, default_value_t = 0.5)]
    min_seconds: f64,
}

fn main() -> ExitCode {
    piml_cli::main_with(
        piml_cli::errors![piml_sim::Error, piml_ode::Error, piml_model::Error],
        || run(Args::parse()),
    )
}

fn run(args: Args) -> Result<()> {
    let model = Model::from_file(&args.model)?;
    let kinetics = Kinetics::new(&model)?;
    let params = model.parameter_values();
    let t0 = model
        .time
        .as_ref()
        .and_then(|t| t.span)
        .map_or(0.0, |s| s[0]);
    let times = [args.t_end];
    let mut out = std::io::stdout().lock();
    for (label, method) in [("piml-BDF", Method::Bdf), ("piml-auto", Method::Auto)] {
        let solver = OdeSolver::new(method)
            .rtol(args.rtol)
            .atol(args.atol)
            .build()?;
        let solve = || solve_kinetics(&kinetics, &params, t0, &times, &solver);
        let warm = solve().with_context(|| format!("{label} on {}", args.problem))?;
        let mut samples = Vec::new();
        let budget = Duration::from_secs_f64(args.min_seconds);
        let mut spent = Duration::ZERO;
        while samples.len() < 5 || spent < budget {
            let start = Instant::now();
            solve()?;
            let dt = start.elapsed();
            spent += dt;
            samples.push(dt.as_secs_f64());
        }
        samples.sort_by(f64::total_cmp);
        let y_end: Vec<f64> = warm.species.iter().map(|col| col[0]).collect();
        let line = serde_json::json!({
            "problem": args.problem,
            "solver": label,
            "rtol": args.rtol,
            "atol": args.atol,
            "seconds": samples[samples.len() / 2],
            "repeats": samples.len(),
            "y_end": y_end,
            "steps": warm.stats.steps,
            "nfev": warm.stats.rhs_evals,
            "njev": warm.stats.jacobian_evals,
            "nlu": warm.stats.lu_decompositions,
            "success": true,
            "version": env!("CARGO_PKG_VERSION"),
        });
        writeln!(out, "{line}")?;
    }
    Ok(())
}
