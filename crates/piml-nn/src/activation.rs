//! Activation functions with their first three derivatives, and a fast vectorisable tanh.
//!
//! The forward jets need σ, σ′ and σ″; the reverse pass through them needs σ‴ as well.

use std::f64::consts::{FRAC_1_SQRT_2, LOG2_E, PI};

use crate::real::Real;

/// The activation of the hidden layers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Activation {
    /// Hyperbolic tangent.
    Tanh,
    /// Sine (Sitzmann et al. 2020, SIREN).
    Sin,
    /// SiLU/swish x·sigmoid(x) (Elfwing et al. 2018; Ramachandran et al. 2017).
    Silu,
    /// GELU x·Φ(x) with the exact normal CDF Φ (Hendrycks & Gimpel 2016, eq. 1).
    Gelu,
}

impl Activation {
    /// Every activation, in the order of the enum.
    pub const ALL: [Activation; 4] = [
        Activation::Tanh,
        Activation::Sin,
        Activation::Silu,
        Activation::Gelu,
    ];

    /// The lower-case name used in weights files (`tanh`, `sin`, `silu`, `gelu`).
    pub fn name(self) -> &'static str {
        match self {
            Activation::Tanh => "tanh",
            Activation::Sin => "sin",
            Activation::Silu => "silu",
            Activation::Gelu => "gelu",
        }
    }

    /// The activation called `name` (as written by [`Activation::name`]; `swish` is SiLU).
    pub fn parse(name: &str) -> Option<Activation> {
        match name {
            "tanh" => Some(Activation::Tanh),
            "sin" => Some(Activation::Sin),
            "silu" | "swish" => Some(Activation::Silu),
            "gelu" => Some(Activation::Gelu),
            _ => None,
        }
    }

    /// σ(x), σ′(x), σ″(x) and σ‴(x).
    #[inline]
    pub fn derivatives(self, x: f64) -> [f64; 4] {
        match self {
            Activation::Tanh => tanh_derivatives(x),
            Activation::Sin => sin_derivatives(x),
            Activation::Silu => silu_derivatives(x),
            Activation::Gelu => gelu_derivatives(x),
        }
    }

    /// Fills `out[j][c·ld + r]` with the j-th derivative of σ at `x[c·ld + r] + bias[r]`
    /// (j = 0..3), for the columns c of `x` (ld = `bias.len()`).
    /// `mul_add` is a·b + c, rounded once where the CPU has FMA (it serves tanh's polynomial).
    #[inline(always)]
    pub(crate) fn eval<T: Real>(
        self,
        x: &[T],
        bias: &[T],
        out: [&mut [T]; 4],
        mul_add: impl Fn(T, T, T) -> T,
    ) {
        match self {
            Activation::Tanh => fill(x, bias, out, |x| tanh_derivatives_with(x, &mul_add)),
            Activation::Sin => fill(x, bias, out, sin_derivatives),
            Activation::Silu => fill(x, bias, out, silu_derivatives),
            Activation::Gelu => fill(x, bias, out, gelu_derivatives),
        }
    }
}

/// One loop per activation, so that the compiler can vectorise it.
#[inline(always)]
fn fill<T: Real>(x: &[T], bias: &[T], out: [&mut [T]; 4], f: impl Fn(T) -> [T; 4]) {
    let [s0, s1, s2, s3] = out;
    let ld = bias.len();
    for (c, xc) in x.chunks_exact(ld).enumerate() {
        let cols = c * ld..(c + 1) * ld;
        let (s0, s1) = (&mut s0[cols.clone()], &mut s1[cols.clone()]);
        let (s2, s3) = (&mut s2[cols.clone()], &mut s3[cols]);
        for r in 0..ld {
            let [a, b, c, d] = f(xc[r] + bias[r]);
            s0[r] = a;
            s1[r] = b;
            s2[r] = c;
            s3[r] = d;
        }
    }
}

#[inline(always)]
fn tanh_derivatives<T: Real>(x: T) -> [T; 4] {
    tanh_derivatives_with(x, |a, b, c| a * b + c)
}

#[inline(always)]
fn tanh_derivatives_with<T: Real>(x: T, mul_add: impl Fn(T, T, T) -> T) -> [T; 4] {
    let c = T::from_f64;
    let t = tanh_with(x, mul_add);
    let p = c(1.0) - t * t;
    [t, p, c(-2.0) * t * p, c(-2.0) * p * (p - c(2.0) * t * t)]
}

#[inline(always)]
fn sin_derivatives<T: Real>(x: T) -> [T; 4] {
    let (s, c) = x.sin_cos();
    [s, c, -s, -c]
}

/// s = sigmoid, g = s′ = s(1−s); σ = xs, σ′ = s + xg, σ″ = 2g + xg′, σ‴ = 3g′ + xg″.
#[inline(always)]
fn silu_derivatives<T: Real>(x: T) -> [T; 4] {
    let c = T::from_f64;
    let s = c(1.0) / (c(1.0) + (-x).exp());
    let g = s * (c(1.0) - s);
    let g1 = g * (c(1.0) - c(2.0) * s);
    let g2 = g * (c(1.0) - c(6.0) * s + c(6.0) * s * s);
    [x * s, s + x * g, c(2.0) * g + x * g1, c(3.0) * g1 + x * g2]
}

/// Φ′ = φ, φ′ = −xφ: σ′ = Φ + xφ, σ″ = (2 − x²)φ, σ‴ = (x³ − 4x)φ.
#[inline(always)]
fn gelu_derivatives<T: Real>(x: T) -> [T; 4] {
    let c = T::from_f64;
    let cdf = c(0.5) * (c(1.0) + (x * c(FRAC_1_SQRT_2)).erf());
    let pdf = (c(-0.5) * x * x).exp() / c((2.0 * PI).sqrt());
    [
        x * cdf,
        cdf + x * pdf,
        (c(2.0) - x * x) * pdf,
        (x * x - c(4.0)) * x * pdf,
    ]
}

/// tanh(x) to a few ulp (max relative error ≈ 5e-16, about 2 ulp), branch-free so that loops vectorise.
///
/// tanh|x| = −e/(e + 2) with e = expm1(−2|x|) ∈ (−1, 0], evaluated by a branch-free expm1;
/// |x| is capped at 20, where tanh is 1 in f64. NaN propagates.
#[inline(always)]
pub fn tanh(x: f64) -> f64 {
    tanh_with(x, |a, b, c| a * b + c)
}

/// [`tanh`] with its polynomial evaluated by `mul_add` (a·b + c; an FMA halves the work).
#[inline(always)]
fn tanh_with<T: Real>(x: T, mul_add: impl Fn(T, T, T) -> T) -> T {
    let ax = x.abs();
    let ax = if ax > T::from_f64(20.0) {
        T::from_f64(20.0)
    } else {
        ax
    };
    let e = expm1_nonpositive(T::from_f64(-2.0) * ax, mul_add);
    (-e / (e + T::from_f64(2.0))).copysign(x)
}

/// 1/n! for n = 0 … 13.
const INVERSE_FACTORIALS: [f64; 14] = [
    1.0,
    1.0,
    0.5,
    1.0 / 6.0,
    1.0 / 24.0,
    1.0 / 120.0,
    1.0 / 720.0,
    1.0 / 5_040.0,
    1.0 / 40_320.0,
    1.0 / 362_880.0,
    1.0 / 3_628_800.0,
    1.0 / 39_916_800.0,
    1.0 / 479_001_600.0,
    1.0 / 6_227_020_800.0,
];

/// expm1(y) for −40 ≤ y ≤ 0 without branches or calls.
///
/// Cody–Waite reduction y = k·ln2 + r, |r| ≤ ln2/2 (ln2 split as in fdlibm), expm1(r) by its
/// Taylor series to r^[`Real::EXPM1_DEGREE`] (r¹³ in f64, r⁸ in f32: truncation below the
/// unit roundoff), then expm1(y) = 2ᵏ·expm1(r) + (2ᵏ − 1), which is exact for k = 0 and well
/// conditioned otherwise. k and 2ᵏ come from bit manipulation (the 1.5·2⁵² or 1.5·2²³
/// rounding shift) so that no float-to-int conversion blocks SIMD.
#[inline(always)]
fn expm1_nonpositive<T: Real>(y: T, mul_add: impl Fn(T, T, T) -> T) -> T {
    let shifted = y * T::from_f64(LOG2_E) + T::SHIFT;
    let kf = shifted - T::SHIFT;
    let r = (y - kf * T::LN2_HI) - kf * T::LN2_LO;
    // Horner on 1/n!, n = degree … 1.
    let mut p = T::from_f64(INVERSE_FACTORIALS[T::EXPM1_DEGREE]);
    for n in (1..T::EXPM1_DEGREE).rev() {
        p = mul_add(p, r, T::from_f64(INVERSE_FACTORIALS[n]));
    }
    let p = p * r;
    let scale = T::exp2_of_shifted(shifted);
    mul_add(scale, p, scale - T::from_f64(1.0))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fast_tanh_matches_std_to_a_few_ulp() {
        // Both roundings of the polynomial: twice per step (`tanh`) and once (FMA, as the
        // evaluator runs it on CPUs with FMA).
        let fused = |x: f64| tanh_with(x, f64::mul_add);
        for f in [tanh, fused] {
            let mut worst: f64 = 0.0;
            for i in -40_000..=40_000 {
                let x = i as f64 * 6.1e-4 + 1e-7;
                let (t, r) = (f(x), x.tanh());
                worst = worst.max((t - r).abs() / r.abs().max(f64::MIN_POSITIVE));
            }
            assert!(worst < 1e-15, "worst relative error {worst:e}");
            assert_eq!(f(0.0), 0.0);
            assert_eq!(f(1e3), 1.0);
            assert_eq!(f(-1e3), -1.0);
            assert!(f(f64::NAN).is_nan());
        }
    }

    #[test]
    fn ln2_splits_make_k_ln2_exact() {
        use std::f64::consts::LN_2;
        assert!((f64::LN2_HI + f64::LN2_LO - LN_2).abs() < 1e-16);
        // LN2_LO is ln2 − LN2_HI rounded to f32: 24 bits of a number below 2⁻¹⁶.
        assert!((f64::from(f32::LN2_HI) + f64::from(f32::LN2_LO) - LN_2).abs() < 1e-12);
        // |y| ≤ 40 in the fast tanh: |k| ≤ 58.
        for k in -58..=0 {
            assert_eq!(
                f64::from(k as f32 * f32::LN2_HI),
                f64::from(k) * f64::from(f32::LN2_HI)
            );
            assert_eq!(
                f64::from(f32::exp2_of_shifted(k as f32 + f32::SHIFT)),
                2f64.powi(k)
            );
            assert_eq!(
                f64::exp2_of_shifted(f64::from(k) + f64::SHIFT),
                2f64.powi(k)
            );
        }
    }

    #[test]
    fn fast_tanh_in_f32_matches_std_to_a_few_ulp() {
        let u = f64::from(f32::EPSILON) / 2.0;
        let plain = |x: f32| tanh_with(x, |a, b, c| a * b + c);
        let fused = |x: f32| tanh_with(x, f32::mul_add);
        for f in [plain, fused] {
            let mut worst: f64 = 0.0;
            for i in -40_000..=40_000 {
                let x = i as f32 * 6.1e-4 + 1e-7;
                let r = f64::from(x).tanh();
                worst = worst.max((f64::from(f(x)) - r).abs() / r.abs());
            }
            // Rounding of r (1 u), the polynomial and the scaling (≈ 2 u), and −e/(e + 2)
            // (2 u); the errors of e partly cancel in −e/(e + 2) (as for f64: 2 ulp there).
            assert!(worst < 4.0 * u, "worst relative error {:.2} u", worst / u);
            assert_eq!(f(0.0), 0.0);
            assert_eq!(f(1e3), 1.0);
            assert_eq!(f(-1e3), -1.0);
            assert!(f(f32::NAN).is_nan());
        }
    }

    #[test]
    fn f32_derivatives_match_f64_to_a_few_ulp() {
        let u = f64::from(f32::EPSILON) / 2.0;
        for act in Activation::ALL {
            let mut worst: f64 = 0.0;
            for i in -400..=400 {
                let x = i as f32 * 0.0123 + 1e-4;
                let f = |x| -> [f32; 4] {
                    match act {
                        Activation::Tanh => tanh_derivatives(x),
                        Activation::Sin => sin_derivatives(x),
                        Activation::Silu => silu_derivatives(x),
                        Activation::Gelu => gelu_derivatives(x),
                    }
                };
                let (got, want) = (f(x), act.derivatives(f64::from(x)));
                for j in 0..4 {
                    let err = (f64::from(got[j]) - want[j]).abs() / want[j].abs().max(1.0);
                    worst = worst.max(err);
                }
            }
            // A few roundings each (tanh, exp, erf, sin to ≈ 1–3 u), and cancellation in σ‴
            // (tanh's p − 2t², SiLU's 1 − 6s + 6s²) on a scale of 1.
            assert!(worst < 32.0 * u, "{act:?}: worst error {:.1} u", worst / u);
        }
    }

    #[test]
    fn derivatives_match_central_differences() {
        let h = 1e-5;
        for act in Activation::ALL {
            for &x in &[-2.3, -0.4, 0.0, 0.7, 1.9] {
                let d = act.derivatives(x);
                let (dp, dm) = (act.derivatives(x + h), act.derivatives(x - h));
                for j in 0..3 {
                    let fd = (dp[j] - dm[j]) / (2.0 * h);
                    assert!(
                        (fd - d[j + 1]).abs() < 1e-8 * (1.0 + d[j + 1].abs()),
                        "{act:?} x={x} order {}",
                        j + 1
                    );
                }
            }
            assert_eq!(Activation::parse(act.name()), Some(act));
        }
    }
}
