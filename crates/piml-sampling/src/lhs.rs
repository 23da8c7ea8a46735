//! Latin hypercube sampling (McKay, Beckman & Conover 1979).

use rand::Rng;
use rand::seq::SliceRandom;

use crate::ONE_BELOW;

/// `n` points such that each coordinate has exactly one point in each of
/// its `n` strata [k/n, (k+1)/n): an independent random permutation of the
/// strata per coordinate, a uniform position inside each stratum.
pub(crate) fn points(n: usize, dim: usize, rng: &mut impl Rng) -> Vec<Vec<f64>> {
    let mut strata: Vec<usize> = (0..n).collect();
    (0..dim)
        .map(|_| {
            strata.shuffle(rng);
            strata
                .iter()
                .map(|&k| ((k as f64 + rng.random::<f64>()) / n as f64).min(ONE_BELOW))
                .collect()
        })
        .collect()
}
