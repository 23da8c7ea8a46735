//! The integrator behind a solve, and the switch from the explicit to the
//! implicit method for `Method::Auto`.
//!
//! Heuristic (in the spirit of LSODA, Petzold 1983, with DOPRI5's own
//! detector instead of LSODA's): start with Dormand–Prince 5(4). After every
//! accepted step its stiffness detector estimates h·|λ| of the dominant
//! eigenvalue from the last two stages (Hairer & Wanner 1996, IV.2); when the
//! estimate exceeds the stability boundary 3.25 on 15 accepted steps without
//! 6 consecutive non-stiff steps in between, the step size is limited by
//! stability rather than accuracy and the solve continues with BDF from the
//! current state (order 1, fresh Jacobian, Hairer's initial step). The
//! switch is one way: a problem that was stiff once tends to stay stiff, and
//! BDF remains correct (if less efficient) on non-stiff stretches.

use crate::bdf::Bdf;
use crate::dopri5::Dopri5;
use crate::error::Error;
use crate::linear::Linear;
use crate::problem::Problem;
use crate::solution::Stats;
use crate::tolerance::Tolerance;

/// The method integrating a solve at the moment.
#[derive(Debug)]
pub(crate) enum Stepper {
    /// Dormand–Prince only.
    Explicit(Dopri5),
    /// Dormand–Prince until stiffness is detected.
    Auto(Dopri5),
    Bdf(Bdf<Linear>),
}

impl Stepper {
    pub(crate) fn t(&self) -> f64 {
        match self {
            Stepper::Explicit(s) | Stepper::Auto(s) => s.t(),
            Stepper::Bdf(s) => s.t(),
        }
    }

    /// The step size the next step will try.
    pub(crate) fn h(&self) -> f64 {
        match self {
            Stepper::Explicit(s) | Stepper::Auto(s) => s.h(),
            Stepper::Bdf(s) => s.h(),
        }
    }

    pub(crate) fn step<P: Problem>(
        &mut self,
        problem: &mut P,
        t_end: f64,
        stats: &mut Stats,
    ) -> Result<(), Error> {
        match self {
            Stepper::Explicit(s) | Stepper::Auto(s) => s.step(problem, t_end, stats),
            Stepper::Bdf(s) => s.step(problem, t_end, stats),
        }
    }

    /// The dense output of the last step at t.
    pub(crate) fn interpolate(&self, t: f64, out: &mut [f64]) {
        match self {
            Stepper::Explicit(s) | Stepper::Auto(s) => s.interpolate(t, out),
            Stepper::Bdf(s) => s.interpolate(t, out),
        }
    }

    /// For `Auto`: continues with BDF from the current state once the explicit
    /// method has detected stiffness. Call between steps, after the outputs
    /// of the last step have been taken.
    pub(crate) fn switch_if_stiff<P: Problem>(
        &mut self,
        problem: &mut P,
        tol: &Tolerance,
        t_end: f64,
        stats: &mut Stats,
    ) -> Result<(), Error> {
        if let Stepper::Auto(explicit) = self
            && explicit.is_stiff()
            && explicit.t() < t_end
        {
            let t = explicit.t();
            let lu = Linear::for_problem(problem);
            let bdf = Bdf::new(problem, tol.clone(), lu, t, explicit.y(), t_end, stats)?;
            *self = Stepper::Bdf(bdf);
            stats.method_switches += 1;
            stats.switch_time = Some(t);
        }
        Ok(())
    }
}
