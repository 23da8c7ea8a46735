//! The Fourier neural operator (Li et al. 2021): lifting, Fourier layers (a spectral
//! convolution on the kept modes plus a pointwise linear skip, then GELU), projection; the
//! forward pass of a batch of samples and its hand-written reverse pass.

use std::sync::OnceLock;

use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

use crate::Error;
use crate::gelu::activate;
use crate::gemm::{MatRef, Start, gemm};
use crate::real::Real;
use crate::spectral::{Modes, Scratch, Transforms};

/// The shape of an operator.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Config {
    /// Space dimensions: 1 or 2.
    pub dims: usize,
    /// Input fields (species).
    pub in_channels: usize,
    /// Output fields.
    pub out_channels: usize,
    pub width: usize,
    pub modes: Modes,
    pub layers: usize,
    /// Hidden width of the two-layer projection.
    pub projection: usize,
    /// GELU applied twice between Fourier layers, σ(σ(v)), as neuraloperator's FNO blocks do
    /// with the channel MLP off (`forward_with_postactivation`: once after the skip is added,
    /// once more at the end of the block); Li et al. apply it once.
    pub gelu_twice: bool,
}

/// Where a linear map's weights (row-major out × in, as PyTorch's) and biases live.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Linear {
    n_in: usize,
    n_out: usize,
    weight: usize,
    bias: usize,
}

impl Linear {
    fn end(&self) -> usize {
        self.bias + self.n_out
    }
}

/// Parameter layout.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Layout {
    lift: Linear,
    /// Per Fourier layer: offset of the complex weights (out × in × kept, re/im interleaved)
    /// and the pointwise skip.
    spectral: Vec<(usize, Linear)>,
    proj1: Linear,
    proj2: Linear,
    kept: usize,
    total: usize,
}

impl Config {
    fn kept(&self) -> usize {
        if self.dims == 2 {
            2 * self.modes.m1 * self.modes.m2
        } else {
            self.modes.m2
        }
    }

    fn layout(&self) -> Layout {
        let mut offset = 0;
        let mut linear = |n_in: usize, n_out: usize, extra_before: usize| {
            let weight = offset + extra_before;
            let l = Linear {
                n_in,
                n_out,
                weight,
                bias: weight + n_in * n_out,
            };
            offset = l.end();
            l
        };
        let kept = self.kept();
        let w = self.width;
        let lift = linear(self.in_channels + self.dims, w, 0);
        let spectral = (0..self.layers)
            .map(|_| {
                // The complex weights come first, then the skip.
                let skip = linear(w, w, 2 * w * w * kept);
                (skip.weight - 2 * w * w * kept, skip)
            })
            .collect();
        let proj1 = linear(w, self.projection, 0);
        let proj2 = linear(self.projection, self.out_channels, 0);
        Layout {
            lift,
            spectral,
            proj1,
            proj2,
            kept,
            total: proj2.end(),
        }
    }

    fn validate(&self) -> Result<(), Error> {
        let bad = |m: &str| Err(Error::Config(m.to_string()));
        if !(1..=2).contains(&self.dims) {
            return bad("an operator works on 1-D or 2-D fields");
        }
        if self.in_channels == 0 || self.out_channels == 0 || self.width == 0 {
            return bad("channels and width must be at least 1");
        }
        if self.layers == 0 || self.projection == 0 || self.modes.m2 == 0 {
            return bad("layers, projection width and modes must be at least 1");
        }
        if self.dims == 2 && self.modes.m1 == 0 {
            return bad("a 2-D operator needs modes along x too");
        }
        Ok(())
    }
}

/// A Fourier neural operator: its shape and parameters, in float type `T` (f64 is what
/// weights files hold; training may compute in f32 on a rounded copy).
#[derive(Debug, Clone)]
pub struct Fno<T = f64> {
    config: Config,
    layout: Layout,
    params: Vec<T>,
    /// Every layer's mixing matrices (see [`Fno::mixing`]), built on the first pass after the
    /// parameters change and read by all the passes of a batch (built per pass they were a
    /// thirtieth of an epoch).
    mixing: OnceLock<Vec<Vec<T>>>,
}

/// Operators are equal when their shapes and parameters are.
impl<T: PartialEq> PartialEq for Fno<T> {
    fn eq(&self, other: &Fno<T>) -> bool {
        self.config == other.config && self.params == other.params
    }
}

/// A batch's forward pass, kept for its reverse pass, and the work buffers of both.
///
/// Fields of a batch are stored channel after channel and, within a channel, sample after
/// sample (n points each), so that every pointwise map of the batch is one matrix product
/// with S·n rows. Kept Fourier coefficients are stored per mode k as an S × 2·width
/// column-major matrix (real parts of the channels, then imaginary parts), so that the
/// spectral mixing of the batch is one real matrix product per mode.
#[derive(Debug, Clone, Default)]
pub struct Tape<T = f64> {
    samples: usize,
    points: usize,
    /// Lifting input: fields then positions.
    input: Vec<T>,
    /// Input of every Fourier layer and the projection's (width channels each).
    h: Vec<Vec<T>>,
    /// Pre-activations of the Fourier layers, then GELU′ of them (all layers but the last).
    z: Vec<Vec<T>>,
    /// Kept coefficients of every layer's input.
    coeffs: Vec<Vec<T>>,
    /// Projection pre-activation's GELU′ and the activation (projection channels).
    q: Vec<T>,
    g: Vec<T>,
    /// The output (out channels).
    output: Vec<T>,
    /// Work buffers: mixed coefficients (or their gradient); gradients by the coefficients,
    /// by the mixing matrices and by hidden fields.
    mixed: Vec<T>,
    g_coeffs: Vec<T>,
    g_mix: Vec<T>,
    dh: Vec<T>,
    dh_prev: Vec<T>,
}

impl<T: Real> Tape<T> {
    /// Samples of the last forward pass.
    pub fn samples(&self) -> usize {
        self.samples
    }

    /// Grid points of the last forward pass.
    pub fn points(&self) -> usize {
        self.points
    }

    /// The output of the last forward pass in batch order (channel after channel, samples
    /// within a channel): the layout of [`Fno::backward`]'s `dout`.
    pub fn output(&self) -> &[T] {
        &self.output
    }

    /// The output fields of sample `j` (n values per channel, channel after channel).
    pub fn sample_output(&self, j: usize) -> Vec<T> {
        let (b, n) = (self.samples, self.points);
        self.output
            .chunks_exact(b * n)
            .flat_map(|channel| &channel[j * n..(j + 1) * n])
            .copied()
            .collect()
    }
}

impl Fno<f64> {
    /// An operator with PyTorch's default initialisation of the linear maps,
    /// U(−1/√fan_in, 1/√fan_in), and Li et al.'s spectral weights, U(0, 1/width²) in their
    /// real and imaginary parts, from a ChaCha8 generator seeded with `seed`.
    pub fn new(config: Config, seed: u64) -> Result<Fno, Error> {
        config.validate()?;
        let layout = config.layout();
        let mut rng = ChaCha8Rng::seed_from_u64(seed);
        let mut params = vec![0.0; layout.total];
        let fill = |params: &mut [f64], l: Linear, rng: &mut ChaCha8Rng| {
            let bound = 1.0 / (l.n_in as f64).sqrt();
            for p in &mut params[l.weight..l.end()] {
                *p = rng.random_range(-bound..bound);
            }
        };
        fill(&mut params, layout.lift, &mut rng);
        let scale = 1.0 / (config.width * config.width) as f64;
        for &(start, skip) in &layout.spectral {
            for p in &mut params[start..skip.weight] {
                *p = scale * rng.random::<f64>();
            }
            fill(&mut params, skip, &mut rng);
        }
        fill(&mut params, layout.proj1, &mut rng);
        fill(&mut params, layout.proj2, &mut rng);
        Ok(Fno {
            config,
            layout,
            params,
            mixing: OnceLock::new(),
        })
    }

    /// An operator with given parameters (from a weights file).
    pub fn with_params(config: Config, params: Vec<f64>) -> Result<Fno, Error> {
        config.validate()?;
        let layout = config.layout();
        if params.len() != layout.total {
            return Err(Error::Weights(format!(
                "{} parameters, the configuration needs {}",
                params.len(),
                layout.total
            )));
        }
        Ok(Fno {
            config,
            layout,
            params,
            mixing: OnceLock::new(),
        })
    }
}

impl<T: Real> Fno<T> {
    pub fn config(&self) -> &Config {
        &self.config
    }

    pub fn params(&self) -> &[T] {
        &self.params
    }

    pub fn params_mut(&mut self) -> &mut [T] {
        self.mixing = OnceLock::new();
        &mut self.params
    }

    /// The same operator with its parameters rounded to another float type.
    pub fn cast<U: Real>(&self) -> Fno<U> {
        Fno {
            config: self.config,
            layout: self.layout.clone(),
            params: self.params.iter().map(|p| U::of(p.wide())).collect(),
            mixing: OnceLock::new(),
        }
    }

    pub fn n_params(&self) -> usize {
        self.layout.total
    }

    /// The named blocks of the parameter vector, with PyTorch-style shapes: what a weights
    /// file stores.
    pub(crate) fn blocks(&self) -> Vec<(String, Vec<usize>, std::ops::Range<usize>)> {
        let l = &self.layout;
        let mut blocks = Vec::new();
        let mut linear = |name: String, lin: Linear| {
            blocks.push((
                format!("{name}.weight"),
                vec![lin.n_out, lin.n_in],
                lin.weight..lin.bias,
            ));
            blocks.push((format!("{name}.bias"), vec![lin.n_out], lin.bias..lin.end()));
        };
        linear("lift".into(), l.lift);
        let w = self.config.width;
        let mut spectral = Vec::new();
        for (i, &(start, skip)) in l.spectral.iter().enumerate() {
            spectral.push((
                format!("layers.{i}.spectral"),
                vec![w, w, l.kept, 2],
                start..skip.weight,
            ));
            linear(format!("layers.{i}.skip"), skip);
        }
        linear("projection.0".into(), l.proj1);
        linear("projection.1".into(), l.proj2);
        blocks.extend(spectral);
        blocks.sort_by_key(|b| b.2.start);
        blocks
    }

    /// Transforms for an `n1` × `n2` grid (n1 = 1 in 1-D).
    pub fn transforms(&self, n1: usize, n2: usize) -> Result<Transforms<T>, Error> {
        if (self.config.dims == 1) != (n1 == 1) {
            return Err(Error::Grid(format!(
                "a {}-D operator applied to a {n1} × {n2} grid",
                self.config.dims
            )));
        }
        Transforms::new(n1, n2, self.config.modes)
    }

    /// Every layer's mixing matrices: the real form of the layer's complex weights
    /// R[o, i, k], per mode k the 2w × 2w column-major M_k with [Re Y, Im Y] = [Re X, Im X]·M_k
    /// for Y[o] = Σ_i R[o, i]·X[i]: M_k = [[Re Rᵀ, Im Rᵀ], [−Im Rᵀ, Re Rᵀ]], one mode after
    /// another.
    fn mixing(&self) -> &[Vec<T>] {
        self.mixing.get_or_init(|| {
            let (w, kept) = (self.config.width, self.layout.kept);
            let m = 2 * w;
            self.layout
                .spectral
                .iter()
                .map(|&(start, _)| {
                    let weights = &self.params[start..start + 2 * w * w * kept];
                    let mut mix = vec![T::zero(); kept * m * m];
                    // Mode by mode, column by column: the writes run along memory.
                    for (k, mk) in mix.chunks_exact_mut(m * m).enumerate() {
                        for o in 0..w {
                            let (left, right) = mk[o * m..].split_at_mut(w * m);
                            for i in 0..w {
                                let r = 2 * ((o * w + i) * kept + k);
                                let (re, im) = (weights[r], weights[r + 1]);
                                left[i] = re;
                                left[w + i] = -im;
                                right[i] = im;
                                right[w + i] = re;
                            }
                        }
                    }
                    mix
                })
                .collect()
        })
    }

    /// The output fields of a batch of inputs (each n × in channels, channel after channel)
    /// on the grid of `t`, kept in `tape` (see [`Tape::output`]) with what the reverse pass
    /// needs.
    pub fn forward(
        &self,
        t: &Transforms<T>,
        inputs: &[&[T]],
        tape: &mut Tape<T>,
        s: &mut Scratch<T>,
    ) {
        let (c, l) = (&self.config, &self.layout);
        let (n, b) = (t.points(), inputs.len());
        let rows = b * n;
        let (w, kept) = (c.width, l.kept);
        let m = 2 * w;
        let p = &self.params;
        tape.samples = b;
        tape.points = n;
        // Lifting input: the fields, then the grid positions in [0, 1).
        tape.input.clear();
        for ch in 0..c.in_channels {
            for u in inputs {
                tape.input.extend_from_slice(&u[ch * n..(ch + 1) * n]);
            }
        }
        let positions = t.positions();
        for axis in positions.chunks_exact(n) {
            for _ in 0..b {
                tape.input.extend_from_slice(axis);
            }
        }
        tape.h.resize(c.layers + 1, Vec::new());
        tape.z.resize(c.layers, Vec::new());
        tape.coeffs.resize(c.layers, Vec::new());
        tape.mixed.resize(kept * m * b, T::zero());
        linear(&mut tape.h[0], &tape.input, p, l.lift, rows);
        let mixing = self.mixing();
        for (layer, &(_, skip)) in l.spectral.iter().enumerate() {
            let (before, after) = tape.h.split_at_mut(layer + 1);
            let h = &before[layer];
            let coeffs = &mut tape.coeffs[layer];
            coeffs.resize(kept * m * b, T::zero());
            t.forward_batch(h, coeffs, s);
            let mix = &mixing[layer];
            for k in 0..kept {
                gemm(
                    &mut tape.mixed[k * m * b..],
                    MatRef::col_major(&coeffs[k * m * b..], b, m),
                    MatRef::col_major(&mix[k * m * m..], m, m),
                    Start::Zero,
                );
            }
            let z = &mut tape.z[layer];
            linear(z, h, p, skip, rows);
            t.inverse_batch(&tape.mixed, z, s);
            let next = &mut after[0];
            if layer + 1 < c.layers {
                // The pre-activation is not needed again: GELU′ takes its place.
                activate(z, next, c.gelu_twice);
            } else {
                next.clear();
                next.extend_from_slice(z);
            }
        }
        linear(&mut tape.q, &tape.h[c.layers], p, l.proj1, rows);
        activate(&mut tape.q, &mut tape.g, false);
        linear(&mut tape.output, &tape.g, p, l.proj2, rows);
    }

    /// Adds to `grad` the gradient of a loss whose gradient by the output of the last
    /// forward pass is `dout` (in the layout of [`Tape::output`]).
    pub fn backward(
        &self,
        t: &Transforms<T>,
        tape: &mut Tape<T>,
        dout: &[T],
        grad: &mut [T],
        s: &mut Scratch<T>,
    ) {
        let (c, l) = (&self.config, &self.layout);
        let (n, b) = (tape.points, tape.samples);
        let rows = b * n;
        let (w, kept) = (c.width, l.kept);
        let m = 2 * w;
        let p = &self.params;
        let mixing = self.mixing();
        let mut dg = std::mem::take(&mut tape.dh_prev);
        linear_back(grad, &tape.g, dout, p, l.proj2, rows, Some(&mut dg));
        dg.iter_mut().zip(&tape.q).for_each(|(d, &q)| *d = *d * q);
        let mut dh = std::mem::take(&mut tape.dh);
        linear_back(
            grad,
            &tape.h[c.layers],
            &dg,
            p,
            l.proj1,
            rows,
            Some(&mut dh),
        );
        let mut dh_prev = dg;
        tape.g_coeffs.resize(kept * m * b, T::zero());
        tape.g_mix.resize(kept * m * m, T::zero());
        for layer in (0..c.layers).rev() {
            let (start, skip) = l.spectral[layer];
            // dh becomes the gradient by the pre-activation.
            if layer + 1 < c.layers {
                dh.iter_mut()
                    .zip(&tape.z[layer])
                    .for_each(|(d, &z)| *d = *d * z);
            }
            let h = &tape.h[layer];
            linear_back(grad, h, &dh, p, skip, rows, Some(&mut dh_prev));
            // Gradient by the mixed coefficients.
            t.inverse_adjoint_batch(&dh, &mut tape.mixed, s);
            // By the mixing matrices, M_kᵀ… = X_kᵀ·gY_k, and by the coefficients,
            // gX_k = gY_k·M_kᵀ.
            let (coeffs, mix) = (&tape.coeffs[layer], &mixing[layer]);
            for k in 0..kept {
                let gy = MatRef::col_major(&tape.mixed[k * m * b..], b, m);
                gemm(
                    &mut tape.g_mix[k * m * m..],
                    MatRef::col_major(&coeffs[k * m * b..], b, m).t(),
                    gy,
                    Start::Zero,
                );
                gemm(
                    &mut tape.g_coeffs[k * m * b..],
                    gy,
                    MatRef::col_major(&mix[k * m * m..], m, m).t(),
                    Start::Zero,
                );
            }
            // Re R[o, i] sits at M(i, o) and M(w + i, w + o), Im R[o, i] at M(i, w + o) and,
            // negated, at M(w + i, o).
            let g_weights = &mut grad[start..skip.weight];
            for (k, gm) in tape.g_mix.chunks_exact(m * m).enumerate() {
                for o in 0..w {
                    let (left, right) = (&gm[o * m..(o + 1) * m], &gm[(w + o) * m..]);
                    for i in 0..w {
                        let r = 2 * ((o * w + i) * kept + k);
                        g_weights[r] += left[i] + right[w + i];
                        g_weights[r + 1] += right[i] - left[w + i];
                    }
                }
            }
            t.forward_adjoint_batch(&tape.g_coeffs, &mut dh_prev, s);
            std::mem::swap(&mut dh, &mut dh_prev);
        }
        linear_back(grad, &tape.input, &dh, p, l.lift, rows, None);
        tape.dh = dh;
        tape.dh_prev = dh_prev;
    }
}

/// out (n × n_out) = input (n × n_in) · Wᵀ + b.
fn linear<T: Real>(out: &mut Vec<T>, input: &[T], p: &[T], l: Linear, n: usize) {
    // Every element is written, its sum started from its bias: a reused buffer needs no
    // clearing.
    out.resize(n * l.n_out, T::zero());
    // W row-major (n_out × n_in) is Wᵀ column-major (n_in × n_out).
    gemm(
        out,
        MatRef::col_major(input, n, l.n_in),
        MatRef::col_major(&p[l.weight..l.bias], l.n_in, l.n_out),
        Start::Columns(&p[l.bias..l.end()]),
    );
}

/// The reverse of [`linear`]: ∂W, ∂b added into `grad`; ∂input into `d` when asked for.
fn linear_back<T: Real>(
    grad: &mut [T],
    input: &[T],
    dout: &[T],
    p: &[T],
    l: Linear,
    n: usize,
    d: Option<&mut Vec<T>>,
) {
    for (o, column) in dout[..n * l.n_out].chunks_exact(n).enumerate() {
        grad[l.bias + o] += T::total(column);
    }
    let dout = MatRef::col_major(dout, n, l.n_out);
    // ∂Wᵀ (n_in × n_out) += inputᵀ · dout.
    gemm(
        &mut grad[l.weight..l.bias],
        MatRef::col_major(input, n, l.n_in).t(),
        dout,
        Start::Out,
    );
    // ∂input (n × n_in) = dout · W, with W = (Wᵀ)ᵀ a view.
    if let Some(d) = d {
        d.resize(n * l.n_in, T::zero());
        gemm(
            d,
            dout,
            MatRef::col_major(&p[l.weight..l.bias], l.n_in, l.n_out).t(),
            Start::Zero,
        );
    }
}
