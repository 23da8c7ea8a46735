//! The spectral path for periodic domains with constant diffusion: Fourier
//! modes on real FFTs and the exponential time-differencing Runge–Kutta
//! scheme ETDRK4 of Cox & Matthews (2002, J. Comput. Phys. 176, eq. 26),
//! with the φ-function coefficients evaluated by contour integrals as in
//! Kassam & Trefethen (2005, SIAM J. Sci. Comput. 26(4), §3 and eq. 2.5).
//!
//! In Fourier space the diffusion part is diagonal, û_t = −D|k|²û + N̂(u):
//! ETDRK4 integrates it exactly and the reaction terms N to fourth order,
//! so the step is limited by the reactions, not by D·k²_max.
//!
//! Each of the four stages of a step is one evaluation of N̂ done in two
//! sweeps over the grid, with nothing allocated and every sweep split into
//! fixed row or column blocks across the rayon threads (each row and each
//! column is computed the same way whatever the blocks, so the results do
//! not depend on the thread count):
//! - rows: gather each row of the y-inverted stage input, inverse real FFT
//!   along x, the reaction terms on the block's cells (compiled tape over
//!   columns), forward real FFT along x;
//! - columns: gather each column of those half-transformed rows, forward
//!   FFT along y, the stage's ETDRK4 arithmetic on that column of modes
//!   (which also yields the next stage's input), inverse FFT along y.
//!
//! Storing the spectrum column by column makes the y transforms contiguous
//! and leaves one strided gather per direction instead of two transposes.

use std::collections::HashMap;
use std::sync::Arc;

use rayon::prelude::*;
use realfft::num_complex::Complex64;
use realfft::{ComplexToReal, RealFftPlanner, RealToComplex};
use rustfft::{Fft, FftPlanner};

use crate::error::Error;
use crate::operator::{Fields, ReactionDiffusion};

/// Points on the contour (upper half circle of radius 1 around each hL;
/// Kassam & Trefethen 2005 use 16 to 32; the real part of the mean over the
/// half circle equals the full-circle mean because hL is real).
const CONTOUR_POINTS: usize = 32;

/// Fewest grid rows per thread block: below this the hand-over between
/// threads costs more than the rows.
const MIN_ROWS_PER_BLOCK: usize = 8;

/// Complex values per 64-byte cache line: the strided gathers between the
/// two layouts take this many neighbouring rows or columns at once.
const LINE: usize = 4;

type ComplexFft = Arc<dyn Fft<f64>>;

/// Real FFTs along x and complex FFTs along y of `ns` fields on an nx × ny
/// cell grid (x fastest; ny = 1 in 1-D), in two layouts:
/// - spectra, column-major: mode (kx, ky) of species s at (kx·ns + s)·ny + ky
///   for kx = 0…nx/2, so that each y transform runs on a contiguous column;
/// - half-transformed rows (after the x transform, before the y one),
///   row-major: wavenumber kx of row j of species s at (j·ns + s)·mx + kx.
///
/// Spectra are normalised (divided by nx·ny) so that the inverse is the
/// plain sum.
pub(crate) struct Fourier {
    nx: usize,
    ny: usize,
    mx: usize,
    ns: usize,
    r2c: Arc<dyn RealToComplex<f64>>,
    c2r: Arc<dyn ComplexToReal<f64>>,
    /// Forward and inverse complex FFTs along y (2-D only).
    fy: Option<[ComplexFft; 2]>,
    scratch_len: usize,
}

impl std::fmt::Debug for Fourier {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Fourier")
            .field("nx", &self.nx)
            .field("ny", &self.ny)
            .field("ns", &self.ns)
            .finish_non_exhaustive()
    }
}

impl Fourier {
    /// Plans the transforms of `ns` fields on a grid of `shape` cells.
    pub(crate) fn new(shape: &[usize], ns: usize) -> Self {
        let nx = shape[0];
        let ny = shape.get(1).copied().unwrap_or(1);
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
            mx: nx / 2 + 1,
            ns,
            r2c,
            c2r,
            fy,
            scratch_len,
        }
    }

    /// Length of a spectrum (and of the half-transformed rows): ns·(nx/2 + 1)·ny.
    pub(crate) fn len(&self) -> usize {
        self.ns * self.mx * self.ny
    }

    /// Wavenumber squared |k|² of every stored mode of one species, in
    /// column order (kx·ny + ky), for periods `lengths`.
    fn wavenumbers_squared(&self, lengths: &[f64]) -> Vec<f64> {
        let k = |m: usize, n: usize, length: f64| {
            let m = if m <= n / 2 {
                m as f64
            } else {
                m as f64 - n as f64
            };
            2.0 * std::f64::consts::PI * m / length
        };
        (0..self.mx * self.ny)
            .map(|i| {
                let kx = k(i / self.ny, self.nx, lengths[0]);
                let ky = lengths
                    .get(1)
                    .map_or(0.0, |&ly| k(i % self.ny, self.ny, ly));
                kx * kx + ky * ky
            })
            .collect()
    }

    /// Start of column (kx, s) in a spectrum.
    #[inline]
    fn column(&self, kx: usize, s: usize) -> usize {
        (kx * self.ns + s) * self.ny
    }

    /// Start of row (j, s) in half-transformed rows.
    #[inline]
    fn row(&self, j: usize, s: usize) -> usize {
        (j * self.ns + s) * self.mx
    }

    /// Rows j… (`out.len()/nx` of them, at most [`LINE`]) of species s of
    /// the y-inverted spectrum `inverted`, back to real values along x
    /// (`rows` and `scratch` are work space). The rows are gathered together
    /// so that each cache line of `inverted` is read once.
    fn inverse_rows(
        &self,
        inverted: &[Complex64],
        (j, s): (usize, usize),
        rows: &mut [Complex64],
        out: &mut [f64],
        scratch: &mut [Complex64],
    ) {
        let (nx, mx) = (self.nx, self.mx);
        let count = out.len() / nx;
        for kx in 0..mx {
            let at = self.column(kx, s) + j;
            for (r, z) in inverted[at..at + count].iter().enumerate() {
                rows[r * mx + kx] = *z;
            }
        }
        for (row, out) in rows.chunks_exact_mut(mx).zip(out.chunks_exact_mut(nx)) {
            // The zero and Nyquist modes of a real signal are real; drop the
            // round-off imaginary parts that the y transform leaves.
            row[0].im = 0.0;
            if nx % 2 == 0 {
                row[mx - 1].im = 0.0;
            }
            self.c2r
                .process_with_scratch(row, out, scratch)
                .expect("buffers sized by the plan");
        }
    }

    /// The x transform of one real row (`input` is overwritten).
    fn forward_row(&self, input: &mut [f64], out: &mut [Complex64], scratch: &mut [Complex64]) {
        self.r2c
            .process_with_scratch(input, out, scratch)
            .expect("buffers sized by the plan");
    }

    /// Columns kx… (`columns.len()/ny` of them, at most [`LINE`]) of
    /// species s of the half-transformed `rows`, transformed along y; the
    /// columns are gathered together so that each cache line is read once.
    fn forward_columns(
        &self,
        rows: &[Complex64],
        (kx, s): (usize, usize),
        columns: &mut [Complex64],
        scratch: &mut [Complex64],
    ) {
        let ny = self.ny;
        let count = columns.len() / ny;
        for j in 0..ny {
            let at = self.row(j, s) + kx;
            for (c, z) in rows[at..at + count].iter().enumerate() {
                columns[c * ny + j] = *z;
            }
        }
        if let Some([fy, _]) = &self.fy {
            fy.process_with_scratch(columns, scratch);
        }
    }

    /// The inverse y transform of one column, in place.
    fn inverse_column(&self, column: &mut [Complex64], scratch: &mut [Complex64]) {
        if let Some([_, iy]) = &self.fy {
            iy.process_with_scratch(column, scratch);
        }
    }

    /// The normalised spectrum of the fields (one per species).
    pub(crate) fn forward(&self, fields: &[Vec<f64>]) -> Vec<Complex64> {
        let mut scratch = vec![Complex64::default(); self.scratch_len];
        let mut rows = vec![Complex64::default(); self.len()];
        let mut real = vec![0.0; self.nx];
        for (s, field) in fields.iter().enumerate() {
            for (j, values) in field.chunks_exact(self.nx).enumerate() {
                real.copy_from_slice(values);
                let at = self.row(j, s);
                self.forward_row(&mut real, &mut rows[at..at + self.mx], &mut scratch);
            }
        }
        let mut spectrum = vec![Complex64::default(); self.len()];
        let scale = 1.0 / (self.nx * self.ny) as f64;
        for kx in 0..self.mx {
            for s in 0..self.ns {
                let at = self.column(kx, s);
                let column = &mut spectrum[at..at + self.ny];
                self.forward_columns(&rows, (kx, s), column, &mut scratch);
                column.iter_mut().for_each(|z| *z *= scale);
            }
        }
        spectrum
    }

    /// The fields (one per species) of a normalised spectrum.
    pub(crate) fn inverse(&self, spectrum: &[Complex64]) -> Fields {
        let mut scratch = vec![Complex64::default(); self.scratch_len];
        let mut inverted = spectrum.to_vec();
        for column in inverted.chunks_exact_mut(self.ny) {
            self.inverse_column(column, &mut scratch);
        }
        let mut row = vec![Complex64::default(); self.mx];
        (0..self.ns)
            .map(|s| {
                let mut field = vec![0.0; self.nx * self.ny];
                for (j, out) in field.chunks_exact_mut(self.nx).enumerate() {
                    self.inverse_rows(&inverted, (j, s), &mut row, out, &mut scratch);
                }
                field
            })
            .collect()
    }
}

/// ETDRK4 coefficients of one mode for one step size h (Kassam & Trefethen
/// 2005, eq. 2.5 with the contour means): e = e^{hL}, e2 = e^{hL/2}, and the
/// weights of the reaction terms q, f1, 2·f2, f3, those four multiplied by
/// the spectrum's normalisation 1/(nx·ny) so that they apply to the plain
/// (unnormalised) transforms of the reaction terms.
///
/// The stepper stores them per spectrum column as six runs of ny values
/// (e, e2, q, f1, 2·f2, f3; see [`Coefficients::columns`]), so that a stage
/// streams only the ones it uses.
#[derive(Debug, Clone, Copy, Default)]
struct Coefficients {
    e: f64,
    e2: f64,
    q: f64,
    f1: f64,
    f2x2: f64,
    f3: f64,
}

impl Coefficients {
    const FIELDS: usize = 6;

    fn fields(&self) -> [f64; Self::FIELDS] {
        [self.e, self.e2, self.q, self.f1, self.f2x2, self.f3]
    }

    /// The six runs of one column of `ny` modes.
    fn columns(k: &[f64], ny: usize) -> [&[f64]; Self::FIELDS] {
        std::array::from_fn(|f| &k[f * ny..(f + 1) * ny])
    }
}

/// The contour points r_j = e^{iθ_j} on the upper half circle with e^{r_j}
/// and e^{r_j/2}: e^{hL + r} = e^{hL}·e^{r}, so a mode needs two real
/// exponentials instead of a complex one per point.
struct Contour {
    points: Vec<[Complex64; 3]>,
}

impl Contour {
    fn new() -> Self {
        let points = (0..CONTOUR_POINTS)
            .map(|j| {
                let angle = std::f64::consts::PI * (j as f64 + 0.5) / CONTOUR_POINTS as f64;
                let r = Complex64::from_polar(1.0, angle);
                [r, r.exp(), (0.5 * r).exp()]
            })
            .collect();
        Self { points }
    }

    /// The coefficients of z = hL for step h, weights scaled by `scale`.
    fn coefficients(&self, h: f64, z: f64, scale: f64) -> Coefficients {
        let (ez, ez2) = (z.exp(), (0.5 * z).exp());
        let mut sums = [Complex64::default(); 4];
        for &[r, er, er2] in &self.points {
            let lr = z + r;
            let (e, e_half) = (ez * er, ez2 * er2);
            let inv = lr.inv();
            let inv3 = inv * inv * inv;
            sums[0] += (e_half - 1.0) * inv;
            sums[1] += (-4.0 - lr + e * (4.0 - 3.0 * lr + lr * lr)) * inv3;
            sums[2] += (2.0 + lr + e * (lr - 2.0)) * inv3;
            sums[3] += (-4.0 - 3.0 * lr - lr * lr + e * (4.0 - lr)) * inv3;
        }
        let mean = |s: Complex64| scale * h * s.re / CONTOUR_POINTS as f64;
        Coefficients {
            e: ez,
            e2: ez2,
            q: mean(sums[0]),
            f1: mean(sums[1]),
            f2x2: 2.0 * mean(sums[2]),
            f3: mean(sums[3]),
        }
    }
}

/// Which stage's arithmetic a column sweep does with the reaction spectrum
/// n̂ it has just computed (Cox & Matthews 2002, eq. 26; primes on the weights
/// mean the 1/(nx·ny) of [`Coefficients`]), and what it hands on: the input
/// of the next evaluation, y-inverted.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Stage {
    /// No n̂: hands on v, the start of a step.
    Load,
    /// n̂ = N(v): keeps nv, starts acc = e·v + f1'·nv; hands on
    /// a = e2·v + q'·nv.
    First,
    /// n̂ = N(a): acc += 2f2'·n̂; hands on b = e2·v + q'·n̂.
    Second,
    /// n̂ = N(b): acc += 2f2'·n̂; hands on c = e2·a + q'·(2n̂ − nv), with a
    /// computed again from v and nv (the same bits as in `First`) rather
    /// than kept: one array less to stream through.
    Third,
    /// n̂ = N(c): v = acc + f3'·n̂, the end of the step; hands on v unless
    /// `last`.
    Fourth { last: bool },
}

/// Work space of one thread block.
#[derive(Debug)]
struct Block {
    /// Fields and reaction terms of the block's rows, one per species.
    u: Vec<Vec<f64>>,
    r: Vec<Vec<f64>>,
    /// The time of every cell of the block (an input of the reaction tape).
    t: Vec<f64>,
    /// The reaction tape's work area.
    tape: Vec<f64>,
    row: Vec<Complex64>,
    column: Vec<Complex64>,
    scratch: Vec<Complex64>,
    /// Set when the block's part of a step came out NaN or infinite.
    non_finite: bool,
}

/// The spectra a step keeps column by column (column layout, see [`Fourier`]).
struct Columns<'s> {
    v: &'s mut [Complex64],
    nv: &'s mut [Complex64],
    acc: &'s mut [Complex64],
    /// The next evaluation's input, y-inverted.
    inverted: &'s mut [Complex64],
    coefficients: &'s [f64],
}

/// Fixed-step ETDRK4 on the Fourier modes of every species.
pub(crate) struct Etdrk4<'a> {
    rd: &'a ReactionDiffusion,
    fourier: Fourier,
    /// L = −D_s|k|² of every mode, in the spectrum's layout.
    symbol: Vec<f64>,
    /// The step size of `coefficients`.
    h: f64,
    /// Per column of the spectrum, the runs of [`Coefficients`].
    coefficients: Vec<f64>,
    nv: Vec<Complex64>,
    acc: Vec<Complex64>,
    inverted: Vec<Complex64>,
    /// Half-transformed reaction terms.
    rows: Vec<Complex64>,
    /// Grid rows and spectrum columns (kx) per thread block.
    rows_per_block: usize,
    columns_per_block: usize,
    blocks: Vec<Block>,
}

impl std::fmt::Debug for Etdrk4<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Etdrk4")
            .field("fourier", &self.fourier)
            .field("h", &self.h)
            .field("blocks", &self.blocks.len())
            .finish_non_exhaustive()
    }
}

impl<'a> Etdrk4<'a> {
    /// Needs every axis periodic and every diffusivity constant. Splits the
    /// grid into as many blocks as rayon has threads (fewer on small grids).
    pub(crate) fn new(rd: &'a ReactionDiffusion, diffusion: &[f64]) -> Self {
        let grid = rd.grid();
        let shape = grid.shape();
        let ns = rd.n_species();
        let fourier = Fourier::new(&shape, ns);
        let lengths: Vec<f64> = grid.axes().iter().map(|a| a.hi - a.lo).collect();
        let k2 = fourier.wavenumbers_squared(&lengths);
        let (nx, ny, mx) = (fourier.nx, fourier.ny, fourier.mx);
        // Column layout: (kx·ns + s)·ny + ky.
        let symbol = (0..mx)
            .flat_map(|kx| {
                let k2 = &k2[kx * ny..(kx + 1) * ny];
                diffusion
                    .iter()
                    .flat_map(move |d| k2.iter().map(move |k2| -d * k2))
            })
            .collect();
        let n_blocks = rayon::current_num_threads()
            .min(ny / MIN_ROWS_PER_BLOCK)
            .max(1);
        let rows_per_block = ny.div_ceil(n_blocks);
        let columns_per_block = mx.div_ceil(n_blocks);
        let block_cells = rows_per_block * nx;
        let blocks = (0..n_blocks)
            .map(|_| Block {
                u: vec![vec![0.0; block_cells]; ns],
                r: vec![vec![0.0; block_cells]; ns],
                t: vec![0.0; block_cells],
                tape: Vec::new(),
                row: vec![Complex64::default(); LINE * mx],
                column: vec![Complex64::default(); LINE * ny],
                scratch: vec![Complex64::default(); fourier.scratch_len],
                non_finite: false,
            })
            .collect();
        let zero = || vec![Complex64::default(); fourier.len()];
        Self {
            rd,
            symbol,
            h: f64::NAN,
            coefficients: Vec::new(),
            nv: zero(),
            acc: zero(),
            inverted: zero(),
            rows: zero(),
            rows_per_block,
            columns_per_block,
            blocks,
            fourier,
        }
    }

    /// The spectrum of the fields (one per species).
    pub(crate) fn spectrum_of(&self, fields: &[Vec<f64>]) -> Vec<Complex64> {
        self.fourier.forward(fields)
    }

    /// The fields of a spectrum.
    pub(crate) fn fields_of(&self, v: &[Complex64]) -> Fields {
        self.fourier.inverse(v)
    }

    /// The coefficients for step size h. A step within 1e-10 relative of the
    /// cached one reuses it (output intervals computed as differences of
    /// times differ in the last bits): far below the method's own error.
    /// Modes with equal L (symmetric wavenumbers) share one contour integral.
    fn prepare(&mut self, h: f64) {
        if (h - self.h).abs() <= 1e-10 * self.h {
            return;
        }
        self.h = h;
        let contour = Contour::new();
        let scale = 1.0 / (self.fourier.nx * self.fourier.ny) as f64;
        let mut seen: HashMap<u64, Coefficients> = HashMap::new();
        let ny = self.fourier.ny;
        self.coefficients = vec![0.0; Coefficients::FIELDS * self.symbol.len()];
        for (symbol, out) in self.symbol.chunks_exact(ny).zip(
            self.coefficients
                .chunks_exact_mut(Coefficients::FIELDS * ny),
        ) {
            for (j, &l) in symbol.iter().enumerate() {
                let k = seen
                    .entry(l.to_bits())
                    .or_insert_with(|| contour.coefficients(h, h * l, scale));
                for (f, value) in k.fields().into_iter().enumerate() {
                    out[f * ny + j] = value;
                }
            }
        }
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
        if n == 0 {
            return Ok(());
        }
        self.prepare(h);
        // On a pool thread the sweeps' hand-overs (and the tape's own
        // parallel blocks) stay inside the pool.
        rayon::scope(|_| {
            self.columns(v, Stage::Load);
            for step in 0..n {
                let t = t + step as f64 * h;
                let stages = [
                    (t, Stage::First),
                    (t + 0.5 * h, Stage::Second),
                    (t + 0.5 * h, Stage::Third),
                    (
                        t + h,
                        Stage::Fourth {
                            last: step + 1 == n,
                        },
                    ),
                ];
                for (at, stage) in stages {
                    self.rows(at);
                    self.columns(v, stage);
                }
                if self.blocks.iter().any(|b| b.non_finite) {
                    return Err(Error::NonFinite { t: t + h, h });
                }
            }
            Ok(())
        })
    }

    /// The row sweep: the reaction terms of the y-inverted `inverted`, into
    /// `rows` (half-transformed), at time t.
    fn rows(&mut self, t: f64) {
        let Self {
            rd,
            fourier,
            inverted,
            rows,
            blocks,
            rows_per_block,
            ..
        } = self;
        let (nx, mx, ns) = (fourier.nx, fourier.mx, fourier.ns);
        let inverted = &inverted[..];
        let sweep = |(index, (out, block)): (usize, (&mut [Complex64], &mut Block))| {
            let first = index * *rows_per_block;
            let count = out.len() / (ns * mx);
            let cells = count * nx;
            for (s, u) in block.u.iter_mut().enumerate() {
                for (group, values) in u[..cells].chunks_mut(LINE * nx).enumerate() {
                    let at = (first + group * LINE, s);
                    let (row, scratch) = (&mut block.row[..], &mut block.scratch[..]);
                    fourier.inverse_rows(inverted, at, row, values, scratch);
                }
            }
            block.t.fill(t);
            let cells = first * nx..first * nx + cells;
            let fields = (&block.u[..], &block.t[..]);
            rd.reaction_on(cells, fields, &mut block.r, &mut block.tape);
            for (s, r) in block.r.iter_mut().enumerate() {
                for (j, values) in r.chunks_exact_mut(nx).enumerate() {
                    let at = fourier.row(j, s);
                    fourier.forward_row(values, &mut out[at..at + mx], &mut block.scratch);
                }
            }
        };
        if blocks.len() == 1 {
            sweep((0, (&mut rows[..], &mut blocks[0])));
        } else {
            rows.par_chunks_mut(*rows_per_block * ns * mx)
                .zip(blocks.par_iter_mut())
                .enumerate()
                .for_each(sweep);
        }
    }

    /// The column sweep: the y transform of the half-transformed reaction
    /// terms, the stage's arithmetic, the next input y-inverted.
    fn columns(&mut self, v: &mut [Complex64], stage: Stage) {
        let Self {
            fourier,
            coefficients,
            nv,
            acc,
            inverted,
            rows,
            blocks,
            columns_per_block,
            ..
        } = self;
        let (fourier, rows) = (&*fourier, &rows[..]);
        let sweep = |(index, (columns, block)): (usize, (Columns, &mut Block))| {
            let first = index * *columns_per_block;
            sweep_columns(fourier, rows, stage, first, columns, block);
        };
        if blocks.len() == 1 {
            let columns = Columns {
                v,
                nv,
                acc,
                inverted,
                coefficients,
            };
            sweep((0, (columns, &mut blocks[0])));
        } else {
            let width = *columns_per_block * fourier.ns * fourier.ny;
            (
                v.par_chunks_mut(width),
                nv.par_chunks_mut(width),
                acc.par_chunks_mut(width),
                inverted.par_chunks_mut(width),
                coefficients.par_chunks(width * Coefficients::FIELDS),
            )
                .into_par_iter()
                .map(|(v, nv, acc, inverted, coefficients)| Columns {
                    v,
                    nv,
                    acc,
                    inverted,
                    coefficients,
                })
                .zip(blocks.par_iter_mut())
                .enumerate()
                .for_each(sweep);
        }
    }
}

/// One block of the column sweep: columns kx = first… (all species).
fn sweep_columns(
    fourier: &Fourier,
    rows: &[Complex64],
    stage: Stage,
    first: usize,
    c: Columns,
    block: &mut Block,
) {
    let (ny, ns) = (fourier.ny, fourier.ns);
    let count = c.v.len() / (ns * ny);
    block.non_finite = false;
    for s in 0..ns {
        for group in (0..count).step_by(LINE) {
            let width = LINE.min(count - group);
            let n = &mut block.column[..width * ny];
            if stage != Stage::Load {
                fourier.forward_columns(rows, (first + group, s), n, &mut block.scratch);
            }
            for (kx, n) in (group..group + width).zip(n.chunks_exact(ny)) {
                let at = (kx * ns + s) * ny;
                let range = at..at + ny;
                let next = &mut c.inverted[range.clone()];
                let v = &mut c.v[range.clone()];
                let k = &c.coefficients[Coefficients::FIELDS * at..][..Coefficients::FIELDS * ny];
                let [e, e2, q, f1, f2x2, f3] = Coefficients::columns(k, ny);
                match stage {
                    Stage::Load => next.copy_from_slice(v),
                    Stage::First => {
                        let (nv, acc) = (&mut c.nv[range.clone()], &mut c.acc[range]);
                        for j in 0..ny {
                            let n = n[j];
                            nv[j] = n;
                            acc[j] = e[j] * v[j] + f1[j] * n;
                            next[j] = e2[j] * v[j] + q[j] * n;
                        }
                    }
                    Stage::Second => {
                        let acc = &mut c.acc[range];
                        for j in 0..ny {
                            let n = n[j];
                            acc[j] += f2x2[j] * n;
                            next[j] = e2[j] * v[j] + q[j] * n;
                        }
                    }
                    Stage::Third => {
                        let (nv, acc) = (&c.nv[range.clone()], &mut c.acc[range]);
                        for j in 0..ny {
                            let n = n[j];
                            acc[j] += f2x2[j] * n;
                            let a = e2[j] * v[j] + q[j] * nv[j];
                            next[j] = e2[j] * a + q[j] * (2.0 * n - nv[j]);
                        }
                    }
                    Stage::Fourth { .. } => {
                        let acc = &c.acc[range];
                        let mut finite = true;
                        for j in 0..ny {
                            v[j] = acc[j] + f3[j] * n[j];
                            next[j] = v[j];
                            finite &= v[j].re.is_finite() & v[j].im.is_finite();
                        }
                        block.non_finite |= !finite;
                    }
                }
                if stage != (Stage::Fourth { last: true }) {
                    fourier.inverse_column(next, &mut block.scratch);
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// forward then inverse is the identity, in 1-D and 2-D, odd and even
    /// sizes, one and two species.
    #[test]
    fn fourier_round_trip() {
        for (shape, ns) in [(vec![8], 1), (vec![9], 2), (vec![6, 5], 2), (vec![4, 8], 1)] {
            let n: usize = shape.iter().product();
            let fields: Fields = (0..ns)
                .map(|s| {
                    (0..n)
                        .map(|i| (i as f64 * 0.7 + s as f64).sin() + 0.1 * i as f64)
                        .collect()
                })
                .collect();
            let f = Fourier::new(&shape, ns);
            let back = f.inverse(&f.forward(&fields));
            for (a, b) in fields.iter().flatten().zip(back.iter().flatten()) {
                assert!((a - b).abs() < 1e-12, "{shape:?}");
            }
        }
    }

    /// The contour coefficients at hL = 0 are the limits of the φ-functions:
    /// q = h/2, f1 = h/6, f2 = h/6, f3 = h/6 (Cox & Matthews 2002, eq. 26
    /// at c → 0 gives the classical RK4 weights 1/6, 2/6 (as 2·f2), 1/6).
    #[test]
    fn coefficients_have_the_rk4_limit() {
        let k = Contour::new().coefficients(0.1, 0.0, 1.0);
        assert!((k.q - 0.05).abs() < 1e-14);
        for f in [k.f1, 0.5 * k.f2x2, k.f3] {
            assert!((f - 0.1 / 6.0).abs() < 1e-14, "{f}");
        }
    }
}
