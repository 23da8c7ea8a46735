//! `--checkpoint`: the finished starts of a run, saved every N of them and on SIGTERM, so that
//! the same command run again runs only the others and ends with the same bytes.

use std::path::{Path, PathBuf};
use std::sync::Mutex;

use anyhow::{Context, Result};
use piml_cli::{Shard, Sigterm, Stopped};
use piml_fit::StartResult;
use piml_io::{Checkpoint, RunKey};
use serde_json::{Value, json};

use crate::job::Job;

const FORMAT: &str = "fit-kinetics-checkpoint/1";

/// The key of a run of model files: the content of the model files and the data, the settings
/// and `--set`.
pub(crate) fn model_key(
    job: &Job,
    model_files: &[PathBuf],
    sets: &[(String, f64)],
) -> Result<RunKey> {
    let mut key = RunKey::new().input("--data", &job.data)?;
    for (i, file) in model_files.iter().enumerate() {
        key = key.input(&format!("model file {}", i + 1), file)?;
    }
    Ok(settings(key, &job.settings.to_json()).setting("--set", json!(sets)))
}

/// `key` with every entry of the settings object `settings` as the flag of its name.
pub(crate) fn settings(mut key: RunKey, settings: &Value) -> RunKey {
    if let Value::Object(settings) = settings {
        for (name, value) in settings {
            key = key.setting(&format!("--{}", name.replace('_', "-")), value.clone());
        }
    }
    key
}

/// A run's checkpoint: the starts finished so far, per model.
pub(crate) struct Saved {
    checkpoint: Checkpoint,
    every: usize,
    sigterm: Sigterm,
    state: Mutex<Finished>,
}

/// The finished starts of every model, how many of them are not saved yet, and the first
/// failure to save (a worker thread cannot return it).
struct Finished {
    results: Vec<Vec<StartResult>>,
    unsaved: usize,
    failure: Option<piml_io::Error>,
}

impl Saved {
    /// The checkpoint of shard `shard` of a run of `models` models in `dir`, keyed on `key`
    /// (the run's inputs and settings) and the shard; SIGTERM watched from now on.
    pub fn open(
        dir: &Path,
        key: RunKey,
        models: usize,
        shard: Shard,
        every: usize,
    ) -> Result<Saved> {
        let key = key.setting("--shard", json!(format!("{}/{}", shard.index, shard.count)));
        // Every shard of a Slurm array may name one directory.
        let name = if shard == Shard::WHOLE {
            "checkpoint.json".to_string()
        } else {
            format!("checkpoint-shard-{}-of-{}.json", shard.index, shard.count)
        };
        Ok(Saved {
            checkpoint: Checkpoint::new(dir, &name, FORMAT, key)?,
            every,
            sigterm: Sigterm::watch()?,
            state: Mutex::new(Finished {
                results: vec![Vec::new(); models],
                unsaved: 0,
                failure: None,
            }),
        })
    }

    /// The starts a checkpoint holds, per model (none without one).
    pub fn load(&self) -> Result<Vec<Vec<StartResult>>> {
        let file = self.checkpoint.file();
        let Some(state) = piml_cli::resume(&self.checkpoint)? else {
            return Ok(self.lock().results.clone());
        };
        let damaged = || anyhow::anyhow!("{}: the checkpoint is damaged", file.display());
        let models = state["models"].as_array().ok_or_else(damaged)?;
        let mut done = self.lock();
        if models.len() != done.results.len() {
            return Err(damaged());
        }
        for (saved, results) in models.iter().zip(&mut done.results) {
            *results = saved
                .as_array()
                .ok_or_else(damaged)?
                .iter()
                .map(StartResult::from_json)
                .collect::<Option<_>>()
                .ok_or_else(damaged)?;
        }
        Ok(done.results.clone())
    }

    /// One more start of model `m` finished: saved with every `every`-th.
    pub fn finished(&self, m: usize, result: &StartResult) {
        let mut state = self.lock();
        state.results[m].push(result.clone());
        state.unsaved += 1;
        if state.unsaved >= self.every && state.failure.is_none() {
            state.unsaved = 0;
            state.failure = self.save(&state.results).err();
        }
    }

    /// Whether SIGTERM asks the run to stop.
    pub fn stopping(&self) -> bool {
        self.sigterm.received()
    }

    /// Saves what is finished; then, if the run stopped short of `total` starts, the error
    /// that ends it with exit status 3.
    pub fn close(&self, total: usize) -> Result<()> {
        let mut state = self.lock();
        if let Some(e) = state.failure.take() {
            return Err(e).context("writing the checkpoint");
        }
        self.save(&state.results)
            .context("writing the checkpoint")?;
        let done: usize = state.results.iter().map(Vec::len).sum();
        if done < total {
            return Err(Stopped {
                at: format!("after {done} of {total} starts"),
                checkpoint: self.checkpoint.file().to_path_buf(),
            }
            .into());
        }
        Ok(())
    }

    fn save(&self, results: &[Vec<StartResult>]) -> piml_io::Result<()> {
        let models: Vec<Value> = results
            .iter()
            .map(|rs| Value::Array(rs.iter().map(StartResult::to_json).collect()))
            .collect();
        self.checkpoint.save(&json!({ "models": models }))
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Finished> {
        // A worker that panicked while holding the lock left whole results behind.
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }
}
