//! The classical check of a PINN estimate: the model solved by the method of lines (or, without
//! space, as ODEs) at the learned parameters, from the initial condition the network used, and
//! compared with the network and with the data.
//!
//! A network can fit the data with the wrong physics: it only has to keep the residual small
//! where the collocation points are, not zero. The solver has no such slack. So the check
//! reports each one's misfit and log-likelihood under the model's noise (piml-fit's, exactly as
//! fit-kinetics computes it), how far the two disagree, and whether the solver's misfit exceeds
//! the noise, and says so in plain words when either is the case.

use piml_fit::{Dataset, InitialFrom as FitInitial, Problem as FitProblem, SigmaSource};
use piml_io::Table;
use piml_model::{Expr, Model, NoiseKind, profile_expression};
use piml_ode::{Method, OdeSolver};
use piml_pde::Grid;

use crate::Error;

/// Network and solver disagree when their predictions at the data differ by more than this many
/// noise standard deviations (root mean square): half the noise already moves the expected
/// misfit by a quarter of σ², more than a good fit's own spread over a few dozen points.
pub const DISAGREE: f64 = 0.5;

/// The solver misfits the data when a misfit at least its own would have this probability or
/// less under the model: a 1% false alarm rate.
pub const MISFIT_P: f64 = 0.01;

/// Relative tolerance of the check's solver (fit-kinetics' default); the absolute one is this
/// times the largest measurement: integration errors a million times below the data.
const RTOL: f64 = 1e-8;
const ATOL: f64 = 1e-6;

/// What the check found.
#[derive(Debug, Clone, PartialEq)]
pub struct SolverCheck {
    /// Method-of-lines cells per axis (empty for an ODE model).
    pub cells: Vec<usize>,
    /// Where the solver's initial condition came from.
    pub initial: &'static str,
    /// Data points compared.
    pub points: usize,
    pub network: Misfit,
    pub solver: Misfit,
    /// Per observable.
    pub observables: Vec<ObservableCheck>,
    /// What the tool should say on stderr (and the document records).
    pub warnings: Vec<String>,
}

impl SolverCheck {
    /// Whether network and solver agree at the data on every observable (within
    /// [`DISAGREE`] noise σ).
    pub fn agree(&self) -> bool {
        self.observables
            .iter()
            .all(|o| o.difference_rms <= DISAGREE * o.noise_sigma)
    }

    /// Whether the solver fits the data within the noise on every observable that has an
    /// independent noise level (no misfit test at p < 0.01); `None` when none has.
    pub fn fits(&self) -> Option<bool> {
        let tested: Vec<f64> = self.observables.iter().filter_map(|o| o.misfit_p).collect();
        (!tested.is_empty()).then(|| tested.iter().all(|p| *p >= MISFIT_P))
    }
}

/// The misfit of one approximation of the solution.
#[derive(Debug, Clone, PartialEq)]
pub struct Misfit {
    pub log_likelihood: f64,
}

/// One observable's comparison, in the observable's units.
#[derive(Debug, Clone, PartialEq)]
pub struct ObservableCheck {
    pub name: String,
    pub points: usize,
    /// Root mean square of data − network and of data − solver.
    pub network_rms: f64,
    pub solver_rms: f64,
    /// Root mean square of network − solver.
    pub difference_rms: f64,
    /// The noise standard deviation the comparison is judged by, and where it came from.
    pub noise_sigma: f64,
    pub noise_source: NoiseSource,
    /// Probability of a misfit at least the solver's if the model were right (a lack-of-fit F
    /// test against replicates, or a χ² test against a given σ); `None` without an independent
    /// noise estimate.
    pub misfit_p: Option<f64>,
}

/// Where the noise level of an observable came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NoiseSource {
    /// The spread of replicates: rows measured at the same coordinates (pure error).
    Replicates,
    /// A `sigma_<name>` column, or a number or parameter the model gives.
    Given,
    /// The network's own residuals: nothing independent to judge the solver's misfit by.
    Network,
}

impl NoiseSource {
    pub fn name(self) -> &'static str {
        match self {
            NoiseSource::Replicates => "replicates",
            NoiseSource::Given => "given",
            NoiseSource::Network => "network residuals",
        }
    }
}

/// The trained network: row-major points (t, then space) to the species values there
/// (points × species).
pub type Network<'a> = dyn Fn(&[f64]) -> Result<Vec<f64>, Error> + 'a;

/// How to run the check.
#[derive(Debug, Clone)]
pub struct CheckSettings {
    /// Method-of-lines cells per axis; `None`: three per distinct measured position (so that
    /// measurements on a regular grid of positions sit on cell centres), at least 100.
    pub cells: Option<Vec<usize>>,
    /// Estimated quantities of the fit (parameters, and initial values taken from the data),
    /// the degrees of freedom the misfit tests take off.
    pub estimated: usize,
}

/// Runs the check. `model` is the model under the data's condition with the learned parameters
/// set; `table` the data rows the network was fitted to (named `file` in errors);
/// `initial_from_network` whether the network's own initial condition stands for the model's
/// (when it came from the data); `network` maps row-major points (t, then space) to the species
/// values there (points × species).
pub fn solver_check(
    model: &Model,
    table: &Table,
    file: &str,
    initial_from_network: bool,
    network: &Network,
    settings: &CheckSettings,
) -> Result<SolverCheck, Error> {
    let coords = coordinate_columns(model, table)?;
    let cells = match (&settings.cells, model.is_spatial()) {
        (_, false) => None,
        (Some(c), true) => Some(c.clone()),
        (None, true) => Some(default_cells(&coords[1..])),
    };
    let mut model = model.clone();
    // The check evaluates the estimates, it fits nothing; piml-fit wants something estimated.
    if !model.parameters.iter().any(|p| p.estimate) {
        return Err(Error::Input(
            "the solver check needs an estimated parameter".into(),
        ));
    }
    let initial = if initial_from_network {
        set_network_initial(&mut model, cells.as_deref(), network)?;
        "network at t0"
    } else {
        "model"
    };
    let fit_error = |e: piml_fit::Error| Error::Input(format!("solver check: {e}"));
    let data = Dataset::on_grid(&model, table, file, cells.as_deref(), FitInitial::Model)
        .map_err(fit_error)?;
    let scale = data
        .points
        .iter()
        .fold(0.0f64, |m, p| m.max(p.value.abs()))
        .max(f64::MIN_POSITIVE);
    let solver = OdeSolver::new(Method::Auto)
        .rtol(RTOL)
        .atol(ATOL * scale)
        .build()
        .map_err(|e| Error::Input(format!("solver check: {e}")))?;
    let problem = FitProblem::new(&model, data, solver).map_err(fit_error)?;
    let theta: Vec<f64> = problem.estimated().iter().map(|e| e.value).collect();
    let solved = problem
        .log_likelihood(&theta)
        .map_err(|e| Error::Check(chain(&e)))?;

    let points = &problem.data().points;
    let nc = coords.len();
    let at: Vec<f64> = points
        .iter()
        .flat_map(|p| coords.iter().map(move |c| c[p.row - 1]))
        .collect();
    let species = network(&at)?;
    let ns = model.species.len();
    let states: Vec<Vec<f64>> = species.chunks_exact(ns).map(<[f64]>::to_vec).collect();
    let networked = problem
        .evaluate_states(&theta, &states)
        .map_err(|e| Error::Check(chain(&e)))?;

    let mut observables = Vec::new();
    let mut warnings = Vec::new();
    for &o in &problem.data().observed {
        let name = model.observables[o].name.clone();
        let idx: Vec<usize> = (0..points.len())
            .filter(|&i| points[i].observable == o)
            .collect();
        let rms = |f: &dyn Fn(usize) -> f64| {
            (idx.iter().map(|&i| f(i).powi(2)).sum::<f64>() / idx.len() as f64).sqrt()
        };
        let y = |i: usize| points[i].value;
        let network_rms = rms(&|i| y(i) - networked.predictions[i]);
        let solver_rms = rms(&|i| y(i) - solved.predictions[i]);
        let difference_rms = rms(&|i| networked.predictions[i] - solved.predictions[i]);
        let keys: Vec<Vec<f64>> = idx
            .iter()
            .map(|&i| {
                let mut k = vec![points[i].group as f64];
                k.extend((0..nc).map(|c| at[i * nc + c]));
                k
            })
            .collect();
        let values: Vec<f64> = idx.iter().map(|&i| y(i)).collect();
        let given = given_sigma(&problem, &model, o, &idx);
        let pure = pure_error(&keys, &values);
        let (noise_sigma, noise_source) = match (given, pure) {
            (Some(s), _) => (s, NoiseSource::Given),
            (None, Some((s, _))) => (s, NoiseSource::Replicates),
            (None, None) => (network_rms, NoiseSource::Network),
        };
        let dof = idx.len().saturating_sub(settings.estimated);
        let ssr = solver_rms.powi(2) * idx.len() as f64;
        let misfit_p = match (noise_source, pure) {
            (NoiseSource::Given, _) => Some(chi2_upper(ssr / noise_sigma.powi(2), dof)),
            (NoiseSource::Replicates, Some((s, (groups, df_pure)))) => {
                let ss_pure = s * s * df_pure as f64;
                let df_lack = groups.saturating_sub(settings.estimated);
                Some(lack_of_fit_p(ssr - ss_pure, df_lack, ss_pure, df_pure))
            }
            _ => None,
        };
        if difference_rms > DISAGREE * noise_sigma {
            warnings.push(format!(
                "'{name}': the network and the solver disagree: at the data they differ by {difference_rms:.3e} (root mean square), more than {DISAGREE} of the noise σ = {noise_sigma:.3e} ({}); the network does not solve the model at the estimates, so the estimates are not the model's",
                noise_source.name()
            ));
        }
        if let Some(p) = misfit_p.filter(|p| *p < MISFIT_P) {
            warnings.push(format!(
                "'{name}': the model solved at the estimates misfits the data by more than the noise: residual {solver_rms:.3e} (root mean square) against σ = {noise_sigma:.3e} from the {} (p = {p:.1e}); the model or its estimates do not explain the data",
                noise_source.name()
            ));
        }
        observables.push(ObservableCheck {
            name,
            points: idx.len(),
            network_rms,
            solver_rms,
            difference_rms,
            noise_sigma,
            noise_source,
            misfit_p,
        });
    }
    Ok(SolverCheck {
        cells: cells.unwrap_or_default(),
        initial,
        points: points.len(),
        network: Misfit {
            log_likelihood: -networked.nll,
        },
        solver: Misfit {
            log_likelihood: -solved.nll,
        },
        observables,
        warnings,
    })
}

/// An error and its causes, `what: why: …`.
fn chain(e: &dyn std::error::Error) -> String {
    let mut text = e.to_string();
    let mut source = e.source();
    while let Some(s) = source {
        text = format!("{text}: {s}");
        source = s.source();
    }
    text
}

/// The coordinate columns the model needs: t, then its space axes.
fn coordinate_columns(model: &Model, table: &Table) -> Result<Vec<Vec<f64>>, Error> {
    std::iter::once("t")
        .chain(model.space.iter().map(|(n, _)| n.as_str()))
        .map(|c| {
            table
                .f64_values(c)
                .map(|v| v.into_iter().map(|x| x.unwrap_or(f64::NAN)).collect())
                .map_err(|e| Error::Input(e.to_string()))
        })
        .collect()
}

/// Three cells per distinct measured position along each axis, at least 100.
fn default_cells(space: &[Vec<f64>]) -> Vec<usize> {
    space
        .iter()
        .map(|column| {
            let mut v: Vec<f64> = column.iter().copied().filter(|x| x.is_finite()).collect();
            v.sort_by(f64::total_cmp);
            v.dedup();
            (3 * v.len()).max(100)
        })
        .collect()
}

/// Replaces each species' initial expression by the network's values at t0: on the check's
/// cell centres (1-D, a linear profile through them) or at the one point of an ODE model.
fn set_network_initial(
    model: &mut Model,
    cells: Option<&[usize]>,
    network: &Network,
) -> Result<(), Error> {
    let t0 = model.start_time();
    let ns = model.species.len();
    match (cells, model.space.len()) {
        (None, _) => {
            let u0 = network(&[t0])?;
            for (s, v) in model.species.iter_mut().zip(u0) {
                s.initial = Expr::Num(v);
            }
        }
        (Some(cells), 1) => {
            let grid = Grid::new(model, cells).map_err(|e| Error::Input(e.to_string()))?;
            let centres = grid.coordinates().swap_remove(0);
            let points: Vec<f64> = centres.iter().flat_map(|&x| [t0, x]).collect();
            let u0 = network(&points)?;
            let axis = model.space[0].0.clone();
            for (k, s) in model.species.iter_mut().enumerate() {
                let values: Vec<Expr> = u0
                    .iter()
                    .skip(k)
                    .step_by(ns)
                    .map(|&v| Expr::Num(v))
                    .collect();
                s.initial = profile_expression(&centres, &values, &axis);
            }
        }
        (Some(_), axes) => {
            return Err(Error::Input(format!(
                "the solver check takes the network's initial condition in 1-D only; the model has {axes} space axes"
            )));
        }
    }
    Ok(())
}

/// The noise σ the data or the model give observable `o` (root mean square over its points),
/// if any.
fn given_sigma(problem: &FitProblem, model: &Model, o: usize, idx: &[usize]) -> Option<f64> {
    if piml_fit::noise_kind(model, o) != NoiseKind::Gaussian {
        return None;
    }
    let points = &problem.data().points;
    match problem.sigma_source(o) {
        SigmaSource::Column => Some(
            (idx.iter()
                .map(|&i| points[i].sigma.unwrap_or(f64::NAN).powi(2))
                .sum::<f64>()
                / idx.len() as f64)
                .sqrt(),
        ),
        SigmaSource::Known(s) => Some(s),
        SigmaSource::Parameter(p) => Some(model.parameters[p].value),
        SigmaSource::Profiled(_) => None,
    }
}

/// The pooled standard deviation of replicates (values whose keys are equal), with the number
/// of distinct keys and the pooled degrees of freedom; `None` with fewer than 5 of them.
fn pure_error(keys: &[Vec<f64>], values: &[f64]) -> Option<(f64, (usize, usize))> {
    let mut order: Vec<usize> = (0..keys.len()).collect();
    order.sort_by(|&a, &b| {
        keys[a]
            .iter()
            .zip(&keys[b])
            .map(|(x, y)| x.total_cmp(y))
            .find(|o| o.is_ne())
            .unwrap_or(std::cmp::Ordering::Equal)
    });
    let (mut ss, mut groups, mut start) = (0.0, 0usize, 0usize);
    while start < order.len() {
        let end = start
            + order[start..]
                .iter()
                .take_while(|&&i| keys[i] == keys[order[start]])
                .count();
        let members = &order[start..end];
        let mean = members.iter().map(|&i| values[i]).sum::<f64>() / members.len() as f64;
        ss += members
            .iter()
            .map(|&i| (values[i] - mean).powi(2))
            .sum::<f64>();
        groups += 1;
        start = end;
    }
    let df = keys.len() - groups;
    (df >= 5).then(|| ((ss / df as f64).sqrt(), (groups, df)))
}

/// P(χ²_df ≥ x), by the Wilson–Hilferty cube-root normal approximation (Wilson & Hilferty
/// 1931), accurate to a few per cent in the tail for df ≥ 10.
fn chi2_upper(x: f64, df: usize) -> f64 {
    if df == 0 {
        return 1.0;
    }
    let k = df as f64;
    let a = 2.0 / (9.0 * k);
    let z = ((x / k).cbrt() - (1.0 - a)) / a.sqrt();
    normal_upper(z)
}

/// P(F ≥ observed) of the lack-of-fit test F = (ss_lack/df_lack)/(ss_pure/df_pure), by
/// Paulson's cube-root normal approximation (Abramowitz & Stegun 26.6.15; within 1e-3 of the
/// exact tail at F(30, 60)'s 1% point and at F(10, 400)'s 14%, checked against scipy).
fn lack_of_fit_p(ss_lack: f64, df_lack: usize, ss_pure: f64, df_pure: usize) -> f64 {
    if df_lack == 0 || ss_lack <= 0.0 {
        return 1.0;
    }
    let f = (ss_lack / df_lack as f64) / (ss_pure / df_pure as f64);
    let (a1, a2) = (2.0 / (9.0 * df_lack as f64), 2.0 / (9.0 * df_pure as f64));
    let c = f.cbrt();
    normal_upper(((1.0 - a2) * c - (1.0 - a1)) / (a1 + c * c * a2).sqrt())
}

/// P(Z ≥ z) of the standard normal, from erfc (Abramowitz & Stegun 7.1.26 is too coarse in the
/// tail; libm's erfc is exact to rounding).
fn normal_upper(z: f64) -> f64 {
    0.5 * libm::erfc(z / std::f64::consts::SQRT_2)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn normal_and_chi2_tails_match_tables() {
        // Φ(−2.326) = 0.01; P(χ²₁₀₀ ≥ 135.807) = 0.01, P(χ²₁₀₀ ≥ 100) = 0.481 (scipy.stats).
        assert!((normal_upper(2.326_347_874_040_841) - 0.01).abs() < 1e-9);
        assert!((chi2_upper(135.807, 100) - 0.01).abs() < 5e-4);
        assert!((chi2_upper(100.0, 100) - 0.481).abs() < 2e-3);
    }

    #[test]
    fn lack_of_fit_is_judged_by_the_f_tail() {
        // F(30, 60)'s 1% point is 2.0285 and P(F(10, 400) ≥ 1.5) = 0.1368 (scipy.stats.f).
        let p = lack_of_fit_p(2.0285 * 30.0, 30, 60.0, 60);
        assert!((p - 0.01).abs() < 1e-4, "p = {p}");
        let p = lack_of_fit_p(1.5 * 10.0, 10, 400.0, 400);
        assert!((p - 0.1368).abs() < 1e-3, "p = {p}");
        assert_eq!(lack_of_fit_p(-1.0, 30, 60.0, 60), 1.0);
    }

    #[test]
    fn replicates_give_the_pooled_spread() {
        // Three positions, three replicates each: deviations ±1 and 0 around each mean.
        let keys: Vec<Vec<f64>> = (0..9).map(|i| vec![(i / 3) as f64]).collect();
        let values = [1.0, 2.0, 3.0, 5.0, 6.0, 7.0, -1.0, 0.0, 1.0];
        let (s, (groups, df)) = pure_error(&keys, &values).unwrap();
        assert_eq!((groups, df), (3, 6));
        assert!((s - 1.0).abs() < 1e-15);
        assert!(pure_error(&keys[..3], &values[..3]).is_none());
    }
}
