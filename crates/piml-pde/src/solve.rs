//! Time stepping of a discretised reaction–diffusion problem: the method of
//! lines through piml-ode (stiff BDF with the banded Jacobian in 1-D and the
//! sparse one with preconditioned GMRES in 2-D, or Dormand–Prince), or
//! ETDRK4 on Fourier modes; fields at requested times.

use piml_ode::{OdeSolver, Stats};

use crate::error::Error;
use crate::operator::{Fields, ReactionDiffusion};
use crate::spectral::Etdrk4;

/// How to step in time.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Method {
    /// Spectral ETDRK4 when it applies (every axis periodic, constant
    /// diffusion) and a step `dt` is given; otherwise the method of lines
    /// with Dormand–Prince switching to BDF when stiffness shows.
    #[default]
    Auto,
    /// Method of lines with variable-order BDF and the exact Jacobian:
    /// banded LU in 1-D, ILU(0)-preconditioned GMRES on the sparse Newton
    /// matrix in 2-D.
    Bdf,
    /// Method of lines with Dormand–Prince 5(4): cheaper where the diffusion
    /// time step limit h²/(2·D·dim) is not the binding one.
    Explicit,
    /// ETDRK4 on real FFTs (Kassam & Trefethen 2005) with a fixed step `dt`.
    Spectral,
}

impl Method {
    pub fn name(self) -> &'static str {
        match self {
            Method::Auto => "auto",
            Method::Bdf => "bdf",
            Method::Explicit => "explicit",
            Method::Spectral => "spectral",
        }
    }
}

/// Options of a [`Solver`], checked by [`SolverBuilder::build`].
#[derive(Debug, Clone, PartialEq)]
pub struct SolverBuilder {
    method: Method,
    rtol: f64,
    atol: f64,
    dt: Option<f64>,
    max_steps: usize,
}

impl SolverBuilder {
    /// Relative tolerance of the method of lines (default 1e-6).
    pub fn rtol(mut self, rtol: f64) -> Self {
        self.rtol = rtol;
        self
    }

    /// Absolute tolerance of the method of lines (default 1e-9).
    pub fn atol(mut self, atol: f64) -> Self {
        self.atol = atol;
        self
    }

    /// Step size of the spectral method (required by [`Method::Spectral`]);
    /// each output interval is cut into the fewest equal steps no longer than `dt`.
    pub fn dt(mut self, dt: f64) -> Self {
        self.dt = Some(dt);
        self
    }

    /// Most steps per solve (default 100 000).
    pub fn max_steps(mut self, max_steps: usize) -> Self {
        self.max_steps = max_steps;
        self
    }

    /// Checks the options.
    pub fn build(self) -> Result<Solver, Error> {
        if let Some(dt) = self.dt
            && !(dt > 0.0 && dt.is_finite())
        {
            return Err(Error::InvalidOption {
                option: "dt",
                reason: format!("must be positive, got {dt}"),
            });
        }
        if self.method == Method::Spectral && self.dt.is_none() {
            return Err(Error::InvalidOption {
                option: "dt",
                reason: "the spectral method steps with a fixed dt: give one".into(),
            });
        }
        let ode_method = match self.method {
            Method::Bdf => piml_ode::Method::Bdf,
            Method::Explicit => piml_ode::Method::Explicit,
            Method::Auto | Method::Spectral => piml_ode::Method::Auto,
        };
        let ode = OdeSolver::new(ode_method)
            .rtol(self.rtol)
            .atol(self.atol)
            .max_steps(self.max_steps)
            .build()?;
        Ok(Solver {
            method: self.method,
            dt: self.dt,
            max_steps: self.max_steps,
            ode,
        })
    }
}

/// Fields at the requested output times.
#[derive(Debug, Clone, PartialEq)]
pub struct Solution {
    /// The output times, as requested.
    pub t: Vec<f64>,
    /// Per output time, one field per species in cell order (x fastest).
    pub fields: Vec<Fields>,
    /// The method that ran (never `Auto`).
    pub method: Method,
    /// Work counters; for the spectral method `steps` and `rhs_evals`
    /// (reaction evaluations) only.
    pub stats: Stats,
}

/// A reaction–diffusion time stepper with checked options.
#[derive(Debug, Clone, PartialEq)]
pub struct Solver {
    method: Method,
    dt: Option<f64>,
    max_steps: usize,
    ode: OdeSolver,
}

impl Solver {
    /// Starts a builder with rtol 1e-6, atol 1e-9, no dt, at most 100 000 steps.
    #[allow(clippy::new_ret_no_self)]
    pub fn new(method: Method) -> SolverBuilder {
        SolverBuilder {
            method,
            rtol: 1e-6,
            atol: 1e-9,
            dt: None,
            max_steps: 100_000,
        }
    }

    /// The method that will run on `rd`: `Auto` resolved, or an error naming
    /// why the chosen method does not apply.
    pub fn method_for(&self, rd: &ReactionDiffusion) -> Result<Method, Error> {
        let spectral = spectral_obstacle(rd);
        match (self.method, spectral) {
            (Method::Spectral, Some(reason)) => Err(Error::Method {
                method: Method::Spectral.name(),
                reason,
            }),
            (Method::Auto, None) if self.dt.is_some() => Ok(Method::Spectral),
            (Method::Auto, _) => Ok(Method::Auto),
            (method, _) => Ok(method),
        }
    }

    /// Integrates from the fields `initial` at t0 and returns the fields at
    /// `times` (strictly increasing, none before t0).
    pub fn solve(
        &self,
        rd: &ReactionDiffusion,
        initial: &[Vec<f64>],
        t0: f64,
        times: &[f64],
    ) -> Result<Solution, Error> {
        let y0 = rd.state(initial)?;
        let method = self.method_for(rd)?;
        let (fields, stats) = match method {
            Method::Spectral => self.spectral(rd, initial, t0, times)?,
            Method::Auto | Method::Bdf | Method::Explicit => {
                let solution = self.ode.solve(rd, t0, &y0, times)?;
                let fields = solution.y.iter().map(|y| rd.fields(y)).collect();
                (fields, solution.stats)
            }
        };
        Ok(Solution {
            t: times.to_vec(),
            fields,
            method: match method {
                Method::Auto if stats.method_switches > 0 => Method::Bdf,
                Method::Auto => Method::Explicit,
                m => m,
            },
            stats,
        })
    }

    /// ETDRK4 from t0 through every output time, landing on each exactly.
    fn spectral(
        &self,
        rd: &ReactionDiffusion,
        initial: &[Vec<f64>],
        t0: f64,
        times: &[f64],
    ) -> Result<(Vec<Fields>, Stats), Error> {
        piml_ode::check_times(t0, times)?;
        let dt = self
            .dt
            .expect("the builder requires dt for the spectral method");
        let diffusion = rd
            .constant_diffusion()
            .expect("method_for checked constant diffusion");
        let mut stepper = Etdrk4::new(rd, diffusion);
        let mut v = stepper.spectrum_of(initial);
        let mut stats = Stats::default();
        let mut t = t0;
        let mut fields = Vec::with_capacity(times.len());
        for &target in times {
            let span = target - t;
            if span > 0.0 {
                let n = ((span / dt) * (1.0 - 1e-12)).ceil().max(1.0) as usize;
                if stats.steps + n > self.max_steps {
                    return Err(Error::Ode(piml_ode::Error::TooManySteps {
                        max_steps: self.max_steps,
                        t,
                        h: span / n as f64,
                    }));
                }
                stepper.advance(&mut v, t, span / n as f64, n)?;
                stats.steps += n;
                stats.rhs_evals += 4 * n;
                t = target;
            }
            fields.push(stepper.fields_of(&v));
        }
        Ok((fields, stats))
    }
}

/// Why the spectral method cannot run on `rd`, if it cannot.
fn spectral_obstacle(rd: &ReactionDiffusion) -> Option<String> {
    if let Some(axis) = rd
        .periodic()
        .iter()
        .zip(rd.grid().axes())
        .find(|(p, _)| !**p)
    {
        return Some(format!(
            "needs periodic boundaries, but axis '{}' is not periodic",
            axis.1.name
        ));
    }
    if rd.constant_diffusion().is_none() {
        return Some("needs constant diffusion coefficients (numbers or parameters)".into());
    }
    None
}
