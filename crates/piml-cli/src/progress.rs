//! Progress on long work: a bar on a terminal, a line now and then in logs.

use std::io::IsTerminal;
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use indicatif::{ProgressBar, ProgressStyle};

/// How often a log line is written when stderr is not a terminal.
const LOG_EVERY: Duration = Duration::from_secs(10);

/// Counts finished items; shared by reference across worker threads.
#[derive(Debug)]
pub struct Progress {
    bar: Option<ProgressBar>,
    log: Option<Mutex<Instant>>,
    label: String,
    done: AtomicU64,
    total: u64,
}

impl Progress {
    /// A bar when stderr is a terminal and not `quiet`; otherwise, unless
    /// `quiet`, one line every ten seconds of work.
    pub fn new(total: u64, label: &str, quiet: bool) -> Progress {
        let terminal = std::io::stderr().is_terminal();
        let bar = (!quiet && terminal).then(|| {
            let bar = ProgressBar::new(total);
            let style = ProgressStyle::with_template(
                "{msg} [{bar:40}] {pos}/{len} {elapsed_precise} eta {eta}",
            )
            .map(|s| s.progress_chars("=> "))
            .unwrap_or_else(|_| ProgressStyle::default_bar());
            bar.set_style(style);
            bar.set_message(label.to_string());
            bar
        });
        Progress {
            bar,
            log: (!quiet && !terminal).then(|| Mutex::new(Instant::now())),
            label: label.to_string(),
            done: AtomicU64::new(0),
            total,
        }
    }

    /// One more item finished.
    #[allow(clippy::print_stderr)]
    pub fn inc(&self) {
        let done = self.done.fetch_add(1, Ordering::Relaxed) + 1;
        if let Some(bar) = &self.bar {
            bar.inc(1);
        }
        if let Some(last) = &self.log
            && let Ok(mut last) = last.lock()
            && last.elapsed() >= LOG_EVERY
        {
            *last = Instant::now();
            eprintln!("{}: {done}/{}", self.label, self.total);
        }
    }

    pub fn finish(&self) {
        if let Some(bar) = &self.bar {
            bar.finish_and_clear();
        }
    }
}
