//! From a tool's result to a message on stderr and an exit status:
//! 0 success, 1 the computation failed, 2 bad usage or bad input.

use std::io::IsTerminal;
use std::process::ExitCode;

/// Whether the error, or any cause in its chain, is a failed computation.
fn is_computation_failure(err: &anyhow::Error) -> bool {
    err.chain().any(|cause| {
        if let Some(e) = cause.downcast_ref::<piml_ode::Error>() {
            return !e.is_input_error();
        }
        if let Some(e) = cause.downcast_ref::<piml_io::Error>() {
            return !e.is_input_error();
        }
        if let Some(e) = cause.downcast_ref::<piml_pde::Error>() {
            return !e.is_input_error();
        }
        if let Some(e) = cause.downcast_ref::<piml_sim::Error>() {
            return !e.is_input_error();
        }
        if let Some(e) = cause.downcast_ref::<piml_identify::Error>() {
            return !e.is_input_error();
        }
        if let Some(e) = cause.downcast_ref::<piml_pinn::Error>() {
            return !e.is_input_error();
        }
        if let Some(e) = cause.downcast_ref::<piml_fno::Error>() {
            return !e.is_input_error();
        }
        if let Some(e) = cause.downcast_ref::<piml_fit::Error>() {
            return !e.is_input_error();
        }
        if let Some(e) = cause.downcast_ref::<piml_plot::Error>() {
            return !e.is_input_error();
        }
        false
    })
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

/// Runs a tool's body and turns its error into `error: <what>: <why>` and an
/// exit status. A closed pipe downstream (`| head`) ends the tool quietly.
#[allow(clippy::print_stderr)]
pub fn main_with(run: impl FnOnce() -> anyhow::Result<()>) -> ExitCode {
    match run() {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) if is_broken_pipe(&err) => ExitCode::SUCCESS,
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
            ExitCode::from(if is_computation_failure(&err) { 1 } else { 2 })
        }
    }
}
