//! A fitting problem: a model, its measurements and its noise, compiled so
//! that one solve of the kinetic equations with their forward sensitivities
//! gives the negative log-likelihood, its exact gradient and the Fisher
//! information together.

use nalgebra::DMatrix;
use piml_io::Table;
use piml_model::expr::derivative;
use piml_model::{Expr, Kinetics, Model, NoiseKind, Scale, Sigma, Tape};
use piml_ode::OdeSolver;
use piml_optim::Transform;
use piml_pde::SensitiveReactionDiffusion;
use piml_sim::{solve_kinetics, solve_kinetics_sensitivities};

use crate::data::{Dataset, noise_kind};
use crate::error::Error;
use crate::initial_profile::{InitialValue, WithInitialValues, with_initial_values};

/// ½·ln(2π), the constant of each Gaussian log-density.
const HALF_LN_2PI: f64 = 0.918_938_533_204_672_8;

/// A parameter (or initial value written as a parameter) marked `estimate`.
#[derive(Debug, Clone, PartialEq)]
pub struct Estimated {
    pub name: String,
    /// Index among the model's parameters.
    pub index: usize,
    pub scale: Scale,
    pub bounds: Option<[f64; 2]>,
    /// The value in the model file (after `--set`): the first start.
    pub value: f64,
    /// What the parameter stands for when it is an estimated initial value (a nuisance
    /// parameter added for [`crate::InitialFrom::Data`]), not one of the model's.
    pub initial_value: Option<InitialValue>,
}

/// An estimate this close to a bound, relative to the width of the bounds in the coordinates
/// they apply in (ln θ for log-scale parameters), is on the bound: 1e-6 of [1e-4, 100] in ln θ
/// is a relative change of 1.4e-5 in θ, far below any standard error the data could give.
pub const AT_BOUND: f64 = 1e-6;

/// Which bound an estimate ended on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Bound {
    Lower,
    Upper,
}

impl Bound {
    /// `"lower"` or `"upper"`, as the fit document spells it.
    pub fn name(self) -> &'static str {
        match self {
            Bound::Lower => "lower",
            Bound::Upper => "upper",
        }
    }

    /// Whether a gradient of −log L with this sign pushes the estimate out through the bound
    /// (so that the bound, not the data, holds it there).
    pub fn holds(self, gradient: f64) -> bool {
        match self {
            Bound::Lower => gradient > 0.0,
            Bound::Upper => gradient < 0.0,
        }
    }
}

impl Estimated {
    /// The map to optimiser coordinates: logistic over the (log-)bounds, free without bounds.
    pub fn transform(&self) -> Transform {
        Transform::new(self.bounds, self.scale == Scale::Log, false)
    }

    /// The bound `theta` lies on or within [`AT_BOUND`] of (relative to the width of the
    /// bounds, in ln θ for log-scale parameters); `None` inside, without bounds, or for NaN.
    pub fn at_bound(&self, theta: f64) -> Option<Bound> {
        bound_at(self.transform(), theta)
    }
}

/// The bound `theta` lies on or within [`AT_BOUND`] of under `transform` (relative to the
/// width of the bounds, in ln θ for log-scale parameters); `None` inside, without bounds, or
/// for NaN.
pub fn bound_at(transform: Transform, theta: f64) -> Option<Bound> {
    let [lo, hi] = transform.box_limits();
    let near = AT_BOUND * (hi - lo);
    if !near.is_finite() {
        return None;
    }
    let z = transform.box_coordinate(theta);
    if z <= lo + near {
        Some(Bound::Lower)
    } else if z >= hi - near {
        Some(Bound::Upper)
    } else {
        None
    }
}

/// Where an observable's noise standard deviation comes from.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum SigmaSource {
    /// The `sigma_<name>` column, point by point.
    Column,
    Known(f64),
    /// A model parameter (estimated or not), by index.
    Parameter(usize),
    /// Not given: estimated per observable, by its closed-form maximum
    /// likelihood value at the current parameters (profiled out).
    Profiled(usize),
}

/// One experiment compiled: its kinetic equations (kinetic models) and the
/// parameters its condition fixes.
#[derive(Debug, Clone)]
struct Experiment {
    kinetics: Option<Kinetics>,
    /// Reaction–diffusion models: the model under the experiment's
    /// condition, discretised anew at each parameter point.
    spatial: Option<Model>,
    fixed: Vec<(usize, f64)>,
    points: Vec<usize>,
}

/// The negative log-likelihood at one parameter point, with what the
/// optimisers and the uncertainty analysis need.
#[derive(Debug, Clone)]
pub struct Evaluation {
    /// −log L, the objective.
    pub nll: f64,
    /// ∂(−log L)/∂θ over the estimated parameters (natural units); the
    /// profiled sigmas sit at their optimum, so they add nothing (envelope theorem).
    pub gradient: Vec<f64>,
    /// Expected Fisher information over the estimated parameters, then the
    /// profiled sigmas, in natural units.
    pub fisher: DMatrix<f64>,
    /// The profiled sigmas' values, in the order of [`Problem::profiled_names`].
    pub sigmas: Vec<f64>,
    /// The model's prediction at each data point.
    pub predictions: Vec<f64>,
}

/// The state of one experiment at each of its times (or input rows), and
/// ∂state/∂p at each time when asked for.
type States = (Vec<Vec<f64>>, Vec<DMatrix<f64>>);

/// A model and its data, ready to evaluate.
#[derive(Debug, Clone)]
pub struct Problem {
    model: Model,
    data: Dataset,
    estimated: Vec<Estimated>,
    base: Vec<f64>,
    sigma: Vec<SigmaSource>,
    profiled: Vec<usize>,
    experiments: Vec<Experiment>,
    /// Per observable: g, ∂g/∂species, ∂g/∂parameters, over species, inputs, parameters, t.
    tape: Tape,
    solver: OdeSolver,
    t0: f64,
}

impl Problem {
    pub fn new(model: &Model, data: Dataset, solver: OdeSolver) -> Result<Problem, Error> {
        model
            .check_estimated_values()
            .map_err(|e| Error::Input(format!("model '{}': {e}", model.name)))?;
        let WithInitialValues {
            model,
            expressions: initial_expressions,
            values: initial_values,
        } = with_initial_values(model, &data);
        let own = model.parameters.len() - initial_values.len();
        let model = &model;
        let estimated: Vec<Estimated> = model
            .parameters
            .iter()
            .enumerate()
            .filter(|(_, p)| p.estimate)
            .map(|(index, p)| Estimated {
                name: p.name.clone(),
                index,
                scale: p.scale,
                bounds: p.bounds,
                value: p.value,
                initial_value: index.checked_sub(own).map(|k| initial_values[k].clone()),
            })
            .collect();
        let mut profiled = Vec::new();
        let sigma = (0..model.observables.len())
            .map(|o| {
                let column = data
                    .points
                    .iter()
                    .any(|p| p.observable == o && p.sigma.is_some());
                let given = model.observables[o]
                    .noise
                    .as_ref()
                    .and_then(|n| n.sigma.as_ref());
                match (column, given) {
                    (true, _) => SigmaSource::Column,
                    (false, Some(Sigma::Value(v))) => SigmaSource::Known(*v),
                    (false, Some(Sigma::Parameter(name))) => SigmaSource::Parameter(
                        model
                            .parameters
                            .iter()
                            .position(|p| &p.name == name)
                            .expect("validated sigma parameter"),
                    ),
                    // An observable without data is never evaluated: its
                    // sigma needs no slot.
                    (false, None) if !data.observed.contains(&o) => SigmaSource::Known(1.0),
                    (false, None) => {
                        profiled.push(o);
                        SigmaSource::Profiled(profiled.len() - 1)
                    }
                }
            })
            .collect();
        if estimated.is_empty() {
            return Err(Error::Input(format!(
                "model '{}': no parameter is marked \"estimate\": true, nothing to fit",
                model.name
            )));
        }
        let names = model.parameter_names();
        let experiments = data
            .groups
            .iter()
            .enumerate()
            .map(|(g, group)| {
                let condition = group
                    .condition
                    .as_ref()
                    .map(|c| model.condition(c).expect("checked when the data were read"));
                let mut under =
                    condition.map_or_else(|| model.clone(), |c| model.under_condition(c));
                for (species, initial) in &initial_expressions[g] {
                    under.species[*species].initial = initial.clone();
                    under.species[*species].initial_given = true;
                }
                let kinetics = if model.is_algebraic() || model.is_spatial() {
                    None
                } else {
                    Some(Kinetics::new(&under).map_err(|e| Error::Input(e.to_string()))?)
                };
                let spatial = model.is_spatial().then_some(under);
                let fixed = condition
                    .map(|c| &c.parameters[..])
                    .unwrap_or_default()
                    .iter()
                    .filter_map(|(n, v)| names.iter().position(|m| m == n).map(|i| (i, *v)))
                    .collect();
                let points = (0..data.points.len())
                    .filter(|&i| data.points[i].group == g)
                    .collect();
                Ok(Experiment {
                    kinetics,
                    spatial,
                    fixed,
                    points,
                })
            })
            .collect::<Result<Vec<_>, Error>>()?;

        let species: Vec<String> = model.species.iter().map(|s| s.name.clone()).collect();
        let params: Vec<String> = names.iter().map(|s| s.to_string()).collect();
        let mut exprs: Vec<Expr> = Vec::new();
        for o in &model.observables {
            exprs.push(o.expr.clone());
            exprs.extend(species.iter().map(|s| derivative(&o.expr, s)));
            exprs.extend(params.iter().map(|p| derivative(&o.expr, p)));
        }
        let mut inputs = species.clone();
        inputs.extend(model.inputs.iter().cloned());
        inputs.extend(params.iter().cloned());
        inputs.push("t".into());
        let tape = Tape::compile(&exprs, &inputs)
            .map_err(|e| Error::Input(format!("model '{}': observable uses {e}", model.name)))?;
        Ok(Problem {
            base: model.parameter_values(),
            t0: model.start_time(),
            model: model.clone(),
            data,
            estimated,
            sigma,
            profiled,
            experiments,
            tape,
            solver,
        })
    }

    pub fn model(&self) -> &Model {
        &self.model
    }

    pub fn data(&self) -> &Dataset {
        &self.data
    }

    pub fn estimated(&self) -> &[Estimated] {
        &self.estimated
    }

    /// Where observable `o`'s sigma comes from.
    pub fn sigma_source(&self, o: usize) -> SigmaSource {
        self.sigma[o]
    }

    /// The same problem with the `k`-th estimated parameter held at `value`
    /// (a profile likelihood's inner optimisation); the others keep their order.
    pub fn fixing(&self, k: usize, value: f64) -> Problem {
        let mut fixed = self.clone();
        let e = fixed.estimated.remove(k);
        fixed.base[e.index] = value;
        fixed
    }

    /// Names of the noise sigmas estimated per observable: `sigma_<observable>`.
    pub fn profiled_names(&self) -> Vec<String> {
        self.profiled
            .iter()
            .map(|&o| format!("sigma_{}", self.model.observables[o].name))
            .collect()
    }

    /// The bound each estimate of `theta` is on (see [`Estimated::at_bound`]), if any.
    pub fn at_bounds(&self, theta: &[f64]) -> Vec<Option<Bound>> {
        self.estimated
            .iter()
            .zip(theta)
            .map(|(e, v)| e.at_bound(*v))
            .collect()
    }

    /// Number of estimated quantities: parameters and per-observable sigmas
    /// (the k of AIC and BIC).
    pub fn n_estimated(&self) -> usize {
        self.estimated.len() + self.profiled.len()
    }

    /// The model's parameter vector with the estimated ones set to `theta`.
    pub fn full_parameters(&self, theta: &[f64]) -> Vec<f64> {
        let mut p = self.base.clone();
        for (e, v) in self.estimated.iter().zip(theta) {
            p[e.index] = *v;
        }
        p
    }

    /// The parameters in one experiment: its condition's settings win.
    fn experiment_parameters(&self, exp: &Experiment, theta: &[f64]) -> Vec<f64> {
        let mut p = self.full_parameters(theta);
        for &(i, v) in &exp.fixed {
            p[i] = v;
        }
        p
    }

    fn describe(&self, group: usize, p: &[f64]) -> String {
        let values: Vec<String> = self
            .estimated
            .iter()
            .filter(|e| e.initial_value.is_none())
            .map(|e| format!("{}={}", e.name, p[e.index]))
            .collect();
        let condition = match &self.data.groups[group].condition {
            Some(c) => format!("condition '{c}', "),
            None => String::new(),
        };
        format!(
            "model '{}', {condition}parameters {}",
            self.model.name,
            values.join(", ")
        )
    }

    /// The state (kinetic: species at each of the group's times; algebraic:
    /// the input rows) and, with `sensitivities`, ∂state/∂p at each time.
    fn solve_group(&self, g: usize, p: &[f64], sensitivities: bool) -> Result<States, Error> {
        let group = &self.data.groups[g];
        if let Some(under) = &self.experiments[g].spatial {
            return self.solve_sites(g, under, p, sensitivities);
        }
        let Some(k) = &self.experiments[g].kinetics else {
            return Ok((group.inputs.clone(), Vec::new()));
        };
        let fail = |source| Error::Solver {
            context: self.describe(g, p),
            source,
        };
        let rows = |species: &[Vec<f64>]| -> Vec<Vec<f64>> {
            (0..group.times.len())
                .map(|t| species.iter().map(|col| col[t]).collect())
                .collect()
        };
        if sensitivities {
            let s = solve_kinetics_sensitivities(k, p, self.t0, &group.times, &self.solver)
                .map_err(fail)?;
            Ok((rows(&s.species), s.sensitivities))
        } else {
            let s = solve_kinetics(k, p, self.t0, &group.times, &self.solver).map_err(fail)?;
            Ok((rows(&s.species), Vec::new()))
        }
    }

    /// A reaction–diffusion group by the method of lines: the species in
    /// each site's cell at its time and, with `sensitivities`, their
    /// derivatives (exact: the forward sensitivities of the semi-discrete
    /// system, piml-pde's [`SensitiveReactionDiffusion`]) with respect to the
    /// estimated parameters, in their model columns.
    fn solve_sites(
        &self,
        g: usize,
        under: &Model,
        p: &[f64],
        sensitivities: bool,
    ) -> Result<States, Error> {
        let group = &self.data.groups[g];
        let fail = |source| Error::Solver {
            context: self.describe(g, p),
            source,
        };
        let pde = |e: piml_pde::Error| match e {
            piml_pde::Error::Ode(source) => fail(source),
            e => Error::Input(format!("{}: {e}", self.describe(g, p))),
        };
        let which: Vec<usize> = if sensitivities {
            self.estimated.iter().map(|e| e.index).collect()
        } else {
            Vec::new()
        };
        let grid = self
            .data
            .grid
            .clone()
            .expect("spatial data carry their grid");
        let system = SensitiveReactionDiffusion::new(under, grid, p, &which).map_err(pde)?;
        let rd = system.system();
        // Initial fields from the data do not depend on the parameters: ∂u₀/∂p = 0.
        let y0 = match &group.initial {
            Some(fields) => rd.state(fields),
            None => rd.state(&rd.initial_state()),
        }
        .map_err(pde)?;
        let (ys, ss) = if sensitivities {
            let s0 = match &group.initial {
                Some(_) => DMatrix::zeros(y0.len(), which.len()),
                None => system.initial_sensitivities(),
            };
            let s = self
                .solver
                .solve_sensitivities(&system, self.t0, &y0, &s0, &group.times)
                .map_err(fail)?;
            (s.y, s.s)
        } else {
            let s = self
                .solver
                .solve(&system, self.t0, &y0, &group.times)
                .map_err(fail)?;
            (s.y, Vec::new())
        };
        let ns = rd.n_species();
        let states = group
            .sites
            .iter()
            .map(|&(at, c)| (0..ns).map(|k| ys[at][rd.index(c, k)]).collect())
            .collect();
        let sens = ss
            .first()
            .map(|_| {
                group
                    .sites
                    .iter()
                    .map(|&(at, c)| {
                        let mut m = DMatrix::zeros(ns, self.base.len());
                        for (j, &w) in which.iter().enumerate() {
                            for k in 0..ns {
                                m[(k, w)] = ss[at][(rd.index(c, k), j)];
                            }
                        }
                        m
                    })
                    .collect()
            })
            .unwrap_or_default();
        Ok((states, sens))
    }

    /// The time of state `at` of group `g` (0 in an algebraic model).
    fn time(&self, g: usize, at: usize) -> f64 {
        let group = &self.data.groups[g];
        if self.model.is_algebraic() {
            0.0
        } else if self.data.grid.is_some() {
            group.times[group.sites[at].0]
        } else {
            group.times[at]
        }
    }

    /// Every observable of the model at each measured time (or input row)
    /// of each experiment, at `theta`: the columns `condition` (when the data
    /// have conditions), `t` or the inputs, then one per observable.
    pub fn prediction_table(&self, theta: &[f64]) -> Result<Table, Error> {
        let ns = self.model.species.len();
        let stride = 1 + ns + self.base.len();
        let no = self.model.observables.len();
        let coords: Vec<String> = if self.model.is_algebraic() {
            self.model.inputs.clone()
        } else {
            std::iter::once("t".to_string())
                .chain(self.model.space.iter().map(|(n, _)| n.clone()))
                .collect()
        };
        let centres = self.data.grid.as_ref().map(|g| g.coordinates());
        let mut coord_cols = vec![Vec::new(); coords.len()];
        let mut obs_cols = vec![Vec::new(); no];
        let mut condition = Vec::new();
        let mut out = vec![0.0; self.tape.n_outputs()];
        for (g, exp) in self.experiments.iter().enumerate() {
            let p = self.experiment_parameters(exp, theta);
            let group = &self.data.groups[g];
            let (states, _) = self.solve_group(g, &p, false)?;
            for (at, state) in states.iter().enumerate() {
                let t = self.time(g, at);
                if self.model.is_algebraic() {
                    for (col, v) in coord_cols.iter_mut().zip(state) {
                        col.push(Some(*v));
                    }
                } else {
                    coord_cols[0].push(Some(t));
                }
                if let Some(centres) = &centres {
                    let cell = group.sites[at].1;
                    for (col, axis) in coord_cols[1..].iter_mut().zip(centres) {
                        col.push(Some(axis[cell]));
                    }
                }
                condition.push(group.condition.clone());
                self.tape.eval_parts(&[state, &p, &[t]], &mut out);
                for (o, col) in obs_cols.iter_mut().enumerate() {
                    col.push(Some(out[o * stride]));
                }
            }
        }
        let mut table = Table::new();
        if self.data.groups.iter().any(|g| g.condition.is_some()) {
            table.push_utf8("condition", condition);
        }
        for (name, col) in coords.iter().zip(coord_cols) {
            table.push_f64(name, col);
        }
        for (o, col) in self.model.observables.iter().zip(obs_cols) {
            table.push_f64(&o.name, col);
        }
        Ok(table)
    }

    /// Predictions at every data point and, with `sensitivities`, their
    /// derivatives with respect to the estimated parameters (point-major).
    pub fn predict(
        &self,
        theta: &[f64],
        sensitivities: bool,
    ) -> Result<(Vec<f64>, Vec<f64>), Error> {
        let ne = self.estimated.len();
        let n_points = self.data.points.len();
        let mut values = vec![0.0; n_points];
        let mut jac = vec![0.0; if sensitivities { n_points * ne } else { 0 }];
        let ns = self.model.species.len();
        let np = self.base.len();
        let stride = 1 + ns + np;
        let mut out = vec![0.0; self.tape.n_outputs()];
        for (g, exp) in self.experiments.iter().enumerate() {
            let p = self.experiment_parameters(exp, theta);
            let (states, sens) = self.solve_group(g, &p, sensitivities)?;
            for &i in &exp.points {
                let point = &self.data.points[i];
                let t = self.time(g, point.at);
                self.tape
                    .eval_parts(&[&states[point.at], &p, &[t]], &mut out);
                let base = point.observable * stride;
                values[i] = out[base];
                if !sensitivities {
                    continue;
                }
                for (j, e) in self.estimated.iter().enumerate() {
                    if exp.fixed.iter().any(|(f, _)| *f == e.index) {
                        continue;
                    }
                    let mut d = out[base + 1 + ns + e.index];
                    if let Some(s) = sens.get(point.at) {
                        for sp in 0..ns {
                            d += out[base + 1 + sp] * s[(sp, e.index)];
                        }
                    }
                    jac[i * ne + j] = d;
                }
            }
        }
        Ok((values, jac))
    }

    /// −log L at `theta` (natural units), its gradient and the Fisher information.
    pub fn evaluate(&self, theta: &[f64]) -> Result<Evaluation, Error> {
        let (values, jac) = self.predict(theta, true)?;
        Ok(self.likelihood(theta, values, &jac, self.estimated.len()))
    }

    /// −log L at `theta` and the predictions, without the gradient and the Fisher information
    /// (no sensitivities are solved).
    pub fn log_likelihood(&self, theta: &[f64]) -> Result<Evaluation, Error> {
        let (values, _) = self.predict(theta, false)?;
        Ok(self.likelihood(theta, values, &[], 0))
    }

    /// −log L at `theta` had the species taken the values `states[i]` at data point `i`
    /// (each experiment's parameters and its observables applied to them) instead of the
    /// model's solution: the likelihood of another approximation of the solution, such as a
    /// network's, under the same noise. No gradient nor Fisher information.
    pub fn evaluate_states(&self, theta: &[f64], states: &[Vec<f64>]) -> Result<Evaluation, Error> {
        let points = &self.data.points;
        if states.len() != points.len() {
            return Err(Error::Input(format!(
                "{} states for {} data points",
                states.len(),
                points.len()
            )));
        }
        let ns = self.model.species.len();
        let stride = 1 + ns + self.base.len();
        let mut out = vec![0.0; self.tape.n_outputs()];
        let mut values = vec![0.0; points.len()];
        for (g, exp) in self.experiments.iter().enumerate() {
            let p = self.experiment_parameters(exp, theta);
            for &i in &exp.points {
                let t = self.time(g, points[i].at);
                self.tape.eval_parts(&[&states[i], &p, &[t]], &mut out);
                values[i] = out[points[i].observable * stride];
            }
        }
        Ok(self.likelihood(theta, values, &[], 0))
    }

    /// −log L of predictions `values` at the data points, with the gradient and Fisher
    /// information of the first `ne` estimated parameters from `jac` (point-major ∂value/∂θ).
    fn likelihood(&self, theta: &[f64], values: Vec<f64>, jac: &[f64], ne: usize) -> Evaluation {
        let nq = self.profiled.len();
        let p = self.full_parameters(theta);
        let points = &self.data.points;

        // Each point maps to a Gaussian N(μ, e^{2u}) of z (z = y, or ln y or log₁₀ y for
        // lognormal noise): μ = f, ln f or log₁₀ f, u = ln σ (+ ln|f| for proportional noise).
        struct Terms {
            z: f64,
            mu: f64,
            dmu_df: f64,
            u_extra: f64,
            du_df: f64,
            constant: f64,
        }
        let mut terms = Vec::with_capacity(points.len());
        let mut finite = true;
        for (pt, &f) in points.iter().zip(&values) {
            let t = match noise_kind(&self.model, pt.observable) {
                NoiseKind::Gaussian => Terms {
                    z: pt.value,
                    mu: f,
                    dmu_df: 1.0,
                    u_extra: 0.0,
                    du_df: 0.0,
                    constant: 0.0,
                },
                NoiseKind::Proportional => Terms {
                    z: pt.value,
                    mu: f,
                    dmu_df: 1.0,
                    u_extra: f.abs().ln(),
                    du_df: 1.0 / f,
                    constant: 0.0,
                },
                NoiseKind::Lognormal => Terms {
                    z: pt.value.ln(),
                    mu: f.ln(),
                    dmu_df: 1.0 / f,
                    u_extra: 0.0,
                    du_df: 0.0,
                    constant: pt.value.ln(),
                },
                // The density of y: that of log₁₀ y times its derivative 1/(y ln 10).
                NoiseKind::Log10normal => Terms {
                    z: pt.value.log10(),
                    mu: f.log10(),
                    dmu_df: 1.0 / (f * std::f64::consts::LN_10),
                    u_extra: 0.0,
                    du_df: 0.0,
                    constant: (pt.value * std::f64::consts::LN_10).ln(),
                },
            };
            finite &= t.mu.is_finite() && t.u_extra.is_finite();
            terms.push(t);
        }
        // Profiled sigmas: σ̂² = mean of ((z − μ)·e^{−u_extra})² over the observable's points.
        let mut sums = vec![(0.0, 0usize); nq];
        for (pt, t) in points.iter().zip(&terms) {
            if let SigmaSource::Profiled(k) = self.sigma[pt.observable] {
                let e = (t.z - t.mu) * (-t.u_extra).exp();
                sums[k].0 += e * e;
                sums[k].1 += 1;
            }
        }
        let sigmas: Vec<f64> = sums
            .iter()
            .map(|(s, n)| (s / *n as f64).max(f64::MIN_POSITIVE).sqrt())
            .collect();
        let mut eval = Evaluation {
            nll: f64::INFINITY,
            gradient: vec![0.0; ne],
            fisher: DMatrix::zeros(ne + nq, ne + nq),
            sigmas,
            predictions: values,
        };
        if !finite {
            return eval;
        }
        let mut nll = 0.0;
        let mut a = vec![0.0; ne + nq];
        let mut b = vec![0.0; ne + nq];
        for (i, (pt, t)) in points.iter().zip(&terms).enumerate() {
            // ln σ and its gradient over (θ, profiled sigmas).
            b.iter_mut().for_each(|v| *v = 0.0);
            let ln_sigma = match self.sigma[pt.observable] {
                SigmaSource::Column => pt.sigma.expect("a sigma column value").ln(),
                SigmaSource::Known(s) => s.ln(),
                SigmaSource::Parameter(idx) => {
                    if let Some(j) = self
                        .estimated
                        .iter()
                        .position(|e| e.index == idx)
                        .filter(|&j| j < ne)
                    {
                        b[j] = 1.0 / p[idx];
                    }
                    p[idx].ln()
                }
                SigmaSource::Profiled(k) => {
                    b[ne + k] = 1.0 / eval.sigmas[k];
                    eval.sigmas[k].ln()
                }
            };
            let u = ln_sigma + t.u_extra;
            let r = (t.z - t.mu) * (-u).exp();
            nll += 0.5 * r * r + u + HALF_LN_2PI + t.constant;
            let dnll_dmu = -r * (-u).exp();
            let dnll_du = 1.0 - r * r;
            let df = &jac[i * ne..(i + 1) * ne];
            for j in 0..ne {
                a[j] = t.dmu_df * df[j];
                b[j] += t.du_df * df[j];
            }
            for j in 0..ne {
                eval.gradient[j] += dnll_dmu * a[j] + dnll_du * b[j];
            }
            // Fisher information of N(μ, e^{2u}) in (μ, u): diag(e^{−2u}, 2).
            let w = (-2.0 * u).exp();
            for r_ in 0..ne + nq {
                for c in 0..ne + nq {
                    eval.fisher[(r_, c)] += w * a[r_] * a[c] + 2.0 * b[r_] * b[c];
                }
            }
        }
        eval.nll = nll;
        eval
    }
}
