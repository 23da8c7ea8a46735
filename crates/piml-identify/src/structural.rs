//! Local structural identifiability by the rank of the Jacobian of the
//! outputs' Taylor coefficients with respect to the unknowns, evaluated
//! exactly over Z/pZ at a random point (Sedoglavic 2002, "A probabilistic
//! algorithm to test local algebraic observability in polynomial time";
//! the local test of SIAN and StructuralIdentifiability.jl).
//!
//! An unknown θⱼ is locally identifiable exactly when eⱼ lies in the row
//! space of that Jacobian at a generic point, i.e. when no vector of its
//! null space moves θⱼ. The rank at a random point is the generic rank
//! unless the point is a root of one of finitely many polynomials; the
//! Schwartz–Zippel lemma bounds the chance of that by degree/p.

use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

use crate::combinations::{Combination, Found, find_combinations};
use crate::error::Error;
use crate::field::{Fp, P};
use crate::matrix::{Echelon, null_space};
use crate::series::{Series, Taylor, Vanishing};
use crate::system::System;

/// Random points tried before a vanishing denominator is blamed on the model.
const ATTEMPTS: usize = 8;

/// How the number of Taylor orders was decided.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OrderRule {
    /// The initial values are generic: the span of the differentials of the
    /// output derivatives stopped growing, so it never grows again (the
    /// argument of Sedoglavic 2002, §3). Proven.
    Stabilised,
    /// Some initial values are fixed or tied (known numbers, shared
    /// parameters) or the equations depend on t: no general order bound is
    /// known, so the rank had to stay constant for this many further orders.
    Margin(usize),
    /// Every unknown was identifiable: more orders cannot change anything.
    FullRank,
}

/// The verdict on one unknown.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Verdict {
    pub identifiable: bool,
    /// Whether the outputs depend on it at all (a non-zero Jacobian column).
    pub affects_outputs: bool,
}

/// The result of the structural test, for the unknowns of a [`System`] in order.
#[derive(Debug, Clone)]
pub struct Structural {
    pub verdicts: Vec<Verdict>,
    /// Identifiable products and sums of the non-identifiable unknowns.
    pub combinations: Vec<Combination>,
    /// Rank of the Jacobian: how many independent functions of the unknowns the outputs determine.
    pub rank: usize,
    /// Taylor coefficients used per output (orders 0 … orders − 1).
    pub orders: usize,
    pub order_rule: OrderRule,
    /// Upper bound on the probability that the verdicts are wrong.
    pub error_bound: f64,
    /// Independent identifiable functions of the non-identifiable unknowns…
    pub hidden_functions: usize,
    /// …and how many of them the combinations found express.
    pub expressed_functions: usize,
}

/// How many Taylor orders a point evaluation computes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Orders {
    /// Decide by the rank (the first point).
    Adaptive,
    /// Exactly this many, as decided at the first point (whose rule it carries).
    Fixed(usize, OrderRule),
}

/// The Jacobian of the output coefficients at one point.
#[derive(Debug, Clone)]
pub(crate) struct Point {
    /// Values of the unknowns.
    pub u: Vec<Fp>,
    /// Rows ∂(Taylor coefficient)/∂(unknowns).
    pub rows: Vec<Vec<Fp>>,
    pub rank: usize,
    /// Rank with respect to all coordinates of the equations (species, parameters).
    rank_coordinates: usize,
    pub orders: usize,
    pub rule: OrderRule,
}

/// Draws a point whose coordinates are uniform on the non-zero residues.
fn draw(rng: &mut ChaCha8Rng, m: usize) -> Vec<Fp> {
    (0..m).map(|_| Fp::new(rng.random_range(1..P))).collect()
}

/// The Jacobian of the outputs' Taylor coefficients at the point `u`.
fn evaluate(system: &System, u: Vec<Fp>, orders: Orders) -> Result<Point, Vanishing> {
    let m = system.unknowns.len();
    let n = system.n_species();
    let z = system.n_coordinates();

    // Initial values and their derivatives with respect to the unknowns.
    let mut initial = Series::new(&system.initial_program, m, u.clone(), system.t0);
    initial.next_order(&[])?;
    let x0: Vec<&[Fp]> = system
        .initial_program
        .outputs()
        .iter()
        .map(|&o| initial.coefficient(o, 0))
        .collect();
    // d(coordinates)/d(unknowns): species rows from the initial values, then unit rows.
    let mut chain: Vec<Vec<Fp>> = x0.iter().map(|j| j[1..].to_vec()).collect();
    for &j in &system.theta {
        let mut row = vec![Fp::ZERO; m];
        row[j] = Fp::ONE;
        chain.push(row);
    }
    let mut chain_rank = Echelon::new();
    chain.iter().for_each(|r| {
        chain_rank.insert(r);
    });
    // The coordinates are generic when the unknowns move every one of them freely.
    let generic = chain_rank.rank() == z && !system.uses_time;

    let mut vars = vec![Fp::ZERO; z];
    for (r, &j) in system.theta.iter().enumerate() {
        vars[n + r] = u[j];
    }
    let states: Vec<Vec<Fp>> = (0..n)
        .map(|i| {
            let mut jet = vec![Fp::ZERO; z + 1];
            jet[0] = x0[i][0];
            jet[1 + i] = Fp::ONE;
            jet
        })
        .collect();
    let mut taylor = Taylor::new(&system.rhs, z, vars, system.t0, states);

    let margin = z + usize::from(system.uses_time) + 1;
    // The rank can grow at most m times; this many orders always suffice for the margin rule.
    let cap = (m + 1) * (margin + 1);
    let (mut by_unknowns, mut by_coordinates) = (Echelon::new(), Echelon::new());
    let mut rows = Vec::new();
    let mut last_growth = 0;
    let mut k = 0;
    let rule = loop {
        let before = (by_unknowns.rank(), by_coordinates.rank());
        for jet in taylor.next_order()? {
            let grad = &jet[1..];
            let row: Vec<Fp> = (0..m)
                .map(|j| {
                    grad.iter()
                        .zip(&chain)
                        .fold(Fp::ZERO, |s, (g, c)| s + *g * c[j])
                })
                .collect();
            by_coordinates.insert(grad);
            by_unknowns.insert(&row);
            rows.push(row);
        }
        if by_unknowns.rank() > before.0 {
            last_growth = k;
        }
        k += 1;
        match orders {
            Orders::Fixed(n, rule) if k >= n => break rule,
            Orders::Fixed(..) => continue,
            Orders::Adaptive => {}
        }
        if by_unknowns.rank() == m {
            break OrderRule::FullRank;
        }
        if generic {
            if k >= 2 && by_coordinates.rank() == before.1 {
                break OrderRule::Stabilised;
            }
        } else if k - 1 - last_growth >= margin || k >= cap {
            break OrderRule::Margin(margin);
        }
    };
    Ok(Point {
        u,
        rows,
        rank: by_unknowns.rank(),
        rank_coordinates: by_coordinates.rank(),
        orders: k,
        rule,
    })
}

/// Evaluates at fresh random points until no denominator vanishes.
pub(crate) fn evaluate_random(
    system: &System,
    rng: &mut ChaCha8Rng,
    orders: Orders,
) -> Result<Point, Error> {
    for _ in 0..ATTEMPTS {
        let u = draw(rng, system.unknowns.len());
        if let Ok(point) = evaluate(system, u, orders) {
            return Ok(point);
        }
    }
    Err(Error::Singular(format!(
        "model '{}': a denominator of the equations or outputs vanishes at t0 at every one of \
         {ATTEMPTS} random points: with the known parameters and initial values the model divides \
         by zero where the series are expanded (for instance 1/S with S(0) = 0)",
        system.model
    )))
}

/// The structural test: a verdict for every unknown, the identifiable
/// combinations of those that are not, and a bound on the chance of error.
/// `seed` fixes the random points.
pub fn structural(system: &System, seed: u64) -> Result<Structural, Error> {
    let m = system.unknowns.len();
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let mut point = evaluate_random(system, &mut rng, Orders::Adaptive)?;
    loop {
        let kernel = null_space(&point.rows, m);
        let verdicts: Vec<Verdict> = (0..m)
            .map(|j| Verdict {
                identifiable: kernel.iter().all(|v| v[j].is_zero()),
                affects_outputs: point.rows.iter().any(|r| !r[j].is_zero()),
            })
            .collect();
        let free: Vec<usize> = (0..m).filter(|&j| !verdicts[j].identifiable).collect();
        match find_combinations(system, &point, &kernel, &free, &mut rng)? {
            // A later point had a higher rank, so the first was special: start again from it.
            Found::BetterPoint(better) => point = better,
            Found::Combinations {
                combinations,
                expressed,
            } => {
                return Ok(Structural {
                    error_bound: error_bound(system, &point),
                    verdicts,
                    combinations,
                    rank: point.rank,
                    orders: point.orders,
                    order_rule: point.rule,
                    hidden_functions: free.len() - kernel.len(),
                    expressed_functions: expressed,
                });
            }
        }
    }
}

/// A bound on the probability that the random point gave a wrong verdict.
///
/// Written over one common denominator Q of degree dq, the right-hand sides
/// are Pᵢ/Q (degree ≤ dp) and an output N₀/Q; each Lie derivative raises the
/// numerator's degree by at most dp + dq − 1 (L(N/Qᵐ) = Σ Pᵢ(Q∂ᵢN − mN∂ᵢQ)/Q^(m+2)),
/// and a derivative of the result adds dq. Substituting the initial values
/// (rational of degree ≤ e in the unknowns) multiplies degrees by e. A minor
/// of the Jacobian then has degree at most the sum of its rows' bounds; the
/// verdicts are right when one minor for the rank of the whole Jacobian and
/// one per unknown for the rank without its column (m + 1 in all, plus one
/// for the stopping rule) do not vanish at the point: Schwartz–Zippel gives
/// a failure probability of at most (m + 2)·D/p.
fn error_bound(system: &System, point: &Point) -> f64 {
    let n = system.n_species();
    let deg = system.rhs.degrees();
    let outs = system.rhs.outputs();
    let dq: f64 = outs.iter().map(|&o| deg[o].1 as f64).sum();
    let lifted = |o: usize| deg[o].0 as f64 + dq - deg[o].1 as f64;
    let mut dp = outs[..n].iter().map(|&o| lifted(o)).fold(0.0, f64::max);
    if system.uses_time {
        dp = dp.max(dq);
    }
    let dn0 = outs[n..].iter().map(|&o| lifted(o)).fold(0.0, f64::max);
    let step = (dp + dq - 1.0).max(0.0);

    let ideg = system.initial_program.degrees();
    let iouts = system.initial_program.outputs();
    let beta: f64 = iouts.iter().map(|&o| ideg[o].1 as f64).sum();
    let alpha = iouts
        .iter()
        .map(|&o| ideg[o].0 as f64 + beta - ideg[o].1 as f64)
        .fold(0.0, f64::max);
    let e = alpha.max(beta).max(1.0);

    let q = system.outputs.len();
    let row_bound = |k: usize| e * (dn0 + k as f64 * step + dq) + e;
    // Bounds grow with the order, so the largest `size` rows are the last ones.
    let size = point.rank.max(point.rank_coordinates);
    let total: f64 = (0..point.orders)
        .rev()
        .flat_map(|k| std::iter::repeat_n(row_bound(k), q))
        .take(size)
        .sum();
    let m = system.unknowns.len() as f64;
    ((m + 2.0) * total / P as f64).min(1.0)
}
