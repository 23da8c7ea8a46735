//! The discretisation's numerics: the exact banded Jacobian against finite
//! differences, the spectral and finite-volume paths against each other, and
//! the order of ETDRK4.

mod common;

use common::{discretise, max_diff};
use nalgebra::DMatrix;
use piml_ode::{JacobianStructure, OdeSystem};
use piml_pde::{Method, ReactionDiffusion, Solver};

/// Central differences of the right-hand side, column by column.
fn fd_jacobian(rd: &ReactionDiffusion, t: f64, y: &[f64]) -> DMatrix<f64> {
    let n = rd.dim();
    let mut jac = DMatrix::zeros(n, n);
    let (mut fp, mut fm) = (vec![0.0; n], vec![0.0; n]);
    for j in 0..n {
        let h = 1e-6 * (1.0 + y[j].abs());
        let mut yp = y.to_vec();
        yp[j] += h;
        rd.rhs(t, &yp, &mut fp);
        yp[j] -= 2.0 * h;
        rd.rhs(t, &yp, &mut fm);
        for i in 0..n {
            jac[(i, j)] = (fp[i] - fm[i]) / (2.0 * h);
        }
    }
    jac
}

/// The exact Jacobian (symbolic derivatives of R and D, assembled in band
/// storage) equals central differences of the right-hand side to their
/// O(h²) truncation error, everywhere (so nothing lies outside the band),
/// for two coupled species with state-dependent diffusion, on Dirichlet and
/// zero-flux walls, a periodic 1-D axis (folded ordering) and a 2-D grid
/// periodic in x with a time-dependent Dirichlet wall in y.
#[test]
fn banded_jacobian_equals_finite_differences() {
    let species = r#""species": {
            "u": {"initial": "1 + 0.3*sin(5*x)", "diffusion": "0.1*(1 + u^2) + 0.05*v*x"},
            "v": {"initial": "0.5 + 0.2*cos(3*x)", "diffusion": "Dv"}},
        "parameters": {"Dv": {"value": 0.2}, "a": {"value": 1.3}},
        "rates": {"u": "a - u*v^2 + sin(t)*x", "v": "u*v^2 - v/(1 + u)"}"#;
    let cases = [
        (
            format!(
                r#"{{"space": {{"x": {{"span": [0, 1]}}}},
                "boundary": {{"x": {{"min": {{"kind": "dirichlet", "value": {{"u": "1 + t", "v": "a*x"}}}}, "max": "neumann"}}}},
                {species}}}"#
            ),
            vec![7],
        ),
        (
            format!(
                r#"{{"space": {{"x": {{"span": [0, 1]}}}}, "boundary": "periodic", {species}}}"#
            ),
            vec![8],
        ),
        (
            format!(
                r#"{{"space": {{"x": {{"span": [0, 1]}}, "y": {{"span": [0, 0.5]}}}},
                "boundary": {{"x": "periodic", "y": {{"min": "neumann", "max": {{"kind": "dirichlet", "value": {{"u": "y + t*x", "v": "2"}}}}}}}},
                {}}}"#,
                species.replace("sin(t)*x", "sin(t)*x*y")
            ),
            vec![5, 4],
        ),
    ];
    for (json, cells) in cases {
        let rd = discretise(&json, &cells);
        let y = rd.state(&rd.initial_state()).unwrap();
        let t = 0.7;
        let mut exact = DMatrix::zeros(rd.dim(), rd.dim());
        rd.jacobian(t, &y, &mut exact);
        let fd = fd_jacobian(&rd, t, &y);
        let scale = fd.amax();
        let error = (&exact - &fd).amax() / scale;
        assert!(
            error < 1e-8,
            "{cells:?}: max |J − J_fd| = {error:.3e} of max |J|"
        );
        let bandwidth = rd.bandwidth();
        assert_eq!(
            rd.jacobian_structure(),
            JacobianStructure::Banded {
                lower: bandwidth,
                upper: bandwidth
            }
        );
    }
}

/// The half-bandwidth follows from the ordering: 2·ns − 1 in 1-D, also when
/// periodic (folded order), and ns·nx + ns − 1 in 2-D with walls in y.
#[test]
fn bandwidth_of_the_cell_ordering() {
    let two_species = |boundary: &str, space: &str| {
        format!(
            r#"{{"space": {space}, "boundary": {boundary},
            "species": {{"u": {{"initial": 1, "diffusion": "1"}}, "v": {{"initial": 1, "diffusion": "2"}}}},
            "rates": {{"u": "u*v", "v": "-u*v"}}}}"#
        )
    };
    let line = r#"{"x": {"span": [0, 1]}}"#;
    let square = r#"{"x": {"span": [0, 1]}, "y": {"span": [0, 1]}}"#;
    assert_eq!(
        discretise(&two_species(r#""neumann""#, line), &[50]).bandwidth(),
        3
    );
    assert_eq!(
        discretise(&two_species(r#""periodic""#, line), &[50]).bandwidth(),
        5
    );
    assert_eq!(
        discretise(&two_species(r#""neumann""#, square), &[20, 10]).bandwidth(),
        41
    );
    assert_eq!(
        discretise(&two_species(r#""periodic""#, square), &[20, 10]).bandwidth(),
        81
    );
}

/// A smooth periodic problem, Allen–Cahn-like u_t = D u_xx + u − u³ from a
/// few Fourier modes (1-D) or a product of modes (2-D).
const ALLEN_CAHN_1D: &str = r#"{"space": {"x": {"span": [0, 6.283185307179586]}}, "boundary": "periodic",
    "species": {"u": {"initial": "0.5*sin(x) + 0.3*cos(2*x)", "diffusion": "D"}},
    "parameters": {"D": {"value": 0.5}}, "rates": {"u": "u - u^3"}}"#;
const ALLEN_CAHN_2D: &str = r#"{"space": {"x": {"span": [0, 6.283185307179586]}, "y": {"span": [0, 6.283185307179586]}}, "boundary": "periodic",
    "species": {"u": {"initial": "0.5*sin(x)*cos(y) + 0.2*cos(2*y)", "diffusion": "D"}},
    "parameters": {"D": {"value": 0.5}}, "rates": {"u": "u - u^3"}}"#;

/// Spectral (exact in space for these resolved modes) and finite-volume
/// solutions on the same points differ by the finite-volume truncation
/// error, O(h²) (LeVeque 2007, §2.5): halving h divides the difference by 4.
#[test]
fn spectral_and_finite_volume_agree_to_second_order() {
    for (json, shapes) in [
        (ALLEN_CAHN_1D, vec![vec![16], vec![32], vec![64]]),
        (ALLEN_CAHN_2D, vec![vec![12, 12], vec![24, 24]]),
    ] {
        let differences: Vec<f64> = shapes
            .iter()
            .map(|cells| {
                let rd = discretise(json, cells);
                let u0 = rd.initial_state();
                let fv = Solver::new(Method::Bdf)
                    .rtol(1e-10)
                    .atol(1e-12)
                    .build()
                    .unwrap();
                let sp = Solver::new(Method::Spectral).dt(0.01).build().unwrap();
                let a = fv.solve(&rd, &u0, 0.0, &[1.0]).unwrap();
                let b = sp.solve(&rd, &u0, 0.0, &[1.0]).unwrap();
                assert_eq!(b.method, Method::Spectral);
                max_diff(&a.fields[0][0], &b.fields[0][0])
            })
            .collect();
        for w in differences.windows(2) {
            let order = (w[0] / w[1]).log2();
            assert!(
                (order - 2.0).abs() < 0.15,
                "{differences:?}: observed order {order:.3}"
            );
        }
    }
}

/// ETDRK4 is fourth order in time (Cox & Matthews 2002; Kassam & Trefethen
/// 2005, Fig. 4): halving dt divides the error by 16, measured against a
/// run with a 16 times smaller step.
#[test]
fn etdrk4_is_fourth_order() {
    let rd = discretise(ALLEN_CAHN_1D, &[32]);
    let u0 = rd.initial_state();
    let run = |dt: f64| {
        let solver = Solver::new(Method::Spectral).dt(dt).build().unwrap();
        solver.solve(&rd, &u0, 0.0, &[2.0]).unwrap().fields[0][0].clone()
    };
    let reference = run(0.5 / 64.0);
    let errors: Vec<f64> = [0.5, 0.25, 0.125]
        .iter()
        .map(|&dt| max_diff(&run(dt), &reference))
        .collect();
    for w in errors.windows(2) {
        let order = (w[0] / w[1]).log2();
        assert!(
            (order - 4.0).abs() < 0.3,
            "{errors:?}: observed order {order:.3}"
        );
    }
}

/// The method of lines with Dormand–Prince, BDF, and the automatic choice
/// agree on a stiff-enough diffusion problem.
#[test]
fn method_of_lines_integrators_agree() {
    let rd = discretise(ALLEN_CAHN_1D, &[32]);
    let u0 = rd.initial_state();
    let solve = |method| {
        Solver::new(method)
            .rtol(1e-9)
            .atol(1e-12)
            .build()
            .unwrap()
            .solve(&rd, &u0, 0.0, &[1.0])
            .unwrap()
    };
    let bdf = solve(Method::Bdf);
    let explicit = solve(Method::Explicit);
    let auto = solve(Method::Auto);
    assert_ne!(
        auto.method,
        Method::Spectral,
        "no dt: auto stays with the method of lines"
    );
    assert!(max_diff(&bdf.fields[0][0], &explicit.fields[0][0]) < 1e-7);
    assert!(max_diff(&bdf.fields[0][0], &auto.fields[0][0]) < 1e-7);
}
