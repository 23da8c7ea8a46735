//! What a solve returns: the states (and sensitivities) at the requested
//! times, and the solver's work counters.

use nalgebra::DMatrix;

/// Work counters of one solve.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct Stats {
    /// Accepted steps.
    pub steps: usize,
    /// Rejected step attempts (error test or Newton failures).
    pub rejected_steps: usize,
    /// Right-hand side evaluations (of the augmented system when solving
    /// for sensitivities, each of which also evaluates ∂f/∂y and ∂f/∂p).
    pub rhs_evals: usize,
    /// Jacobian evaluations for the Newton matrix of the implicit method.
    pub jacobian_evals: usize,
    /// Factorisations of the Newton matrix I − c·J (LU, or the ILU(0)
    /// preconditioner of the sparse path).
    pub lu_decompositions: usize,
    /// GMRES iterations of the sparse path's linear solves (0 with the
    /// dense and banded LU).
    pub linear_iterations: usize,
    /// Switches from the explicit to the implicit method (`Method::Auto`).
    pub method_switches: usize,
    /// Time of the switch to the implicit method, if there was one.
    pub switch_time: Option<f64>,
}

/// States at the requested output times.
#[derive(Debug, Clone, PartialEq)]
pub struct Solution {
    /// The output times, as requested.
    pub t: Vec<f64>,
    /// One state vector per output time.
    pub y: Vec<Vec<f64>>,
    pub stats: Stats,
}

/// States and forward sensitivities S = ∂y/∂p at the requested output times.
#[derive(Debug, Clone, PartialEq)]
pub struct SensitivitySolution {
    /// The output times, as requested.
    pub t: Vec<f64>,
    /// One state vector per output time.
    pub y: Vec<Vec<f64>>,
    /// One n×np sensitivity matrix per output time.
    pub s: Vec<DMatrix<f64>>,
    pub stats: Stats,
}
