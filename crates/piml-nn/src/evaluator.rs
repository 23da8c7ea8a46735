//! Loss and gradient over point sets, in parallel over blocks of points, deterministically.

use std::sync::{Mutex, PoisonError};

use rayon::prelude::*;

use crate::pass::{Block, Dims, Scratch, backward, forward};
use crate::{Error, JetGrads, Jets, Mlp, OutputTransform, PointSet};

/// Points per block unless [`Evaluator::with_block_size`] says otherwise.
pub const DEFAULT_BLOCK_SIZE: usize = 128;

/// Evaluates a network's output jets on fixed point sets, and the gradient of a loss of them.
///
/// The parameter vector is the network's parameters followed by `extra` physical parameters.
/// Points are cut into blocks (in set order, [`DEFAULT_BLOCK_SIZE`] points each); rayon runs the
/// blocks in parallel; each block writes its loss and gradient into its own buffer and the
/// buffers are summed in block order. The result therefore does not depend on the number of
/// threads or on scheduling: 1 and N threads give bitwise identical losses and gradients.
/// All buffers live in the evaluator and are reused: after the first call no call allocates
/// (unless more threads join).
#[derive(Debug)]
pub struct Evaluator {
    mlp: Mlp,
    sets: Vec<PointSet>,
    extra: usize,
    blocks: Vec<Block>,
    dims: Dims,
    block_grads: Vec<f64>,
    block_losses: Vec<f64>,
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
            blocks: Vec::new(),
            dims: Dims {
                block: 0,
                columns: 0,
            },
            block_grads: Vec::new(),
            block_losses: Vec::new(),
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
        self.dims = Dims {
            block: 1,
            columns: 1,
        };
        for (i, set) in self.sets.iter().enumerate() {
            let n = set.points.len() / d;
            for start in (0..n).step_by(size) {
                let len = size.min(n - start);
                self.blocks.push(Block { set: i, start, len });
                self.dims.block = self.dims.block.max(len);
                self.dims.columns = self.dims.columns.max(len * set.spec.streams());
            }
        }
        self.block_grads = vec![0.0; self.blocks.len() * self.n_params()];
        self.block_losses = vec![0.0; self.blocks.len()];
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
        let (mlp, sets, pool, dims) = (&self.mlp, &self.sets, &self.pool, self.dims);
        self.blocks
            .par_iter()
            .zip(self.block_grads.par_chunks_mut(np))
            .zip(self.block_losses.par_iter_mut())
            .with_max_len(1)
            .for_each(|((&blk, g), l)| {
                let mut s = take(pool).unwrap_or_else(|| Scratch::new(mlp, dims));
                let task = Task {
                    mlp,
                    set: &sets[blk.set],
                    blk,
                    net,
                    extra,
                    loss,
                };
                *l = task.run(&mut s, g);
                pool.lock().unwrap_or_else(PoisonError::into_inner).push(s);
            });
        grad.fill(0.0);
        for g in self.block_grads.chunks_exact(np) {
            grad.iter_mut().zip(g).for_each(|(a, b)| *a += b);
        }
        Ok(self.block_losses.iter().sum())
    }

    /// The output jets of set `set` for network parameters `net`: for each point, each stream
    /// of the set's [`crate::JetSpec`], each output (points × streams × outputs, row-major).
    pub fn jets(&mut self, net: &[f64], set: usize) -> Result<Vec<f64>, Error> {
        check_len("network parameter vector", net.len(), self.mlp.n_params())?;
        let (mlp, sets, dims) = (&self.mlp, &self.sets, self.dims);
        let outputs = mlp.architecture().outputs;
        let ns = sets[set].spec.streams();
        let mut s = take(&self.pool).unwrap_or_else(|| Scratch::new(mlp, dims));
        let mut out = Vec::with_capacity(sets[set].points.len() * ns * outputs);
        for &blk in self.blocks.iter().filter(|b| b.set == set) {
            forward(mlp, net, &sets[set], blk, &mut s);
            for p in 0..blk.len {
                for st in 0..ns {
                    let col = st * blk.len + p;
                    out.extend_from_slice(&s.out[col * outputs..(col + 1) * outputs]);
                }
            }
        }
        self.pool_mut().push(s);
        Ok(out)
    }
}

/// One block's share of a loss-and-gradient evaluation.
struct Task<'a, L> {
    mlp: &'a Mlp,
    set: &'a PointSet,
    blk: Block,
    net: &'a [f64],
    extra: &'a [f64],
    loss: &'a L,
}

impl<L> Task<'_, L>
where
    L: Fn(&Jets<'_>, &mut JetGrads<'_>, &mut [f64]) -> f64,
{
    /// The block's loss; its gradient (network then extra parameters) into `g`.
    ///
    /// The element-wise work (activations, jets, the reverse pass through them) vectorises;
    /// a portable build targets SSE2 only, so on x86-64 CPUs with AVX2 and FMA the same code
    /// is run compiled for them (chosen at run time). Rust does not contract a·b + c into
    /// FMAs by itself, so both versions round alike.
    fn run(&self, s: &mut Scratch, g: &mut [f64]) -> f64 {
        #[cfg(target_arch = "x86_64")]
        if std::arch::is_x86_feature_detected!("avx2") && std::arch::is_x86_feature_detected!("fma")
        {
            #[allow(unsafe_code)]
            // SAFETY: `run_avx2` only needs AVX2 and FMA, which the CPU has (checked above).
            return unsafe { self.run_avx2(s, g) };
        }
        self.run_portable(s, g)
    }

    #[cfg(target_arch = "x86_64")]
    #[target_feature(enable = "avx2,fma")]
    fn run_avx2(&self, s: &mut Scratch, g: &mut [f64]) -> f64 {
        self.run_portable(s, g)
    }

    #[inline(always)]
    fn run_portable(&self, s: &mut Scratch, g: &mut [f64]) -> f64 {
        let (mlp, set, blk) = (self.mlp, self.set, self.blk);
        let (inputs, outputs) = (mlp.architecture().inputs(), mlp.architecture().outputs);
        forward(mlp, self.net, set, blk, s);
        let c = blk.len * set.spec.streams() * outputs;
        s.dout[..c].fill(0.0);
        g.fill(0.0);
        let (g_net, g_extra) = g.split_at_mut(mlp.n_params());
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
        let loss = (self.loss)(&jets, &mut djets, g_extra);
        backward(mlp, self.net, set, blk, s, g_net);
        loss
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
