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

/// c ← a·b + β·c, with c column-major at the start of `c` (not read when β = 0).
///
/// When `a` is a column-major matrix whose rows are a multiple of [`Real::PANEL_ROWS`] and β
/// is 0 or 1 (the pointwise maps of a batch: thousands of rows, a few dozen columns), piml-nn's
/// register-blocked kernel reads the operands in place; matrixmultiply would copy `a` into
/// packed panels on every call (a tenth of an epoch).
pub(crate) fn gemm<T: Real>(c: &mut [T], a: MatRef<'_, T>, b: MatRef<'_, T>, beta: T) {
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
    let column_major = a.rs == 1 && a.cs == m;
    if column_major && m.is_multiple_of(T::PANEL_ROWS) && (beta == T::zero() || beta == T::one()) {
        T::panel_product(
            c,
            m,
            m,
            n,
            Panel {
                data: a.data,
                ld: a.cs,
            },
            Strided {
                data: b.data,
                rk: b.rs,
                rn: b.cs,
            },
            k,
            beta == T::one(),
        );
        return;
    }
    let stride = |s: usize| isize::try_from(s).expect("stride fits isize");
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
