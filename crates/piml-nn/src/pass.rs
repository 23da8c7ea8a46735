//! One block of points through the network: the forward jets and the reverse pass over them.
//!
//! A block of B points with S streams is a set of S·B columns, stream after stream; every
//! layer maps all of them with one matrix product: a = W z (+ b on the value columns). The
//! activation then propagates the jets (a′ = W z′, a″ = W z″ come out of the product):
//! h = σ(a), h′ = σ′(a)·a′, h″ = σ″(a)·a′² + σ′(a)·a″ (the chain rule, Faà di Bruno to order 2).
//! The reverse pass differentiates exactly these formulas:
//! δa = σ′δh + Σ σ″a′δh′ + Σ (σ‴a′² + σ″a″)δh″, δa′ = σ′δh′ + 2σ″a′δh″, δa″ = σ′δh″,
//! then ∂L/∂W = Σ_columns δa zᵀ (one product over all streams), ∂L/∂b = Σ_value columns δa,
//! δz = Wᵀδa.
//!
//! Everything here is `#[inline(always)]` so that the evaluator's AVX2 build of a block
//! (see `evaluator::Task`) compiles it for AVX2 too.

use std::f64::consts::TAU;

use crate::gemm::{MatRef, gemm};
use crate::mlp::Layer;
use crate::{Mlp, OutputTransform, PointSet};

/// Sizes that the scratch buffers must hold.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Dims {
    /// Most points in a block.
    pub block: usize,
    /// Most columns (streams × points) in a block.
    pub columns: usize,
}

/// Buffers of one block, reused from call to call.
#[derive(Debug)]
pub(crate) struct Scratch {
    /// Input features, embedding width × columns.
    z0: Vec<f64>,
    /// Per hidden layer: pre-activations, activations, and σ′, σ″, σ‴ at the value columns.
    hidden: Vec<HiddenScratch>,
    /// Output jets, outputs × columns.
    pub out: Vec<f64>,
    /// ∂L/∂(output jets), outputs × columns.
    pub dout: Vec<f64>,
    up: Vec<f64>,
    down: Vec<f64>,
}

#[derive(Debug)]
struct HiddenScratch {
    a: Vec<f64>,
    h: Vec<f64>,
    sigma: [Vec<f64>; 3],
}

impl Scratch {
    pub fn new(mlp: &Mlp, dims: Dims) -> Scratch {
        let arch = mlp.architecture();
        let c = dims.columns;
        let widest = arch.hidden.iter().copied().max().unwrap_or(0);
        Scratch {
            z0: vec![0.0; arch.embedding_width() * c],
            hidden: arch
                .hidden
                .iter()
                .map(|&w| HiddenScratch {
                    a: vec![0.0; w * c],
                    h: vec![0.0; w * c],
                    sigma: std::array::from_fn(|_| vec![0.0; w * dims.block]),
                })
                .collect(),
            out: vec![0.0; arch.outputs * c],
            dout: vec![0.0; arch.outputs * c],
            up: vec![0.0; widest * c],
            down: vec![0.0; widest * c],
        }
    }
}

/// The points `start..start + len` of a set.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Block {
    pub set: usize,
    pub start: usize,
    pub len: usize,
}

/// A block of a set through a network with parameters `net`: the output jets in `s.out`.
#[inline(always)]
pub(crate) fn forward(mlp: &Mlp, net: &[f64], set: &PointSet, blk: Block, s: &mut Scratch) {
    let arch = mlp.architecture();
    let spec = &set.spec;
    let (b, c) = (blk.len, blk.len * spec.streams());
    embed(mlp, set, blk, &mut s.z0);
    let layers = mlp.layers();
    let (hidden_layers, top) = layers.split_at(layers.len() - 1);
    for (l, layer) in hidden_layers.iter().enumerate() {
        let (below, here) = s.hidden.split_at_mut(l);
        let z = below.last().map_or(&s.z0[..], |h| &h.h[..]);
        let cur = &mut here[0];
        dense(net, layer, z, c, b, &mut cur.a);
        let n = layer.n_out * b;
        let [s1, s2, s3] = &mut cur.sigma;
        arch.activation.eval(
            &cur.a[..n],
            [&mut cur.h[..n], &mut s1[..n], &mut s2[..n], &mut s3[..n]],
        );
        // Slices of exactly n elements, so that the loops below run without bounds checks.
        let (s1, s2) = (&s1[..n], &s2[..n]);
        let (a, h) = (&cur.a, &mut cur.h);
        for st in 1..=spec.first().len() {
            let (ap, hp) = (&a[st * n..(st + 1) * n], &mut h[st * n..(st + 1) * n]);
            for i in 0..n {
                hp[i] = s1[i] * ap[i];
            }
        }
        for (st2, st1) in spec.second_pairs() {
            let (ap, app) = (&a[st1 * n..(st1 + 1) * n], &a[st2 * n..(st2 + 1) * n]);
            let hpp = &mut h[st2 * n..(st2 + 1) * n];
            for i in 0..n {
                hpp[i] = s2[i] * ap[i] * ap[i] + s1[i] * app[i];
            }
        }
    }
    let z = s.hidden.last().map_or(&s.z0[..], |h| &h.h[..]);
    dense(net, &top[0], z, c, b, &mut s.out);
    if let OutputTransform::InitialCondition { time } = arch.transform {
        initial_condition(mlp, set, blk, time, &mut s.out);
    }
}

/// ∂L/∂(parameters) of the block, from ∂L/∂(output jets) in `s.dout`, added to `grad`;
/// `s` must hold the block's forward pass. `s.dout` is overwritten.
#[inline(always)]
pub(crate) fn backward(
    mlp: &Mlp,
    net: &[f64],
    set: &PointSet,
    blk: Block,
    s: &mut Scratch,
    grad: &mut [f64],
) {
    let arch = mlp.architecture();
    let spec = &set.spec;
    let (b, c) = (blk.len, blk.len * spec.streams());
    if let OutputTransform::InitialCondition { time } = arch.transform {
        initial_condition_back(mlp, set, blk, time, &mut s.dout);
    }
    let layers = mlp.layers();
    let top = layers.len() - 1;
    let z = s.hidden.last().map_or(&s.z0[..], |h| &h.h[..]);
    dense_back(net, &layers[top], z, &s.dout, c, b, grad);
    if top > 0 {
        let layer = &layers[top];
        weight_t_times(net, layer, &s.dout, c, &mut s.up);
    }
    for l in (0..top).rev() {
        let layer = &layers[l];
        let cur = &s.hidden[l];
        activation_back(spec, layer.n_out * b, cur, &s.up, &mut s.down);
        let z = if l == 0 {
            &s.z0[..]
        } else {
            &s.hidden[l - 1].h[..]
        };
        dense_back(net, layer, z, &s.down, c, b, grad);
        if l > 0 {
            weight_t_times(net, layer, &s.down, c, &mut s.up);
        }
    }
}

/// a = W z on all c columns, + b on the first `b` (value) columns.
#[inline(always)]
fn dense(net: &[f64], layer: &Layer, z: &[f64], c: usize, b: usize, a: &mut [f64]) {
    let (n_in, n_out) = (layer.n_in, layer.n_out);
    let w = MatRef::col_major(&net[layer.weight..], n_in, n_out).t();
    gemm(a, w, MatRef::col_major(z, n_in, c), 0.0);
    let bias = &net[layer.bias..layer.bias + n_out];
    for col in a[..n_out * b].chunks_exact_mut(n_out) {
        col.iter_mut().zip(bias).for_each(|(v, bi)| *v += bi);
    }
}

/// ∂L/∂W += δa zᵀ over all c columns, ∂L/∂b += Σ δa over the `b` value columns.
#[inline(always)]
fn dense_back(
    net: &[f64],
    layer: &Layer,
    z: &[f64],
    da: &[f64],
    c: usize,
    b: usize,
    grad: &mut [f64],
) {
    let (n_in, n_out) = (layer.n_in, layer.n_out);
    debug_assert_eq!(net.len(), grad.len());
    // Row-major ∂L/∂W (n_out × n_in) is column-major (∂L/∂W)ᵀ = z δaᵀ.
    gemm(
        &mut grad[layer.weight..layer.bias],
        MatRef::col_major(z, n_in, c),
        MatRef::col_major(da, n_out, c).t(),
        1.0,
    );
    let gb = &mut grad[layer.bias..layer.bias + n_out];
    for col in da[..n_out * b].chunks_exact(n_out) {
        gb.iter_mut().zip(col).for_each(|(g, d)| *g += d);
    }
}

/// dz = Wᵀ δa on all c columns.
fn weight_t_times(net: &[f64], layer: &Layer, da: &[f64], c: usize, dz: &mut [f64]) {
    let (n_in, n_out) = (layer.n_in, layer.n_out);
    let wt = MatRef::col_major(&net[layer.weight..], n_in, n_out);
    gemm(dz, wt, MatRef::col_major(da, n_out, c), 0.0);
}

/// δa from δh through h = σ(a), h′ = σ′a′, h″ = σ″a′² + σ′a″; `n` = width × points.
#[inline(always)]
fn activation_back(
    spec: &crate::JetSpec,
    n: usize,
    cur: &HiddenScratch,
    dh: &[f64],
    da: &mut [f64],
) {
    // Slices of exactly n elements, so that the loops run without bounds checks.
    let [s1, s2, s3] = &cur.sigma;
    let (s1, s2, s3, dhv) = (&s1[..n], &s2[..n], &s3[..n], &dh[..n]);
    let a = &cur.a;
    let (dv, rest) = da.split_at_mut(n);
    for i in 0..n {
        dv[i] = s1[i] * dhv[i];
    }
    for st in 1..=spec.first().len() {
        let (ap, dhp) = (&a[st * n..(st + 1) * n], &dh[st * n..(st + 1) * n]);
        let dap = &mut rest[(st - 1) * n..st * n];
        for i in 0..n {
            dap[i] = s1[i] * dhp[i];
            dv[i] += s2[i] * ap[i] * dhp[i];
        }
    }
    for (st2, st1) in spec.second_pairs() {
        let (ap, app) = (&a[st1 * n..(st1 + 1) * n], &a[st2 * n..(st2 + 1) * n]);
        let dhpp = &dh[st2 * n..(st2 + 1) * n];
        let (dap, dapp) = {
            let (lo, hi) = rest.split_at_mut((st2 - 1) * n);
            (&mut lo[(st1 - 1) * n..st1 * n], &mut hi[..n])
        };
        for i in 0..n {
            dapp[i] = s1[i] * dhpp[i];
            dap[i] += 2.0 * s2[i] * ap[i] * dhpp[i];
            dv[i] += (s3[i] * ap[i] * ap[i] + s2[i] * app[i]) * dhpp[i];
        }
    }
}

/// The input features and their derivatives with respect to the raw inputs.
///
/// Scaling ξᵢ = 2(xᵢ − loᵢ)/(hiᵢ − loᵢ) − 1 has ∂ξᵢ/∂xᵢ = cᵢ = 2/(hiᵢ − loᵢ). With Fourier
/// features θ_r = 2π B_r·ξ, ∂θ_r/∂xᵢ = 2π B_ri cᵢ = g and (cos θ)′ = −g sin θ,
/// (cos θ)″ = −g² cos θ, (sin θ)′ = g cos θ, (sin θ)″ = −g² sin θ.
#[inline(always)]
fn embed(mlp: &Mlp, set: &PointSet, blk: Block, z: &mut [f64]) {
    let arch = mlp.architecture();
    let d = arch.inputs();
    let spec = &set.spec;
    let b = blk.len;
    let nf = spec.first().len();
    let n0 = arch.embedding_width();
    let z = &mut z[..n0 * b * spec.streams()];
    let pts = &set.points[blk.start * d..(blk.start + b) * d];
    let scale = |i: usize| 2.0 / (arch.spans[i][1] - arch.spans[i][0]);
    let col = |st: usize, p: usize| (st * b + p) * n0;
    let Some(fourier) = arch.fourier else {
        z.fill(0.0);
        for p in 0..b {
            for i in 0..d {
                z[col(0, p) + i] = scale(i) * (pts[p * d + i] - arch.spans[i][0]) - 1.0;
            }
            for (j, &i) in spec.first().iter().enumerate() {
                z[col(1 + j, p) + i] = scale(i);
            }
        }
        return;
    };
    let m = fourier.features;
    let bm = mlp.fourier_matrix();
    for p in 0..b {
        for r in 0..m {
            let theta: f64 = (0..d)
                .map(|i| {
                    let xi = scale(i) * (pts[p * d + i] - arch.spans[i][0]) - 1.0;
                    TAU * bm[r * d + i] * xi
                })
                .sum();
            let (sn, cs) = theta.sin_cos();
            z[col(0, p) + r] = cs;
            z[col(0, p) + m + r] = sn;
            for (j, &i) in spec.first().iter().enumerate() {
                let g = TAU * bm[r * d + i] * scale(i);
                z[col(1 + j, p) + r] = -g * sn;
                z[col(1 + j, p) + m + r] = g * cs;
            }
            for (j, &i) in spec.second().iter().enumerate() {
                let g = TAU * bm[r * d + i] * scale(i);
                z[col(1 + nf + j, p) + r] = -g * g * cs;
                z[col(1 + nf + j, p) + m + r] = -g * g * sn;
            }
        }
    }
}

/// τ = (t − lo)/(hi − lo) at point p of the block, and dτ/dt.
#[inline(always)]
fn tau(mlp: &Mlp, set: &PointSet, blk: Block, time: usize, p: usize) -> (f64, f64) {
    let arch = mlp.architecture();
    let [lo, hi] = arch.spans[time];
    let t = set.points[(blk.start + p) * arch.inputs() + time];
    ((t - lo) / (hi - lo), 1.0 / (hi - lo))
}

/// u = u0 + τN, u_i = u0_i + τN_i (+ τ′N for i = t), u_ii = u0_ii + τN_ii (+ 2τ′N_t for i = t),
/// in place; the second derivatives first since they read N_t, then the first, then the value.
#[inline(always)]
fn initial_condition(mlp: &Mlp, set: &PointSet, blk: Block, time: usize, out: &mut [f64]) {
    let spec = &set.spec;
    let (k, ns, b) = (mlp.architecture().outputs, spec.streams(), blk.len);
    let u0 = set
        .initial
        .as_deref()
        .expect("u0 jets, checked by the evaluator");
    let t1 = spec.first_stream(time);
    let t2 = spec.second_stream(time);
    let at = |st: usize, p: usize, o: usize| (st * b + p) * k + o;
    for p in 0..b {
        let (tau, dtau) = tau(mlp, set, blk, time, p);
        let u0 = &u0[(blk.start + p) * ns * k..(blk.start + p + 1) * ns * k];
        for st in (0..ns).rev() {
            for o in 0..k {
                let extra = match (t1, t2) {
                    (Some(t1), Some(t2)) if st == t2 => 2.0 * dtau * out[at(t1, p, o)],
                    (Some(t1), _) if st == t1 => dtau * out[at(0, p, o)],
                    _ => 0.0,
                };
                out[at(st, p, o)] = u0[st * k + o] + tau * out[at(st, p, o)] + extra;
            }
        }
    }
}

/// The transpose of [`initial_condition`]'s linear map N ↦ u, in place (value first, since it
/// reads δu_t, then the first derivatives, since δN_t reads δu_tt).
#[inline(always)]
fn initial_condition_back(mlp: &Mlp, set: &PointSet, blk: Block, time: usize, d: &mut [f64]) {
    let spec = &set.spec;
    let (k, ns, b) = (mlp.architecture().outputs, spec.streams(), blk.len);
    let t1 = spec.first_stream(time);
    let t2 = spec.second_stream(time);
    let at = |st: usize, p: usize, o: usize| (st * b + p) * k + o;
    for p in 0..b {
        let (tau, dtau) = tau(mlp, set, blk, time, p);
        for st in 0..ns {
            for o in 0..k {
                let extra = match (t1, t2) {
                    (Some(t1), _) if st == 0 => dtau * d[at(t1, p, o)],
                    (Some(t1), Some(t2)) if st == t1 => 2.0 * dtau * d[at(t2, p, o)],
                    _ => 0.0,
                };
                d[at(st, p, o)] = tau * d[at(st, p, o)] + extra;
            }
        }
    }
}
