//! The designs against their defining properties: stratification, lower
//! discrepancy than random points, reproducibility from the seed.

use piml_sampling::{Method, centred_l2_discrepancy, unit_points};
use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;

fn points(method: Method, n: usize, dim: usize, seed: u64) -> Vec<Vec<f64>> {
    unit_points(method, n, dim, &mut ChaCha8Rng::seed_from_u64(seed))
        .unwrap()
        .columns
}

/// Mean squared centred L2 discrepancy over `seeds` randomisations.
fn mean_discrepancy(method: Method, n: usize, dim: usize, seeds: u64) -> f64 {
    (0..seeds)
        .map(|s| centred_l2_discrepancy(&points(method, n, dim, s)))
        .sum::<f64>()
        / seeds as f64
}

#[test]
fn quasi_random_designs_beat_random_points() {
    // For independent uniform points E[CD²] is O(1/N); scrambled nets reach
    // nearly O(1/N²), and a Latin hypercube removes the one-dimensional part
    // of the error (Owen 1997; Hickernell 1998).
    let (n, dim, seeds) = (1000, 3, 8);
    let uniform = mean_discrepancy(Method::Uniform, n, dim, seeds);
    for (method, at_most) in [
        (Method::Sobol, 0.02),
        (Method::Halton, 0.02),
        (Method::Lhs, 0.3),
    ] {
        let cd = mean_discrepancy(method, n, dim, seeds);
        eprintln!(
            "{}: CD² {cd:.3e} vs uniform {uniform:.3e} (ratio {:.4})",
            method.name(),
            cd / uniform
        );
        assert!(
            cd < at_most * uniform,
            "{}: {cd:e} vs uniform {uniform:e}",
            method.name()
        );
    }
}

#[test]
fn a_latin_hypercube_has_one_point_per_stratum() {
    for n in [1, 7, 100, 1000] {
        let p = points(Method::Lhs, n, 3, 11);
        for column in &p {
            let mut strata = vec![0; n];
            for &x in column {
                strata[(x * n as f64) as usize] += 1;
            }
            assert!(strata.iter().all(|&c| c == 1), "n = {n}");
        }
    }
}

#[test]
fn every_design_stays_in_the_unit_cube_with_the_count_asked() {
    for method in Method::ALL {
        for dim in 1..=3 {
            let n = method.count(500, dim);
            let p = points(method, 500, dim, 5);
            assert_eq!(p.len(), dim);
            for column in &p {
                assert_eq!(column.len(), n, "{}", method.name());
                assert!(column.iter().all(|x| (0.0..1.0).contains(x)));
            }
        }
        assert_eq!(method.count(512, 1), 512);
    }
}

#[test]
fn the_seed_fixes_the_points() {
    for method in [Method::Uniform, Method::Lhs, Method::Sobol, Method::Halton] {
        let a = points(method, 300, 3, 1);
        assert_eq!(a, points(method, 300, 3, 1), "{}", method.name());
        let b = points(method, 300, 3, 2);
        for (ca, cb) in a.iter().zip(&b) {
            let same = ca.iter().zip(cb).filter(|(x, y)| x == y).count();
            assert!(same <= 1, "{}: {same} equal coordinates", method.name());
        }
    }
}

#[test]
fn sobol_and_halton_refuse_more_dimensions_than_they_have() {
    let mut rng = ChaCha8Rng::seed_from_u64(0);
    for method in [Method::Sobol, Method::Halton] {
        let err = unit_points(method, 10, 4, &mut rng).unwrap_err();
        assert!(err.to_string().contains("at most 3 dimensions"), "{err}");
    }
}
