//! What can go wrong choosing collocation points: every case is the user's
//! input (a model without spans, counts that do not fit, a bad residual table).

/// A request the sampler cannot satisfy, with what the user needs to fix it.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// Collocation covers a time span, and the model has none.
    #[error("the model has no time span: collocation needs 'time': {{\"span\": [t0, t1]}}")]
    NoTimeSpan,
    /// Boundary points were asked for and there is no boundary to put them on.
    #[error("--boundary {asked}: {why}")]
    NoBoundary { asked: usize, why: &'static str },
    /// A design cannot make points of this many dimensions.
    #[error("{method}: at most {max} dimensions, asked for {asked}")]
    TooManyDimensions {
        method: &'static str,
        max: usize,
        asked: usize,
    },
    /// A tuning value is out of its range (`k`, `c`).
    #[error("--{name} {value}: expected {expected}")]
    Parameter {
        name: &'static str,
        value: f64,
        expected: &'static str,
    },
    /// A residual is missing or not a finite number; `row` counts from 1.
    #[error("row {row}: the residual is {value}, expected a finite number")]
    Residual { row: usize, value: String },
    /// The residual table has no rows to draw from.
    #[error("the residual table has no rows")]
    NoCandidates,
    /// Every candidate has zero probability (all residuals zero and c = 0).
    #[error("every residual is zero and c = 0: the sampling density is zero everywhere")]
    ZeroDensity,
    /// More top-residual points were asked for than the table holds.
    #[error("asked for the top {asked} residual points, but the table has only {available}")]
    TooFewCandidates { asked: usize, available: usize },
}

impl Error {
    /// Every sampling error is bad input (exit status 2).
    pub fn is_input_error(&self) -> bool {
        true
    }
}
