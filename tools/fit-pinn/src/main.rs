//! `fit-pinn`: a physics-informed neural network that learns a model's unknown parameters
//! from sparse, noisy measurements.

mod check;
mod inputs;
mod outputs;

use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Instant;

use anyhow::{Context, Result, bail};
use clap::Parser;
use piml_cli::{CommonArgs, Progress, Sigterm, Stopped, warn};
use piml_io::RunKey;
use piml_nn::{Activation, Architecture, Mlp, Precision, Schedule};
use piml_pinn::{
    Ending, Error, HistoryRow, InitialFrom, Monitor, Phase, Problem, Resample, Settings, Trainer,
    Weights,
};
use serde_json::json;

const EXAMPLE: &str = "\
Examples:
  # D and r of Fisher-KPP from 176 noisy measurements (Adam, then L-BFGS)
  fit-pinn fisher.json --data data.parquet -o fit.json --interior 2000 --boundary 100 \\
      --initial 100 --layers 3x32 --adam 10000 --lbfgs 2000 --seed 1 \\
      --network net.safetensors --history history.parquet \\
      --predict pred.parquet --predict-grid 51,101

  # A long run on a cluster: checkpoints every 1000 steps; rerun the same command to resume
  fit-pinn fisher.json --data data.parquet -o fit.json --checkpoint ckpt --checkpoint-every 1000";

/// Fits a physics-informed neural network u(t, x, y) to a model and measurements: the loss
/// is λ_data L_data + λ_pde L_pde + λ_bc L_bc + λ_ic L_ic, the residual of every species'
/// equation at collocation points, the model's boundary and initial conditions and the data
/// misfit; parameters marked `estimate` in the model are learned with the network.
#[derive(Debug, Parser)]
#[command(name = "fit-pinn", version, after_help = EXAMPLE, allow_negative_numbers = true)]
struct Args {
    /// Model file (JSON) with a time span (and space spans for reaction–diffusion)
    model: PathBuf,
    /// Measurements: t, x, y as the model has them and observable columns (Parquet or CSV);
    /// without data the network solves the forward problem
    #[arg(long, value_name = "FILE")]
    data: Option<PathBuf>,
    /// Fit document (JSON)
    #[arg(short, long, value_name = "FILE")]
    output: PathBuf,
    /// Collocation table (from sample-collocation) instead of --interior/--boundary/--initial
    #[arg(long, value_name = "FILE")]
    collocation: Option<PathBuf>,
    /// Interior collocation points
    #[arg(long, value_name = "N", default_value_t = 2000)]
    interior: usize,
    /// Boundary collocation points (shared among the sides)
    #[arg(long, value_name = "N", default_value_t = 100)]
    boundary: usize,
    /// Initial-time collocation points
    #[arg(long, value_name = "N", default_value_t = 100)]
    initial: usize,
    /// Design of the collocation points: uniform, lhs, sobol, halton, grid
    #[arg(long, value_name = "KIND", default_value = "sobol")]
    sampler: String,
    /// Where the initial condition comes from
    #[arg(long, value_enum, value_name = "FROM", default_value_t = InitialFrom::Auto)]
    initial_from: InitialFrom,
    /// Hidden layers: DEPTHxWIDTH (3x32) or widths (64,32,32)
    #[arg(long, value_name = "SPEC", default_value = "3x32")]
    layers: String,
    /// Activation: tanh, sin, silu, gelu
    #[arg(long, value_name = "NAME", default_value = "tanh")]
    activation: String,
    /// Random Fourier features of the inputs: M:SIGMA
    #[arg(long, value_name = "M:SIGMA")]
    fourier: Option<String>,
    /// Adam steps
    #[arg(long, value_name = "STEPS", default_value_t = 10_000)]
    adam: usize,
    /// Adam learning rate
    #[arg(long, value_name = "LR", default_value_t = 1e-3)]
    lr: f64,
    /// Float type of the network pass during Adam (f32: DeepXDE's default, twice the vector
    /// lanes); the loss, gradient sums, Adam and all of L-BFGS stay f64
    #[arg(long, value_enum, value_name = "TYPE", default_value_t = PrecisionArg::F64)]
    precision: PrecisionArg,
    /// Learning-rate decay: FACTOR:STEPS multiplies the rate by FACTOR every STEPS steps
    #[arg(long, value_name = "FACTOR:STEPS")]
    lr_decay: Option<String>,
    /// L-BFGS iterations after Adam (an evaluation costs about as much as an Adam step; a
    /// parameter the data barely determine creeps on for thousands of them)
    #[arg(long, value_name = "ITERS", default_value_t = 6000)]
    lbfgs: u64,
    /// Correction pairs L-BFGS keeps (100 as in DeepXDE and PyTorch; a network has thousands
    /// of weights, and a short memory stalls on its ill-conditioned loss)
    #[arg(long, value_name = "PAIRS", default_value_t = 100, value_parser = piml_cli::count::<usize>)]
    lbfgs_memory: usize,
    /// Term weights: pde=1,bc=1,ic=1,data=1 (omitted terms keep 1), or adaptive[:EVERY]
    #[arg(long, value_name = "SPEC", default_value = "pde=1,bc=1,ic=1,data=1")]
    weights: String,
    /// Causal weighting in time with this ε (Wang, Sankaran & Perdikaris 2022)
    #[arg(long, value_name = "EPS")]
    causal: Option<f64>,
    /// Residual-based resampling of the interior points: rad:EVERY[:K[:C]]
    #[arg(long, value_name = "SPEC")]
    resample: Option<String>,
    /// Stop Adam on a plateau: PATIENCE[:REL] (no relative improvement REL in PATIENCE steps)
    #[arg(long, value_name = "SPEC")]
    plateau: Option<String>,
    /// A history row every this many steps
    #[arg(long, value_name = "N", default_value_t = 100, value_parser = piml_cli::count::<usize>)]
    history_every: usize,
    /// Fit only the rows of this condition, with the model under it
    #[arg(long, value_name = "NAME")]
    condition: Option<String>,
    /// Write the trained network (safetensors; outputs in the model's units)
    #[arg(long, value_name = "FILE")]
    network: Option<PathBuf>,
    /// Write predictions on a grid (needs --predict-grid)
    #[arg(long, value_name = "FILE", requires = "predict_grid")]
    predict: Option<PathBuf>,
    /// Prediction grid: NT,NX[,NY] points per axis, ends included
    #[arg(long, value_name = "NT,NX[,NY]")]
    predict_grid: Option<String>,
    /// Write the residual at every interior point (input of sample-collocation --from)
    #[arg(long, value_name = "FILE")]
    residuals: Option<PathBuf>,
    /// Write the loss and parameter history
    #[arg(long, value_name = "FILE")]
    history: Option<PathBuf>,
    /// Cells per axis of the method-of-lines solve that checks the estimates [default: three
    /// per distinct measured position, at least 100]
    #[arg(long, value_name = "NX[,NY]", value_delimiter = ',')]
    check_grid: Option<Vec<usize>>,
    #[command(flatten)]
    checkpoint: piml_cli::CheckpointArgs,
    #[command(flatten)]
    common: CommonArgs,
}

fn main() -> ExitCode {
    piml_cli::main_parsed(
        piml_cli::errors![
            piml_pinn::Error,
            piml_nn::Error,
            piml_sampling::Error,
            piml_model::Error
        ],
        run,
    )
}

fn run(args: Args) -> Result<()> {
    let outputs: Vec<&Path> = std::iter::once(&args.output)
        .chain(&args.network)
        .chain(&args.predict)
        .chain(&args.residuals)
        .chain(&args.history)
        .map(PathBuf::as_path)
        .collect();
    let inputs: Vec<&Path> = args
        .data
        .iter()
        .chain(&args.collocation)
        .map(PathBuf::as_path)
        .collect();
    let model = args.common.start(&args.model, &inputs, &outputs)?;
    if model.species.is_empty() {
        bail!(
            "{}: the model has no species: a PINN fits differential equations (fit-kinetics fits algebraic models)",
            args.model.display()
        );
    }
    let settings = settings(&args)?;
    let arch_flags = architecture_flags(&args)?;
    check_size(&args, &model, &arch_flags)?;
    let grid = args
        .predict_grid
        .as_deref()
        .map(|g| inputs::parse_grid(g, &model))
        .transpose()
        .context("--predict-grid")?;

    let (model, data, table) = match &args.data {
        Some(path) => {
            let (model, data, table) = inputs::read_data(path, &model, args.condition.as_deref())?;
            (model, data, Some(table))
        }
        None => {
            let (model, data) = inputs::no_data(&model, args.condition.as_deref())?;
            (model, data, None)
        }
    };
    let initial_from = args.initial_from.resolve(&model, &data);
    if matches!(initial_from, InitialFrom::Model | InitialFrom::Hard) {
        for s in model.species.iter().filter(|s| !s.initial_given) {
            warn(format!(
                "{}: species '{}' has no \"initial\": its initial value is 0 (--initial-from data takes it from the measurements at the start of the span)",
                args.model.display(),
                s.name
            ));
        }
    }
    let origin = std::iter::once(args.model.display().to_string())
        .chain(args.data.iter().map(|d| format!("with {}", d.display())))
        .chain(
            args.collocation
                .iter()
                .map(|c| format!("on the points of {}", c.display())),
        )
        .collect::<Vec<_>>()
        .join(" ");
    let points = match &args.collocation {
        Some(path) => inputs::read_collocation(path, &model)?,
        None => inputs::sample_collocation(
            &model,
            &args.sampler,
            [args.interior, args.boundary, args.initial],
            initial_from == InitialFrom::Model,
            args.common.seed,
        )
        .with_context(|| args.model.display().to_string())?,
    };
    let problem =
        Problem::new(&model, data, &points, initial_from).with_context(|| origin.clone())?;

    let mut arch = Architecture::new(
        problem.spans().to_vec(),
        arch_flags.hidden,
        problem.species().len(),
    )
    .activation(arch_flags.activation);
    if let Some((m, sigma)) = arch_flags.fourier {
        arch = arch.fourier(m, sigma);
    }
    if initial_from == InitialFrom::Hard {
        arch = arch.initial_condition(0);
    }
    let mlp = Mlp::new(arch, args.common.seed)?;
    // Inputs are read again for their digests only when a checkpoint needs them (stdin cannot be).
    let key = match args.checkpoint.dir {
        Some(_) => run_key(&args, &model)?,
        None => RunKey::new(),
    };
    let mut trainer = Trainer::new(problem, mlp.clone(), settings.clone(), key)?;
    let checkpoint = match &args.checkpoint.dir {
        Some(dir) => {
            std::fs::create_dir_all(dir)
                .with_context(|| format!("creating the checkpoint directory {}", dir.display()))?;
            let file = dir.join("checkpoint.json");
            if file.exists() {
                let bytes = std::fs::read(&file).with_context(|| file.display().to_string())?;
                trainer = trainer
                    .resume(&bytes)
                    .with_context(|| file.display().to_string())?;
                piml_cli::warn(format!("resuming from {}", file.display()));
            }
            Some((file, Sigterm::watch()?))
        }
        None => None,
    };
    let mut monitor = Watch {
        progress: None,
        quiet: args.common.quiet,
        names: trainer
            .problem()
            .unknowns()
            .iter()
            .map(|u| u.name.clone())
            .collect(),
        checkpoint,
        phase_started: Instant::now(),
        timings: Vec::new(),
    };
    let started = Instant::now();
    // Training on a worker of the pool: each of its thousands of evaluations then starts its
    // parallel work in place, instead of handing it to the pool and sleeping until it is done.
    let outcome = rayon::scope(|_| trainer.run(&mut monitor))?;
    monitor.finish_phase();
    if let Ending::Interrupted { phase, step } = outcome.ending {
        let (file, _) = monitor
            .checkpoint
            .expect("only a run with a checkpoint watches SIGTERM");
        return Err(Stopped {
            at: format!("in {} at step {step}", phase.name()),
            checkpoint: file,
        }
        .into());
    }
    let seconds = started.elapsed().as_secs_f64();
    let check = match (&table, &args.data) {
        (Some(table), Some(path)) => Some(check::run(
            &model,
            &mut trainer,
            &outcome.params,
            table,
            path,
            args.check_grid.clone(),
        )),
        _ => None,
    };
    if let Some(check) = &check {
        for w in check::warnings(check) {
            warn(w);
        }
    }
    let report = outputs::Report {
        args: &args,
        model: &model,
        trainer: &mut trainer,
        mlp: &mlp,
        outcome: &outcome,
        seconds,
        phase_seconds: &monitor.timings,
        grid: grid.as_deref(),
        check: check.as_ref(),
    };
    report.write()?;
    Ok(())
}

/// A progress bar per phase; with a checkpoint, checkpoints written atomically and SIGTERM
/// watched.
struct Watch {
    progress: Option<(Phase, Progress)>,
    quiet: bool,
    names: Vec<String>,
    checkpoint: Option<(PathBuf, Sigterm)>,
    phase_started: Instant,
    /// Wall seconds and steps of each finished phase.
    timings: Vec<(Phase, f64, usize)>,
}

impl Watch {
    fn finish_phase(&mut self) {
        if let Some((phase, p)) = self.progress.take() {
            p.finish();
            let steps = p.done();
            self.timings.push((
                phase,
                self.phase_started.elapsed().as_secs_f64(),
                steps as usize,
            ));
        }
    }
}

impl Monitor for Watch {
    fn progress(&mut self, phase: Phase, step: usize, total: usize, row: Option<&HistoryRow>) {
        if self.progress.as_ref().is_none_or(|(p, _)| *p != phase) {
            self.finish_phase();
            self.phase_started = Instant::now();
            let label = format!("fit-pinn {}", phase.name());
            self.progress = Some((phase, Progress::new(total as u64, &label, self.quiet)));
        }
        if let Some((_, p)) = &self.progress {
            let message = row.map(|r| {
                let mut m = format!("loss {:.3e}", r.loss);
                for (t, v) in piml_pinn::Term::ALL.iter().zip(r.terms) {
                    if v.is_finite() {
                        m += &format!(" {} {v:.2e}", t.name());
                    }
                }
                for (n, v) in self.names.iter().zip(&r.params) {
                    m += &format!(" {n}={v:.5}");
                }
                m
            });
            match message {
                Some(m) => p.update(step as u64, m),
                None => p.set_position(step as u64),
            }
        }
    }

    fn checkpoint(&mut self, bytes: &[u8]) -> Result<(), Error> {
        let Some((file, _)) = &self.checkpoint else {
            return Ok(());
        };
        piml_io::atomic_write(file, |w| w.write_all(bytes))
            .map_err(|e| Error::Checkpoint(format!("writing {}: {e}", file.display())))
    }

    fn stop(&self) -> bool {
        self.checkpoint
            .as_ref()
            .is_some_and(|(_, sigterm)| sigterm.received())
    }
}

/// `--precision`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
enum PrecisionArg {
    F64,
    F32,
}

impl From<PrecisionArg> for Precision {
    fn from(p: PrecisionArg) -> Precision {
        match p {
            PrecisionArg::F64 => Precision::F64,
            PrecisionArg::F32 => Precision::F32,
        }
    }
}

/// What a checkpoint must agree with to be resumed: the content of the model and of every
/// input file, and everything that shapes the run except the outputs, the thread count and
/// the checkpoint settings.
fn run_key(a: &Args, model: &piml_model::Model) -> Result<RunKey> {
    let mut key = RunKey::new().content("the model", model.source_json().as_bytes());
    for (flag, file) in [("--data", &a.data), ("--collocation", &a.collocation)] {
        if let Some(file) = file {
            key = key.input(flag, file)?;
        }
    }
    Ok(key
        .setting("--interior", json!(a.interior))
        .setting("--boundary", json!(a.boundary))
        .setting("--initial", json!(a.initial))
        .setting("--sampler", json!(a.sampler))
        .setting("--initial-from", json!(a.initial_from.name()))
        .setting("--layers", json!(a.layers))
        .setting("--activation", json!(a.activation))
        .setting("--fourier", json!(a.fourier))
        .setting("--adam", json!(a.adam))
        .setting("--lr", json!(a.lr))
        .setting(
            "--precision",
            json!(format!("{:?}", a.precision).to_lowercase()),
        )
        .setting("--lr-decay", json!(a.lr_decay))
        .setting("--lbfgs", json!(a.lbfgs))
        .setting("--lbfgs-memory", json!(a.lbfgs_memory))
        .setting("--weights", json!(a.weights))
        .setting("--causal", json!(a.causal))
        .setting("--resample", json!(a.resample))
        .setting("--plateau", json!(a.plateau))
        .setting("--history-every", json!(a.history_every))
        .setting("--condition", json!(a.condition))
        .setting("--set", json!(a.common.set))
        .setting("--seed", json!(a.common.seed)))
}

/// The network's shape as the flags give it.
struct NetworkFlags {
    hidden: Vec<usize>,
    activation: Activation,
    fourier: Option<(usize, f64)>,
}

fn architecture_flags(args: &Args) -> Result<NetworkFlags> {
    let hidden = parse_layers(&args.layers).context("--layers")?;
    let activation = Activation::parse(&args.activation).with_context(|| {
        format!(
            "--activation: '{}' is not one of tanh, sin, silu, gelu",
            args.activation
        )
    })?;
    let fourier = args
        .fourier
        .as_deref()
        .map(|f| -> Result<(usize, f64)> {
            let (m, s) = f.split_once(':').context("--fourier: expected M:SIGMA")?;
            Ok((
                m.parse().context("--fourier: M is not a count")?,
                s.parse().context("--fourier: SIGMA is not a number")?,
            ))
        })
        .transpose()?;
    Ok(NetworkFlags {
        hidden,
        activation,
        fourier,
    })
}

fn parse_layers(s: &str) -> Result<Vec<usize>> {
    let widths: Vec<usize> = if let Some((depth, width)) = s.split_once('x') {
        let depth: usize = depth.trim().parse().context("depth is not a count")?;
        vec![width.trim().parse().context("width is not a count")?; depth]
    } else {
        s.split(',')
            .map(|w| w.trim().parse().context("a width is not a count"))
            .collect::<Result<_>>()?
    };
    if widths.is_empty() || widths.contains(&0) {
        bail!("'{s}': expected DEPTHxWIDTH or widths, all at least 1");
    }
    Ok(widths)
}

fn settings(args: &Args) -> Result<Settings> {
    let schedule = match &args.lr_decay {
        None => Schedule::Constant(args.lr),
        Some(spec) => {
            let (f, s) = spec
                .split_once(':')
                .context("--lr-decay: expected FACTOR:STEPS")?;
            let factor: f64 = f.parse().context("--lr-decay: FACTOR is not a number")?;
            let steps = piml_cli::count::<usize>(s)
                .map_err(anyhow::Error::msg)
                .context("--lr-decay: STEPS")?;
            if !(factor > 0.0 && factor.is_finite()) {
                bail!("--lr-decay: FACTOR must be a positive number, got {factor}");
            }
            Schedule::Step {
                initial: args.lr,
                factor,
                steps,
            }
        }
    };
    if !(args.lr > 0.0 && args.lr.is_finite()) {
        bail!("--lr: expected a positive number, got {}", args.lr);
    }
    let weights = parse_weights(&args.weights).context("--weights")?;
    let resample = args
        .resample
        .as_deref()
        .map(parse_resample)
        .transpose()
        .context("--resample")?;
    let plateau = args
        .plateau
        .as_deref()
        .map(|p| -> Result<(usize, f64)> {
            let (n, r) = p.split_once(':').unwrap_or((p, "1e-4"));
            let patience = piml_cli::count::<usize>(n)
                .map_err(anyhow::Error::msg)
                .context("PATIENCE")?;
            let rel: f64 = r.parse().context("REL is not a number")?;
            if !(rel >= 0.0 && rel.is_finite()) {
                bail!("REL must be a number ≥ 0, got {rel}");
            }
            Ok((patience, rel))
        })
        .transpose()
        .context("--plateau")?;
    if let Some(eps) = args.causal
        && !(eps >= 0.0 && eps.is_finite())
    {
        bail!("--causal: expected ε ≥ 0, got {eps}");
    }
    Ok(Settings {
        adam_steps: args.adam,
        schedule,
        adam_precision: args.precision.into(),
        lbfgs_iters: args.lbfgs,
        lbfgs_memory: args.lbfgs_memory,
        weights,
        causal: args.causal,
        resample,
        history_every: args.history_every,
        plateau,
        checkpoint_every: args.checkpoint.every(1000),
        seed: args.common.seed,
    })
}

fn parse_weights(s: &str) -> Result<Weights> {
    if let Some(rest) = s.strip_prefix("adaptive") {
        let every = match rest.strip_prefix(':') {
            Some(n) => n.parse().context("EVERY is not a count")?,
            None if rest.is_empty() => 100,
            None => bail!("'{s}': expected adaptive or adaptive:EVERY"),
        };
        return Ok(Weights::Adaptive {
            every: usize::max(every, 1),
        });
    }
    let mut w = [1.0; 4];
    for part in s.split(',') {
        let (name, value) = part
            .split_once('=')
            .with_context(|| format!("'{part}': expected TERM=WEIGHT"))?;
        let term = piml_pinn::Term::ALL
            .into_iter()
            .find(|t| t.name() == name.trim())
            .with_context(|| format!("'{name}' is not one of pde, bc, ic, data"))?;
        let v: f64 = value
            .trim()
            .parse()
            .with_context(|| format!("'{value}' is not a number"))?;
        if !(v >= 0.0 && v.is_finite()) {
            bail!("{name}: expected a weight ≥ 0, got {v}");
        }
        w[term.index()] = v;
    }
    Ok(Weights::Fixed(w))
}

fn parse_resample(s: &str) -> Result<Resample> {
    let mut parts = s.split(':');
    if parts.next() != Some("rad") {
        bail!("'{s}': expected rad:EVERY[:K[:C]]");
    }
    let every: usize = parts
        .next()
        .context("expected rad:EVERY")?
        .parse()
        .context("EVERY is not a count")?;
    let k = parts
        .next()
        .map_or(Ok(1.0), str::parse)
        .context("K is not a number")?;
    let c = parts
        .next()
        .map_or(Ok(1.0), str::parse)
        .context("C is not a number")?;
    if every == 0 {
        bail!("EVERY must be at least 1");
    }
    Ok(Resample {
        every,
        k,
        c,
        candidates: 10,
    })
}

/// Refuses, before anything is allocated, a network or a point set whose training state would
/// not fit in memory: the weights with their gradient, Adam's moments and L-BFGS's pairs, and
/// per collocation point every layer's values with their input derivatives (first and second
/// along each input), forward and back.
fn check_size(args: &Args, model: &piml_model::Model, flags: &NetworkFlags) -> Result<()> {
    let inputs = model.space.len() + 1;
    let features = flags.fourier.map_or(inputs, |(m, _)| 2 * m);
    let outputs = model.species.len();
    let widths: Vec<f64> = std::iter::once(features)
        .chain(flags.hidden.iter().copied())
        .chain([outputs])
        .map(|w| w as f64)
        .collect();
    let weights: f64 = widths.windows(2).map(|w| (w[0] + 1.0) * w[1]).sum();
    let optimiser = weights * (4 + 2 * args.lbfgs_memory) as f64 * 8.0;
    let points = [args.interior, args.boundary, args.initial]
        .iter()
        .map(|&n| n as f64)
        .sum::<f64>();
    let jets = points * widths.iter().sum::<f64>() * (2 * inputs + 1) as f64 * 2.0 * 8.0;
    piml_cli::check_memory(
        &format!(
            "--layers {}{} on --interior {} --boundary {} --initial {}",
            args.layers,
            args.fourier
                .as_deref()
                .map_or(String::new(), |f| format!(" --fourier {f}")),
            args.interior,
            args.boundary,
            args.initial
        ),
        optimiser + jets,
    )
}
