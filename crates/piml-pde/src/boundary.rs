//! Boundary conditions of the model on the faces of the grid, per axis side.
//!
//! - Periodic: the first and last cells of the axis are neighbours.
//! - Zero-flux Neumann: the wall face carries no flux (nothing to compute).
//! - Dirichlet u = g(t, x, y): the flux through the wall face is
//!   D·(g − u_c)/(h/2), the value g sitting on the face half a cell from the
//!   centre (equivalently a ghost cell u_g = 2g − u_c; LeVeque 2007,
//!   "Finite Difference Methods for ODEs and PDEs", §2.12 and §9.1), which
//!   keeps the scheme second-order accurate.

use piml_model::expr::Tape;
use piml_model::{AxisBoundary, Model, SideCondition};

use crate::bind::{Binding, compile};
use crate::error::Error;
use crate::grid::Grid;

/// A compiled Dirichlet side: the boundary values of every species at the
/// centres of the wall faces on that side.
#[derive(Debug, Clone)]
pub(crate) struct DirichletSide {
    /// g_k(t, x, y), one output per species; inputs t then the coordinates.
    values: Tape,
    /// The cells along the wall, in the order of `points`.
    pub(crate) cells: Vec<usize>,
    /// Face-centre coordinates, one column per axis.
    points: Vec<Vec<f64>>,
    /// 1/h² of the axis normal to the wall.
    pub(crate) inv_h2: f64,
}

impl DirichletSide {
    /// g_k at time t for every wall face: one column per species.
    pub(crate) fn values(&self, t: f64, out: &mut [Vec<f64>]) {
        let t_column = vec![t; self.cells.len()];
        let mut inputs: Vec<&[f64]> = vec![&t_column];
        inputs.extend(self.points.iter().map(Vec::as_slice));
        self.values.eval_columns(&inputs, out);
    }
}

/// The boundary conditions of a model on a grid.
#[derive(Debug, Clone)]
pub(crate) struct Boundaries {
    /// Per axis, whether it is periodic.
    pub(crate) periodic: Vec<bool>,
    pub(crate) dirichlet: Vec<DirichletSide>,
}

impl Boundaries {
    pub(crate) fn new(model: &Model, grid: &Grid, binding: &Binding) -> Result<Self, Error> {
        if model.boundary.len() != grid.dim() {
            return Err(Error::Model {
                model: model.name.clone(),
                reason: format!(
                    "{} boundary conditions for {} space axes",
                    model.boundary.len(),
                    grid.dim()
                ),
            });
        }
        let mut inputs = vec!["t".to_string()];
        inputs.extend(grid.axes().iter().map(|a| a.name.clone()));
        let coordinates = grid.coordinates();
        let mut periodic = Vec::new();
        let mut dirichlet = Vec::new();
        for (axis, condition) in model.boundary.iter().enumerate() {
            let (min, max) = match condition {
                AxisBoundary::Periodic => {
                    periodic.push(true);
                    continue;
                }
                AxisBoundary::Sides { min, max } => (min, max),
            };
            periodic.push(false);
            let a = &grid.axes()[axis];
            for (side, index, wall) in [(min, 0, a.lo), (max, a.n - 1, a.hi)] {
                let SideCondition::Dirichlet(values) = side else {
                    continue;
                };
                let exprs = model
                    .species
                    .iter()
                    .map(|s| {
                        values
                            .iter()
                            .find(|(n, _)| *n == s.name)
                            .map(|(_, e)| binding.bind(e))
                            .ok_or_else(|| Error::Model {
                                model: model.name.clone(),
                                reason: format!(
                                    "boundary of axis '{}': no Dirichlet value for species '{}'",
                                    a.name, s.name
                                ),
                            })
                    })
                    .collect::<Result<Vec<_>, _>>()?;
                let cells = on_wall(grid, axis, index);
                let points = coordinates
                    .iter()
                    .enumerate()
                    .map(|(k, column)| {
                        cells
                            .iter()
                            .map(|&c| if k == axis { wall } else { column[c] })
                            .collect()
                    })
                    .collect();
                dirichlet.push(DirichletSide {
                    values: compile(&exprs, &inputs),
                    cells,
                    points,
                    inv_h2: 1.0 / (a.h() * a.h()),
                });
            }
        }
        Ok(Self {
            periodic,
            dirichlet,
        })
    }
}

/// The cells whose index along `axis` is `index`, in cell order.
fn on_wall(grid: &Grid, axis: usize, index: usize) -> Vec<usize> {
    let shape = grid.shape();
    let stride: usize = shape[..axis].iter().product();
    (0..grid.n_cells())
        .filter(|c| (c / stride) % shape[axis] == index)
        .collect()
}
