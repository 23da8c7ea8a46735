//! The banded path of the implicit method: a system that declares a banded
//! Jacobian is solved with the banded LU and gives the same solution as the
//! dense path.

use nalgebra::DMatrix;
use piml_ode::{BandedMatrix, JacobianStructure, Method, OdeSolver, OdeSystem};

/// The method-of-lines Brusselator (Hairer & Wanner 1996, IV.1, eq. 1.6 and
/// the BRUSS problem of IV.10): u' = 1 + u²v − 4u + α·Δu, v' = 3u − u²v + α·Δv
/// on n points of (0, 1) with u = 1, v = 3 at the ends, α = 1/50, the
/// unknowns interleaved (u₁, v₁, u₂, …) so that the Jacobian has
/// half-bandwidth 2. `band` chooses whether it says so.
struct Brusselator {
    n: usize,
    band: bool,
}

impl Brusselator {
    fn coupling(&self) -> f64 {
        let h = 1.0 / (self.n + 1) as f64;
        0.02 / (h * h)
    }
}

impl OdeSystem for Brusselator {
    fn dim(&self) -> usize {
        2 * self.n
    }

    fn rhs(&self, _t: f64, y: &[f64], f: &mut [f64]) {
        let c = self.coupling();
        for i in 0..self.n {
            let (u, v) = (y[2 * i], y[2 * i + 1]);
            let (ul, vl) = if i == 0 {
                (1.0, 3.0)
            } else {
                (y[2 * i - 2], y[2 * i - 1])
            };
            let (ur, vr) = if i + 1 == self.n {
                (1.0, 3.0)
            } else {
                (y[2 * i + 2], y[2 * i + 3])
            };
            f[2 * i] = 1.0 + u * u * v - 4.0 * u + c * (ul - 2.0 * u + ur);
            f[2 * i + 1] = 3.0 * u - u * u * v + c * (vl - 2.0 * v + vr);
        }
    }

    fn jacobian(&self, _t: f64, y: &[f64], jac: &mut DMatrix<f64>) {
        let c = self.coupling();
        jac.fill(0.0);
        for i in 0..self.n {
            let (u, v) = (y[2 * i], y[2 * i + 1]);
            let (ru, rv) = (2 * i, 2 * i + 1);
            jac[(ru, ru)] = 2.0 * u * v - 4.0 - 2.0 * c;
            jac[(ru, rv)] = u * u;
            jac[(rv, ru)] = 3.0 - 2.0 * u * v;
            jac[(rv, rv)] = -u * u - 2.0 * c;
            if i > 0 {
                jac[(ru, ru - 2)] = c;
                jac[(rv, rv - 2)] = c;
            }
            if i + 1 < self.n {
                jac[(ru, ru + 2)] = c;
                jac[(rv, rv + 2)] = c;
            }
        }
    }

    fn jacobian_structure(&self) -> JacobianStructure {
        if self.band {
            JacobianStructure::Banded { lower: 2, upper: 2 }
        } else {
            JacobianStructure::Dense
        }
    }
}

#[test]
fn banded_and_dense_paths_agree() {
    let n = 40;
    let y0: Vec<f64> = (0..n)
        .flat_map(|i| {
            let x = (i + 1) as f64 / (n + 1) as f64;
            [1.0 + (2.0 * std::f64::consts::PI * x).sin(), 3.0]
        })
        .collect();
    let solver = OdeSolver::new(Method::Bdf)
        .rtol(1e-8)
        .atol(1e-10)
        .build()
        .unwrap();
    let times = [1.0, 10.0];
    let dense = solver
        .solve(&Brusselator { n, band: false }, 0.0, &y0, &times)
        .unwrap();
    let banded = solver
        .solve(&Brusselator { n, band: true }, 0.0, &y0, &times)
        .unwrap();
    for (a, b) in dense.y.iter().zip(&banded.y) {
        for (a, b) in a.iter().zip(b) {
            assert!((a - b).abs() < 1e-9, "{a} vs {b}");
        }
    }
    assert_eq!(dense.stats.steps, banded.stats.steps);
}

/// The default `banded_jacobian` takes the band of the dense Jacobian.
#[test]
fn default_banded_jacobian_is_the_band_of_the_dense_one() {
    let system = Brusselator { n: 5, band: true };
    let y: Vec<f64> = (0..10).map(|i| 1.0 + 0.1 * i as f64).collect();
    let mut dense = DMatrix::zeros(10, 10);
    system.jacobian(0.0, &y, &mut dense);
    let mut band = BandedMatrix::zeros(10, 2, 2);
    system.banded_jacobian(0.0, &y, &mut band);
    for i in 0..10 {
        for j in 0..10 {
            assert_eq!(band.get(i, j), dense[(i, j)], "({i}, {j})");
        }
    }
}
