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
//! Columns of hidden layers are padded to a multiple of [`Real::ROWS`] rows (see
//! [`crate::gemm`]); the padding rows hold zeros or values that no product reads. Everything
//! here is `#[inline(always)]` so that it is compiled for the instruction set that
//! `gemm::dispatch` picks.
//!
//! The pass runs in the scalar type T (f64 or f32): weights, features, jets of every layer,
//! products, activations and the block's gradient. The input embedding and the output
//! transform are computed in f64 from the f64 points and rounded to T.

use std::f64::consts::TAU;

use crate::gemm::{Panel, Simd, Start, Strided, pad, product};
use crate::mlp::Layer;
use crate::real::Real;
use crate::{Mlp, OutputTransform, PointSet};

/// Sizes that the scratch buffers must hold.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Dims {
    /// Most points in a block.
    pub block: usize,
    /// Most columns (streams × points) in a block.
    pub columns: usize,
}

/// Padded copies of the weights in T, remade for each parameter vector: per layer W
/// (pad(n_out) × n_in), Wᵀ (pad(n_in) × n_out), both column-major, and the biases
/// (pad(n_out), zero-padded).
#[derive(Debug)]
pub(crate) struct Weights<T> {
    data: Vec<T>,
    panels: Vec<WeightPanels>,
}

#[derive(Debug, Clone, Copy)]
struct WeightPanels {
    w: usize,
    wt: usize,
    bias: usize,
}

impl<T: Real> Weights<T> {
    pub fn new(mlp: &Mlp) -> Weights<T> {
        let mut len = 0;
        let panels = mlp
            .layers()
            .iter()
            .map(|l| {
                let p = WeightPanels {
                    w: len,
                    wt: len + pad::<T>(l.n_out) * l.n_in,
                    bias: len + pad::<T>(l.n_out) * l.n_in + pad::<T>(l.n_in) * l.n_out,
                };
                len = p.bias + pad::<T>(l.n_out);
                p
            })
            .collect();
        Weights {
            data: vec![T::default(); len],
            panels,
        }
    }

    /// Copies the network parameters `net` into the panels, rounded to T (padding stays zero).
    pub fn fill(&mut self, mlp: &Mlp, net: &[f64]) {
        for (l, p) in mlp.layers().iter().zip(&self.panels) {
            let (po, pi) = (pad::<T>(l.n_out), pad::<T>(l.n_in));
            for o in 0..l.n_out {
                for i in 0..l.n_in {
                    let v = T::from_f64(net[l.weight + o * l.n_in + i]);
                    self.data[p.w + i * po + o] = v;
                    self.data[p.wt + o * pi + i] = v;
                }
            }
            self.data[p.bias..p.bias + l.n_out]
                .iter_mut()
                .zip(&net[l.bias..l.bias + l.n_out])
                .for_each(|(d, &v)| *d = T::from_f64(v));
        }
    }

    fn w(&self, l: usize, layer: &Layer) -> Panel<'_, T> {
        let p = self.panels[l];
        Panel {
            data: &self.data[p.w..p.wt],
            ld: pad::<T>(layer.n_out),
        }
    }

    fn wt(&self, l: usize, layer: &Layer) -> Panel<'_, T> {
        let p = self.panels[l];
        Panel {
            data: &self.data[p.wt..p.bias],
            ld: pad::<T>(layer.n_in),
        }
    }

    fn bias(&self, l: usize, layer: &Layer) -> &[T] {
        let p = self.panels[l].bias;
        &self.data[p..p + pad::<T>(layer.n_out)]
    }
}

/// Where a block's contributions to the gradient accumulate: per layer ∂L/∂W as a padded
/// panel, either G = ∂L/∂W (pad(n_out) × n_in) or Gᵀ (pad(n_in) × n_out), whichever wastes
/// fewer padding rows, and ∂L/∂b (pad(n_out)); then ∂L/∂(extra parameters). The padding is
/// that of the pass's scalar type T.
#[derive(Debug, Clone)]
pub(crate) struct GradLayout<T> {
    layers: Vec<GradPanel>,
    extra: usize,
    /// Length of a buffer.
    pub len: usize,
    real: std::marker::PhantomData<T>,
}

#[derive(Debug, Clone, Copy)]
struct GradPanel {
    /// Gᵀ rather than G.
    transposed: bool,
    weight: usize,
    bias: usize,
}

impl<T: Real> GradLayout<T> {
    pub fn new(mlp: &Mlp, extra: usize) -> GradLayout<T> {
        let top = mlp.layers().len() - 1;
        let mut len = 0;
        let layers = mlp
            .layers()
            .iter()
            .enumerate()
            .map(|(l, layer)| {
                // The output layer's δa is not padded (it is what the loss writes): Gᵀ.
                let transposed = l == top
                    || pad::<T>(layer.n_in) * layer.n_out < pad::<T>(layer.n_out) * layer.n_in;
                let rows = if transposed {
                    pad::<T>(layer.n_in) * layer.n_out
                } else {
                    pad::<T>(layer.n_out) * layer.n_in
                };
                let p = GradPanel {
                    transposed,
                    weight: len,
                    bias: len + rows,
                };
                len = p.bias + pad::<T>(layer.n_out);
                p
            })
            .collect();
        GradLayout {
            layers,
            extra: len,
            len: len + extra,
            real: std::marker::PhantomData,
        }
    }

    /// The parts of a buffer that hold ∂L/∂(network parameters) and ∂L/∂(extra parameters).
    pub fn split<'a>(&self, buffer: &'a mut [f64]) -> (&'a mut [f64], &'a mut [f64]) {
        let (network, extra) = buffer[..self.len].split_at_mut(self.extra);
        (network, extra)
    }

    /// The gradient in the parameter vector's layout from an f64 buffer in this layout.
    pub fn unpad(&self, mlp: &Mlp, buffer: &[f64], grad: &mut [f64]) {
        for (layer, p) in mlp.layers().iter().zip(&self.layers) {
            let (po, pi) = (pad::<T>(layer.n_out), pad::<T>(layer.n_in));
            for o in 0..layer.n_out {
                for i in 0..layer.n_in {
                    let at = if p.transposed { o * pi + i } else { i * po + o };
                    grad[layer.weight + o * layer.n_in + i] = buffer[p.weight + at];
                }
            }
            grad[layer.bias..layer.bias + layer.n_out]
                .copy_from_slice(&buffer[p.bias..p.bias + layer.n_out]);
        }
        let n_net = mlp.n_params();
        grad[n_net..].copy_from_slice(&buffer[self.extra..self.len]);
    }
}

/// Buffers of one block, reused from call to call.
#[derive(Debug)]
pub(crate) struct Scratch<T> {
    /// Input features, pad(embedding width) × columns.
    z0: Vec<T>,
    z0_ld: usize,
    /// Per hidden layer: pre-activations, activations, and σ′, σ″, σ‴ at the value columns.
    hidden: Vec<HiddenScratch<T>>,
    /// Output jets, outputs × columns.
    pub out: Vec<T>,
    /// ∂L/∂(output jets), outputs × columns.
    pub dout: Vec<T>,
    /// The output jets and ∂L/∂(output jets) in f64, as the loss reads and writes them.
    pub jets: Vec<f64>,
    pub djets: Vec<f64>,
    /// ∂L/∂(extra parameters) of one block.
    pub dextra: Vec<f64>,
    /// ∂L/∂(network parameters) of one block where T is not f64 (see
    /// [`Real::block_gradient`]).
    pub grad: Vec<T>,
    up: Vec<T>,
    down: Vec<T>,
}

#[derive(Debug)]
struct HiddenScratch<T> {
    /// pad(width): the leading dimension of `a`, `h` and `sigma`.
    ld: usize,
    a: Vec<T>,
    h: Vec<T>,
    sigma: [Vec<T>; 3],
}

impl<T: Real> Scratch<T> {
    pub fn new(mlp: &Mlp, dims: Dims, extra: usize) -> Scratch<T> {
        let arch = mlp.architecture();
        let c = dims.columns;
        let zero = T::default();
        let widest = arch.hidden.iter().map(|&w| pad::<T>(w)).max().unwrap_or(0);
        Scratch {
            z0: vec![zero; pad::<T>(arch.embedding_width()) * c],
            z0_ld: pad::<T>(arch.embedding_width()),
            hidden: arch
                .hidden
                .iter()
                .map(|&w| HiddenScratch {
                    ld: pad::<T>(w),
                    a: vec![zero; pad::<T>(w) * c],
                    h: vec![zero; pad::<T>(w) * c],
                    sigma: std::array::from_fn(|_| vec![zero; pad::<T>(w) * dims.block]),
                })
                .collect(),
            out: vec![zero; arch.outputs * c],
            dout: vec![zero; arch.outputs * c],
            jets: vec![0.0; arch.outputs * c],
            djets: vec![0.0; arch.outputs * c],
            dextra: vec![0.0; extra],
            grad: Vec::new(),
            up: vec![zero; widest * c],
            down: vec![zero; widest * c],
        }
    }

    /// The input of dense layer `l` and its leading dimension.
    fn input(&self, l: usize) -> (&[T], usize) {
        match l {
            0 => (&self.z0, self.z0_ld),
            _ => (&self.hidden[l - 1].h, self.hidden[l - 1].ld),
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

/// A block of a set through a network with the weight panels `w`: the output jets in `s.out`.
#[inline(always)]
pub(crate) fn forward<T: Real, V: Simd<T>>(
    mlp: &Mlp,
    w: &Weights<T>,
    set: &PointSet,
    blk: Block,
    s: &mut Scratch<T>,
) {
    let arch = mlp.architecture();
    let spec = &set.spec;
    let (b, c) = (blk.len, blk.len * spec.streams());
    embed(mlp, set, blk, s.z0_ld, &mut s.z0);
    let layers = mlp.layers();
    let top = layers.len() - 1;
    for (l, layer) in layers[..top].iter().enumerate() {
        let (below, here) = s.hidden.split_at_mut(l);
        let (z, ldz) = below
            .last()
            .map_or((&s.z0[..], s.z0_ld), |h| (&h.h[..], h.ld));
        let cur = &mut here[0];
        let ld = cur.ld;
        product::<T, V>(
            &mut cur.a,
            ld,
            ld,
            c,
            w.w(l, layer),
            Strided {
                data: z,
                rk: 1,
                rn: ldz,
            },
            layer.n_in,
            Start::Zero,
        );
        let n = ld * b;
        let [s1, s2, s3] = &mut cur.sigma;
        arch.activation.eval(
            &cur.a[..n],
            w.bias(l, layer),
            [&mut cur.h[..n], &mut s1[..n], &mut s2[..n], &mut s3[..n]],
            V::mul_add,
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
                hpp[i] = V::mul_add(s1[i], app[i], s2[i] * ap[i] * ap[i]);
            }
        }
    }
    // Out of `s` for the call (no allocation), so that the input can be borrowed from it.
    let mut out = std::mem::take(&mut s.out);
    output_layer::<T, V>(w, top, &layers[top], s.input(top), b, c, &mut out);
    s.out = out;
    if let OutputTransform::InitialCondition { time } = arch.transform {
        initial_condition(mlp, set, blk, time, &mut s.out);
    }
}

/// The linear output layer `top`, u = W z (+ b on the `b` value columns) on all c columns, as
/// one dot product per output and column (few outputs: a padded product would waste most
/// rows); row o of W is column o of the panel Wᵀ.
#[inline(always)]
#[allow(clippy::too_many_arguments)]
fn output_layer<T: Real, V: Simd<T>>(
    w: &Weights<T>,
    top: usize,
    layer: &Layer,
    z: (&[T], usize),
    b: usize,
    c: usize,
    out: &mut [T],
) {
    let (n_in, n_out) = (layer.n_in, layer.n_out);
    let (z, ldz) = z;
    let (wt, bias) = (w.wt(top, layer), w.bias(top, layer));
    for (j, col) in out[..n_out * c].chunks_exact_mut(n_out).enumerate() {
        let zj = &z[j * ldz..j * ldz + n_in];
        for (o, u) in col.iter_mut().enumerate() {
            let wo = &wt.data[o * wt.ld..o * wt.ld + n_in];
            *u = dot::<T, V>(wo, zj) + if j < b { bias[o] } else { T::default() };
        }
    }
}

/// Partial sums of [`dot`].
const DOT_SUMS: usize = 8;

/// Σ xᵢyᵢ in DOT_SUMS interleaved partial sums (so that it vectorises), added pairwise.
#[inline(always)]
fn dot<T: Real, V: Simd<T>>(x: &[T], y: &[T]) -> T {
    let mut acc = [T::default(); DOT_SUMS];
    let (xc, yc) = (x.chunks_exact(DOT_SUMS), y.chunks_exact(DOT_SUMS));
    let (xr, yr) = (xc.remainder(), yc.remainder());
    for (xs, ys) in xc.zip(yc) {
        for k in 0..DOT_SUMS {
            acc[k] = V::mul_add(xs[k], ys[k], acc[k]);
        }
    }
    for (k, (a, b)) in xr.iter().zip(yr).enumerate() {
        acc[k] = V::mul_add(*a, *b, acc[k]);
    }
    let mut width = DOT_SUMS;
    while width > 1 {
        width /= 2;
        for k in 0..width {
            acc[k] += acc[k + width];
        }
    }
    acc[0]
}

/// ∂L/∂(parameters) of the block, from ∂L/∂(output jets) in `s.dout`, added to the buffer `g`
/// of `layout`; `s` must hold the block's forward pass. `s.dout` is overwritten.
#[inline(always)]
pub(crate) fn backward<T: Real, V: Simd<T>>(
    mlp: &Mlp,
    w: &Weights<T>,
    layout: &GradLayout<T>,
    set: &PointSet,
    blk: Block,
    s: &mut Scratch<T>,
    g: &mut [T],
) {
    let arch = mlp.architecture();
    let spec = &set.spec;
    let (b, c) = (blk.len, blk.len * spec.streams());
    if let OutputTransform::InitialCondition { time } = arch.transform {
        initial_condition_back(mlp, set, blk, time, &mut s.dout);
    }
    let layers = mlp.layers();
    let top = layers.len() - 1;
    let lo = arch.outputs;
    dense_back::<T, V>(
        layout,
        top,
        &layers[top],
        s.input(top),
        (&s.dout, lo),
        b,
        c,
        g,
    );
    if top > 0 {
        input_grad::<T, V>(w, top, &layers[top], (&s.dout, lo), c, &mut s.up);
    }
    for l in (0..top).rev() {
        let layer = &layers[l];
        let cur = &s.hidden[l];
        activation_back::<T, V>(spec, cur.ld * b, cur, &s.up, &mut s.down);
        let da = (&s.down[..], cur.ld);
        dense_back::<T, V>(layout, l, layer, s.input(l), da, b, c, g);
        if l > 0 {
            input_grad::<T, V>(w, l, layer, da, c, &mut s.up);
        }
    }
}

/// ∂L/∂W += δa zᵀ over all c columns, ∂L/∂b += Σ δa over the `b` value columns, for layer
/// `l`; z and δa come with their leading dimensions.
#[inline(always)]
#[allow(clippy::too_many_arguments)]
fn dense_back<T: Real, V: Simd<T>>(
    layout: &GradLayout<T>,
    l: usize,
    layer: &Layer,
    z: (&[T], usize),
    da: (&[T], usize),
    b: usize,
    c: usize,
    g: &mut [T],
) {
    let (n_in, n_out) = (layer.n_in, layer.n_out);
    let ((z, ldz), (da, lda)) = (z, da);
    let p = layout.layers[l];
    let gw = &mut g[p.weight..p.bias];
    if p.transposed {
        // Gᵀ(i, o) += Σ_j z(i, j) δa(o, j)
        let r = Strided {
            data: da,
            rk: lda,
            rn: 1,
        };
        let (rows, l) = (pad::<T>(n_in), Panel { data: z, ld: ldz });
        product::<T, V>(gw, rows, rows, n_out, l, r, c, Start::Out);
    } else {
        // G(o, i) += Σ_j δa(o, j) z(i, j)
        let r = Strided {
            data: z,
            rk: ldz,
            rn: 1,
        };
        let (rows, l) = (pad::<T>(n_out), Panel { data: da, ld: lda });
        product::<T, V>(gw, rows, rows, n_in, l, r, c, Start::Out);
    }
    let gb = &mut g[p.bias..p.bias + n_out];
    for j in 0..b {
        gb.iter_mut()
            .zip(&da[j * lda..j * lda + n_out])
            .for_each(|(g, &d)| *g += d);
    }
}

/// δz = Wᵀ δa on all c columns, for layer `l`, into a panel of pad(n_in) rows.
#[inline(always)]
fn input_grad<T: Real, V: Simd<T>>(
    w: &Weights<T>,
    l: usize,
    layer: &Layer,
    da: (&[T], usize),
    c: usize,
    dz: &mut [T],
) {
    let rows = pad::<T>(layer.n_in);
    let r = Strided {
        data: da.0,
        rk: 1,
        rn: da.1,
    };
    product::<T, V>(
        dz,
        rows,
        rows,
        c,
        w.wt(l, layer),
        r,
        layer.n_out,
        Start::Zero,
    );
}

/// δa from δh through h = σ(a), h′ = σ′a′, h″ = σ″a′² + σ′a″; `n` = pad(width) × points.
#[inline(always)]
fn activation_back<T: Real, V: Simd<T>>(
    spec: &crate::JetSpec,
    n: usize,
    cur: &HiddenScratch<T>,
    dh: &[T],
    da: &mut [T],
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
            dv[i] = V::mul_add(s2[i] * ap[i], dhp[i], dv[i]);
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
            dap[i] = V::mul_add(T::from_f64(2.0) * s2[i] * ap[i], dhpp[i], dap[i]);
            let curvature = V::mul_add(s3[i] * ap[i], ap[i], s2[i] * app[i]);
            dv[i] = V::mul_add(curvature, dhpp[i], dv[i]);
        }
    }
}

/// The input features and their derivatives with respect to the raw inputs, in columns of
/// `ld` rows (the padding rows stay zero), computed in f64 and rounded to T.
///
/// Scaling ξᵢ = 2(xᵢ − loᵢ)/(hiᵢ − loᵢ) − 1 has ∂ξᵢ/∂xᵢ = cᵢ = 2/(hiᵢ − loᵢ). With Fourier
/// features θ_r = 2π B_r·ξ, ∂θ_r/∂xᵢ = 2π B_ri cᵢ = g and (cos θ)′ = −g sin θ,
/// (cos θ)″ = −g² cos θ, (sin θ)′ = g cos θ, (sin θ)″ = −g² sin θ.
#[inline(always)]
fn embed<T: Real>(mlp: &Mlp, set: &PointSet, blk: Block, ld: usize, z: &mut [T]) {
    let arch = mlp.architecture();
    let d = arch.inputs();
    let spec = &set.spec;
    let b = blk.len;
    let nf = spec.first().len();
    let z = &mut z[..ld * b * spec.streams()];
    let pts = &set.points[blk.start * d..(blk.start + b) * d];
    let scale = |i: usize| 2.0 / (arch.spans[i][1] - arch.spans[i][0]);
    let col = |st: usize, p: usize| (st * b + p) * ld;
    let t = T::from_f64;
    let Some(fourier) = arch.fourier else {
        z.fill(T::default());
        for p in 0..b {
            for i in 0..d {
                z[col(0, p) + i] = t(scale(i) * (pts[p * d + i] - arch.spans[i][0]) - 1.0);
            }
            for (j, &i) in spec.first().iter().enumerate() {
                z[col(1 + j, p) + i] = t(scale(i));
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
            z[col(0, p) + r] = t(cs);
            z[col(0, p) + m + r] = t(sn);
            for (j, &i) in spec.first().iter().enumerate() {
                let g = TAU * bm[r * d + i] * scale(i);
                z[col(1 + j, p) + r] = t(-g * sn);
                z[col(1 + j, p) + m + r] = t(g * cs);
            }
            for (j, &i) in spec.second().iter().enumerate() {
                let g = TAU * bm[r * d + i] * scale(i);
                z[col(1 + nf + j, p) + r] = t(-g * g * cs);
                z[col(1 + nf + j, p) + m + r] = t(-g * g * sn);
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
/// in place, computed in f64 and rounded to T; the second derivatives first since they read
/// N_t, then the first, then the value.
#[inline(always)]
fn initial_condition<T: Real>(mlp: &Mlp, set: &PointSet, blk: Block, time: usize, out: &mut [T]) {
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
                    (Some(t1), Some(t2)) if st == t2 => 2.0 * dtau * out[at(t1, p, o)].to_f64(),
                    (Some(t1), _) if st == t1 => dtau * out[at(0, p, o)].to_f64(),
                    _ => 0.0,
                };
                let n = out[at(st, p, o)].to_f64();
                out[at(st, p, o)] = T::from_f64(u0[st * k + o] + tau * n + extra);
            }
        }
    }
}

/// The transpose of [`initial_condition`]'s linear map N ↦ u, in place, computed in f64 and
/// rounded to T (value first, since it reads δu_t, then the first derivatives, since δN_t
/// reads δu_tt).
#[inline(always)]
fn initial_condition_back<T: Real>(
    mlp: &Mlp,
    set: &PointSet,
    blk: Block,
    time: usize,
    d: &mut [T],
) {
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
                    (Some(t1), _) if st == 0 => dtau * d[at(t1, p, o)].to_f64(),
                    (Some(t1), Some(t2)) if st == t1 => 2.0 * dtau * d[at(t2, p, o)].to_f64(),
                    _ => 0.0,
                };
                d[at(st, p, o)] = T::from_f64(tau * d[at(st, p, o)].to_f64() + extra);
            }
        }
    }
}
