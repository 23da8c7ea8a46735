//! The PEtab likelihood at given parameter values: each (pre-equilibration, simulation)
//! condition pair simulated once, every measurement's observable and noise formulas filled
//! with its overrides, and the log density of the measurement under its noise model on its
//! transformed scale, the Jacobian of the transformation included (PEtab v1 specification,
//! "Noise distributions").

use std::collections::BTreeMap;

use piml_model::Expr;
use piml_ode::{Method, OdeSolver};
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

/// The log-likelihood, χ² and each measurement's simulated observable (table order).
#[derive(Debug, Clone)]
pub struct Evaluation {
    pub log_likelihood: f64,
    pub chi2: f64,
    pub simulations: Vec<f64>,
}

/// Checkpoints of the search for a steady state.
const STEADY_TIMES: [f64; 12] = [0.1, 1.0, 10.0, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10];

impl Problem {
    /// Evaluates at `theta`: one value per row of the parameter table, on the linear scale.
    pub fn evaluate(&self, theta: &[f64], settings: &Settings) -> Result<Evaluation, Error> {
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
        let mut base = self.model.parameter_values();
        for (p, value) in self.model_parameter.iter().zip(theta) {
            if let Some(p) = p {
                base[*p] = *value;
            }
        }
        // Condition pairs in order of first appearance, each simulated once.
        let mut pairs: Vec<(Option<usize>, usize)> = Vec::new();
        for m in &self.measurements {
            let pair = (m.preequilibration, m.condition);
            if !pairs.contains(&pair) {
                pairs.push(pair);
            }
        }
        let mut simulations = vec![0.0; self.measurements.len()];
        let (mut llh, mut chi2) = (0.0, 0.0);
        for (pre, sim) in pairs {
            let run = Run {
                problem: self,
                theta,
                settings,
                solver: &solver,
            };
            let condition = &self.conditions[sim];
            let params = run.parameters(&base, condition);
            let start = match pre {
                Some(pre) => {
                    let pre_condition = &self.conditions[pre];
                    let pre_params = run.parameters(&base, pre_condition);
                    let start = run.initial(&pre_params, pre_condition, None);
                    let steady = run.steady_state(&pre_params, &start, &pre_condition.id)?;
                    run.initial(&params, condition, Some(&steady))
                }
                None => run.initial(&params, condition, None),
            };
            let rows: Vec<usize> = (0..self.measurements.len())
                .filter(|&i| {
                    let m = &self.measurements[i];
                    (m.preequilibration, m.condition) == (pre, sim)
                })
                .collect();
            let states = run.states(&params, &start, &rows, &condition.id)?;
            for (&i, (time, state)) in rows.iter().zip(states) {
                let m = &self.measurements[i];
                let (y, sigma) = run.observe(m, time, &state, &params);
                let (density, residual) = self.density(m, y, sigma);
                simulations[i] = y;
                llh += density;
                chi2 += residual * residual;
            }
        }
        Ok(Evaluation {
            log_likelihood: llh,
            chi2,
            simulations,
        })
    }

    /// The log density of measurement `m` given the simulation `y` and the noise `sigma`,
    /// and its standardised residual.
    fn density(&self, m: &Measurement, y: f64, sigma: f64) -> (f64, f64) {
        let observable = &self.observables[m.observable];
        let (transformed, jacobian) = match observable.transform {
            Transform::Lin => ((m.value, y), 0.0),
            Transform::Log => ((m.value.ln(), y.ln()), m.value.ln()),
            Transform::Log10 => (
                (m.value.log10(), y.log10()),
                (m.value * std::f64::consts::LN_10).ln(),
            ),
        };
        let residual = (transformed.0 - transformed.1) / sigma;
        let density = if observable.laplace {
            -(2.0 * sigma).ln() - residual.abs()
        } else {
            -0.5 * (2.0 * std::f64::consts::PI * sigma * sigma).ln() - 0.5 * residual * residual
        };
        (density - jacobian, residual)
    }
}

/// One evaluation's shared state.
struct Run<'a> {
    problem: &'a Problem,
    theta: &'a [f64],
    settings: &'a Settings,
    solver: &'a OdeSolver,
}

impl Run<'_> {
    fn value(&self, v: Value) -> f64 {
        match v {
            Value::Number(x) => x,
            Value::Parameter(j) => self.theta[j],
        }
    }

    /// Model parameters under a condition.
    fn parameters(&self, base: &[f64], condition: &Condition) -> Vec<f64> {
        let mut params = base.to_vec();
        for &(target, value) in &condition.sets {
            if let Target::Parameter(p) = target {
                params[p] = self.value(value);
            }
        }
        params
    }

    /// The state a condition starts from: the model's initial values (or what
    /// pre-equilibration left), then the species the condition sets (NaN keeps the value).
    fn initial(&self, params: &[f64], condition: &Condition, after: Option<&[f64]>) -> Vec<f64> {
        let kinetics = &self.problem.kinetics;
        let mut state = match after {
            Some(steady) => steady.to_vec(),
            None => {
                let mut y0 = vec![0.0; kinetics.n_species()];
                kinetics.initial(params, &mut y0);
                y0
            }
        };
        for &(target, value) in &condition.sets {
            if let Target::Species(s) = target {
                let v = self.value(value);
                if !v.is_nan() {
                    state[s] = v;
                }
            }
        }
        state
    }

    /// The states at `times` from `start` at t = 0, the integration stopped and restarted
    /// at every switch of the rates (which error control alone resolves only roughly:
    /// Fujita's llh is 7e-3 off at rtol 1e-8 without the restart).
    fn solve(
        &self,
        params: &[f64],
        start: &[f64],
        times: &[f64],
        condition: &str,
    ) -> Result<Vec<Vec<f64>>, Error> {
        let system = KineticSystem {
            kinetics: &self.problem.kinetics,
            params,
        };
        let fail = |e: piml_ode::Error| Error::Simulation {
            condition: condition.to_string(),
            why: e.to_string(),
        };
        let end = times.last().copied().unwrap_or(0.0);
        let named: BTreeMap<&str, f64> = self
            .problem
            .kinetics
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
            .filter(|t| *t > 0.0 && *t < end)
            .collect();
        stops.sort_by(f64::total_cmp);
        stops.dedup();
        stops.push(end);
        let mut out = Vec::with_capacity(times.len());
        let (mut t0, mut y0) = (0.0, start.to_vec());
        let mut done = 0;
        for stop in stops {
            let mut segment: Vec<f64> = times[done..]
                .iter()
                .take_while(|t| **t <= stop)
                .copied()
                .collect();
            let asked = segment.len();
            if segment.last() != Some(&stop) {
                segment.push(stop);
            }
            let mut states = self
                .solver
                .solve(&system, t0, &y0, &segment)
                .map_err(fail)?
                .y;
            y0 = states.last().cloned().unwrap_or(y0);
            states.truncate(asked);
            out.extend(states);
            done += asked;
            t0 = stop;
        }
        Ok(out)
    }

    /// The first checkpoint state whose rates vanish to the tolerances.
    fn steady_state(
        &self,
        params: &[f64],
        start: &[f64],
        condition: &str,
    ) -> Result<Vec<f64>, Error> {
        let kinetics = &self.problem.kinetics;
        let mut rate = vec![0.0; start.len()];
        for (t, state) in
            STEADY_TIMES
                .iter()
                .zip(self.solve(params, start, &STEADY_TIMES, condition)?)
        {
            kinetics.rhs(*t, &state, params, &mut rate);
            let settled = rate.iter().zip(&state).all(|(r, x)| {
                r.abs() <= self.settings.steady_atol + self.settings.steady_rtol * x.abs()
            });
            if settled {
                return Ok(state);
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

    /// The state at each measurement's time (a steady state for `inf`), in `rows`' order.
    fn states(
        &self,
        params: &[f64],
        start: &[f64],
        rows: &[usize],
        condition: &str,
    ) -> Result<Vec<(f64, Vec<f64>)>, Error> {
        let measurements = &self.problem.measurements;
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
            self.solve(params, start, &times, condition)?
        };
        let steady = if rows.iter().any(|&i| measurements[i].time.is_infinite()) {
            Some(self.steady_state(params, start, condition)?)
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

    /// The observable and its noise at one measurement.
    fn observe(&self, m: &Measurement, time: f64, state: &[f64], params: &[f64]) -> (f64, f64) {
        let problem = self.problem;
        let observable = &problem.observables[m.observable];
        let kinetics = &problem.kinetics;
        let species: BTreeMap<&str, f64> = kinetics
            .species()
            .iter()
            .map(String::as_str)
            .zip(state.iter().copied())
            .collect();
        let parameters: BTreeMap<&str, f64> = kinetics
            .parameters()
            .iter()
            .map(String::as_str)
            .zip(params.iter().copied())
            .collect();
        let base = |name: &str| -> Option<f64> {
            if name == "t" {
                return Some(time);
            }
            if let Some((noise, n)) = placeholder(name, &observable.id) {
                let list = if noise {
                    &m.noise_parameters
                } else {
                    &m.observable_parameters
                };
                return list.get(n - 1).map(|v| self.value(*v));
            }
            species
                .get(name)
                .or_else(|| parameters.get(name))
                .copied()
                .or_else(|| {
                    problem
                        .parameters
                        .iter()
                        .position(|p| p.id == name)
                        .map(|j| self.theta[j])
                })
        };
        let lookup = |name: &str| -> Option<f64> {
            base(name).or_else(|| problem.rules.get(name).map(|e: &Expr| e.eval(&base)))
        };
        let y = observable.formula.eval(&lookup);
        let sigma = observable.noise.eval(&|name: &str| {
            if name == observable.id {
                Some(y)
            } else {
                lookup(name)
            }
        });
        (y, sigma)
    }
}
