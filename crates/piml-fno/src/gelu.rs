//! GELU(z) = z·Φ(z) (Hendrycks & Gimpel 2016) and its slope Φ(z) + z·φ(z), in straight-line
//! code that vectorises.
//!
//! libm's erf and exp cost about 20 ns per value, and an operator evaluates GELU at every grid
//! point of every hidden channel: it was a third of a training epoch. Each float type has its
//! own Φ ([`Real::normal_cdf`]):
//! - f64: the cubic Hermite interpolant of Φ and φ = Φ′ at steps of 1/64 on [−8, 8] (0 and 1
//!   outside, where 1 − Φ(8) < 1e-15), read from a table. Its error is at most
//!   h⁴/384·max|Φ⁗| = 8.6e-11 (max |φ‴| ≈ 0.55), and the slope is the exact derivative of the
//!   interpolant, so that gradient checks see the exact derivative of the forward pass.
//! - f32: Abramowitz & Stegun's fit of erf (Handbook of Mathematical Functions, 7.1.26:
//!   absolute error below 1.5e-7) on the same e^(−z²/2) as φ, from a polynomial exp:
//!   arithmetic only, where the table's gathers were the cost (an eighth of an f32 epoch).
//!   Φ is then within 2.5e-7 with the f32 roundings (absolute; f32 resolves 6e-8 near 1).

#![allow(unsafe_code)]

use std::f64::consts::{FRAC_1_SQRT_2, FRAC_2_SQRT_PI, LOG2_E};
use std::sync::OnceLock;

use crate::real::Real;

const LIMIT: f64 = 8.0;
const PER_UNIT: f64 = 64.0;
const INTERVALS: usize = 2 * LIMIT as usize * PER_UNIT as usize;

/// 1/√(2π).
const INV_SQRT_TAU: f64 = 0.5 * FRAC_2_SQRT_PI * FRAC_1_SQRT_2;

fn cdf(z: f64) -> f64 {
    0.5 * (1.0 + libm::erf(z * FRAC_1_SQRT_2))
}

fn pdf(z: f64) -> f64 {
    (-0.5 * z * z).exp() * INV_SQRT_TAU
}

/// Per interval, the interpolant's coefficients in the local coordinate s ∈ [0, 1):
/// Φ̃ = a + b·s + c·s² + d·s³; a constant interval below −8 (Φ̃ = 0) and one above 8 (Φ̃ = 1)
/// close the table, so that a lookup needs no branch. Built once.
pub(crate) fn table() -> &'static [[f64; 4]] {
    static TABLE: OnceLock<Vec<[f64; 4]>> = OnceLock::new();
    TABLE.get_or_init(|| {
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
    })
}

/// Φ̃(z) and Φ̃′(z) from the f64 table; NaN stays NaN, so that a diverging run is caught.
#[inline(always)]
pub(crate) fn interpolated_cdf(t: &[[f64; 4]], z: f64) -> (f64, f64) {
    // Position in the table (interval 0 is z < −8); clamp keeps NaN, which `index` sends to
    // interval 0, whose zero coefficients times s = NaN give NaN.
    let u = ((z + LIMIT) * PER_UNIT + 1.0).clamp(0.0, (INTERVALS + 1) as f64);
    let whole = u.floor();
    let j = whole.index();
    let s = u - whole;
    assert!(t.len() == INTERVALS + 2, "the table has every interval");
    // SAFETY: j ≤ INTERVALS + 1 < t.len() by the clamp and the assertion; unchecked so
    // that the loops over this function vectorise.
    let [a, b, c, d] = unsafe { *t.get_unchecked(j) };
    let value = a + s * (b + s * (c + s * d));
    let slope = (b + s * (2.0 * c + 3.0 * s * d)) * PER_UNIT;
    (value, slope)
}

/// e^y for y ≤ 0 in f32 without branches or calls (y below −87 is taken as −87, where e^y
/// is below 2e-38 and the normal range ends). Cody–Waite reduction y = k·ln2 + r, |r| ≤ ln2/2,
/// with ln2 split so that k·LN2_HI is exact (Cephes' split), e^r by its Taylor series to r⁷
/// (truncation 0.35⁸/8! = 5e-9, below the f32 unit roundoff), 2ᵏ built in the exponent bits.
#[inline(always)]
fn exp_nonpositive(y: f32) -> f32 {
    const SHIFT: f32 = 12_582_912.0; // 1.5·2²³: adding it rounds to an integer.
    const LN2_HI: f32 = 0.693_359_4;
    const LN2_LO: f32 = -2.121_944_4e-4;
    let y = if y < -87.0 { -87.0 } else { y };
    let shifted = y * LOG2_E as f32 + SHIFT;
    let k = shifted - SHIFT;
    let r = k.mul_add(-LN2_LO, k.mul_add(-LN2_HI, y));
    let mut p: f32 = 1.0 / 5040.0;
    for coefficient in [
        1.0 / 720.0,
        1.0 / 120.0,
        1.0 / 24.0,
        1.0 / 6.0,
        0.5,
        1.0,
        1.0,
    ] {
        p = p.mul_add(r, coefficient);
    }
    let k = shifted.to_bits().wrapping_sub(SHIFT.to_bits()) as i32;
    p * f32::from_bits(((k + 127) as u32) << 23)
}

/// Φ(z) and φ(z) in f32 (see the module comment): erf(x) = 1 − t·P(t)·e^(−x²) with
/// t = 1/(1 + p·x), x = |z|/√2, so Φ(−|z|) = t·P(t)·e^(−z²/2)/2, and e^(−z²/2) serves φ too.
/// (The table argument is f64's.)
#[inline(always)]
pub(crate) fn fitted_cdf(_: (), z: f32) -> (f32, f32) {
    // Abramowitz & Stegun 7.1.26, the published digits (f32 rounds them).
    const P: f64 = 0.327_591_1;
    const A: [f64; 5] = [
        1.061_405_429,
        -1.453_152_027,
        1.421_413_741,
        -0.284_496_736,
        0.254_829_592,
    ];
    let x = z.abs() * FRAC_1_SQRT_2 as f32;
    let t = 1.0 / (P as f32).mul_add(x, 1.0);
    let mut poly = A[0] as f32;
    for &a in &A[1..] {
        poly = poly.mul_add(t, a as f32);
    }
    let gauss = exp_nonpositive(-x * x);
    let tail = 0.5 * t * poly * gauss;
    let value = if z < 0.0 { tail } else { 1.0 - tail };
    (value, gauss * INV_SQRT_TAU as f32)
}

/// `out` ← GELU(z), and `z` ← GELU′(z) in place; with `twice`, `out` ← GELU(GELU(z)) and
/// `z` ← its slope GELU′(GELU(z))·GELU′(z).
pub(crate) fn activate<T: Real>(z: &mut [T], out: &mut Vec<T>, twice: bool) {
    // Every element is written: the buffer needs no clearing.
    if out.len() != z.len() {
        out.resize(z.len(), T::zero());
    }
    #[cfg(target_arch = "x86_64")]
    {
        use std::arch::is_x86_feature_detected as has;
        if has!("avx512f") && has!("avx2") && has!("fma") {
            // SAFETY: the CPU has the instruction set the function is compiled for.
            unsafe { activate_avx512(z, out, twice) };
            return;
        }
        if has!("avx2") && has!("fma") {
            // SAFETY: as above.
            unsafe { activate_avx2(z, out, twice) };
            return;
        }
    }
    // Without FMA instructions the f32 polynomials' mul_add are library calls: slow, exact.
    activate_into(z, out, twice);
}

/// [`activate_into`] compiled for AVX-512 (16 f32 lanes; the f64 table lookups as gathers).
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx512f,avx2,fma")]
unsafe fn activate_avx512<T: Real>(z: &mut [T], out: &mut [T], twice: bool) {
    activate_into(z, out, twice);
}

/// [`activate_into`] compiled for AVX2 with FMA.
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2,fma")]
unsafe fn activate_avx2<T: Real>(z: &mut [T], out: &mut [T], twice: bool) {
    activate_into(z, out, twice);
}

#[inline(always)]
fn activate_into<T: Real>(z: &mut [T], out: &mut [T], twice: bool) {
    let table = T::cdf_table();
    let gelu = |v: T| {
        let (cdf, density) = v.normal_cdf(table);
        (v * cdf, cdf + v * density)
    };
    // The branch outside the loops, so that each vectorises.
    if twice {
        for (v, o) in z.iter_mut().zip(out.iter_mut()) {
            let (once, slope) = gelu(*v);
            let (value, outer) = gelu(once);
            *o = value;
            *v = outer * slope;
        }
    } else {
        for (v, o) in z.iter_mut().zip(out.iter_mut()) {
            let (value, slope) = gelu(*v);
            *o = value;
            *v = slope;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_table_matches_the_exact_cdf_and_its_slope_is_its_derivative() {
        let t = table();
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

    #[test]
    fn the_f32_exp_is_accurate_to_a_few_ulp() {
        for i in 0..=87_000 {
            let y = -(i as f64) * 1e-3;
            let got = exp_nonpositive(y as f32) as f64;
            let exact = (y as f32 as f64).exp();
            // Truncation 5e-9, the reduction's rounding and the Horner steps: a few units
            // of 2⁻²⁴ = 6e-8.
            assert!(
                (got - exact).abs() <= 2.5e-7 * exact,
                "y = {y}: {got} vs {exact}"
            );
        }
    }

    #[test]
    fn the_f32_cdf_matches_the_exact_one_to_f32_accuracy() {
        for i in 0..=40_000 {
            let z = (-20.0 + i as f64 * 1e-3) as f32;
            let zw = z as f64;
            let (value, density) = fitted_cdf((), z);
            let (value, density) = (value as f64, density as f64);
            // φ: the exp's few ulp (5e-7) plus the conditioning of e^(−z²/2): z² times the
            // relative rounding of z/√2 and of its square (2·6e-8; below −13.4 the exp's floor,
            // 1e-37 absolute).
            let relative = 5e-7 + 1.5e-7 * zw * zw;
            // Φ: the fit's 7.5e-8 (half erf's 1.5e-7) and the f32 roundings of t, P(t), the exp
            // and their product (about five of 6e-8 relative on Φ(−|z|) ≤ 1/2) and of
            // 1 − Φ(−|z|) (6e-8).
            let exact = 0.5 * libm::erfc(-zw * FRAC_1_SQRT_2);
            assert!(
                (value - exact).abs() <= 2.5e-7,
                "Φ({z}): {value} vs {exact}"
            );
            assert!(
                (density - pdf(zw)).abs() <= relative * pdf(zw) + 1e-37,
                "φ({z}): {density} vs {}",
                pdf(zw)
            );
        }
        assert!(fitted_cdf((), f32::NAN).0.is_nan());
    }

    #[test]
    fn gelu_twice_is_gelu_of_gelu_with_the_chain_rule_slope() {
        let z: Vec<f64> = (0..301).map(|i| -6.0 + i as f64 * 0.04).collect();
        let (mut once, mut out) = (z.clone(), Vec::new());
        activate(&mut once, &mut out, false);
        let (mut twice, mut out2) = (z.clone(), Vec::new());
        activate(&mut twice, &mut out2, true);
        let (mut again, mut out3) = (out.clone(), Vec::new());
        activate(&mut again, &mut out3, false);
        for i in 0..z.len() {
            assert_eq!(out2[i], out3[i], "value at {}", z[i]);
            assert_eq!(twice[i], again[i] * once[i], "slope at {}", z[i]);
            assert_eq!(out[i], z[i] * interpolated_cdf(table(), z[i]).0);
        }
    }
}
