//! Standard errors, correlations and Wald intervals from the Fisher
//! information at the estimate: Cov ≈ F⁻¹ (the Cramér–Rao bound, asymptotically
//! attained by the maximum likelihood estimate).

use nalgebra::DMatrix;

/// The two-sided 97.5% quantile of the standard normal distribution.
const Z_975: f64 = 1.959_963_984_540_054;

/// Conditions numbers (of the Fisher information scaled to unit diagonal)
/// beyond this flag near-singularity: a unit-scaled direction known 10⁴
/// times worse than the best one.
const NEAR_SINGULAR: f64 = 1e8;

#[derive(Debug, Clone, PartialEq)]
pub struct Uncertainty {
    /// Standard errors; NaN where the information is singular.
    pub stderr: Vec<f64>,
    /// Correlation matrix of the estimates (NaN where singular).
    pub correlation: DMatrix<f64>,
    /// Condition number of the unit-diagonal Fisher information.
    pub condition: f64,
    /// The least-informed direction when the information is near singular:
    /// indices of the quantities that make it up.
    pub weakest: Option<Vec<usize>>,
}

impl Uncertainty {
    pub fn from_fisher(fisher: &DMatrix<f64>) -> Uncertainty {
        let n = fisher.nrows();
        let scale: Vec<f64> = (0..n)
            .map(|i| {
                let d = fisher[(i, i)];
                if d > 0.0 { 1.0 / d.sqrt() } else { 0.0 }
            })
            .collect();
        let scaled = DMatrix::from_fn(n, n, |i, j| fisher[(i, j)] * scale[i] * scale[j]);
        let eig = scaled.clone().symmetric_eigen();
        let (mut lo, mut hi, mut lo_at) = (f64::INFINITY, 0.0f64, 0);
        for (k, v) in eig.eigenvalues.iter().enumerate() {
            if *v < lo {
                lo = *v;
                lo_at = k;
            }
            hi = hi.max(*v);
        }
        let singular_diag = scale.contains(&0.0);
        let condition = if lo > 0.0 && !singular_diag {
            hi / lo
        } else {
            f64::INFINITY
        };
        let weakest = (condition >= NEAR_SINGULAR).then(|| {
            let v = eig.eigenvectors.column(lo_at);
            (0..n)
                .filter(|&i| scale[i] == 0.0 || v[i].abs() > 0.3)
                .collect()
        });
        let nan = DMatrix::from_element(n, n, f64::NAN);
        let cov_scaled = if condition.is_finite() {
            scaled.try_inverse().unwrap_or(nan.clone())
        } else {
            nan
        };
        let cov = DMatrix::from_fn(n, n, |i, j| cov_scaled[(i, j)] * scale[i] * scale[j]);
        let stderr: Vec<f64> = (0..n).map(|i| cov[(i, i)].sqrt()).collect();
        let correlation = DMatrix::from_fn(n, n, |i, j| cov[(i, j)] / (stderr[i] * stderr[j]));
        Uncertainty {
            stderr,
            correlation,
            condition,
            weakest,
        }
    }

    /// The uncertainty of the quantities a bound does not hold (`held[i]` false), from their
    /// block of the Fisher information alone: an estimate on its bound is not a maximum of
    /// the likelihood there, so neither its curvature nor its correlations mean a standard
    /// error. The held quantities get NaN standard errors and correlations; the condition
    /// number and the weakest direction are the free block's, indexed as in `fisher`.
    pub fn of_free(fisher: &DMatrix<f64>, held: &[bool]) -> Uncertainty {
        let free: Vec<usize> = (0..fisher.nrows()).filter(|&i| !held[i]).collect();
        let m = free.len();
        let block =
            Uncertainty::from_fisher(&DMatrix::from_fn(m, m, |i, j| fisher[(free[i], free[j])]));
        let n = fisher.nrows();
        let mut stderr = vec![f64::NAN; n];
        let mut correlation = DMatrix::from_element(n, n, f64::NAN);
        for (i, &a) in free.iter().enumerate() {
            stderr[a] = block.stderr[i];
            for (j, &b) in free.iter().enumerate() {
                correlation[(a, b)] = block.correlation[(i, j)];
            }
        }
        Uncertainty {
            stderr,
            correlation,
            condition: if m == 0 { f64::NAN } else { block.condition },
            weakest: block
                .weakest
                .map(|w| w.into_iter().map(|i| free[i]).collect()),
        }
    }

    /// Wald 95% interval of an estimate.
    pub fn ci95(&self, i: usize, estimate: f64) -> [f64; 2] {
        let h = Z_975 * self.stderr[i];
        [estimate - h, estimate + h]
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn inverts_a_known_information() {
        // F = [[4, 2], [2, 3]]: F⁻¹ = [[3, −2], [−2, 4]]/8.
        let f = DMatrix::from_row_slice(2, 2, &[4.0, 2.0, 2.0, 3.0]);
        let u = Uncertainty::from_fisher(&f);
        assert!((u.stderr[0] - (3.0f64 / 8.0).sqrt()).abs() < 1e-14);
        assert!((u.stderr[1] - 0.5f64.sqrt()).abs() < 1e-14);
        let rho = -2.0 / (3.0f64 * 4.0).sqrt();
        assert!((u.correlation[(0, 1)] - rho).abs() < 1e-14);
        assert!(u.weakest.is_none());
    }

    #[test]
    fn leaves_out_what_a_bound_holds() {
        // The issue-19 shape: a rate constant on its bound with 1e-83 information beside a
        // well-informed amplitude and sigma. Its block alone is left out; the others'
        // standard errors are those of their own block, [[4, 2], [2, 3]].
        let f = DMatrix::from_row_slice(3, 3, &[4.0, 1e-42, 2.0, 1e-42, 1e-83, 0.0, 2.0, 0.0, 3.0]);
        let u = Uncertainty::of_free(&f, &[false, true, false]);
        assert!((u.stderr[0] - (3.0f64 / 8.0).sqrt()).abs() < 1e-14);
        assert!(u.stderr[1].is_nan());
        assert!((u.stderr[2] - 0.5f64.sqrt()).abs() < 1e-14);
        assert!(u.correlation[(0, 1)].is_nan() && u.correlation[(1, 1)].is_nan());
        // Unit-diagonal [[1, ρ], [ρ, 1]], ρ = 2/√12: condition (1 + |ρ|)/(1 − |ρ|).
        let rho = 2.0 / 12.0f64.sqrt();
        assert!((u.condition - (1.0 + rho) / (1.0 - rho)).abs() < 1e-12);
        assert!(u.weakest.is_none());
    }

    #[test]
    fn flags_a_singular_information() {
        // Only a + b is informed: the direction (1, −1) is not.
        let f = DMatrix::from_row_slice(2, 2, &[1.0, 1.0, 1.0, 1.0 + 1e-12]);
        let u = Uncertainty::from_fisher(&f);
        assert_eq!(u.weakest, Some(vec![0, 1]));
        assert!(u.condition > 1e8);
    }
}
