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
    message: Mutex<String>,
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
            message: Mutex::new(String::new()),
            done: AtomicU64::new(0),
            total,
        }
    }

    /// One more item finished.
    pub fn inc(&self) {
        let done = self.done.fetch_add(1, Ordering::Relaxed) + 1;
        if let Some(bar) = &self.bar {
            bar.inc(1);
        }
        self.log_line(done);
    }

    /// `done` items finished, with a note on the current state (a loss, parameters) shown
    /// after the bar and in the log lines.
    pub fn update(&self, done: u64, message: String) {
        self.done.store(done, Ordering::Relaxed);
        if let Some(bar) = &self.bar {
            bar.set_position(done);
            bar.set_message(format!("{} {message}", self.label));
        }
        if let Ok(mut m) = self.message.lock() {
            *m = message;
        }
        self.log_line(done);
    }

    /// `done` items finished.
    pub fn set_position(&self, done: u64) {
        self.done.store(done, Ordering::Relaxed);
        if let Some(bar) = &self.bar {
            bar.set_position(done);
        }
        self.log_line(done);
    }

    /// Items finished so far.
    pub fn done(&self) -> u64 {
        self.done.load(Ordering::Relaxed)
    }

    #[allow(clippy::print_stderr)]
    fn log_line(&self, done: u64) {
        if let Some(last) = &self.log
            && let Ok(mut last) = last.lock()
            && last.elapsed() >= LOG_EVERY
        {
            *last = Instant::now();
            let message = self.message.lock().map(|m| m.clone()).unwrap_or_default();
            eprintln!("{}: {done}/{} {message}", self.label, self.total);
        }
    }

    pub fn finish(&self) {
        if let Some(bar) = &self.bar {
            bar.finish_and_clear();
        }
    }
}
