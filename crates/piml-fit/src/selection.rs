//! Information criteria and Akaike weights for comparing models fitted to
//! the same data (Burnham & Anderson 2002, ch. 2).

/// The criteria of one fit: n observations, k estimated quantities.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Criteria {
    pub n: usize,
    pub k: usize,
    pub minus2_log_likelihood: f64,
    /// AIC = −2 log L + 2k (Akaike 1974).
    pub aic: f64,
    /// AICc = AIC + 2k(k+1)/(n−k−1) (Hurvich & Tsai 1989); infinite when n ≤ k + 1.
    pub aicc: f64,
    /// BIC = −2 log L + k ln n (Schwarz 1978).
    pub bic: f64,
}

impl Criteria {
    pub fn new(nll: f64, n: usize, k: usize) -> Criteria {
        let m2ll = 2.0 * nll;
        let (nf, kf) = (n as f64, k as f64);
        let aic = m2ll + 2.0 * kf;
        let aicc = if n > k + 1 {
            aic + 2.0 * kf * (kf + 1.0) / (nf - kf - 1.0)
        } else {
            f64::INFINITY
        };
        Criteria {
            n,
            k,
            minus2_log_likelihood: m2ll,
            aic,
            aicc,
            bic: m2ll + kf * nf.ln(),
        }
    }
}

/// One row of a selection table.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Ranked {
    /// Index of the model in the input order.
    pub model: usize,
    pub delta_aic: f64,
    /// exp(−ΔAIC/2), normalised over the models.
    pub akaike_weight: f64,
}

/// Models ranked by AIC, best first (ties keep the input order).
pub fn rank(criteria: &[Criteria]) -> Vec<Ranked> {
    let best = criteria.iter().map(|c| c.aic).fold(f64::INFINITY, f64::min);
    let raw: Vec<f64> = criteria
        .iter()
        .map(|c| (-(c.aic - best) / 2.0).exp())
        .collect();
    let total: f64 = raw.iter().sum();
    let mut rows: Vec<Ranked> = criteria
        .iter()
        .enumerate()
        .map(|(i, c)| Ranked {
            model: i,
            delta_aic: c.aic - best,
            akaike_weight: raw[i] / total,
        })
        .collect();
    rows.sort_by(|a, b| a.delta_aic.total_cmp(&b.delta_aic));
    rows
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn criteria_and_weights_by_hand() {
        // −2 log L = 10, n = 20, k = 3: AIC 16, AICc 16 + 24/16 = 17.5, BIC 10 + 3 ln 20.
        let c = Criteria::new(5.0, 20, 3);
        assert_eq!(c.aic, 16.0);
        assert_eq!(c.aicc, 17.5);
        assert!((c.bic - (10.0 + 3.0 * 20f64.ln())).abs() < 1e-12);
        // AICs 16 and 18: weights 1/(1 + e⁻¹) and e⁻¹/(1 + e⁻¹), the better first.
        let r = rank(&[Criteria::new(6.0, 20, 3), c]);
        assert_eq!(r[0].model, 1);
        assert_eq!(r[1].delta_aic, 2.0);
        let e = (-1.0f64).exp();
        assert!((r[0].akaike_weight - 1.0 / (1.0 + e)).abs() < 1e-15);
    }
}
