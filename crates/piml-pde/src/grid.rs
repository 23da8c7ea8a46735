//! Rectangular cell-centred grids over the model's space spans.
//!
//! The domain [lo, hi] of each axis is cut into n cells of width h = (hi − lo)/n
//! and the unknowns are the cell values at the centres lo + (i + ½)h. Cell
//! centring is a finite-volume choice (LeVeque 2002, "Finite Volume Methods
//! for Hyperbolic Problems", ch. 4): the change of a cell is the difference of
//! the fluxes through its faces, so whatever leaves one cell enters its
//! neighbour and a zero-flux wall passes nothing — total mass is conserved to
//! round-off, not just to truncation error. Boundary conditions sit on the
//! faces at lo and hi, and a periodic axis of n cells has period hi − lo
//! with no duplicated point, which is also the grid of the FFT.
//!
//! Cells are numbered with x fastest: cell (i, j) is c = i + nx·j.

use piml_model::Model;

use crate::error::Error;

/// Fewest cells per axis: a cell needs two distinct neighbours on a periodic axis.
pub const MIN_CELLS: usize = 3;

/// One axis of a grid: `n` cells of equal width over [lo, hi].
#[derive(Debug, Clone, PartialEq)]
pub struct GridAxis {
    /// The coordinate's name in the model (`x` or `y`).
    pub name: String,
    pub lo: f64,
    pub hi: f64,
    pub n: usize,
}

impl GridAxis {
    /// Cell width h = (hi − lo)/n.
    pub fn h(&self) -> f64 {
        (self.hi - self.lo) / self.n as f64
    }

    /// Centre of cell i.
    pub fn centre(&self, i: usize) -> f64 {
        self.lo + (i as f64 + 0.5) * self.h()
    }
}

/// A 1-D or 2-D rectangular cell-centred grid.
#[derive(Debug, Clone, PartialEq)]
pub struct Grid {
    axes: Vec<GridAxis>,
}

impl Grid {
    /// The grid of `cells` = [nx] or [nx, ny] cells over the model's space spans.
    pub fn new(model: &Model, cells: &[usize]) -> Result<Grid, Error> {
        if !model.is_spatial() {
            return Err(Error::Grid {
                reason: format!(
                    "model '{}' has no 'space' section: a grid needs space axes",
                    model.name
                ),
            });
        }
        if cells.len() != model.space.len() {
            let axes: Vec<&str> = model.space.iter().map(|(n, _)| n.as_str()).collect();
            return Err(Error::Grid {
                reason: format!(
                    "{} cell count(s) given for a {}-D model (axes {}): give one per axis",
                    cells.len(),
                    model.space.len(),
                    axes.join(", ")
                ),
            });
        }
        let axes = model
            .space
            .iter()
            .zip(cells)
            .map(|((name, axis), &n)| {
                let [lo, hi] = axis.span.ok_or_else(|| Error::Grid {
                    reason: format!("space axis '{name}' has no span"),
                })?;
                if !(lo.is_finite() && hi.is_finite() && lo < hi) {
                    return Err(Error::Grid {
                        reason: format!(
                            "space axis '{name}': span [{lo}, {hi}] is not an interval"
                        ),
                    });
                }
                if n < MIN_CELLS {
                    return Err(Error::Grid {
                        reason: format!(
                            "axis '{name}': {n} cells, at least {MIN_CELLS} are needed"
                        ),
                    });
                }
                Ok(GridAxis {
                    name: name.clone(),
                    lo,
                    hi,
                    n,
                })
            })
            .collect::<Result<Vec<_>, _>>()?;
        Ok(Grid { axes })
    }

    /// Number of space dimensions (1 or 2).
    pub fn dim(&self) -> usize {
        self.axes.len()
    }

    pub fn axes(&self) -> &[GridAxis] {
        &self.axes
    }

    /// Cells per axis, x first.
    pub fn shape(&self) -> Vec<usize> {
        self.axes.iter().map(|a| a.n).collect()
    }

    pub fn n_cells(&self) -> usize {
        self.axes.iter().map(|a| a.n).product()
    }

    /// Length (1-D) or area (2-D) of one cell.
    pub fn cell_volume(&self) -> f64 {
        self.axes.iter().map(GridAxis::h).product()
    }

    /// The cell-centre coordinates as columns, one per axis (x, then y),
    /// each of length [`Grid::n_cells`] in cell order (x fastest).
    pub fn coordinates(&self) -> Vec<Vec<f64>> {
        let n = self.n_cells();
        let mut stride = 1;
        self.axes
            .iter()
            .map(|axis| {
                let column = (0..n).map(|c| axis.centre((c / stride) % axis.n)).collect();
                stride *= axis.n;
                column
            })
            .collect()
    }

    /// ∫ u over the domain by the midpoint rule: Σ u_c · cell volume, which
    /// is the total mass that zero-flux boundaries conserve exactly.
    pub fn integrate(&self, field: &[f64]) -> f64 {
        field.iter().sum::<f64>() * self.cell_volume()
    }
}
