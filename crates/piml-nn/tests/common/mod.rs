//! Helpers shared by the tests: an independent per-point evaluation of a network in
//! second-order dual numbers, a smooth initial condition with exact derivatives, a loss.
#![allow(dead_code)]

use std::f64::consts::TAU;

use piml_nn::{
    Activation, Architecture, Evaluator, JetGrads, JetSpec, Jets, Mlp, OutputTransform, PointSet,
};

/// A truncated Taylor polynomial v + d·ε + ½dd·ε² along one direction: value, first and
/// second derivative (second-order forward-mode dual numbers).
#[derive(Debug, Clone, Copy)]
pub struct Dual {
    pub v: f64,
    pub d: f64,
    pub dd: f64,
}

impl Dual {
    pub fn constant(v: f64) -> Dual {
        Dual { v, d: 0.0, dd: 0.0 }
    }
    pub fn add(self, o: Dual) -> Dual {
        Dual {
            v: self.v + o.v,
            d: self.d + o.d,
            dd: self.dd + o.dd,
        }
    }
    pub fn scale(self, c: f64) -> Dual {
        Dual {
            v: c * self.v,
            d: c * self.d,
            dd: c * self.dd,
        }
    }
    pub fn mul(self, o: Dual) -> Dual {
        Dual {
            v: self.v * o.v,
            d: self.d * o.v + self.v * o.d,
            dd: self.dd * o.v + 2.0 * self.d * o.d + self.v * o.dd,
        }
    }
    /// f(self) from f, f′, f″ at self.v.
    pub fn apply(self, f: [f64; 3]) -> Dual {
        Dual {
            v: f[0],
            d: f[1] * self.d,
            dd: f[2] * self.d * self.d + f[1] * self.dd,
        }
    }
}

/// u0_k(x) = Π_{i ≠ time} cos(0.7·x_i + 0.3·k + 0.1·i): smooth, with exact derivatives.
pub fn u0(x: &[Dual], time: usize, k: usize) -> Dual {
    x.iter()
        .enumerate()
        .filter(|&(i, _)| i != time)
        .fold(Dual::constant(1.0), |acc, (i, xi)| {
            let a = xi
                .scale(0.7)
                .add(Dual::constant(0.3 * k as f64 + 0.1 * i as f64));
            let (s, c) = a.v.sin_cos();
            acc.mul(a.apply([c, -s, -c]))
        })
}

/// The point `x` as dual numbers whose derivative is taken along input `dir`.
fn seeded(x: &[f64], dir: Option<usize>) -> Vec<Dual> {
    x.iter()
        .enumerate()
        .map(|(i, &v)| Dual {
            v,
            d: if Some(i) == dir { 1.0 } else { 0.0 },
            dd: 0.0,
        })
        .collect()
}

/// The network's outputs at `x` as duals along input `dir` (None: values only), computed
/// point by point without the crate's batched code.
pub fn reference(mlp: &Mlp, params: &[f64], x: &[f64], dir: Option<usize>) -> Vec<Dual> {
    let arch = mlp.architecture();
    let xs = seeded(x, dir);
    let xi: Vec<Dual> = xs
        .iter()
        .zip(&arch.spans)
        .map(|(x, [lo, hi])| {
            x.add(Dual::constant(-lo))
                .scale(2.0 / (hi - lo))
                .add(Dual::constant(-1.0))
        })
        .collect();
    let mut z = match arch.fourier {
        None => xi.clone(),
        Some(f) => {
            let b = mlp.fourier_matrix();
            let d = arch.inputs();
            let theta: Vec<Dual> = (0..f.features)
                .map(|r| {
                    (0..d).fold(Dual::constant(0.0), |acc, i| {
                        acc.add(xi[i].scale(TAU * b[r * d + i]))
                    })
                })
                .collect();
            let cos = theta.iter().map(|t| {
                let (s, c) = t.v.sin_cos();
                t.apply([c, -s, -c])
            });
            let sin = theta.iter().map(|t| {
                let (s, c) = t.v.sin_cos();
                t.apply([s, c, -s])
            });
            cos.chain(sin).collect()
        }
    };
    let shapes = mlp.layer_shapes();
    let mut offset = 0;
    for (l, &(n_out, n_in)) in shapes.iter().enumerate() {
        let w = &params[offset..offset + n_out * n_in];
        let b = &params[offset + n_out * n_in..offset + n_out * n_in + n_out];
        offset += n_out * n_in + n_out;
        let a: Vec<Dual> = (0..n_out)
            .map(|r| {
                (0..n_in).fold(Dual::constant(b[r]), |acc, c| {
                    acc.add(z[c].scale(w[r * n_in + c]))
                })
            })
            .collect();
        z = if l + 1 == shapes.len() {
            a
        } else {
            a.iter()
                .map(|a| {
                    let s = arch.activation.derivatives(a.v);
                    a.apply([s[0], s[1], s[2]])
                })
                .collect()
        };
    }
    match arch.transform {
        OutputTransform::Identity => z,
        OutputTransform::InitialCondition { time } => {
            let [lo, hi] = arch.spans[time];
            let tau = xs[time].add(Dual::constant(-lo)).scale(1.0 / (hi - lo));
            z.iter()
                .enumerate()
                .map(|(k, n)| u0(&xs, time, k).add(tau.mul(*n)))
                .collect()
        }
    }
}

/// Jets of u0 at the points of a set (points × streams × outputs), for the evaluator.
pub fn u0_jets(points: &[f64], spec: &JetSpec, d: usize, time: usize, outputs: usize) -> Vec<f64> {
    let mut out = Vec::new();
    for x in points.chunks_exact(d) {
        let along = |dir: Option<usize>| -> Vec<Dual> {
            let xs = seeded(x, dir);
            (0..outputs).map(|k| u0(&xs, time, k)).collect()
        };
        out.extend(along(None).iter().map(|u| u.v));
        for &i in spec.first() {
            out.extend(along(Some(i)).iter().map(|u| u.d));
        }
        for &i in spec.second() {
            out.extend(along(Some(i)).iter().map(|u| u.dd));
        }
    }
    out
}

/// Points in the spans, deterministic and irregular (a Weyl sequence).
pub fn points(arch: &Architecture, n: usize, salt: f64) -> Vec<f64> {
    let mut out = Vec::new();
    for p in 0..n {
        for (i, [lo, hi]) in arch.spans.iter().enumerate() {
            let u = ((p as f64 + salt) * (0.754_877_666 + 0.569_840_29 * i as f64)).fract();
            out.push(lo + (hi - lo) * u);
        }
    }
    out
}

/// A point set, with u0 jets when the architecture needs them.
pub fn point_set(arch: &Architecture, n: usize, salt: f64, spec: JetSpec) -> PointSet {
    let pts = points(arch, n, salt);
    match arch.transform {
        OutputTransform::Identity => PointSet::new(pts, spec),
        OutputTransform::InitialCondition { time } => {
            let u0 = u0_jets(&pts, &spec, arch.inputs(), time, arch.outputs);
            PointSet::new(pts, spec).with_initial(u0)
        }
    }
}

/// A nonlinear loss of every jet and two extra parameters e:
/// L = Σ w_s r², r = e₀·jet + e₁·jet² − target(point, stream, output).
pub fn loss(jets: &Jets<'_>, djets: &mut JetGrads<'_>, dextra: &mut [f64]) -> f64 {
    let (e0, e1) = (jets.extra[0], jets.extra[1]);
    let streams = jets.spec().streams();
    let mut total = 0.0;
    for s in 0..streams {
        let w = 1.0 / (1.0 + s as f64);
        for p in 0..jets.len() {
            for k in 0..jets.outputs() {
                let j = jets.get(s, p, k);
                let target = 0.1 * ((jets.start + p) as f64 * 0.37 + s as f64 + k as f64).sin();
                let r = e0 * j + e1 * j * j - target;
                total += w * r * r;
                *djets.get_mut(s, p, k) = 2.0 * w * r * (e0 + 2.0 * e1 * j);
                dextra[0] += 2.0 * w * r * j;
                dextra[1] += 2.0 * w * r * j * j;
            }
        }
    }
    total
}

/// Every combination the tests cover: activation, number of inputs, Fourier, transform.
pub fn architectures() -> Vec<Architecture> {
    let mut out = Vec::new();
    for act in Activation::ALL {
        for d in 1..=3 {
            for fourier in [false, true] {
                for hard_ic in [false, true] {
                    let spans = (0..d)
                        .map(|i| [-0.5 * i as f64, 1.0 + 2.0 * i as f64])
                        .collect();
                    let mut arch = Architecture::new(spans, vec![7, 5], 2).activation(act);
                    if fourier {
                        arch = arch.fourier(3, 0.8);
                    }
                    if hard_ic {
                        arch = arch.initial_condition(d - 1);
                    }
                    out.push(arch);
                }
            }
        }
    }
    out
}

/// Sets with all first and second derivatives, the value only, and one first derivative.
pub fn evaluator(mlp: &Mlp) -> Evaluator {
    let arch = mlp.architecture();
    let d = arch.inputs();
    let all: Vec<usize> = (0..d).rev().collect();
    let sets = vec![
        point_set(arch, 9, 0.3, JetSpec::new(&all, &all).unwrap()),
        point_set(arch, 5, 7.1, JetSpec::value()),
        point_set(arch, 6, 3.7, JetSpec::new(&[d - 1], &[]).unwrap()),
    ];
    Evaluator::new(mlp, sets, 2).unwrap().with_block_size(4)
}
