//! The flags every tool shares, spelled and documented once.

use anyhow::{Context, Result};
use piml_model::Model;

use crate::shard::Shard;

/// Common flags, flattened into each tool's arguments.
#[derive(Debug, Clone, clap::Args)]
pub struct CommonArgs {
    /// Seed of every random choice: the same inputs, seed and thread count give identical bytes
    #[arg(long, default_value_t = 0, value_name = "N")]
    pub seed: u64,
    /// Worker threads [default: all cores]
    #[arg(long, value_name = "N")]
    pub threads: Option<usize>,
    /// Run only the I-th of N slices of the parallel work (default from SLURM_ARRAY_TASK_ID/COUNT)
    #[arg(long, value_name = "I/N")]
    pub shard: Option<Shard>,
    /// No progress bar
    #[arg(long, short)]
    pub quiet: bool,
    /// Override a model parameter without editing the file (repeatable)
    #[arg(long = "set", value_name = "NAME=VALUE", value_parser = parse_assignment)]
    pub set: Vec<(String, f64)>,
}

/// Reads a model file; `-` reads the model from stdin.
fn read_model(path: &std::path::Path) -> Result<Model> {
    if path.as_os_str() != "-" {
        return Ok(Model::from_file(path)?);
    }
    let mut text = String::new();
    std::io::Read::read_to_string(&mut std::io::stdin(), &mut text)
        .context("reading the model from stdin")?;
    Ok(Model::from_json_str(&text, "<stdin>")?)
}

/// Parses `name=value` with a numeric value.
fn parse_assignment(s: &str) -> Result<(String, f64), String> {
    let (name, value) = s
        .split_once('=')
        .ok_or_else(|| format!("'{s}': expected NAME=VALUE"))?;
    let v: f64 = value
        .trim()
        .parse()
        .map_err(|_| format!("'{s}': '{value}' is not a number"))?;
    Ok((name.trim().to_string(), v))
}

impl CommonArgs {
    /// The shard to run: `--shard`, else the Slurm array task, else all the work.
    pub fn shard(&self) -> Result<Shard> {
        if let Some(s) = self.shard {
            return Ok(s);
        }
        let from_env = Shard::from_slurm(|k| std::env::var(k).ok()).map_err(anyhow::Error::msg)?;
        Ok(from_env.unwrap_or(Shard::WHOLE))
    }

    /// Sets up the global thread pool once, before any parallel work.
    pub fn init_threads(&self) -> Result<()> {
        if self.threads == Some(0) {
            anyhow::bail!("--threads: expected at least 1");
        }
        let mut builder = rayon::ThreadPoolBuilder::new();
        if let Some(requested) = self.threads {
            let n = crate::budget::useful_threads(requested);
            if n < requested {
                crate::warn(format!(
                    "--threads {requested}: this machine lets the run use {n} cores; starting {n} threads"
                ));
            }
            builder = builder.num_threads(n);
        }
        builder.build_global().context("starting the thread pool")
    }

    /// What every tool does first: start the thread pool, check that the
    /// outputs can be written and that none is an input (before any work), read
    /// the model (`-` for stdin) and apply the `--set` overrides.
    pub fn start(
        &self,
        model: &std::path::Path,
        inputs: &[&std::path::Path],
        outputs: &[&std::path::Path],
    ) -> Result<Model> {
        self.init_threads()?;
        check_outputs(outputs, &[&[model], inputs].concat())?;
        let mut model = read_model(model)?;
        self.apply_sets(&mut model)?;
        Ok(model)
    }

    /// Applies every `--set` to the model.
    pub fn apply_sets(&self, model: &mut Model) -> Result<()> {
        for (name, value) in &self.set {
            model.set_parameter(name, *value).context("--set")?;
        }
        Ok(())
    }
}

/// Checks, before any work, that every output can be written and that none is one of the
/// inputs or named twice (exit status 2 for either).
pub fn check_outputs(outputs: &[&std::path::Path], inputs: &[&std::path::Path]) -> Result<()> {
    for output in outputs {
        piml_io::check_output_path(output)?;
    }
    piml_io::check_outputs_against_inputs(outputs, inputs)?;
    Ok(())
}
