//! What the outputs do determine when single unknowns are not identifiable:
//! products of powers and sums of the non-identifiable unknowns.
//!
//! At each point the null space of the Jacobian holds the directions in
//! which the unknowns can move without changing the outputs. A product
//! Π θⱼ^aⱼ is identifiable when its log-gradient (aⱼ/θⱼ) is orthogonal to
//! every such direction at every point — a = an integer vector in the null
//! space of the log-parameter Jacobian's null directions (scaling symmetries
//! such as kcat → λ·kcat, Etot → Etot/λ). A sum Σ cⱼθⱼ is identifiable when
//! c itself is orthogonal to them. Both are found over Z/pZ from the null
//! spaces at a few random points, lifted to small integers by rational
//! reconstruction, and confirmed at a further point.

use piml_model::Expr;
use piml_model::expr::simplify::{add, div, mul, pow, sub};
use rand_chacha::ChaCha8Rng;

use crate::error::Error;
use crate::field::Fp;
use crate::matrix::{Echelon, null_space};
use crate::structural::{Orders, Point, evaluate_random};
use crate::system::System;

/// Whether a combination is a product of powers or a sum.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CombinationKind {
    Product,
    Sum,
}

impl CombinationKind {
    pub fn name(self) -> &'static str {
        match self {
            CombinationKind::Product => "product",
            CombinationKind::Sum => "sum",
        }
    }
}

/// An identifiable function of non-identifiable unknowns.
#[derive(Debug, Clone, PartialEq)]
pub struct Combination {
    pub kind: CombinationKind,
    /// (unknown index, exponent of a product or coefficient of a sum), non-zero ones only.
    pub terms: Vec<(usize, i64)>,
    pub expression: Expr,
}

/// What the search found.
#[derive(Debug)]
pub(crate) enum Found {
    /// A point with a higher rank than the first: the first was special.
    BetterPoint(Point),
    Combinations {
        combinations: Vec<Combination>,
        /// How many independent functions the combinations express.
        expressed: usize,
    },
}

/// Adds the null directions of one point, restricted to the non-identifiable
/// unknowns `free`, to the spans for sums (as they are) and for products
/// (divided by the unknowns' values: directions in log coordinates).
fn add_directions(
    sums: &mut Echelon,
    logs: &mut Echelon,
    point: &Point,
    kernel: &[Vec<Fp>],
    free: &[usize],
) -> bool {
    let mut grew = false;
    for v in kernel {
        let direction: Vec<Fp> = free.iter().map(|&j| v[j]).collect();
        let log_direction: Vec<Fp> = free
            .iter()
            .map(|&j| v[j] * point.u[j].inv().unwrap_or(Fp::ZERO))
            .collect();
        grew |= sums.insert(&direction);
        grew |= logs.insert(&log_direction);
    }
    grew
}

/// Searches identifiable products and sums of the unknowns `free` (the
/// non-identifiable ones), given the first point and its null space.
pub(crate) fn find_combinations(
    system: &System,
    point: &Point,
    kernel: &[Vec<Fp>],
    free: &[usize],
    rng: &mut ChaCha8Rng,
) -> Result<Found, Error> {
    let (m, s) = (system.unknowns.len(), free.len());
    if s == 0 {
        return Ok(Found::Combinations {
            combinations: Vec::new(),
            expressed: 0,
        });
    }
    let orders = Orders::Fixed(point.orders, point.rule);
    let (mut sums, mut logs) = (Echelon::new(), Echelon::new());
    add_directions(&mut sums, &mut logs, point, kernel, free);
    // The spans grow with each generic point until they are complete; two
    // points that add nothing end the search.
    let (mut quiet, mut samples) = (0, 0);
    while quiet < 2 && samples < s + 2 && (sums.rank() < s || logs.rank() < s) {
        samples += 1;
        let other = evaluate_random(system, rng, orders)?;
        if other.rank > point.rank {
            return Ok(Found::BetterPoint(other));
        }
        if other.rank < point.rank {
            continue;
        }
        let other_kernel = null_space(&other.rows, m);
        if add_directions(&mut sums, &mut logs, &other, &other_kernel, free) {
            quiet = 0;
        } else {
            quiet += 1;
        }
    }

    let mut candidates: Vec<(CombinationKind, Vec<i64>)> = Vec::new();
    for (kind, span) in [
        (CombinationKind::Product, &logs),
        (CombinationKind::Sum, &sums),
    ] {
        for v in null_space(&span.basis(), s) {
            if let Some(a) = integer_vector(&v) {
                candidates.push((kind, a));
            }
        }
    }

    // Confirm every candidate at a fresh point.
    let check = loop {
        let other = evaluate_random(system, rng, orders)?;
        if other.rank > point.rank {
            return Ok(Found::BetterPoint(other));
        }
        if other.rank == point.rank {
            break other;
        }
    };
    let check_kernel = null_space(&check.rows, m);
    candidates.retain(|(kind, a)| {
        check_kernel.iter().all(|v| {
            free.iter()
                .zip(a)
                .fold(Fp::ZERO, |acc, (&j, &c)| {
                    let moved = match kind {
                        CombinationKind::Sum => v[j],
                        CombinationKind::Product => v[j] * check.u[j].inv().unwrap_or(Fp::ZERO),
                    };
                    acc + Fp::from_i64(c) * moved
                })
                .is_zero()
        })
    });

    // Independent functions expressed: the rank of the candidates' gradients at the first point.
    let mut expressed = Echelon::new();
    for (kind, a) in &candidates {
        let gradient: Vec<Fp> = free
            .iter()
            .zip(a)
            .map(|(&j, &c)| match kind {
                CombinationKind::Sum => Fp::from_i64(c),
                CombinationKind::Product => Fp::from_i64(c) * point.u[j].inv().unwrap_or(Fp::ZERO),
            })
            .collect();
        expressed.insert(&gradient);
    }
    let combinations = candidates
        .into_iter()
        .map(|(kind, a)| {
            let terms: Vec<(usize, i64)> = free
                .iter()
                .zip(&a)
                .filter(|(_, c)| **c != 0)
                .map(|(&j, &c)| (j, c))
                .collect();
            Combination {
                kind,
                expression: expression(system, kind, &terms),
                terms,
            }
        })
        .collect();
    Ok(Found::Combinations {
        combinations,
        expressed: expressed.rank(),
    })
}

/// The smallest integer multiple of a vector of small rationals, its first
/// non-zero entry positive; `None` when an entry is not a small rational.
fn integer_vector(v: &[Fp]) -> Option<Vec<i64>> {
    let rationals: Vec<(i64, i64)> = v.iter().map(|x| x.to_rational()).collect::<Option<_>>()?;
    let lcm = rationals.iter().try_fold(1i128, |l, &(_, d)| {
        let l = l / gcd(l, i128::from(d)) * i128::from(d);
        (l < 1 << 40).then_some(l)
    })?;
    let ints: Vec<i128> = rationals
        .iter()
        .map(|&(n, d)| i128::from(n) * (lcm / i128::from(d)))
        .collect();
    let g = ints.iter().fold(0, |g, &x| gcd(g, x.abs()));
    let sign = ints.iter().find(|&&x| x != 0).map_or(1, |&x| x.signum());
    ints.iter()
        .map(|&x| i64::try_from(x * sign / g.max(1)).ok())
        .collect()
}

fn gcd(a: i128, b: i128) -> i128 {
    if b == 0 { a.abs() } else { gcd(b, a % b) }
}

/// The combination as an expression of the unknowns' names: `kcat * Etot`,
/// `a01 + a12 + a21`, `b^2 / c`.
fn expression(system: &System, kind: CombinationKind, terms: &[(usize, i64)]) -> Expr {
    let var = |j: usize| Expr::var(&system.unknowns[j].name);
    let power = |j: usize, e: i64| pow(var(j), Expr::Num(e.abs() as f64));
    match kind {
        CombinationKind::Product => {
            let part = |positive: bool| {
                terms
                    .iter()
                    .filter(|(_, e)| (*e > 0) == positive)
                    .map(|&(j, e)| power(j, e))
                    .reduce(mul)
            };
            match (part(true), part(false)) {
                (Some(num), Some(den)) => div(num, den),
                (Some(num), None) => num,
                (None, Some(den)) => div(Expr::Num(1.0), den),
                (None, None) => Expr::Num(1.0),
            }
        }
        CombinationKind::Sum => terms.iter().fold(Expr::Num(0.0), |acc, &(j, c)| {
            let term = mul(Expr::Num(c.abs() as f64), var(j));
            if c < 0 {
                sub(acc, term)
            } else {
                add(acc, term)
            }
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ratio(n: i64, d: i64) -> Fp {
        Fp::from_i64(n) * Fp::from_i64(d).inv().unwrap()
    }

    #[test]
    fn integer_vectors_are_scaled_to_coprime_integers() {
        let v = [ratio(1, 2), ratio(-1, 3), Fp::ZERO];
        assert_eq!(integer_vector(&v), Some(vec![3, -2, 0]));
        let v = [ratio(-2, 1), ratio(4, 1)];
        assert_eq!(integer_vector(&v), Some(vec![1, -2]));
        // A residue with no small rational behind it.
        assert_eq!(integer_vector(&[Fp::new(1_234_567_890_123_456_789)]), None);
    }
}
