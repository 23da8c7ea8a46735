//! The scalar types a network pass runs in: f64, and f32 for twice the vector lanes.
//!
//! The pass, the activations and the products are written once, generic over [`Real`]; the
//! parameter vector, the points, the loss and the sums of the gradient over blocks stay f64
//! whatever the pass runs in (see [`crate::Precision`]).

use std::fmt::Debug;
use std::ops::{Add, AddAssign, Div, Mul, Neg, Sub};

use crate::gemm::Simd;

/// f64 or f32: the arithmetic of a pass, the constants of its fast tanh, the vector types
/// of its products and how a block's gradient reaches the f64 sum of its chunk.
pub(crate) trait Real:
    Copy
    + Debug
    + Default
    + PartialEq
    + PartialOrd
    + Send
    + Sync
    + Add<Output = Self>
    + Sub<Output = Self>
    + Mul<Output = Self>
    + Div<Output = Self>
    + Neg<Output = Self>
    + AddAssign
    + 'static
{
    /// Rows of every padded panel are a multiple of this: one AVX-512 vector.
    const ROWS: usize;
    /// The vector types of [`crate::gemm::dispatch`].
    #[cfg(target_arch = "x86_64")]
    type Avx512: Simd<Self>;
    #[cfg(target_arch = "x86_64")]
    type Avx2: Simd<Self>;
    type Portable: Simd<Self>;

    fn from_f64(x: f64) -> Self;
    fn to_f64(self) -> f64;
    fn abs(self) -> Self;
    fn copysign(self, sign: Self) -> Self;
    fn exp(self) -> Self;
    fn sin_cos(self) -> (Self, Self);
    fn erf(self) -> Self;

    /// Degree of the Taylor polynomial of expm1 on |r| ≤ ln2/2 in the fast tanh: the
    /// truncation error r^n/(n+1)! (relative) is below the unit roundoff.
    const EXPM1_DEGREE: usize;
    /// 1.5·2^(mantissa bits): adding it rounds to an integer.
    const SHIFT: Self;
    /// ln2 with enough trailing zero bits that k·LN2_HI is exact for the k of the fast tanh.
    const LN2_HI: Self;
    /// ln2 − LN2_HI.
    const LN2_LO: Self;
    /// 2ᵏ from `shifted` = y·log₂e + SHIFT (whose low bits hold k), by bit manipulation so
    /// that no float-to-int conversion blocks vectorisation.
    fn exp2_of_shifted(shifted: Self) -> Self;

    /// Where the reverse pass of a block adds its gradient (network part, in the panel
    /// layout) so that it reaches `chunk`, the f64 sum of the chunk's blocks: `chunk` itself
    /// for f64; for f32 `block`, sized and zeroed here, which [`Real::add_block_gradient`]
    /// then adds to `chunk` in f64, so that only the sums within a block run in f32.
    fn block_gradient<'a>(chunk: &'a mut [f64], block: &'a mut Vec<Self>) -> &'a mut [Self];
    /// Adds `block` to `chunk` after the reverse pass (nothing to do for f64).
    fn add_block_gradient(chunk: &mut [f64], block: &[Self]);
}

impl Real for f64 {
    const ROWS: usize = 8;
    #[cfg(target_arch = "x86_64")]
    type Avx512 = crate::gemm::F64x8;
    #[cfg(target_arch = "x86_64")]
    type Avx2 = crate::gemm::F64x4;
    type Portable = crate::gemm::Portable<f64>;

    #[inline(always)]
    fn from_f64(x: f64) -> f64 {
        x
    }
    #[inline(always)]
    fn to_f64(self) -> f64 {
        self
    }
    #[inline(always)]
    fn abs(self) -> f64 {
        f64::abs(self)
    }
    #[inline(always)]
    fn copysign(self, sign: f64) -> f64 {
        f64::copysign(self, sign)
    }
    #[inline(always)]
    fn exp(self) -> f64 {
        f64::exp(self)
    }
    #[inline(always)]
    fn sin_cos(self) -> (f64, f64) {
        f64::sin_cos(self)
    }
    #[inline(always)]
    fn erf(self) -> f64 {
        libm::erf(self)
    }

    // 0.347¹³/14! < 2e-17.
    const EXPM1_DEGREE: usize = 13;
    const SHIFT: f64 = 6_755_399_441_055_744.0;
    // ln2 to 32 bits (fdlibm's split).
    const LN2_HI: f64 = f64::from_bits(0x3fe6_2e42_fee0_0000);
    const LN2_LO: f64 = f64::from_bits(0x3dea_39ef_3579_3c76);
    #[inline(always)]
    fn exp2_of_shifted(shifted: f64) -> f64 {
        let k = shifted.to_bits().wrapping_sub(Self::SHIFT.to_bits()) as i64;
        f64::from_bits(((k + 1023) as u64) << 52)
    }

    #[inline(always)]
    fn block_gradient<'a>(chunk: &'a mut [f64], _: &'a mut Vec<f64>) -> &'a mut [f64] {
        chunk
    }
    #[inline(always)]
    fn add_block_gradient(_: &mut [f64], _: &[f64]) {}
}

impl Real for f32 {
    const ROWS: usize = 16;
    #[cfg(target_arch = "x86_64")]
    type Avx512 = crate::gemm::F32x16;
    #[cfg(target_arch = "x86_64")]
    type Avx2 = crate::gemm::F32x8;
    type Portable = crate::gemm::Portable<f32>;

    #[inline(always)]
    fn from_f64(x: f64) -> f32 {
        x as f32
    }
    #[inline(always)]
    fn to_f64(self) -> f64 {
        f64::from(self)
    }
    #[inline(always)]
    fn abs(self) -> f32 {
        f32::abs(self)
    }
    #[inline(always)]
    fn copysign(self, sign: f32) -> f32 {
        f32::copysign(self, sign)
    }
    #[inline(always)]
    fn exp(self) -> f32 {
        f32::exp(self)
    }
    #[inline(always)]
    fn sin_cos(self) -> (f32, f32) {
        f32::sin_cos(self)
    }
    #[inline(always)]
    fn erf(self) -> f32 {
        libm::erff(self)
    }

    // 0.347⁸/9! < 6e-10.
    const EXPM1_DEGREE: usize = 8;
    const SHIFT: f32 = 12_582_912.0;
    // fdlibm's expm1f split: 17 significant bits, and |k| ≤ 58 needs 6.
    const LN2_HI: f32 = f32::from_bits(0x3f31_7180);
    const LN2_LO: f32 = f32::from_bits(0x3717_f7d1);
    #[inline(always)]
    fn exp2_of_shifted(shifted: f32) -> f32 {
        let k = shifted.to_bits().wrapping_sub(Self::SHIFT.to_bits()) as i32;
        f32::from_bits(((k + 127) as u32) << 23)
    }

    #[inline(always)]
    fn block_gradient<'a>(chunk: &'a mut [f64], block: &'a mut Vec<f32>) -> &'a mut [f32] {
        // Allocates on a scratch's first block only.
        block.clear();
        block.resize(chunk.len(), 0.0);
        block
    }
    #[inline(always)]
    fn add_block_gradient(chunk: &mut [f64], block: &[f32]) {
        chunk
            .iter_mut()
            .zip(block.iter())
            .for_each(|(c, b)| *c += f64::from(*b));
    }
}
