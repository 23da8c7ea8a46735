//! Checkpoints of long runs: the flags, resuming, and stopping on SIGTERM (what Slurm sends at
//! the end of a job's time) once the checkpoint is written, with exit status 3, so that the
//! same command resumes.

use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use anyhow::{Context, Result};

/// `--checkpoint DIR` and `--checkpoint-every N`, flattened into the arguments of the tools
/// with long runs.
#[derive(Debug, Clone, clap::Args)]
pub struct CheckpointArgs {
    /// Checkpoint directory: the run's state is saved there, and the same command run again
    /// resumes from it; on SIGTERM the run saves it and exits with status 3
    #[arg(long = "checkpoint", value_name = "DIR")]
    pub dir: Option<PathBuf>,
    /// Save the checkpoint every N steps: Adam steps in fit-pinn (default 1000), finished starts
    /// in fit-kinetics (default 1), epochs in fit-operator train (default 10)
    #[arg(
        long = "checkpoint-every",
        value_name = "N",
        requires = "dir",
        value_parser = crate::count::<usize>
    )]
    pub every: Option<usize>,
}

impl CheckpointArgs {
    /// Steps between two checkpoints: `--checkpoint-every`, else the tool's `default`; 0
    /// without `--checkpoint`.
    pub fn every(&self, default: usize) -> usize {
        match self.dir {
            Some(_) => self.every.unwrap_or(default),
            None => 0,
        }
    }
}

/// Exit status of a run stopped by SIGTERM after writing its checkpoint: distinct from a failed
/// computation (1) and bad input (2), so that a job script can requeue on it.
pub const STOPPED: u8 = 3;

/// The error that ends a run stopped by SIGTERM once its checkpoint is written;
/// [`main_with`](crate::main_with) maps it to exit status [`STOPPED`].
#[derive(Debug)]
pub struct Stopped {
    /// Where the run stopped (`"after 4 of 9 starts"`).
    pub at: String,
    pub checkpoint: PathBuf,
}

impl std::fmt::Display for Stopped {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "stopped by SIGTERM {}; checkpoint written to {}: rerun the same command to resume",
            self.at,
            self.checkpoint.display()
        )
    }
}

impl std::error::Error for Stopped {}

/// Whether SIGTERM arrived; shared by the threads of a run.
#[derive(Debug, Clone)]
pub struct Sigterm(Arc<AtomicBool>);

impl Sigterm {
    /// Watches for SIGTERM from now on: the run asks [`Sigterm::received`] at its safe points
    /// instead of being killed at once. Only runs with a checkpoint watch: without one there is
    /// nothing to save, and the signal ends the run as usual.
    pub fn watch() -> Result<Sigterm> {
        let flag = Arc::new(AtomicBool::new(false));
        signal_hook::flag::register(signal_hook::consts::SIGTERM, Arc::clone(&flag))
            .context("installing the SIGTERM handler")?;
        Ok(Sigterm(flag))
    }

    pub fn received(&self) -> bool {
        self.0.load(Ordering::Relaxed)
    }
}

/// The state saved in `checkpoint`, if there is one (saying on stderr that the run resumes).
pub fn resume(checkpoint: &piml_io::Checkpoint) -> Result<Option<serde_json::Value>> {
    let state = checkpoint.load()?;
    if state.is_some() {
        crate::warn(format!("resuming from {}", checkpoint.file().display()));
    }
    Ok(state)
}
