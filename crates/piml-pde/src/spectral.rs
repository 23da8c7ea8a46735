//! The spectral path for periodic domains with constant diffusion: Fourier
//! modes on real FFTs and the exponential time-differencing Runge–Kutta
//! scheme ETDRK4 of Cox & Matthews (2002, J. Comput. Phys. 176, eq. 26),
//! with the φ-function coefficients evaluated by contour integrals as in
//! Kassam & Trefethen (2005, SIAM J. Sci. Comput. 26(4), §3 and eq. 2.5).
//!
//! In Fourier space the diffusion part is diagonal, û_t = −D|k|²û + N̂(u):
//! ETDRK4 integrates it exactly and the reaction terms N to fourth order,
//! so the step is limited by the reactions, not by D·k²_max.

use std::sync::Arc;

use realfft::num_complex::Complex64;
use realfft::{ComplexToReal, RealFftPlanner, RealToComplex};
use rustfft::{Fft, FftPlanner};

use crate::error::Error;
use crate::operator::{Fields, ReactionDiffusion};

/// Points on the contour (upper half circle of radius 1 around each hL;
/// Kassam & Trefethen 2005 use 16 to 32; the real part of the mean over the
/// half circle equals the full-circle mean because hL is real).
const CONTOUR_POINTS: usize = 32;

type ComplexFft = Arc<dyn Fft<f64>>;

/// Forward and inverse 1-D or 2-D real FFTs on the cell grid (x fastest).
/// The spectrum keeps kx = 0…nx/2 (real-to-complex along x) for every ky,
/// laid out as j·(nx/2 + 1) + kx.
pub(crate) struct Fourier {
    nx: usize,
    ny: usize,
    mx: usize,
    r2c: Arc<dyn RealToComplex<f64>>,
    c2r: Arc<dyn ComplexToReal<f64>>,
    /// Forward and inverse complex FFTs along y (2-D only).
    fy: Option<[ComplexFft; 2]>,
    real: Vec<f64>,
    row: Vec<Complex64>,
    columns: Vec<Complex64>,
    scratch: Vec<Complex64>,
}

impl std::fmt::Debug for Fourier {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Fourier")
            .field("nx", &self.nx)
            .field("ny", &self.ny)
            .finish_non_exhaustive()
    }
}

impl Fourier {
    pub(crate) fn new(shape: &[usize]) -> Self {
        let nx = shape[0];
        let ny = shape.get(1).copied().unwrap_or(1);
        let mx = nx / 2 + 1;
        let mut real_planner = RealFftPlanner::<f64>::new();
        let r2c = real_planner.plan_fft_forward(nx);
        let c2r = real_planner.plan_fft_inverse(nx);
        let fy = (shape.len() == 2).then(|| {
            let mut planner = FftPlanner::<f64>::new();
            [planner.plan_fft_forward(ny), planner.plan_fft_inverse(ny)]
        });
        let scratch_len = [r2c.get_scratch_len(), c2r.get_scratch_len()]
            .into_iter()
            .chain(
                fy.iter()
                    .flat_map(|plans| plans.iter().map(|p| p.get_inplace_scratch_len())),
            )
            .max()
            .unwrap_or(0);
        Self {
            nx,
            ny,
            mx,
            r2c,
            c2r,
            fy,
            real: vec![0.0; nx],
            row: vec![Complex64::default(); mx],
            columns: vec![Complex64::default(); mx * ny],
            scratch: vec![Complex64::default(); scratch_len],
        }
    }

    /// Number of stored modes, (nx/2 + 1)·ny.
    pub(crate) fn modes(&self) -> usize {
        self.mx * self.ny
    }

    /// Wavenumber squared |k|² of every stored mode, for periods `lengths`.
    pub(crate) fn wavenumbers_squared(&self, lengths: &[f64]) -> Vec<f64> {
        let k = |m: usize, n: usize, length: f64| {
            let m = if m <= n / 2 {
                m as f64
            } else {
                m as f64 - n as f64
            };
            2.0 * std::f64::consts::PI * m / length
        };
        (0..self.modes())
            .map(|i| {
                let kx = k(i % self.mx, self.nx, lengths[0]);
                let ky = lengths
                    .get(1)
                    .map_or(0.0, |&ly| k(i / self.mx, self.ny, ly));
                kx * kx + ky * ky
            })
            .collect()
    }

    /// The (unnormalised) spectrum of a real field.
    pub(crate) fn forward(&mut self, u: &[f64], out: &mut [Complex64]) {
        let (nx, mx) = (self.nx, self.mx);
        for (row_in, row_out) in u.chunks_exact(nx).zip(out.chunks_exact_mut(mx)) {
            self.real.copy_from_slice(row_in);
            self.r2c
                .process_with_scratch(&mut self.real, row_out, &mut self.scratch)
                .expect("buffers sized by the plan");
        }
        if let Some([fy, _]) = &self.fy {
            transform_columns(fy.as_ref(), out, mx, &mut self.columns, &mut self.scratch);
        }
    }

    /// The real field of a spectrum, normalised (the inverse of `forward`).
    pub(crate) fn inverse(&mut self, spectrum: &[Complex64], out: &mut [f64]) {
        let (nx, mx) = (self.nx, self.mx);
        let mut spectrum = spectrum.to_vec();
        if let Some([_, iy]) = &self.fy {
            transform_columns(
                iy.as_ref(),
                &mut spectrum,
                mx,
                &mut self.columns,
                &mut self.scratch,
            );
        }
        let scale = 1.0 / (self.nx * self.ny) as f64;
        for (row_in, row_out) in spectrum.chunks_exact(mx).zip(out.chunks_exact_mut(nx)) {
            self.row.copy_from_slice(row_in);
            // The zero and Nyquist modes of a real signal are real; drop the
            // round-off imaginary parts that the y transform leaves.
            self.row[0].im = 0.0;
            if nx % 2 == 0 {
                self.row[mx - 1].im = 0.0;
            }
            self.c2r
                .process_with_scratch(&mut self.row, row_out, &mut self.scratch)
                .expect("buffers sized by the plan");
            for v in row_out.iter_mut() {
                *v *= scale;
            }
        }
    }
}

/// Applies a length-ny complex FFT to every column kx of a ny×mx row-major spectrum.
fn transform_columns(
    fft: &dyn Fft<f64>,
    data: &mut [Complex64],
    mx: usize,
    columns: &mut [Complex64],
    scratch: &mut [Complex64],
) {
    let ny = data.len() / mx;
    for (j, row) in data.chunks_exact(mx).enumerate() {
        for (kx, v) in row.iter().enumerate() {
            columns[kx * ny + j] = *v;
        }
    }
    fft.process_with_scratch(columns, scratch);
    for (j, row) in data.chunks_exact_mut(mx).enumerate() {
        for (kx, v) in row.iter_mut().enumerate() {
            *v = columns[kx * ny + j];
        }
    }
}

/// ETDRK4 coefficients of one mode for one step size h (Kassam & Trefethen
/// 2005, eq. 2.5 with the contour means): e = e^{hL}, e2 = e^{hL/2}, q, f1, f2, f3.
#[derive(Debug, Clone, Copy, Default)]
struct Coefficients {
    e: f64,
    e2: f64,
    q: f64,
    f1: f64,
    f2: f64,
    f3: f64,
}

impl Coefficients {
    fn new(h: f64, l: f64) -> Self {
        let z = h * l;
        let mut sums = [Complex64::default(); 4];
        for j in 0..CONTOUR_POINTS {
            let angle = std::f64::consts::PI * (j as f64 + 0.5) / CONTOUR_POINTS as f64;
            let lr = z + Complex64::from_polar(1.0, angle);
            let (e, lr3) = (lr.exp(), lr * lr * lr);
            sums[0] += ((lr * 0.5).exp() - 1.0) / lr;
            sums[1] += (-4.0 - lr + e * (4.0 - 3.0 * lr + lr * lr)) / lr3;
            sums[2] += (2.0 + lr + e * (lr - 2.0)) / lr3;
            sums[3] += (-4.0 - 3.0 * lr - lr * lr + e * (4.0 - lr)) / lr3;
        }
        let mean = |s: Complex64| h * s.re / CONTOUR_POINTS as f64;
        Self {
            e: z.exp(),
            e2: (0.5 * z).exp(),
            q: mean(sums[0]),
            f1: mean(sums[1]),
            f2: mean(sums[2]),
            f3: mean(sums[3]),
        }
    }
}

/// Fixed-step ETDRK4 on the Fourier modes of every species.
#[derive(Debug)]
pub(crate) struct Etdrk4<'a> {
    rd: &'a ReactionDiffusion,
    fourier: Fourier,
    /// L = −D_k|k|² per species and mode (species-major).
    symbol: Vec<f64>,
    /// The step size of `coefficients`.
    h: f64,
    coefficients: Vec<Coefficients>,
    /// Physical fields for the reaction terms.
    u: Vec<Vec<f64>>,
    r: Vec<Vec<f64>>,
}

impl<'a> Etdrk4<'a> {
    /// Needs every axis periodic and every diffusivity constant.
    pub(crate) fn new(rd: &'a ReactionDiffusion, diffusion: &[f64]) -> Self {
        let grid = rd.grid();
        let fourier = Fourier::new(&grid.shape());
        let lengths: Vec<f64> = grid.axes().iter().map(|a| a.hi - a.lo).collect();
        let k2 = fourier.wavenumbers_squared(&lengths);
        let symbol = diffusion
            .iter()
            .flat_map(|d| k2.iter().map(move |k2| -d * k2))
            .collect();
        let n = grid.n_cells();
        let ns = rd.n_species();
        Self {
            rd,
            fourier,
            symbol,
            h: f64::NAN,
            coefficients: Vec::new(),
            u: vec![vec![0.0; n]; ns],
            r: vec![vec![0.0; n]; ns],
        }
    }

    /// The spectra of the fields, species-major.
    pub(crate) fn spectrum_of(&mut self, fields: &[Vec<f64>]) -> Vec<Complex64> {
        let m = self.fourier.modes();
        let mut v = vec![Complex64::default(); fields.len() * m];
        for (field, out) in fields.iter().zip(v.chunks_exact_mut(m)) {
            self.fourier.forward(field, out);
        }
        v
    }

    /// The fields of species-major spectra.
    pub(crate) fn fields_of(&mut self, v: &[Complex64]) -> Fields {
        let m = self.fourier.modes();
        let n = self.rd.grid().n_cells();
        v.chunks_exact(m)
            .map(|s| {
                let mut field = vec![0.0; n];
                self.fourier.inverse(s, &mut field);
                field
            })
            .collect()
    }

    /// The spectrum N̂ of the reaction terms at the state with spectrum v.
    fn nonlinear(&mut self, t: f64, v: &[Complex64], out: &mut [Complex64]) {
        let m = self.fourier.modes();
        for (s, u) in v.chunks_exact(m).zip(self.u.iter_mut()) {
            self.fourier.inverse(s, u);
        }
        self.rd.reaction(t, &self.u, &mut self.r);
        for (r, o) in self.r.iter().zip(out.chunks_exact_mut(m)) {
            self.fourier.forward(r, o);
        }
    }

    /// The coefficients for step size h. A step within 1e-10 relative of the
    /// cached one reuses it (output intervals computed as differences of
    /// times differ in the last bits): far below the method's own error.
    fn prepare(&mut self, h: f64) {
        if (h - self.h).abs() <= 1e-10 * self.h {
            return;
        }
        self.h = h;
        self.coefficients = self
            .symbol
            .iter()
            .map(|&l| Coefficients::new(h, l))
            .collect();
    }

    /// Advances the spectrum v from t by `n` steps of size h
    /// (Cox & Matthews 2002, eq. 26); fails at the first non-finite value.
    pub(crate) fn advance(
        &mut self,
        v: &mut [Complex64],
        t: f64,
        h: f64,
        n: usize,
    ) -> Result<(), Error> {
        self.prepare(h);
        let len = v.len();
        let zero = || vec![Complex64::default(); len];
        let (mut nv, mut a, mut na, mut b, mut nb, mut c, mut nc) =
            (zero(), zero(), zero(), zero(), zero(), zero(), zero());
        for step in 0..n {
            let t = t + step as f64 * h;
            self.nonlinear(t, v, &mut nv);
            for i in 0..len {
                let k = &self.coefficients[i];
                a[i] = k.e2 * v[i] + k.q * nv[i];
            }
            self.nonlinear(t + 0.5 * h, &a, &mut na);
            for i in 0..len {
                let k = &self.coefficients[i];
                b[i] = k.e2 * v[i] + k.q * na[i];
            }
            self.nonlinear(t + 0.5 * h, &b, &mut nb);
            for i in 0..len {
                let k = &self.coefficients[i];
                c[i] = k.e2 * a[i] + k.q * (2.0 * nb[i] - nv[i]);
            }
            self.nonlinear(t + h, &c, &mut nc);
            for i in 0..len {
                let k = &self.coefficients[i];
                v[i] = k.e * v[i] + k.f1 * nv[i] + 2.0 * k.f2 * (na[i] + nb[i]) + k.f3 * nc[i];
            }
            if v.iter().any(|z| !(z.re.is_finite() && z.im.is_finite())) {
                return Err(Error::NonFinite { t: t + h, h });
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// forward then inverse is the identity, in 1-D and 2-D, odd and even sizes.
    #[test]
    fn fourier_round_trip() {
        for shape in [vec![8], vec![9], vec![6, 5], vec![4, 8]] {
            let n: usize = shape.iter().product();
            let u: Vec<f64> = (0..n)
                .map(|i| (i as f64 * 0.7).sin() + 0.1 * i as f64)
                .collect();
            let mut f = Fourier::new(&shape);
            let mut s = vec![Complex64::default(); f.modes()];
            f.forward(&u, &mut s);
            let mut back = vec![0.0; n];
            f.inverse(&s, &mut back);
            for (a, b) in u.iter().zip(&back) {
                assert!((a - b).abs() < 1e-12, "{shape:?}");
            }
        }
    }

    /// The contour coefficients at hL = 0 are the limits of the φ-functions:
    /// q = h/2, f1 = h/6, f2 = h/6, f3 = h/6 (Cox & Matthews 2002, eq. 26
    /// at c → 0 gives the classical RK4 weights 1/6, 2/6 (as 2·f2), 1/6).
    #[test]
    fn coefficients_have_the_rk4_limit() {
        let k = Coefficients::new(0.1, 0.0);
        assert!((k.q - 0.05).abs() < 1e-14);
        for f in [k.f1, k.f2, k.f3] {
            assert!((f - 0.1 / 6.0).abs() < 1e-14, "{f}");
        }
    }
}
