//! The solver's options (a builder) and the solve itself: integrate until the
//! last requested time and report the state there and at every earlier
//! requested time through the method's dense output, never by shortening
//! steps to hit them.

use nalgebra::DMatrix;

use crate::auto::Stepper;
use crate::bdf::Bdf;
use crate::dopri5::Dopri5;
use crate::error::Error;
use crate::linear::Linear;
use crate::problem::{Plain, Problem};
use crate::sensitivity::Sensitivity;
use crate::solution::{SensitivitySolution, Solution, Stats};
use crate::system::{OdeSystem, ParametricSystem};
use crate::tolerance::Tolerance;

/// Which integration method to use.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Method {
    /// Dormand–Prince 5(4), switching to BDF when stiffness is detected.
    #[default]
    Auto,
    /// Dormand–Prince 5(4) only (non-stiff problems).
    Explicit,
    /// Variable-order BDF only (stiff problems).
    Bdf,
}

/// Absolute tolerance: one for all components, or one per component.
#[derive(Debug, Clone, PartialEq)]
enum Atol {
    Scalar(f64),
    Vector(Vec<f64>),
}

/// Options of an [`OdeSolver`], checked by [`OdeSolverBuilder::build`].
#[derive(Debug, Clone, PartialEq)]
pub struct OdeSolverBuilder {
    method: Method,
    rtol: f64,
    atol: Atol,
    max_steps: usize,
}

impl OdeSolverBuilder {
    /// Relative tolerance (default 1e-6); must be positive.
    pub fn rtol(mut self, rtol: f64) -> Self {
        self.rtol = rtol;
        self
    }

    /// Absolute tolerance for every component (default 1e-9); must be positive.
    pub fn atol(mut self, atol: f64) -> Self {
        self.atol = Atol::Scalar(atol);
        self
    }

    /// One absolute tolerance per component; each must be positive and the
    /// length must match the system's dimension.
    pub fn atol_vector(mut self, atol: Vec<f64>) -> Self {
        self.atol = Atol::Vector(atol);
        self
    }

    /// Most accepted steps per solve before giving up (default 100 000).
    pub fn max_steps(mut self, max_steps: usize) -> Self {
        self.max_steps = max_steps;
        self
    }

    /// Checks the options.
    pub fn build(self) -> Result<OdeSolver, Error> {
        if !(self.rtol > 0.0 && self.rtol.is_finite()) {
            return Err(Error::InvalidOption {
                option: "rtol",
                reason: format!("must be positive, got {}", self.rtol),
            });
        }
        let atols = match &self.atol {
            Atol::Scalar(a) => std::slice::from_ref(a),
            Atol::Vector(v) => v.as_slice(),
        };
        if let Some(a) = atols.iter().find(|a| !(**a > 0.0 && a.is_finite())) {
            return Err(Error::InvalidOption {
                option: "atol",
                reason: format!("must be positive, got {a}"),
            });
        }
        if self.max_steps == 0 {
            return Err(Error::InvalidOption {
                option: "max_steps",
                reason: "must be at least 1".into(),
            });
        }
        Ok(OdeSolver {
            method: self.method,
            rtol: self.rtol,
            atol: self.atol,
            max_steps: self.max_steps,
        })
    }
}

/// An ODE solver with checked options; solves any number of systems.
///
/// ```
/// use piml_ode::{Method, OdeSolver, OdeSystem};
/// use nalgebra::DMatrix;
///
/// /// y' = −y.
/// struct Decay;
/// impl OdeSystem for Decay {
///     fn dim(&self) -> usize { 1 }
///     fn rhs(&self, _t: f64, y: &[f64], dydt: &mut [f64]) { dydt[0] = -y[0]; }
///     fn jacobian(&self, _t: f64, _y: &[f64], jac: &mut DMatrix<f64>) { jac[(0, 0)] = -1.0; }
/// }
///
/// let solver = OdeSolver::new(Method::Bdf).rtol(1e-8).atol(1e-12).build()?;
/// let solution = solver.solve(&Decay, 0.0, &[1.0], &[0.0, 1.0, 2.0])?;
/// assert!((solution.y[2][0] - (-2.0f64).exp()).abs() < 1e-6);
/// # Ok::<(), piml_ode::Error>(())
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct OdeSolver {
    method: Method,
    rtol: f64,
    atol: Atol,
    max_steps: usize,
}

impl OdeSolver {
    /// Starts a builder with rtol 1e-6, atol 1e-9 and at most 100 000 steps.
    #[allow(clippy::new_ret_no_self)]
    pub fn new(method: Method) -> OdeSolverBuilder {
        OdeSolverBuilder {
            method,
            rtol: 1e-6,
            atol: Atol::Scalar(1e-9),
            max_steps: 100_000,
        }
    }

    pub fn method(&self) -> Method {
        self.method
    }

    /// Integrates y' = f(t, y), y(t0) = y0, up to the last of `times`, which
    /// must be strictly increasing and not before t0 (t0 itself may be one).
    pub fn solve<S: OdeSystem + ?Sized>(
        &self,
        system: &S,
        t0: f64,
        y0: &[f64],
        times: &[f64],
    ) -> Result<Solution, Error> {
        if y0.len() != system.dim() {
            return Err(Error::DimensionMismatch {
                what: "y0",
                expected: system.dim(),
                got: y0.len(),
            });
        }
        let mut y = Vec::with_capacity(times.len());
        let stats = self.integrate(&mut Plain(system), t0, y0, times, |row| {
            y.push(row.to_vec())
        })?;
        Ok(Solution {
            t: times.to_vec(),
            y,
            stats,
        })
    }

    /// Integrates the system together with its forward sensitivities
    /// S = ∂y/∂p, S' = J·S + ∂f/∂p, S(t0) = `s0` (n×np); see `sensitivity.rs`
    /// for the method. Sensitivities with respect to initial values: give
    /// unit columns in `s0` and zero columns of ∂f/∂p for them.
    pub fn solve_sensitivities<S: ParametricSystem + ?Sized>(
        &self,
        system: &S,
        t0: f64,
        y0: &[f64],
        s0: &DMatrix<f64>,
        times: &[f64],
    ) -> Result<SensitivitySolution, Error> {
        let (n, np) = (system.dim(), system.n_params());
        if y0.len() != n {
            return Err(Error::DimensionMismatch {
                what: "y0",
                expected: n,
                got: y0.len(),
            });
        }
        if s0.shape() != (n, np) {
            return Err(Error::DimensionMismatch {
                what: "initial sensitivities (n×np entries)",
                expected: n * np,
                got: s0.len(),
            });
        }
        let mut z0 = y0.to_vec();
        z0.extend_from_slice(s0.as_slice());
        let (mut y, mut s) = (
            Vec::with_capacity(times.len()),
            Vec::with_capacity(times.len()),
        );
        let stats = self.integrate(&mut Sensitivity::new(system), t0, &z0, times, |row| {
            y.push(row[..n].to_vec());
            s.push(DMatrix::from_column_slice(n, np, &row[n..]));
        })?;
        Ok(SensitivitySolution {
            t: times.to_vec(),
            y,
            s,
            stats,
        })
    }

    /// Checks the arguments, then steps to the last output time and hands
    /// the (augmented) state at each output time to `emit`.
    fn integrate<P: Problem>(
        &self,
        problem: &mut P,
        t0: f64,
        y0: &[f64],
        times: &[f64],
        mut emit: impl FnMut(&[f64]),
    ) -> Result<Stats, Error> {
        let tol = self.tolerance(problem.dim())?;
        check_times(t0, times)?;
        if let Some(v) = y0.iter().find(|v| !v.is_finite()) {
            return Err(Error::NotFinite {
                what: "initial value",
                value: *v,
            });
        }
        let t_end = times[times.len() - 1];
        let mut next = times.iter().take_while(|&&t| t == t0).count();
        for _ in 0..next {
            emit(y0);
        }
        let mut stats = Stats::default();
        if next == times.len() {
            return Ok(stats);
        }
        let mut stepper = match self.method {
            Method::Explicit | Method::Auto => {
                let dopri = Dopri5::new(problem, tol.clone(), t0, y0, t_end, &mut stats)?;
                if self.method == Method::Explicit {
                    Stepper::Explicit(dopri)
                } else {
                    Stepper::Auto(dopri)
                }
            }
            Method::Bdf => {
                let lu = Linear::for_problem(problem);
                Stepper::Bdf(Bdf::new(
                    problem,
                    tol.clone(),
                    lu,
                    t0,
                    y0,
                    t_end,
                    &mut stats,
                )?)
            }
        };
        let mut out = vec![0.0; y0.len()];
        while next < times.len() {
            if stats.steps >= self.max_steps {
                return Err(Error::TooManySteps {
                    max_steps: self.max_steps,
                    t: stepper.t(),
                    h: stepper.h(),
                });
            }
            stepper.step(problem, t_end, &mut stats)?;
            while next < times.len() && times[next] <= stepper.t() {
                stepper.interpolate(times[next], &mut out);
                emit(&out);
                next += 1;
            }
            stepper.switch_if_stiff(problem, &tol, t_end, &mut stats)?;
        }
        Ok(stats)
    }

    /// The tolerances for a system of dimension n.
    fn tolerance(&self, n: usize) -> Result<Tolerance, Error> {
        let atol = match &self.atol {
            Atol::Scalar(a) => vec![*a; n],
            Atol::Vector(v) if v.len() == n => v.clone(),
            Atol::Vector(v) => {
                return Err(Error::DimensionMismatch {
                    what: "atol",
                    expected: n,
                    got: v.len(),
                });
            }
        };
        Ok(Tolerance::new(self.rtol, atol))
    }
}

/// Checks output times as every solve does: finite, strictly increasing,
/// and not before t0 (for integrators outside this crate that share the rules).
pub fn check_times(t0: f64, times: &[f64]) -> Result<(), Error> {
    if !t0.is_finite() {
        return Err(Error::NotFinite {
            what: "t0",
            value: t0,
        });
    }
    if let Some(t) = times.iter().find(|t| !t.is_finite()) {
        return Err(Error::NotFinite {
            what: "output time",
            value: *t,
        });
    }
    let Some(&first) = times.first() else {
        return Err(Error::InvalidTimes {
            reason: "no output times".into(),
        });
    };
    if first < t0 {
        return Err(Error::InvalidTimes {
            reason: format!("times[0] = {first} is before t0 = {t0}"),
        });
    }
    if let Some(i) = times.windows(2).position(|w| w[1] <= w[0]) {
        return Err(Error::InvalidTimes {
            reason: format!(
                "not strictly increasing: times[{}] = {} after times[{i}] = {}",
                i + 1,
                times[i + 1],
                times[i]
            ),
        });
    }
    Ok(())
}
