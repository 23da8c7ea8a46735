//! The classical check of the estimates: piml-pinn's `solver_check` on the trained network.

use std::path::Path;

use piml_io::Table;
use piml_model::Model;
use piml_pinn::{CheckSettings, InitialFrom, SolverCheck, Trainer, solver_check};
use serde_json::{Value, json};

/// The check, or why it could not be made.
pub type Checked = Result<SolverCheck, String>;

/// Solves `model` (under the data's condition) at the estimates in `params`, from the network's
/// initial condition when it came from the data, and compares it with the network and the
/// rows of `table` (read from `path`).
pub fn run(
    model: &Model,
    trainer: &mut Trainer,
    params: &[f64],
    table: &Table,
    path: &Path,
    cells: Option<Vec<usize>>,
) -> Checked {
    let problem = trainer.problem();
    let mut model = model.clone();
    for (u, v) in problem.unknowns().iter().zip(trainer.estimates(params)) {
        model.parameters[u.index].value = v;
    }
    let initial_from = problem.initial_from();
    let network = trainer.network(params);
    let predict = |points: &[f64]| {
        let u0 = (initial_from == InitialFrom::Hard).then(|| problem.initial_values(points));
        Ok(network.predict(points, u0.as_deref())?)
    };
    let settings = CheckSettings {
        cells,
        estimated: problem.unknowns().len() + problem.initial_values_from_data(),
    };
    solver_check(
        &model,
        table,
        &path.display().to_string(),
        initial_from == InitialFrom::Data,
        &predict,
        &settings,
    )
    .map_err(|e| e.to_string())
}

/// What to say on stderr.
pub fn warnings(check: &Checked) -> Vec<String> {
    match check {
        Ok(c) => c
            .warnings
            .iter()
            .map(|w| format!("solver check: {w}"))
            .collect(),
        Err(e) => vec![format!(
            "the estimates could not be checked by a classical solve: {e}"
        )],
    }
}

/// The check's section of the fit document.
pub fn document(check: &Checked) -> Value {
    let c = match check {
        Ok(c) => c,
        Err(e) => return json!({ "error": e }),
    };
    let observables: serde_json::Map<String, Value> = c
        .observables
        .iter()
        .map(|o| {
            (
                o.name.clone(),
                json!({
                    "points": o.points,
                    "network_rms": o.network_rms,
                    "solver_rms": o.solver_rms,
                    "difference_rms": o.difference_rms,
                    "noise_sigma": o.noise_sigma,
                    "noise_source": o.noise_source.name(),
                    "misfit_p": o.misfit_p,
                }),
            )
        })
        .collect();
    json!({
        "solver": if c.cells.is_empty() { "ODE solver".to_string() } else { format!("method of lines, {:?} cells", c.cells) },
        "initial": c.initial,
        "points": c.points,
        "network_log_likelihood": c.network.log_likelihood,
        "solver_log_likelihood": c.solver.log_likelihood,
        "observables": observables,
        "agree": c.agree(),
        "fits": c.fits(),
        "warnings": c.warnings,
    })
}
