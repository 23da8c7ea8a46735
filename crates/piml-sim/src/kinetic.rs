//! A model's kinetic equations as an ODE system for the solvers.

use nalgebra::DMatrix;
use piml_model::Kinetics;
use piml_ode::{OdeSolver, OdeSystem, ParametricSystem};

/// The kinetic equations at fixed parameter values.
#[derive(Debug, Clone, Copy)]
pub struct KineticSystem<'a> {
    pub kinetics: &'a Kinetics,
    pub params: &'a [f64],
}

impl OdeSystem for KineticSystem<'_> {
    fn dim(&self) -> usize {
        self.kinetics.n_species()
    }

    fn rhs(&self, t: f64, y: &[f64], dydt: &mut [f64]) {
        self.kinetics.rhs(t, y, self.params, dydt);
    }

    fn jacobian(&self, t: f64, y: &[f64], jac: &mut DMatrix<f64>) {
        self.kinetics
            .jacobian_y(t, y, self.params, jac.as_mut_slice());
    }
}

impl ParametricSystem for KineticSystem<'_> {
    fn n_params(&self) -> usize {
        self.kinetics.n_parameters()
    }

    fn param_jacobian(&self, t: f64, y: &[f64], jp: &mut DMatrix<f64>) {
        self.kinetics
            .jacobian_p(t, y, self.params, jp.as_mut_slice());
    }
}

/// Species trajectories at the output times, one column per species.
#[derive(Debug, Clone)]
pub struct Trajectory {
    pub t: Vec<f64>,
    pub species: Vec<Vec<f64>>,
    pub stats: piml_ode::Stats,
}

/// Integrates the kinetic equations from `t0` with initial values y0(p),
/// reporting the state at `times`.
pub fn solve_kinetics(
    kinetics: &Kinetics,
    params: &[f64],
    t0: f64,
    times: &[f64],
    solver: &OdeSolver,
) -> Result<Trajectory, piml_ode::Error> {
    let n = kinetics.n_species();
    let mut y0 = vec![0.0; n];
    kinetics.initial(params, &mut y0);
    let system = KineticSystem { kinetics, params };
    let solution = solver.solve(&system, t0, &y0, times)?;
    let species = (0..n)
        .map(|i| solution.y.iter().map(|row| row[i]).collect())
        .collect();
    Ok(Trajectory {
        t: solution.t,
        species,
        stats: solution.stats,
    })
}

/// Species trajectories with their forward sensitivities ∂y/∂p.
#[derive(Debug, Clone)]
pub struct SensitivityTrajectory {
    pub t: Vec<f64>,
    pub species: Vec<Vec<f64>>,
    /// One n×np matrix per output time: entry (i, j) is ∂y_i/∂p_j, for every
    /// parameter of the model in declaration order.
    pub sensitivities: Vec<DMatrix<f64>>,
    pub stats: piml_ode::Stats,
}

/// Integrates the kinetic equations together with the sensitivities to
/// every parameter. Parameters that set initial values (`"initial": "S0"`)
/// get their sensitivities from the exact ∂y0/∂p.
pub fn solve_kinetics_sensitivities(
    kinetics: &Kinetics,
    params: &[f64],
    t0: f64,
    times: &[f64],
    solver: &OdeSolver,
) -> Result<SensitivityTrajectory, piml_ode::Error> {
    let (n, np) = (kinetics.n_species(), kinetics.n_parameters());
    let mut y0 = vec![0.0; n];
    kinetics.initial(params, &mut y0);
    let mut s0 = DMatrix::zeros(n, np);
    kinetics.initial_jacobian_p(params, s0.as_mut_slice());
    let system = KineticSystem { kinetics, params };
    let solution = solver.solve_sensitivities(&system, t0, &y0, &s0, times)?;
    let species = (0..n)
        .map(|i| solution.y.iter().map(|row| row[i]).collect())
        .collect();
    Ok(SensitivityTrajectory {
        t: solution.t,
        species,
        sensitivities: solution.s,
        stats: solution.stats,
    })
}
