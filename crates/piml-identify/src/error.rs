//! Errors of the identifiability analyses: the user's input, or a failed computation.

/// What went wrong, with the names a user needs to find it.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// A request that does not fit the model: an unknown output or species,
    /// a model without species, conflicting flags.
    #[error("{0}")]
    Input(String),
    /// An expression of the model is not a rational function of the species
    /// and unknowns, so the exact test cannot take it; `place` names the field.
    #[error("{place}: {reason}")]
    NotRational { place: String, reason: String },
    /// A denominator of the model vanishes at the expansion point whatever
    /// the unknowns (for instance 1/S with S(0) = 0 known).
    #[error("{0}")]
    Singular(String),
    /// The likelihood (piml-fit): bad data for the model, or a failed solve.
    #[error(transparent)]
    Fit(#[from] piml_fit::Error),
    /// A data or fit file could not be read.
    #[error(transparent)]
    Io(#[from] piml_io::Error),
    /// A numerical result that cannot be trusted (a Fisher information that
    /// is not finite).
    #[error("{0}")]
    Numerical(String),
}

impl Error {
    /// Whether the user's input is at fault (exit status 2) rather than the computation (1).
    pub fn is_input_error(&self) -> bool {
        match self {
            Error::Input(_) | Error::NotRational { .. } | Error::Singular(_) => true,
            Error::Io(e) => e.is_input_error(),
            Error::Fit(e) => e.is_input_error(),
            Error::Numerical(_) => false,
        }
    }
}
