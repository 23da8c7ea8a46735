//! The stiff problems ROBER, HIRES, OREGO and E5 of the Test Set for IVP
//! Solvers (Mazzia & Magherini, University of Bari, release 2.4) against the
//! reference solutions published with it (`solut` in rober.f, hires.f,
//! orego.f, e5.f; also testdata/stiff-references.json).

mod problems;

use piml_ode::{Method, OdeSolver, OdeSystem, Solution};
use problems::*;

fn solve<S: OdeSystem>(
    method: Method,
    system: &S,
    y0: &[f64],
    t_end: f64,
    rtol: f64,
    atol: f64,
) -> Solution {
    let solver = OdeSolver::new(method)
        .rtol(rtol)
        .atol(atol)
        .max_steps(200_000)
        .build()
        .unwrap();
    solver.solve(system, 0.0, y0, &[t_end]).unwrap()
}

/// At tight tolerances every component above 1e-20 matches the reference to
/// 6 significant digits (relative error ≤ 1e-6).
fn assert_six_digits(name: &str, y: &[f64], reference: &[f64]) {
    let err = max_rel_err(y, reference, 1e-20);
    assert!(
        err <= 1e-6,
        "{name}: relative error {err:.2e} > 1e-6\n  got {y:?}\n  ref {reference:?}"
    );
}

/// At rtol 1e-6 the global error is the local tolerance times the problem's
/// error amplification (Hairer, Nørsett & Wanner 1993, II.3): assert
/// |y − ref| ≤ k·(rtol·|ref| + atol) componentwise.
fn assert_within_tolerance(name: &str, y: &[f64], reference: &[f64], rtol: f64, atol: f64, k: f64) {
    for (i, (y, r)) in y.iter().zip(reference).enumerate() {
        let scaled = (y - r).abs() / (rtol * r.abs() + atol);
        assert!(
            scaled <= k,
            "{name}: y{} = {y:e}, reference {r:e}: error {scaled:.1} tolerances > {k}",
            i + 1
        );
    }
}

// Measured (BDF, release build): error/tolerance 0.2 at rtol 1e-6 (647
// steps, as scipy's BDF: 649); relative error 1.8e-9 at rtol 1e-11.
#[test]
fn robertson_to_1e11_bdf() {
    let tight = solve(Method::Bdf, &ROBERTSON, &ROBERTSON_Y0, 1e11, 1e-11, 1e-18);
    assert_six_digits("ROBER rtol 1e-11", &tight.y[0], &ROBERTSON_REF);
    let loose = solve(Method::Bdf, &ROBERTSON, &ROBERTSON_Y0, 1e11, 1e-6, 1e-10);
    assert_within_tolerance(
        "ROBER rtol 1e-6",
        &loose.y[0],
        &ROBERTSON_REF,
        1e-6,
        1e-10,
        10.0,
    );
}

// Measured: error/tolerance 9.5 at rtol 1e-6; relative error 2.2e-9 at rtol 1e-10.
#[test]
fn hires_bdf() {
    let tight = solve(Method::Bdf, &Hires, &HIRES_Y0, HIRES_T_END, 1e-10, 1e-14);
    assert_six_digits("HIRES rtol 1e-10", &tight.y[0], &HIRES_REF);
    let loose = solve(Method::Bdf, &Hires, &HIRES_Y0, HIRES_T_END, 1e-6, 1e-10);
    assert_within_tolerance(
        "HIRES rtol 1e-6",
        &loose.y[0],
        &HIRES_REF,
        1e-6,
        1e-10,
        50.0,
    );
}

// OREGO's relaxation oscillations accumulate phase error over the ~6 periods
// to t = 360, hence a larger amplification. Measured: error/tolerance 73 at
// rtol 1e-6; relative error 3.0e-8 at rtol 1e-10.
#[test]
fn orego_bdf() {
    let tight = solve(Method::Bdf, &Orego, &OREGO_Y0, 360.0, 1e-10, 1e-14);
    assert_six_digits("OREGO rtol 1e-10", &tight.y[0], &OREGO_REF);
    let loose = solve(Method::Bdf, &Orego, &OREGO_Y0, 360.0, 1e-6, 1e-10);
    assert_within_tolerance(
        "OREGO rtol 1e-6",
        &loose.y[0],
        &OREGO_REF,
        1e-6,
        1e-10,
        500.0,
    );
}

/// E5 at t = 1e13: every reference component is below 1e-20 (y2 ≈ y3 ≈
/// 8.9e-23, y1 ≈ 1e-291), so the 6-digit criterion applies to none of them.
/// They are also out of reach in double precision: the fast pair
/// y1 + y3 ⇌ y4 (rates ≈ 1.4e-7 near t = 1e3) leaks rounding errors of
/// ε·rate·h ≈ 1e-21 per step into the invariant y2 − y3 − y4 = 0, and once
/// y2·y3 has decayed below that level one of y2, y3 collapses. scipy's BDF,
/// Radau and LSODA (scipy 1.17, rtol 1e-6 and 1e-10, atol 1.7e-24) all end
/// with y2 or y3 near 0 at 1e13. What is asserted: the solve reaches 1e13
/// with the test set's atol 1.7e-24 (Hairer & Wanner 1996, IV.10), every
/// component within 1e-21 of the reference in absolute terms, the
/// invariant held to 1e-21, and the early, well-conditioned phase (y1, which
/// decays slowly) to 6 digits against its closed form y1 ≈ y1(0)·e^{−A·t}
/// for t ≪ 1/(B·y3).
#[test]
fn e5_to_1e13_bdf() {
    let solver = OdeSolver::new(Method::Bdf)
        .rtol(1e-10)
        .atol(1.7e-24)
        .build()
        .unwrap();
    let sol = solver.solve(&E5, 0.0, &E5_Y0, &[1e-3, 1e13]).unwrap();
    let early = sol.y[0][0] / (E5_Y0[0] * (-7.89e-10_f64 * 1e-3).exp());
    assert!(
        (early - 1.0).abs() < 1e-6,
        "y1(1e-3) off by {:.2e}",
        early - 1.0
    );
    let y = &sol.y[1];
    for (i, (y, r)) in y.iter().zip(&E5_REF).enumerate() {
        assert!(
            (y - r).abs() < 1e-21,
            "E5 y{} = {y:e}, reference {r:e}",
            i + 1
        );
    }
    assert!(
        (y[1] - y[2] - y[3]).abs() < 1e-21,
        "invariant y2 - y3 - y4 = {:e}",
        y[1] - y[2] - y[3]
    );
}

/// `Method::Auto` reaches the same answers (it switches to BDF on all three).
#[test]
fn auto_on_the_stiff_test_set() {
    for (name, y, reference, k) in [
        (
            "ROBER",
            solve(Method::Auto, &ROBERTSON, &ROBERTSON_Y0, 1e11, 1e-6, 1e-10),
            &ROBERTSON_REF[..],
            10.0,
        ),
        (
            "HIRES",
            solve(Method::Auto, &Hires, &HIRES_Y0, HIRES_T_END, 1e-6, 1e-10),
            &HIRES_REF[..],
            50.0,
        ),
        (
            "OREGO",
            solve(Method::Auto, &Orego, &OREGO_Y0, 360.0, 1e-6, 1e-10),
            &OREGO_REF[..],
            500.0,
        ),
    ] {
        assert_eq!(y.stats.method_switches, 1, "{name}: {:?}", y.stats);
        assert_within_tolerance(name, &y.y[0], reference, 1e-6, 1e-10, k);
    }
}
