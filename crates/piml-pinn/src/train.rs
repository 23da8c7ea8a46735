//! Training: Adam, then L-BFGS; term weights fixed or adaptive; causal time weights; residual-
//! based resampling; a history; checkpoints from which a run continues bit for bit.

use std::sync::atomic::{AtomicU64, Ordering};

use piml_nn::{Adam, Evaluator, Lbfgs, Mlp, Precision, Schedule};
use piml_sampling::Method;
use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;

use crate::Error;
use crate::checkpoint::Checkpoint;
use crate::problem::{BLOCK, Problem, Term, Weighting};

/// How the term weights λ are set.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Weights {
    /// λ for pde, bc, ic, data.
    Fixed([f64; 4]),
    /// Learning-rate annealing (Wang, Teng & Perdikaris 2021, Algorithm 1): every `every` Adam
    /// steps, λ̂_i = max|∇_w L_pde| / mean|∇_w L_i| over the network weights w, and
    /// λ_i ← (1 − α) λ_i + α λ̂_i with the paper's α = 0.9; λ_pde stays 1.
    Adaptive { every: usize },
}

/// Residual-based adaptive resampling (RAD, Wu et al. 2023) of the interior points.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Resample {
    /// Every this many Adam steps.
    pub every: usize,
    /// Density ∝ |r|^k / mean |r|^k + c.
    pub k: f64,
    pub c: f64,
    /// Candidates drawn uniformly per resampling, as a multiple of the interior points.
    pub candidates: usize,
}

/// Settings of a training run.
#[derive(Debug, Clone, PartialEq)]
pub struct Settings {
    pub adam_steps: usize,
    pub schedule: Schedule,
    /// The float type of the network pass during the Adam phase (f32: twice the vector lanes;
    /// the loss, gradient sums and Adam stay f64). L-BFGS always evaluates in f64: its line
    /// search compares losses that differ in digits f32 does not keep.
    pub adam_precision: Precision,
    pub lbfgs_iters: u64,
    /// Correction pairs L-BFGS keeps.
    pub lbfgs_memory: usize,
    pub weights: Weights,
    /// ε of causal weighting, if used.
    pub causal: Option<f64>,
    pub resample: Option<Resample>,
    /// A history row every this many steps (Adam) or evaluations (L-BFGS).
    pub history_every: usize,
    /// Stop Adam when the loss has not fallen by this relative amount in `patience` steps.
    pub plateau: Option<(usize, f64)>,
    /// A checkpoint every this many Adam steps (0: never).
    pub checkpoint_every: usize,
    pub seed: u64,
}

/// The optimiser phase.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Phase {
    Adam,
    Lbfgs,
    Done,
}

impl Phase {
    pub fn name(self) -> &'static str {
        match self {
            Phase::Adam => "adam",
            Phase::Lbfgs => "lbfgs",
            Phase::Done => "done",
        }
    }

    pub(crate) fn from_name(s: &str) -> Option<Phase> {
        [Phase::Adam, Phase::Lbfgs, Phase::Done]
            .into_iter()
            .find(|p| p.name() == s)
    }
}

/// One row of the training history.
#[derive(Debug, Clone, PartialEq)]
pub struct HistoryRow {
    pub phase: Phase,
    /// Adam step, or L-BFGS evaluation.
    pub step: usize,
    /// The weighted loss being minimised.
    pub loss: f64,
    /// Unweighted terms pde, bc, ic, data (NaN where not computed).
    pub terms: [f64; 4],
    /// λ of each term.
    pub weights: [f64; 4],
    /// The estimated parameters, in the model's units.
    pub params: Vec<f64>,
}

/// What a caller watches and controls during training.
pub trait Monitor {
    /// After every Adam step or L-BFGS evaluation; `row` when a history row was written.
    fn progress(&mut self, phase: Phase, step: usize, total: usize, row: Option<&HistoryRow>);
    /// A checkpoint to keep (the caller writes it atomically).
    fn checkpoint(&mut self, bytes: &[u8]) -> Result<(), Error>;
    /// Whether to stop now (a signal arrived); a checkpoint is written first.
    fn stop(&self) -> bool;
}

/// How a run ended.
#[derive(Debug, Clone, PartialEq)]
pub enum Ending {
    Finished,
    /// Stopped on request; the last checkpoint continues it.
    Interrupted {
        phase: Phase,
        step: usize,
    },
}

/// The result of training.
#[derive(Debug, Clone, PartialEq)]
pub struct Outcome {
    pub ending: Ending,
    /// Network parameters, then φ of the unknowns.
    pub params: Vec<f64>,
    pub loss: f64,
    pub terms: [f64; 4],
    pub weights: [f64; 4],
    pub adam_steps: usize,
    pub lbfgs_iterations: u64,
    pub lbfgs_evaluations: usize,
    /// Why each phase stopped.
    pub termination: String,
    pub converged: bool,
    pub history: Vec<HistoryRow>,
}

/// Everything a run needs to continue: what checkpoints hold.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct State {
    pub phase: Phase,
    pub step: usize,
    pub params: Vec<f64>,
    pub adam_m: Vec<f64>,
    pub adam_v: Vec<f64>,
    pub lambda: [f64; 4],
    /// Interior points after resampling (columns), if resampled.
    pub interior: Option<Vec<Vec<f64>>>,
    pub history: Vec<HistoryRow>,
    pub best: f64,
    pub best_step: usize,
    pub adam_note: String,
}

/// Trains a network on a problem.
#[derive(Debug)]
pub struct Trainer {
    problem: Problem,
    mlp: Mlp,
    settings: Settings,
    evaluator: Evaluator,
    shares: Shares,
    state: State,
    /// Identifies the run a checkpoint belongs to.
    key: piml_io::RunKey,
}

/// Each block's share of the loss of the last evaluation, so that the terms of the history are
/// known without evaluating each apart: one slot per block of the evaluator (the sets in
/// order, [`BLOCK`] points a block), written by whichever thread ran the block and summed in
/// a fixed order, so the terms do not depend on the threads either.
#[derive(Debug)]
struct Shares {
    /// First slot of each set, then the number of slots.
    first: Vec<usize>,
    /// The term of each set.
    terms: Vec<Term>,
    /// f64 bits.
    slots: Vec<AtomicU64>,
}

impl Shares {
    fn new(problem: &Problem, evaluator: &Evaluator) -> Shares {
        let nc = problem.spans().len();
        let mut first = vec![0];
        for set in evaluator.sets() {
            let blocks = (set.points().len() / nc).div_ceil(BLOCK);
            first.push(first.last().copied().unwrap_or(0) + blocks);
        }
        let n = first.last().copied().unwrap_or(0);
        Shares {
            terms: (0..first.len() - 1)
                .map(|s| problem.term_of_set(s))
                .collect(),
            first,
            slots: (0..n).map(|_| AtomicU64::new(0)).collect(),
        }
    }

    fn record(&self, set: usize, start: usize, loss: f64) {
        self.slots[self.first[set] + start / BLOCK].store(loss.to_bits(), Ordering::Relaxed);
    }

    /// The unweighted terms of the last evaluation (NaN for terms without points), if it
    /// had them all: not with causal weights (the terms are unweighted in time) nor with a
    /// term weighted 0 (its blocks were skipped).
    fn terms(&self, weighting: &Weighting) -> Option<[f64; 4]> {
        if !weighting.causal.is_empty() {
            return None;
        }
        let mut terms = [f64::NAN; 4];
        for (set, term) in self.terms.iter().enumerate() {
            let (t, lambda) = (term.index(), weighting.terms[term.index()]);
            if lambda == 0.0 {
                return None;
            }
            let sum: f64 = self.slots[self.first[set]..self.first[set + 1]]
                .iter()
                .map(|s| f64::from_bits(s.load(Ordering::Relaxed)))
                .sum();
            terms[t] = if terms[t].is_nan() { 0.0 } else { terms[t] } + sum / lambda;
        }
        Some(terms)
    }
}

impl Trainer {
    /// A fresh run: the network `mlp` (its parameters are the starting weights) and the
    /// unknowns at the model's values.
    pub fn new(
        problem: Problem,
        mlp: Mlp,
        settings: Settings,
        key: piml_io::RunKey,
    ) -> Result<Self, Error> {
        let mut params = mlp.params().to_vec();
        let values = problem.model().parameter_values();
        params.extend(problem.unknowns().iter().map(|u| u.free(values[u.index])));
        let n = params.len();
        let lambda = match settings.weights {
            Weights::Fixed(w) => w,
            Weights::Adaptive { .. } => [1.0; 4],
        };
        let evaluator = evaluator(&problem, &mlp, settings.adam_precision)?;
        Ok(Trainer {
            shares: Shares::new(&problem, &evaluator),
            problem,
            mlp,
            evaluator,
            state: State {
                phase: Phase::Adam,
                step: 0,
                params,
                adam_m: vec![0.0; n],
                adam_v: vec![0.0; n],
                lambda,
                interior: None,
                history: Vec::new(),
                best: f64::INFINITY,
                best_step: 0,
                adam_note: String::new(),
            },
            settings,
            key,
        })
    }

    /// Continues the run a checkpoint of [`Trainer::new`] with the same arguments left.
    pub fn resume(mut self, bytes: &[u8]) -> Result<Self, Error> {
        let state = Checkpoint::decode(bytes, &self.key, self.state.params.len())?;
        if let Some(columns) = &state.interior {
            self.problem.set_interior(columns)?;
        }
        self.state = state;
        // New points, or a checkpoint past the Adam phase of an f32 run.
        if self.state.interior.is_some() || self.evaluator.precision() != self.precision() {
            self.rebuild()?;
        }
        Ok(self)
    }

    /// The float type of the network pass in the current phase.
    fn precision(&self) -> Precision {
        match self.state.phase {
            Phase::Adam => self.settings.adam_precision,
            Phase::Lbfgs | Phase::Done => Precision::F64,
        }
    }

    /// A new evaluator (and its shares) for the problem's points, in the phase's precision.
    fn rebuild(&mut self) -> Result<(), Error> {
        self.evaluator = evaluator(&self.problem, &self.mlp, self.precision())?;
        self.shares = Shares::new(&self.problem, &self.evaluator);
        Ok(())
    }

    pub fn problem(&self) -> &Problem {
        &self.problem
    }

    /// The estimated parameters at φ, in the model's units.
    pub fn estimates(&self, params: &[f64]) -> Vec<f64> {
        let phi = &params[self.mlp.n_params()..];
        let (values, _) = self.problem.parameters(phi);
        self.problem
            .unknowns()
            .iter()
            .map(|u| values[u.index])
            .collect()
    }

    /// The residual of every species at every interior point (points × species, model units).
    pub fn interior_residuals(&mut self, params: &[f64]) -> Result<Vec<f64>, Error> {
        let net = self.mlp.n_params();
        let jets = self.evaluator.jets(&params[..net], 0)?;
        let (values, _) = self.problem.parameters(&params[net..]);
        Ok(self.problem.residuals(&jets, &values))
    }

    /// The trained network with the output scales folded into its last layer, so that it
    /// predicts the species in the model's units.
    pub fn network(&self, params: &[f64]) -> Mlp {
        let mut mlp = self.mlp.clone();
        let n = mlp.n_params();
        mlp.params_mut().copy_from_slice(&params[..n]);
        let (outputs, inputs) = *mlp.layer_shapes().last().expect("a network has layers");
        let weights = n - outputs * inputs - outputs;
        let scales = &self.problem.scales().species;
        let p = mlp.params_mut();
        for (k, u) in scales.iter().enumerate() {
            p[weights + k * inputs..weights + (k + 1) * inputs]
                .iter_mut()
                .for_each(|w| *w *= u);
            p[n - outputs + k] *= u;
        }
        mlp
    }

    /// Runs to the end (or until `monitor` asks to stop).
    pub fn run(&mut self, monitor: &mut dyn Monitor) -> Result<Outcome, Error> {
        if self.state.phase == Phase::Adam {
            if let Some(ending) = self.adam(monitor)? {
                return Ok(self.outcome(ending, 0, 0, String::new(), false));
            }
            self.state.phase = Phase::Lbfgs;
            if self.evaluator.precision() != self.precision() {
                self.rebuild()?;
            }
            self.save(monitor)?;
        }
        let (iterations, evaluations, note, converged) = if self.state.phase == Phase::Lbfgs {
            match self.lbfgs(monitor)? {
                Ok(r) => r,
                Err(ending) => return Ok(self.outcome(ending, 0, 0, String::new(), false)),
            }
        } else {
            (0, 0, String::new(), false)
        };
        self.state.phase = Phase::Done;
        Ok(self.outcome(Ending::Finished, iterations, evaluations, note, converged))
    }

    fn outcome(
        &mut self,
        ending: Ending,
        iterations: u64,
        evaluations: usize,
        lbfgs_note: String,
        converged: bool,
    ) -> Outcome {
        let params = self.state.params.clone();
        let (terms, _) = self.terms(&params).unwrap_or(([f64::NAN; 4], Vec::new()));
        let lambda = self.state.lambda;
        // Terms without points (NaN) add nothing.
        let loss = terms
            .iter()
            .zip(lambda)
            .filter(|(t, _)| !t.is_nan())
            .map(|(t, l)| t * l)
            .sum();
        let mut termination = self.state.adam_note.clone();
        if !lbfgs_note.is_empty() {
            termination = format!("{termination}; L-BFGS: {lbfgs_note}");
        }
        let mut history = self.state.history.clone();
        history.push(HistoryRow {
            phase: Phase::Done,
            step: iterations as usize,
            loss,
            terms,
            weights: lambda,
            params: self.estimates(&params),
        });
        Outcome {
            ending,
            params,
            loss,
            terms,
            weights: lambda,
            adam_steps: self.state.step,
            lbfgs_iterations: iterations,
            lbfgs_evaluations: evaluations,
            termination,
            converged,
            history,
        }
    }

    fn save(&self, monitor: &mut dyn Monitor) -> Result<(), Error> {
        if self.settings.checkpoint_every > 0 {
            monitor.checkpoint(&Checkpoint::encode(&self.state, &self.key))?;
        }
        Ok(())
    }

    fn weighting(&mut self, params: &[f64]) -> Result<Weighting, Error> {
        let causal = match self.settings.causal {
            Some(eps) => {
                let net = &params[..self.mlp.n_params()];
                let jets = self.evaluator_jets(net)?;
                let (values, _) = self.problem.parameters(&params[self.mlp.n_params()..]);
                let r = self.problem.residuals(&jets, &values);
                self.problem.causal_weights(&r, eps)
            }
            None => Vec::new(),
        };
        Ok(Weighting {
            terms: self.state.lambda,
            causal,
        })
    }

    fn evaluator_jets(&mut self, net: &[f64]) -> Result<Vec<f64>, Error> {
        Ok(self.evaluator.jets(net, 0)?)
    }

    /// L and ∇L at `params` with `weighting`.
    fn evaluate(
        &mut self,
        params: &[f64],
        weighting: &Weighting,
        grad: &mut [f64],
    ) -> Result<f64, Error> {
        let values = self.problem.parameters(&params[self.mlp.n_params()..]);
        let (problem, shares) = (&self.problem, &self.shares);
        Ok(self.evaluator.loss_and_gradient(
            params,
            &|jets, grads, dphi| {
                let loss = problem.block_loss(jets, grads, dphi, weighting, &values);
                shares.record(jets.set, jets.start, loss);
                loss
            },
            grad,
        )?)
    }

    /// Each unweighted term and its gradient.
    fn terms(&mut self, params: &[f64]) -> Result<([f64; 4], Vec<Vec<f64>>), Error> {
        let mut terms = [f64::NAN; 4];
        let mut grads = Vec::new();
        for term in Term::ALL {
            let mut g = vec![0.0; params.len()];
            if self.problem.has_term(term) {
                let mut w = [0.0; 4];
                w[term.index()] = 1.0;
                let weighting = Weighting {
                    terms: w,
                    causal: Vec::new(),
                };
                terms[term.index()] = self.evaluate(params, &weighting, &mut g)?;
            }
            grads.push(g);
        }
        Ok((terms, grads))
    }

    fn diverged(&self, phase: &'static str, step: usize, what: String, params: &[f64]) -> Error {
        let est = self.estimates(params);
        let params = self
            .problem
            .unknowns()
            .iter()
            .zip(est)
            .map(|(u, v)| format!("{} = {v:.6e}", u.name))
            .collect::<Vec<_>>()
            .join(", ");
        Error::Diverged {
            phase,
            step,
            what,
            params: if params.is_empty() {
                "none estimated".into()
            } else {
                params
            },
        }
    }

    /// The Adam phase; `Some` if it was interrupted.
    fn adam(&mut self, monitor: &mut dyn Monitor) -> Result<Option<Ending>, Error> {
        let s = self.settings.clone();
        let n = self.state.params.len();
        let mut adam = Adam::new(n, s.schedule)
            .resumed(
                std::mem::take(&mut self.state.adam_m),
                std::mem::take(&mut self.state.adam_v),
                self.state.step,
            )
            .ok_or_else(|| Error::Checkpoint("Adam moments of the wrong length".into()))?;
        let mut grad = vec![0.0; n];
        let mut note = format!("Adam: {} steps", s.adam_steps);
        while self.state.step < s.adam_steps {
            let step = self.state.step;
            if monitor.stop() {
                self.store_adam(&adam);
                self.save(monitor)?;
                return Ok(Some(Ending::Interrupted {
                    phase: Phase::Adam,
                    step,
                }));
            }
            if let Some(r) = s.resample
                && step > 0
                && step.is_multiple_of(r.every)
            {
                self.resample(r, step)?;
            }
            if let Weights::Adaptive { every } = s.weights
                && step.is_multiple_of(every)
            {
                self.anneal()?;
            }
            let params = self.state.params.clone();
            let weighting = self.weighting(&params)?;
            let loss = self.evaluate(&params, &weighting, &mut grad)?;
            if !loss.is_finite() || grad.iter().any(|g| !g.is_finite()) {
                return Err(self.diverged("Adam", step, format!("loss {loss}"), &params));
            }
            adam.step(&mut self.state.params, &grad);
            self.state.step += 1;
            let row = if step.is_multiple_of(s.history_every.max(1)) {
                let terms = match self.shares.terms(&weighting) {
                    Some(terms) => terms,
                    None => self.terms(&params)?.0,
                };
                self.state.history.push(HistoryRow {
                    phase: Phase::Adam,
                    step,
                    loss,
                    terms,
                    weights: self.state.lambda,
                    params: self.estimates(&params),
                });
                self.state.history.last()
            } else {
                None
            };
            monitor.progress(Phase::Adam, step + 1, s.adam_steps, row);
            if loss < self.state.best * (1.0 - s.plateau.map_or(0.0, |p| p.1)) {
                self.state.best = loss;
                self.state.best_step = step;
            } else if let Some((patience, rel)) = s.plateau
                && step - self.state.best_step >= patience
            {
                note = format!(
                    "Adam: stopped at step {} (loss fell by less than {rel} in {patience} steps)",
                    step + 1
                );
                break;
            }
            if s.checkpoint_every > 0 && self.state.step.is_multiple_of(s.checkpoint_every) {
                self.store_adam(&adam);
                self.save(monitor)?;
            }
        }
        self.store_adam(&adam);
        self.state.adam_note = note;
        Ok(None)
    }

    fn store_adam(&mut self, adam: &Adam) {
        let (m, v, _) = adam.state();
        self.state.adam_m = m.to_vec();
        self.state.adam_v = v.to_vec();
    }

    /// Learning-rate annealing of the term weights.
    fn anneal(&mut self) -> Result<(), Error> {
        const ALPHA: f64 = 0.9;
        let params = self.state.params.clone();
        let (_, grads) = self.terms(&params)?;
        let net = self.mlp.n_params();
        let max_pde = grads[Term::Pde.index()][..net]
            .iter()
            .fold(0.0f64, |m, g| m.max(g.abs()));
        for term in [Term::Bc, Term::Ic, Term::Data] {
            if !self.problem.has_term(term) {
                continue;
            }
            let mean = grads[term.index()][..net]
                .iter()
                .map(|g| g.abs())
                .sum::<f64>()
                / net as f64;
            if mean > 0.0 && max_pde > 0.0 {
                let l = &mut self.state.lambda[term.index()];
                *l = (1.0 - ALPHA) * *l + ALPHA * (max_pde / mean);
            }
        }
        Ok(())
    }

    /// RAD: new interior points drawn among uniform candidates with density ∝ |r|^k/mean + c.
    fn resample(&mut self, r: Resample, step: usize) -> Result<(), Error> {
        let nc = self.problem.spans().len();
        let n = self.problem.interior().len() / nc;
        // A generator of its own per resampling, so a resumed run draws the same points.
        let mut rng = ChaCha8Rng::seed_from_u64(self.settings.seed ^ (step as u64).rotate_left(32));
        let domain = piml_sampling::Domain::from_model(self.problem.model())?;
        let candidates = domain.interior(Method::Uniform, n * r.candidates.max(1), &mut rng)?;
        let mut trial = self.problem.clone();
        trial.set_interior(&candidates.columns)?;
        let net = &self.state.params[..self.mlp.n_params()];
        let jets = evaluator(&trial, &self.mlp, Precision::F64)?.jets(net, 0)?;
        let (values, _) = self
            .problem
            .parameters(&self.state.params[self.mlp.n_params()..]);
        let res = trial.residuals(&jets, &values);
        let size: Vec<Option<f64>> = trial.residual_sizes(&res).into_iter().map(Some).collect();
        let picked = piml_sampling::adaptive::rad(&size, r.k, r.c, n, &mut rng)?;
        let columns: Vec<Vec<f64>> = candidates
            .columns
            .iter()
            .map(|c| picked.iter().map(|&i| c[i]).collect())
            .collect();
        self.problem.set_interior(&columns)?;
        self.rebuild()?;
        self.state.interior = Some(columns);
        Ok(())
    }

    /// The L-BFGS phase: (iterations, evaluations, termination, converged), or the ending if
    /// interrupted.
    #[allow(clippy::type_complexity)]
    fn lbfgs(
        &mut self,
        monitor: &mut dyn Monitor,
    ) -> Result<Result<(u64, usize, String, bool), Ending>, Error> {
        let iters = self.settings.lbfgs_iters;
        if iters == 0 {
            return Ok(Ok((0, 0, String::new(), false)));
        }
        let weighting = Weighting {
            terms: self.state.lambda,
            causal: Vec::new(),
        };
        let every = self.settings.history_every.max(1);
        let total = iters as usize;
        let mut count = 0usize;
        let mut failure: Option<Error> = None;
        let mut interrupted = false;
        let mut rows = Vec::new();
        let memory = self.settings.lbfgs_memory;
        let x0 = self.state.params.clone();
        // The best point evaluated: what a failed line search late in the run leaves us.
        let mut best = (f64::INFINITY, x0.clone());
        let result = {
            let this = &mut *self;
            Lbfgs {
                max_iters: iters,
                memory,
                tol_grad: 0.0,
                ..Lbfgs::default()
            }
            .minimize(x0, |x, g| {
                if failure.is_some() || interrupted {
                    return f64::NAN;
                }
                if monitor.stop() {
                    interrupted = true;
                    return f64::NAN;
                }
                match this.evaluate(x, &weighting, g) {
                    Ok(loss) => {
                        let row = count.is_multiple_of(every).then(|| HistoryRow {
                            phase: Phase::Lbfgs,
                            step: count,
                            loss,
                            terms: this.shares.terms(&weighting).unwrap_or([f64::NAN; 4]),
                            weights: weighting.terms,
                            params: this.estimates(x),
                        });
                        monitor.progress(Phase::Lbfgs, count + 1, total, row.as_ref());
                        rows.extend(row);
                        count += 1;
                        if loss < best.0 {
                            best = (loss, x.to_vec());
                        }
                        loss
                    }
                    Err(e) => {
                        failure = Some(e);
                        f64::NAN
                    }
                }
            })
        };
        if interrupted {
            return Ok(Err(Ending::Interrupted {
                phase: Phase::Lbfgs,
                step: count,
            }));
        }
        if let Some(e) = failure {
            return Err(e);
        }
        self.state.history.extend(rows);
        match result {
            Ok(r) => {
                self.state.params = r.params;
                Ok(Ok((
                    r.iterations,
                    r.evaluations,
                    r.termination,
                    r.converged,
                )))
            }
            Err(e) if best.0.is_finite() => {
                self.state.params = best.1;
                let note = format!("stopped after {count} evaluations ({e}); kept the best point");
                Ok(Ok((0, count, note, false)))
            }
            Err(e) => {
                let params = self.state.params.clone();
                Err(self.diverged("L-BFGS", count, e.to_string(), &params))
            }
        }
    }
}

fn evaluator(problem: &Problem, mlp: &Mlp, precision: Precision) -> Result<Evaluator, Error> {
    Ok(
        Evaluator::new(mlp, problem.point_sets()?, problem.unknowns().len())?
            .with_block_size(BLOCK)
            .with_precision(precision),
    )
}
