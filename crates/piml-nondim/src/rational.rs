//! Exact rational arithmetic for dimension exponents: the rank, solutions
//! and null spaces of small integer matrices, so that Buckingham-π groups
//! come out with exact integer powers.

use std::cmp::Ordering;
use std::fmt;
use std::ops::{Add, Div, Mul, Neg, Sub};

/// A reduced fraction num/den with den > 0.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Ratio {
    num: i64,
    den: i64,
}

fn gcd(a: i128, b: i128) -> i128 {
    let (mut a, mut b) = (a.abs(), b.abs());
    while b != 0 {
        (a, b) = (b, a % b);
    }
    a
}

impl Ratio {
    pub const ZERO: Ratio = Ratio { num: 0, den: 1 };
    pub const ONE: Ratio = Ratio { num: 1, den: 1 };

    fn reduced(num: i128, den: i128) -> Ratio {
        let g = gcd(num, den).max(1);
        let sign = if den < 0 { -1 } else { 1 };
        Ratio {
            num: i64::try_from(sign * num / g).expect("dimension exponents stay small"),
            den: i64::try_from(sign * den / g).expect("dimension exponents stay small"),
        }
    }

    pub fn new(num: i64, den: i64) -> Ratio {
        Ratio::reduced(num.into(), den.into())
    }

    pub fn int(n: i64) -> Ratio {
        Ratio { num: n, den: 1 }
    }

    /// The fraction with denominator up to 12 closest to `x`, if within 1e-9
    /// (unit exponents such as 2, −1 or 0.5 written in unit strings).
    pub fn from_f64(x: f64) -> Option<Ratio> {
        (1..=12).find_map(|den| {
            let num = (x * den as f64).round();
            ((num / den as f64 - x).abs() < 1e-9 && num.abs() < 1e6)
                .then(|| Ratio::new(num as i64, den))
        })
    }

    pub fn numer(self) -> i64 {
        self.num
    }

    pub fn denom(self) -> i64 {
        self.den
    }

    pub fn is_zero(self) -> bool {
        self.num == 0
    }

    pub fn is_integer(self) -> bool {
        self.den == 1
    }

    pub fn to_f64(self) -> f64 {
        self.num as f64 / self.den as f64
    }
}

impl Add for Ratio {
    type Output = Ratio;
    fn add(self, o: Ratio) -> Ratio {
        Ratio::reduced(
            i128::from(self.num) * i128::from(o.den) + i128::from(o.num) * i128::from(self.den),
            i128::from(self.den) * i128::from(o.den),
        )
    }
}

impl Sub for Ratio {
    type Output = Ratio;
    fn sub(self, o: Ratio) -> Ratio {
        self + (-o)
    }
}

impl Neg for Ratio {
    type Output = Ratio;
    fn neg(self) -> Ratio {
        Ratio {
            num: -self.num,
            den: self.den,
        }
    }
}

impl Mul for Ratio {
    type Output = Ratio;
    fn mul(self, o: Ratio) -> Ratio {
        Ratio::reduced(
            i128::from(self.num) * i128::from(o.num),
            i128::from(self.den) * i128::from(o.den),
        )
    }
}

impl Div for Ratio {
    type Output = Ratio;
    /// # Panics
    /// On division by zero, a bug in the elimination below.
    fn div(self, o: Ratio) -> Ratio {
        assert!(o.num != 0, "division by a zero ratio");
        Ratio::reduced(
            i128::from(self.num) * i128::from(o.den),
            i128::from(self.den) * i128::from(o.num),
        )
    }
}

impl PartialOrd for Ratio {
    fn partial_cmp(&self, o: &Ratio) -> Option<Ordering> {
        Some(self.cmp(o))
    }
}

impl Ord for Ratio {
    fn cmp(&self, o: &Ratio) -> Ordering {
        (i128::from(self.num) * i128::from(o.den)).cmp(&(i128::from(o.num) * i128::from(self.den)))
    }
}

impl fmt::Display for Ratio {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.den == 1 {
            write!(f, "{}", self.num)
        } else {
            write!(f, "{}/{}", self.num, self.den)
        }
    }
}

/// The least common multiple of the denominators.
pub fn common_denominator(values: &[Ratio]) -> i64 {
    values.iter().fold(1i64, |l, r| {
        let g = gcd(l.into(), r.den.into()) as i64;
        l / g * r.den
    })
}

/// Reduced row echelon form in place; returns the pivot columns.
fn rref(rows: &mut [Vec<Ratio>]) -> Vec<usize> {
    let ncols = rows.first().map_or(0, Vec::len);
    let mut pivots = Vec::new();
    let mut r = 0;
    for c in 0..ncols {
        let Some(p) = (r..rows.len()).find(|&i| !rows[i][c].is_zero()) else {
            continue;
        };
        rows.swap(r, p);
        let lead = rows[r][c];
        for v in rows[r].iter_mut() {
            *v = *v / lead;
        }
        let pivot_row = rows[r].clone();
        for (i, row) in rows.iter_mut().enumerate() {
            if i != r && !row[c].is_zero() {
                let factor = row[c];
                for (v, p) in row.iter_mut().zip(&pivot_row) {
                    *v = *v - factor * *p;
                }
            }
        }
        pivots.push(c);
        r += 1;
        if r == rows.len() {
            break;
        }
    }
    pivots
}

/// The rank of a set of vectors.
pub fn rank(vectors: &[Vec<Ratio>]) -> usize {
    let mut rows = vectors.to_vec();
    rref(&mut rows).len()
}

/// Coefficients c with Σ c_i·basis_i = target, if there are any (the
/// basis vectors are taken to be independent).
pub fn solve(basis: &[Vec<Ratio>], target: &[Ratio]) -> Option<Vec<Ratio>> {
    let n = basis.len();
    // Rows: one per component; columns: the basis vectors, then the target.
    let mut rows: Vec<Vec<Ratio>> = (0..target.len())
        .map(|i| {
            let mut row: Vec<Ratio> = basis.iter().map(|b| b[i]).collect();
            row.push(target[i]);
            row
        })
        .collect();
    let pivots = rref(&mut rows);
    if pivots.contains(&n) {
        return None;
    }
    let mut c = vec![Ratio::ZERO; n];
    for (r, &p) in pivots.iter().enumerate() {
        c[p] = rows[r][n];
    }
    Some(c)
}

/// A basis of the null space {v : M v = 0} of the matrix with these rows,
/// each basis vector scaled to coprime integers.
pub fn null_space(rows: &[Vec<Ratio>], ncols: usize) -> Vec<Vec<Ratio>> {
    let mut m = rows.to_vec();
    let pivots = rref(&mut m);
    (0..ncols)
        .filter(|c| !pivots.contains(c))
        .map(|free| {
            let mut v = vec![Ratio::ZERO; ncols];
            v[free] = Ratio::ONE;
            for (r, &p) in pivots.iter().enumerate() {
                v[p] = -m[r][free];
            }
            integer_multiple(&v)
        })
        .collect()
}

/// The smallest integer multiple of `v` with the same direction.
pub fn integer_multiple(v: &[Ratio]) -> Vec<Ratio> {
    let l = Ratio::int(common_denominator(v));
    let ints: Vec<Ratio> = v.iter().map(|x| *x * l).collect();
    let g = ints.iter().fold(0i128, |g, x| gcd(g, x.num.into())).max(1) as i64;
    ints.iter().map(|x| *x / Ratio::int(g)).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn r(n: i64) -> Ratio {
        Ratio::int(n)
    }

    #[test]
    fn arithmetic_is_exact_and_reduced() {
        assert_eq!(Ratio::new(2, 4), Ratio::new(-1, -2));
        assert_eq!(Ratio::new(1, 3) + Ratio::new(1, 6), Ratio::new(1, 2));
        assert_eq!(Ratio::from_f64(-0.5), Some(Ratio::new(-1, 2)));
        assert_eq!(Ratio::from_f64(std::f64::consts::PI), None);
        assert_eq!(common_denominator(&[Ratio::new(1, 2), Ratio::new(2, 3)]), 6);
    }

    /// Diffusivity L²/T and rate 1/T express a length as (D/r)^(1/2).
    #[test]
    fn solves_for_exponents() {
        let d = vec![r(2), r(-1)];
        let rate = vec![r(0), r(-1)];
        let c = solve(&[rate, d], &[r(1), r(0)]).unwrap();
        assert_eq!(c, vec![Ratio::new(-1, 2), Ratio::new(1, 2)]);
        assert!(solve(&[vec![r(1), r(0)]], &[r(0), r(1)]).is_none());
    }

    /// The null space of [[1, 1, 0], [0, 1, 1]] is spanned by (1, −1, 1).
    #[test]
    fn null_space_is_integer() {
        let ns = null_space(&[vec![r(1), r(1), r(0)], vec![r(0), r(1), r(1)]], 3);
        assert_eq!(ns, vec![vec![r(1), r(-1), r(1)]]);
        assert_eq!(rank(&[vec![r(1), r(2)], vec![r(2), r(4)]]), 1);
    }
}
