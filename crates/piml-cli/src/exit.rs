//! From a tool's result to a message on stderr and an exit status:
//! 0 success, 1 the computation failed, 2 bad usage or bad input, 3 stopped by SIGTERM after
//! writing a checkpoint (rerun to resume).

use std::io::IsTerminal;
use std::process::ExitCode;

use crate::checkpoint::{STOPPED, Stopped};

/// Recognises one library's error among the causes of an error: `Some(failed)` when the cause
/// is that library's error, `failed` telling a failed computation (exit 1) from bad input
/// (exit 2). Each tool lists the libraries it calls with [`errors!`](crate::errors), so that
/// a tool links only the libraries it uses.
pub type Classifier = fn(&(dyn std::error::Error + 'static)) -> Option<bool>;

/// The [`Classifier`]s of a tool's libraries, from their error types, each of which has
/// `fn is_input_error(&self) -> bool`: `piml_cli::errors![piml_ode::Error, piml_fit::Error]`.
/// piml-io's errors (every tool reads or writes tables) are always recognised.
#[macro_export]
macro_rules! errors {
    ($($error:ty),* $(,)?) => {
        &[$(
            (|cause: &(dyn ::std::error::Error + 'static)| {
                cause.downcast_ref::<$error>().map(|e| !e.is_input_error())
            }) as $crate::Classifier
        ),*]
    };
}

/// Whether the error is a failed computation: decided by the outermost cause in its chain
/// that a classifier recognises; unrecognised errors are bad usage or input.
fn is_computation_failure(err: &anyhow::Error, classifiers: &[Classifier]) -> bool {
    let io: Classifier = |cause| {
        cause
            .downcast_ref::<piml_io::Error>()
            .map(|e| !e.is_input_error())
    };
    err.chain()
        .find_map(|cause| {
            let cause: &(dyn std::error::Error + 'static) = cause;
            std::iter::once(&io)
                .chain(classifiers)
                .find_map(|classify| classify(cause))
        })
        .unwrap_or(false)
}

fn is_broken_pipe(err: &anyhow::Error) -> bool {
    err.chain().any(|cause| {
        cause
            .downcast_ref::<std::io::Error>()
            .is_some_and(|e| e.kind() == std::io::ErrorKind::BrokenPipe)
    })
}

/// Prints a warning on stderr.
#[allow(clippy::print_stderr)]
pub fn warn(message: impl std::fmt::Display) {
    eprintln!("warning: {message}");
}

/// Runs a tool's body and turns its error into `error: <what>: <why>` and an exit status,
/// 1 when one of `classifiers` (the tool's libraries, see [`errors!`](crate::errors)) calls it
/// a failed computation, else 2; a run [`Stopped`] by SIGTERM says so (not as an error) and
/// exits 3. A closed pipe downstream (`| head`) ends the tool quietly.
#[allow(clippy::print_stderr)]
pub fn main_with(classifiers: &[Classifier], run: impl FnOnce() -> anyhow::Result<()>) -> ExitCode {
    match run() {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) if is_broken_pipe(&err) => ExitCode::SUCCESS,
        Err(err) if err.downcast_ref::<Stopped>().is_some() => {
            eprintln!("{err}");
            ExitCode::from(STOPPED)
        }
        Err(err) => {
            // Causes whose text their parent's message already quotes add nothing.
            let mut chain: Vec<String> = Vec::new();
            for cause in err.chain() {
                let text = cause.to_string();
                if !chain.last().is_some_and(|parent| parent.contains(&text)) {
                    chain.push(text);
                }
            }
            let prefix = if std::io::stderr().is_terminal() {
                "\x1b[1;31merror\x1b[0m"
            } else {
                "error"
            };
            eprintln!("{prefix}: {}", chain.join(": "));
            ExitCode::from(if is_computation_failure(&err, classifiers) {
                1
            } else {
                2
            })
        }
    }
}
