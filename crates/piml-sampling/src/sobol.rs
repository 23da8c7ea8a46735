//! Scrambled Sobol points in 64-bit precision.
//!
//! The `sobol_burley` crate implements Burley's scrambling but stops at 2^16
//! points and gives f32; collocation wants 10^7 points and f64, so this file
//! generates the sequence itself. Direction numbers are those of Joe & Kuo
//! (2008, file new-joe-kuo-6.21201) extended to 64 bits; each coordinate is
//! Owen-scrambled with Burley's hash-based scheme (Burley 2020, "Practical
//! Hash-based Owen Scrambling", with the hash of Vegdahl 2021 widened to 64
//! bits): the bits are reversed and passed through a hash in which each output
//! bit depends only on the bits below it, so each digit of the point is
//! flipped as a function of the digits before it, a nested (Owen-type) scramble
//! that keeps the (t, m, s)-net structure of the sequence.

use rand::Rng;
use rayon::prelude::*;

use crate::error::Error;

/// Dimensions supported: time and two space axes.
pub const MAX_DIMENSIONS: usize = 3;

/// Primitive polynomials and initial direction numbers of dimensions 2 and 3
/// (Joe & Kuo 2008): degree s, coefficients a, m_1..m_s. Dimension 1 is the
/// van der Corput sequence (all m_k = 1).
const JOE_KUO: [(u32, u64, &[u64]); MAX_DIMENSIONS - 1] = [(1, 0, &[1]), (2, 1, &[1, 3])];

/// Points generated per parallel task; fixed, so results never depend on threads.
const CHUNK: usize = 1 << 14;

/// The 64 direction numbers V_k = m_k · 2^(64−k) of dimension `dim` (from 0).
fn directions(dim: usize) -> [u64; 64] {
    let mut m = [0u64; 65];
    if dim == 0 {
        m[1..].fill(1);
    } else {
        let (s, a, init) = JOE_KUO[dim - 1];
        let s = s as usize;
        m[1..=s].copy_from_slice(init);
        for k in s + 1..=64 {
            let mut v = m[k - s] ^ (m[k - s] << s);
            for j in 1..s {
                if (a >> (s - 1 - j)) & 1 == 1 {
                    v ^= m[k - j] << j;
                }
            }
            m[k] = v;
        }
    }
    std::array::from_fn(|k| m[k + 1] << (63 - k))
}

/// The unscrambled point `index` of one dimension in Gray-code order (Antonov
/// & Saleev 1979), as a 64-bit fraction: the XOR of the direction numbers of
/// the set bits of index ^ (index >> 1).
fn sobol_bits(index: u64, directions: &[u64; 64]) -> u64 {
    let mut gray = index ^ (index >> 1);
    let mut x = 0;
    while gray != 0 {
        x ^= directions[gray.trailing_zeros() as usize];
        gray &= gray - 1;
    }
    x
}

/// Nested scramble of a 64-bit fraction: on the reversed bits every step
/// (adding the seed, multiplying by an odd number, xoring with a multiple by
/// an even number) changes a bit only as a function of the bits below it.
fn owen_scramble(x: u64, seed: u64) -> u64 {
    let mut x = x.reverse_bits();
    x ^= x.wrapping_mul(0x3d20_adea_9a5c_2e6e);
    x = x.wrapping_add(seed);
    x = x.wrapping_mul((seed >> 32) | 1);
    x ^= x.wrapping_mul(0x0552_6c56_e3d1_a4c2);
    x ^= x.wrapping_mul(0x53a2_2864_7f19_8b3a);
    x.reverse_bits()
}

/// The top 53 bits of a 64-bit fraction as an f64 in [0, 1).
fn to_unit(x: u64) -> f64 {
    (x >> 11) as f64 * (1.0 / (1u64 << 53) as f64)
}

/// The first `n` points (Gray-code order) of a `dim`-dimensional scrambled Sobol sequence, one
/// independent scramble per coordinate drawn from `rng`. With `scramble`
/// false, the plain sequence (for tests against published values).
pub(crate) fn sequence(
    n: usize,
    dim: usize,
    rng: &mut impl Rng,
    scramble: bool,
) -> Result<Vec<Vec<f64>>, Error> {
    if dim > MAX_DIMENSIONS {
        return Err(Error::TooManyDimensions {
            method: "sobol",
            max: MAX_DIMENSIONS,
            asked: dim,
        });
    }
    Ok((0..dim)
        .map(|d| {
            let v = directions(d);
            let seed: u64 = rng.random();
            let mut column = vec![0.0; n];
            column
                .par_chunks_mut(CHUNK)
                .enumerate()
                .for_each(|(c, chunk)| {
                    // In Gray-code order the next point differs from this one
                    // by the direction number of the lowest set bit of the next index.
                    let start = (c * CHUNK) as u64;
                    let mut bits = sobol_bits(start, &v);
                    for (j, out) in (start..).zip(chunk.iter_mut()) {
                        if j > start {
                            bits ^= v[j.trailing_zeros() as usize];
                        }
                        *out = to_unit(if scramble {
                            owen_scramble(bits, seed)
                        } else {
                            bits
                        });
                    }
                });
            column
        })
        .collect())
}

/// `n` scrambled Sobol points in [0, 1)^dim.
pub(crate) fn points(n: usize, dim: usize, rng: &mut impl Rng) -> Result<Vec<Vec<f64>>, Error> {
    sequence(n, dim, rng, true)
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::SeedableRng;
    use rand_chacha::ChaCha8Rng;

    #[test]
    fn the_plain_sequence_matches_joe_and_kuo() {
        // The first 8 points of the unscrambled sequence in Gray-code order,
        // as scipy.stats.qmc.Sobol(d=3, scramble=False).random(8) lists them.
        let p = sequence(8, 3, &mut ChaCha8Rng::seed_from_u64(0), false).unwrap();
        let row = |i: usize| [p[0][i], p[1][i], p[2][i]];
        let expected = [
            [0.0, 0.0, 0.0],
            [0.5, 0.5, 0.5],
            [0.75, 0.25, 0.25],
            [0.25, 0.75, 0.75],
            [0.375, 0.375, 0.625],
            [0.875, 0.875, 0.125],
            [0.625, 0.125, 0.875],
            [0.125, 0.625, 0.375],
        ];
        for (i, e) in expected.iter().enumerate() {
            assert_eq!(row(i), *e, "point {i}");
        }
        // Chunks start from a directly computed point: the two ways agree.
        let v = directions(1);
        let mut bits = 0;
        for i in 1..5000u64 {
            bits ^= v[i.trailing_zeros() as usize];
            assert_eq!(bits, sobol_bits(i, &v));
        }
    }

    #[test]
    fn scrambling_keeps_the_net_property() {
        // For n = 2^m, dimensions 1 and 2 form a (0, m, 2)-net: every
        // elementary box of area 1/n holds exactly one point, and nested
        // scrambling keeps that (Owen 1995).
        let m = 8;
        let n = 1 << m;
        let p = points(n, 3, &mut ChaCha8Rng::seed_from_u64(7)).unwrap();
        for split in 0..=m {
            let (bx, by) = (1 << split, 1 << (m - split));
            let mut seen = vec![0; n];
            for (x, y) in p[0].iter().zip(&p[1]) {
                let cx = (x * bx as f64) as usize;
                let cy = (y * by as f64) as usize;
                seen[cx * by + cy] += 1;
            }
            assert!(seen.iter().all(|&c| c == 1), "boxes {bx}x{by}");
        }
        for column in &p {
            let mut strata = vec![0; n];
            for &x in column {
                strata[(x * n as f64) as usize] += 1;
            }
            assert!(strata.iter().all(|&c| c == 1));
        }
    }
}
