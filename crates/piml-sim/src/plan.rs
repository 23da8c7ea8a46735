//! A simulation plan: which conditions, which parameter draws, which output
//! times or inputs, what noise and sampling; run on a slice of the members.

use std::ops::Range;

use piml_io::Table;
use piml_model::{Condition, Kinetics, Model, Observation, Sigma};
use piml_ode::{OdeSolver, Stats};
use piml_pde::Grid;
use rand::Rng;
use rand::seq::index::sample;
use rayon::prelude::*;

use crate::error::Error;
use crate::kinetic::solve_kinetics;
use crate::noise::{NoiseSpec, member_rng};
use crate::spatial::Spatial;

/// Which noise to add to the observables.
#[derive(Debug, Clone, PartialEq)]
pub enum NoiseChoice {
    /// Exact values: species and observables, no noise.
    Exact,
    /// The same noise on every observable.
    Fixed(NoiseSpec),
    /// Each observable's own noise from the model.
    Model,
}

/// Sparse sampling: keep this many random output times per observable.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Sparse {
    pub keep: usize,
}

/// Everything one `simulate` run does.
#[derive(Debug)]
pub struct Plan<'a> {
    /// The model with `--set` applied.
    pub model: &'a Model,
    /// The experiments: `None` is the model as written.
    pub conditions: Vec<Option<&'a Condition>>,
    /// Output times of a kinetic model.
    pub times: Vec<f64>,
    /// Input columns of an algebraic model, in the model's `inputs` order.
    pub inputs: Vec<Vec<f64>>,
    /// Names of the parameters varied across the ensemble, and one row of
    /// values per member (no rows: one member at the model's values).
    pub varied: Vec<String>,
    pub draws: Vec<Vec<f64>>,
    pub noise: NoiseChoice,
    pub sparse: Option<Sparse>,
    pub solver: OdeSolver,
    /// How reaction–diffusion models are solved and written (required for them).
    pub spatial: Option<Spatial>,
    pub seed: u64,
}

/// A run's table and the solver statistics of each member and condition.
#[derive(Debug)]
pub struct Outcome {
    pub table: Table,
    pub stats: Vec<Stats>,
}

/// One member under one condition: coordinate columns and value columns.
struct Block {
    coords: Vec<Vec<f64>>,
    values: Vec<Vec<Option<f64>>>,
    stats: Option<Stats>,
}

/// What a condition needs compiled once for all members.
struct Prepared {
    /// The model under the condition.
    model: Model,
    kinetics: Option<Kinetics>,
    grid: Option<Grid>,
    observation: Observation,
    params: Vec<f64>,
    /// The condition's own parameter settings, by parameter index.
    overrides: Vec<(usize, f64)>,
    label: Option<String>,
}

impl Plan<'_> {
    pub fn n_members(&self) -> usize {
        self.draws.len().max(1)
    }

    fn t0(&self) -> f64 {
        self.model
            .time
            .as_ref()
            .and_then(|t| t.span)
            .map_or(0.0, |s| s[0])
    }

    /// Checks the plan against the model before any work starts.
    fn validate(&self) -> Result<(), Error> {
        for name in &self.varied {
            if self.model.parameter(name).is_none() {
                let hint = piml_model::did_you_mean(name, self.model.parameter_names());
                return Err(Error::Input(format!(
                    "--vary: unknown parameter '{name}'{hint}"
                )));
            }
        }
        if self.model.is_algebraic() {
            if self.inputs.len() != self.model.inputs.len() {
                return Err(Error::Input(format!(
                    "the algebraic model needs values for its inputs: {}",
                    self.model.inputs.join(", ")
                )));
            }
        } else if let Some(&first) = self.times.first()
            && first < self.t0()
        {
            return Err(Error::Input(format!(
                "output time {first} lies before the start of the model's time span, {}",
                self.t0()
            )));
        }
        if self.noise == NoiseChoice::Model {
            for o in &self.model.observables {
                if o.noise.as_ref().and_then(|n| n.sigma.as_ref()).is_none() {
                    return Err(Error::Input(format!(
                        "--noise model: observable '{}' has no noise sigma in the model; give --noise KIND:SIGMA",
                        o.name
                    )));
                }
            }
        }
        Ok(())
    }

    fn prepare(&self) -> Result<Vec<Prepared>, Error> {
        self.conditions
            .iter()
            .map(|c| {
                let model = c.map_or_else(|| self.model.clone(), |c| self.model.under_condition(c));
                let (kinetics, grid) = if model.is_spatial() {
                    let spatial = self.spatial.as_ref().ok_or_else(|| {
                        Error::Input(format!(
                            "model '{}' is spatial: it needs grid settings",
                            model.name
                        ))
                    })?;
                    (
                        None,
                        Some(
                            spatial
                                .grid(&model)
                                .map_err(|e| Error::Input(e.to_string()))?,
                        ),
                    )
                } else if model.is_algebraic() {
                    (None, None)
                } else {
                    (
                        Some(Kinetics::new(&model).map_err(|e| Error::Input(e.to_string()))?),
                        None,
                    )
                };
                let names = model.parameter_names();
                let overrides = c
                    .map(|c| &c.parameters[..])
                    .unwrap_or_default()
                    .iter()
                    .filter_map(|(n, v)| names.iter().position(|m| m == n).map(|i| (i, *v)))
                    .collect();
                Ok(Prepared {
                    observation: Observation::new(&model),
                    params: model.parameter_values(),
                    model,
                    kinetics,
                    grid,
                    overrides,
                    label: c.map(|c| c.name.clone()),
                })
            })
            .collect()
    }

    /// Names of the value columns, in output order.
    pub fn value_names(&self) -> Vec<String> {
        let observed = self.model.observables.iter().map(|o| o.name.clone());
        if self.noise != NoiseChoice::Exact {
            return observed.collect();
        }
        let species: Vec<String> = self.model.species.iter().map(|s| s.name.clone()).collect();
        let extra: Vec<String> = observed.filter(|o| !species.contains(o)).collect();
        species.into_iter().chain(extra).collect()
    }

    /// Simulates the members in `members` (a shard of `0..n_members()`),
    /// calling `on_done` after each, and returns their rows in order.
    pub fn run(
        &self,
        members: Range<usize>,
        on_done: &(dyn Fn() + Sync),
    ) -> Result<Outcome, Error> {
        self.validate()?;
        let prepared = self.prepare()?;
        let blocks: Vec<Vec<Block>> = members
            .clone()
            .into_par_iter()
            .map(|m| {
                let out = prepared
                    .iter()
                    .enumerate()
                    .map(|(c, prep)| self.member(m, c, prep))
                    .collect::<Result<Vec<_>, _>>();
                on_done();
                out
            })
            .collect::<Result<_, _>>()?;
        Ok(self.assemble(members, &prepared, blocks))
    }

    fn member_params(&self, m: usize, prep: &Prepared) -> Vec<f64> {
        let mut params = prep.params.clone();
        if let Some(draw) = self.draws.get(m) {
            let names = self.model.parameter_names();
            for (name, v) in self.varied.iter().zip(draw) {
                if let Some(i) = names.iter().position(|n| n == name) {
                    params[i] = *v;
                }
            }
        }
        // A condition's own settings are the experiment's: they win over draws.
        for &(i, v) in &prep.overrides {
            params[i] = v;
        }
        params
    }

    fn describe(&self, m: usize, prep: &Prepared, params: &[f64]) -> String {
        let mut parts = Vec::new();
        if !self.draws.is_empty() {
            parts.push(format!("sample {m}"));
        }
        if let Some(l) = &prep.label {
            parts.push(format!("condition '{l}'"));
        }
        let values: Vec<String> = self
            .model
            .parameter_names()
            .iter()
            .zip(params)
            .map(|(n, v)| format!("{n}={v}"))
            .collect();
        parts.push(format!("parameters {}", values.join(", ")));
        parts.join(", ")
    }

    fn member(&self, m: usize, c: usize, prep: &Prepared) -> Result<Block, Error> {
        let params = self.member_params(m, prep);
        let mut rng = member_rng(self.seed, m, c);
        // Coordinates: the output times of a kinetic model (and the cell
        // centres of a spatial one), the input columns of an algebraic model
        // (which are also its state).
        let (coords, state, stats) = match (&prep.kinetics, &prep.grid, &self.spatial) {
            (Some(k), _, _) => {
                let traj = solve_kinetics(k, &params, self.t0(), &self.times, &self.solver)
                    .map_err(|source| Error::Solver {
                        context: self.describe(m, prep, &params),
                        source,
                    })?;
                (vec![traj.t], traj.species, Some(traj.stats))
            }
            (None, Some(grid), Some(spatial)) => {
                let run = spatial
                    .run(&prep.model, grid, &params, self.t0(), &self.times, &mut rng)
                    .map_err(|source| Error::Spatial {
                        context: self.describe(m, prep, &params),
                        source,
                    })?;
                (run.coords, run.species, Some(run.stats))
            }
            _ => (self.inputs.clone(), self.inputs.clone(), None),
        };
        let rows = coords.first().map_or(0, Vec::len);
        let timed = prep.kinetics.is_some() || prep.grid.is_some();
        let t_col = if timed {
            coords[0].clone()
        } else {
            vec![0.0; rows]
        };
        let space: Vec<&[f64]> = if prep.grid.is_some() {
            coords[1..].iter().map(Vec::as_slice).collect()
        } else {
            Vec::new()
        };
        let state_refs: Vec<&[f64]> = state.iter().map(Vec::as_slice).collect();
        let observed = prep
            .observation
            .eval_columns(&state_refs, &params, &t_col, &space);
        let exact = |col: &Vec<f64>| col.iter().copied().map(Some).collect::<Vec<_>>();
        let mut values: Vec<Vec<Option<f64>>> = match &self.noise {
            NoiseChoice::Exact => {
                let species = self.model.species_names();
                let extra = self.model.observables.iter().zip(&observed);
                let extra = extra.filter(|(o, _)| !species.contains(&o.name.as_str()));
                state
                    .iter()
                    .take(species.len())
                    .chain(extra.map(|(_, col)| col))
                    .map(exact)
                    .collect()
            }
            choice => self
                .model
                .observables
                .iter()
                .zip(&observed)
                .map(|(o, col)| {
                    let spec = match choice {
                        NoiseChoice::Fixed(s) => *s,
                        _ => self.model_noise(o, &params),
                    };
                    col.iter().map(|f| Some(spec.draw(*f, &mut rng))).collect()
                })
                .collect(),
        };
        if let Some(sparse) = self.sparse {
            for col in &mut values {
                if let Some(mask) = random_mask(rows, sparse.keep, &mut rng) {
                    blank_unkept(col, &mask);
                }
            }
        }
        // Measurements: random points of space-time, all observables at each.
        if let Some(n) = self.spatial.as_ref().and_then(|s| s.measure)
            && let Some(mask) = random_mask(rows, n, &mut rng)
        {
            values.iter_mut().for_each(|col| blank_unkept(col, &mask));
        }
        let mut block = Block {
            coords,
            values,
            stats,
        };
        drop_empty_rows(&mut block);
        Ok(block)
    }

    fn model_noise(&self, o: &piml_model::Observable, params: &[f64]) -> NoiseSpec {
        let noise = o
            .noise
            .as_ref()
            .expect("validated: every observable has noise");
        let sigma = match noise
            .sigma
            .as_ref()
            .expect("validated: every observable has a sigma")
        {
            Sigma::Value(v) => *v,
            Sigma::Parameter(p) => {
                let i = self
                    .model
                    .parameter_names()
                    .iter()
                    .position(|n| n == p)
                    .expect("validated parameter name");
                params[i]
            }
        };
        NoiseSpec {
            kind: noise.kind,
            sigma,
        }
    }

    fn assemble(
        &self,
        members: Range<usize>,
        prepared: &[Prepared],
        blocks: Vec<Vec<Block>>,
    ) -> Outcome {
        let coord_names: Vec<String> = if self.model.is_algebraic() {
            self.model.inputs.clone()
        } else {
            let space = self.model.space.iter().map(|(axis, _)| axis.clone());
            std::iter::once("t".to_string()).chain(space).collect()
        };
        let value_names = self.value_names();
        let labelled = prepared.iter().any(|p| p.label.is_some());
        let mut coords = vec![Vec::new(); coord_names.len()];
        let mut values = vec![Vec::new(); value_names.len()];
        let mut condition = Vec::new();
        let mut sample = Vec::new();
        let mut stats = Vec::new();
        for (m, member_blocks) in members.zip(blocks) {
            for (prep, block) in prepared.iter().zip(member_blocks) {
                let rows = block.coords.first().map_or(0, Vec::len);
                condition.extend(std::iter::repeat_n(prep.label.clone(), rows));
                sample.extend(std::iter::repeat_n(m as i64, rows));
                for (dst, src) in coords.iter_mut().zip(block.coords) {
                    dst.extend(src);
                }
                for (dst, src) in values.iter_mut().zip(block.values) {
                    dst.extend(src);
                }
                stats.extend(block.stats);
            }
        }
        let mut table = Table::new();
        for (name, col) in coord_names.into_iter().zip(coords) {
            table.push_f64(&name, col.into_iter().map(Some).collect());
        }
        if labelled {
            table.push_utf8("condition", condition);
        }
        if !self.draws.is_empty() {
            table.push_i64("sample", sample);
        }
        for (name, col) in value_names.into_iter().zip(values) {
            table.push_f64(&name, col);
        }
        Outcome { table, stats }
    }
}

/// A mask keeping `n` random rows of `rows`; `None` when all are kept.
fn random_mask(rows: usize, n: usize, rng: &mut impl Rng) -> Option<Vec<bool>> {
    if n >= rows {
        return None;
    }
    let mut kept = vec![false; rows];
    for i in sample(rng, rows, n) {
        kept[i] = true;
    }
    Some(kept)
}

fn blank_unkept(col: &mut [Option<f64>], kept: &[bool]) {
    for (v, k) in col.iter_mut().zip(kept) {
        if !k {
            *v = None;
        }
    }
}

/// Drops rows in which no value was kept.
fn drop_empty_rows(block: &mut Block) {
    let rows = block.coords.first().map_or(0, Vec::len);
    let keep: Vec<bool> = (0..rows)
        .map(|r| block.values.iter().any(|c| c[r].is_some()))
        .collect();
    if keep.iter().all(|k| *k) {
        return;
    }
    fn retain<T>(col: &mut Vec<T>, keep: &[bool]) {
        let mut kept = keep.iter();
        col.retain(|_| *kept.next().unwrap_or(&true));
    }
    block.coords.iter_mut().for_each(|col| retain(col, &keep));
    block.values.iter_mut().for_each(|col| retain(col, &keep));
}
