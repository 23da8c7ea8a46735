//! Scrambled Halton points.
//!
//! The Halton sequence (Halton 1960) writes the index in base 2, 3, 5 and
//! mirrors the digits about the radix point. Its plain form has strongly
//! correlated coordinates in higher bases; replacing each digit d_j by
//! π_j(d_j), with an independent uniformly random permutation π_j of the
//! digits for every position j and base, randomises it while keeping its
//! stratification (random digit permutations, Matoušek 1998; see Owen 2017,
//! "A randomized Halton algorithm in R").

use rand::Rng;
use rand::seq::SliceRandom;
use rayon::prelude::*;

use crate::ONE_BELOW;
use crate::error::Error;

/// One prime base per dimension.
const BASES: [u64; 3] = [2, 3, 5];

/// Points generated per parallel task; fixed, so results never depend on threads.
const CHUNK: usize = 1 << 14;

/// A base, one digit permutation per position, and the value of the
/// permuted zero digits beyond each position (every index has them).
#[derive(Debug)]
struct Radix {
    base: u64,
    permutations: Vec<Vec<u64>>,
    /// `scales[j]` = base^-(j+1).
    scales: Vec<f64>,
    /// `tails[j]` = Σ_{i≥j} π_i(0) base^-(i+1), down to f64 resolution.
    tails: Vec<f64>,
}

impl Radix {
    fn new(base: u64, rng: &mut impl Rng) -> Radix {
        // Digits until base^-digits is below 2^-53: f64 cannot see more.
        let digits = (53.0 / (base as f64).log2()).ceil() as usize;
        let permutations: Vec<Vec<u64>> = (0..digits)
            .map(|_| {
                let mut p: Vec<u64> = (0..base).collect();
                p.shuffle(rng);
                p
            })
            .collect();
        let scales: Vec<f64> = (1..=digits)
            .map(|j| (base as f64).powi(-(j as i32)))
            .collect();
        let mut tails = vec![0.0; digits + 1];
        for j in (0..digits).rev() {
            tails[j] = tails[j + 1] + permutations[j][0] as f64 * scales[j];
        }
        Radix {
            base,
            permutations,
            scales,
            tails,
        }
    }

    /// The scrambled radical inverse of `index`.
    fn radical_inverse(&self, mut index: u64) -> f64 {
        let mut x = 0.0;
        let mut j = 0;
        while index != 0 {
            x += self.permutations[j][(index % self.base) as usize] as f64 * self.scales[j];
            index /= self.base;
            j += 1;
        }
        (x + self.tails[j]).min(ONE_BELOW)
    }
}

/// `n` scrambled Halton points in [0, 1)^dim, the permutations drawn from `rng`.
pub(crate) fn points(n: usize, dim: usize, rng: &mut impl Rng) -> Result<Vec<Vec<f64>>, Error> {
    if dim > BASES.len() {
        return Err(Error::TooManyDimensions {
            method: "halton",
            max: BASES.len(),
            asked: dim,
        });
    }
    Ok(BASES[..dim]
        .iter()
        .map(|&base| {
            let radix = Radix::new(base, rng);
            let mut column = vec![0.0; n];
            column
                .par_chunks_mut(CHUNK)
                .enumerate()
                .for_each(|(c, chunk)| {
                    for (j, out) in chunk.iter_mut().enumerate() {
                        *out = radix.radical_inverse((c * CHUNK + j) as u64);
                    }
                });
            column
        })
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::SeedableRng;
    use rand_chacha::ChaCha8Rng;

    #[test]
    fn each_coordinate_is_stratified_in_its_base() {
        // For n = b^m, the first n indices run through every m-digit string
        // once, so every interval [k/n, (k+1)/n) holds one point, permuted or not.
        let p = points(3usize.pow(6), 3, &mut ChaCha8Rng::seed_from_u64(3)).unwrap();
        for (column, m) in p.iter().zip([2usize.pow(9), 3usize.pow(6), 5usize.pow(4)]) {
            let mut strata = vec![0; m];
            for &x in &column[..m] {
                strata[(x * m as f64) as usize] += 1;
            }
            assert!(strata.iter().all(|&c| c == 1), "{m} strata");
        }
    }
}
