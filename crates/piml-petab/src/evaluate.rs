//! The PEtab likelihood at given parameter values, and its exact gradient: each
//! (pre-equilibration, simulation) condition pair simulated once — with forward
//! sensitivities to the parameters that move it, through pre-equilibration — every
//! measurement's observable and noise formulas filled with its overrides, and the log density
//! of the measurement under its noise model on its transformed scale, the Jacobian of the
//! transformation included (PEtab v1 specification, "Noise distributions").

use std::collections::BTreeMap;

use nalgebra::{DMatrix, DVector};
use piml_ode::{Method, OdeSolver, OdeSystem, ParametricSystem};
use piml_sim::KineticSystem;

use crate::error::Error;
use crate::problem::{Condition, Measurement, Problem, Target, Transform, Value, placeholder};

/// Integration tolerances, and the steady-state test of pre-equilibration and `time = inf`:
/// every |dx/dt| ≤ `steady_atol` + `steady_rtol`·|x|.
#[derive(Debug, Clone, Copy)]
pub struct Settings {
    pub rtol: f64,
    pub atol: f64,
    pub steady_rtol: f64,
    pub steady_atol: f64,
}

/// Tight by default: benchmark models carry concentrations of 1e-6 and below, which an
/// absolute tolerance of 1e-8 does not resolve (Fujita's llh moves by 7e-3).
impl Default for Settings {
    fn default() -> Settings {
        Settings {
            rtol: 1e-10,
            atol: 1e-12,
            steady_rtol: 1e-10,
            steady_atol: 1e-12,
        }
    }
}

/// The log-likelihood, χ², each measurement's simulated observable (table order) and, when
/// asked for, the gradient of the log-likelihood by each row of the parameter table (linear
/// scale) and the expected Fisher information.
#[derive(Debug, Clone)]
pub struct Evaluation {
    pub log_likelihood: f64,
    pub chi2: f64,
    pub simulations: Vec<f64>,
    pub gradient: Option<Vec<f64>>,
    pub fisher: Option<DMatrix<f64>>,
}

/// One measurement's log density and what its derivatives need.
struct Density {
    value: f64,
    residual: f64,
    /// d density / dy and d density / dσ.
    dy: f64,
    dsigma: f64,
    /// Expected Fisher information of y and of σ: T'(y)²/σ² (location), 2/σ² or 1/σ²
    /// (scale of a normal or a Laplace density).
    information: (f64, f64),
}

/// Checkpoints of the search for a steady state.
const STEADY_TIMES: [f64; 12] = [0.1, 1.0, 10.0, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10];

/// A state, and its sensitivities to the pair's moving parameters (n × columns) when the
/// gradient is wanted.
#[derive(Debug, Clone)]
struct State {
    x: Vec<f64>,
    s: Option<DMatrix<f64>>,
}

impl Problem {
    /// Evaluates at `theta`: one value per row of the parameter table, on the linear scale;
    /// with `gradient`, also d log L / d theta.
    pub fn evaluate(
        &self,
        theta: &[f64],
        settings: &Settings,
        gradient: bool,
    ) -> Result<Evaluation, Error> {
        assert_eq!(
            theta.len(),
            self.parameters.len(),
            "one value per parameter"
        );
        let solver = OdeSolver::new(Method::Bdf)
            .rtol(settings.rtol)
            .atol(settings.atol)
            .build()
            .expect("valid tolerances");
        // Condition pairs in order of first appearance, each simulated once.
        let mut pairs: Vec<(Option<usize>, usize)> = Vec::new();
        for m in &self.measurements {
            let pair = (m.preequilibration, m.condition);
            if !pairs.contains(&pair) {
                pairs.push(pair);
            }
        }
        let mut simulations = vec![0.0; self.measurements.len()];
        let n = theta.len();
        let mut grad = gradient.then(|| vec![0.0; n]);
        let mut fisher = gradient.then(|| DMatrix::zeros(n, n));
        let (mut llh, mut chi2) = (0.0, 0.0);
        for (pre, sim) in pairs {
            let run = Run::new(self, theta, settings, &solver, pre, sim, gradient);
            let rows: Vec<usize> = (0..self.measurements.len())
                .filter(|&i| {
                    let m = &self.measurements[i];
                    (m.preequilibration, m.condition) == (pre, sim)
                })
                .collect();
            let start = run.start()?;
            let states = run.states(&start, &rows)?;
            for (&i, (time, state)) in rows.iter().zip(states) {
                let m = &self.measurements[i];
                let (y, sigma) = run.observe(m, time, &state);
                let d = self.density(m, y, sigma);
                simulations[i] = y;
                llh += d.value;
                chi2 += d.residual * d.residual;
                if let (Some(g), Some(f)) = (grad.as_mut(), fisher.as_mut()) {
                    let (dy, ds) = run.derivatives(m, time, &state);
                    for j in 0..n {
                        g[j] += d.dy * dy[j] + d.dsigma * ds[j];
                    }
                    let (wy, ws) = d.information;
                    f.ger(
                        wy,
                        &DVector::from_vec(dy.clone()),
                        &DVector::from_vec(dy),
                        1.0,
                    );
                    f.ger(
                        ws,
                        &DVector::from_vec(ds.clone()),
                        &DVector::from_vec(ds),
                        1.0,
                    );
                }
            }
        }
        Ok(Evaluation {
            log_likelihood: llh,
            chi2,
            simulations,
            gradient: grad,
            fisher,
        })
    }

    /// The log density of measurement `m` given the simulation `y` and the noise `sigma`.
    fn density(&self, m: &Measurement, y: f64, sigma: f64) -> Density {
        let observable = &self.observables[m.observable];
        let (transformed, jacobian, slope) = match observable.transform {
            Transform::Lin => ((m.value, y), 0.0, 1.0),
            Transform::Log => ((m.value.ln(), y.ln()), m.value.ln(), 1.0 / y),
            Transform::Log10 => (
                (m.value.log10(), y.log10()),
                (m.value * std::f64::consts::LN_10).ln(),
                1.0 / (y * std::f64::consts::LN_10),
            ),
        };
        let residual = (transformed.0 - transformed.1) / sigma;
        let (value, d_residual, scale_information) = if observable.laplace {
            (
                -(2.0 * sigma).ln() - residual.abs(),
                -residual.signum(),
                1.0,
            )
        } else {
            (
                -0.5 * (2.0 * std::f64::consts::PI * sigma * sigma).ln()
                    - 0.5 * residual * residual,
                -residual,
                2.0,
            )
        };
        // r = (T(m) − T(y))/σ: dr/dy = −T'(y)/σ, dr/dσ = −r/σ.
        Density {
            value: value - jacobian,
            residual,
            dy: d_residual * (-slope / sigma),
            dsigma: -1.0 / sigma + d_residual * (-residual / sigma),
            information: (
                slope * slope / (sigma * sigma),
                scale_information / (sigma * sigma),
            ),
        }
    }
}

/// The kinetic equations with sensitivities to a chosen set of table parameters: column c is
/// the sum of ∂f/∂p_k over the model parameters k that table parameter c sets.
struct Moving<'a> {
    system: KineticSystem<'a>,
    /// For each model parameter, the column of the table parameter that sets it.
    column: &'a [Option<usize>],
    columns: usize,
}

impl OdeSystem for Moving<'_> {
    fn dim(&self) -> usize {
        self.system.dim()
    }

    fn rhs(&self, t: f64, y: &[f64], dydt: &mut [f64]) {
        self.system.rhs(t, y, dydt);
    }

    fn jacobian(&self, t: f64, y: &[f64], jac: &mut DMatrix<f64>) {
        self.system.jacobian(t, y, jac);
    }
}

impl ParametricSystem for Moving<'_> {
    fn n_params(&self) -> usize {
        self.columns
    }

    fn param_jacobian(&self, t: f64, y: &[f64], jp: &mut DMatrix<f64>) {
        let n = self.system.dim();
        let mut all = DMatrix::zeros(n, self.system.n_params());
        self.system.param_jacobian(t, y, &mut all);
        jp.fill(0.0);
        for (k, c) in self.column.iter().enumerate() {
            if let Some(c) = c {
                for i in 0..n {
                    jp[(i, *c)] += all[(i, k)];
                }
            }
        }
    }
}

/// A condition with the model parameters under it, and the table parameter setting each.
struct Setting<'a> {
    condition: &'a Condition,
    params: Vec<f64>,
    source: Vec<Option<usize>>,
}

/// One condition pair of one evaluation.
struct Run<'a> {
    problem: &'a Problem,
    theta: &'a [f64],
    settings: &'a Settings,
    solver: &'a OdeSolver,
    pre: Option<Setting<'a>>,
    condition: &'a Condition,
    params: Vec<f64>,
    /// The table parameter setting each model parameter under the simulation condition.
    source: Vec<Option<usize>>,
    /// The table parameters whose sensitivities are integrated (none without a gradient).
    moving: Vec<usize>,
    gradient: bool,
}

impl<'a> Run<'a> {
    fn new(
        problem: &'a Problem,
        theta: &'a [f64],
        settings: &'a Settings,
        solver: &'a OdeSolver,
        pre: Option<usize>,
        sim: usize,
        gradient: bool,
    ) -> Run<'a> {
        let condition = &problem.conditions[sim];
        let (params, source) = Run::parameters(problem, theta, condition);
        let pre = pre.map(|p| {
            let condition = &problem.conditions[p];
            let (params, source) = Run::parameters(problem, theta, condition);
            Setting {
                condition,
                params,
                source,
            }
        });
        let mut moving: Vec<usize> = Vec::new();
        if gradient {
            let species_sources = |c: &Condition| -> Vec<usize> {
                c.sets
                    .iter()
                    .filter_map(|(target, value)| match (target, value) {
                        (Target::Species(_), Value::Parameter(j)) => Some(*j),
                        _ => None,
                    })
                    .collect()
            };
            moving.extend(source.iter().flatten());
            moving.extend(species_sources(condition));
            if let Some(p) = &pre {
                moving.extend(p.source.iter().flatten());
                moving.extend(species_sources(p.condition));
            }
            moving.sort_unstable();
            moving.dedup();
        }
        Run {
            problem,
            theta,
            settings,
            solver,
            pre,
            condition,
            params,
            source,
            moving,
            gradient,
        }
    }

    fn value(&self, v: Value) -> f64 {
        match v {
            Value::Number(x) => x,
            Value::Parameter(j) => self.theta[j],
        }
    }

    /// Model parameters under a condition, and the table parameter that sets each.
    fn parameters(
        problem: &Problem,
        theta: &[f64],
        condition: &Condition,
    ) -> (Vec<f64>, Vec<Option<usize>>) {
        let mut params = problem.model.parameter_values();
        let mut source = vec![None; params.len()];
        for (j, p) in problem.model_parameter.iter().enumerate() {
            if let Some(p) = p {
                params[*p] = theta[j];
                source[*p] = Some(j);
            }
        }
        for &(target, value) in &condition.sets {
            if let Target::Parameter(p) = target {
                (params[p], source[p]) = match value {
                    Value::Number(x) => (x, None),
                    Value::Parameter(j) => (theta[j], Some(j)),
                };
            }
        }
        (params, source)
    }

    /// The column of a table parameter among the moving ones.
    fn column(&self, j: usize) -> Option<usize> {
        self.moving.binary_search(&j).ok()
    }

    fn columns_of(&self, source: &[Option<usize>]) -> Vec<Option<usize>> {
        source
            .iter()
            .map(|s| s.and_then(|j| self.column(j)))
            .collect()
    }

    /// The model's initial state under a condition (or what pre-equilibration left), then the
    /// species the condition sets (NaN keeps the value), with sensitivities.
    fn initial(
        &self,
        params: &[f64],
        source: &[Option<usize>],
        condition: &Condition,
        after: Option<State>,
    ) -> State {
        let kinetics = &self.problem.kinetics;
        let n = kinetics.n_species();
        let mut state = after.unwrap_or_else(|| {
            let mut x = vec![0.0; n];
            kinetics.initial(params, &mut x);
            let s = self.gradient.then(|| {
                let mut dp = DMatrix::zeros(n, kinetics.n_parameters());
                kinetics.initial_jacobian_p(params, dp.as_mut_slice());
                let mut s = DMatrix::zeros(n, self.moving.len());
                for (k, c) in self.columns_of(source).iter().enumerate() {
                    if let Some(c) = c {
                        for i in 0..n {
                            s[(i, *c)] += dp[(i, k)];
                        }
                    }
                }
                s
            });
            State { x, s }
        });
        for &(target, value) in &condition.sets {
            if let Target::Species(i) = target {
                let v = self.value(value);
                if v.is_nan() {
                    continue;
                }
                state.x[i] = v;
                if let Some(s) = state.s.as_mut() {
                    s.row_mut(i).fill(0.0);
                    if let Value::Parameter(j) = value {
                        let c = self.column(j).expect("a moving parameter");
                        s[(i, c)] = 1.0;
                    }
                }
            }
        }
        state
    }

    /// Where the simulation condition starts: after pre-equilibration when there is one.
    fn start(&self) -> Result<State, Error> {
        let after = match &self.pre {
            Some(p) => {
                let start = self.initial(&p.params, &p.source, p.condition, None);
                Some(self.steady_state(&p.params, &p.source, &start, &p.condition.id)?)
            }
            None => None,
        };
        Ok(self.initial(&self.params, &self.source, self.condition, after))
    }

    /// The states at `times` from `start` at t = 0, the integration stopped and restarted
    /// at every switch of the rates (error control alone resolves a jump of the right-hand
    /// side only roughly).
    fn solve(
        &self,
        params: &[f64],
        source: &[Option<usize>],
        start: &State,
        times: &[f64],
        condition: &str,
    ) -> Result<Vec<State>, Error> {
        self.solve_from(params, source, 0.0, start, times, condition)
    }

    /// [`Run::solve`] from `start` at `t_start`.
    fn solve_from(
        &self,
        params: &[f64],
        source: &[Option<usize>],
        t_start: f64,
        start: &State,
        times: &[f64],
        condition: &str,
    ) -> Result<Vec<State>, Error> {
        let kinetics = &self.problem.kinetics;
        let column = self.columns_of(source);
        let system = Moving {
            system: KineticSystem { kinetics, params },
            column: &column,
            columns: self.moving.len(),
        };
        let fail = |e: piml_ode::Error| Error::Simulation {
            condition: condition.to_string(),
            why: e.to_string(),
        };
        let end = times.last().copied().unwrap_or(0.0);
        let named: BTreeMap<&str, f64> = kinetics
            .parameters()
            .iter()
            .map(String::as_str)
            .zip(params.iter().copied())
            .collect();
        let mut stops: Vec<f64> = self
            .problem
            .switches
            .iter()
            .map(|s| s.eval(&|n| named.get(n).copied()))
            .filter(|t| *t > t_start && *t < end)
            .collect();
        stops.sort_by(f64::total_cmp);
        stops.dedup();
        let switches = stops.len();
        stops.push(end);
        let mut out = Vec::with_capacity(times.len());
        let (mut t0, mut from) = (t_start, start.clone());
        let mut done = 0;
        for (k, stop) in stops.into_iter().enumerate() {
            // A segment ends just before its switch: the implicit method evaluates the rates
            // at the step's end, and at the switch itself a strict condition (t < T) already
            // reads the next branch (Isensee's steps shrank to nothing approaching t = 60).
            let last = if k < switches { stop.next_down() } else { stop };
            let mut segment: Vec<f64> = times[done..]
                .iter()
                .take_while(|t| **t <= stop)
                .map(|t| t.min(last))
                .collect();
            let asked = segment.len();
            if segment.last() != Some(&last) {
                segment.push(last);
            }
            let mut states: Vec<State> = match &from.s {
                Some(s0) => {
                    let sol = self
                        .solver
                        .solve_sensitivities(&system, t0, &from.x, s0, &segment)
                        .map_err(fail)?;
                    sol.y
                        .into_iter()
                        .zip(sol.s)
                        .map(|(x, s)| State { x, s: Some(s) })
                        .collect()
                }
                None => self
                    .solver
                    .solve(&system, t0, &from.x, &segment)
                    .map_err(fail)?
                    .y
                    .into_iter()
                    .map(|x| State { x, s: None })
                    .collect(),
            };
            from = states.last().cloned().unwrap_or(from);
            states.truncate(asked);
            out.extend(states);
            done += asked;
            t0 = stop;
        }
        Ok(out)
    }

    /// The first checkpoint state whose rates vanish to the tolerances, found by integrating
    /// the state alone; its sensitivities then solve the steady-state equations (integrating
    /// them to t = 1e10 made the corrector fail on Zheng's pre-equilibration).
    fn steady_state(
        &self,
        params: &[f64],
        source: &[Option<usize>],
        start: &State,
        condition: &str,
    ) -> Result<State, Error> {
        let kinetics = &self.problem.kinetics;
        let mut rate = vec![0.0; start.x.len()];
        // Checkpoint by checkpoint, stopping at the first settled one: integrating on to
        // t = 1e10 past a reached steady state made the Newton iteration fail on Zheng.
        let (mut t0, mut x) = (0.0, start.x.clone());
        for t in STEADY_TIMES {
            let plain = State { x, s: None };
            x = self
                .solve_from(params, source, t0, &plain, &[t], condition)?
                .pop()
                .expect("one time asked")
                .x;
            t0 = t;
            kinetics.rhs(t, &x, params, &mut rate);
            let settled = rate.iter().zip(&x).all(|(r, x)| {
                r.abs() <= self.settings.steady_atol + self.settings.steady_rtol * x.abs()
            });
            if settled {
                let s = start
                    .s
                    .as_ref()
                    .map(|s0| self.steady_sensitivities(params, source, t, &x, s0));
                return Ok(State { x, s });
            }
        }
        Err(Error::Simulation {
            condition: condition.to_string(),
            why: format!(
                "no steady state by t = {:e}",
                STEADY_TIMES[STEADY_TIMES.len() - 1]
            ),
        })
    }

    /// dx*/dθ at a steady state x*: J·S = −∂f/∂θ, with the conserved quantities (the left
    /// null space L of J: L·J = 0) kept at their starting values, L·S = L·S₀ — the
    /// least-squares solution of the stacked system, exact when it is consistent.
    fn steady_sensitivities(
        &self,
        params: &[f64],
        source: &[Option<usize>],
        t: f64,
        x: &[f64],
        s0: &DMatrix<f64>,
    ) -> DMatrix<f64> {
        let kinetics = &self.problem.kinetics;
        let n = x.len();
        let mut jacobian = DMatrix::zeros(n, n);
        kinetics.jacobian_y(t, x, params, jacobian.as_mut_slice());
        let column = self.columns_of(source);
        let system = Moving {
            system: KineticSystem { kinetics, params },
            column: &column,
            columns: self.moving.len(),
        };
        let mut forcing = DMatrix::zeros(n, self.moving.len());
        system.param_jacobian(t, x, &mut forcing);
        let svd = jacobian.clone().svd(true, false);
        let u = svd.u.expect("asked for U");
        let largest = svd.singular_values.max();
        let conserved: Vec<usize> = (0..n)
            .filter(|&i| svd.singular_values[i] <= 1e-10 * largest)
            .collect();
        let c = conserved.len();
        let mut a = DMatrix::zeros(n + c, n);
        let mut b = DMatrix::zeros(n + c, self.moving.len());
        a.rows_mut(0, n).copy_from(&jacobian);
        b.rows_mut(0, n).copy_from(&(-forcing));
        for (r, &i) in conserved.iter().enumerate() {
            let l = u.column(i).transpose();
            a.row_mut(n + r).copy_from(&l);
            b.row_mut(n + r).copy_from(&(&l * s0));
        }
        a.svd(true, true)
            .solve(&b, 1e-14 * largest.max(1.0))
            .expect("U and V were computed")
    }

    /// The state at each measurement's time (a steady state for `inf`), in `rows`' order.
    fn states(&self, start: &State, rows: &[usize]) -> Result<Vec<(f64, State)>, Error> {
        let measurements = &self.problem.measurements;
        let id = &self.condition.id;
        let mut times: Vec<f64> = rows
            .iter()
            .map(|&i| measurements[i].time)
            .filter(|t| t.is_finite())
            .collect();
        times.sort_by(f64::total_cmp);
        times.dedup();
        let at = if times.is_empty() {
            Vec::new()
        } else {
            self.solve(&self.params, &self.source, start, &times, id)?
        };
        let steady = if rows.iter().any(|&i| measurements[i].time.is_infinite()) {
            Some(self.steady_state(&self.params, &self.source, start, id)?)
        } else {
            None
        };
        Ok(rows
            .iter()
            .map(|&i| {
                let t = measurements[i].time;
                let state = match times.iter().position(|x| *x == t) {
                    Some(k) => at[k].clone(),
                    None => steady.clone().expect("computed for infinite times"),
                };
                (t, state)
            })
            .collect())
    }

    /// The value of every symbol an observable's formulas may use.
    fn lookup<'s>(
        &'s self,
        m: &'s Measurement,
        time: f64,
        state: &'s State,
    ) -> impl Fn(&str) -> Option<f64> + 's {
        let problem = self.problem;
        let observable = &problem.observables[m.observable];
        let kinetics = &problem.kinetics;
        move |name: &str| {
            if name == "t" {
                return Some(time);
            }
            if let Some((noise, n)) = placeholder(name, &observable.id) {
                return m.placeholders(noise).get(n - 1).map(|v| self.value(*v));
            }
            if let Some(i) = kinetics.species().iter().position(|s| s == name) {
                return Some(state.x[i]);
            }
            if let Some(k) = kinetics.parameters().iter().position(|p| p == name) {
                return Some(self.params[k]);
            }
            problem
                .parameters
                .iter()
                .position(|p| p.id == name)
                .map(|j| self.theta[j])
        }
    }

    /// The observable and its noise at one measurement.
    fn observe(&self, m: &Measurement, time: f64, state: &State) -> (f64, f64) {
        let observable = &self.problem.observables[m.observable];
        let lookup = self.lookup(m, time, state);
        (
            observable.formula.eval(&lookup),
            observable.noise.eval(&lookup),
        )
    }

    /// dy/dθ and dσ/dθ at one measurement: through every symbol of the observable's and the
    /// noise's formulas (states by their sensitivities, parameters and placeholders by what
    /// sets them).
    fn derivatives(&self, m: &Measurement, time: f64, state: &State) -> (Vec<f64>, Vec<f64>) {
        let problem = self.problem;
        let observable = &problem.observables[m.observable];
        let kinetics = &problem.kinetics;
        let lookup = self.lookup(m, time, state);
        let n = self.theta.len();
        let by = |derivatives: &[(String, piml_model::Expr)]| -> Vec<f64> {
            let mut out = vec![0.0; n];
            for (symbol, d) in derivatives {
                let partial = d.eval(&lookup);
                if partial == 0.0 {
                    continue;
                }
                if let Some(i) = kinetics.species().iter().position(|s| s == symbol) {
                    let s = state.s.as_ref().expect("sensitivities were integrated");
                    for (c, &j) in self.moving.iter().enumerate() {
                        out[j] += partial * s[(i, c)];
                    }
                } else if let Some(k) = kinetics.parameters().iter().position(|p| p == symbol) {
                    if let Some(j) = self.source[k] {
                        out[j] += partial;
                    }
                } else if let Some((noise, n)) = placeholder(symbol, &observable.id) {
                    if let Some(Value::Parameter(j)) = m.placeholders(noise).get(n - 1) {
                        out[*j] += partial;
                    }
                } else if let Some(j) = problem.parameters.iter().position(|p| p.id == *symbol) {
                    out[j] += partial;
                }
            }
            out
        };
        (by(&observable.d_formula), by(&observable.d_noise))
    }
}
