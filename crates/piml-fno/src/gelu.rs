//! GELU(z) = z·Φ(z) (Hendrycks & Gimpel 2016) with the normal CDF Φ read from a table.
//!
//! libm's erf and exp cost about 20 ns per value, and an operator evaluates GELU at every grid
//! point of every hidden channel: it was a third of a training epoch. Here Φ is the cubic
//! Hermite interpolant of Φ and φ = Φ′ at steps of 1/64 on [−8, 8] (0 and 1 outside, where
//! 1 − Φ(8) < 1e-15). Its error is at most h⁴/384·max|Φ⁗| = 8.6e-11 (max |φ‴| ≈ 0.55), far below
//! the 6e-8 of an f32 GELU. The slope returned is the exact derivative of the interpolant, so
//! the reverse pass stays the exact derivative of the forward pass. f32 passes use the same
//! coefficients rounded to f32.

#![allow(unsafe_code)]

use std::f64::consts::{FRAC_1_SQRT_2, FRAC_2_SQRT_PI};

use crate::real::Real;

const LIMIT: f64 = 8.0;
const PER_UNIT: f64 = 64.0;
const INTERVALS: usize = 2 * LIMIT as usize * PER_UNIT as usize;

fn cdf(z: f64) -> f64 {
    0.5 * (1.0 + libm::erf(z * FRAC_1_SQRT_2))
}

fn pdf(z: f64) -> f64 {
    (-0.5 * z * z).exp() * (0.5 * FRAC_2_SQRT_PI * FRAC_1_SQRT_2)
}

/// Per interval, the interpolant's coefficients in the local coordinate s ∈ [0, 1):
/// Φ̃ = a + b·s + c·s² + d·s³; a constant interval below −8 (Φ̃ = 0) and one above 8 (Φ̃ = 1)
/// close the table, so that a lookup needs no branch. Built once per float type by
/// [`Real::gelu_table`].
pub(crate) fn table() -> Vec<[f64; 4]> {
    let h = 1.0 / PER_UNIT;
    let inside = (0..INTERVALS).map(|j| {
        let z0 = -LIMIT + j as f64 * h;
        let (f0, f1) = (cdf(z0), cdf(z0 + h));
        let (d0, d1) = (h * pdf(z0), h * pdf(z0 + h));
        [
            f0,
            d0,
            3.0 * (f1 - f0) - 2.0 * d0 - d1,
            2.0 * (f0 - f1) + d0 + d1,
        ]
    });
    std::iter::once([0.0; 4])
        .chain(inside)
        .chain(std::iter::once([1.0, 0.0, 0.0, 0.0]))
        .collect()
}

/// Φ̃(z) and Φ̃′(z); NaN stays NaN, so that a diverging run is caught.
#[inline(always)]
fn interpolated_cdf<T: Real>(t: &[[T; 4]], z: T) -> (T, T) {
    // Position in the table (interval 0 is z < −8); clamp keeps NaN, which `as` sends to
    // interval 0, whose zero coefficients times s = NaN give NaN.
    let per_unit = T::of(PER_UNIT);
    let u =
        ((z + T::of(LIMIT)) * per_unit + T::one()).clamp(T::zero(), T::of((INTERVALS + 1) as f64));
    let whole = u.floor();
    let j = whole.index();
    let s = u - whole;
    assert!(t.len() == INTERVALS + 2, "the table has every interval");
    // SAFETY: j ≤ INTERVALS + 1 < t.len() by the clamp and the assertion; unchecked so
    // that the loops over this function vectorise.
    let [a, b, c, d] = unsafe { *t.get_unchecked(j) };
    let (two, three) = (T::of(2.0), T::of(3.0));
    let value = a + s * (b + s * (c + s * d));
    let slope = (b + s * (two * c + three * s * d)) * per_unit;
    (value, slope)
}

/// `out` ← GELU(z), `slope` ← GELU′(z) for every element of `z`.
pub(crate) fn activate<T: Real>(z: &[T], out: &mut Vec<T>, slope: &mut Vec<T>) {
    out.resize(z.len(), T::zero());
    slope.resize(z.len(), T::zero());
    #[cfg(target_arch = "x86_64")]
    if std::arch::is_x86_feature_detected!("avx512f") {
        // SAFETY: the CPU has the instruction set the function is compiled for.
        unsafe { activate_avx512(z, out, slope) };
        return;
    }
    activate_into(z, out, slope);
}

/// [`activate_into`] compiled for AVX-512, where the table lookups vectorise as gathers.
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx512f,avx2,fma")]
unsafe fn activate_avx512<T: Real>(z: &[T], out: &mut [T], slope: &mut [T]) {
    activate_into(z, out, slope);
}

#[inline(always)]
fn activate_into<T: Real>(z: &[T], out: &mut [T], slope: &mut [T]) {
    let t = T::gelu_table();
    for ((&v, o), d) in z.iter().zip(out.iter_mut()).zip(slope.iter_mut()) {
        let (cdf, cdf_slope) = interpolated_cdf(t, v);
        *o = v * cdf;
        *d = cdf + v * cdf_slope;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_table_matches_the_exact_cdf_and_its_slope_is_its_derivative() {
        let t = f64::gelu_table();
        let mut worst: f64 = 0.0;
        for i in 0..=200_000 {
            let z = -10.0 + i as f64 * 1e-4;
            let (value, slope) = interpolated_cdf(t, z);
            worst = worst.max((value - cdf(z)).abs());
            // Central difference of the interpolant (h = 1e-6: truncation ~1e-12, rounding
            // ~1e-10), away from the knots where the second derivative jumps.
            let s = ((z + LIMIT) * PER_UNIT).fract();
            if z.abs() < LIMIT - 1e-3 && s > 0.01 && s < 0.99 {
                let h = 1e-6;
                let fd = (interpolated_cdf(t, z + h).0 - interpolated_cdf(t, z - h).0) / (2.0 * h);
                assert!((fd - slope).abs() < 1e-8, "z = {z}: {slope} vs {fd}");
            }
        }
        // The interpolation bound of the module comment, 8.6e-11, plus rounding.
        assert!(worst < 9e-11, "largest error {worst:e}");
        let (value, _) = interpolated_cdf(t, f64::NAN);
        assert!(value.is_nan());
    }
}
