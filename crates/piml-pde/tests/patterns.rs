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

/// Fisher–KPP u_t = D u_xx + r u(1 − u) from a step on a zero-flux line long
/// enough that the front never feels the far wall (it reaches x ≈ 200 of 400
/// by t = 100, where u ahead of it is below 1e-40). Bramson (1983): the
/// front's position is x(t) = 2√(Dr)·t − (3/(2λ))·ln t + const, λ = √(r/D),
/// so its speed is 2√(Dr) − 3/(2λt). We locate the u = 1/2 crossing at five
/// late times, 60…100, and compare each interval's mean speed with the
/// corrected speed at the interval's logarithmic mean time
/// t̄ = (t2 − t1)/ln(t2/t1) (where the mean of 1/t over [t1, t2] equals 1/t̄).
/// Error budget (D = r = 1, h = 0.25): the grid speeds this pulled front up
/// by about (r/D)·h²/24 ≈ 0.26% (the discrete Laplacian's symbol on e^(−λx)
/// is λ²(1 + λ²h²/12 + …)); the next term of the expansion, 3√π/(2 t^(3/2))
/// (Ebert & van Saarloos 2000), is 0.3–0.1% over these times; the
/// integrator (rtol 1e-8) and interpolating the crossing add < 1e-4.
/// Measured: +0.30% on every interval (1.98285 against 1.97688 over 60…70,
/// 1.99014 against 1.98420 over 90…100). We allow 1%, as the issue asks.
#[test]
fn fisher_fronts_travel_at_twice_root_dr() {
    let (d, r) = (1.0_f64, 1.0_f64);
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
    let times = [60.0, 70.0, 80.0, 90.0, 100.0];
    let solution = solver.solve(&rd, &rd.initial_state(), 0.0, &times).unwrap();
    let fronts: Vec<f64> = solution
        .fields
        .iter()
        .map(|fields| front(&fields[0], &grid))
        .collect();
    let lambda = (r / d).sqrt();
    for (t, x) in times.windows(2).zip(fronts.windows(2)) {
        let speed = (x[1] - x[0]) / (t[1] - t[0]);
        let t_mean = (t[1] - t[0]) / (t[1] / t[0]).ln();
        let theory = 2.0 * (d * r).sqrt() - 3.0 / (2.0 * lambda * t_mean);
        assert!(
            (speed - theory).abs() < 0.01 * theory,
            "front speed {speed} over t = {}…{}, theory {theory}",
            t[0],
            t[1]
        );
    }
}

/// Gray–Scott (Pearson 1993) with F = 0.035, k = 0.065 on the periodic
/// 128² grid of testdata/gray-scott-2d.json, seeded with its central square
/// plus uniform noise of ±0.1 clipped at zero (what `simulate --perturb 0.1`
/// does), stepped by ETDRK4 at dt = 1 (5000 steps, ~13 s in a debug build).
/// The noise decays first and the square settles into spots (the variance of
/// v holds at 3.57e-4 from t = 500 to 3000); then the spots replicate
/// outwards and the variance doubles by t = 5000 (measured 3.568e-4 at
/// t = 1000 → 7.123e-4 at t = 5000; the same to three digits at dt = 2, so
/// this is no time-step artefact). We assert growth by 1.5×, leaving room for
/// the seed's details but not for a pattern that fails to spread. No spot
/// count is asserted: it depends on the grid spacing.
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
    let solver = Solver::new(Method::Spectral).dt(1.0).build().unwrap();
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

/// The spectral stepper splits the grid's rows and spectrum columns across
/// the rayon threads; every row and column is computed the same way
/// whatever the split, so Gray–Scott on a 40 × 24 grid (blocks of uneven
/// size on 2 and 3 threads) gives the same bits on 1, 2 and 3 threads.
#[test]
fn gray_scott_spectral_gives_the_same_bits_on_any_thread_count() {
    let path =
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../testdata/gray-scott-2d.json");
    let model = Model::from_file(&path).unwrap();
    let grid = Grid::new(&model, &[40, 24]).unwrap();
    let rd = ReactionDiffusion::new(&model, grid, &model.parameter_values()).unwrap();
    let mut initial = rd.initial_state();
    let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(2);
    for v in initial.iter_mut().flatten() {
        *v = (*v + 0.2 * rng.random::<f64>()).max(0.0);
    }
    let solver = Solver::new(Method::Spectral).dt(1.0).build().unwrap();
    let run = |threads: usize| {
        let pool = rayon::ThreadPoolBuilder::new()
            .num_threads(threads)
            .build()
            .unwrap();
        pool.install(|| solver.solve(&rd, &initial, 0.0, &[20.0, 40.0]).unwrap())
    };
    let one = run(1);
    let moved = one.fields[1][1]
        .iter()
        .zip(&initial[1])
        .map(|(a, b)| (a - b).abs())
        .fold(0.0, f64::max);
    assert!(moved > 1e-3, "the fields changed ({moved:e})");
    for threads in [2, 3] {
        let bits = |s: &piml_pde::Solution| -> Vec<u64> {
            s.fields
                .iter()
                .flatten()
                .flatten()
                .map(|v| v.to_bits())
                .collect()
        };
        assert_eq!(bits(&run(threads)), bits(&one), "{threads} threads");
    }
}
