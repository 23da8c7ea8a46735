//! Travelling fronts and pattern formation: Fisher–KPP fronts move at the
//! speed theory gives, and Gray–Scott grows a pattern from a seeded square.

use piml_model::Model;
use piml_pde::{Grid, Method, ReactionDiffusion, Solver};
use rand::{Rng, SeedableRng};

/// Where u falls through 1/2, by linear interpolation between cell centres.
fn front(u: &[f64], grid: &Grid) -> f64 {
    let axis = &grid.axes()[0];
    let i = u
        .iter()
        .position(|v| *v < 0.5)
        .expect("the front is inside the domain");
    let (x0, x1) = (axis.centre(i - 1), axis.centre(i));
    x0 + (0.5 - u[i - 1]) * (x1 - x0) / (u[i] - u[i - 1])
}

/// Fisher–KPP u_t = D u_xx + r u(1 − u) from a step: the front's position
/// follows x(t) = 2√(Dr)·t − (3/2)·√(D/r)·ln t + const (Bramson 1983), so its
/// mean speed between t1 and t2 is 2√(Dr) − (3/2)√(D/r)·ln(t2/t1)/(t2 − t1).
/// The grid (h = 0.25) speeds the front up by about h²r/(12·…) ≈ 0.3%; the
/// remaining corrections to Bramson's law are O(t^(−1/2)) ≈ 0.1% here; we
/// allow 1%, as the issue asks.
#[test]
fn fisher_fronts_travel_at_twice_root_dr() {
    let model = Model::from_json_str(
        r#"{"space": {"x": {"span": [0, 400]}}, "boundary": "neumann",
            "species": {"u": {"initial": "step(10 - x)", "diffusion": "D"}},
            "parameters": {"D": 1, "r": 1}, "rates": {"u": "r*u*(1 - u)"}}"#,
        "fisher",
    )
    .unwrap();
    let grid = Grid::new(&model, &[1600]).unwrap();
    let rd = ReactionDiffusion::new(&model, grid.clone(), &model.parameter_values()).unwrap();
    let solver = Solver::new(Method::Bdf)
        .rtol(1e-8)
        .atol(1e-10)
        .build()
        .unwrap();
    let (t1, t2) = (80.0, 100.0);
    let solution = solver
        .solve(&rd, &rd.initial_state(), 0.0, &[t1, t2])
        .unwrap();
    let (x1, x2) = (
        front(&solution.fields[0][0], &grid),
        front(&solution.fields[1][0], &grid),
    );
    let speed = (x2 - x1) / (t2 - t1);
    let theory = 2.0 - 1.5 * (t2 / t1).ln() / (t2 - t1);
    assert!(
        (speed - theory).abs() < 0.01 * theory,
        "front speed {speed}, theory {theory}"
    );
}

/// Gray–Scott (Pearson 1993) with F = 0.035, k = 0.065 on the periodic
/// 128² grid of testdata/gray-scott-2d.json, seeded with its central square
/// plus uniform noise of ±0.1 clipped at zero (what `simulate --perturb 0.1`
/// does): after the seed's transient the spots replicate outwards, and the
/// spatial variance of v doubles between t = 1000 and t = 5000 (measured
/// 3.57e-4 → 7.12e-4, the same at dt = 1 and 2); we assert growth by 1.5×.
/// No spot count is asserted: it depends on the grid spacing.
#[test]
fn gray_scott_grows_a_pattern() {
    let path =
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../testdata/gray-scott-2d.json");
    let model = Model::from_file(&path).unwrap();
    let grid = Grid::new(&model, &[128, 128]).unwrap();
    let rd = ReactionDiffusion::new(&model, grid, &model.parameter_values()).unwrap();
    let mut initial = rd.initial_state();
    let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(1);
    for v in initial.iter_mut().flatten() {
        *v = (*v + 0.1 * (2.0 * rng.random::<f64>() - 1.0)).max(0.0);
    }
    let solver = Solver::new(Method::Spectral).dt(2.0).build().unwrap();
    let times = [1000.0, 5000.0];
    let solution = solver.solve(&rd, &initial, 0.0, &times).unwrap();
    let variance = |v: &[f64]| {
        let mean = v.iter().sum::<f64>() / v.len() as f64;
        v.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / v.len() as f64
    };
    let (early, late) = (
        variance(&solution.fields[0][1]),
        variance(&solution.fields[1][1]),
    );
    assert!(
        late > 1.5 * early,
        "variance of v: {early:e} at t = 1000, {late:e} at t = 5000"
    );
    // Pseudo-spectral ringing at the spots' sharp edges (barely resolved at
    // h = 0.01) undershoots zero by a few 1e-7.
    let v = &solution.fields[1][1];
    let (lo, hi) = v
        .iter()
        .fold((f64::MAX, f64::MIN), |(a, b), x| (a.min(*x), b.max(*x)));
    assert!(lo > -1e-6 && hi < 1.0, "v stays in [0, 1): [{lo:e}, {hi}]");
}
