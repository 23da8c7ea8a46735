//! Multistart maximum-likelihood fits of a PEtab problem with piml-fit's optimisers: the
//! projected trust-region Levenberg–Marquardt on Fisher scoring in box coordinates (the
//! logarithm of each log- or log10-scale parameter), exact gradients and Fisher information
//! from the forward sensitivities. The parameters the table does not estimate stay at their
//! nominal values.

use nalgebra::DMatrix;
use piml_fit::{Objective, Scored, Transform};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

use crate::evaluate::Settings;
use crate::problem::{Problem, Scale};

/// −log L of a PEtab problem over its estimated parameters.
#[derive(Debug)]
pub struct Fit<'a> {
    problem: &'a Problem,
    settings: Settings,
    /// Rows of the parameter table that are estimated.
    free: Vec<usize>,
    /// Every parameter's value (the estimated ones are overwritten).
    base: Vec<f64>,
}

impl<'a> Fit<'a> {
    pub fn new(problem: &'a Problem, settings: Settings) -> Fit<'a> {
        Fit {
            problem,
            settings,
            free: (0..problem.parameters.len())
                .filter(|&j| problem.parameters[j].estimate)
                .collect(),
            base: problem.nominal(),
        }
    }

    /// The rows of the parameter table that are estimated.
    pub fn free(&self) -> &[usize] {
        &self.free
    }

    /// Every parameter's value with the estimated ones at `estimate`.
    pub fn full(&self, estimate: &[f64]) -> Vec<f64> {
        let mut theta = self.base.clone();
        for (&j, v) in self.free.iter().zip(estimate) {
            theta[j] = *v;
        }
        theta
    }

    /// Start `index` with `seed`: the nominal values for index 0, else each estimated
    /// parameter uniform between its bounds on its own scale (as pyPESTO draws starts). Every
    /// start has its own random stream, so a shard of the starts draws what the whole run would.
    pub fn start(&self, index: usize, seed: u64) -> Vec<f64> {
        let mut rng = ChaCha8Rng::seed_from_u64(seed);
        rng.set_stream(index as u64);
        self.free
            .iter()
            .map(|&j| {
                let p = &self.problem.parameters[j];
                if index == 0 {
                    return p.nominal;
                }
                let [lo, hi] = p.bounds;
                let u: f64 = rng.random();
                match p.scale {
                    Scale::Lin => lo + (hi - lo) * u,
                    Scale::Log | Scale::Log10 => (lo.ln() + (hi.ln() - lo.ln()) * u).exp(),
                }
            })
            .collect()
    }
}

impl Objective for Fit<'_> {
    fn estimates(&self) -> Vec<(Transform, Option<[f64; 2]>)> {
        self.free
            .iter()
            .map(|&j| {
                let p = &self.problem.parameters[j];
                (
                    Transform::new(Some(p.bounds), p.scale != Scale::Lin, false),
                    Some(p.bounds),
                )
            })
            .collect()
    }

    fn score(&self, estimate: &[f64]) -> Result<Scored, String> {
        let e = self
            .problem
            .evaluate(&self.full(estimate), &self.settings, true)
            .map_err(|e| e.to_string())?;
        let (g, f) = (e.gradient.expect("asked for"), e.fisher.expect("asked for"));
        let m = self.free.len();
        Ok(Scored {
            nll: -e.log_likelihood,
            gradient: self.free.iter().map(|&j| -g[j]).collect(),
            fisher: DMatrix::from_fn(m, m, |a, b| f[(self.free[a], self.free[b])]),
        })
    }
}
