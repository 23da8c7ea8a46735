//! The truncated Fourier transforms of a spectral convolution and their adjoints.
//!
//! A field h on an n1 × n2 grid (x-major; 1-D fields have n1 = 1) is transformed by a real FFT
//! along y and a complex FFT along x, and only the kept modes are stored: ky = 0..m2 and
//! kx = 0..m1 together with the m1 most negative frequencies (Li et al. 2021, the two corner
//! blocks of weights). The inverse zero-fills the other modes. The transforms are unnormalised
//! forward and 1/n inverse, so a smooth function's kept coefficients do not depend on the grid
//! size: what makes the learned weights resolution-independent.
//!
//! Adjoints, with the gradient of a real loss by a complex number written g = ∂L/∂Re + i ∂L/∂Im:
//! a complex-linear map M has adjoint M^H; the real inverse transform
//! s_y = (1/n2) Σ_k c_k Re(D_k e^{2πiky/n2}) (c_0 = 1, c_k = 2 otherwise) has
//! g_D = (c_k/n2)·rfft(g_s), and the real forward transform has g_h = Σ_k Re(g_k e^{2πiky/n2}),
//! an unnormalised inverse real transform of g_k/c_k.

use std::sync::Arc;

use realfft::num_complex::Complex;
use realfft::{ComplexToReal, RealFftPlanner, RealToComplex};
use rustfft::{Fft, FftPlanner};

use crate::Error;
use crate::gemm::{MatRef, Start, gemm};
use crate::real::Real;

/// Kept modes: m1 per sign along x (ignored in 1-D), m2 along y.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Modes {
    pub m1: usize,
    pub m2: usize,
}

/// Plans and sizes of the truncated transforms on one grid, in float type `T`.
#[derive(Clone)]
pub struct Transforms<T = f64> {
    pub n1: usize,
    pub n2: usize,
    pub modes: Modes,
    /// Position of the first grid point along x and y, as a fraction of the period.
    pub offsets: [f64; 2],
    r2c: Arc<dyn RealToComplex<T>>,
    c2r: Arc<dyn ComplexToReal<T>>,
    fft_x: Option<Arc<dyn Fft<T>>>,
    ifft_x: Option<Arc<dyn Fft<T>>>,
    /// In 1-D, the truncated transforms as real matrices (see [`Dft`]).
    dft: Option<Arc<Dft<T>>>,
}

/// The truncated 1-D transforms as n × 2·m2 column-major real matrices, columns 2k and 2k + 1
/// for mode k's real and imaginary parts: `forward` F(y, 2k) = cos θ, F(y, 2k + 1) = −sin θ
/// (θ = 2πky/n), and `inverse` the transpose of the inverse's matrix,
/// c_k/n·(cos θ, −sin θ). With a few kept modes a batch's transform is then one matrix product
/// (n·2·m2 multiply-adds per field, against the full spectrum of an FFT, and no copies
/// between complex buffers and the batch layout).
struct Dft<T> {
    forward: Vec<T>,
    inverse: Vec<T>,
}

impl<T> std::fmt::Debug for Transforms<T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Transforms")
            .field("n1", &self.n1)
            .field("n2", &self.n2)
            .field("modes", &self.modes)
            .finish()
    }
}

/// Work buffers of one thread.
#[derive(Debug, Clone)]
pub struct Scratch<T = f64> {
    real: Vec<T>,
    spectrum: Vec<Complex<T>>,
    column: Vec<Complex<T>>,
    fft: Vec<Complex<T>>,
    /// Kept y-modes of every row: n1 × m2.
    rows: Vec<Complex<T>>,
    /// One field's kept coefficients.
    kept: Vec<Complex<T>>,
}

impl<T: Real> Transforms<T> {
    /// Transforms on an `n1` × `n2` grid (n1 = 1 for 1-D) keeping `modes`.
    pub fn new(n1: usize, n2: usize, modes: Modes) -> Result<Transforms<T>, Error> {
        if modes.m2 == 0 || 2 * modes.m2 > n2 {
            return Err(Error::Grid(format!(
                "{} modes need at least {} points along the last axis, the grid has {n2}",
                modes.m2,
                2 * modes.m2
            )));
        }
        if n1 > 1 && (modes.m1 == 0 || 2 * modes.m1 > n1) {
            return Err(Error::Grid(format!(
                "{} modes per sign need at least {} points along x, the grid has {n1}",
                modes.m1,
                2 * modes.m1
            )));
        }
        let dft = (n1 == 1).then(|| {
            let (m2, n) = (modes.m2, n2 as f64);
            let mut forward = Vec::with_capacity(2 * m2 * n2);
            let mut inverse = Vec::with_capacity(2 * m2 * n2);
            for k in 0..m2 {
                let weight = if k == 0 { 1.0 } else { 2.0 };
                for part in 0..2 {
                    for y in 0..n2 {
                        // k·y reduced mod n keeps the angle exact before the cosine.
                        let theta = std::f64::consts::TAU * ((k * y) % n2) as f64 / n;
                        let v = if part == 0 { theta.cos() } else { -theta.sin() };
                        forward.push(T::of(v));
                        inverse.push(T::of(weight / n * v));
                    }
                }
            }
            Arc::new(Dft { forward, inverse })
        });
        let mut real = RealFftPlanner::<T>::new();
        let mut complex = FftPlanner::<T>::new();
        let (fft_x, ifft_x) = if n1 > 1 {
            (
                Some(complex.plan_fft_forward(n1)),
                Some(complex.plan_fft_inverse(n1)),
            )
        } else {
            (None, None)
        };
        Ok(Transforms {
            n1,
            n2,
            modes,
            offsets: [0.0; 2],
            r2c: real.plan_fft_forward(n2),
            c2r: real.plan_fft_inverse(n2),
            fft_x,
            ifft_x,
            dft,
        })
    }

    /// The same transforms for a grid whose first points lie `offsets` (fractions of the period
    /// along x and y) past the start of the domain, as cell-centred grids do.
    pub fn with_offsets(mut self, offsets: [f64; 2]) -> Transforms<T> {
        self.offsets = offsets;
        self
    }

    /// The position channel(s) of the operator's input: (x − x_min)/period, then y's in 2-D,
    /// channel after channel.
    pub fn positions(&self) -> Vec<T> {
        let mut p = Vec::with_capacity(2 * self.points());
        if self.n1 > 1 {
            for i in 0..self.n1 {
                let x = self.offsets[0] + i as f64 / self.n1 as f64;
                p.extend(std::iter::repeat_n(T::of(x), self.n2));
            }
        }
        for _ in 0..self.n1 {
            p.extend((0..self.n2).map(|j| T::of(self.offsets[1] + j as f64 / self.n2 as f64)));
        }
        p
    }

    /// The same grid and modes in another float type.
    pub fn in_type<U: Real>(&self) -> Transforms<U> {
        Transforms::new(self.n1, self.n2, self.modes)
            .expect("the grid was valid for the same modes")
            .with_offsets(self.offsets)
    }

    /// Grid points.
    pub fn points(&self) -> usize {
        self.n1 * self.n2
    }

    /// Kept rows along x: 1 in 1-D, 2·m1 in 2-D.
    pub fn kept_rows(&self) -> usize {
        if self.n1 > 1 { 2 * self.modes.m1 } else { 1 }
    }

    /// Kept coefficients per channel.
    pub fn kept(&self) -> usize {
        self.kept_rows() * self.modes.m2
    }

    /// The x-frequency index of kept row `r`.
    fn row_index(&self, r: usize) -> usize {
        if r < self.modes.m1 || self.n1 == 1 {
            r
        } else {
            self.n1 - 2 * self.modes.m1 + r
        }
    }

    pub fn scratch(&self) -> Scratch<T> {
        let fft_len = [&self.fft_x, &self.ifft_x]
            .iter()
            .flat_map(|f| f.as_ref().map(|f| f.get_inplace_scratch_len()))
            .max()
            .unwrap_or(0)
            .max(self.r2c.get_scratch_len())
            .max(self.c2r.get_scratch_len());
        Scratch {
            real: vec![T::zero(); self.n2],
            spectrum: vec![Complex::default(); self.n2 / 2 + 1],
            column: vec![Complex::default(); self.n1],
            fft: vec![Complex::default(); fft_len],
            rows: vec![Complex::default(); self.n1 * self.modes.m2],
            kept: vec![Complex::default(); self.kept()],
        }
    }

    fn weight(&self, k: usize) -> f64 {
        if k == 0 { 1.0 } else { 2.0 }
    }

    /// Kept coefficients of one channel `h` (n1·n2 values) into `out` (kept_rows × m2).
    pub fn forward(&self, h: &[T], out: &mut [Complex<T>], s: &mut Scratch<T>) {
        let m2 = self.modes.m2;
        for r in 0..self.n1 {
            s.real.copy_from_slice(&h[r * self.n2..(r + 1) * self.n2]);
            self.r2c
                .process_with_scratch(&mut s.real, &mut s.spectrum, &mut s.fft)
                .expect("buffer sizes come from the plan");
            s.rows[r * m2..(r + 1) * m2].copy_from_slice(&s.spectrum[..m2]);
        }
        self.along_x(s, out, false);
    }

    /// Columns of `s.rows` transformed along x (forward, or the unnormalised inverse when
    /// `inverse`), kept rows into `out`.
    fn along_x(&self, s: &mut Scratch<T>, out: &mut [Complex<T>], inverse: bool) {
        let m2 = self.modes.m2;
        let Some(plan) = (if inverse { &self.ifft_x } else { &self.fft_x }) else {
            out[..m2].copy_from_slice(&s.rows[..m2]);
            return;
        };
        for k in 0..m2 {
            for r in 0..self.n1 {
                s.column[r] = s.rows[r * m2 + k];
            }
            plan.process_with_scratch(&mut s.column, &mut s.fft);
            for r in 0..self.kept_rows() {
                out[r * m2 + k] = s.column[self.row_index(r)];
            }
        }
    }

    /// Kept rows `coeffs` spread over full x-columns and transformed along x into `s.rows`.
    fn spread_kept(&self, coeffs: &[Complex<T>], s: &mut Scratch<T>, inverse: bool) {
        let m2 = self.modes.m2;
        let Some(plan) = (if inverse { &self.ifft_x } else { &self.fft_x }) else {
            s.rows[..m2].copy_from_slice(&coeffs[..m2]);
            return;
        };
        for k in 0..m2 {
            s.column.fill(Complex::default());
            for r in 0..self.kept_rows() {
                s.column[self.row_index(r)] = coeffs[r * m2 + k];
            }
            plan.process_with_scratch(&mut s.column, &mut s.fft);
            for r in 0..self.n1 {
                s.rows[r * m2 + k] = s.column[r];
            }
        }
    }

    /// Rows of y-modes in `s.rows` (scaled by `scale(k)`) to real rows added into `out`.
    fn rows_to_real(&self, s: &mut Scratch<T>, out: &mut [T], scale: impl Fn(usize) -> f64) {
        let m2 = self.modes.m2;
        for r in 0..self.n1 {
            s.spectrum.fill(Complex::default());
            for k in 0..m2 {
                s.spectrum[k] = s.rows[r * m2 + k] * T::of(scale(k));
            }
            // The real inverse reads only the real part of the zero frequency.
            s.spectrum[0].im = T::zero();
            self.c2r
                .process_with_scratch(&mut s.spectrum, &mut s.real, &mut s.fft)
                .expect("buffer sizes come from the plan; imaginary parts cleared");
            for (o, &v) in out[r * self.n2..(r + 1) * self.n2].iter_mut().zip(&s.real) {
                *o += v;
            }
        }
    }

    /// The field of kept coefficients `coeffs` (other modes zero), added into `out`.
    pub fn inverse(&self, coeffs: &[Complex<T>], out: &mut [T], s: &mut Scratch<T>) {
        self.spread_kept(coeffs, s, true);
        let n = self.points() as f64;
        self.rows_to_real(s, out, |_| 1.0 / n);
    }

    /// Adjoint of [`Transforms::inverse`]: the gradient by the kept coefficients of a loss
    /// whose gradient by the field is `g`.
    pub fn inverse_adjoint(&self, g: &[T], out: &mut [Complex<T>], s: &mut Scratch<T>) {
        let m2 = self.modes.m2;
        for r in 0..self.n1 {
            s.real.copy_from_slice(&g[r * self.n2..(r + 1) * self.n2]);
            self.r2c
                .process_with_scratch(&mut s.real, &mut s.spectrum, &mut s.fft)
                .expect("buffer sizes come from the plan");
            for k in 0..m2 {
                s.rows[r * m2 + k] = s.spectrum[k] * T::of(self.weight(k) / self.n2 as f64);
            }
        }
        // D = (1/n1) F^H C along x has adjoint (1/n1) F.
        self.along_x(s, out, false);
        let scale = T::of(1.0 / self.n1 as f64);
        out[..self.kept()].iter_mut().for_each(|c| *c = *c * scale);
    }

    /// Adjoint of [`Transforms::forward`]: the gradient by the field (added into `out`) of a
    /// loss whose gradient by the kept coefficients is `g`.
    pub fn forward_adjoint(&self, g: &[Complex<T>], out: &mut [T], s: &mut Scratch<T>) {
        // B = F A along x has adjoint F^H: the unnormalised inverse.
        self.spread_kept(g, s, true);
        self.rows_to_real(s, out, |k| 1.0 / self.weight(k));
    }
}

/// A batch of fields (n1·n2 values each, one after another) and their kept coefficients in the
/// batch layout: mode k's real parts of every field, then its imaginary parts, mode after mode
/// (index (2k + part)·fields + field), so that per mode they form a matrix.
impl<T: Real> Transforms<T> {
    /// [`Transforms::forward`] of every field of `h` into `out`.
    pub fn forward_batch(&self, h: &[T], out: &mut [T], s: &mut Scratch<T>) {
        self.coefficients_of_fields(h, out, s, |d| &d.forward, Self::forward);
    }

    /// [`Transforms::inverse`] of every field's coefficients in `coeffs`, added into `out`.
    pub fn inverse_batch(&self, coeffs: &[T], out: &mut [T], s: &mut Scratch<T>) {
        self.fields_of_coefficients(coeffs, out, s, |d| &d.inverse, Self::inverse);
    }

    /// [`Transforms::inverse_adjoint`] of every field of `g` into `out`.
    pub fn inverse_adjoint_batch(&self, g: &[T], out: &mut [T], s: &mut Scratch<T>) {
        self.coefficients_of_fields(g, out, s, |d| &d.inverse, Self::inverse_adjoint);
    }

    /// [`Transforms::forward_adjoint`] of every field's coefficient gradients in `g`, added
    /// into `out`.
    pub fn forward_adjoint_batch(&self, g: &[T], out: &mut [T], s: &mut Scratch<T>) {
        self.fields_of_coefficients(g, out, s, |d| &d.forward, Self::forward_adjoint);
    }

    /// Fields to coefficients in the batch layout: in 1-D out (fields × 2·m2) = H (fields × n)
    /// times the DFT matrix `matrix`, else `single` field by field.
    fn coefficients_of_fields(
        &self,
        h: &[T],
        out: &mut [T],
        s: &mut Scratch<T>,
        matrix: impl Fn(&Dft<T>) -> &[T],
        single: impl Fn(&Self, &[T], &mut [Complex<T>], &mut Scratch<T>),
    ) {
        let (n, fields) = (self.points(), h.len() / self.points());
        if let Some(dft) = &self.dft {
            gemm(
                out,
                MatRef::col_major(h, n, fields).t(),
                MatRef::col_major(matrix(dft), n, 2 * self.modes.m2),
                Start::Zero,
            );
            return;
        }
        let mut kept = std::mem::take(&mut s.kept);
        for (field, values) in h.chunks_exact(n).enumerate() {
            single(self, values, &mut kept, s);
            for (k, v) in kept.iter().enumerate() {
                out[2 * k * fields + field] = v.re;
                out[(2 * k + 1) * fields + field] = v.im;
            }
        }
        s.kept = kept;
    }

    /// Coefficients in the batch layout to fields added into `out`: in 1-D
    /// outᵀ (n × fields) += `matrix` (n × 2·m2)·coeffsᵀ, else `single` field by field.
    fn fields_of_coefficients(
        &self,
        coeffs: &[T],
        out: &mut [T],
        s: &mut Scratch<T>,
        matrix: impl Fn(&Dft<T>) -> &[T],
        single: impl Fn(&Self, &[Complex<T>], &mut [T], &mut Scratch<T>),
    ) {
        let n = self.points();
        let fields = out.len() / n;
        if let Some(dft) = &self.dft {
            let m = 2 * self.modes.m2;
            gemm(
                out,
                MatRef::col_major(matrix(dft), n, m),
                MatRef::col_major(coeffs, fields, m).t(),
                Start::Out,
            );
            return;
        }
        let mut kept = std::mem::take(&mut s.kept);
        for (field, values) in out.chunks_exact_mut(n).enumerate() {
            for (k, v) in kept.iter_mut().enumerate() {
                *v = Complex::new(
                    coeffs[2 * k * fields + field],
                    coeffs[(2 * k + 1) * fields + field],
                );
            }
            single(self, &kept, values, s);
        }
        s.kept = kept;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use realfft::num_complex::Complex64;

    /// A field with every kind of mode.
    fn field(n1: usize, n2: usize, seed: f64) -> Vec<f64> {
        (0..n1 * n2)
            .map(|i| ((i as f64 * 0.7 + seed).sin() * 43.1).fract())
            .collect()
    }

    /// The kept coefficients by direct summation: Σ h e^{−2πi(kx x/n1 + ky y/n2)}.
    fn direct(t: &Transforms<f64>, h: &[f64]) -> Vec<Complex64> {
        let mut out = Vec::new();
        for r in 0..t.kept_rows() {
            let kx = t.row_index(r) as f64;
            for ky in 0..t.modes.m2 {
                let mut c = Complex64::default();
                for x in 0..t.n1 {
                    for y in 0..t.n2 {
                        let phase = -std::f64::consts::TAU
                            * (kx * x as f64 / t.n1 as f64 + ky as f64 * y as f64 / t.n2 as f64);
                        c += Complex64::from_polar(h[x * t.n2 + y], phase);
                    }
                }
                out.push(c);
            }
        }
        out
    }

    /// The field of kept coefficients by direct summation over the Hermitian-extended spectrum.
    fn direct_inverse(t: &Transforms<f64>, c: &[Complex64]) -> Vec<f64> {
        let n = (t.n1 * t.n2) as f64;
        let mut out = vec![0.0; t.n1 * t.n2];
        for r in 0..t.kept_rows() {
            let kx = t.row_index(r) as f64;
            for ky in 0..t.modes.m2 {
                let coeff = c[r * t.modes.m2 + ky];
                for x in 0..t.n1 {
                    for y in 0..t.n2 {
                        let phase = std::f64::consts::TAU
                            * (kx * x as f64 / t.n1 as f64 + ky as f64 * y as f64 / t.n2 as f64);
                        out[x * t.n2 + y] +=
                            t.weight(ky) / n * (coeff * Complex64::from_polar(1.0, phase)).re;
                    }
                }
            }
        }
        out
    }

    fn cases() -> Vec<Transforms<f64>> {
        vec![
            Transforms::new(1, 16, Modes { m1: 0, m2: 5 }).unwrap(),
            Transforms::new(12, 10, Modes { m1: 3, m2: 4 }).unwrap(),
        ]
    }

    #[test]
    fn transforms_equal_direct_sums() {
        for t in cases() {
            let h = field(t.n1, t.n2, 0.3);
            let mut s = t.scratch();
            let mut c = vec![Complex64::default(); t.kept()];
            t.forward(&h, &mut c, &mut s);
            for (a, b) in c.iter().zip(direct(&t, &h)) {
                assert!(
                    (a - b).norm() < 1e-12 * t.points() as f64,
                    "{t:?}: {a} vs {b}"
                );
            }
            // The DC imaginary part is arbitrary input: the inverse must ignore it, like the sum.
            c[0].im = 0.37;
            let mut back = vec![0.0; t.points()];
            t.inverse(&c, &mut back, &mut s);
            for (a, b) in back.iter().zip(direct_inverse(&t, &c)) {
                assert!((a - b).abs() < 1e-13, "{t:?}: {a} vs {b}");
            }
        }
    }

    #[test]
    fn batched_transforms_equal_the_transforms_of_each_field() {
        // 1-D runs the DFT matrices, 2-D the FFTs field by field; both against the FFTs of
        // single fields, to rounding (sums of a few hundred O(1) terms in f64).
        let fields = 3;
        for t in cases() {
            let mut s = t.scratch();
            let (n, m) = (t.points(), 2 * t.kept());
            let h: Vec<f64> = (0..fields)
                .flat_map(|f| field(t.n1, t.n2, f as f64))
                .collect();
            let close = |a: f64, b: f64, what: &str| {
                assert!(
                    (a - b).abs() < 1e-12 * (1.0 + b.abs()),
                    "{t:?} {what}: {a} vs {b}"
                );
            };
            let mut batch = vec![0.0; fields * m];
            t.forward_batch(&h, &mut batch, &mut s);
            let mut adjoint = vec![0.0; fields * m];
            t.inverse_adjoint_batch(&h, &mut adjoint, &mut s);
            // Coefficients with arbitrary DC imaginary parts, which both inverses ignore.
            let coeffs: Vec<f64> = (0..fields * m).map(|i| ((i as f64) * 0.77).sin()).collect();
            let mut back = h.clone();
            t.inverse_batch(&coeffs, &mut back, &mut s);
            let mut spread = h.clone();
            t.forward_adjoint_batch(&coeffs, &mut spread, &mut s);
            for f in 0..fields {
                let values = &h[f * n..(f + 1) * n];
                let at = |k: usize, part: usize| (2 * k + part) * fields + f;
                let mut c = vec![Complex64::default(); t.kept()];
                t.forward(values, &mut c, &mut s);
                let mut a = vec![Complex64::default(); t.kept()];
                t.inverse_adjoint(values, &mut a, &mut s);
                for k in 0..t.kept() {
                    close(batch[at(k, 0)], c[k].re, "forward");
                    close(batch[at(k, 1)], c[k].im, "forward");
                    close(adjoint[at(k, 0)], a[k].re, "inverse adjoint");
                    close(adjoint[at(k, 1)], a[k].im, "inverse adjoint");
                }
                let g: Vec<Complex64> = (0..t.kept())
                    .map(|k| Complex64::new(coeffs[at(k, 0)], coeffs[at(k, 1)]))
                    .collect();
                let (mut single, mut single_adjoint) = (values.to_vec(), values.to_vec());
                t.inverse(&g, &mut single, &mut s);
                t.forward_adjoint(&g, &mut single_adjoint, &mut s);
                for y in 0..n {
                    close(back[f * n + y], single[y], "inverse");
                    close(spread[f * n + y], single_adjoint[y], "forward adjoint");
                }
            }
        }
    }

    #[test]
    fn adjoints_satisfy_the_inner_product_identity() {
        // ⟨g, A h⟩ = ⟨A* g, h⟩ with the real inner product Re Σ conj(a) b on complex vectors.
        let dot = |a: &[Complex64], b: &[Complex64]| -> f64 {
            a.iter().zip(b).map(|(x, y)| (x.conj() * y).re).sum()
        };
        for t in cases() {
            let mut s = t.scratch();
            let h = field(t.n1, t.n2, 1.1);
            let g: Vec<Complex64> = (0..t.kept())
                .map(|i| Complex64::new(((i as f64) * 1.3).sin(), ((i as f64) * 0.4).cos()))
                .collect();
            let mut ah = vec![Complex64::default(); t.kept()];
            t.forward(&h, &mut ah, &mut s);
            let mut atg = vec![0.0; t.points()];
            t.forward_adjoint(&g, &mut atg, &mut s);
            let lhs = dot(&g, &ah);
            let rhs: f64 = atg.iter().zip(&h).map(|(a, b)| a * b).sum();
            assert!(
                (lhs - rhs).abs() < 1e-10 * lhs.abs().max(1.0),
                "forward: {lhs} vs {rhs}"
            );

            let gs = field(t.n1, t.n2, 2.9);
            let c = g.clone();
            let mut field_c = vec![0.0; t.points()];
            t.inverse(&c, &mut field_c, &mut s);
            let mut adj = vec![Complex64::default(); t.kept()];
            t.inverse_adjoint(&gs, &mut adj, &mut s);
            let lhs: f64 = gs.iter().zip(&field_c).map(|(a, b)| a * b).sum();
            let rhs = dot(&adj, &c);
            assert!(
                (lhs - rhs).abs() < 1e-10 * lhs.abs().max(1.0),
                "inverse: {lhs} vs {rhs}"
            );
        }
    }
}
