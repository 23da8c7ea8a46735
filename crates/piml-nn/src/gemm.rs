//! The small dense products of a network pass, register-blocked and without packing.
//!
//! Every product of a pass has the form out = L·R with L a column-major panel whose row count
//! is padded to a multiple of [`ROWS`] (a layer's weights, or a block's activations) and R any
//! strided matrix; one, the other or the inner dimension is a layer width (tens), so the
//! operands of a block sit in L1/L2 and general-purpose kernels spend as long copying them
//! into packed panels as multiplying (matrixmultiply did: a fifth of a pass was packing). Here
//! a tile of out (up to 32 rows × a few columns) stays in registers while the inner dimension
//! is swept: each step loads a column of L and broadcasts entries of R into fused
//! multiply-adds. Each output element is the sum over the inner index in order, one FMA after
//! another, whatever the vector width, so the AVX-512 and AVX2 builds give identical bits.
//!
//! The pass is compiled once per instruction set ([`Isa`]) through the [`Simd`] type it is
//! generic over; the unsafe code (intrinsics, and raw pointers inside bounds checked once per
//! product) stays in this module.
#![allow(unsafe_code)]

/// Rows of every padded panel are a multiple of this (one AVX-512 vector of f64).
pub(crate) const ROWS: usize = 8;

/// `n` rounded up to a multiple of [`ROWS`].
pub(crate) fn pad(n: usize) -> usize {
    n.div_ceil(ROWS) * ROWS
}

/// The instruction set a pass is compiled for, detected once.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Isa {
    /// x86-64 with AVX-512F (and AVX2, FMA).
    #[cfg(target_arch = "x86_64")]
    Avx512,
    /// x86-64 with AVX2 and FMA.
    #[cfg(target_arch = "x86_64")]
    Avx2,
    /// Anything else: plain arithmetic that the compiler may vectorise.
    Portable,
}

impl Isa {
    /// The widest instruction set of this CPU that the pass has a build for.
    pub fn detect() -> Isa {
        #[cfg(target_arch = "x86_64")]
        {
            let avx2 = std::arch::is_x86_feature_detected!("avx2")
                && std::arch::is_x86_feature_detected!("fma");
            if avx2 && std::arch::is_x86_feature_detected!("avx512f") {
                return Isa::Avx512;
            }
            if avx2 {
                return Isa::Avx2;
            }
        }
        Isa::Portable
    }
}

/// Work compiled once per instruction set: [`dispatch`] runs it with the [`Simd`] type of the
/// CPU, inside a function compiled for that instruction set, so that the element-wise loops
/// of the work vectorise for it too (`run` must be `#[inline(always)]`, and so must
/// everything it calls that should be compiled that way).
pub(crate) trait Kernel {
    type Output;
    fn run<V: Simd>(self) -> Self::Output;
}

/// `work.run::<V>()` with V the vector type of `isa`.
pub(crate) fn dispatch<K: Kernel>(isa: Isa, work: K) -> K::Output {
    #[cfg(target_arch = "x86_64")]
    #[target_feature(enable = "avx512f,avx2,fma")]
    fn avx512<K: Kernel>(work: K) -> K::Output {
        work.run::<Avx512>()
    }
    #[cfg(target_arch = "x86_64")]
    #[target_feature(enable = "avx2,fma")]
    fn avx2<K: Kernel>(work: K) -> K::Output {
        work.run::<Avx2>()
    }
    match isa {
        // SAFETY: `Isa::Avx512` and `Isa::Avx2` are only made by `Isa::detect`, on a CPU
        // with the features these functions are compiled for.
        #[cfg(target_arch = "x86_64")]
        Isa::Avx512 => unsafe { avx512(work) },
        #[cfg(target_arch = "x86_64")]
        Isa::Avx2 => unsafe { avx2(work) },
        Isa::Portable => work.run::<Portable>(),
    }
}

/// A vector of f64 lanes with the operations of the kernel.
///
/// # Safety
/// The methods may only run on a CPU with the type's instruction set (guaranteed by
/// [`dispatch`]); pointers must be valid for `LANES` elements.
pub(crate) trait Simd: Copy {
    const LANES: usize;
    /// The tile shapes of [`product`], as (vectors of rows, columns) for 32, 24, 16 and 8 rows.
    const TILES: [(usize, usize); 4];
    unsafe fn zero() -> Self;
    unsafe fn load(p: *const f64) -> Self;
    unsafe fn store(self, p: *mut f64);
    unsafe fn splat(p: *const f64) -> Self;
    /// a·b + c.
    unsafe fn fma(a: Self, b: Self, c: Self) -> Self;
    /// a·b + c on scalars, rounded as [`Simd::fma`] rounds (once, where the CPU has FMA).
    fn mul_add(a: f64, b: f64, c: f64) -> f64;
}

#[cfg(target_arch = "x86_64")]
mod x86 {
    use std::arch::x86_64::*;

    /// 8 lanes of AVX-512.
    #[derive(Debug, Clone, Copy)]
    pub(crate) struct Avx512(__m512d);

    impl super::Simd for Avx512 {
        const LANES: usize = 8;
        // 32 zmm registers: tile vectors + one column of L + the broadcast.
        const TILES: [(usize, usize); 4] = [(4, 6), (3, 8), (2, 8), (1, 8)];
        #[inline(always)]
        unsafe fn zero() -> Self {
            unsafe { Avx512(_mm512_setzero_pd()) }
        }
        #[inline(always)]
        unsafe fn load(p: *const f64) -> Self {
            unsafe { Avx512(_mm512_loadu_pd(p)) }
        }
        #[inline(always)]
        unsafe fn store(self, p: *mut f64) {
            unsafe { _mm512_storeu_pd(p, self.0) }
        }
        #[inline(always)]
        unsafe fn splat(p: *const f64) -> Self {
            unsafe { Avx512(_mm512_set1_pd(*p)) }
        }
        #[inline(always)]
        unsafe fn fma(a: Self, b: Self, c: Self) -> Self {
            unsafe { Avx512(_mm512_fmadd_pd(a.0, b.0, c.0)) }
        }
        #[inline(always)]
        fn mul_add(a: f64, b: f64, c: f64) -> f64 {
            a.mul_add(b, c)
        }
    }

    /// 4 lanes of AVX2.
    #[derive(Debug, Clone, Copy)]
    pub(crate) struct Avx2(__m256d);

    impl super::Simd for Avx2 {
        const LANES: usize = 4;
        // 16 ymm registers: 8-row tiles (2 vectors) × 6 columns + 2 + 1.
        const TILES: [(usize, usize); 4] = [(2, 6), (2, 6), (2, 6), (2, 6)];
        #[inline(always)]
        unsafe fn zero() -> Self {
            unsafe { Avx2(_mm256_setzero_pd()) }
        }
        #[inline(always)]
        unsafe fn load(p: *const f64) -> Self {
            unsafe { Avx2(_mm256_loadu_pd(p)) }
        }
        #[inline(always)]
        unsafe fn store(self, p: *mut f64) {
            unsafe { _mm256_storeu_pd(p, self.0) }
        }
        #[inline(always)]
        unsafe fn splat(p: *const f64) -> Self {
            unsafe { Avx2(_mm256_set1_pd(*p)) }
        }
        #[inline(always)]
        unsafe fn fma(a: Self, b: Self, c: Self) -> Self {
            unsafe { Avx2(_mm256_fmadd_pd(a.0, b.0, c.0)) }
        }
        #[inline(always)]
        fn mul_add(a: f64, b: f64, c: f64) -> f64 {
            a.mul_add(b, c)
        }
    }
}
#[cfg(target_arch = "x86_64")]
pub(crate) use x86::{Avx2, Avx512};

/// 4 lanes of plain arithmetic (a·b + c rounded twice: no FMA instruction to rely on).
#[derive(Debug, Clone, Copy)]
pub(crate) struct Portable([f64; 4]);

impl Simd for Portable {
    const LANES: usize = 4;
    const TILES: [(usize, usize); 4] = [(2, 4), (2, 4), (2, 4), (2, 4)];
    #[inline(always)]
    unsafe fn zero() -> Self {
        Portable([0.0; 4])
    }
    #[inline(always)]
    unsafe fn load(p: *const f64) -> Self {
        // SAFETY: the caller guarantees 4 readable elements at p.
        Portable(unsafe { p.cast::<[f64; 4]>().read_unaligned() })
    }
    #[inline(always)]
    unsafe fn store(self, p: *mut f64) {
        // SAFETY: the caller guarantees 4 writable elements at p.
        unsafe { p.cast::<[f64; 4]>().write_unaligned(self.0) }
    }
    #[inline(always)]
    unsafe fn splat(p: *const f64) -> Self {
        // SAFETY: the caller guarantees a readable element at p.
        Portable([unsafe { *p }; 4])
    }
    #[inline(always)]
    unsafe fn fma(a: Self, b: Self, c: Self) -> Self {
        Portable(std::array::from_fn(|i| a.0[i] * b.0[i] + c.0[i]))
    }
    #[inline(always)]
    fn mul_add(a: f64, b: f64, c: f64) -> f64 {
        a * b + c
    }
}

/// A column-major panel whose rows are padded to a multiple of [`ROWS`]: element (i, j) is
/// `data[i + j·ld]`.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Panel<'a> {
    pub data: &'a [f64],
    pub ld: usize,
}

/// A strided matrix: element (k, j) is `data[k·rk + j·rn]`.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Strided<'a> {
    pub data: &'a [f64],
    pub rk: usize,
    pub rn: usize,
}

/// out(i, j) = [out(i, j) +] Σ_{k < inner} l(i, k)·r(k, j) for i < rows (a multiple of
/// [`ROWS`]) and j < cols; out is column-major with leading dimension `ldo`.
#[inline(always)]
#[allow(clippy::too_many_arguments)]
pub(crate) fn product<V: Simd>(
    out: &mut [f64],
    ldo: usize,
    rows: usize,
    cols: usize,
    l: Panel<'_>,
    r: Strided<'_>,
    inner: usize,
    accumulate: bool,
) {
    assert!(
        rows.is_multiple_of(ROWS) && ldo >= rows && l.ld >= rows,
        "product: panel rows"
    );
    if rows == 0 || cols == 0 {
        return;
    }
    assert!(
        (cols - 1) * ldo + rows <= out.len(),
        "product: output outside its slice"
    );
    if inner == 0 {
        if !accumulate {
            for j in 0..cols {
                out[j * ldo..j * ldo + rows].fill(0.0);
            }
        }
        return;
    }
    assert!(
        (inner - 1) * l.ld + rows <= l.data.len()
            && (inner - 1) * r.rk + (cols - 1) * r.rn < r.data.len(),
        "product: operand outside its slice"
    );
    let mut i = 0;
    while i < rows {
        let vectors = ((rows - i) / V::LANES).min(4 * ROWS / V::LANES);
        let (mv, nr) = V::TILES[4 - vectors * V::LANES / ROWS];
        debug_assert!(mv * V::LANES <= rows - i);
        let mut j = 0;
        while j < cols {
            let n = nr.min(cols - j);
            // SAFETY: the tile reads l(i..i + mv·LANES, 0..inner), r(0..inner, j..j + n) and
            // reads/writes out(i..i + mv·LANES, j..j + n), all inside their slices by the
            // asserts above (i + mv·LANES ≤ rows, j + n ≤ cols); `out` is a unique borrow.
            unsafe {
                let o = out.as_mut_ptr().add(i + j * ldo);
                let lp = l.data.as_ptr().add(i);
                let rp = r.data.as_ptr().add(j * r.rn);
                tile_dispatch::<V>(mv, n, o, ldo, lp, l.ld, rp, r.rk, r.rn, inner, accumulate);
            }
            j += n;
        }
        i += mv * V::LANES;
    }
}

/// [`tile`] with its shape as constants.
#[inline(always)]
#[allow(clippy::too_many_arguments)]
unsafe fn tile_dispatch<V: Simd>(
    mv: usize,
    n: usize,
    o: *mut f64,
    ldo: usize,
    l: *const f64,
    ldl: usize,
    r: *const f64,
    rk: usize,
    rn: usize,
    inner: usize,
    acc: bool,
) {
    macro_rules! shapes {
        ($($mv:literal => [$($n:literal),*]),*) => {
            match (mv, n) {
                $($(($mv, $n) => unsafe { tile::<V, $mv, $n>(o, ldo, l, ldl, r, rk, rn, inner, acc) },)*)*
                _ => unreachable!("tile shape {mv}×{n}"),
            }
        };
    }
    shapes!(
        4 => [1, 2, 3, 4, 5, 6],
        3 => [1, 2, 3, 4, 5, 6, 7, 8],
        2 => [1, 2, 3, 4, 5, 6, 7, 8],
        1 => [1, 2, 3, 4, 5, 6, 7, 8]
    )
}

/// One register tile: MV vectors of rows × NR columns of out, swept over the inner index.
///
/// # Safety
/// l(0..MV·LANES, k) at `l + k·ldl`, r(k, 0..NR) at `r + k·rk + j·rn` for k < inner and
/// out(0..MV·LANES, 0..NR) at `o + j·ldo` must be valid.
#[inline(always)]
#[allow(clippy::too_many_arguments)]
unsafe fn tile<V: Simd, const MV: usize, const NR: usize>(
    o: *mut f64,
    ldo: usize,
    l: *const f64,
    ldl: usize,
    r: *const f64,
    rk: usize,
    rn: usize,
    inner: usize,
    accumulate: bool,
) {
    unsafe {
        let mut acc = [[V::zero(); MV]; NR];
        if accumulate {
            for (j, col) in acc.iter_mut().enumerate() {
                for (m, v) in col.iter_mut().enumerate() {
                    *v = V::load(o.add(j * ldo + m * V::LANES));
                }
            }
        }
        let (mut lp, mut rp) = (l, r);
        for _ in 0..inner {
            let mut lv = [V::zero(); MV];
            for (m, v) in lv.iter_mut().enumerate() {
                *v = V::load(lp.add(m * V::LANES));
            }
            for (j, col) in acc.iter_mut().enumerate() {
                let b = V::splat(rp.add(j * rn));
                for (v, &a) in col.iter_mut().zip(&lv) {
                    *v = V::fma(a, b, *v);
                }
            }
            lp = lp.add(ldl);
            rp = rp.add(rk);
        }
        for (j, col) in acc.iter().enumerate() {
            for (m, v) in col.iter().enumerate() {
                v.store(o.add(j * ldo + m * V::LANES));
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `product` for vector type V on every tile shape and remainder (rows 8–48, 1–14 columns,
    /// inner 0–5, with and without accumulation, transposed and strided right operands).
    fn products<V: Simd>() -> Vec<f64> {
        let value = |k: usize| ((k * 37 + 11) % 97) as f64 / 97.0 - 0.5;
        let mut all = Vec::new();
        for rows in (8..=48).step_by(8) {
            for cols in 1..=14 {
                for inner in 0..=5 {
                    for (rk, rn) in [(1, inner + 3), (cols + 1, 1)] {
                        let ld = rows + 8;
                        let l: Vec<f64> = (0..ld * inner.max(1)).map(value).collect();
                        let r: Vec<f64> = (0..rk * inner.max(1) + rn * cols)
                            .map(|k| value(k + 5))
                            .collect();
                        for accumulate in [false, true] {
                            let mut out: Vec<f64> = (0..ld * cols).map(|k| value(k + 3)).collect();
                            let before = out.clone();
                            let (lp, rs) = (Panel { data: &l, ld }, Strided { data: &r, rk, rn });
                            product::<V>(&mut out, ld, rows, cols, lp, rs, inner, accumulate);
                            for j in 0..cols {
                                for i in 0..ld {
                                    let at = i + j * ld;
                                    if i >= rows {
                                        assert_eq!(out[at], before[at], "padding untouched");
                                        continue;
                                    }
                                    // The same sum in the same order with one rounding per step.
                                    let mut sum = if accumulate { before[at] } else { 0.0 };
                                    for k in 0..inner {
                                        sum = V::mul_add(l[i + k * ld], r[k * rk + j * rn], sum);
                                    }
                                    assert_eq!(out[at], sum, "{rows}×{cols}×{inner} ({i}, {j})");
                                }
                            }
                            all.extend(out);
                        }
                    }
                }
            }
        }
        all
    }

    #[test]
    fn products_match_the_plain_sum_on_every_instruction_set() {
        let portable = products::<Portable>();
        assert!(!portable.is_empty());
        #[cfg(target_arch = "x86_64")]
        {
            struct Products;
            impl Kernel for Products {
                type Output = Vec<f64>;
                #[inline(always)]
                fn run<V: Simd>(self) -> Vec<f64> {
                    products::<V>()
                }
            }
            let isa = Isa::detect();
            if isa != Isa::Portable {
                let avx2 = dispatch(Isa::Avx2, Products);
                // FMA rounds differently from a·b + c, but not by more than a few ulp here.
                assert!(
                    avx2.iter()
                        .zip(&portable)
                        .all(|(a, b)| (a - b).abs() < 1e-14)
                );
                if isa == Isa::Avx512 {
                    // The same sums in the same order: identical bits.
                    assert_eq!(dispatch(Isa::Avx512, Products), avx2);
                }
            }
        }
    }
}
