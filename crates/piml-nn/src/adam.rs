//! Adam with bias correction (Kingma & Ba 2015, Algorithm 1) and learning-rate schedules.

use crate::gemm::{Isa, Kernel, Simd, dispatch};

/// A learning rate as a function of the step number k = 0, 1, 2, ….
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Schedule {
    /// α_k = α.
    Constant(f64),
    /// α_k = α·γ^(k/steps): smooth exponential decay by γ every `steps` steps.
    Exponential {
        initial: f64,
        rate: f64,
        steps: usize,
    },
    /// α_k = α·γ^⌊k/steps⌋: decay by γ once every `steps` steps.
    Step {
        initial: f64,
        factor: f64,
        steps: usize,
    },
}

impl Schedule {
    /// The learning rate at step `k`.
    pub fn rate(&self, k: usize) -> f64 {
        match *self {
            Schedule::Constant(a) => a,
            Schedule::Exponential {
                initial,
                rate,
                steps,
            } => initial * rate.powf(k as f64 / steps.max(1) as f64),
            Schedule::Step {
                initial,
                factor,
                steps,
            } => initial * factor.powi((k / steps.max(1)) as i32),
        }
    }
}

/// The Adam optimiser (Kingma & Ba 2015, Algorithm 1):
/// m ← β₁m + (1−β₁)g, v ← β₂v + (1−β₂)g², m̂ = m/(1−β₁ᵗ), v̂ = v/(1−β₂ᵗ),
/// θ ← θ − α_t·m̂/(√v̂ + ε), with the paper's defaults β₁ = 0.9, β₂ = 0.999, ε = 1e-8.
#[derive(Debug, Clone, PartialEq)]
pub struct Adam {
    schedule: Schedule,
    beta1: f64,
    beta2: f64,
    eps: f64,
    m: Vec<f64>,
    v: Vec<f64>,
    t: usize,
}

impl Adam {
    /// Adam for `n` parameters with the paper's β₁, β₂, ε.
    pub fn new(n: usize, schedule: Schedule) -> Adam {
        Adam {
            schedule,
            beta1: 0.9,
            beta2: 0.999,
            eps: 1e-8,
            m: vec![0.0; n],
            v: vec![0.0; n],
            t: 0,
        }
    }

    /// The same optimiser with other moment decay rates β₁, β₂.
    pub fn betas(mut self, beta1: f64, beta2: f64) -> Adam {
        self.beta1 = beta1;
        self.beta2 = beta2;
        self
    }

    /// The same optimiser with another ε.
    pub fn eps(mut self, eps: f64) -> Adam {
        self.eps = eps;
        self
    }

    /// Steps taken so far.
    pub fn steps(&self) -> usize {
        self.t
    }

    /// The moment estimates m and v and the step count t: what a checkpoint must keep to
    /// continue the same sequence of updates.
    pub fn state(&self) -> (&[f64], &[f64], usize) {
        (&self.m, &self.v, self.t)
    }

    /// The same optimiser continuing from a saved [`Adam::state`]; `None` if the moment
    /// vectors do not have this optimiser's length.
    pub fn resumed(mut self, m: Vec<f64>, v: Vec<f64>, t: usize) -> Option<Adam> {
        if m.len() != self.m.len() || v.len() != self.v.len() {
            return None;
        }
        (self.m, self.v, self.t) = (m, v, t);
        Some(self)
    }

    /// One update of `params` from the gradient `grad`, in place.
    pub fn step(&mut self, params: &mut [f64], grad: &[f64]) {
        assert_eq!(params.len(), self.m.len(), "parameter vector length");
        assert_eq!(grad.len(), self.m.len(), "gradient vector length");
        let alpha = self.schedule.rate(self.t);
        self.t += 1;
        let c1 = 1.0 - self.beta1.powi(self.t as i32);
        let c2 = 1.0 - self.beta2.powi(self.t as i32);
        let update = Update {
            params,
            grad,
            m: &mut self.m,
            v: &mut self.v,
            alpha,
            corrections: (c1, c2),
            betas: (self.beta1, self.beta2),
            eps: self.eps,
        };
        dispatch(Isa::detect(), update);
    }
}

/// One Adam update as a [`Kernel`]: the same scalar loop compiled for the widest instruction
/// set of the CPU, where its divisions and square roots run eight lanes at a time (two in
/// the baseline build: a twentieth of an operator's training epoch). Division and square root
/// are correctly rounded in every width, so every instruction set gives the same bits.
struct Update<'a> {
    params: &'a mut [f64],
    grad: &'a [f64],
    m: &'a mut [f64],
    v: &'a mut [f64],
    alpha: f64,
    corrections: (f64, f64),
    betas: (f64, f64),
    eps: f64,
}

impl Kernel for Update<'_> {
    type Real = f64;
    type Output = ();
    #[inline(always)]
    fn run<V: Simd<f64>>(self) {
        let ((c1, c2), (b1, b2), (alpha, eps)) =
            (self.corrections, self.betas, (self.alpha, self.eps));
        for (((p, &g), m), v) in self
            .params
            .iter_mut()
            .zip(self.grad)
            .zip(self.m.iter_mut())
            .zip(self.v.iter_mut())
        {
            *m = b1 * *m + (1.0 - b1) * g;
            *v = b2 * *v + (1.0 - b2) * g * g;
            *p -= alpha * (*m / c1) / ((*v / c2).sqrt() + eps);
        }
    }
}
