//! Random initial fields: the Gaussian field has the covariance it promises,
//! the mode sums are bounded and both are reproducible from the seed.

use piml_model::Model;
use piml_pde::{FieldKind, Grid, RandomField};
use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;

fn periodic_line(cells: usize) -> Grid {
    let model = Model::from_json_str(
        r#"{"space": {"x": {"span": [0, 10]}}, "boundary": "periodic",
            "species": {"u": {"diffusion": 1}}, "rates": {"u": "0"}}"#,
        "line",
    )
    .unwrap();
    Grid::new(&model, &[cells]).unwrap()
}

/// Over 400 samples of 100 cells, the sample variance and the correlation at
/// lag ℓ estimate 1 and exp(−1/2) = 0.6065. Samples are independent; cells
/// within one are correlated over ~ℓ/h = 10 cells, so ~4000 effective values:
/// standard errors ≈ √(2/4000) ≈ 0.02 for the variance and ≈ 0.015 for the
/// correlation. We allow 4 of them.
#[test]
fn gaussian_fields_have_the_squared_exponential_covariance() {
    let grid = periodic_line(100); // h = 0.1
    let field: RandomField = "gaussian:1".parse().unwrap();
    let mut rng = ChaCha8Rng::seed_from_u64(11);
    let (mut var, mut cov, mut count) = (0.0, 0.0, 0.0);
    for _ in 0..400 {
        let f = field.sample(&grid, &mut rng);
        for i in 0..100 {
            var += f[i] * f[i];
            cov += f[i] * f[(i + 10) % 100];
            count += 1.0;
        }
    }
    let corr = cov / var;
    let var = var / count;
    assert!((var - 1.0).abs() < 0.08, "variance {var}");
    assert!(
        (corr - (-0.5f64).exp()).abs() < 0.06,
        "correlation at ℓ: {corr}"
    );
}

#[test]
fn mode_sums_are_bounded_and_follow_the_seed() {
    let grid = periodic_line(64);
    let field = RandomField {
        kind: FieldKind::Modes,
        length_scale: 1.25,
        amplitude: 0.5,
    };
    let a = field.sample(&grid, &mut ChaCha8Rng::seed_from_u64(1));
    let b = field.sample(&grid, &mut ChaCha8Rng::seed_from_u64(1));
    let c = field.sample(&grid, &mut ChaCha8Rng::seed_from_u64(2));
    assert_eq!(a, b);
    assert_ne!(a, c);
    // Four modes of amplitude |a_j| < 1, scaled by 0.5.
    assert!(a.iter().all(|v| v.abs() <= 2.0));
    // Periodic: a smooth field of modes with integer wavenumbers (no jump at the seam).
    assert!((a[0] - a[63]).abs() < 0.5 * 4.0 * 2.0 * std::f64::consts::PI * 8.0 / 64.0);
    assert!("modes:0.1:2".parse::<RandomField>().is_ok());
    assert!("brownian:1".parse::<RandomField>().is_err());
    assert!("gaussian:-1".parse::<RandomField>().is_err());
}
