//! What fit-pinn writes: the fit document, the network, predictions, residuals, history.

use anyhow::Result;
use piml_io::{Outputs, Provenance, Table};
use piml_model::Model;
use piml_nn::Mlp;
use piml_pinn::{InitialFrom, Outcome, Phase, Term, Trainer};
use serde_json::{Map, Value, json};

use crate::Args;
use crate::check::{self, Checked};
use crate::inputs::coordinates;

pub struct Report<'a> {
    pub args: &'a Args,
    pub model: &'a Model,
    pub trainer: &'a mut Trainer,
    pub mlp: &'a Mlp,
    pub outcome: &'a Outcome,
    pub seconds: f64,
    pub phase_seconds: &'a [(Phase, f64, usize)],
    pub grid: Option<&'a [usize]>,
    pub check: Option<&'a Checked>,
}

impl Report<'_> {
    pub fn write(mut self) -> Result<()> {
        let provenance = Provenance::from_env("fit-pinn", Some(self.args.common.seed));
        let meta = provenance.table_metadata(&self.model.source_json());
        let network = self.trainer.network(&self.outcome.params);
        let mut written = Outputs::default();
        if let Some(path) = &self.args.network {
            let bytes = network.to_safetensors()?;
            written.write(path, |w| w.write_all(&bytes))?;
        }
        if let (Some(path), Some(grid)) = (&self.args.predict, self.grid) {
            let mut table = self.predictions(&network, grid)?;
            table.set_metadata(meta.clone());
            written.table(path, &table)?;
        }
        if let Some(path) = &self.args.residuals {
            let mut table = self.residuals()?;
            table.set_metadata(meta.clone());
            written.table(path, &table)?;
        }
        if let Some(path) = &self.args.history {
            let mut table = self.history();
            table.set_metadata(meta);
            written.table(path, &table)?;
        }
        let body = self.document();
        written.json(
            &self.args.output,
            &provenance.document(&self.model.name, body),
        )?;
        Ok(written.commit()?)
    }

    fn predictions(&self, network: &Mlp, grid: &[usize]) -> Result<Table> {
        let problem = self.trainer.problem();
        let spans = problem.spans();
        let axes: Vec<Vec<f64>> = grid
            .iter()
            .zip(spans)
            .map(|(&n, [lo, hi])| {
                (0..n)
                    .map(|i| {
                        if n == 1 {
                            *lo
                        } else {
                            lo + (hi - lo) * i as f64 / (n - 1) as f64
                        }
                    })
                    .collect()
            })
            .collect();
        let nc = axes.len();
        let total: usize = grid.iter().product();
        let mut points = Vec::with_capacity(total * nc);
        let mut index = vec![0usize; nc];
        for _ in 0..total {
            points.extend(index.iter().zip(&axes).map(|(&i, a)| a[i]));
            for d in (0..nc).rev() {
                index[d] += 1;
                if index[d] < grid[d] {
                    break;
                }
                index[d] = 0;
            }
        }
        let initial =
            (problem.initial_from() == InitialFrom::Hard).then(|| problem.initial_values(&points));
        let u = network.predict(&points, initial.as_deref())?;
        let mut table = Table::new();
        push_points(&mut table, &coordinates(self.model), &points);
        let ns = problem.species().len();
        for (k, name) in problem.species().iter().enumerate() {
            table.push_f64(
                name,
                u.iter().skip(k).step_by(ns).map(|&v| Some(v)).collect(),
            );
        }
        Ok(table)
    }

    fn residuals(&mut self) -> Result<Table> {
        let r = self.trainer.interior_residuals(&self.outcome.params)?;
        let problem = self.trainer.problem();
        let ns = problem.species().len();
        let mut table = Table::new();
        push_points(&mut table, &coordinates(self.model), problem.interior());
        for (k, name) in problem.species().iter().enumerate() {
            let column = r.iter().skip(k).step_by(ns).map(|&v| Some(v)).collect();
            table.push_f64(&format!("residual_{name}"), column);
        }
        // The size sample-collocation --from resamples by.
        let norm = problem.residual_sizes(&r).into_iter().map(Some).collect();
        table.push_f64("residual", norm);
        Ok(table)
    }

    fn history(&self) -> Table {
        let rows = &self.outcome.history;
        let mut table = Table::new();
        table.push_utf8(
            "phase",
            rows.iter()
                .map(|r| Some(r.phase.name().to_string()))
                .collect(),
        );
        table.push_i64("step", rows.iter().map(|r| r.step as i64).collect());
        table.push_f64("loss", rows.iter().map(|r| finite(r.loss)).collect());
        for t in Term::ALL {
            table.push_f64(
                &format!("loss_{}", t.name()),
                rows.iter().map(|r| finite(r.terms[t.index()])).collect(),
            );
        }
        for t in Term::ALL {
            table.push_f64(
                &format!("weight_{}", t.name()),
                rows.iter().map(|r| finite(r.weights[t.index()])).collect(),
            );
        }
        for (j, u) in self.trainer.problem().unknowns().iter().enumerate() {
            table.push_f64(&u.name, rows.iter().map(|r| finite(r.params[j])).collect());
        }
        table
    }

    fn document(&self) -> Value {
        let problem = self.trainer.problem();
        let o = self.outcome;
        let estimates = self.trainer.estimates(&o.params);
        let mut parameters = Map::new();
        for (u, value) in problem.unknowns().iter().zip(&estimates) {
            let p = &self.model.parameters[u.index];
            parameters.insert(
                u.name.clone(),
                json!({
                    "estimate": value,
                    "stderr": null,
                    "ci95": null,
                    "start": p.value,
                    "bounds": u.bounds(),
                    "units": p.units,
                }),
            );
        }
        let term_map = |v: [f64; 4]| -> Value {
            Term::ALL
                .iter()
                .filter(|t| problem.has_term(**t))
                .map(|t| (t.name().to_string(), json!(v[t.index()])))
                .collect::<Map<_, _>>()
                .into()
        };
        let scales = problem.scales();
        let named = |names: &[String], values: &[f64]| -> Value {
            names
                .iter()
                .zip(values)
                .map(|(n, v)| (n.clone(), json!(v)))
                .collect::<Map<_, _>>()
                .into()
        };
        let coords = coordinates(self.model);
        let observed: Vec<String> = self
            .model
            .observables
            .iter()
            .map(|o| o.name.clone())
            .collect();
        let timing = |phase: Phase| {
            self.phase_seconds
                .iter()
                .filter(|(p, _, _)| *p == phase)
                .fold((0.0, 0usize), |(s, n), (_, t, k)| (s + t, n + k))
        };
        let (adam_s, adam_n) = timing(Phase::Adam);
        let (lbfgs_s, lbfgs_n) = timing(Phase::Lbfgs);
        let arch = self.mlp.architecture();
        json!({
            "method": "physics-informed neural network",
            "condition": self.args.condition,
            "parameters": parameters,
            "objective": o.loss,
            "loss": term_map(o.terms),
            "weights": term_map(o.weights),
            "converged": o.converged,
            "termination": o.termination,
            // The estimates solved classically and compared with the network and the data.
            "check": self.check.map(check::document),
            "iterations": {
                "adam": o.adam_steps,
                "lbfgs": o.lbfgs_iterations,
                "lbfgs_evaluations": o.lbfgs_evaluations,
            },
            "precision": {
                "adam": format!("{:?}", self.args.precision).to_lowercase(),
                "lbfgs": "f64",
            },
            "network": {
                "inputs": coords,
                "outputs": problem.species(),
                "hidden": arch.hidden,
                "activation": arch.activation.name(),
                "parameters": self.mlp.n_params(),
                // Where the initial condition came from (`auto` resolved): model, hard, data.
                "initial_condition": problem.initial_from().name(),
                // Species whose negative values the loss penalises (measured only as ≥ 0).
                "nonnegative": problem.nonnegative_species(),
            },
            "points": {
                "interior": problem.interior().len() / coords.len(),
            },
            "scales": {
                "time": scales.time,
                "lengths": named(&coords[1..], &scales.lengths),
                "species": named(problem.species(), &scales.species),
                "observables": named(&observed, &scales.observables),
            },
            "timing": {
                "seconds": self.seconds,
                "adam_seconds": adam_s,
                "seconds_per_1000_adam_steps": if adam_n > 0 { adam_s * 1000.0 / adam_n as f64 } else { 0.0 },
                "lbfgs_seconds": lbfgs_s,
                "seconds_per_lbfgs_evaluation": if lbfgs_n > 0 { lbfgs_s / lbfgs_n as f64 } else { 0.0 },
                "threads": rayon::current_num_threads(),
            },
        })
    }
}

fn finite(v: f64) -> Option<f64> {
    v.is_finite().then_some(v)
}

/// Coordinate columns from row-major points.
fn push_points(table: &mut Table, names: &[String], points: &[f64]) {
    let nc = names.len();
    for (c, name) in names.iter().enumerate() {
        table.push_f64(
            name,
            points
                .iter()
                .skip(c)
                .step_by(nc)
                .map(|&v| Some(v))
                .collect(),
        );
    }
}
