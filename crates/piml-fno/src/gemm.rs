//! Dense matrix products of any shape and strides through the `matrixmultiply` kernels
//! (runtime-selected AVX-512/AVX2/SSE micro-kernels; on one core of the reference machine
//! 46–51 GFLOP/s in f64 and 65–83 in f32 for [4096×64]·[64×64]).
//!
//! It takes any strides, so transposes are views, and it is efficient for the thin products
//! of a network's first and last layers too. Its entry point is an `unsafe fn` on raw
//! pointers; [`gemm`] is the one place that calls it, after checking every index it can reach.
//! (nalgebra's safe wrapper was tried first: its fallback for thin products misreads strided
//! views in nalgebra 0.34.2, taking the backing slice's length as the vector's.)
#![allow(unsafe_code)]

pub(crate) use piml_nn::Start;
use piml_nn::{Panel, Strided};

use crate::real::Real;

/// A strided read-only matrix: element (i, j) is `data[i·rs + j·cs]`.
#[derive(Debug, Clone, Copy)]
pub(crate) struct MatRef<'a, T> {
    data: &'a [T],
    rows: usize,
    cols: usize,
    rs: usize,
    cs: usize,
}

impl<'a, T> MatRef<'a, T> {
    /// The column-major rows × cols matrix at the start of `data`.
    pub fn col_major(data: &'a [T], rows: usize, cols: usize) -> MatRef<'a, T> {
        MatRef {
            data: &data[..rows * cols],
            rows,
            cols,
            rs: 1,
            cs: rows,
        }
    }

    /// The transpose (a view, no copy).
    pub fn t(self) -> MatRef<'a, T> {
        MatRef {
            rows: self.cols,
            cols: self.rows,
            rs: self.cs,
            cs: self.rs,
            ..self
        }
    }

    /// Whether every element (i, j) lies inside `data`.
    fn in_bounds(&self) -> bool {
        self.rows == 0
            || self.cols == 0
            || (self.rows - 1) * self.rs + (self.cols - 1) * self.cs < self.data.len()
    }
}

/// Inner products shorter than this stay with matrixmultiply: a few vector steps each would
/// leave the lanes mostly idle (the spectral mixing's sums run over a batch's ten samples).
const DOTS_MIN_INNER: usize = 64;

/// c ← start + a·b, with c column-major at the start of `c`: start is zero, c itself, or a
/// bias per column of c ([`Start`]).
///
/// When `a` is a column-major matrix whose rows are a multiple of [`Real::PANEL_ROWS`] (the
/// pointwise maps of a batch: thousands of rows, a few dozen columns), piml-nn's
/// register-blocked kernel reads the operands in place and starts its sums from the biases;
/// matrixmultiply would copy `a` into packed panels on every call (a tenth of an epoch).
pub(crate) fn gemm<T: Real>(c: &mut [T], a: MatRef<'_, T>, b: MatRef<'_, T>, start: Start<'_, T>) {
    let (m, k, n) = (a.rows, a.cols, b.cols);
    assert_eq!(k, b.rows, "gemm: inner dimensions");
    assert!(
        a.in_bounds() && b.in_bounds(),
        "gemm: view outside its slice"
    );
    let c = &mut c[..m * n];
    if m == 0 || n == 0 {
        return;
    }
    if a.rs == 1 && a.cs == m && m.is_multiple_of(T::PANEL_ROWS) {
        let (l, r) = (
            Panel {
                data: a.data,
                ld: a.cs,
            },
            Strided {
                data: b.data,
                rk: b.rs,
                rn: b.cs,
            },
        );
        T::panel_product(c, m, m, n, l, r, k, start);
        return;
    }
    // The other routes add to c: biases are written first.
    let accumulate = match start {
        Start::Zero => false,
        Start::Out => true,
        Start::Columns(bias) => {
            for (column, &v) in c.chunks_exact_mut(m).zip(&bias[..n]) {
                column.fill(v);
            }
            true
        }
    };
    // aᵀ·b with the inner index running along memory in both (a weight gradient or a
    // truncated transform summed over thousands of points): piml-nn's inner products, which
    // read both in place where matrixmultiply would gather them into packed panels.
    if a.cs == 1 && b.rs == 1 && k >= DOTS_MIN_INNER {
        T::dots(c, m, m, n, (a.data, a.rs), (b.data, b.cs), k, accumulate);
        return;
    }
    let stride = |s: usize| isize::try_from(s).expect("stride fits isize");
    let beta = if accumulate { T::one() } else { T::zero() };
    // SAFETY: matrixmultiply reads a(i, l) at a.data[i·rs + l·cs] for i < m, l < k, and
    // b(l, j) likewise, all inside their slices by `in_bounds`; it writes c(i, j) at
    // c[i + j·m] for i < m, j < n, inside `c` whose length is m·n; `c` is a unique borrow,
    // so it aliases neither `a` nor `b`.
    unsafe {
        T::gemm_raw(
            m,
            k,
            n,
            (a.data.as_ptr(), stride(a.rs), stride(a.cs)),
            (b.data.as_ptr(), stride(b.rs), stride(b.cs)),
            beta,
            (c.as_mut_ptr(), 1, stride(m)),
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every route of [`gemm`] (piml-nn's panels when the rows are a multiple of the panel
    /// height, its inner products for aᵀ·b over a long inner dimension, matrixmultiply
    /// otherwise), from zero, from c and from biases, with a transposed right operand, against
    /// the plain triple sum.
    fn products_match_the_plain_sum<T: Real>(tolerance: f64) {
        let value = |i: usize| T::of(((i * 37 + 11) % 97) as f64 / 97.0 - 0.5);
        for m in [T::PANEL_ROWS, 2 * T::PANEL_ROWS, 2 * T::PANEL_ROWS + 3] {
            for (k, n) in [(1, 1), (7, 5), (13, 9), (DOTS_MIN_INNER + 3, 6)] {
                let a: Vec<T> = (0..m * k).map(value).collect();
                let b: Vec<T> = (0..k * n).map(|i| value(i + 5)).collect();
                let bias: Vec<T> = (0..n).map(|j| value(j + 2)).collect();
                for (transposed, start) in [
                    (false, Start::Zero),
                    (true, Start::Out),
                    (false, Start::Out),
                    (true, Start::Columns(&bias)),
                ] {
                    let bv = if transposed {
                        MatRef::col_major(&b, n, k).t()
                    } else {
                        MatRef::col_major(&b, k, n)
                    };
                    let before: Vec<T> = (0..m * n).map(|i| value(i + 9)).collect();
                    let mut c = before.clone();
                    // a and its transpose (a copy): panels, and inner products when long.
                    let at: Vec<T> = (0..m * k).map(|i| a[(i % k) * m + i / k]).collect();
                    let mut c_t = before.clone();
                    gemm(&mut c, MatRef::col_major(&a, m, k), bv, start);
                    gemm(&mut c_t, MatRef::col_major(&at, k, m).t(), bv, start);
                    for i in 0..m {
                        for j in 0..n {
                            let b_at = |l: usize| {
                                if transposed {
                                    b[j + l * n]
                                } else {
                                    b[l + j * k]
                                }
                            };
                            let sum: f64 =
                                (0..k).map(|l| a[i + l * m].wide() * b_at(l).wide()).sum();
                            let expected = sum
                                + match start {
                                    Start::Zero => 0.0,
                                    Start::Out => before[i + j * m].wide(),
                                    Start::Columns(bias) => bias[j].wide(),
                                };
                            for (route, c) in [("a", &c), ("aᵀᵀ", &c_t)] {
                                let got = c[i + j * m].wide();
                                assert!(
                                    (got - expected).abs() <= tolerance,
                                    "{route} {m}×{k}·{k}×{n} ({i}, {j}): {got} vs {expected}"
                                );
                            }
                        }
                    }
                }
            }
        }
    }

    #[test]
    fn products_match_the_plain_sum_in_f64_and_f32() {
        // At most 67 terms of size ≤ 1/4 plus one ≤ 1/2: rounding well below these bounds
        // (unit roundoff 1.1e-16 and 6e-8 times the sum's size and length).
        products_match_the_plain_sum::<f64>(1e-13);
        products_match_the_plain_sum::<f32>(1e-5);
    }
}
