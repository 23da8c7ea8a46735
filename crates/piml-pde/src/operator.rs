//! The semi-discrete reaction–diffusion operator: the method of lines turns
//! u_t = ∇·(D∇u) + R(u, x, y, t) into an ODE system for the cell values.
//!
//! Diffusion is in conservative flux form (LeVeque 2002, §4.1): through the
//! face between neighbour cells a and b along an axis of spacing h flows
//! F = D_f·(u_b − u_a)/h, and each cell changes by the net inflow over h:
//! du_a/dt += F/h, du_b/dt −= F/h. The face diffusivity is the arithmetic
//! mean D_f = (D_a + D_b)/2 of the cell values (second order for smooth D;
//! the harmonic mean would suit jumps in D better, but D is an expression
//! here and smooth). The fluxes cancel in pairs, so with zero-flux walls the
//! total Σ u_c·volume changes only by the reactions, exactly up to round-off.
//!
//! The state vector holds the species of one cell together (ns values per
//! cell), and the cells in an order that keeps neighbours close: x fastest
//! then y, and on a periodic axis the "folded" order 0, n−1, 1, n−2, …
//! interleaved, so that the wrap-around neighbours are 1 apart instead of
//! n − 1. The Jacobian is then banded with half-bandwidth ns·(largest
//! neighbour distance) + ns − 1: 2ns − 1 in 1-D, about ns·nx (2ns·nx when y
//! is periodic) in 2-D. In 1-D the stiff integrator factorises that band; in
//! 2-D the band is too wide (a banded LU at 128² costs ~400 MB and minutes),
//! so the Jacobian is declared sparse instead: CSR with each cell's species
//! block and the 5-point neighbours, solved by ILU(0)-preconditioned GMRES
//! in piml-ode. Every entry is exact: the symbolic derivatives of the
//! reaction terms and the diffusivities, compiled.

use nalgebra::DMatrix;
use piml_model::Model;
use piml_model::expr::{Expr, Tape};
use piml_ode::{BandedMatrix, JacobianStructure, OdeSystem, SparseMatrix};

use crate::bind::{Binding, compile, jacobian};
use crate::boundary::Boundaries;
use crate::error::Error;
use crate::grid::Grid;

/// The face between neighbour cells a and b (b after a along the axis).
#[derive(Debug, Clone, Copy)]
struct Face {
    a: usize,
    b: usize,
    /// 1/h² of the axis.
    inv_h2: f64,
}

/// A face seen from one of the two cells it borders: the face's flux enters
/// that cell with `sign` (+1 for its cell a, −1 for b).
#[derive(Debug, Clone, Copy)]
struct Incidence {
    face: usize,
    sign: f64,
}

/// The diffusivities D_k of the species.
#[derive(Debug, Clone)]
enum Diffusion {
    /// Numbers, once the parameters are known.
    Constant(Vec<f64>),
    /// Expressions of species, coordinates and time; `jacobian` (∂D_k/∂u_s)
    /// is absent when no D_k depends on a species.
    Field {
        values: Tape,
        jacobian: Option<Tape>,
    },
}

/// One field per species, each of [`Grid::n_cells`] values in cell order (x fastest).
pub type Fields = Vec<Vec<f64>>;

/// A reaction–diffusion model discretised on a grid: an [`OdeSystem`] with a
/// banded (1-D) or sparse (2-D) Jacobian.
///
/// Fields (what callers see) are one vector per species, of length
/// [`Grid::n_cells`] in cell order (x fastest); the ODE state orders the
/// cells for a narrow band (see the module notes), and
/// [`ReactionDiffusion::state`] and [`ReactionDiffusion::fields`] convert.
#[derive(Debug, Clone)]
pub struct ReactionDiffusion {
    model: String,
    species: Vec<String>,
    grid: Grid,
    boundaries: Boundaries,
    coordinates: Vec<Vec<f64>>,
    /// Position of each cell's block of ns values in the state vector.
    block: Vec<usize>,
    faces: Vec<Face>,
    /// The faces of cell c, in face order, are
    /// `incidence[incidence_start[c]..incidence_start[c + 1]]`.
    incidence_start: Vec<usize>,
    incidence: Vec<Incidence>,
    /// Half-bandwidth of the Jacobian (lower = upper).
    bandwidth: usize,
    /// R_k over the species and the coordinates and time in `reaction_uses`.
    reaction: Tape,
    /// Whether the reaction terms mention each coordinate, then time.
    reaction_uses: Vec<bool>,
    /// ∂R_k/∂u_s, column-major (k + ns·s).
    reaction_jacobian: Tape,
    diffusion: Diffusion,
    initial: Tape,
}

impl ReactionDiffusion {
    /// Discretises `model` on `grid` with parameter values `params` (in the
    /// model's declaration order). A species without `diffusion` does not
    /// move (D = 0).
    pub fn new(model: &Model, grid: Grid, params: &[f64]) -> Result<Self, Error> {
        let model_error = |reason: String| Error::Model {
            model: model.name.clone(),
            reason,
        };
        if model.is_algebraic() {
            return Err(model_error(
                "an algebraic model has no species to simulate".into(),
            ));
        }
        let axes: Vec<&str> = model.space.iter().map(|(n, _)| n.as_str()).collect();
        let grid_axes: Vec<&str> = grid.axes().iter().map(|a| a.name.as_str()).collect();
        if axes != grid_axes {
            return Err(Error::Grid {
                reason: format!(
                    "the grid has axes [{}] but model '{}' has [{}]",
                    grid_axes.join(", "),
                    model.name,
                    axes.join(", ")
                ),
            });
        }
        if params.len() != model.parameters.len() {
            return Err(model_error(format!(
                "{} parameter values given for {} parameters",
                params.len(),
                model.parameters.len()
            )));
        }
        if let Some((p, v)) = model
            .parameters
            .iter()
            .zip(params)
            .find(|(_, v)| !v.is_finite())
        {
            return Err(model_error(format!(
                "parameter '{}' = {v} is not finite",
                p.name
            )));
        }
        let binding = Binding::new(&model.parameter_names(), params);
        let species: Vec<String> = model.species.iter().map(|s| s.name.clone()).collect();
        let coordinate_names: Vec<String> = grid.axes().iter().map(|a| a.name.clone()).collect();
        let mut inputs = species.clone();
        inputs.extend(coordinate_names.iter().cloned());
        inputs.push("t".into());

        let reaction: Vec<Expr> = model
            .reaction_terms()
            .iter()
            .map(|e| binding.bind(e))
            .collect();
        let diffusion: Vec<Expr> = model
            .species
            .iter()
            .map(|s| {
                s.diffusion
                    .as_ref()
                    .map_or(Expr::Num(0.0), |d| binding.bind(d))
            })
            .collect();
        let diffusion = match diffusion
            .iter()
            .map(Expr::as_num)
            .collect::<Option<Vec<f64>>>()
        {
            Some(values) => {
                // A negative diffusivity makes the problem ill-posed (backward diffusion): the
                // solver would blow up at the grid scale, far from the cause.
                if let Some((s, d)) = species.iter().zip(&values).find(|(_, d)| **d < 0.0) {
                    return Err(Error::Model {
                        model: model.name.clone(),
                        reason: format!(
                            "species '{s}': diffusion {d} is negative (at the parameters' values)"
                        ),
                    });
                }
                Diffusion::Constant(values)
            }
            None => Diffusion::Field {
                values: compile(&diffusion, &inputs),
                jacobian: diffusion
                    .iter()
                    .any(|d| species.iter().any(|s| d.mentions(s)))
                    .then(|| compile(&jacobian(&diffusion, &species), &inputs)),
            },
        };
        let initial: Vec<Expr> = model
            .species
            .iter()
            .map(|s| binding.bind(&s.initial))
            .collect();

        let boundaries = Boundaries::new(model, &grid, &binding)?;
        let block = cell_order(&grid, &boundaries.periodic);
        let faces = faces(&grid, &boundaries.periodic);
        let ns = species.len();
        let spread = faces
            .iter()
            .map(|f| block[f.a].abs_diff(block[f.b]))
            .max()
            .unwrap_or(0);
        // The reaction tape reads the species and only those coordinates and
        // time that the terms mention: each input is copied per evaluation.
        let reaction_uses: Vec<bool> = inputs[species.len()..]
            .iter()
            .map(|name| reaction.iter().any(|e| e.mentions(name)))
            .collect();
        let reaction_names: Vec<String> = inputs[..species.len()]
            .iter()
            .chain(
                inputs[species.len()..]
                    .iter()
                    .zip(&reaction_uses)
                    .filter(|(_, used)| **used)
                    .map(|(name, _)| name),
            )
            .cloned()
            .collect();
        let (incidence_start, incidence) = incidence(grid.n_cells(), &faces);
        Ok(Self {
            model: model.name.clone(),
            reaction: compile(&reaction, &reaction_names),
            reaction_uses,
            reaction_jacobian: compile(&jacobian(&reaction, &species), &inputs),
            initial: compile(&initial, &coordinate_names),
            diffusion,
            coordinates: grid.coordinates(),
            bandwidth: ns * spread + ns - 1,
            species,
            grid,
            boundaries,
            block,
            faces,
            incidence_start,
            incidence,
        })
    }

    pub fn model_name(&self) -> &str {
        &self.model
    }

    pub fn species(&self) -> &[String] {
        &self.species
    }

    pub fn n_species(&self) -> usize {
        self.species.len()
    }

    pub fn grid(&self) -> &Grid {
        &self.grid
    }

    /// Whether each axis (x, then y) is periodic.
    pub fn periodic(&self) -> &[bool] {
        &self.boundaries.periodic
    }

    /// The diffusivities when every one is a constant (after the parameters
    /// are substituted), else `None`.
    pub fn constant_diffusion(&self) -> Option<&[f64]> {
        match &self.diffusion {
            Diffusion::Constant(d) => Some(d),
            Diffusion::Field { .. } => None,
        }
    }

    /// Half-bandwidth of the Jacobian in the state ordering.
    pub fn bandwidth(&self) -> usize {
        self.bandwidth
    }

    /// The model's initial expressions on the cell centres, one field per species.
    pub fn initial_state(&self) -> Fields {
        let inputs: Vec<&[f64]> = self.coordinates.iter().map(Vec::as_slice).collect();
        let mut out = vec![Vec::new(); self.n_species()];
        self.initial.eval_columns(&inputs, &mut out);
        out
    }

    /// The ODE state vector of the fields; checks their sizes and values.
    pub fn state(&self, fields: &[Vec<f64>]) -> Result<Vec<f64>, Error> {
        let (ns, n) = (self.n_species(), self.grid.n_cells());
        let invalid = |reason: String| Error::InvalidState {
            what: "initial fields",
            reason,
        };
        if fields.len() != ns {
            return Err(invalid(format!("{} fields for {ns} species", fields.len())));
        }
        let mut y = vec![0.0; ns * n];
        for (k, field) in fields.iter().enumerate() {
            if field.len() != n {
                return Err(invalid(format!(
                    "species '{}' has {} values for {n} cells",
                    self.species[k],
                    field.len()
                )));
            }
            if let Some(c) = field.iter().position(|v| !v.is_finite()) {
                return Err(invalid(format!(
                    "species '{}' is {} in cell {c}",
                    self.species[k], field[c]
                )));
            }
        }
        self.scatter(fields, &mut y);
        Ok(y)
    }

    /// The fields of an ODE state vector, one per species in cell order.
    pub fn fields(&self, y: &[f64]) -> Fields {
        let ns = self.n_species();
        (0..ns)
            .map(|k| self.block.iter().map(|b| y[b * ns + k]).collect())
            .collect()
    }

    /// The input columns of the compiled expressions: species, coordinates, time.
    fn inputs<'a>(&'a self, u: &'a [Vec<f64>], t: &'a [f64]) -> Vec<&'a [f64]> {
        let mut inputs: Vec<&[f64]> = u.iter().map(Vec::as_slice).collect();
        inputs.extend(self.coordinates.iter().map(Vec::as_slice));
        inputs.push(t);
        inputs
    }

    /// R_k(u, x, y, t) on every cell, one column per species.
    pub fn reaction(&self, t: f64, u: &[Vec<f64>], out: &mut [Vec<f64>]) {
        let t = vec![t; self.grid.n_cells()];
        let inputs = self.inputs(u, &t);
        self.reaction
            .eval_columns(&self.reaction_inputs(&inputs), out);
    }

    /// R_k on the cells `cells` (a range in cell order) from the values
    /// there: `u` one column per species and `t` the time of each cell (the
    /// columns may be longer than the range; their heads are used). On the
    /// calling thread, with `work` as the tape's work area.
    pub(crate) fn reaction_on(
        &self,
        cells: std::ops::Range<usize>,
        (u, t): (&[Vec<f64>], &[f64]),
        out: &mut [Vec<f64>],
        work: &mut Vec<f64>,
    ) {
        let len = cells.len();
        let mut inputs: Vec<&[f64]> = u.iter().map(|u| &u[..len]).collect();
        inputs.extend(self.coordinates.iter().map(|c| &c[cells.clone()]));
        inputs.push(&t[..len]);
        self.reaction
            .eval_columns_into(&self.reaction_inputs(&inputs), out, work);
    }

    /// The reaction tape's inputs among `all` (species, coordinates, time).
    fn reaction_inputs<'a>(&self, all: &[&'a [f64]]) -> Vec<&'a [f64]> {
        let ns = self.n_species();
        let used = all[ns..]
            .iter()
            .zip(&self.reaction_uses)
            .filter(|(_, used)| **used)
            .map(|(column, _)| *column);
        all[..ns].iter().copied().chain(used).collect()
    }

    /// D_k on every cell.
    fn diffusivities(&self, inputs: &[&[f64]]) -> Vec<Vec<f64>> {
        match &self.diffusion {
            Diffusion::Constant(d) => d.iter().map(|&d| vec![d; self.grid.n_cells()]).collect(),
            Diffusion::Field { values, .. } => {
                let mut out = vec![Vec::new(); self.n_species()];
                values.eval_columns(inputs, &mut out);
                out
            }
        }
    }

    /// The Dirichlet values of every wall face of every Dirichlet side at t.
    fn wall_values(&self, t: f64) -> Vec<Vec<Vec<f64>>> {
        self.boundaries
            .dirichlet
            .iter()
            .map(|side| {
                let mut g = vec![Vec::new(); self.n_species()];
                side.values(t, &mut g);
                g
            })
            .collect()
    }

    /// Compiled expressions of (species, coordinates, t) on every cell.
    pub(crate) fn eval_cells(&self, tape: &Tape, t: f64, u: &[Vec<f64>], out: &mut [Vec<f64>]) {
        let t = vec![t; self.grid.n_cells()];
        tape.eval_columns(&self.inputs(u, &t), out);
    }

    /// Adds to `du` the net inflow through every face, D_f·(u_b − u_a)/h² with
    /// the face diffusivity D_f = (d_a + d_b)/2 of the cell values `d`.
    pub(crate) fn add_fluxes(&self, u: &[Vec<f64>], d: &[Vec<f64>], du: &mut [Vec<f64>]) {
        self.add_face_fluxes(u, |k, a, b| 0.5 * (d[k][a] + d[k][b]), du);
    }

    /// Adds to `du` the net inflow through every face, D_f·(u_b − u_a)/h²
    /// with D_f = `face_diffusivity(species, a, b)`. The fluxes are computed
    /// first and then gathered cell by cell, each cell's in face order (the
    /// sums of a loop adding every face to both its cells, to the last bit):
    /// that loop would chain each face's update of a cell through memory to
    /// the next face's.
    fn add_face_fluxes(
        &self,
        u: &[Vec<f64>],
        face_diffusivity: impl Fn(usize, usize, usize) -> f64,
        du: &mut [Vec<f64>],
    ) {
        let mut flux = vec![0.0; self.faces.len()];
        for (k, (du, u)) in du.iter_mut().zip(u).enumerate() {
            for (flux, f) in flux.iter_mut().zip(&self.faces) {
                *flux = face_diffusivity(k, f.a, f.b) * (u[f.b] - u[f.a]) * f.inv_h2;
            }
            for (du, ends) in du.iter_mut().zip(self.incidence_start.windows(2)) {
                for i in &self.incidence[ends[0]..ends[1]] {
                    *du += i.sign * flux[i.face];
                }
            }
        }
    }

    /// Adds to `du` the inflow through the Dirichlet walls, 2·d·(g − u)/h²
    /// (the wall half a cell away), with the cell values `d` as the wall's diffusivity.
    pub(crate) fn add_walls(&self, t: f64, u: &[Vec<f64>], d: &[Vec<f64>], du: &mut [Vec<f64>]) {
        self.add_wall_inflow(t, u, |k, c| d[k][c], du);
    }

    /// Adds to `du` the inflow through the Dirichlet walls, 2·d·(g − u)/h²
    /// with the wall's diffusivity d = `cell_diffusivity(species, cell)`.
    fn add_wall_inflow(
        &self,
        t: f64,
        u: &[Vec<f64>],
        cell_diffusivity: impl Fn(usize, usize) -> f64,
        du: &mut [Vec<f64>],
    ) {
        for (side, g) in self.boundaries.dirichlet.iter().zip(self.wall_values(t)) {
            for (i, &c) in side.cells.iter().enumerate() {
                for k in 0..self.n_species() {
                    du[k][c] += 2.0 * cell_diffusivity(k, c) * (g[k][i] - u[k][c]) * side.inv_h2;
                }
            }
        }
    }

    /// Writes fields (one per species, cell order) into a state vector.
    pub(crate) fn scatter(&self, fields: &[Vec<f64>], y: &mut [f64]) {
        for (k, field) in fields.iter().enumerate() {
            for (c, v) in field.iter().enumerate() {
                y[self.index(c, k)] = *v;
            }
        }
    }

    /// The state index of species k in cell c.
    #[inline]
    pub fn index(&self, c: usize, k: usize) -> usize {
        self.block[c] * self.n_species() + k
    }
}

impl OdeSystem for ReactionDiffusion {
    fn dim(&self) -> usize {
        self.n_species() * self.grid.n_cells()
    }

    fn rhs(&self, t: f64, y: &[f64], dydt: &mut [f64]) {
        let u = self.fields(y);
        let t_column = vec![t; self.grid.n_cells()];
        let inputs = self.inputs(&u, &t_column);
        let mut du = vec![Vec::new(); self.n_species()];
        self.reaction
            .eval_columns(&self.reaction_inputs(&inputs), &mut du);
        match &self.diffusion {
            // No per-cell columns: the face value (D + D)/2 is D exactly, so
            // the result is the same to the last bit.
            Diffusion::Constant(d) => {
                self.add_face_fluxes(&u, |k, _, _| d[k], &mut du);
                self.add_wall_inflow(t, &u, |k, _| d[k], &mut du);
            }
            Diffusion::Field { .. } => {
                let d = self.diffusivities(&inputs);
                self.add_fluxes(&u, &d, &mut du);
                self.add_walls(t, &u, &d, &mut du);
            }
        }
        self.scatter(&du, dydt);
    }

    /// The dense Jacobian (for small grids and checks).
    fn jacobian(&self, t: f64, y: &[f64], jac: &mut DMatrix<f64>) {
        jac.fill(0.0);
        self.assemble_jacobian(t, y, |i, j, v| jac[(i, j)] += v);
    }

    /// Banded in 1-D; sparse in 2-D, where the band (about ns·nx wide) would
    /// make the LU cost O(n·(ns·nx)²).
    fn jacobian_structure(&self) -> JacobianStructure {
        if self.grid.dim() == 1 {
            JacobianStructure::Banded {
                lower: self.bandwidth,
                upper: self.bandwidth,
            }
        } else {
            JacobianStructure::Sparse {
                fields: self.n_species(),
            }
        }
    }

    fn banded_jacobian(&self, t: f64, y: &[f64], jac: &mut BandedMatrix) {
        jac.clear();
        self.assemble_jacobian(t, y, |i, j, v| jac.add(i, j, v));
    }

    /// Every cell's ns×ns reaction block, and per face the couplings of the
    /// two cells: species to itself, or every species to every other when a
    /// diffusivity depends on the species.
    fn sparse_pattern(&self) -> SparseMatrix {
        let ns = self.n_species();
        let cross = matches!(
            self.diffusion,
            Diffusion::Field {
                jacobian: Some(_),
                ..
            }
        );
        let blocks = (0..self.grid.n_cells())
            .map(|c| (c, c))
            .chain(self.faces.iter().flat_map(|f| [(f.a, f.b), (f.b, f.a)]));
        let positions = blocks.flat_map(|(a, b)| {
            (0..ns).flat_map(move |k| {
                (0..ns)
                    .filter(move |&s| cross || a == b || s == k)
                    .map(move |s| (self.index(a, k), self.index(b, s)))
            })
        });
        SparseMatrix::with_pattern(self.dim(), positions.collect::<Vec<_>>())
    }

    fn sparse_jacobian(&self, t: f64, y: &[f64], jac: &mut SparseMatrix) {
        jac.clear();
        self.assemble_jacobian(t, y, |i, j, v| jac.add(i, j, v));
    }
}

impl ReactionDiffusion {
    /// Adds every term of the exact Jacobian at (t, y) through `add(row,
    /// column, value)`: the reaction derivatives per cell, the flux
    /// derivatives per face, the Dirichlet wall terms. The positions touched
    /// do not depend on the values (see [`OdeSystem::sparse_pattern`]).
    fn assemble_jacobian(&self, t: f64, y: &[f64], mut add: impl FnMut(usize, usize, f64)) {
        let ns = self.n_species();
        let u = self.fields(y);
        let t_column = vec![t; self.grid.n_cells()];
        let inputs = self.inputs(&u, &t_column);
        let mut jr = vec![Vec::new(); ns * ns];
        self.reaction_jacobian.eval_columns(&inputs, &mut jr);
        for (column, jr) in jr.iter().enumerate() {
            let (k, s) = (column % ns, column / ns);
            for (c, v) in jr.iter().enumerate() {
                add(self.index(c, k), self.index(c, s), *v);
            }
        }
        let d = self.diffusivities(&inputs);
        let dd = match &self.diffusion {
            Diffusion::Field {
                jacobian: Some(tape),
                ..
            } => {
                let mut dd = vec![Vec::new(); ns * ns];
                tape.eval_columns(&inputs, &mut dd);
                Some(dd)
            }
            _ => None,
        };
        for f in &self.faces {
            for k in 0..ns {
                // F = D_f (u_b − u_a)/h² enters row (a, k) with + and row (b, k) with −.
                let (ra, rb) = (self.index(f.a, k), self.index(f.b, k));
                let mut put = |col: usize, v: f64| {
                    add(ra, col, v);
                    add(rb, col, -v);
                };
                let df = 0.5 * (d[k][f.a] + d[k][f.b]) * f.inv_h2;
                put(self.index(f.a, k), -df);
                put(self.index(f.b, k), df);
                if let Some(dd) = &dd {
                    let delta = 0.5 * (u[k][f.b] - u[k][f.a]) * f.inv_h2;
                    for s in 0..ns {
                        put(self.index(f.a, s), dd[k + ns * s][f.a] * delta);
                        put(self.index(f.b, s), dd[k + ns * s][f.b] * delta);
                    }
                }
            }
        }
        for (side, g) in self.boundaries.dirichlet.iter().zip(self.wall_values(t)) {
            for (i, &c) in side.cells.iter().enumerate() {
                for k in 0..ns {
                    let row = self.index(c, k);
                    let w = 2.0 * side.inv_h2;
                    add(row, row, -w * d[k][c]);
                    if let Some(dd) = &dd {
                        for s in 0..ns {
                            let v = w * dd[k + ns * s][c] * (g[k][i] - u[k][c]);
                            add(row, self.index(c, s), v);
                        }
                    }
                }
            }
        }
    }
}

/// Position of cell i of n along an axis: the identity, or on a periodic
/// axis the folded order 0, n−1, 1, n−2, … (cell i < n/2 at 2i, the others at
/// 2(n−1−i)+1), in which every pair of neighbours, the wrap-around included,
/// is at most 2 apart.
fn position(i: usize, n: usize, periodic: bool) -> usize {
    if !periodic {
        i
    } else if i < n.div_ceil(2) {
        2 * i
    } else {
        2 * (n - 1 - i) + 1
    }
}

/// The block position of every cell (see [`position`]), rows of x.
fn cell_order(grid: &Grid, periodic: &[bool]) -> Vec<usize> {
    let shape = grid.shape();
    let nx = shape[0];
    (0..grid.n_cells())
        .map(|c| {
            let px = position(c % nx, nx, periodic[0]);
            match shape.get(1) {
                Some(&ny) => position(c / nx, ny, periodic[1]) * nx + px,
                None => px,
            }
        })
        .collect()
}

/// Per cell, the faces it borders in face order (see [`Incidence`]), as
/// offsets into one list.
fn incidence(n_cells: usize, faces: &[Face]) -> (Vec<usize>, Vec<Incidence>) {
    let mut start = vec![0; n_cells + 1];
    for f in faces {
        start[f.a + 1] += 1;
        start[f.b + 1] += 1;
    }
    for c in 0..n_cells {
        start[c + 1] += start[c];
    }
    let mut next = start.clone();
    let mut list = vec![Incidence { face: 0, sign: 0.0 }; 2 * faces.len()];
    for (face, f) in faces.iter().enumerate() {
        for (cell, sign) in [(f.a, 1.0), (f.b, -1.0)] {
            list[next[cell]] = Incidence { face, sign };
            next[cell] += 1;
        }
    }
    (start, list)
}

/// Every interior face (and, on periodic axes, the wrap-around faces).
fn faces(grid: &Grid, periodic: &[bool]) -> Vec<Face> {
    let mut faces = Vec::new();
    let mut stride = 1;
    for (axis, a) in grid.axes().iter().enumerate() {
        let inv_h2 = 1.0 / (a.h() * a.h());
        for c in 0..grid.n_cells() {
            let i = (c / stride) % a.n;
            if i + 1 < a.n {
                faces.push(Face {
                    a: c,
                    b: c + stride,
                    inv_h2,
                });
            } else if periodic[axis] {
                faces.push(Face {
                    a: c,
                    b: c - i * stride,
                    inv_h2,
                });
            }
        }
        stride *= a.n;
    }
    faces
}
