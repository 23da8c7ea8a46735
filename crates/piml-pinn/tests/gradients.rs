//! The loss gradient (network weights and estimated parameters) against central finite
//! differences, on models that exercise every term: a diffusion coefficient that depends on x
//! and on the species (the expanded flux divergence), two coupled species, a Dirichlet side
//! whose value depends on an estimated parameter, a zero-flux side, periodic pairs, an
//! initial condition with an estimated parameter, an observable that mixes species and a
//! parameter, per-row sigmas and missing values, causal weights.

use piml_model::Model;
use piml_nn::{Architecture, Evaluator, Mlp};
use piml_pinn::{
    BLOCK, CAUSAL_BINS, Collocation, InitialFrom, Observations, ObservedColumn, Problem, Weighting,
};

const SIDES: &str = r#"{
  "name": "gradient-check",
  "time": { "span": [0, 2] },
  "space": { "x": { "span": [-1, 3] } },
  "boundary": { "x": { "min": { "kind": "dirichlet", "value": { "u": "a*(1 + t)", "v": "0.2 + c*t" } }, "max": "neumann" } },
  "species": {
    "u": { "initial": "a*exp(-x^2)", "diffusion": "D*(1 + 0.5*u) + 0.1*x" },
    "v": { "initial": "0.3 + 0.1*x", "diffusion": "0.2*D" }
  },
  "parameters": {
    "D": { "value": 0.7, "bounds": [0.01, 10], "estimate": true },
    "k": { "value": 1.3, "bounds": [0.1, 10], "estimate": true },
    "a": { "value": 0.4, "scale": "lin", "estimate": true },
    "c": { "value": 0.2 }
  },
  "rates": { "u": "k*u*(1 - u) - c*u*v", "v": "c*u*v - k*v^2 + sin(x)" },
  "observables": { "w": "u + k*v", "v": "v" }
}"#;

const PERIODIC: &str = r#"{
  "name": "gradient-check-periodic",
  "time": { "span": [0, 1] },
  "space": { "x": { "span": [0, 6.283185307179586] } },
  "boundary": "periodic",
  "species": { "u": { "initial": "1 + 0.5*sin(x)", "diffusion": "D" } },
  "parameters": { "D": { "value": 0.3, "bounds": [0.01, 10], "estimate": true } },
  "rates": { "u": "u*(1 - u)" }
}"#;

const PLANE: &str = r#"{
  "name": "gradient-check-2d",
  "time": { "span": [0, 1] },
  "space": { "x": { "span": [0, 2] }, "y": { "span": [-1, 1] } },
  "boundary": {
    "x": { "min": { "kind": "dirichlet", "value": { "u": "b*y" } }, "max": "neumann" },
    "y": "periodic"
  },
  "species": { "u": { "initial": "b*cos(x)*sin(y)", "diffusion": "D*(1 + 0.3*y^2 + 0.2*u)" } },
  "parameters": {
    "D": { "value": 0.5, "bounds": [0.01, 10], "estimate": true },
    "b": { "value": 0.8, "bounds": [0.1, 5], "estimate": true }
  },
  "rates": { "u": "b*u*(1 - u) + x*y" }
}"#;

fn columns<const N: usize>(points: &[[f64; N]]) -> Vec<Vec<f64>> {
    (0..N)
        .map(|c| points.iter().map(|p| p[c]).collect())
        .collect()
}

/// Deterministic numbers in (−1, 1).
fn noise(i: usize) -> f64 {
    ((i as f64 * 12.9898).sin() * 43758.5453).fract()
}

fn check(model: &str, points: Collocation, data: Observations, initial_from: InitialFrom) {
    let model = Model::from_json_str(model, "test").unwrap();
    let problem = Problem::new(&model, data, &points, initial_from).unwrap();
    let arch = Architecture::new(
        problem.spans().to_vec(),
        vec![6, 5],
        problem.species().len(),
    );
    let arch = if initial_from == InitialFrom::Hard {
        arch.initial_condition(0)
    } else {
        arch
    };
    let mut mlp = Mlp::new(arch, 3).unwrap();
    for (i, p) in mlp.params_mut().iter_mut().enumerate() {
        *p += 0.3 * noise(i);
    }
    let n_net = mlp.n_params();
    let nu = problem.unknowns().len();
    let mut evaluator = Evaluator::new(&mlp, problem.point_sets().unwrap(), nu)
        .unwrap()
        .with_block_size(BLOCK);
    let mut params = mlp.params().to_vec();
    params.extend((0..nu).map(|j| 0.2 + 0.3 * noise(1000 + j)));
    let weighting = Weighting {
        terms: [1.0, 0.7, 1.3, 0.9],
        causal: (0..CAUSAL_BINS).map(|b| 1.0 / (1.0 + b as f64)).collect(),
    };
    let mut loss = |x: &[f64], g: &mut [f64]| {
        let values = problem.parameters(&x[n_net..]);
        evaluator
            .loss_and_gradient(
                x,
                &|jets, grads, dphi| problem.block_loss(jets, grads, dphi, &weighting, &values),
                g,
            )
            .unwrap()
    };
    let mut grad = vec![0.0; params.len()];
    let l0 = loss(&params, &mut grad);
    assert!(l0.is_finite() && l0 > 0.0);
    let mut scratch = vec![0.0; params.len()];
    // Every estimated parameter and a spread of weights from every layer.
    let picks: Vec<usize> = (0..n_net).step_by(7).chain(n_net..params.len()).collect();
    for i in picks {
        // Central differences with h = 1e-6: truncation O(h²) and rounding O(ε/h) both
        // far below the 1e-6 relative tolerance.
        let h = 1e-6;
        let mut x = params.clone();
        x[i] += h;
        let up = loss(&x, &mut scratch);
        x[i] -= 2.0 * h;
        let down = loss(&x, &mut scratch);
        let fd = (up - down) / (2.0 * h);
        let scale = fd.abs().max(grad[i].abs()).max(1e-6 * l0);
        assert!(
            (fd - grad[i]).abs() <= 1e-6 * scale,
            "parameter {i} (of {n_net} network + {nu}): exact {} vs central difference {fd}",
            grad[i]
        );
    }
}

#[test]
fn loss_gradient_matches_central_differences_with_sides_initial_and_data() {
    let interior: Vec<[f64; 2]> = (0..150)
        .map(|i| [1.0 + noise(i), 1.0 + 2.0 * noise(500 + i)])
        .collect();
    let boundary: Vec<[f64; 2]> = (0..20)
        .map(|i| [1.0 + noise(i + 40), if i % 2 == 0 { -1.0 } else { 3.0 }])
        .collect();
    let initial: Vec<[f64; 2]> = (0..12).map(|i| [0.0, 1.0 + 2.0 * noise(i + 70)]).collect();
    let rows = 9;
    let data = Observations {
        coords: vec![
            (0..rows).map(|i| 1.0 + noise(i + 90)).collect(),
            (0..rows).map(|i| 1.0 + 2.0 * noise(i + 95)).collect(),
        ],
        columns: vec![
            ObservedColumn {
                name: "w".into(),
                values: (0..rows)
                    .map(|i| if i == 4 { f64::NAN } else { 0.5 + noise(i + 7) })
                    .collect(),
                sigma: Some((0..rows).map(|i| 0.1 + 0.05 * i as f64).collect()),
            },
            ObservedColumn {
                name: "v".into(),
                values: (0..rows).map(|i| 0.3 + 0.1 * noise(i + 17)).collect(),
                sigma: None,
            },
        ],
    };
    let points = Collocation {
        interior: columns(&interior),
        boundary: columns(&boundary),
        initial: columns(&initial),
        ..Collocation::default()
    };
    check(SIDES, points, data, InitialFrom::Model);
}

#[test]
fn loss_gradient_matches_central_differences_with_periodic_pairs_and_a_hard_initial_condition() {
    let tau = std::f64::consts::TAU;
    let interior: Vec<[f64; 2]> = (0..140)
        .map(|i| [0.5 + 0.5 * noise(i), tau * (0.5 + 0.5 * noise(300 + i))])
        .collect();
    let boundary: Vec<[f64; 2]> = (0..15).map(|i| [0.5 + 0.5 * noise(i + 60), 0.0]).collect();
    let data = Observations {
        coords: vec![vec![0.5, 0.7], vec![1.0, 2.0]],
        columns: vec![ObservedColumn {
            name: "u".into(),
            values: vec![1.1, 0.9],
            sigma: None,
        }],
    };
    let points = Collocation {
        interior: columns(&interior),
        boundary: columns(&boundary),
        ..Collocation::default()
    };
    check(PERIODIC, points, data, InitialFrom::Hard);
}

#[test]
fn loss_gradient_matches_central_differences_in_two_dimensions() {
    let interior: Vec<[f64; 3]> = (0..130)
        .map(|i| [0.5 + 0.5 * noise(i), 1.0 + noise(200 + i), noise(400 + i)])
        .collect();
    // Sides of x (Dirichlet at 0, zero flux at 2) and points on y = −1 paired with y = 1.
    let boundary: Vec<[f64; 3]> = (0..24)
        .map(|i| match i % 3 {
            0 => [0.5 + 0.5 * noise(i), 0.0, noise(i + 30)],
            1 => [0.5 + 0.5 * noise(i), 2.0, noise(i + 30)],
            _ => [0.5 + 0.5 * noise(i), 1.0 + noise(i + 60), -1.0],
        })
        .collect();
    let initial: Vec<[f64; 3]> = (0..10)
        .map(|i| [0.0, 1.0 + noise(i + 80), noise(i + 90)])
        .collect();
    let data = Observations {
        coords: vec![
            vec![0.3, 0.6, 0.9],
            vec![0.5, 1.0, 1.5],
            vec![-0.5, 0.0, 0.5],
        ],
        columns: vec![ObservedColumn {
            name: "u".into(),
            values: vec![0.2, 0.1, -0.1],
            sigma: None,
        }],
    };
    let points = Collocation {
        interior: columns(&interior),
        boundary: columns(&boundary),
        initial: columns(&initial),
        ..Collocation::default()
    };
    check(PLANE, points, data, InitialFrom::Model);
}
