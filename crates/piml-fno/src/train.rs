//! Training an operator on pairs of fields: relative L2 loss, Adam with step decay, rayon
//! across the samples of a batch with a fixed reduction order; passes in f64 or f32 (Adam and
//! the weights stay f64, the passes run on a copy rounded after every step).

use piml_nn::{Adam, Schedule};
use rand::SeedableRng;
use rand::seq::SliceRandom;
use rand_chacha::ChaCha8Rng;
use rayon::prelude::*;

use crate::real::Real;
use crate::{Error, Fno, Scratch, Tape, Transforms};

/// Pairs of fields on one grid: each input and target holds n values per channel, channel
/// after channel.
#[derive(Debug, Clone, PartialEq)]
pub struct Dataset {
    pub inputs: Vec<Vec<f64>>,
    pub targets: Vec<Vec<f64>>,
}

impl Dataset {
    pub fn len(&self) -> usize {
        self.inputs.len()
    }

    pub fn is_empty(&self) -> bool {
        self.inputs.is_empty()
    }
}

/// The float type of a training run's forward and reverse passes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Precision {
    F32,
    F64,
}

/// Settings of a training run.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Settings {
    pub epochs: usize,
    pub batch: usize,
    pub lr: f64,
    /// The learning rate is multiplied by `decay.0` every `decay.1` epochs.
    pub decay: (f64, usize),
    /// Test error every this many epochs (and after the last).
    pub test_every: usize,
    pub seed: u64,
    pub precision: Precision,
    /// Hand the state to [`Monitor::checkpoint`] after every this many epochs (0: never).
    pub checkpoint_every: usize,
}

/// One epoch's figures.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Epoch {
    pub epoch: usize,
    /// Mean relative L2 error of the training samples, as seen during the epoch.
    pub train: f64,
    /// Mean relative L2 error of the test samples after the epoch, when computed.
    pub test: Option<f64>,
    pub lr: f64,
    pub seconds: f64,
}

/// Where a run stands: the epoch under way (from 1) and how many of its batches are done, with
/// the sum of their training errors.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Position {
    pub epoch: usize,
    pub batch: usize,
    pub total: f64,
}

/// Everything a run needs to go on from where it stands bit for bit: the weights, Adam's
/// moments and step count (which give the learning rate), the order of the samples in the
/// epoch under way (each shuffles the last one's), and the history so far.
#[derive(Debug, Clone, PartialEq)]
pub struct TrainState {
    pub position: Position,
    pub params: Vec<f64>,
    pub adam: (Vec<f64>, Vec<f64>, usize),
    pub order: Vec<usize>,
    pub history: Vec<Epoch>,
}

/// What a caller watches and controls during training.
pub trait Monitor {
    /// After every epoch.
    fn epoch(&mut self, e: &Epoch);
    /// The state after every [`Settings::checkpoint_every`]-th epoch, and before a stop.
    fn checkpoint(&mut self, state: &TrainState) -> Result<(), Error>;
    /// Whether to stop before the next batch (a signal arrived).
    fn stop(&self) -> bool;
}

/// How a run ended.
#[derive(Debug, Clone, PartialEq)]
pub enum Ending {
    /// Every epoch ran: the history.
    Finished(Vec<Epoch>),
    /// Stopped on request where `position` says; the checkpoint handed over then continues it.
    Stopped(Position),
}

/// Samples per task: each task runs one batched pass over its samples and sums their
/// gradients into its own buffer, and the buffers are added in task order, so the result does
/// not depend on the thread count. Ten samples make the pointwise products 10·n rows tall,
/// and a batch of 20 two tasks.
const CHUNK: usize = 10;

/// ‖p − y‖/‖y‖ (summed in f64) and its gradient by p (written into `grad` when given, scaled
/// by `scale`).
pub fn relative_l2<T: Real>(p: &[T], y: &[T], grad: Option<(&mut [T], f64)>) -> f64 {
    let f = |v: T| v.wide();
    let diff: f64 = p
        .iter()
        .zip(y)
        .map(|(&a, &b)| f(a - b) * f(a - b))
        .sum::<f64>()
        .sqrt();
    let norm: f64 = y
        .iter()
        .map(|&b| f(b) * f(b))
        .sum::<f64>()
        .sqrt()
        .max(f64::MIN_POSITIVE);
    if let Some((g, scale)) = grad {
        let c = T::of(if diff > 0.0 {
            scale / (diff * norm)
        } else {
            0.0
        });
        for ((g, &a), &b) in g.iter_mut().zip(p).zip(y) {
            *g = c * (a - b);
        }
    }
    diff / norm
}

/// Per-task work buffers.
struct Worker<T> {
    tape: Tape<T>,
    scratch: Scratch<T>,
    grad: Vec<T>,
    dout: Vec<T>,
    /// One sample's output and its loss gradient.
    sample: (Vec<T>, Vec<T>),
    loss: f64,
}

/// The sum of the relative L2 errors of the samples of `tape`'s batch against `targets`, and
/// its gradient times `scale` by the output into `dout` (in the layout of [`Tape::output`]).
fn batch_loss<T: Real>(
    tape: &Tape<T>,
    targets: &[&[T]],
    dout: &mut Vec<T>,
    scale: f64,
    sample: &mut (Vec<T>, Vec<T>),
) -> f64 {
    let (b, n) = (tape.samples(), tape.points());
    let fields = b * n;
    let out = tape.output();
    let (p, g) = sample;
    dout.resize(out.len(), T::zero());
    let mut total = 0.0;
    for (j, y) in targets.iter().enumerate() {
        p.clear();
        for channel in out.chunks_exact(fields) {
            p.extend_from_slice(&channel[j * n..(j + 1) * n]);
        }
        g.resize(p.len(), T::zero());
        total += relative_l2(p, y, Some((g, scale)));
        for (channel, gc) in dout.chunks_exact_mut(fields).zip(g.chunks_exact(n)) {
            channel[j * n..(j + 1) * n].copy_from_slice(gc);
        }
    }
    total
}

/// Trains `fno` on `train`, reporting every epoch to `on_epoch`.
pub fn train(
    fno: &mut Fno,
    t: &Transforms,
    train: &Dataset,
    test: Option<&Dataset>,
    settings: &Settings,
    on_epoch: &mut dyn FnMut(&Epoch),
) -> Result<Vec<Epoch>, Error> {
    struct Reporter<'a>(&'a mut dyn FnMut(&Epoch));
    impl Monitor for Reporter<'_> {
        fn epoch(&mut self, e: &Epoch) {
            (self.0)(e);
        }
        fn checkpoint(&mut self, _: &TrainState) -> Result<(), Error> {
            Ok(())
        }
        fn stop(&self) -> bool {
            false
        }
    }
    match train_from(fno, t, train, test, settings, None, &mut Reporter(on_epoch))? {
        Ending::Finished(history) => Ok(history),
        Ending::Stopped(_) => unreachable!("the reporter never asks to stop"),
    }
}

/// [`train`] from a checkpoint's state (or from the start), watched by `monitor`.
pub fn train_from(
    fno: &mut Fno,
    t: &Transforms,
    train: &Dataset,
    test: Option<&Dataset>,
    settings: &Settings,
    resume: Option<TrainState>,
    monitor: &mut dyn Monitor,
) -> Result<Ending, Error> {
    check(fno, t, train)?;
    if let Some(test) = test {
        check(fno, t, test)?;
    }
    let run = Run {
        t,
        train,
        test,
        settings,
    };
    match settings.precision {
        Precision::F64 => run.go::<f64>(fno, resume, monitor),
        Precision::F32 => run.go::<f32>(fno, resume, monitor),
    }
}

/// The fixed inputs of a training run.
struct Run<'a> {
    t: &'a Transforms,
    train: &'a Dataset,
    test: Option<&'a Dataset>,
    settings: &'a Settings,
}

impl Run<'_> {
    /// [`train_from`] with passes in `T`.
    fn go<T: Real>(
        &self,
        fno: &mut Fno,
        resume: Option<TrainState>,
        monitor: &mut dyn Monitor,
    ) -> Result<Ending, Error> {
        let Run {
            t,
            train,
            test,
            settings,
        } = *self;
        let cast = |v: &Vec<f64>| -> Vec<T> { v.iter().map(|&x| T::of(x)).collect() };
        let inputs: Vec<Vec<T>> = train.inputs.iter().map(cast).collect();
        let targets: Vec<Vec<T>> = train.targets.iter().map(cast).collect();
        let tt = t.in_type::<T>();
        let batch = settings.batch.max(1);
        let batches = train.len().div_ceil(batch);
        let schedule = Schedule::Step {
            initial: settings.lr,
            factor: settings.decay.0,
            steps: settings.decay.1.max(1) * batches,
        };
        let mut adam = Adam::new(fno.n_params(), schedule);
        // Each epoch shuffles the order of the one before with a generator of its own, drawn
        // as the epoch before ends: a state always holds the order of the epoch under way.
        let shuffle = |order: &mut Vec<usize>, epoch: usize| {
            let mut rng = ChaCha8Rng::seed_from_u64(settings.seed);
            rng.set_stream(epoch as u64);
            order.shuffle(&mut rng);
        };
        let mut order: Vec<usize> = (0..train.len()).collect();
        shuffle(&mut order, 1);
        let mut history = Vec::new();
        let mut pos = Position {
            epoch: 1,
            batch: 0,
            total: 0.0,
        };
        if let Some(s) = resume {
            let fits = s.params.len() == fno.n_params()
                && s.order.len() == train.len()
                && s.position.batch <= batches;
            let (m, v, steps) = s.adam;
            adam = adam.resumed(m, v, steps).filter(|_| fits).ok_or_else(|| {
                Error::Checkpoint("it holds another network or another number of samples".into())
            })?;
            fno.params_mut().copy_from_slice(&s.params);
            (pos, order, history) = (s.position, s.order, s.history);
        }
        let mut model = fno.cast::<T>();
        let mut workers: Vec<Worker<T>> = (0..batch.div_ceil(CHUNK))
            .map(|_| Worker {
                tape: Tape::default(),
                scratch: tt.scratch(),
                grad: vec![T::zero(); fno.n_params()],
                dout: Vec::new(),
                sample: Default::default(),
                loss: 0.0,
            })
            .collect();
        let mut grad = vec![0.0; fno.n_params()];
        let state = |pos: Position, order: &[usize], history: &[Epoch], fno: &Fno, adam: &Adam| {
            let (m, v, steps) = adam.state();
            TrainState {
                position: pos,
                params: fno.params().to_vec(),
                adam: (m.to_vec(), v.to_vec(), steps),
                order: order.to_vec(),
                history: history.to_vec(),
            }
        };
        while pos.epoch <= settings.epochs {
            let epoch = pos.epoch;
            let started = std::time::Instant::now();
            // The rate at the epoch's first step, also when resumed in its middle.
            let lr = schedule.rate(adam.steps() - pos.batch);
            for chunk in order.chunks(batch).skip(pos.batch) {
                if monitor.stop() {
                    monitor.checkpoint(&state(pos, &order, &history, fno, &adam))?;
                    return Ok(Ending::Stopped(pos));
                }
                let scale = 1.0 / chunk.len() as f64;
                let pass = &model;
                workers
                    .par_iter_mut()
                    .zip(chunk.par_chunks(CHUNK))
                    .with_max_len(1)
                    .for_each(|(w, samples)| {
                        let inputs: Vec<&[T]> =
                            samples.iter().map(|&i| inputs[i].as_slice()).collect();
                        let targets: Vec<&[T]> =
                            samples.iter().map(|&i| targets[i].as_slice()).collect();
                        pass.forward(&tt, &inputs, &mut w.tape, &mut w.scratch);
                        w.loss = batch_loss(&w.tape, &targets, &mut w.dout, scale, &mut w.sample);
                        w.grad.fill(T::zero());
                        pass.backward(&tt, &mut w.tape, &w.dout, &mut w.grad, &mut w.scratch);
                    });
                // The workers' sums added in worker order (the first assigned), checked on the
                // way: one pass over the gradient per worker.
                let mut finite = true;
                for (j, w) in workers[..chunk.len().div_ceil(CHUNK)].iter().enumerate() {
                    for (a, &b) in grad.iter_mut().zip(&w.grad) {
                        *a = if j == 0 { b.wide() } else { *a + b.wide() };
                        finite &= a.is_finite();
                    }
                    pos.total += w.loss;
                }
                if !finite {
                    return Err(Error::Diverged {
                        epoch,
                        what: "the gradient is not finite".into(),
                    });
                }
                adam.step(fno.params_mut(), &grad);
                for (w, &p) in model.params_mut().iter_mut().zip(fno.params()) {
                    *w = T::of(p);
                }
                pos.batch += 1;
            }
            let test_error = match test {
                Some(d)
                    if epoch.is_multiple_of(settings.test_every.max(1))
                        || epoch == settings.epochs =>
                {
                    let e = errors(fno, t, d);
                    Some(e.iter().sum::<f64>() / e.len() as f64)
                }
                _ => None,
            };
            let report = Epoch {
                epoch,
                train: pos.total / train.len() as f64,
                test: test_error,
                lr,
                seconds: started.elapsed().as_secs_f64(),
            };
            if !report.train.is_finite() {
                return Err(Error::Diverged {
                    epoch,
                    what: format!("the training error is {}", report.train),
                });
            }
            monitor.epoch(&report);
            history.push(report);
            pos = Position {
                epoch: epoch + 1,
                batch: 0,
                total: 0.0,
            };
            shuffle(&mut order, epoch + 1);
            if settings.checkpoint_every > 0 && epoch.is_multiple_of(settings.checkpoint_every) {
                monitor.checkpoint(&state(pos, &order, &history, fno, &adam))?;
            }
        }
        Ok(Ending::Finished(history))
    }
}

fn check(fno: &Fno, t: &Transforms, d: &Dataset) -> Result<(), Error> {
    let c = fno.config();
    let n = t.points();
    if d.is_empty() {
        return Err(Error::Data("no samples".into()));
    }
    if d.inputs.len() != d.targets.len() {
        return Err(Error::Data("inputs and targets differ in number".into()));
    }
    for (i, (u, y)) in d.inputs.iter().zip(&d.targets).enumerate() {
        if u.len() != n * c.in_channels || y.len() != n * c.out_channels {
            return Err(Error::Data(format!(
                "sample {i}: {} input and {} target values, expected {} and {} ({n} points)",
                u.len(),
                y.len(),
                n * c.in_channels,
                n * c.out_channels
            )));
        }
    }
    Ok(())
}

/// The operator applied to every input, in parallel over groups of samples.
pub fn predict(fno: &Fno, t: &Transforms, inputs: &[Vec<f64>]) -> Vec<Vec<f64>> {
    let groups: Vec<Vec<Vec<f64>>> = inputs
        .par_chunks(CHUNK)
        .map_init(
            || (Tape::default(), t.scratch()),
            |(tape, scratch), group| {
                let group: Vec<&[f64]> = group.iter().map(Vec::as_slice).collect();
                fno.forward(t, &group, tape, scratch);
                (0..group.len()).map(|j| tape.sample_output(j)).collect()
            },
        )
        .collect();
    groups.into_iter().flatten().collect()
}

/// Relative L2 error of every sample.
pub fn errors(fno: &Fno, t: &Transforms, d: &Dataset) -> Vec<f64> {
    predict(fno, t, &d.inputs)
        .iter()
        .zip(&d.targets)
        .map(|(p, y)| relative_l2(p, y, None))
        .collect()
}
