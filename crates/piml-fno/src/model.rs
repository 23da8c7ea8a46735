//! The Fourier neural operator (Li et al. 2021): lifting, Fourier layers (a spectral
//! convolution on the kept modes plus a pointwise linear skip, then GELU), projection; the
//! forward pass of one sample and its hand-written reverse pass.

use crate::gemm::{MatRef, gemm};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use rayon::prelude::*;
use realfft::num_complex::Complex64;

use crate::Error;
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

/// A Fourier neural operator: its shape and parameters.
#[derive(Debug, Clone, PartialEq)]
pub struct Fno {
    config: Config,
    layout: Layout,
    params: Vec<f64>,
}

/// What the reverse pass of one sample needs from its forward pass.
#[derive(Debug, Clone, Default)]
pub struct Tape {
    /// Lifting input: fields then positions, channel after channel.
    input: Vec<f64>,
    /// Input of every Fourier layer and the projection's (n × width each).
    h: Vec<Vec<f64>>,
    /// Pre-activations of the Fourier layers, then GELU′ of them (all layers but the last).
    z: Vec<Vec<f64>>,
    /// Kept coefficients of every layer's input (width × kept).
    coeffs: Vec<Vec<Complex64>>,
    /// Projection pre-activation's GELU′ and the activation (n × projection).
    q: Vec<f64>,
    g: Vec<f64>,
    /// Gradient of the loss by every layer's mixed coefficients (width × kept), left by the
    /// reverse pass for [`Fno::spectral_gradient`].
    g_mixed: Vec<Vec<Complex64>>,
    /// The output (n × out channels).
    pub output: Vec<f64>,
}

/// GELU(z) = z·Φ(z) and its derivative Φ(z) + z·φ(z), with one erf and one exp.
fn gelu(z: f64) -> (f64, f64) {
    let cdf = 0.5 * (1.0 + libm::erf(z * std::f64::consts::FRAC_1_SQRT_2));
    let pdf = (-0.5 * z * z).exp()
        * (0.5 * std::f64::consts::FRAC_2_SQRT_PI * std::f64::consts::FRAC_1_SQRT_2);
    (z * cdf, cdf + z * pdf)
}

/// `out` ← GELU(z), `slope` ← GELU′(z).
fn activate(z: &[f64], out: &mut Vec<f64>, slope: &mut Vec<f64>) {
    out.clear();
    slope.clear();
    for &v in z {
        let (a, d) = gelu(v);
        out.push(a);
        slope.push(d);
    }
}

impl Fno {
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
        })
    }

    pub fn config(&self) -> &Config {
        &self.config
    }

    pub fn params(&self) -> &[f64] {
        &self.params
    }

    pub fn params_mut(&mut self) -> &mut [f64] {
        &mut self.params
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
    pub fn transforms(&self, n1: usize, n2: usize) -> Result<Transforms, Error> {
        if (self.config.dims == 1) != (n1 == 1) {
            return Err(Error::Grid(format!(
                "a {}-D operator applied to a {n1} × {n2} grid",
                self.config.dims
            )));
        }
        Transforms::new(n1, n2, self.config.modes)
    }

    /// The output fields (n × out channels, channel after channel) for input fields `u`
    /// (n × in channels) on the grid of `t`, keeping in `tape` what the reverse pass needs.
    pub fn forward(&self, t: &Transforms, u: &[f64], tape: &mut Tape, s: &mut Scratch) {
        let (c, l) = (&self.config, &self.layout);
        let n = t.points();
        let w = c.width;
        let p = &self.params;
        // Lifting input: the fields, then the grid positions in [0, 1).
        tape.input.clear();
        tape.input.extend_from_slice(&u[..n * c.in_channels]);
        tape.input.extend(t.positions());
        tape.h.resize(c.layers + 1, Vec::new());
        tape.z.resize(c.layers, Vec::new());
        tape.coeffs.resize(c.layers, Vec::new());
        let h0 = &mut tape.h[0];
        linear(h0, &tape.input, p, l.lift, n);
        let kept = l.kept;
        for (layer, &(start, skip)) in l.spectral.iter().enumerate() {
            let (before, after) = tape.h.split_at_mut(layer + 1);
            let h = &before[layer];
            let coeffs = &mut tape.coeffs[layer];
            coeffs.resize(w * kept, Complex64::default());
            for i in 0..w {
                t.forward(
                    &h[i * n..(i + 1) * n],
                    &mut coeffs[i * kept..(i + 1) * kept],
                    s,
                );
            }
            let z = &mut tape.z[layer];
            linear(z, h, p, skip, n);
            let weights = &p[start..skip.weight];
            let mut mixed = vec![Complex64::default(); kept];
            for o in 0..w {
                mixed.fill(Complex64::default());
                for i in 0..w {
                    let r = &weights[2 * (o * w + i) * kept..2 * (o * w + i + 1) * kept];
                    let b = &coeffs[i * kept..(i + 1) * kept];
                    for k in 0..kept {
                        mixed[k] += Complex64::new(r[2 * k], r[2 * k + 1]) * b[k];
                    }
                }
                t.inverse(&mixed, &mut z[o * n..(o + 1) * n], s);
            }
            let next = &mut after[0];
            if layer + 1 < c.layers {
                // The pre-activation is not needed again: keep GELU′ in its place.
                let pre = std::mem::take(z);
                activate(&pre, next, z);
            } else {
                next.clear();
                next.extend_from_slice(z);
            }
        }
        let mut pre = std::mem::take(&mut tape.output);
        linear(&mut pre, &tape.h[c.layers], p, l.proj1, n);
        activate(&pre, &mut tape.g, &mut tape.q);
        tape.output = pre;
        linear(&mut tape.output, &tape.g, p, l.proj2, n);
    }

    /// Adds to `grad` the gradient of a loss whose gradient by the output is `dout`, except
    /// for the spectral weights: their gradient is a sum over samples that
    /// [`Fno::spectral_gradient`] forms for a whole batch at once, so that the largest block
    /// of the parameter vector is written once per batch instead of once per sample.
    pub fn backward(
        &self,
        t: &Transforms,
        tape: &mut Tape,
        dout: &[f64],
        grad: &mut [f64],
        s: &mut Scratch,
    ) {
        let (c, l) = (&self.config, &self.layout);
        let n = t.points();
        let w = c.width;
        let p = &self.params;
        let dg = linear_back(grad, &tape.g, dout, p, l.proj2, n);
        let dq: Vec<f64> = dg.iter().zip(&tape.q).map(|(d, q)| d * q).collect();
        let mut dh = linear_back(grad, &tape.h[c.layers], &dq, p, l.proj1, n);
        let kept = l.kept;
        let mut g_coeffs = vec![Complex64::default(); w * kept];
        tape.g_mixed.resize(c.layers, Vec::new());
        for layer in (0..c.layers).rev() {
            let mut g_mixed = std::mem::take(&mut tape.g_mixed[layer]);
            g_mixed.resize(w * kept, Complex64::default());
            let (start, skip) = l.spectral[layer];
            let dz: Vec<f64> = if layer + 1 < c.layers {
                dh.iter().zip(&tape.z[layer]).map(|(d, z)| d * z).collect()
            } else {
                dh
            };
            let h = &tape.h[layer];
            let mut dh_prev = linear_back(grad, h, &dz, p, skip, n);
            for o in 0..w {
                t.inverse_adjoint(
                    &dz[o * n..(o + 1) * n],
                    &mut g_mixed[o * kept..(o + 1) * kept],
                    s,
                );
            }
            let weights = &p[start..skip.weight];
            // Gradient by the coefficients of every input channel: Σ_o conj(R[o, i]) gZ[o],
            // reading the weights once, in memory order.
            g_coeffs.fill(Complex64::default());
            for o in 0..w {
                let gz = &g_mixed[o * kept..(o + 1) * kept];
                for i in 0..w {
                    let base = 2 * (o * w + i) * kept;
                    let r = &weights[base..base + 2 * kept];
                    let gb = &mut g_coeffs[i * kept..(i + 1) * kept];
                    for k in 0..kept {
                        gb[k] += Complex64::new(r[2 * k], -r[2 * k + 1]) * gz[k];
                    }
                }
            }
            tape.g_mixed[layer] = g_mixed;
            for i in 0..w {
                t.forward_adjoint(
                    &g_coeffs[i * kept..(i + 1) * kept],
                    &mut dh_prev[i * n..(i + 1) * n],
                    s,
                );
            }
            dh = dh_prev;
        }
        linear_back(grad, &tape.input, &dh, p, l.lift, n);
    }

    /// Adds to `grad` the gradient by the spectral weights of the samples whose reverse passes
    /// left `tapes`: ∂L/∂R[o, i, k] = Σ_samples gZ[o, k]·conj(B[i, k]), summed in the order of
    /// `tapes` (rows in parallel, so the result does not depend on the thread count).
    pub fn spectral_gradient(&self, tapes: &[&Tape], grad: &mut [f64]) {
        let (w, kept) = (self.config.width, self.layout.kept);
        let row = 2 * w * kept;
        for (layer, &(start, skip)) in self.layout.spectral.iter().enumerate() {
            grad[start..skip.weight]
                .par_chunks_mut(row)
                .enumerate()
                .for_each(|(o, g)| {
                    for tape in tapes {
                        let gz = &tape.g_mixed[layer][o * kept..(o + 1) * kept];
                        let coeffs = &tape.coeffs[layer];
                        for i in 0..w {
                            let b = &coeffs[i * kept..(i + 1) * kept];
                            let gr = &mut g[2 * i * kept..2 * (i + 1) * kept];
                            for k in 0..kept {
                                let dr = gz[k] * b[k].conj();
                                gr[2 * k] += dr.re;
                                gr[2 * k + 1] += dr.im;
                            }
                        }
                    }
                });
        }
    }

    /// The parameter ranges outside the spectral weights (lifting, skips, projection).
    pub fn dense_ranges(&self) -> Vec<std::ops::Range<usize>> {
        let l = &self.layout;
        std::iter::once(l.lift.weight..l.lift.end())
            .chain(l.spectral.iter().map(|(_, skip)| skip.weight..skip.end()))
            .chain(std::iter::once(l.proj1.weight..l.proj2.end()))
            .collect()
    }
}

/// out (n × n_out) = input (n × n_in) · Wᵀ + b.
fn linear(out: &mut Vec<f64>, input: &[f64], p: &[f64], l: Linear, n: usize) {
    out.clear();
    out.resize(n * l.n_out, 0.0);
    for (o, column) in out.chunks_exact_mut(n).enumerate() {
        column.fill(p[l.bias + o]);
    }
    // W row-major (n_out × n_in) is Wᵀ column-major (n_in × n_out).
    gemm(
        out,
        MatRef::col_major(input, n, l.n_in),
        MatRef::col_major(&p[l.weight..l.bias], l.n_in, l.n_out),
        1.0,
    );
}

/// The reverse of [`linear`]: ∂W, ∂b added into `grad`; returns ∂input.
fn linear_back(
    grad: &mut [f64],
    input: &[f64],
    dout: &[f64],
    p: &[f64],
    l: Linear,
    n: usize,
) -> Vec<f64> {
    for (o, column) in dout[..n * l.n_out].chunks_exact(n).enumerate() {
        grad[l.bias + o] += column.iter().sum::<f64>();
    }
    let dout = MatRef::col_major(dout, n, l.n_out);
    // ∂Wᵀ (n_in × n_out) += inputᵀ · dout.
    gemm(
        &mut grad[l.weight..l.bias],
        MatRef::col_major(input, n, l.n_in).t(),
        dout,
        1.0,
    );
    // ∂input (n × n_in) = dout · W, with W = (Wᵀ)ᵀ a view.
    let mut d = vec![0.0; n * l.n_in];
    gemm(
        &mut d,
        dout,
        MatRef::col_major(&p[l.weight..l.bias], l.n_in, l.n_out).t(),
        0.0,
    );
    d
}
