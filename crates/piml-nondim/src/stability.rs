//! The reaction kinetics without diffusion: homogeneous steady states,
//! eigenvalues of the exact Jacobian ∂f/∂y there and at the initial state,
//! and what they say about stiffness.

use nalgebra::{DMatrix, DVector};
use piml_model::expr::Expr;
use piml_model::{Kinetics, Model};
use piml_ode::{Method, OdeSolver};

use crate::rational::{Ratio, null_space};
use crate::scales::sample_points;

/// The centre of the model's space domain, axis by axis.
pub(crate) fn domain_centre(model: &Model) -> Vec<(String, f64)> {
    model
        .space
        .iter()
        .map(|(a, ax)| {
            let [lo, hi] = ax.span.unwrap_or([0.0, 1.0]);
            (a.clone(), 0.5 * (lo + hi))
        })
        .collect()
}

/// The start of the model's time span (0 without one).
pub(crate) fn start_time(model: &Model) -> f64 {
    model
        .time
        .as_ref()
        .and_then(|t| t.span)
        .map_or(0.0, |s| s[0])
}

/// The model's kinetics at the centre of its domain, with the initial state
/// averaged over the domain: what a spatially uniform solution obeys.
pub fn homogeneous(model: &Model) -> Model {
    let mut m = model.clone();
    let centre: Vec<(String, f64)> = domain_centre(model);
    let at_centre = |e: &Expr| {
        e.substitute(&|n| {
            centre
                .iter()
                .find(|(a, _)| a == n)
                .map(|(_, v)| Expr::Num(*v))
        })
    };
    let values = model.parameter_values();
    let points = sample_points(model);
    for s in &mut m.species {
        let mean = points
            .iter()
            .map(|p| {
                s.initial.eval(&|n| {
                    p.iter().find(|(a, _)| a == n).map(|(_, v)| *v).or_else(|| {
                        model
                            .parameters
                            .iter()
                            .position(|q| q.name == n)
                            .map(|i| values[i])
                    })
                })
            })
            .sum::<f64>()
            / points.len() as f64;
        s.initial = Expr::Num(mean);
        s.diffusion = None;
    }
    for r in &mut m.reactions {
        r.rate = at_centre(&r.rate);
    }
    if let Some(rates) = &mut m.rates {
        for (_, e) in rates.iter_mut() {
            *e = at_centre(e);
        }
    }
    m.space.clear();
    m.boundary.clear();
    m.conditions.clear();
    m
}

/// Eigenvalues (re, im) of a column-major n×n matrix, sorted by real part.
pub fn eigenvalues(n: usize, column_major: &[f64]) -> Vec<(f64, f64)> {
    let m = DMatrix::from_column_slice(n, n, column_major);
    let mut ev: Vec<(f64, f64)> = m
        .complex_eigenvalues()
        .iter()
        .map(|z| (z.re, z.im))
        .collect();
    ev.sort_by(|a, b| a.0.total_cmp(&b.0).then(a.1.total_cmp(&b.1)));
    ev
}

/// Conserved combinations c·y: for a reaction network the left null space
/// of its stoichiometric matrix, exactly; for a model given by `rates`, the
/// vectors c with cᵀ·∂f/∂y = 0 at three unrelated states (the exact
/// Jacobian there; singular values below 1e-10 of the largest count as zero).
pub fn conservation_laws(model: &Model, kin: &Kinetics, scales: &[f64]) -> Vec<Vec<f64>> {
    if model.rates.is_none() {
        let net = |r: &piml_model::Reaction, s: &str| -> Option<Ratio> {
            let sum = |v: &[(String, f64)]| {
                v.iter()
                    .filter(|(n, _)| n == s)
                    .map(|(_, c)| c)
                    .sum::<f64>()
            };
            Ratio::from_f64(sum(&r.products) - sum(&r.reactants))
        };
        // Rows of Nᵀ: one per reaction, one column per species.
        let rows: Option<Vec<Vec<Ratio>>> = model
            .reactions
            .iter()
            .map(|r| model.species.iter().map(|s| net(r, &s.name)).collect())
            .collect();
        if let Some(rows) = rows {
            return null_space(&rows, model.species.len())
                .into_iter()
                .map(|v| v.iter().map(|r| r.to_f64()).collect())
                .collect();
        }
    }
    let n = kin.n_species();
    let p = model.parameter_values();
    let t0 = start_time(model);
    let mut y0 = vec![0.0; n];
    kin.initial(&p, &mut y0);
    let points = [
        y0,
        (0..n)
            .map(|i| scales[i] * (0.37 + 0.11 * i as f64))
            .collect(),
        (0..n)
            .map(|i| scales[i] * (1.7 - 0.13 * i as f64))
            .collect::<Vec<f64>>(),
    ];
    let mut stacked = DMatrix::zeros(3 * n, n);
    let mut jac = vec![0.0; n * n];
    for (k, y) in points.iter().enumerate() {
        kin.jacobian_y(t0, y, &p, &mut jac);
        // Rows of Jᵀ: row j holds ∂f_i/∂y_j over i.
        for j in 0..n {
            for i in 0..n {
                stacked[(k * n + j, i)] = jac[j * n + i];
            }
        }
    }
    let svd = stacked.svd(false, true);
    let Some(v_t) = svd.v_t else {
        return Vec::new();
    };
    let top = svd.singular_values.max();
    (0..n)
        .filter(|&k| svd.singular_values[k] <= 1e-10 * top)
        .map(|k| v_t.row(k).iter().copied().collect())
        .collect()
}

/// A homogeneous steady state with the Jacobian's eigenvalues there.
#[derive(Debug, Clone)]
pub struct SteadyState {
    pub state: Vec<f64>,
    pub eigenvalues: Vec<(f64, f64)>,
    /// Every eigenvalue off the conservation laws has a negative real part.
    pub stable: bool,
}

/// Gauss–Newton on f(y) = 0 together with the conservation laws C·y = C·y0,
/// least-squares steps through the SVD (the Jacobian is singular when there
/// are conservation laws), halving steps that do not reduce the residual.
/// Converged when the residual is below `tolerance` and the last step below
/// 1e-12 of `scales`: a small residual alone also holds on slow manifolds
/// near a steady state (Robertson's y3' = k2·y2² with y2 ~ 1e-12).
fn newton(
    kin: &Kinetics,
    p: &[f64],
    t: f64,
    start: &[f64],
    laws: &[(Vec<f64>, f64)],
    tolerance: f64,
    scales: &[f64],
) -> Option<(Vec<f64>, f64)> {
    let n = kin.n_species();
    let rows = n + laws.len();
    let residual = |y: &[f64]| -> DVector<f64> {
        let mut f = vec![0.0; n];
        kin.rhs(t, y, p, &mut f);
        let mut r = DVector::zeros(rows);
        for i in 0..n {
            r[i] = f[i];
        }
        for (k, (c, total)) in laws.iter().enumerate() {
            r[n + k] = c.iter().zip(y).map(|(a, b)| a * b).sum::<f64>() - total;
        }
        r
    };
    let mut y = start.to_vec();
    let mut r = residual(&y);
    let mut jac = vec![0.0; n * n];
    for _ in 0..500 {
        kin.jacobian_y(t, &y, p, &mut jac);
        let mut a = DMatrix::zeros(rows, n);
        for j in 0..n {
            for i in 0..n {
                a[(i, j)] = jac[j * n + i];
            }
            for (k, (c, _)) in laws.iter().enumerate() {
                a[(n + k, j)] = c[j];
            }
        }
        let step = a.svd(true, true).solve(&(-&r), 1e-14).ok()?;
        let small = step.iter().zip(scales).all(|(d, s)| d.abs() <= 1e-12 * s);
        if small && r.amax() <= tolerance {
            return Some((y, r.amax()));
        }
        let mut lambda = 1.0;
        loop {
            let trial: Vec<f64> = y
                .iter()
                .zip(step.iter())
                .map(|(v, d)| v + lambda * d)
                .collect();
            let rt = residual(&trial);
            if rt.norm() <= r.norm() || lambda < 1e-6 {
                y = trial;
                r = rt;
                break;
            }
            lambda *= 0.5;
        }
        if !y.iter().all(|v| v.is_finite()) {
            return None;
        }
    }
    None
}

/// The non-negative homogeneous steady states reached by Newton's method
/// from the initial state and from a grid of states around the species
/// scales (levels 0, 0.1, 1 and 10 times each scale for up to three species;
/// the same level for all species otherwise), deduplicated.
///
/// `scales` are the species scales and `rate_scale` a characteristic rate
/// (species scale over time scale): residuals below 1e-10 of it count as zero.
pub fn steady_states(
    model: &Model,
    kin: &Kinetics,
    scales: &[f64],
    rate_scale: f64,
) -> Vec<SteadyState> {
    let n = kin.n_species();
    let p = model.parameter_values();
    let t0 = start_time(model);
    let mut y0 = vec![0.0; n];
    kin.initial(&p, &mut y0);
    let laws: Vec<(Vec<f64>, f64)> = conservation_laws(model, kin, scales)
        .into_iter()
        .map(|c| {
            let total = c.iter().zip(&y0).map(|(a, b)| a * b).sum();
            (c, total)
        })
        .collect();
    let levels = [0.0, 0.1, 1.0, 10.0];
    let mut starts = vec![y0.clone()];
    if n <= 3 {
        let combos = levels.len().pow(n as u32);
        for k in 0..combos {
            let mut rest = k;
            starts.push(
                (0..n)
                    .map(|i| {
                        let level = levels[rest % levels.len()];
                        rest /= levels.len();
                        level * scales[i]
                    })
                    .collect(),
            );
        }
    } else {
        for level in levels {
            starts.push(scales.iter().map(|s| level * s).collect());
        }
    }
    // Far below round-off of rates of this size is not asked for; above it,
    // near-steady points of slow manifolds (Robertson's y3' = k2·y2²) are
    // not taken for steady states.
    let tolerance = 1e-14 * rate_scale;
    // Candidates within 1e-6 of the species scales are one steady state
    // (Newton creeps along degenerate ones such as Robertson's); the one
    // with the smallest residual stands for them.
    let mut found: Vec<(Vec<f64>, f64)> = Vec::new();
    for start in starts {
        let Some((y, res)) = newton(kin, &p, t0, &start, &laws, tolerance, scales) else {
            continue;
        };
        if y.iter().zip(scales).any(|(v, s)| *v < -1e-9 * s) {
            continue;
        }
        let y: Vec<f64> = y
            .iter()
            .zip(scales)
            .map(|(v, s)| if v.abs() < 1e-12 * s { 0.0 } else { *v })
            .collect();
        let same = |a: &[f64]| {
            a.iter()
                .zip(&y)
                .zip(scales)
                .all(|((u, v), s)| (u - v).abs() <= 1e-6 * u.abs().max(v.abs()).max(*s))
        };
        match found.iter_mut().find(|f| same(&f.0)) {
            Some(f) if res < f.1 => *f = (y, res),
            Some(_) => {}
            None => found.push((y, res)),
        }
    }
    let mut jac = vec![0.0; n * n];
    let mut found: Vec<SteadyState> = found
        .into_iter()
        .map(|(y, _)| {
            kin.jacobian_y(t0, &y, &p, &mut jac);
            let eigenvalues = eigenvalues(n, &jac);
            SteadyState {
                stable: is_stable(&eigenvalues, laws.len()),
                state: y,
                eigenvalues,
            }
        })
        .collect();
    found.sort_by(|a, b| {
        a.state
            .iter()
            .zip(&b.state)
            .map(|(u, v)| u.total_cmp(v))
            .find(|o| o.is_ne())
            .unwrap_or(std::cmp::Ordering::Equal)
    });
    found
}

/// Stable: every eigenvalue has a negative real part, except the zero
/// eigenvalues that `laws` conservation laws bring (the largest real parts).
pub fn is_stable(eigenvalues: &[(f64, f64)], laws: usize) -> bool {
    let scale = eigenvalues
        .iter()
        .map(|(r, i)| r.hypot(*i))
        .fold(0.0, f64::max);
    let off_laws = &eigenvalues[..eigenvalues.len() - laws.min(eigenvalues.len())];
    off_laws.iter().all(|(re, _)| *re < -1e-12 * scale)
}

/// What the eigenvalues at one state say.
#[derive(Debug, Clone)]
pub struct Sample {
    pub label: String,
    pub t: Option<f64>,
    pub state: Vec<f64>,
    pub eigenvalues: Vec<(f64, f64)>,
}

/// The stiffness report: eigenvalues at the initial state, at the steady
/// states and along the solution, the stiffness ratio, and the solver to use.
#[derive(Debug, Clone)]
pub struct Stiffness {
    pub samples: Vec<Sample>,
    /// max |Re λ| / min |Re λ| over the decaying modes of any one sample
    /// (Lambert 1991, *Numerical Methods for Ordinary Differential Systems*, §6.2).
    pub ratio: f64,
    /// max |Re λ| times the time span: roughly how many steps an explicit
    /// method needs for stability alone.
    pub index: f64,
    pub stiff: bool,
    pub reason: String,
    /// Why the solution could not be followed, if it could not.
    pub trajectory_error: Option<String>,
}

/// Decaying modes whose rates are resolvable: |Re λ| above 1e-12 of the
/// largest magnitude (round-off of the eigen-solver) and real part negative.
fn decay_rates(ev: &[(f64, f64)]) -> Vec<f64> {
    let scale = ev.iter().map(|(r, i)| r.hypot(*i)).fold(0.0, f64::max);
    ev.iter()
        .filter(|(re, _)| *re < -1e-12 * scale)
        .map(|(re, _)| -re)
        .collect()
}

/// Follows the kinetics with the stiff solver to 24 log-spaced times over
/// the span and takes the Jacobian's eigenvalues there, at the initial state
/// and at the steady states. A problem is called stiff when some state has
/// ratio > 1e3 and the explicit stability limit would cost more than 1e4 steps.
pub fn stiffness(
    model: &Model,
    kin: &Kinetics,
    steady: &[SteadyState],
    scales: &[f64],
) -> Stiffness {
    let n = kin.n_species();
    let p = model.parameter_values();
    let [t0, t1] = model
        .time
        .as_ref()
        .and_then(|t| t.span)
        .unwrap_or([0.0, 1.0]);
    let mut y0 = vec![0.0; n];
    kin.initial(&p, &mut y0);
    let mut jac = vec![0.0; n * n];
    let mut at = |label: String, t: Option<f64>, y: &[f64]| {
        kin.jacobian_y(t.unwrap_or(t0), y, &p, &mut jac);
        Sample {
            label,
            t,
            state: y.to_vec(),
            eigenvalues: eigenvalues(n, &jac),
        }
    };
    let mut samples = vec![at("initial".into(), Some(t0), &y0)];
    for (i, s) in steady.iter().enumerate() {
        samples.push(at(format!("steady state {}", i + 1), None, &s.state));
    }
    let span = t1 - t0;
    // From span·1e-9 to the span, so that fast transients are seen too.
    let times: Vec<f64> = (0..24)
        .map(|k| t0 + span * 10f64.powf(-9.0 + 9.0 * k as f64 / 23.0))
        .collect();
    // Absolute tolerances from 1e-12 down to 1e-24 of the species scales:
    // problems such as E5 pass through values near 1e-290 and need the last.
    let solve = |atol: f64| {
        let atols: Vec<f64> = scales.iter().map(|s| atol * s).collect();
        let solver = OdeSolver::new(Method::Bdf)
            .rtol(1e-6)
            .atol_vector(atols)
            .build();
        solver.map_err(|e| e.to_string()).and_then(|s| {
            piml_sim::solve_kinetics(kin, &p, t0, &times, &s).map_err(|e| e.to_string())
        })
    };
    let trajectory = solve(1e-12)
        .or_else(|_| solve(1e-18))
        .or_else(|_| solve(1e-24));
    let trajectory_error = match trajectory {
        Ok(tr) => {
            for (k, t) in tr.t.iter().enumerate() {
                let y: Vec<f64> = tr.species.iter().map(|c| c[k]).collect();
                samples.push(at("solution".into(), Some(*t), &y));
            }
            None
        }
        Err(e) => Some(e),
    };
    let mut ratio: f64 = 1.0;
    let mut fastest: f64 = 0.0;
    for s in &samples {
        let rates = decay_rates(&s.eigenvalues);
        if let (Some(hi), Some(lo)) = (
            rates.iter().copied().reduce(f64::max),
            rates.iter().copied().reduce(f64::min),
        ) {
            ratio = ratio.max(hi / lo);
            fastest = fastest.max(hi);
        }
    }
    let index = fastest * span;
    let stiff = ratio > 1e3 && index > 1e4;
    let reason = if stiff {
        format!(
            "stiffness ratio {ratio:.3e} and an explicit stability limit of ~{index:.1e} steps over the span: use the stiff solver (--method stiff, BDF)"
        )
    } else {
        format!(
            "stiffness ratio {ratio:.3e}, explicit stability limit ~{index:.1e} steps: an explicit solver (--method explicit, Dormand–Prince) suffices"
        )
    };
    Stiffness {
        samples,
        ratio,
        index,
        stiff,
        reason,
        trajectory_error,
    }
}
