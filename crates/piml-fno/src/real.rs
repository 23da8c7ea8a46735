//! The floating-point types an operator computes in: f64 (gradient checks, prediction, the
//! stored weights) and f32 (training, as PyTorch does by default: half the memory traffic and
//! twice the SIMD lanes in every matrix product, FFT and GELU).

#![allow(unsafe_code)]

use std::sync::OnceLock;

use realfft::FftNum;
use realfft::num_traits::{Float, FromPrimitive};

/// A float type of the operator's passes.
pub trait Real:
    FftNum + Float + FromPrimitive + Default + std::iter::Sum + std::ops::AddAssign
{
    /// The GELU table of [`crate::gelu`] in this type.
    fn gelu_table() -> &'static [[Self; 4]];

    /// `x` rounded to this type.
    fn of(x: f64) -> Self;

    /// A whole value in [0, 2³¹) as an index; anything else (NaN included) gives 0. Written so
    /// that the compiler vectorises it (`as` saturates NaN to 0 in scalar code).
    fn index(self) -> usize;

    /// The value in f64.
    fn wide(self) -> f64;

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

impl Real for f64 {
    fn gelu_table() -> &'static [[f64; 4]] {
        static TABLE: OnceLock<Vec<[f64; 4]>> = OnceLock::new();
        TABLE.get_or_init(crate::gelu::table)
    }

    fn of(x: f64) -> f64 {
        x
    }

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
        self
    }

    unsafe fn gemm_raw(
        m: usize,
        k: usize,
        n: usize,
        a: (*const f64, isize, isize),
        b: (*const f64, isize, isize),
        beta: f64,
        c: (*mut f64, isize, isize),
    ) {
        // SAFETY: the caller's contract is dgemm's.
        unsafe {
            matrixmultiply::dgemm(
                m, k, n, 1.0, a.0, a.1, a.2, b.0, b.1, b.2, beta, c.0, c.1, c.2,
            )
        }
    }
}

impl Real for f32 {
    fn gelu_table() -> &'static [[f32; 4]] {
        static TABLE: OnceLock<Vec<[f32; 4]>> = OnceLock::new();
        TABLE.get_or_init(|| {
            f64::gelu_table()
                .iter()
                .map(|row| row.map(|v| v as f32))
                .collect()
        })
    }

    fn of(x: f64) -> f32 {
        x as f32
    }

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
        a: (*const f32, isize, isize),
        b: (*const f32, isize, isize),
        beta: f32,
        c: (*mut f32, isize, isize),
    ) {
        // SAFETY: the caller's contract is sgemm's.
        unsafe {
            matrixmultiply::sgemm(
                m, k, n, 1.0, a.0, a.1, a.2, b.0, b.1, b.2, beta, c.0, c.1, c.2,
            )
        }
    }
}
