//! Loss and gradient over point sets, in parallel over blocks of points, deterministically.

use std::ops::Range;
use std::sync::{Mutex, PoisonError};

use rayon::prelude::*;

use crate::gemm::{Isa, Kernel, Simd, dispatch};
use crate::pass::{Block, Dims, GradLayout, Scratch, Weights, backward, forward};
use crate::{Error, JetGrads, Jets, Mlp, OutputTransform, PointSet};

/// Points per block unless [`Evaluator::with_block_size`] says otherwise.
pub const DEFAULT_BLOCK_SIZE: usize = 16;

/// Blocks are grouped into chunks of at least this many columns (points × streams): the unit
/// of parallel work, with its own gradient buffer.
const CHUNK_COLUMNS: usize = 512;

/// Evaluates a network's output jets on fixed point sets, and the gradient of a loss of them.
///
/// The parameter vector is the network's parameters followed by `extra` physical parameters.
/// Points are cut into blocks (in set order, [`DEFAULT_BLOCK_SIZE`] points each) and
/// consecutive blocks into chunks of a fixed size; rayon runs the chunks in parallel; each
/// chunk adds its blocks' losses and gradients, in block order, into its own buffer and the
/// buffers are summed in chunk order. The result therefore does not depend on the number of
/// threads or on scheduling: 1 and N threads give bitwise identical losses and gradients.
/// All buffers live in the evaluator and are reused: after the first call no call allocates
/// (unless more threads join).
#[derive(Debug)]
pub struct Evaluator {
    mlp: Mlp,
    sets: Vec<PointSet>,
    extra: usize,
    isa: Isa,
    blocks: Vec<Block>,
    /// Consecutive runs of blocks.
    chunks: Vec<Range<usize>>,
    dims: Dims,
    weights: Weights,
    layout: GradLayout,
    /// One gradient buffer (in `layout`) per chunk, then one for their sum.
    chunk_grads: Vec<f64>,
    chunk_losses: Vec<f64>,
    pool: Mutex<Vec<Scratch>>,
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
        let mut evaluator = Evaluator {
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
            weights: Weights::new(mlp),
            layout: GradLayout::new(mlp, extra),
            chunk_grads: Vec::new(),
            chunk_losses: Vec::new(),
            pool: Mutex::new(Vec::new()),
        };
        evaluator.cut(DEFAULT_BLOCK_SIZE);
        Ok(evaluator)
    }

    /// The same evaluator with blocks of at most `size` (≥ 1) points.
    pub fn with_block_size(mut self, size: usize) -> Evaluator {
        self.cut(size.max(1));
        self
    }

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
        self.chunk_grads = vec![0.0; (self.chunks.len() + 1) * self.layout.len];
        self.chunk_losses = vec![0.0; self.chunks.len()];
        self.pool_mut().clear();
    }

    fn pool_mut(&mut self) -> &mut Vec<Scratch> {
        self.pool.get_mut().unwrap_or_else(PoisonError::into_inner)
    }

    /// Length of the parameter vector: network parameters, then the extra ones.
    pub fn n_params(&self) -> usize {
        self.mlp.n_params() + self.extra
    }

    /// The point sets.
    pub fn sets(&self) -> &[PointSet] {
        &self.sets
    }

    /// The loss L = Σ over blocks of `loss(jets, djets, dextra)`, and its gradient with respect
    /// to `params` (network parameters then extra ones) written to `grad`.
    ///
    /// For each block, `loss` returns the block's share of L, writes ∂L/∂(output jets) into
    /// `djets` (zero on entry) and adds ∂L/∂(extra parameters) into `dextra` (zero on entry);
    /// `jets.extra` holds the extra parameters. One hand-written reverse pass per block turns
    /// ∂L/∂(jets) into ∂L/∂(network parameters).
    pub fn loss_and_gradient<L>(
        &mut self,
        params: &[f64],
        loss: &L,
        grad: &mut [f64],
    ) -> Result<f64, Error>
    where
        L: Fn(&Jets<'_>, &mut JetGrads<'_>, &mut [f64]) -> f64 + Sync,
    {
        let np = self.n_params();
        check_len("parameter vector", params.len(), np)?;
        check_len("gradient vector", grad.len(), np)?;
        let n_net = self.mlp.n_params();
        let (net, extra) = params.split_at(n_net);
        self.weights.fill(&self.mlp, net);
        let glen = self.layout.len;
        let (chunk_grads, total) = self.chunk_grads.split_at_mut(self.chunks.len() * glen);
        let (mlp, sets, pool, dims) = (&self.mlp, &self.sets, &self.pool, self.dims);
        let (isa, blocks, weights, layout) = (self.isa, &self.blocks, &self.weights, &self.layout);
        self.chunks
            .par_iter()
            .zip(chunk_grads.par_chunks_mut(glen))
            .zip(self.chunk_losses.par_iter_mut())
            .with_max_len(1)
            .for_each(|((chunk, g), l)| {
                let mut s = take(pool).unwrap_or_else(|| Scratch::new(mlp, dims, extra.len()));
                let work = Chunk {
                    mlp,
                    sets,
                    blocks: &blocks[chunk.clone()],
                    net,
                    extra,
                    weights,
                    layout,
                    loss,
                    scratch: &mut s,
                    grad: g,
                };
                *l = dispatch(isa, work);
                pool.lock().unwrap_or_else(PoisonError::into_inner).push(s);
            });
        total.fill(0.0);
        for g in chunk_grads.chunks_exact(glen) {
            total.iter_mut().zip(g).for_each(|(a, b)| *a += b);
        }
        self.layout.unpad(&self.mlp, total, grad);
        Ok(self.chunk_losses.iter().sum())
    }

    /// The output jets of set `set` for network parameters `net`: for each point, each stream
    /// of the set's [`crate::JetSpec`], each output (points × streams × outputs, row-major).
    pub fn jets(&mut self, net: &[f64], set: usize) -> Result<Vec<f64>, Error> {
        check_len("network parameter vector", net.len(), self.mlp.n_params())?;
        self.weights.fill(&self.mlp, net);
        let (mlp, sets, dims) = (&self.mlp, &self.sets, self.dims);
        let mut s = take(&self.pool).unwrap_or_else(|| Scratch::new(mlp, dims, self.extra));
        let work = SetJets {
            mlp,
            set: &sets[set],
            blocks: self.blocks.iter().filter(|b| b.set == set),
            net,
            weights: &self.weights,
            scratch: &mut s,
        };
        let out = dispatch(self.isa, work);
        self.pool_mut().push(s);
        Ok(out)
    }
}

/// The output jets of one set, block after block.
struct SetJets<'a, I> {
    mlp: &'a Mlp,
    set: &'a PointSet,
    blocks: I,
    net: &'a [f64],
    weights: &'a Weights,
    scratch: &'a mut Scratch,
}

impl<'a, I: Iterator<Item = &'a Block>> Kernel for SetJets<'a, I> {
    type Output = Vec<f64>;

    #[inline(always)]
    fn run<V: Simd>(self) -> Vec<f64> {
        let (mlp, set, s) = (self.mlp, self.set, self.scratch);
        let outputs = mlp.architecture().outputs;
        let ns = set.spec.streams();
        let mut out =
            Vec::with_capacity(set.points.len() / mlp.architecture().inputs() * ns * outputs);
        for &blk in self.blocks {
            forward::<V>(mlp, self.net, self.weights, set, blk, s);
            for p in 0..blk.len {
                for st in 0..ns {
                    let col = st * blk.len + p;
                    out.extend_from_slice(&s.out[col * outputs..(col + 1) * outputs]);
                }
            }
        }
        out
    }
}

/// One chunk's share of a loss-and-gradient evaluation.
struct Chunk<'a, L> {
    mlp: &'a Mlp,
    sets: &'a [PointSet],
    blocks: &'a [Block],
    net: &'a [f64],
    extra: &'a [f64],
    weights: &'a Weights,
    layout: &'a GradLayout,
    loss: &'a L,
    scratch: &'a mut Scratch,
    /// The chunk's gradient buffer (in `layout`).
    grad: &'a mut [f64],
}

impl<L> Kernel for Chunk<'_, L>
where
    L: Fn(&Jets<'_>, &mut JetGrads<'_>, &mut [f64]) -> f64,
{
    type Output = f64;

    /// The chunk's loss; its gradient into `grad`.
    #[inline(always)]
    fn run<V: Simd>(self) -> f64 {
        let (mlp, s, g) = (self.mlp, self.scratch, self.grad);
        let (inputs, outputs) = (mlp.architecture().inputs(), mlp.architecture().outputs);
        g.fill(0.0);
        let mut total = 0.0;
        for &blk in self.blocks {
            let set = &self.sets[blk.set];
            forward::<V>(mlp, self.net, self.weights, set, blk, s);
            let c = blk.len * set.spec.streams() * outputs;
            s.dout[..c].fill(0.0);
            s.dextra.fill(0.0);
            let jets = Jets {
                set: blk.set,
                start: blk.start,
                extra: self.extra,
                points: &set.points[blk.start * inputs..(blk.start + blk.len) * inputs],
                data: &s.out[..c],
                spec: &set.spec,
                inputs,
                outputs,
            };
            let mut djets = JetGrads {
                data: &mut s.dout[..c],
                spec: &set.spec,
                len: blk.len,
                outputs,
            };
            total += (self.loss)(&jets, &mut djets, &mut s.dextra);
            // A block the loss ignores (a term weighted 0) adds nothing: skip its reverse pass.
            if s.dout[..c].iter().all(|&d| d == 0.0) && s.dextra.iter().all(|&d| d == 0.0) {
                continue;
            }
            self.layout
                .extra(g)
                .iter_mut()
                .zip(&s.dextra)
                .for_each(|(a, b)| *a += b);
            backward::<V>(mlp, self.weights, self.layout, set, blk, s, g);
        }
        total
    }
}

fn take(pool: &Mutex<Vec<Scratch>>) -> Option<Scratch> {
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
    fn evaluate(isa: Isa, act: Activation) -> (f64, Vec<f64>) {
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
        let mut ev = Evaluator::new(&mlp, sets, 1).unwrap().with_block_size(10);
        ev.isa = isa;
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
        for act in Activation::ALL {
            let (value, grad) = evaluate(Isa::detect(), act);
            let (pv, pg) = evaluate(Isa::Portable, act);
            // The portable build rounds a·b + c twice where the others fuse it: a few ulp
            // per operation, through a few dozen operations.
            let scale = grad.iter().fold(value.abs(), |m, g| m.max(g.abs()));
            assert!(
                (value - pv).abs() <= 1e-12 * scale,
                "{act:?}: {value} vs {pv}"
            );
            for (a, b) in grad.iter().zip(&pg) {
                assert!((a - b).abs() <= 1e-12 * scale, "{act:?}: {a} vs {b}");
            }
            #[cfg(target_arch = "x86_64")]
            if Isa::detect() == Isa::Avx512 {
                // The same operations in the same order with AVX2: identical bits.
                assert_eq!(evaluate(Isa::Avx2, act), (value, grad), "{act:?}");
            }
        }
    }
}
