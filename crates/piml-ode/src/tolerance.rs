//! Error weights and the weighted RMS norm of the step-size control.
//!
//! Component i is weighted by atol_i + rtol·|y_i| (Hairer, Nørsett & Wanner
//! 1993, II.4, eq. 4.10; CVODE and scipy do the same). A state augmented with
//! sensitivities is measured block by block and the largest block norm
//! counts, as in CVODES with sensitivities in the error test.

/// Relative and per-component absolute tolerances for a state made of
/// blocks of n values (each block uses the same absolute tolerances).
#[derive(Debug, Clone)]
pub(crate) struct Tolerance {
    pub(crate) rtol: f64,
    /// One absolute tolerance per component of a block.
    atol: Vec<f64>,
}

impl Tolerance {
    pub(crate) fn new(rtol: f64, atol: Vec<f64>) -> Self {
        Self { rtol, atol }
    }

    /// Writes the weights atol_i + rtol·max(|a_i|, |b_i|) into `scale`.
    pub(crate) fn scale(&self, a: &[f64], b: &[f64], scale: &mut [f64]) {
        let n = self.atol.len();
        for ((s, a), b) in scale
            .chunks_exact_mut(n)
            .zip(a.chunks_exact(n))
            .zip(b.chunks_exact(n))
        {
            for i in 0..n {
                s[i] = self.atol[i] + self.rtol * a[i].abs().max(b[i].abs());
            }
        }
    }

    /// max over blocks of sqrt(mean((c·v_i / scale_i)²)).
    pub(crate) fn norm(&self, c: f64, v: &[f64], scale: &[f64]) -> f64 {
        let n = self.atol.len();
        let mut worst: f64 = 0.0;
        for (v, s) in v.chunks_exact(n).zip(scale.chunks_exact(n)) {
            let sum: f64 = v.iter().zip(s).map(|(v, s)| (v / s) * (v / s)).sum();
            // `max` drops NaN; keep it so that callers see a failed step.
            if sum.is_nan() {
                return f64::NAN;
            }
            worst = worst.max(sum);
        }
        c.abs() * (worst / n as f64).sqrt()
    }
}
