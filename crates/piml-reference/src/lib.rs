//! Closed-form solutions that piml's tests check numerical results against.
//!
//! Kept apart from the solvers on purpose: a reference must not share code
//! with what it checks.
#![deny(clippy::print_stdout, clippy::print_stderr)]

/// The principal branch W₀ of the Lambert W function, w·e^w = x, for x ≥ −1/e.
///
/// Halley's iteration (Corless et al. 1996, "On the Lambert W function",
/// eq. 5.9) from a starting guess good on each range; converges to a few ulp.
pub fn lambert_w0(x: f64) -> f64 {
    if x.is_nan() || x < -1.0 / std::f64::consts::E {
        return f64::NAN;
    }
    if x == 0.0 {
        return 0.0;
    }
    // Starting guesses: the branch-point series near −1/e, log asymptotics for large x.
    let mut w = if x < -0.25 {
        let p = (2.0 * (std::f64::consts::E * x + 1.0)).sqrt();
        -1.0 + p - p * p / 3.0
    } else if x < 3.0 {
        (1.0 + x).ln() * 0.8
    } else {
        let l = x.ln();
        l - l.ln()
    };
    for _ in 0..64 {
        let e = w.exp();
        let f = w * e - x;
        let wp1 = w + 1.0;
        if wp1 == 0.0 {
            break;
        }
        let step = f / (e * wp1 - (w + 2.0) * f / (2.0 * wp1));
        w -= step;
        if step.abs() <= 1e-16 * (1.0 + w.abs()) {
            break;
        }
    }
    w
}

/// Substrate of the reduced Michaelis–Menten equation S' = −Vmax·S/(Km + S):
/// S(t) = Km·W₀((S0/Km)·exp((S0 − Vmax·t)/Km)) (Schnell & Mendoza 1997).
///
/// For large S0/Km the argument of W overflows; then W is evaluated from
/// its logarithm, ln W + W = ln(S0/Km) + (S0 − Vmax·t)/Km, by Newton's method.
pub fn michaelis_menten_substrate(t: f64, s0: f64, vmax: f64, km: f64) -> f64 {
    let log_arg = (s0 / km).ln() + (s0 - vmax * t) / km;
    if log_arg < 700.0 {
        return km * lambert_w0(log_arg.exp());
    }
    let mut w = log_arg - log_arg.ln();
    for _ in 0..64 {
        let step = (w.ln() + w - log_arg) / (1.0 / w + 1.0);
        w -= step;
        if step.abs() <= 1e-16 * w {
            break;
        }
    }
    km * w
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lambert_w_inverts_w_exp_w() {
        for &x in &[
            -0.3678, -0.3, -0.1, 1e-12, 0.5, 1.0, 2.0, 10.0, 1e3, 1e10, 1e300,
        ] {
            let w = lambert_w0(x);
            let back = w * w.exp();
            assert!(
                (back - x).abs() <= 4e-15 * x.abs().max(1e-300),
                "x={x}: w={w}, w·e^w={back}"
            );
        }
        // W(1) is the omega constant.
        assert!((lambert_w0(1.0) - 0.567_143_290_409_783_8).abs() < 1e-15);
        assert!((lambert_w0(std::f64::consts::E) - 1.0).abs() < 1e-15);
    }

    #[test]
    fn michaelis_menten_closed_form_solves_the_equation() {
        let (s0, vmax, km) = (10.0, 1.0, 2.0);
        assert!((michaelis_menten_substrate(0.0, s0, vmax, km) - s0).abs() < 1e-13);
        // S' = −Vmax S/(Km+S), checked by a central difference (error ~h² S''').
        for &t in &[0.5, 3.0, 9.0, 20.0] {
            let h = 1e-4;
            let ds = (michaelis_menten_substrate(t + h, s0, vmax, km)
                - michaelis_menten_substrate(t - h, s0, vmax, km))
                / (2.0 * h);
            let s = michaelis_menten_substrate(t, s0, vmax, km);
            assert!((ds + vmax * s / (km + s)).abs() < 1e-8, "t={t}");
        }
        // Both branches (direct W, and W from its logarithm when S0/Km is
        // large) satisfy the implicit solution S + Km·ln S = S0 + Km·ln S0 − Vmax·t.
        for (s0, km) in [(10.0, 2.0), (600.0, 1.0), (5000.0, 1.0)] {
            let s = michaelis_menten_substrate(3.0, s0, 1.0, km);
            let residual = s + km * s.ln() - (s0 + km * f64::ln(s0) - 3.0);
            assert!(residual.abs() < 1e-12 * s0, "S0={s0}: residual {residual}");
        }
    }
}
