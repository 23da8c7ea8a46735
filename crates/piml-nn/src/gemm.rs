//! The small dense products of a network pass, register-blocked and without packing.
//!
//! Every product of a pass has the form out = L·R with L a column-major panel whose row count
//! is padded to a multiple of [`Real::ROWS`] (a layer's weights, or a block's activations) and
//! R any strided matrix; one, the other or the inner dimension is a layer width (tens), so the
//! operands of a block sit in L1/L2 and general-purpose kernels spend as long copying them
//! into packed panels as multiplying (matrixmultiply did: a fifth of a pass was packing). Here
//! a tile of out (up to 4 vectors of rows × a few columns) stays in registers while the inner
//! dimension is swept: each step loads a column of L and broadcasts entries of R into fused
//! multiply-adds. Each output element is the sum over the inner index in order, one FMA after
//! another, whatever the vector width, so the AVX-512 and AVX2 builds give identical bits.
//!
//! The pass is compiled once per instruction set ([`Isa`]) and scalar type ([`Real`]) through
//! the [`Simd`] type it is generic over; the unsafe code (intrinsics, and raw pointers inside
//! bounds checked once per product) stays in this module.
#![allow(unsafe_code)]

use crate::real::Real;

/// `n` rounded up to a multiple of [`Real::ROWS`] of `T`.
pub(crate) fn pad<T: Real>(n: usize) -> usize {
    n.div_ceil(T::ROWS) * T::ROWS
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

/// Work in scalar type `Real`, compiled once per instruction set: [`dispatch`] runs it with
/// the [`Simd`] type of the CPU, inside a function compiled for that instruction set, so that
/// the element-wise loops of the work vectorise for it too (`run` must be
/// `#[inline(always)]`, and so must everything it calls that should be compiled that way).
pub(crate) trait Kernel {
    type Real: Real;
    type Output;
    fn run<V: Simd<Self::Real>>(self) -> Self::Output;
}

/// `work.run::<V>()` with V the vector type of `isa` and the work's scalar type.
pub(crate) fn dispatch<K: Kernel>(isa: Isa, work: K) -> K::Output {
    #[cfg(target_arch = "x86_64")]
    #[target_feature(enable = "avx512f,avx2,fma")]
    fn avx512<K: Kernel>(work: K) -> K::Output {
        work.run::<<K::Real as Real>::Avx512>()
    }
    #[cfg(target_arch = "x86_64")]
    #[target_feature(enable = "avx2,fma")]
    fn avx2<K: Kernel>(work: K) -> K::Output {
        work.run::<<K::Real as Real>::Avx2>()
    }
    match isa {
        // SAFETY: `Isa::Avx512` and `Isa::Avx2` are only made by `Isa::detect`, on a CPU
        // with the features these functions are compiled for.
        #[cfg(target_arch = "x86_64")]
        Isa::Avx512 => unsafe { avx512(work) },
        #[cfg(target_arch = "x86_64")]
        Isa::Avx2 => unsafe { avx2(work) },
        Isa::Portable => work.run::<<K::Real as Real>::Portable>(),
    }
}

/// A vector of `T` lanes with the operations of the kernel.
///
/// # Safety
/// The methods may only run on a CPU with the type's instruction set (guaranteed by
/// [`dispatch`]); pointers must be valid for `LANES` elements.
pub(crate) trait Simd<T: Real>: Copy {
    const LANES: usize;
    /// The tile shapes of [`product`], as (vectors of rows, columns) for 4, 3, 2 and 1 times
    /// [`Real::ROWS`] rows; each tile covers a whole number of ROWS.
    const TILES: [(usize, usize); 4];
    unsafe fn zero() -> Self;
    unsafe fn load(p: *const T) -> Self;
    unsafe fn store(self, p: *mut T);
    unsafe fn splat(p: *const T) -> Self;
    /// a·b + c.
    unsafe fn fma(a: Self, b: Self, c: Self) -> Self;
    /// a·b + c on scalars, rounded as [`Simd::fma`] rounds (once, where the CPU has FMA).
    fn mul_add(a: T, b: T, c: T) -> T;
    /// out[i] ← the sum of the lanes of v[i], for at most 16 vectors, in an order fixed by
    /// the type.
    unsafe fn lane_sums(v: &[Self], out: &mut [T]) {
        unsafe { fold_lanes(v, out) }
    }
}

/// [`Simd::lane_sums`] one vector at a time, its lanes added in order.
///
/// # Safety
/// As [`Simd`]: the CPU has V's instruction set.
#[inline(always)]
unsafe fn fold_lanes<T: Real, V: Simd<T>>(v: &[V], out: &mut [T]) {
    // The widest vector holds 16 lanes.
    let mut lanes = [T::default(); 16];
    for (sum, x) in out.iter_mut().zip(v) {
        unsafe { x.store(lanes.as_mut_ptr()) };
        *sum = lanes[..V::LANES].iter().fold(T::default(), |s, &x| s + x);
    }
}

#[cfg(target_arch = "x86_64")]
mod x86 {
    use std::arch::x86_64::*;

    /// One x86 vector type: its register type, lanes, tiles and intrinsics.
    macro_rules! vector {
        ($doc:literal, $name:ident, $t:ty, $reg:ty, $lanes:literal, $tiles:expr,
         $zero:ident, $load:ident, $store:ident, $set1:ident, $fmadd:ident
         $(, tree: $add:ident, $permute:ident, $indices:ident)?) => {
            #[doc = $doc]
            #[derive(Debug, Clone, Copy)]
            pub(crate) struct $name($reg);

            impl super::Simd<$t> for $name {
                const LANES: usize = $lanes;
                const TILES: [(usize, usize); 4] = $tiles;
                #[inline(always)]
                unsafe fn zero() -> Self {
                    unsafe { $name($zero()) }
                }
                #[inline(always)]
                unsafe fn load(p: *const $t) -> Self {
                    unsafe { $name($load(p)) }
                }
                #[inline(always)]
                unsafe fn store(self, p: *mut $t) {
                    unsafe { $store(p, self.0) }
                }
                #[inline(always)]
                unsafe fn splat(p: *const $t) -> Self {
                    unsafe { $name($set1(*p)) }
                }
                #[inline(always)]
                unsafe fn fma(a: Self, b: Self, c: Self) -> Self {
                    unsafe { $name($fmadd(a.0, b.0, c.0)) }
                }
                #[inline(always)]
                fn mul_add(a: $t, b: $t, c: $t) -> $t {
                    a.mul_add(b, c)
                }
                $(
                #[inline(always)]
                unsafe fn lane_sums(v: &[Self], out: &mut [$t]) {
                    // Up to LANES vectors at a time through a tree of two-source permutes: at
                    // the level of blocks of s lanes, vectors x and y become one whose blocks
                    // are [x₀ + x₁, y₀ + y₁, x₂ + x₃, y₂ + y₃, …]; after log₂ LANES levels
                    // lane j holds the sum of vector bitrev(j). 2·(LANES − 1) permutes and
                    // LANES − 1 adds where adding each vector's lanes one by one took
                    // LANES·(LANES − 1) scalar adds (for the 256-point inner products of a
                    // truncated transform, as many instructions as the products themselves).
                    let bits = ($lanes as u32).trailing_zeros();
                    for (chunk, out) in v.chunks($lanes).zip(out.chunks_mut($lanes)) {
                        let mut level = [unsafe { $zero() }; $lanes];
                        for (l, x) in level.iter_mut().zip(chunk) {
                            *l = x.0;
                        }
                        let mut n = $lanes;
                        for (lo, hi) in $indices.iter() {
                            // SAFETY: the index tables hold 64 bytes each.
                            let (lo, hi) = unsafe {
                                (
                                    _mm512_loadu_si512(lo.as_ptr().cast()),
                                    _mm512_loadu_si512(hi.as_ptr().cast()),
                                )
                            };
                            n /= 2;
                            for p in 0..n {
                                let (x, y) = (level[2 * p], level[2 * p + 1]);
                                level[p] = unsafe {
                                    $add($permute(x, lo, y), $permute(x, hi, y))
                                };
                            }
                        }
                        let mut lanes = [<$t>::default(); $lanes];
                        unsafe { $store(lanes.as_mut_ptr(), level[0]) };
                        for (i, sum) in out.iter_mut().enumerate() {
                            *sum = lanes[(i as u32).reverse_bits() as usize >> (32 - bits)];
                        }
                    }
                }
                )?
            }
        };
    }

    /// The permute indices of [`super::Simd::lane_sums`]'s tree for `LANES` lanes, level by
    /// level (blocks of LANES/2 lanes down to 1): output lane j, in block B = j / s at offset
    /// r, takes from the pair of blocks 2⌊B/2⌋ (lo) and 2⌊B/2⌋ + 1 (hi) of x (B even) or y
    /// (B odd, indices LANES and up).
    const fn tree_indices<const LANES: usize, const LEVELS: usize>()
    -> [([i64; LANES], [i64; LANES]); LEVELS] {
        let mut out = [([0; LANES], [0; LANES]); LEVELS];
        let mut level = 0;
        while level < LEVELS {
            let s = LANES >> (level + 1);
            let mut j = 0;
            while j < LANES {
                let (block, r) = (j / s, j % s);
                let from_y = if block % 2 == 1 { LANES } else { 0 };
                let pair = block / 2 * 2;
                out[level].0[j] = (pair * s + r + from_y) as i64;
                out[level].1[j] = ((pair + 1) * s + r + from_y) as i64;
                j += 1;
            }
            level += 1;
        }
        out
    }

    const F64_TREE: [([i64; 8], [i64; 8]); 3] = tree_indices::<8, 3>();
    /// [`tree_indices`] for 16 f32 lanes, as the 32-bit indices `_mm512_permutex2var_ps` reads.
    const F32_TREE: [([i32; 16], [i32; 16]); 4] = {
        let wide = tree_indices::<16, 4>();
        let mut out = [([0; 16], [0; 16]); 4];
        let mut level = 0;
        while level < 4 {
            let mut j = 0;
            while j < 16 {
                out[level].0[j] = wide[level].0[j] as i32;
                out[level].1[j] = wide[level].1[j] as i32;
                j += 1;
            }
            level += 1;
        }
        out
    };

    // 32 zmm registers: tile vectors + one column of L + the broadcast.
    const AVX512_TILES: [(usize, usize); 4] = [(4, 6), (3, 8), (2, 8), (1, 8)];
    // 16 ymm registers: tiles of 2 vectors × 6 columns + 2 + 1.
    const AVX2_TILES: [(usize, usize); 4] = [(2, 6), (2, 6), (2, 6), (2, 6)];

    vector!(
        "8 f64 lanes of AVX-512.",
        F64x8,
        f64,
        __m512d,
        8,
        AVX512_TILES,
        _mm512_setzero_pd,
        _mm512_loadu_pd,
        _mm512_storeu_pd,
        _mm512_set1_pd,
        _mm512_fmadd_pd,
        tree: _mm512_add_pd, _mm512_permutex2var_pd, F64_TREE
    );
    vector!(
        "4 f64 lanes of AVX2.",
        F64x4,
        f64,
        __m256d,
        4,
        AVX2_TILES,
        _mm256_setzero_pd,
        _mm256_loadu_pd,
        _mm256_storeu_pd,
        _mm256_set1_pd,
        _mm256_fmadd_pd
    );
    vector!(
        "16 f32 lanes of AVX-512.",
        F32x16,
        f32,
        __m512,
        16,
        AVX512_TILES,
        _mm512_setzero_ps,
        _mm512_loadu_ps,
        _mm512_storeu_ps,
        _mm512_set1_ps,
        _mm512_fmadd_ps,
        tree: _mm512_add_ps, _mm512_permutex2var_ps, F32_TREE
    );
    vector!(
        "8 f32 lanes of AVX2.",
        F32x8,
        f32,
        __m256,
        8,
        AVX2_TILES,
        _mm256_setzero_ps,
        _mm256_loadu_ps,
        _mm256_storeu_ps,
        _mm256_set1_ps,
        _mm256_fmadd_ps
    );
}
#[cfg(target_arch = "x86_64")]
pub(crate) use x86::{F32x8, F32x16, F64x4, F64x8};

/// 4 lanes of plain arithmetic (a·b + c rounded twice: no FMA instruction to rely on).
#[derive(Debug, Clone, Copy)]
pub(crate) struct Portable<T>([T; 4]);

impl<T: Real> Simd<T> for Portable<T> {
    const LANES: usize = 4;
    // Tiles of ROWS rows (2 vectors in f64, 4 in f32) × 4 columns.
    const TILES: [(usize, usize); 4] = [(T::ROWS / 4, 4); 4];
    #[inline(always)]
    unsafe fn zero() -> Self {
        Portable([T::default(); 4])
    }
    #[inline(always)]
    unsafe fn load(p: *const T) -> Self {
        // SAFETY: the caller guarantees 4 readable elements at p.
        Portable(unsafe { p.cast::<[T; 4]>().read_unaligned() })
    }
    #[inline(always)]
    unsafe fn store(self, p: *mut T) {
        // SAFETY: the caller guarantees 4 writable elements at p.
        unsafe { p.cast::<[T; 4]>().write_unaligned(self.0) }
    }
    #[inline(always)]
    unsafe fn splat(p: *const T) -> Self {
        // SAFETY: the caller guarantees a readable element at p.
        Portable([unsafe { *p }; 4])
    }
    #[inline(always)]
    unsafe fn fma(a: Self, b: Self, c: Self) -> Self {
        Portable(std::array::from_fn(|i| a.0[i] * b.0[i] + c.0[i]))
    }
    #[inline(always)]
    fn mul_add(a: T, b: T, c: T) -> T {
        a * b + c
    }
}

/// A column-major panel whose rows are padded to a multiple of [`Real::ROWS`]: element (i, j)
/// is `data[i + j·ld]`.
#[derive(Debug, Clone, Copy)]
pub struct Panel<'a, T> {
    pub data: &'a [T],
    pub ld: usize,
}

/// A strided matrix: element (k, j) is `data[k·rk + j·rn]`.
#[derive(Debug, Clone, Copy)]
pub struct Strided<'a, T> {
    pub data: &'a [T],
    pub rk: usize,
    pub rn: usize,
}

/// What the sums of a [`product`] start from.
#[derive(Debug, Clone, Copy)]
pub enum Start<'a, T> {
    /// Zero: out is overwritten.
    Zero,
    /// out's own values: the product is added to them.
    Out,
    /// Column j's sums start from `bias[j]` (a layer's bias added in the same FMA chain, with
    /// no pass to fill out first); out is overwritten.
    Columns(&'a [T]),
}

/// [`Start`] at one tile's first column.
#[derive(Clone, Copy)]
enum TileStart<T> {
    Zero,
    Out,
    Columns(*const T),
}

/// out(i, j) = start(i, j) + Σ_{k < inner} l(i, k)·r(k, j) for i < rows (a multiple of
/// [`Real::ROWS`]) and j < cols; out is column-major with leading dimension `ldo`.
#[inline(always)]
#[allow(clippy::too_many_arguments)]
pub(crate) fn product<T: Real, V: Simd<T>>(
    out: &mut [T],
    ldo: usize,
    rows: usize,
    cols: usize,
    l: Panel<'_, T>,
    r: Strided<'_, T>,
    inner: usize,
    start: Start<'_, T>,
) {
    assert!(
        rows.is_multiple_of(T::ROWS) && ldo >= rows && l.ld >= rows,
        "product: panel rows"
    );
    if rows == 0 || cols == 0 {
        return;
    }
    assert!(
        (cols - 1) * ldo + rows <= out.len(),
        "product: output outside its slice"
    );
    if let Start::Columns(bias) = start {
        assert!(bias.len() >= cols, "product: fewer biases than columns");
    }
    if inner == 0 {
        for j in 0..cols {
            let column = &mut out[j * ldo..j * ldo + rows];
            match start {
                Start::Zero => column.fill(T::default()),
                Start::Out => {}
                Start::Columns(bias) => column.fill(bias[j]),
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
        let vectors = ((rows - i) / V::LANES).min(4 * T::ROWS / V::LANES);
        let (mv, nr) = V::TILES[4 - vectors * V::LANES / T::ROWS];
        debug_assert!(mv * V::LANES <= rows - i);
        let mut j = 0;
        while j < cols {
            let n = nr.min(cols - j);
            // SAFETY: the tile reads l(i..i + mv·LANES, 0..inner), r(0..inner, j..j + n),
            // bias[j..j + n] and reads/writes out(i..i + mv·LANES, j..j + n), all inside their
            // slices by the asserts above (i + mv·LANES ≤ rows, j + n ≤ cols ≤ biases);
            // `out` is a unique borrow.
            unsafe {
                let o = out.as_mut_ptr().add(i + j * ldo);
                let lp = l.data.as_ptr().add(i);
                let rp = r.data.as_ptr().add(j * r.rn);
                let s = match start {
                    Start::Zero => TileStart::Zero,
                    Start::Out => TileStart::Out,
                    Start::Columns(bias) => TileStart::Columns(bias.as_ptr().add(j)),
                };
                tile_dispatch::<T, V>(mv, n, o, ldo, lp, l.ld, rp, r.rk, r.rn, inner, s);
            }
            j += n;
        }
        i += mv * V::LANES;
    }
}

// The kernels for other crates, one function per scalar type (the crate's `Real` stays
// private): the arguments of `$kernel`, run on the widest instruction set of this CPU.
macro_rules! public_kernel {
    ($(#[$doc:meta])* $name:ident, $kernel:ident, $t:ty, $l:ident: $lt:ty, $r:ident: $rt:ty,
     $s:ident: $st:ty) => {
        $(#[$doc])*
        #[allow(clippy::too_many_arguments)]
        pub fn $name(
            out: &mut [$t],
            ldo: usize,
            rows: usize,
            cols: usize,
            $l: $lt,
            $r: $rt,
            inner: usize,
            $s: $st,
        ) {
            let work = $kernel {
                out,
                ldo,
                rows,
                cols,
                $l,
                $r,
                inner,
                $s,
            };
            dispatch(Isa::detect(), work)
        }
    };
}

public_kernel!(
    /// [`product`] in f32 (see [`product_f64`]).
    product_f32, Product, f32, l: Panel<'_, f32>, r: Strided<'_, f32>, start: Start<'_, f32>
);
public_kernel!(
    /// [`product`] on the widest instruction set of this CPU, for other crates' products of
    /// the same kind (a tall column-major panel times a small strided matrix):
    /// out(i, j) = start(i, j) + Σ_{k < inner} l(i, k)·r(k, j) for i < rows, a multiple of
    /// [`PANEL_ROWS_F32`] or [`PANEL_ROWS_F64`], where start is zero, out itself or a bias
    /// per column ([`Start`]); out is column-major with leading dimension `ldo`. Each element
    /// is summed over k in order, one FMA after another, so that AVX-512 and AVX2 give
    /// identical bits.
    product_f64, Product, f64, l: Panel<'_, f64>, r: Strided<'_, f64>, start: Start<'_, f64>
);
public_kernel!(
    /// [`dots_f64`] in f32.
    dots_f32, Dots, f32, a: (&[f32], usize), b: (&[f32], usize), accumulate: bool
);
public_kernel!(
    /// Inner products of columns on the widest instruction set of this CPU,
    /// out(i, j) = [out(i, j) +] Σ_{k < inner} a[k + i·lda]·b[k + j·ldb] for i < rows, j < cols
    /// (a = (slice, lda), b likewise), out column-major with leading dimension `ldo`: the
    /// product Aᵀ·B of two tall column-major matrices (a layer's weight gradient, summed over
    /// thousands of points) without copying either into packed panels. Each element is summed
    /// in vector lanes, then across them in an order fixed by the instruction set: the same
    /// bits for the same instruction set.
    dots_f64, Dots, f64, a: (&[f64], usize), b: (&[f64], usize), accumulate: bool
);

/// The arguments of [`dots`], as a [`Kernel`].
struct Dots<'a, T> {
    out: &'a mut [T],
    ldo: usize,
    rows: usize,
    cols: usize,
    a: (&'a [T], usize),
    b: (&'a [T], usize),
    inner: usize,
    accumulate: bool,
}

impl<T: Real> Kernel for Dots<'_, T> {
    type Real = T;
    type Output = ();
    #[inline(always)]
    fn run<V: Simd<T>>(self) {
        dots::<T, V>(
            self.out,
            self.ldo,
            self.rows,
            self.cols,
            self.a,
            self.b,
            self.inner,
            self.accumulate,
        );
    }
}

/// See [`dots_f64`].
#[inline(always)]
#[allow(clippy::too_many_arguments)]
fn dots<T: Real, V: Simd<T>>(
    out: &mut [T],
    ldo: usize,
    rows: usize,
    cols: usize,
    (a, lda): (&[T], usize),
    (b, ldb): (&[T], usize),
    inner: usize,
    accumulate: bool,
) {
    if rows == 0 || cols == 0 {
        return;
    }
    assert!(
        ldo >= rows && (cols - 1) * ldo + rows <= out.len(),
        "dots: output outside its slice"
    );
    assert!(
        (lda >= inner || rows == 1)
            && (ldb >= inner || cols == 1)
            && (rows - 1) * lda + inner <= a.len()
            && (cols - 1) * ldb + inner <= b.len(),
        "dots: operand outside its slice"
    );
    // 4 × 4 accumulators and 8 operands fill AVX-512's 32 registers; 2 × 4 AVX2's 16.
    let wide = V::LANES * std::mem::size_of::<T>() == 64;
    let mr = if wide { 4 } else { 2 };
    let mut i = 0;
    while i < rows {
        let m = mr.min(rows - i);
        let mut j = 0;
        while j < cols {
            let n = 4.min(cols - j);
            // SAFETY: the tile reads a[i'·lda + k] for i' < i + m ≤ rows, k < inner, b likewise
            // for j' < j + n ≤ cols, and writes out(i..i + m, j..j + n): all inside their
            // slices by the asserts above; `out` is a unique borrow.
            unsafe {
                let o = out.as_mut_ptr().add(i + j * ldo);
                let ap = a.as_ptr().add(i * lda);
                let bp = b.as_ptr().add(j * ldb);
                macro_rules! shapes {
                    ($(($m:literal, $n:literal)),*) => {
                        match (m, n) {
                            $(($m, $n) => dot_tile::<T, V, $m, $n>(o, ldo, ap, lda, bp, ldb, inner, accumulate),)*
                            _ => unreachable!("tile shape {m}×{n}"),
                        }
                    };
                }
                shapes!(
                    (1, 1),
                    (1, 2),
                    (1, 3),
                    (1, 4),
                    (2, 1),
                    (2, 2),
                    (2, 3),
                    (2, 4),
                    (3, 1),
                    (3, 2),
                    (3, 3),
                    (3, 4),
                    (4, 1),
                    (4, 2),
                    (4, 3),
                    (4, 4)
                );
            }
            j += n;
        }
        i += m;
    }
}

/// One tile of [`dots`]: MR columns of a against NR of b, in vector lanes along k.
///
/// # Safety
/// a[i·lda + k], b[j·ldb + k] for i < MR, j < NR, k < inner and out(0..MR, 0..NR) at
/// `o + j·ldo` must be valid.
#[inline(always)]
#[allow(clippy::too_many_arguments)]
unsafe fn dot_tile<T: Real, V: Simd<T>, const MR: usize, const NR: usize>(
    o: *mut T,
    ldo: usize,
    a: *const T,
    lda: usize,
    b: *const T,
    ldb: usize,
    inner: usize,
    accumulate: bool,
) {
    unsafe {
        let mut acc = [[V::zero(); MR]; NR];
        let full = inner - inner % V::LANES;
        let mut k = 0;
        while k < full {
            let mut av = [V::zero(); MR];
            for (i, v) in av.iter_mut().enumerate() {
                *v = V::load(a.add(i * lda + k));
            }
            for (j, col) in acc.iter_mut().enumerate() {
                let bv = V::load(b.add(j * ldb + k));
                for (v, &x) in col.iter_mut().zip(&av) {
                    *v = V::fma(x, bv, *v);
                }
            }
            k += V::LANES;
        }
        // Every accumulator's lanes summed at once (MR·NR ≤ 16).
        let mut flat = [V::zero(); 16];
        for (f, v) in flat.iter_mut().zip(acc.iter().flatten()) {
            *f = *v;
        }
        let mut sums = [T::default(); 16];
        V::lane_sums(&flat[..MR * NR], &mut sums[..MR * NR]);
        for (j, col) in sums[..MR * NR].chunks_exact(MR).enumerate() {
            for (i, &lane_sum) in col.iter().enumerate() {
                let mut sum = lane_sum;
                for k in full..inner {
                    sum = V::mul_add(*a.add(i * lda + k), *b.add(j * ldb + k), sum);
                }
                let out = o.add(i + j * ldo);
                *out = if accumulate { *out + sum } else { sum };
            }
        }
    }
}

/// Row counts of the panels of [`product_f32`] and [`product_f64`] are multiples of these.
pub const PANEL_ROWS_F32: usize = <f32 as Real>::ROWS;
pub const PANEL_ROWS_F64: usize = <f64 as Real>::ROWS;

/// The arguments of [`product`], as a [`Kernel`].
struct Product<'a, T> {
    out: &'a mut [T],
    ldo: usize,
    rows: usize,
    cols: usize,
    l: Panel<'a, T>,
    r: Strided<'a, T>,
    inner: usize,
    start: Start<'a, T>,
}

impl<T: Real> Kernel for Product<'_, T> {
    type Real = T;
    type Output = ();
    #[inline(always)]
    fn run<V: Simd<T>>(self) {
        product::<T, V>(
            self.out, self.ldo, self.rows, self.cols, self.l, self.r, self.inner, self.start,
        );
    }
}

/// [`tile`] with its shape as constants.
#[inline(always)]
#[allow(clippy::too_many_arguments)]
unsafe fn tile_dispatch<T: Real, V: Simd<T>>(
    mv: usize,
    n: usize,
    o: *mut T,
    ldo: usize,
    l: *const T,
    ldl: usize,
    r: *const T,
    rk: usize,
    rn: usize,
    inner: usize,
    start: TileStart<T>,
) {
    macro_rules! shapes {
        ($($mv:literal => [$($n:literal),*]),*) => {
            match (mv, n) {
                $($(($mv, $n) => unsafe { tile::<T, V, $mv, $n>(o, ldo, l, ldl, r, rk, rn, inner, start) },)*)*
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
/// out(0..MV·LANES, 0..NR) at `o + j·ldo` must be valid, and bias[0..NR] when the sums
/// start from biases.
#[inline(always)]
#[allow(clippy::too_many_arguments)]
unsafe fn tile<T: Real, V: Simd<T>, const MV: usize, const NR: usize>(
    o: *mut T,
    ldo: usize,
    l: *const T,
    ldl: usize,
    r: *const T,
    rk: usize,
    rn: usize,
    inner: usize,
    start: TileStart<T>,
) {
    unsafe {
        let mut acc = [[V::zero(); MV]; NR];
        match start {
            TileStart::Zero => {}
            TileStart::Out => {
                for (j, col) in acc.iter_mut().enumerate() {
                    for (m, v) in col.iter_mut().enumerate() {
                        *v = V::load(o.add(j * ldo + m * V::LANES));
                    }
                }
            }
            TileStart::Columns(bias) => {
                for (j, col) in acc.iter_mut().enumerate() {
                    col.fill(V::splat(bias.add(j)));
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
    use std::marker::PhantomData;

    use super::*;

    /// `product` for vector type V on every tile shape and remainder (rows 1–6 × ROWS, 1–14
    /// columns, inner 0–5, sums from zero, from out and from biases, transposed and strided
    /// right operands).
    fn products<T: Real, V: Simd<T>>() -> Vec<T> {
        let value = |k: usize| T::from_f64(((k * 37 + 11) % 97) as f64 / 97.0 - 0.5);
        let mut all = Vec::new();
        for rows in (T::ROWS..=6 * T::ROWS).step_by(T::ROWS) {
            for cols in 1..=14 {
                for inner in 0..=5 {
                    for (rk, rn) in [(1, inner + 3), (cols + 1, 1)] {
                        let ld = rows + T::ROWS;
                        let l: Vec<T> = (0..ld * inner.max(1)).map(value).collect();
                        let r: Vec<T> = (0..rk * inner.max(1) + rn * cols)
                            .map(|k| value(k + 5))
                            .collect();
                        let bias: Vec<T> = (0..cols).map(|j| value(j + 7)).collect();
                        for start in [Start::Zero, Start::Out, Start::Columns(&bias)] {
                            let mut out: Vec<T> = (0..ld * cols).map(|k| value(k + 3)).collect();
                            let before = out.clone();
                            let (lp, rs) = (Panel { data: &l, ld }, Strided { data: &r, rk, rn });
                            product::<T, V>(&mut out, ld, rows, cols, lp, rs, inner, start);
                            for j in 0..cols {
                                for i in 0..ld {
                                    let at = i + j * ld;
                                    if i >= rows {
                                        assert_eq!(out[at], before[at], "padding untouched");
                                        continue;
                                    }
                                    // The same sum in the same order with one rounding per step.
                                    let mut sum = match start {
                                        Start::Zero => T::default(),
                                        Start::Out => before[at],
                                        Start::Columns(bias) => bias[j],
                                    };
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

    /// Products of every instruction set agree: identical bits for AVX-512 and AVX2, within
    /// `tolerance` of the portable build (which rounds a·b + c twice).
    fn products_agree<T: Real>(tolerance: f64) {
        let portable = products::<T, T::Portable>();
        assert!(!portable.is_empty());
        #[cfg(target_arch = "x86_64")]
        {
            struct Products<T>(PhantomData<T>);
            impl<T: Real> Kernel for Products<T> {
                type Real = T;
                type Output = Vec<T>;
                #[inline(always)]
                fn run<V: Simd<T>>(self) -> Vec<T> {
                    products::<T, V>()
                }
            }
            let isa = Isa::detect();
            if isa != Isa::Portable {
                let avx2 = dispatch(Isa::Avx2, Products::<T>(PhantomData));
                assert!(
                    avx2.iter()
                        .zip(&portable)
                        .all(|(a, b)| (a.to_f64() - b.to_f64()).abs() < tolerance)
                );
                if isa == Isa::Avx512 {
                    // The same sums in the same order: identical bits.
                    assert_eq!(dispatch(Isa::Avx512, Products::<T>(PhantomData)), avx2);
                }
            }
        }
    }

    /// `dots` on every tile shape and remainder against the plain sum, on every instruction
    /// set of this CPU.
    #[test]
    fn dots_match_the_plain_sum_on_every_instruction_set() {
        fn check<T: Real>(isa: Isa, tolerance: f64) {
            let value = |k: usize| T::from_f64(((k * 37 + 11) % 97) as f64 / 97.0 - 0.5);
            for (rows, cols) in [(1, 1), (3, 5), (6, 7), (9, 4)] {
                for inner in [0, 1, 7, 16, 37] {
                    let (lda, ldb) = (inner + 2, inner + 1);
                    let a: Vec<T> = (0..rows * lda).map(value).collect();
                    let b: Vec<T> = (0..cols * ldb).map(|k| value(k + 3)).collect();
                    for accumulate in [false, true] {
                        let ldo = rows + 1;
                        let start: Vec<T> = (0..cols * ldo).map(|k| value(k + 7)).collect();
                        let mut out = start.clone();
                        let work = Dots {
                            out: &mut out,
                            ldo,
                            rows,
                            cols,
                            a: (&a, lda),
                            b: (&b, ldb),
                            inner,
                            accumulate,
                        };
                        dispatch(isa, work);
                        for i in 0..rows {
                            for j in 0..cols {
                                let mut sum: f64 = (0..inner)
                                    .map(|k| a[i * lda + k].to_f64() * b[j * ldb + k].to_f64())
                                    .sum();
                                if accumulate {
                                    sum += start[i + j * ldo].to_f64();
                                }
                                let got = out[i + j * ldo].to_f64();
                                // At most 38 terms ≤ 1/4: rounding far below the tolerance.
                                assert!(
                                    (got - sum).abs() <= tolerance,
                                    "{isa:?} {rows}×{cols}, inner {inner}: {got} vs {sum}"
                                );
                            }
                        }
                    }
                }
            }
        }
        let isas = [Isa::Portable, Isa::detect()];
        for isa in isas {
            check::<f64>(isa, 1e-14);
            check::<f32>(isa, 1e-5);
        }
    }

    #[test]
    fn products_match_the_plain_sum_on_every_instruction_set() {
        // FMA rounds differently from a·b + c, by at most one rounding of each of the ≤ 6
        // steps of sums below 2: 6·2·u is 3e-15 in f64 and 1.4e-6 in f32.
        products_agree::<f64>(1e-14);
        products_agree::<f32>(2e-6);
    }
}
