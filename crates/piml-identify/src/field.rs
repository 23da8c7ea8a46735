//! Arithmetic in the prime field Z/pZ with p = 2⁶¹ − 1, where the structural
//! test evaluates rational functions exactly.
//!
//! A Mersenne prime makes reduction a shift and an add. Model numbers enter
//! as the decimal a user wrote (0.1 is 1/10, not the nearest double), and
//! rational numbers come back out by rational reconstruction (Wang 1981).

use std::ops::{Add, Mul, Neg, Sub};

/// The prime: 2⁶¹ − 1.
pub const P: u64 = (1 << 61) - 1;

/// The largest numerator and denominator [`Fp::to_rational`] recovers.
pub const RATIONAL_BOUND: i64 = 1 << 20;

/// An element of Z/pZ, always reduced to [0, p).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct Fp(u64);

impl Fp {
    pub const ZERO: Fp = Fp(0);
    pub const ONE: Fp = Fp(1);

    /// The residue of a non-negative integer.
    pub fn new(v: u64) -> Fp {
        Fp(reduce(u128::from(v)))
    }

    pub fn from_i64(v: i64) -> Fp {
        let r = Fp::new(v.unsigned_abs());
        if v < 0 { -r } else { r }
    }

    pub fn is_zero(self) -> bool {
        self.0 == 0
    }

    pub fn pow(self, mut e: u64) -> Fp {
        let (mut base, mut acc) = (self, Fp::ONE);
        while e > 0 {
            if e & 1 == 1 {
                acc = acc * base;
            }
            base = base * base;
            e >>= 1;
        }
        acc
    }

    /// The multiplicative inverse, or `None` for zero.
    pub fn inv(self) -> Option<Fp> {
        // Fermat: a^(p−2) = a⁻¹ for a ≠ 0.
        (!self.is_zero()).then(|| self.pow(P - 2))
    }

    /// The residue of a finite double, read as the shortest decimal that
    /// round-trips to it (what the user wrote: `0.1` → 1/10).
    pub fn from_f64(v: f64) -> Option<Fp> {
        if !v.is_finite() {
            return None;
        }
        let text = format!("{v:e}");
        let (mantissa, exponent) = text.split_once('e')?;
        let mut exponent: i64 = exponent.parse().ok()?;
        let (negative, mantissa) = match mantissa.strip_prefix('-') {
            Some(m) => (true, m),
            None => (false, mantissa),
        };
        let (int, frac) = mantissa.split_once('.').unwrap_or((mantissa, ""));
        let digits: u64 = format!("{int}{frac}").parse().ok()?;
        exponent -= frac.len() as i64;
        let ten = Fp::new(10);
        let scale = if exponent >= 0 {
            ten.pow(exponent as u64)
        } else {
            ten.pow(exponent.unsigned_abs()).inv()?
        };
        let r = Fp::new(digits) * scale;
        Some(if negative { -r } else { r })
    }

    /// The rational n/d with |n|, d ≤ [`RATIONAL_BOUND`] that this residue
    /// represents, if there is one (Wang's rational reconstruction by the
    /// extended Euclidean algorithm). The bound, far below √(p/2), makes the
    /// answer unique and makes a chance residue pass with probability
    /// ≈ 2·bound²/p ≈ 10⁻⁶.
    pub fn to_rational(self) -> Option<(i64, i64)> {
        let bound = i128::from(RATIONAL_BOUND);
        let (mut r0, mut r1) = (i128::from(P), i128::from(self.0));
        let (mut t0, mut t1) = (0i128, 1i128);
        while r1 > bound {
            let q = r0 / r1;
            (r0, r1) = (r1, r0 - q * r1);
            (t0, t1) = (t1, t0 - q * t1);
        }
        if t1 == 0 || t1.abs() > bound {
            return None;
        }
        let (n, d) = if t1 < 0 { (-r1, -t1) } else { (r1, t1) };
        if gcd(n.unsigned_abs(), d.unsigned_abs()) != 1 {
            return None;
        }
        Some((i64::try_from(n).ok()?, i64::try_from(d).ok()?))
    }
}

fn gcd(a: u128, b: u128) -> u128 {
    if b == 0 { a } else { gcd(b, a % b) }
}

#[inline]
fn reduce(x: u128) -> u64 {
    // x = hi·2⁶¹ + lo ≡ hi + lo (mod 2⁶¹ − 1); twice folds any u128 product.
    let folded = (x & u128::from(P)) + (x >> 61);
    let folded = (folded & u128::from(P)) + (folded >> 61);
    let v = folded as u64;
    if v >= P { v - P } else { v }
}

impl Add for Fp {
    type Output = Fp;
    #[inline]
    fn add(self, o: Fp) -> Fp {
        let s = self.0 + o.0;
        Fp(if s >= P { s - P } else { s })
    }
}

impl Sub for Fp {
    type Output = Fp;
    #[inline]
    fn sub(self, o: Fp) -> Fp {
        Fp(if self.0 >= o.0 {
            self.0 - o.0
        } else {
            self.0 + P - o.0
        })
    }
}

impl Neg for Fp {
    type Output = Fp;
    #[inline]
    fn neg(self) -> Fp {
        Fp(if self.0 == 0 { 0 } else { P - self.0 })
    }
}

impl Mul for Fp {
    type Output = Fp;
    #[inline]
    fn mul(self, o: Fp) -> Fp {
        Fp(reduce(u128::from(self.0) * u128::from(o.0)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn inverse_and_fermat() {
        for v in [1u64, 2, 3, 10, 12345678901, P - 1] {
            let a = Fp::new(v);
            assert_eq!(a * a.inv().unwrap(), Fp::ONE);
        }
        assert_eq!(Fp::ZERO.inv(), None);
        // (p − 1)² = 1, and reduction of the largest product is exact.
        assert_eq!(Fp::new(P - 1) * Fp::new(P - 1), Fp::ONE);
        assert_eq!(Fp::new(P), Fp::ZERO);
    }

    #[test]
    fn decimals_are_read_as_written() {
        let tenth = Fp::new(10).inv().unwrap();
        assert_eq!(Fp::from_f64(0.1), Some(tenth));
        assert_eq!(
            Fp::from_f64(-2.5),
            Some(-(Fp::new(5) * Fp::new(2).inv().unwrap()))
        );
        assert_eq!(Fp::from_f64(1e20), Some(Fp::new(10).pow(20)));
        assert_eq!(Fp::from_f64(0.0), Some(Fp::ZERO));
        assert_eq!(Fp::from_f64(f64::NAN), None);
        assert_eq!(Fp::from_f64(0.1).unwrap().to_rational(), Some((1, 10)));
    }

    #[test]
    fn rational_reconstruction_recovers_small_fractions() {
        for (n, d) in [
            (1i64, 1i64),
            (-3, 7),
            (22, 7),
            (0, 1),
            (-1_000_003, 999_983),
        ] {
            let x = Fp::from_i64(n) * Fp::from_i64(d).inv().unwrap();
            assert_eq!(x.to_rational(), Some((n, d)), "{n}/{d}");
        }
        // A random-looking residue has no small representation.
        assert_eq!(Fp::new(1_234_567_890_123_456_789).to_rational(), None);
    }
}
