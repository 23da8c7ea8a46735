//! The floating-point types an operator computes in: f64 (gradient checks, prediction, the
//! stored weights) and f32 (training, as PyTorch does by default: half the memory traffic and
//! twice the SIMD lanes in every matrix product, FFT and GELU).

#![allow(unsafe_code)]

use piml_nn::{Panel, Start, Strided};
use realfft::FftNum;
use realfft::num_traits::{Float, FromPrimitive};

/// A float type of the operator's passes.
pub trait Real:
    FftNum + Float + FromPrimitive + Default + std::iter::Sum + std::ops::AddAssign
{
    /// What [`Real::normal_cdf`] reads: f64's table (fetched once per loop, so that the
    /// loop vectorises), nothing for f32.
    type CdfTable: Copy;
    fn cdf_table() -> Self::CdfTable;

    /// The normal CDF Φ (or its interpolant) and its derivative φ at `self`, as
    /// [`crate::gelu`] computes them in this type.
    fn normal_cdf(self, table: Self::CdfTable) -> (Self, Self);

    /// `x` rounded to this type.
    fn of(x: f64) -> Self;

    /// A whole value in [0, 2³¹) as an index; anything else (NaN included) gives 0. Written so
    /// that the compiler vectorises it (`as` saturates NaN to 0 in scalar code).
    fn index(self) -> usize;

    /// The value in f64.
    fn wide(self) -> f64;

    /// The sum of `values` in 16 interleaved partial sums, added at the end: independent
    /// chains that vectorise, where one running sum waits on every add (a layer's bias
    /// gradient, summed over thousands of points, was a twentieth of an epoch).
    fn total(values: &[Self]) -> Self {
        const LANES: usize = 16;
        let mut lanes = [Self::zero(); LANES];
        let chunks = values.chunks_exact(LANES);
        let rest = chunks.remainder();
        for chunk in chunks {
            for (s, &v) in lanes.iter_mut().zip(chunk) {
                *s += v;
            }
        }
        rest.iter().fold(lanes.into_iter().sum(), |s, &v| s + v)
    }

    /// Rows of [`Real::panel_product`]'s panels are a multiple of this.
    const PANEL_ROWS: usize;

    /// piml-nn's unpacked product in this type: out = start + l·r (see
    /// [`piml_nn::product_f64`]).
    #[allow(clippy::too_many_arguments)]
    fn panel_product(
        out: &mut [Self],
        ldo: usize,
        rows: usize,
        cols: usize,
        l: Panel<'_, Self>,
        r: Strided<'_, Self>,
        inner: usize,
        start: Start<'_, Self>,
    );

    /// piml-nn's inner products of columns in this type: out = [out +] Aᵀ·B (see
    /// [`piml_nn::dots_f64`]).
    #[allow(clippy::too_many_arguments)]
    fn dots(
        out: &mut [Self],
        ldo: usize,
        rows: usize,
        cols: usize,
        a: (&[Self], usize),
        b: (&[Self], usize),
        inner: usize,
        accumulate: bool,
    );

    /// `matrixmultiply`'s C ← α·A·B + β·C in this type.
    ///
    /// # Safety
    /// As `matrixmultiply::dgemm`: every element the strides reach lies in its buffer, and
    /// `c` aliases neither `a` nor `b`.
    #[allow(clippy::too_many_arguments)]
    unsafe fn gemm_raw(
        m: usize,
        k: usize,
        n: usize,
        a: (*const Self, isize, isize),
        b: (*const Self, isize, isize),
        beta: Self,
        c: (*mut Self, isize, isize),
    );
}

/// [`Real`] for f64 and f32, written once: the GELU's CDF and the entry points of the matrix
/// products are what differs.
macro_rules! real {
    ($t:ty, $table:ty, $cdf_table:expr, $normal_cdf:expr, $panel_rows:path, $product:path,
     $dots:path, $gemm:path) => {
        impl Real for $t {
            const PANEL_ROWS: usize = $panel_rows;

            fn panel_product(
                out: &mut [$t],
                ldo: usize,
                rows: usize,
                cols: usize,
                l: Panel<'_, $t>,
                r: Strided<'_, $t>,
                inner: usize,
                start: Start<'_, $t>,
            ) {
                $product(out, ldo, rows, cols, l, r, inner, start)
            }

            fn dots(
                out: &mut [$t],
                ldo: usize,
                rows: usize,
                cols: usize,
                a: (&[$t], usize),
                b: (&[$t], usize),
                inner: usize,
                accumulate: bool,
            ) {
                $dots(out, ldo, rows, cols, a, b, inner, accumulate)
            }

            type CdfTable = $table;

            #[inline(always)]
            fn cdf_table() -> $table {
                $cdf_table()
            }

            #[inline(always)]
            fn normal_cdf(self, table: $table) -> ($t, $t) {
                $normal_cdf(table, self)
            }

            fn of(x: f64) -> $t {
                x as $t
            }

            #[inline(always)]
            fn index(self) -> usize {
                let v = if (0.0..2_147_483_648.0).contains(&self) {
                    self
                } else {
                    0.0
                };
                // SAFETY: v is finite and fits i32.
                unsafe { v.to_int_unchecked::<i32>() as usize }
            }

            fn wide(self) -> f64 {
                self as f64
            }

            unsafe fn gemm_raw(
                m: usize,
                k: usize,
                n: usize,
                a: (*const $t, isize, isize),
                b: (*const $t, isize, isize),
                beta: $t,
                c: (*mut $t, isize, isize),
            ) {
                // SAFETY: the caller's contract is that of matrixmultiply's gemm.
                unsafe {
                    $gemm(
                        m, k, n, 1.0, a.0, a.1, a.2, b.0, b.1, b.2, beta, c.0, c.1, c.2,
                    )
                }
            }
        }
    };
}

real!(
    f64,
    &'static [[f64; 4]],
    crate::gelu::table,
    crate::gelu::interpolated_cdf,
    piml_nn::PANEL_ROWS_F64,
    piml_nn::product_f64,
    piml_nn::dots_f64,
    matrixmultiply::dgemm
);
real!(
    f32,
    (),
    || (),
    crate::gelu::fitted_cdf,
    piml_nn::PANEL_ROWS_F32,
    piml_nn::product_f32,
    piml_nn::dots_f32,
    matrixmultiply::sgemm
);
