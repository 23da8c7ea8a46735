//! The designs that fill the unit cube, behind one entry point.

use rand::Rng;

use crate::error::Error;
use crate::{grid, halton, lhs, sobol, uniform};

/// How points fill the unit cube [0, 1)^d.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Method {
    /// Independent uniform draws (plain Monte Carlo).
    Uniform,
    /// A cell-centred tensor grid; the count is rounded to a full grid.
    Grid,
    /// Latin hypercube (McKay, Beckman & Conover 1979).
    Lhs,
    /// Sobol sequence (Joe & Kuo 2008) with hash-based Owen scrambling (Burley 2020).
    Sobol,
    /// Halton sequence with random digit permutations (Matoušek 1998; Owen 2017).
    Halton,
}

impl Method {
    pub const ALL: [Method; 5] = [
        Method::Uniform,
        Method::Grid,
        Method::Lhs,
        Method::Sobol,
        Method::Halton,
    ];

    pub fn name(self) -> &'static str {
        match self {
            Method::Uniform => "uniform",
            Method::Grid => "grid",
            Method::Lhs => "lhs",
            Method::Sobol => "sobol",
            Method::Halton => "halton",
        }
    }

    /// How many points the method makes when `n` are asked for in `dim`
    /// dimensions: `n`, except for a grid, which rounds to a full grid.
    pub fn count(self, n: usize, dim: usize) -> usize {
        match self {
            Method::Grid => grid::count(n, dim),
            _ => n,
        }
    }
}

/// Points in the unit cube, one column per coordinate; `n` counts the points
/// also when there are no coordinates (a set at a single instant).
#[derive(Debug, Clone, PartialEq)]
pub struct UnitPoints {
    pub n: usize,
    pub columns: Vec<Vec<f64>>,
}

/// `n` points of `dim` coordinates in [0, 1) from `method` (a grid makes
/// [`Method::count`] points); the random choices come from `rng`.
pub fn unit_points(
    method: Method,
    n: usize,
    dim: usize,
    rng: &mut impl Rng,
) -> Result<UnitPoints, Error> {
    if dim == 0 {
        return Ok(UnitPoints {
            n: method.count(n, dim),
            columns: Vec::new(),
        });
    }
    let columns = match method {
        Method::Uniform => uniform::points(n, dim, rng),
        Method::Grid => grid::points(n, dim),
        Method::Lhs => lhs::points(n, dim, rng),
        Method::Sobol => sobol::points(n, dim, rng)?,
        Method::Halton => halton::points(n, dim, rng)?,
    };
    Ok(UnitPoints {
        n: columns[0].len(),
        columns,
    })
}
