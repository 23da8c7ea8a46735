//! Buckingham-π groups: a basis of the rational null space of the dimension
//! matrix, built from repeating variables chosen so that the familiar
//! groups appear (Buckingham 1914; Barenblatt 1996, *Scaling*, ch. 1).
//!
//! Repeating variables are picked greedily, in this order of preference,
//! whenever one raises the rank: rates (1/time), diffusivities
//! (length²/time), parameters in a species' units (carrying capacities,
//! Michaelis constants), other parameters, domain lengths. Each remaining
//! quantity q then gives one group q·Π rᵢ^(−cᵢ), scaled to coprime integer
//! powers with q's positive; so k L²/D (Damköhler) rather than D/(k L²).

use crate::dimensions::{Dimensions, Quantity, Role};
use crate::rational::{Ratio, integer_multiple, rank, solve};

/// A dimensionless product of quantities with integer powers.
#[derive(Debug, Clone, PartialEq)]
pub struct Group {
    /// The quantity the group is built around (the one not repeating).
    pub around: String,
    /// Factors and their integer powers, `around` first, then the
    /// repeating variables in their order.
    pub powers: Vec<(String, i64)>,
    /// The classical name, when the group is a familiar one.
    pub classical: Option<&'static str>,
    /// Whether the group holds a variable (t, x, a species): a dimensionless
    /// variable rather than a parameter group.
    pub variable: bool,
}

/// The kind of a quantity by its dimensions, for naming groups.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Rate,
    Diffusivity,
    Length,
    Time,
    Velocity,
    Concentration,
    Dimensionless,
    Other,
}

/// Exponents of (length, time) with every other base zero, if so.
fn length_time(dims: &[Ratio]) -> Option<(i64, i64)> {
    let rest_zero = dims.iter().skip(2).all(|d| d.is_zero());
    (rest_zero && dims[0].is_integer() && dims[1].is_integer())
        .then(|| (dims[0].numer(), dims[1].numer()))
}

fn kind(q: &Quantity, dims: &Dimensions) -> Kind {
    if q.dims.iter().all(|d| d.is_zero()) {
        return Kind::Dimensionless;
    }
    match length_time(&q.dims) {
        Some((0, -1)) => Kind::Rate,
        Some((2, -1)) => Kind::Diffusivity,
        Some((1, 0)) => Kind::Length,
        Some((0, 1)) => Kind::Time,
        Some((1, -1)) => Kind::Velocity,
        _ if dims
            .variables
            .iter()
            .any(|s| s.role == Role::Species && s.dims == q.dims) =>
        {
            Kind::Concentration
        }
        _ => Kind::Other,
    }
}

/// Repeating-variable preference: lower comes first.
fn preference(q: &Quantity, dims: &Dimensions) -> u8 {
    if matches!(q.role, Role::DomainLength(_)) {
        return 4;
    }
    match kind(q, dims) {
        Kind::Rate => 0,
        Kind::Diffusivity => 1,
        Kind::Concentration => 2,
        _ => 3,
    }
}

/// Parameters and domain lengths in the order of preference as repeating
/// variables (a stable sort: declaration order within a kind).
pub fn by_preference(dims: &Dimensions) -> Vec<&Quantity> {
    let mut candidates: Vec<&Quantity> = dims.physical.iter().collect();
    candidates.sort_by_key(|q| preference(q, dims));
    candidates
}

/// The repeating variables: a maximal dimensionally independent set of
/// the parameters and domain lengths, in the order of preference.
pub fn repeating(dims: &Dimensions) -> Vec<&Quantity> {
    let candidates = by_preference(dims);
    let mut chosen: Vec<&Quantity> = Vec::new();
    for q in candidates {
        let mut trial: Vec<Vec<Ratio>> = chosen.iter().map(|c| c.dims.clone()).collect();
        trial.push(q.dims.clone());
        if rank(&trial) == trial.len() {
            chosen.push(q);
        }
    }
    chosen
}

/// The π groups: one per parameter or domain length that does not repeat,
/// and one per variable whose dimensions the repeating variables span.
pub fn pi_groups(dims: &Dimensions) -> Vec<Group> {
    let rep = repeating(dims);
    let basis: Vec<Vec<Ratio>> = rep.iter().map(|q| q.dims.clone()).collect();
    dims.physical
        .iter()
        .filter(|q| !rep.iter().any(|r| r.name == q.name))
        .chain(&dims.variables)
        .filter_map(|q| {
            let c = solve(&basis, &q.dims)?;
            let mut exps = vec![Ratio::ONE];
            exps.extend(c.iter().map(|x| -*x));
            let ints = integer_multiple(&exps);
            let names = std::iter::once(q.name.clone()).chain(rep.iter().map(|r| r.name.clone()));
            let powers: Vec<(String, i64)> = names
                .zip(&ints)
                .filter(|(_, p)| !p.is_zero())
                .map(|(n, p)| (n, p.numer()))
                .collect();
            let variable = matches!(q.role, Role::Coordinate | Role::Species);
            Some(Group {
                around: q.name.clone(),
                classical: classical_name(&powers, dims, variable),
                powers,
                variable,
            })
        })
        .collect()
}

/// Names the familiar groups by the kinds of their factors.
pub(crate) fn classical_name(
    powers: &[(String, i64)],
    dims: &Dimensions,
    variable: bool,
) -> Option<&'static str> {
    let kinds: Vec<(Kind, i64)> = powers
        .iter()
        .map(|(n, p)| {
            let q = dims.physical(n).or_else(|| dims.variable(n));
            (q.map_or(Kind::Other, |q| kind(q, dims)), *p)
        })
        .collect();
    let has = |k: Kind, p: i64| kinds.iter().filter(|(kk, pp)| *kk == k && *pp == p).count();
    if variable {
        return match kinds.as_slice() {
            [(Kind::Time, 1), ..] => Some("dimensionless time"),
            [(Kind::Length, _), ..] => Some("dimensionless position"),
            [(Kind::Dimensionless, 1)] => Some("dimensionless variable"),
            _ => Some("dimensionless concentration"),
        };
    }
    match kinds.len() {
        1 if kinds[0].0 == Kind::Dimensionless => return Some("dimensionless parameter"),
        2 if kinds[0].0 == kinds[1].0 && kinds[0].1 == -kinds[1].1 && kinds[0].1.abs() == 1 => {
            return Some(match kinds[0].0 {
                Kind::Diffusivity => "diffusivity ratio",
                Kind::Rate => "rate ratio",
                Kind::Length => "length ratio",
                Kind::Time => "time ratio",
                Kind::Velocity => "speed ratio",
                Kind::Concentration => "concentration ratio",
                _ => "ratio",
            });
        }
        3 if has(Kind::Rate, 1) == 1
            && has(Kind::Length, 2) == 1
            && has(Kind::Diffusivity, -1) == 1 =>
        {
            return Some("Damköhler number (reaction over diffusion, k L²/D)");
        }
        3 if has(Kind::Velocity, 1) == 1
            && has(Kind::Length, 1) == 1
            && has(Kind::Diffusivity, -1) == 1 =>
        {
            return Some("Péclet number (advection over diffusion, v L/D)");
        }
        3 if has(Kind::Velocity, 2) == 1
            && has(Kind::Diffusivity, -1) == 1
            && has(Kind::Rate, -1) == 1 =>
        {
            return Some("front speed over the Fisher–KPP scale √(D r), squared");
        }
        2 if has(Kind::Rate, 1) == 1 && has(Kind::Time, 1) == 1 => {
            return Some("dimensionless time");
        }
        _ => {}
    }
    None
}

/// The group as an expression string with integer powers: numerator
/// factors, then `/` and the denominator (`L_x^2*k/D`).
pub fn group_text(powers: &[(String, i64)]) -> String {
    let side = |positive: bool| -> Vec<String> {
        powers
            .iter()
            .filter(|(_, p)| (*p > 0) == positive)
            .map(|(n, p)| match p.abs() {
                1 => n.clone(),
                a => format!("{n}^{a}"),
            })
            .collect()
    };
    let (num, den) = (side(true), side(false));
    let num_text = if num.is_empty() {
        "1".to_string()
    } else {
        num.join("*")
    };
    match den.len() {
        0 => num_text,
        1 => format!("{num_text}/{}", den[0]),
        _ => format!("{num_text}/({})", den.join("*")),
    }
}
