//! `fit-operator`: a Fourier neural operator that learns the map from initial fields to later
//! fields of a model from simulated ensembles, and applies it to new initial fields.

mod fields;

use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Instant;

use anyhow::{Context, Result, bail};
use clap::{Parser, Subcommand};
use piml_cli::{CommonArgs, Progress, Sigterm, Stopped};
use piml_fno::{
    Config, Dataset, Ending, Fno, Modes, Monitor, Precision, Settings, TrainState, Transforms,
};
use piml_io::{Checkpoint, Outputs, Provenance, RunKey, Table, read_table, write_table};
use serde_json::{Value, json};

use fields::Fields;

const EXAMPLE: &str = "\
Examples:
  # 1000 random initial fields of 1-D Fisher-KPP, each solved to t = 1
  simulate fisher.json -o ensemble.parquet --grid 64 --times 0,1 --samples 1000 \\
      --random-initial gaussian:0.1 --seed 1
  # learn u(x, 0) -> u(x, 1); the last 20% of the samples are held out
  fit-operator train ensemble.parquet -o op.safetensors --modes 16 --width 32 --epochs 200
  # apply it to new initial fields (any resolution) and score it
  fit-operator predict op.safetensors initial.parquet -o predicted.parquet
  fit-operator eval op.safetensors test.parquet";

/// Fourier neural operators (Li et al. 2021): learn the solution operator of a model from an
/// ensemble of simulations, predict, evaluate.
#[derive(Debug, Parser)]
#[command(name = "fit-operator", version, after_help = EXAMPLE, allow_negative_numbers = true)]
struct Args {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Train an operator on an ensemble table (sample, t, x, [y], fields)
    Train(Box<Train>),
    /// Apply an operator to initial fields
    Predict(Predict),
    /// Relative L2 error of an operator on an ensemble table, per sample and in summary
    Eval(Eval),
}

#[derive(Debug, clap::Args)]
#[command(allow_negative_numbers = true)]
struct Train {
    /// Ensemble table: sample, t, x, (y) and the fields (Parquet or CSV)
    data: PathBuf,
    /// The operator (safetensors)
    #[arg(short, long, value_name = "FILE")]
    output: PathBuf,
    /// Input time [default: the first time in the table]
    #[arg(long, value_name = "T")]
    from_time: Option<f64>,
    /// Output time [default: the last time in the table]
    #[arg(long, value_name = "T")]
    to_time: Option<f64>,
    /// Learn one step u(t) -> u(t + DT) from every such pair instead (rolled out by predict)
    #[arg(long, value_name = "DT", conflicts_with_all = ["from_time", "to_time"])]
    rollout: Option<f64>,
    /// Fields to map (comma list) [default: every field column]
    #[arg(long, value_name = "NAMES", value_delimiter = ',')]
    fields: Vec<String>,
    /// Kept Fourier modes: M (1-D; M,M in 2-D) or MX,MY
    #[arg(long, value_name = "M[,M]", default_value = "16")]
    modes: String,
    /// Channels of the Fourier layers
    #[arg(long, value_name = "N", default_value_t = 64)]
    width: usize,
    /// Fourier layers
    #[arg(long, value_name = "N", default_value_t = 4)]
    layers: usize,
    /// Hidden channels of the projection
    #[arg(long, value_name = "N", default_value_t = 128)]
    projection: usize,
    /// Apply GELU twice between Fourier layers, as neuraloperator's FNO does without its
    /// channel MLP
    #[arg(long)]
    gelu_twice: bool,
    /// Epochs
    #[arg(long, value_name = "N", default_value_t = 100, value_parser = piml_cli::count::<usize>)]
    epochs: usize,
    /// Samples per batch
    #[arg(long, value_name = "N", default_value_t = 20, value_parser = piml_cli::count::<usize>)]
    batch: usize,
    /// Adam learning rate
    #[arg(long, value_name = "LR", default_value_t = 1e-3)]
    lr: f64,
    /// Multiply the learning rate by FACTOR every EPOCHS epochs
    #[arg(long, value_name = "FACTOR:EPOCHS", default_value = "0.5:100")]
    lr_decay: String,
    /// Share of the samples (the last ones) held out for testing
    #[arg(long, value_name = "F", default_value_t = 0.2)]
    test_fraction: f64,
    /// Test error every this many epochs
    #[arg(long, value_name = "N", default_value_t = 1, value_parser = piml_cli::count::<usize>)]
    test_every: usize,
    /// Float type of the training passes (the weights and Adam stay f64)
    #[arg(long, value_enum, default_value_t = PrecisionArg::F32)]
    precision: PrecisionArg,
    /// Write the train/test error of every epoch
    #[arg(long, value_name = "FILE")]
    history: Option<PathBuf>,
    /// Write a training report (JSON)
    #[arg(long, value_name = "FILE")]
    report: Option<PathBuf>,
    #[command(flatten)]
    checkpoint: piml_cli::CheckpointArgs,
    #[command(flatten)]
    common: CommonArgs,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
enum PrecisionArg {
    F32,
    F64,
}

#[derive(Debug, clap::Args)]
#[command(allow_negative_numbers = true)]
struct Predict {
    /// The operator
    operator: PathBuf,
    /// Initial fields: sample (optional), x, (y), the fields; at one time (or --time)
    initial: PathBuf,
    /// Predicted fields
    #[arg(short, long, value_name = "FILE")]
    output: PathBuf,
    /// The time of the initial rows to use [default: the first]
    #[arg(long, value_name = "T")]
    time: Option<f64>,
    /// Steps of a rollout operator
    #[arg(long, value_name = "K", default_value_t = 1)]
    steps: usize,
    #[command(flatten)]
    common: CommonArgs,
}

#[derive(Debug, clap::Args)]
#[command(allow_negative_numbers = true)]
struct Eval {
    /// The operator
    operator: PathBuf,
    /// Ensemble table with the operator's input and output times
    data: PathBuf,
    /// Write the error of every sample
    #[arg(short, long, value_name = "FILE")]
    output: Option<PathBuf>,
    #[command(flatten)]
    common: CommonArgs,
}

fn main() -> ExitCode {
    piml_cli::main_parsed(
        piml_cli::errors![piml_fno::Error],
        |args: Args| match args.command {
            Command::Train(a) => train(*a),
            Command::Predict(a) => predict(a),
            Command::Eval(a) => eval(a),
        },
    )
}

/// Starts the thread pool and checks the outputs (writable, none of them an input) before any
/// work.
fn start(common: &CommonArgs, inputs: &[&Path], outputs: &[&Path]) -> Result<()> {
    common.init_threads()?;
    piml_cli::check_outputs(outputs, inputs)
}

fn parse_modes(s: &str, dims: usize) -> Result<Modes> {
    let m: Vec<usize> = s
        .split(',')
        .map(|v| {
            v.trim()
                .parse()
                .with_context(|| format!("--modes: '{v}' is not a count"))
        })
        .collect::<Result<_>>()?;
    match (dims, m.as_slice()) {
        (1, [m2]) => Ok(Modes { m1: 0, m2: *m2 }),
        (2, [m]) => Ok(Modes { m1: *m, m2: *m }),
        (2, [m1, m2]) => Ok(Modes { m1: *m1, m2: *m2 }),
        _ => bail!("--modes '{s}': give M for a 1-D grid, M or MX,MY for a 2-D one"),
    }
}

/// Pairs (input time, output time) of the training data.
fn pairs(a: &Train, f: &Fields) -> Result<Vec<(f64, f64)>> {
    let find = |t: f64, flag: &str| {
        f.time(t)
            .with_context(|| format!("{flag} {t}: the table has times {:?}", f.times))
    };
    if let Some(dt) = a.rollout {
        if dt.is_nan() || dt <= 0.0 {
            bail!("--rollout: expected DT > 0, got {dt}");
        }
        let p: Vec<(f64, f64)> = f
            .times
            .iter()
            .filter_map(|&t| f.time(t + dt).map(|u| (t, u)))
            .collect();
        if p.is_empty() {
            bail!(
                "--rollout {dt}: no two times in the table are {dt} apart (times {:?})",
                f.times
            );
        }
        return Ok(p);
    }
    let from = match a.from_time {
        Some(t) => find(t, "--from-time")?,
        None => f.times[0],
    };
    let to = match a.to_time {
        Some(t) => find(t, "--to-time")?,
        None => *f.times.last().expect("a table with rows has a time"),
    };
    if to <= from {
        bail!(
            "the output time {to} is not after the input time {from} (use --from-time/--to-time)"
        );
    }
    Ok(vec![(from, to)])
}

fn dataset(f: &Fields, samples: &[i64], pairs: &[(f64, f64)], file: &Path) -> Result<Dataset> {
    let mut d = Dataset {
        inputs: Vec::new(),
        targets: Vec::new(),
    };
    for &s in samples {
        for &(from, to) in pairs {
            match (f.at(s, from), f.at(s, to)) {
                (Some(u), Some(y)) => {
                    d.inputs.push(u.clone());
                    d.targets.push(y.clone());
                }
                _ => bail!(
                    "{}: sample {s} lacks t = {from} or t = {to}",
                    file.display()
                ),
            }
        }
    }
    Ok(d)
}

fn transforms(fno: &Fno, f: &Fields) -> Result<Transforms> {
    let (n1, n2) = f.grid.shape();
    Ok(fno.transforms(n1, n2)?.with_offsets(f.grid.offsets()))
}

fn train(a: Train) -> Result<()> {
    let outputs: Vec<&Path> = std::iter::once(a.output.as_path())
        .chain(a.history.as_deref())
        .chain(a.report.as_deref())
        .collect();
    start(&a.common, &[&a.data], &outputs)?;
    let (factor, every) = a
        .lr_decay
        .split_once(':')
        .and_then(|(f, e)| Some((f.parse::<f64>().ok()?, e.parse::<usize>().ok()?)))
        .filter(|&(f, e)| f > 0.0 && f.is_finite() && e >= 1)
        .with_context(|| {
            format!(
                "--lr-decay '{}': expected FACTOR:EPOCHS, a positive factor and at least 1 epoch",
                a.lr_decay
            )
        })?;
    if !(0.0..1.0).contains(&a.test_fraction) {
        bail!(
            "--test-fraction: expected a share in [0, 1), got {}",
            a.test_fraction
        );
    }
    if a.lr.is_nan() || a.lr <= 0.0 {
        bail!("--lr: expected a positive rate, got {}", a.lr);
    }
    let table = read_table(&a.data)?;
    let f = fields::read(&table, &a.data, &a.fields)?;
    let modes = parse_modes(&a.modes, f.grid.dims())?;
    check_size(&a, &f, modes)?;
    let pairs = pairs(&a, &f)?;
    let samples = f.samples();
    let n_test = (a.test_fraction * samples.len() as f64).round() as usize;
    if n_test >= samples.len() {
        bail!(
            "--test-fraction {} leaves no training sample of {}",
            a.test_fraction,
            samples.len()
        );
    }
    let (train_ids, test_ids) = samples.split_at(samples.len() - n_test);
    let train_set = dataset(&f, train_ids, &pairs, &a.data)?;
    let test_set = dataset(&f, test_ids, &pairs, &a.data)?;
    let config = Config {
        dims: f.grid.dims(),
        in_channels: f.names.len(),
        out_channels: f.names.len(),
        width: a.width,
        modes,
        layers: a.layers,
        projection: a.projection,
        gelu_twice: a.gelu_twice,
    };
    let mut fno = Fno::new(config, a.common.seed)?;
    let t = transforms(&fno, &f).with_context(|| a.data.display().to_string())?;
    let settings = Settings {
        epochs: a.epochs,
        batch: a.batch,
        lr: a.lr,
        decay: (factor, every),
        test_every: a.test_every,
        seed: a.common.seed,
        precision: match a.precision {
            PrecisionArg::F32 => Precision::F32,
            PrecisionArg::F64 => Precision::F64,
        },
        checkpoint_every: a.checkpoint.every(10),
    };
    let checkpoint = a
        .checkpoint
        .dir
        .as_deref()
        .map(|dir| -> Result<(Checkpoint, Sigterm)> {
            let key = run_key(&a)?;
            Ok((
                Checkpoint::new(dir, "checkpoint.json", CHECKPOINT_FORMAT, key)?,
                Sigterm::watch()?,
            ))
        })
        .transpose()?;
    let resume = match &checkpoint {
        Some((c, _)) => piml_cli::resume(c)?
            .map(|state| {
                TrainState::from_json(&state)
                    .with_context(|| format!("{}: the checkpoint is damaged", c.file().display()))
            })
            .transpose()?,
        None => None,
    };
    let progress = Progress::new(a.epochs as u64, "fit-operator train", a.common.quiet);
    if let Some(s) = &resume {
        progress.set_position(s.history.len() as u64);
    }
    let started = Instant::now();
    let mut watch = Watch {
        progress: &progress,
        checkpoint: checkpoint.as_ref(),
    };
    let ending = piml_fno::train_from(
        &mut fno,
        &t,
        &train_set,
        (!test_set.is_empty()).then_some(&test_set),
        &settings,
        resume,
        &mut watch,
    )?;
    let history = match ending {
        Ending::Finished(history) => history,
        Ending::Stopped(p) => {
            let (c, _) = checkpoint.expect("only a run with a checkpoint watches SIGTERM");
            return Err(Stopped {
                at: format!("in epoch {} after {} batches", p.epoch, p.batch),
                checkpoint: c.file().to_path_buf(),
            }
            .into());
        }
    };
    progress.finish();
    let seconds = started.elapsed().as_secs_f64();
    let notes = json!({
        "fields": f.names,
        "coordinates": f.coords,
        "grid": f.grid.describe(),
        "from_time": pairs[0].0,
        "to_time": pairs[0].1,
        "rollout": a.rollout,
    });
    let bytes = fno.to_safetensors(&notes)?;
    let mut written = Outputs::default();
    written.write(&a.output, |w| w.write_all(&bytes))?;
    let provenance = Provenance::from_env("fit-operator", Some(a.common.seed));
    let meta = metadata(&table, Some(a.common.seed));
    if let Some(path) = &a.history {
        let mut h = Table::new();
        h.push_i64("epoch", history.iter().map(|e| e.epoch as i64).collect());
        h.push_f64(
            "train_error",
            history.iter().map(|e| Some(e.train)).collect(),
        );
        h.push_f64("test_error", history.iter().map(|e| e.test).collect());
        h.push_f64("lr", history.iter().map(|e| Some(e.lr)).collect());
        h.push_f64("seconds", history.iter().map(|e| Some(e.seconds)).collect());
        h.set_metadata(meta);
        written.table(path, &h)?;
    }
    if let Some(path) = &a.report {
        let last = history.last();
        let mut epoch_seconds: Vec<f64> = history.iter().map(|e| e.seconds).collect();
        epoch_seconds.sort_by(f64::total_cmp);
        let body = json!({
            "operator": notes,
            "config": {"width": a.width, "modes": [modes.m1, modes.m2], "layers": a.layers,
                       "projection": a.projection, "gelu_twice": a.gelu_twice,
                       "precision": format!("{:?}", a.precision).to_lowercase(),
                       "parameters": fno.n_params()},
            "samples": {"train": train_set.len(), "test": test_set.len()},
            "epochs": history.len(),
            "train_error": last.map(|e| e.train),
            "test_error": last.and_then(|e| e.test),
            "timing": {"seconds": seconds,
                       "epoch_seconds_median": epoch_seconds.get(epoch_seconds.len() / 2),
                       "threads": rayon::current_num_threads()},
        });
        written.json(
            path,
            &provenance.document(&model_name(&table, &a.data)?, body),
        )?;
    }
    Ok(written.commit()?)
}

const CHECKPOINT_FORMAT: &str = "fit-operator-checkpoint/1";

/// What a checkpoint must agree with to be resumed: the content of the ensemble and every
/// setting that shapes the training, not the outputs, the thread count or the checkpoint's
/// own settings.
fn run_key(a: &Train) -> Result<RunKey> {
    Ok(RunKey::new()
        .input("the ensemble", &a.data)?
        .setting("--from-time", json!(a.from_time))
        .setting("--to-time", json!(a.to_time))
        .setting("--rollout", json!(a.rollout))
        .setting("--fields", json!(a.fields))
        .setting("--modes", json!(a.modes))
        .setting("--width", json!(a.width))
        .setting("--layers", json!(a.layers))
        .setting("--projection", json!(a.projection))
        .setting("--gelu-twice", json!(a.gelu_twice))
        .setting("--epochs", json!(a.epochs))
        .setting("--batch", json!(a.batch))
        .setting("--lr", json!(a.lr))
        .setting("--lr-decay", json!(a.lr_decay))
        .setting("--test-fraction", json!(a.test_fraction))
        .setting("--test-every", json!(a.test_every))
        .setting(
            "--precision",
            json!(format!("{:?}", a.precision).to_lowercase()),
        )
        .setting("--seed", json!(a.common.seed)))
}

/// Progress of the epochs; with a checkpoint, the state saved and SIGTERM watched.
struct Watch<'a> {
    progress: &'a Progress,
    checkpoint: Option<&'a (Checkpoint, Sigterm)>,
}

impl Monitor for Watch<'_> {
    fn epoch(&mut self, e: &piml_fno::Epoch) {
        let test = e.test.map_or(String::new(), |v| format!(" test {v:.3e}"));
        self.progress
            .update(e.epoch as u64, format!("train {:.3e}{test}", e.train));
    }

    fn checkpoint(&mut self, state: &TrainState) -> Result<(), piml_fno::Error> {
        let Some((c, _)) = self.checkpoint else {
            return Ok(());
        };
        c.save(&state.to_json())
            .map_err(|e| piml_fno::Error::Checkpoint(e.to_string()))
    }

    fn stop(&self) -> bool {
        self.checkpoint.is_some_and(|(_, s)| s.received())
    }
}

/// Table metadata of an output made from `table`: its model (if it names one) and this run.
fn metadata(table: &Table, seed: Option<u64>) -> std::collections::BTreeMap<String, String> {
    let model = table
        .metadata()
        .get("piml.model")
        .map_or("null", String::as_str);
    Provenance::from_env("fit-operator", seed).table_metadata(model)
}

fn model_name(table: &Table, file: &Path) -> Result<String> {
    Ok(table
        .source_model()?
        .and_then(|m| m["name"].as_str().map(str::to_string))
        .unwrap_or_else(|| file.display().to_string()))
}

/// The operator and what it maps.
fn load(path: &Path) -> Result<(Fno, Value)> {
    let bytes = std::fs::read(path).with_context(|| path.display().to_string())?;
    Fno::from_safetensors(&bytes).with_context(|| path.display().to_string())
}

fn names(notes: &Value) -> Vec<String> {
    notes["fields"]
        .as_array()
        .map(|a| {
            a.iter()
                .filter_map(|v| v.as_str().map(str::to_string))
                .collect()
        })
        .unwrap_or_default()
}

fn predict(a: Predict) -> Result<()> {
    start(&a.common, &[&a.operator, &a.initial], &[&a.output])?;
    let (fno, notes) = load(&a.operator)?;
    let table = read_table(&a.initial)?;
    let f = fields::read(&table, &a.initial, &names(&notes))?;
    let time = match a.time {
        Some(t) => f
            .time(t)
            .with_context(|| format!("--time {t}: the table has times {:?}", f.times))?,
        None => f.times[0],
    };
    if a.steps > 1 && notes["rollout"].is_null() {
        bail!(
            "--steps {}: the operator maps one time to another; only a --rollout operator steps",
            a.steps
        );
    }
    let t = transforms(&fno, &f).with_context(|| a.initial.display().to_string())?;
    let samples = f.samples();
    let mut current: Vec<Vec<f64>> = samples
        .iter()
        .map(|&s| {
            f.at(s, time).cloned().with_context(|| {
                format!(
                    "{}: sample {s} has no rows at t = {time}",
                    a.initial.display()
                )
            })
        })
        .collect::<Result<_>>()?;
    let step = notes["rollout"].as_f64().unwrap_or_else(|| {
        notes["to_time"].as_f64().unwrap_or(0.0) - notes["from_time"].as_f64().unwrap_or(0.0)
    });
    for _ in 0..a.steps.max(1) {
        current = piml_fno::predict(&fno, &t, &current);
    }
    let end = time + step * a.steps.max(1) as f64;
    let rows: Vec<(i64, f64, &[f64])> = samples
        .iter()
        .zip(&current)
        .map(|(&s, v)| (s, end, v.as_slice()))
        .collect();
    let mut out = fields::table(&f, &rows);
    out.set_metadata(metadata(&table, None));
    write_table(&a.output, &out)?;
    Ok(())
}

fn eval(a: Eval) -> Result<()> {
    let outputs: Vec<&Path> = a.output.iter().map(PathBuf::as_path).collect();
    start(&a.common, &[&a.operator, &a.data], &outputs)?;
    let (fno, notes) = load(&a.operator)?;
    let table = read_table(&a.data)?;
    let f = fields::read(&table, &a.data, &names(&notes))?;
    let (from, to) = match notes["rollout"].as_f64() {
        Some(dt) => (f.times[0], f.times[0] + dt),
        None => (
            notes["from_time"].as_f64().unwrap_or(f.times[0]),
            notes["to_time"]
                .as_f64()
                .unwrap_or(f.times[f.times.len() - 1]),
        ),
    };
    let pair = [(
        f.time(from).with_context(|| {
            format!(
                "{}: no rows at the operator's input time {from}",
                a.data.display()
            )
        })?,
        f.time(to).with_context(|| {
            format!(
                "{}: no rows at the operator's output time {to}",
                a.data.display()
            )
        })?,
    )];
    let samples = f.samples();
    let d = dataset(&f, &samples, &pair, &a.data)?;
    let t = transforms(&fno, &f).with_context(|| a.data.display().to_string())?;
    let started = Instant::now();
    let errors = piml_fno::errors(&fno, &t, &d);
    let seconds = started.elapsed().as_secs_f64();
    let mut sorted = errors.clone();
    sorted.sort_by(f64::total_cmp);
    let mean = errors.iter().sum::<f64>() / errors.len() as f64;
    let summary = json!({
        "samples": errors.len(),
        "grid": f.grid.describe(),
        "relative_l2": {"mean": mean, "median": sorted[sorted.len() / 2], "max": sorted[sorted.len() - 1]},
        "prediction_seconds": seconds,
    });
    println!("{}", serde_json::to_string_pretty(&summary)?);
    if let Some(path) = &a.output {
        let mut out = Table::new();
        out.push_i64("sample", samples.clone());
        out.push_f64("relative_l2", errors.iter().map(|&e| Some(e)).collect());
        out.set_metadata(metadata(&table, None));
        write_table(path, &out)?;
    }
    Ok(())
}

/// Refuses, before anything is allocated, an operator whose training state would not fit in
/// memory: the spectral weights (complex, per kept mode and channel pair; both half-planes in
/// 2-D) with their gradient and Adam's moments, and a batch's activations at every grid point
/// of every layer, forward and back.
fn check_size(a: &Train, f: &fields::Fields, modes: Modes) -> Result<()> {
    let width = a.width as f64;
    let kept = (modes.m1.max(1) * modes.m2 * f.grid.dims()) as f64;
    let weights = a.layers as f64 * width * width * (2.0 * kept + 1.0);
    let points: f64 = f.grid.axes.iter().map(|axis| axis.len() as f64).product();
    let activations = a.batch as f64 * points * width * (a.layers as f64 + 2.0) * 2.0;
    piml_cli::check_memory(
        &format!(
            "--modes {} --width {} --layers {} --batch {}",
            a.modes, a.width, a.layers, a.batch
        ),
        (weights * 4.0 + activations) * 8.0,
    )
}
