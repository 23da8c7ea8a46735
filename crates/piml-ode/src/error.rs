//! Errors of the ODE solvers: bad arguments, or a failed integration with
//! the time and step size where it failed.

/// Everything that can go wrong when building a solver or integrating.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum Error {
    /// The step size fell below what floating point can resolve at `t`
    /// (typically a singularity or a blow-up of the solution).
    #[error("step size {h:.3e} too small at t = {t}")]
    StepSizeTooSmall { t: f64, h: f64 },
    /// The right-hand side or the solution became NaN or infinite and
    /// smaller steps did not help.
    #[error(
        "non-finite value (NaN or infinity) in the right-hand side or the solution at t = {t} (step size {h:.3e})"
    )]
    NonFinite { t: f64, h: f64 },
    /// The step budget (`max_steps`) ran out before the last output time.
    #[error("more than {max_steps} steps needed: stopped at t = {t} (step size {h:.3e})")]
    TooManySteps { max_steps: usize, t: f64, h: f64 },
    /// The Newton iteration of the implicit method failed repeatedly on one step.
    #[error(
        "Newton iteration failed to converge {failures} times in a row at t = {t} (step size {h:.3e})"
    )]
    NewtonFailure { failures: usize, t: f64, h: f64 },
    /// A solver option is out of range.
    #[error("invalid solver option {option}: {reason}")]
    InvalidOption {
        option: &'static str,
        reason: String,
    },
    /// A vector or matrix argument has the wrong size.
    #[error("{what} has length {got}, expected {expected}")]
    DimensionMismatch {
        what: &'static str,
        expected: usize,
        got: usize,
    },
    /// An argument contains NaN or infinity.
    #[error("{what} is not finite: {value}")]
    NotFinite { what: &'static str, value: f64 },
    /// The output times are empty, not increasing, or start before t0.
    #[error("invalid output times: {reason}")]
    InvalidTimes { reason: String },
}

impl Error {
    /// True when the caller's arguments were wrong (exit code 2 in the tools),
    /// false when the integration itself failed (exit code 1).
    pub fn is_input_error(&self) -> bool {
        match self {
            Error::StepSizeTooSmall { .. }
            | Error::NonFinite { .. }
            | Error::TooManySteps { .. }
            | Error::NewtonFailure { .. } => false,
            Error::InvalidOption { .. }
            | Error::DimensionMismatch { .. }
            | Error::NotFinite { .. }
            | Error::InvalidTimes { .. } => true,
        }
    }
}
