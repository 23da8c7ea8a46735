//! Reaction–diffusion members of a plan: fields on a grid, perturbed initial
//! states, thinned output, and sparse measurements at random points and times.

use piml_model::Model;
use piml_pde::{Grid, RandomField, ReactionDiffusion, Solver};
use rand::Rng;

/// How a spatial model is simulated and what of its fields is written.
#[derive(Debug, Clone)]
pub struct Spatial {
    /// Cells per axis (`--grid NX[,NY]`).
    pub cells: Vec<usize>,
    pub solver: Solver,
    /// A random field added to each species' initial field, drawn anew for
    /// every member (`--random-initial`).
    pub random_initial: Option<RandomField>,
    /// Seeded uniform noise in [−a, a] added to every initial cell (`--perturb`).
    pub perturb: Option<f64>,
    /// Write every `stride`-th cell along each axis.
    pub stride: usize,
    /// Keep only this many random (cell, time) points: the measurements a
    /// PINN inverse problem is fed (`--measure`).
    pub measure: Option<usize>,
}

/// The fields of one member at the output times, as table columns.
#[derive(Debug)]
pub(crate) struct SpatialColumns {
    /// `t`, then one column per space axis.
    pub coords: Vec<Vec<f64>>,
    /// One column per species.
    pub species: Vec<Vec<f64>>,
    pub stats: piml_ode::Stats,
}

impl Spatial {
    /// The grid of `model`, checked once per condition.
    pub(crate) fn grid(&self, model: &Model) -> Result<Grid, piml_pde::Error> {
        Grid::new(model, &self.cells)
    }

    /// Integrates one member: builds the operator at `params`, perturbs the
    /// initial fields, solves, and lays the kept cells out as rows (time
    /// slowest, then y, then x).
    pub(crate) fn run(
        &self,
        model: &Model,
        grid: &Grid,
        params: &[f64],
        t0: f64,
        times: &[f64],
        rng: &mut impl Rng,
    ) -> Result<SpatialColumns, piml_pde::Error> {
        let rd = ReactionDiffusion::new(model, grid.clone(), params)?;
        let mut initial = rd.initial_state();
        if let Some(field) = &self.random_initial {
            for species in initial.iter_mut() {
                for (v, r) in species.iter_mut().zip(field.sample(grid, rng)) {
                    *v += r;
                }
            }
        }
        if let Some(a) = self.perturb {
            for v in initial.iter_mut().flatten() {
                *v += a * (2.0 * rng.random::<f64>() - 1.0);
            }
        }
        // Concentrations stay non-negative, whatever was added to them.
        if self.random_initial.is_some() || self.perturb.is_some() {
            initial.iter_mut().flatten().for_each(|v| *v = v.max(0.0));
        }
        let solution = self.solver.solve(&rd, &initial, t0, times)?;
        let kept = self.kept_cells(grid);
        let cell_coords = grid.coordinates();
        let mut coords = vec![Vec::with_capacity(kept.len() * times.len()); 1 + cell_coords.len()];
        let mut species = vec![Vec::with_capacity(kept.len() * times.len()); rd.n_species()];
        for (t, fields) in solution.t.iter().zip(&solution.fields) {
            coords[0].extend(std::iter::repeat_n(*t, kept.len()));
            for (dst, axis) in coords[1..].iter_mut().zip(&cell_coords) {
                dst.extend(kept.iter().map(|&c| axis[c]));
            }
            for (dst, field) in species.iter_mut().zip(fields) {
                dst.extend(kept.iter().map(|&c| field[c]));
            }
        }
        Ok(SpatialColumns {
            coords,
            species,
            stats: solution.stats,
        })
    }

    /// Cell indices (x fastest) of every `stride`-th cell along each axis.
    fn kept_cells(&self, grid: &Grid) -> Vec<usize> {
        let shape = grid.shape();
        (0..grid.n_cells())
            .filter(|&c| {
                let mut rest = c;
                shape.iter().all(|&n| {
                    let i = rest % n;
                    rest /= n;
                    i % self.stride == 0
                })
            })
            .collect()
    }
}
