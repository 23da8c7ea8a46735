//! Loss and gradient over point sets, in parallel over blocks of points, deterministically.

use std::ops::Range;
use std::sync::{Mutex, PoisonError};

use rayon::prelude::*;

use crate::gemm::{Isa, Kernel, Simd, dispatch};
use crate::pass::{Block, Dims, GradLayout, Scratch, Weights, backward, forward};
use crate::real::Real;
use crate::{Error, JetGrads, Jets, Mlp, OutputTransform, PointSet};

/// Points per block unless [`Evaluator::with_block_size`] says otherwise.
pub const DEFAULT_BLOCK_SIZE: usize = 16;

/// Blocks are grouped into chunks of at least this many columns (points × streams): the unit
/// of parallel work, with its own gradient buffer.
const CHUNK_COLUMNS: usize = 512;

/// A loss of one block's output jets: returns the block's share of the loss, writes ∂L/∂(jets)
/// into its second argument and adds ∂L/∂(extra parameters) into its third (see
/// [`Evaluator::loss_and_gradient`]). Taken as a trait object so that the pass, generic over
/// precision and instruction set, is compiled once here rather than once per caller's closure
/// (each copy was minutes of optimised compiling per test binary); one dynamic call per block
/// is nothing beside the block's pass.
pub type BlockLoss<'a> = dyn Fn(&Jets<'_>, &mut JetGrads<'_>, &mut [f64]) -> f64 + Sync + 'a;

/// The scalar type the network pass runs in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Precision {
    /// Everything in f64.
    #[default]
    F64,
    /// The pass of each block in f32 (twice the vector lanes): the weights are rounded to f32
    /// once per evaluation; the layers' products, activations and jets, and each block's
    /// reverse pass down to its gradient, run in f32. The input embedding and the output
    /// transform are computed in f64 and rounded; the loss reads f32 jets widened to f64 and
    /// runs in f64; the blocks' gradients and losses are summed in f64.
    F32,
}

impl Precision {
    /// The name used on command lines and in reports (`f64`, `f32`).
    pub fn name(self) -> &'static str {
        match self {
            Precision::F64 => "f64",
            Precision::F32 => "f32",
        }
    }

    /// The precision called `name` (as written by [`Precision::name`]).
    pub fn parse(name: &str) -> Option<Precision> {
        match name {
            "f64" => Some(Precision::F64),
            "f32" => Some(Precision::F32),
            _ => None,
        }
    }
}

/// Evaluates a network's output jets on fixed point sets, and the gradient of a loss of them.
///
/// The parameter vector is the network's parameters followed by `extra` physical parameters.
/// Points are cut into blocks (in set order, [`DEFAULT_BLOCK_SIZE`] points each) and
/// consecutive blocks into chunks of a fixed size; rayon runs the chunks in parallel; each
/// chunk adds its blocks' losses and gradients, in block order, into its own f64 buffer and
/// the buffers are summed in chunk order. The result therefore does not depend on the number
/// of threads or on scheduling: 1 and N threads give bitwise identical losses and gradients,
/// in either [`Precision`] (f64 unless [`Evaluator::with_precision`] says otherwise).
/// All buffers live in the evaluator and are reused: after the first call no call allocates
/// (unless more threads join).
#[derive(Debug)]
pub struct Evaluator {
    plan: Plan,
    chunk_losses: Vec<f64>,
    pass: Pass,
}

/// The network, the points and how they are cut into blocks and chunks.
#[derive(Debug)]
struct Plan {
    mlp: Mlp,
    sets: Vec<PointSet>,
    extra: usize,
    isa: Isa,
    blocks: Vec<Block>,
    /// Consecutive runs of blocks.
    chunks: Vec<Range<usize>>,
    dims: Dims,
}

/// The buffers of the pass in its precision.
#[derive(Debug)]
enum Pass {
    F64(Buffers<f64>),
    F32(Buffers<f32>),
}

impl Pass {
    fn new(precision: Precision, plan: &Plan) -> Pass {
        match precision {
            Precision::F64 => Pass::F64(Buffers::new(plan)),
            Precision::F32 => Pass::F32(Buffers::new(plan)),
        }
    }
}

/// Weight panels, gradient buffers and scratch of a pass in scalar type T.
#[derive(Debug)]
struct Buffers<T> {
    weights: Weights<T>,
    layout: GradLayout<T>,
    /// One f64 gradient buffer (in `layout`) per chunk, then one for their sum.
    chunk_grads: Vec<f64>,
    pool: Mutex<Vec<Scratch<T>>>,
}

impl Evaluator {
    /// An evaluator of `mlp`'s architecture on `sets`, with `extra` physical parameters.
    pub fn new(mlp: &Mlp, sets: Vec<PointSet>, extra: usize) -> Result<Evaluator, Error> {
        let arch = mlp.architecture();
        let d = arch.inputs();
        for (i, set) in sets.iter().enumerate() {
            let bad = |message: String| Err(Error::Points { set: i, message });
            if set.points.len() % d != 0 {
                return bad(format!(
                    "{} coordinates are not a whole number of {d}-dimensional points",
                    set.points.len()
                ));
            }
            if let Some(input) = set.spec.max_input().filter(|&m| m >= d) {
                return bad(format!(
                    "derivative by input {input}, but the network has {d}"
                ));
            }
            let n = set.points.len() / d;
            let wanted = n * set.spec.streams() * arch.outputs;
            match (arch.transform, &set.initial) {
                (OutputTransform::InitialCondition { .. }, None) => {
                    return bad("the network's hard initial condition needs u0 jets".into());
                }
                (OutputTransform::InitialCondition { .. }, Some(u0)) if u0.len() != wanted => {
                    return bad(format!(
                        "u0 jets have {} entries, expected {wanted} (points × streams × outputs)",
                        u0.len()
                    ));
                }
                _ => {}
            }
        }
        let mut plan = Plan {
            mlp: mlp.clone(),
            sets,
            extra,
            isa: Isa::detect(),
            blocks: Vec::new(),
            chunks: Vec::new(),
            dims: Dims {
                block: 0,
                columns: 0,
            },
        };
        plan.cut(DEFAULT_BLOCK_SIZE);
        Ok(Evaluator {
            chunk_losses: vec![0.0; plan.chunks.len()],
            pass: Pass::new(Precision::F64, &plan),
            plan,
        })
    }

    /// The same evaluator with blocks of at most `size` (≥ 1) points.
    pub fn with_block_size(mut self, size: usize) -> Evaluator {
        self.plan.cut(size.max(1));
        self.chunk_losses = vec![0.0; self.plan.chunks.len()];
        self.pass = Pass::new(self.precision(), &self.plan);
        self
    }

    /// The same evaluator with the network pass in `precision`.
    pub fn with_precision(mut self, precision: Precision) -> Evaluator {
        self.pass = Pass::new(precision, &self.plan);
        self
    }

    /// The precision of the network pass.
    pub fn precision(&self) -> Precision {
        match self.pass {
            Pass::F64(_) => Precision::F64,
            Pass::F32(_) => Precision::F32,
        }
    }

    /// Length of the parameter vector: network parameters, then the extra ones.
    pub fn n_params(&self) -> usize {
        self.plan.mlp.n_params() + self.plan.extra
    }

    /// The point sets.
    pub fn sets(&self) -> &[PointSet] {
        &self.plan.sets
    }

    /// The loss L = Σ over blocks of `loss(jets, djets, dextra)`, and its gradient with respect
    /// to `params` (network parameters then extra ones) written to `grad`.
    ///
    /// For each block, `loss` returns the block's share of L, writes ∂L/∂(output jets) into
    /// `djets` (zero on entry) and adds ∂L/∂(extra parameters) into `dextra` (zero on entry);
    /// `jets.extra` holds the extra parameters. One hand-written reverse pass per block turns
    /// ∂L/∂(jets) into ∂L/∂(network parameters).
    pub fn loss_and_gradient(
        &mut self,
        params: &[f64],
        loss: &BlockLoss<'_>,
        grad: &mut [f64],
    ) -> Result<f64, Error> {
        let np = self.n_params();
        check_len("parameter vector", params.len(), np)?;
        check_len("gradient vector", grad.len(), np)?;
        let (plan, losses) = (&self.plan, &mut self.chunk_losses);
        match &mut self.pass {
            Pass::F64(b) => b.loss_and_gradient(plan, params, loss, losses, grad),
            Pass::F32(b) => b.loss_and_gradient(plan, params, loss, losses, grad),
        }
        Ok(self.chunk_losses.iter().sum())
    }

    /// The output jets of set `set` for network parameters `net`: for each point, each stream
    /// of the set's [`crate::JetSpec`], each output (points × streams × outputs, row-major).
    pub fn jets(&mut self, net: &[f64], set: usize) -> Result<Vec<f64>, Error> {
        check_len(
            "network parameter vector",
            net.len(),
            self.plan.mlp.n_params(),
        )?;
        Ok(match &mut self.pass {
            Pass::F64(b) => b.jets(&self.plan, net, set),
            Pass::F32(b) => b.jets(&self.plan, net, set),
        })
    }
}

impl Plan {
    fn cut(&mut self, size: usize) {
        let d = self.mlp.architecture().inputs();
        self.blocks.clear();
        self.chunks.clear();
        self.dims = Dims {
            block: 1,
            columns: 1,
        };
        let (mut chunk_start, mut chunk_columns) = (0, 0);
        for (i, set) in self.sets.iter().enumerate() {
            let n = set.points.len() / d;
            for start in (0..n).step_by(size) {
                let len = size.min(n - start);
                let columns = len * set.spec.streams();
                self.blocks.push(Block { set: i, start, len });
                self.dims.block = self.dims.block.max(len);
                self.dims.columns = self.dims.columns.max(columns);
                chunk_columns += columns;
                if chunk_columns >= CHUNK_COLUMNS {
                    self.chunks.push(chunk_start..self.blocks.len());
                    (chunk_start, chunk_columns) = (self.blocks.len(), 0);
                }
            }
        }
        if chunk_start < self.blocks.len() || self.chunks.is_empty() {
            self.chunks.push(chunk_start..self.blocks.len());
        }
    }
}

impl<T: Real> Buffers<T> {
    fn new(plan: &Plan) -> Buffers<T> {
        let layout = GradLayout::new(&plan.mlp, plan.extra);
        Buffers {
            weights: Weights::new(&plan.mlp),
            chunk_grads: vec![0.0; (plan.chunks.len() + 1) * layout.len],
            layout,
            pool: Mutex::new(Vec::new()),
        }
    }

    /// [`Evaluator::loss_and_gradient`] with the chunks' losses in `losses`.
    fn loss_and_gradient(
        &mut self,
        plan: &Plan,
        params: &[f64],
        loss: &BlockLoss<'_>,
        losses: &mut [f64],
        grad: &mut [f64],
    ) {
        let (net, extra) = params.split_at(plan.mlp.n_params());
        self.weights.fill(&plan.mlp, net);
        let glen = self.layout.len;
        let (chunk_grads, total) = self.chunk_grads.split_at_mut(plan.chunks.len() * glen);
        let (weights, layout, pool) = (&self.weights, &self.layout, &self.pool);
        plan.chunks
            .par_iter()
            .zip(chunk_grads.par_chunks_mut(glen))
            .zip(losses.par_iter_mut())
            .with_max_len(1)
            .for_each(|((chunk, g), l)| {
                let mut s =
                    take(pool).unwrap_or_else(|| Scratch::new(&plan.mlp, plan.dims, extra.len()));
                let work = Chunk {
                    mlp: &plan.mlp,
                    sets: &plan.sets,
                    blocks: &plan.blocks[chunk.clone()],
                    extra,
                    weights,
                    layout,
                    loss,
                    scratch: &mut s,
                    grad: g,
                };
                *l = dispatch(plan.isa, work);
                pool.lock().unwrap_or_else(PoisonError::into_inner).push(s);
            });
        total.fill(0.0);
        for g in chunk_grads.chunks_exact(glen) {
            total.iter_mut().zip(g).for_each(|(a, b)| *a += b);
        }
        self.layout.unpad(&plan.mlp, total, grad);
    }

    /// [`Evaluator::jets`].
    fn jets(&mut self, plan: &Plan, net: &[f64], set: usize) -> Vec<f64> {
        self.weights.fill(&plan.mlp, net);
        let mut s =
            take(&self.pool).unwrap_or_else(|| Scratch::new(&plan.mlp, plan.dims, plan.extra));
        let work = SetJets {
            mlp: &plan.mlp,
            set: &plan.sets[set],
            blocks: plan.blocks.iter().filter(|b| b.set == set),
            weights: &self.weights,
            scratch: &mut s,
        };
        let out = dispatch(plan.isa, work);
        self.pool
            .get_mut()
            .unwrap_or_else(PoisonError::into_inner)
            .push(s);
        out
    }
}

/// The output jets of one set, block after block.
struct SetJets<'a, T, I> {
    mlp: &'a Mlp,
    set: &'a PointSet,
    blocks: I,
    weights: &'a Weights<T>,
    scratch: &'a mut Scratch<T>,
}

impl<'a, T: Real, I: Iterator<Item = &'a Block>> Kernel for SetJets<'a, T, I> {
    type Real = T;
    type Output = Vec<f64>;

    #[inline(always)]
    fn run<V: Simd<T>>(self) -> Vec<f64> {
        let (mlp, set, s) = (self.mlp, self.set, self.scratch);
        let outputs = mlp.architecture().outputs;
        let ns = set.spec.streams();
        let mut out =
            Vec::with_capacity(set.points.len() / mlp.architecture().inputs() * ns * outputs);
        for &blk in self.blocks {
            forward::<T, V>(mlp, self.weights, set, blk, s);
            for p in 0..blk.len {
                for st in 0..ns {
                    let col = st * blk.len + p;
                    out.extend(
                        s.out[col * outputs..(col + 1) * outputs]
                            .iter()
                            .map(|v| v.to_f64()),
                    );
                }
            }
        }
        out
    }
}

/// One chunk's share of a loss-and-gradient evaluation.
struct Chunk<'a, T> {
    mlp: &'a Mlp,
    sets: &'a [PointSet],
    blocks: &'a [Block],
    extra: &'a [f64],
    weights: &'a Weights<T>,
    layout: &'a GradLayout<T>,
    loss: &'a BlockLoss<'a>,
    scratch: &'a mut Scratch<T>,
    /// The chunk's gradient buffer (in `layout`).
    grad: &'a mut [f64],
}

impl<T: Real> Kernel for Chunk<'_, T> {
    type Real = T;
    type Output = f64;

    /// The chunk's loss; its gradient into `grad`.
    #[inline(always)]
    fn run<V: Simd<T>>(self) -> f64 {
        let (mlp, s, g) = (self.mlp, self.scratch, self.grad);
        let (inputs, outputs) = (mlp.architecture().inputs(), mlp.architecture().outputs);
        g.fill(0.0);
        let mut total = 0.0;
        for &blk in self.blocks {
            let set = &self.sets[blk.set];
            forward::<T, V>(mlp, self.weights, set, blk, s);
            let c = blk.len * set.spec.streams() * outputs;
            s.jets[..c]
                .iter_mut()
                .zip(&s.out[..c])
                .for_each(|(j, o)| *j = o.to_f64());
            s.djets[..c].fill(0.0);
            s.dextra.fill(0.0);
            let jets = Jets {
                set: blk.set,
                start: blk.start,
                extra: self.extra,
                points: &set.points[blk.start * inputs..(blk.start + blk.len) * inputs],
                data: &s.jets[..c],
                spec: &set.spec,
                inputs,
                outputs,
            };
            let mut djets = JetGrads {
                data: &mut s.djets[..c],
                spec: &set.spec,
                len: blk.len,
                outputs,
            };
            total += (self.loss)(&jets, &mut djets, &mut s.dextra);
            // A block the loss ignores (a term weighted 0) adds nothing: skip its reverse pass.
            if s.djets[..c].iter().all(|&d| d == 0.0) && s.dextra.iter().all(|&d| d == 0.0) {
                continue;
            }
            s.dout[..c]
                .iter_mut()
                .zip(&s.djets[..c])
                .for_each(|(d, &j)| *d = T::from_f64(j));
            let (network, extra) = self.layout.split(g);
            extra.iter_mut().zip(&s.dextra).for_each(|(a, b)| *a += b);
            // No closure here: it would be compiled outside the instruction set of `run`.
            let mut block = std::mem::take(&mut s.grad);
            let gb = T::block_gradient(network, &mut block);
            backward::<T, V>(mlp, self.weights, self.layout, set, blk, s, gb);
            T::add_block_gradient(network, &block);
            s.grad = block;
        }
        total
    }
}

fn take<T>(pool: &Mutex<Vec<T>>) -> Option<T> {
    pool.lock().unwrap_or_else(PoisonError::into_inner).pop()
}

fn check_len(what: &'static str, got: usize, expected: usize) -> Result<(), Error> {
    if got == expected {
        Ok(())
    } else {
        Err(Error::Length {
            what,
            got,
            expected,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{Activation, Architecture, JetSpec};

    /// Loss and gradient of Σ (all jets)² on a network with widths that are not multiples of
    /// the padding, Fourier features and the hard initial condition, built for `isa`.
    fn evaluate(isa: Isa, act: Activation, precision: Precision) -> (f64, Vec<f64>) {
        let arch = Architecture::new(vec![[0.0, 1.0], [-1.0, 2.0], [0.0, 3.0]], vec![11, 5], 2)
            .activation(act)
            .fourier(5, 0.7)
            .initial_condition(2);
        let mlp = Mlp::new(arch, 3).unwrap();
        let sets = [JetSpec::new(&[0, 1, 2], &[1, 0]).unwrap(), JetSpec::value()]
            .into_iter()
            .map(|spec| {
                let n = 37;
                let points = (0..3 * n).map(|k| ((k * 29) % 31) as f64 / 10.0).collect();
                let u0 = (0..n * spec.streams() * 2)
                    .map(|k| (k as f64).cos())
                    .collect();
                PointSet::new(points, spec).with_initial(u0)
            })
            .collect();
        let mut ev = Evaluator::new(&mlp, sets, 1)
            .unwrap()
            .with_block_size(10)
            .with_precision(precision);
        ev.plan.isa = isa;
        let mut params = mlp.params().to_vec();
        params.push(0.5);
        let mut grad = vec![0.0; params.len()];
        let loss = |j: &Jets<'_>, g: &mut JetGrads<'_>, e: &mut [f64]| {
            let mut total = 0.0;
            for p in 0..j.len() {
                for s in 0..j.spec().streams() {
                    for k in 0..j.outputs() {
                        let v = j.get(s, p, k);
                        total += j.extra[0] * v * v;
                        *g.get_mut(s, p, k) = 2.0 * j.extra[0] * v;
                        e[0] += v * v;
                    }
                }
            }
            total
        };
        let value = ev.loss_and_gradient(&params, &loss, &mut grad).unwrap();
        (value, grad)
    }

    #[test]
    fn every_instruction_set_gives_the_same_loss_and_gradient() {
        // The portable build rounds a·b + c twice where the others fuse it: a few ulp per
        // operation, through a few dozen operations (1e-12 in f64, as many ulp in f32).
        let f32_tolerance = 1e-12 * f64::from(f32::EPSILON) / f64::EPSILON;
        for (precision, tolerance) in [(Precision::F64, 1e-12), (Precision::F32, f32_tolerance)] {
            for act in Activation::ALL {
                let (value, grad) = evaluate(Isa::detect(), act, precision);
                let (pv, pg) = evaluate(Isa::Portable, act, precision);
                let scale = grad.iter().fold(value.abs(), |m, g| m.max(g.abs()));
                assert!(
                    (value - pv).abs() <= tolerance * scale,
                    "{act:?} {precision:?}: {value} vs {pv}"
                );
                for (a, b) in grad.iter().zip(&pg) {
                    assert!(
                        (a - b).abs() <= tolerance * scale,
                        "{act:?} {precision:?}: {a} vs {b}"
                    );
                }
                #[cfg(target_arch = "x86_64")]
                if Isa::detect() == Isa::Avx512 {
                    // The same operations in the same order with AVX2: identical bits.
                    let avx2 = evaluate(Isa::Avx2, act, precision);
                    assert_eq!(avx2, (value, grad), "{act:?} {precision:?}");
                }
            }
        }
    }
}
