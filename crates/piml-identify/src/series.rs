//! Truncated power series in time whose coefficients are first-order jets:
//! a value in Z/pZ and its gradient with respect to the independent
//! variables. Evaluating a [`Program`] order by order solves x' = f(x) as a
//! series, x_{k+1} = [f(x)]_k / (k + 1), with the exact derivatives of every
//! Taylor coefficient riding along.

use crate::field::Fp;
use crate::program::{Op, Program};

/// A denominator vanished at the expansion point (its value at order 0 is zero).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Vanishing;

/// The series of every node of a program, computed one order at a time.
#[derive(Debug, Clone)]
pub struct Series<'a> {
    program: &'a Program,
    /// 1 + the number of jet coordinates.
    width: usize,
    /// Per node, the coefficients so far, order after order, `width` each.
    coeffs: Vec<Vec<Fp>>,
    /// Per node, whether it is constant in time (no species, no t).
    constant: Vec<bool>,
    /// Per node used as a denominator, the inverse of its value at order 0.
    inverse: Vec<Fp>,
    /// Values of the variables, by jet coordinate.
    vars: Vec<Fp>,
    t0: Fp,
    order: usize,
}

impl<'a> Series<'a> {
    /// A series over `dim` jet coordinates; `vars[i]` is the value of `Var(i)`.
    pub fn new(program: &'a Program, dim: usize, vars: Vec<Fp>, t0: Fp) -> Series<'a> {
        let ops = program.ops();
        let mut constant = Vec::with_capacity(ops.len());
        for op in ops {
            let c = match *op {
                Op::Const(_) | Op::Var(_) => true,
                Op::State(_) | Op::Time => false,
                Op::Neg(a) => constant[a],
                Op::Add(a, b) | Op::Sub(a, b) | Op::Mul(a, b) | Op::Div(a, b) => {
                    constant[a] && constant[b]
                }
            };
            constant.push(c);
        }
        Series {
            program,
            width: dim + 1,
            coeffs: vec![Vec::new(); ops.len()],
            constant,
            inverse: vec![Fp::ZERO; ops.len()],
            vars,
            t0,
            order: 0,
        }
    }

    /// Coefficient `k` of node `node`: the value, then the gradient.
    pub fn coefficient(&self, node: usize, k: usize) -> &[Fp] {
        &self.coeffs[node][k * self.width..(k + 1) * self.width]
    }

    /// Computes the next order of every node; `states[i]` is the jet of
    /// species i at this order.
    pub fn next_order(&mut self, states: &[Vec<Fp>]) -> Result<(), Vanishing> {
        let (k, w) = (self.order, self.width);
        let mut out = vec![Fp::ZERO; w];
        for (node, op) in self.program.ops().iter().enumerate() {
            out.fill(Fp::ZERO);
            match *op {
                Op::Const(c) => {
                    if k == 0 {
                        out[0] = c;
                    }
                }
                Op::Var(i) => {
                    if k == 0 {
                        out[0] = self.vars[i];
                        out[1 + i] = Fp::ONE;
                    }
                }
                Op::State(i) => out.copy_from_slice(&states[i]),
                Op::Time => match k {
                    0 => out[0] = self.t0,
                    1 => out[0] = Fp::ONE,
                    _ => {}
                },
                Op::Neg(a) => {
                    for (o, x) in out.iter_mut().zip(self.coefficient(a, k)) {
                        *o = -*x;
                    }
                }
                Op::Add(a, b) | Op::Sub(a, b) => {
                    let minus = matches!(op, Op::Sub(..));
                    let (x, y) = (self.coefficient(a, k), self.coefficient(b, k));
                    for ((o, x), y) in out.iter_mut().zip(x).zip(y) {
                        *o = if minus { *x - *y } else { *x + *y };
                    }
                }
                Op::Mul(a, b) => {
                    // Cauchy product; a factor constant in time has only order 0.
                    match (self.constant[a], self.constant[b]) {
                        (true, true) if k > 0 => {}
                        (true, _) => {
                            jet_mul_add(&mut out, self.coefficient(a, 0), self.coefficient(b, k))
                        }
                        (false, true) => {
                            jet_mul_add(&mut out, self.coefficient(a, k), self.coefficient(b, 0))
                        }
                        (false, false) => {
                            for i in 0..=k {
                                jet_mul_add(
                                    &mut out,
                                    self.coefficient(a, i),
                                    self.coefficient(b, k - i),
                                );
                            }
                        }
                    }
                }
                Op::Div(a, b) => {
                    if k == 0 {
                        let b0 = self.coefficient(b, 0)[0];
                        self.inverse[node] = b0.inv().ok_or(Vanishing)?;
                    }
                    if k == 0 || !self.constant[node] {
                        // q_k = (a_k − Σ_{i<k} q_i b_{k−i}) / b_0
                        out.copy_from_slice(self.coefficient(a, k));
                        if !self.constant[b] {
                            let mut sum = vec![Fp::ZERO; w];
                            for i in 0..k {
                                jet_mul_add(
                                    &mut sum,
                                    self.coefficient(node, i),
                                    self.coefficient(b, k - i),
                                );
                            }
                            for (o, s) in out.iter_mut().zip(&sum) {
                                *o = *o - *s;
                            }
                        }
                        jet_div_in_place(&mut out, self.coefficient(b, 0), self.inverse[node]);
                    }
                }
            }
            self.coeffs[node].extend_from_slice(&out);
        }
        self.order += 1;
        Ok(())
    }
}

/// out += a·b for jets: (a₀b₀, a₀∇b + b₀∇a).
#[inline]
fn jet_mul_add(out: &mut [Fp], a: &[Fp], b: &[Fp]) {
    let (av, bv) = (a[0], b[0]);
    out[0] = out[0] + av * bv;
    for ((o, ag), bg) in out[1..].iter_mut().zip(&a[1..]).zip(&b[1..]) {
        *o = *o + av * *bg + bv * *ag;
    }
}

/// r ← r/b for jets, given 1/b₀: q = r₀/b₀, ∇q = (∇r − q∇b)/b₀.
#[inline]
fn jet_div_in_place(r: &mut [Fp], b: &[Fp], inv_b0: Fp) {
    let q = r[0] * inv_b0;
    r[0] = q;
    for (g, bg) in r[1..].iter_mut().zip(&b[1..]) {
        *g = (*g - q * *bg) * inv_b0;
    }
}

/// The Taylor coefficients of the solution of x' = f(x), x(0) = x0, and of
/// outputs g(x), order by order. The program's first `n` outputs are f,
/// the rest are the outputs g; `x0[i]` is the jet of species i at t0.
#[derive(Debug)]
pub struct Taylor<'a> {
    series: Series<'a>,
    /// The jet of each species at the order about to be computed.
    states: Vec<Vec<Fp>>,
}

impl<'a> Taylor<'a> {
    pub fn new(program: &'a Program, dim: usize, vars: Vec<Fp>, t0: Fp, x0: Vec<Vec<Fp>>) -> Self {
        Taylor {
            series: Series::new(program, dim, vars, t0),
            states: x0,
        }
    }

    /// Computes order k (the next one) and returns the jets of the outputs g
    /// at that order.
    pub fn next_order(&mut self) -> Result<Vec<Vec<Fp>>, Vanishing> {
        let k = self.series.order;
        self.series.next_order(&self.states)?;
        let n = self.states.len();
        let outputs = self.series.program.outputs();
        // x_{k+1} = [f(x)]_k / (k + 1); k + 1 < p, so the inverse exists.
        let scale = Fp::new(k as u64 + 1).inv().ok_or(Vanishing)?;
        for (i, state) in self.states.iter_mut().enumerate() {
            for (s, f) in state.iter_mut().zip(self.series.coefficient(outputs[i], k)) {
                *s = *f * scale;
            }
        }
        Ok(outputs[n..]
            .iter()
            .map(|&g| self.series.coefficient(g, k).to_vec())
            .collect())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::program::Symbol;
    use piml_model::expr::parse;

    fn fp(n: i64, d: i64) -> Fp {
        Fp::from_i64(n) * Fp::from_i64(d).inv().unwrap()
    }

    /// x' = −k x, x(0) = x0: x_j = x0 (−k)^j / j!, ∂x_j/∂k = j x0 (−k)^(j−1)(−1)/j!.
    #[test]
    fn exponential_decay_coefficients_and_their_derivatives() {
        let mut program = Program::new();
        let resolve = |s: &str| match s {
            "x" => Symbol::State(0),
            "k" => Symbol::Var(1),
            _ => unreachable!(),
        };
        let f = program.lower(&parse("-k*x").unwrap(), &resolve).unwrap();
        let g = program.lower(&parse("x").unwrap(), &resolve).unwrap();
        program.push_output(f);
        program.push_output(g);
        let (x0, k) = (Fp::new(3), Fp::new(5));
        let x0_jet = vec![x0, Fp::ONE, Fp::ZERO];
        let mut taylor = Taylor::new(&program, 2, vec![Fp::ZERO, k], Fp::ZERO, vec![x0_jet]);
        let mut factorial = 1i64;
        for j in 0..8i64 {
            if j > 0 {
                factorial *= j;
            }
            let y = &taylor.next_order().unwrap()[0];
            let inv_fact = fp(1, factorial);
            let minus_k = -k;
            assert_eq!(y[0], x0 * minus_k.pow(j as u64) * inv_fact, "order {j}");
            assert_eq!(y[1], minus_k.pow(j as u64) * inv_fact);
            let dk = if j == 0 {
                Fp::ZERO
            } else {
                -(Fp::new(j as u64) * x0 * minus_k.pow(j as u64 - 1)) * inv_fact
            };
            assert_eq!(y[2], dk, "order {j}");
        }
    }

    /// y = x/(a + t) with x ≡ x0 (x' = 0): the quotient rule on series
    /// against the geometric series at t0 = 0.
    #[test]
    fn division_by_a_series_in_time() {
        let mut program = Program::new();
        let resolve = |s: &str| match s {
            "x" => Symbol::State(0),
            "a" => Symbol::Var(0),
            "t" => Symbol::Time,
            _ => unreachable!(),
        };
        let f = program.lower(&parse("0*x").unwrap(), &resolve).unwrap();
        let g = program
            .lower(&parse("x/(a + t)").unwrap(), &resolve)
            .unwrap();
        program.push_output(f);
        program.push_output(g);
        let a = Fp::new(7);
        let x0 = Fp::new(2);
        let mut taylor = Taylor::new(&program, 1, vec![a], Fp::ZERO, vec![vec![x0, Fp::ZERO]]);
        // x/(a + t) = (x/a) Σ (−t/a)^j; d/da of the j-th term = −(j+1) x (−1)^j / a^(j+2).
        for j in 0..6u64 {
            let y = &taylor.next_order().unwrap()[0];
            let sign = if j % 2 == 0 { Fp::ONE } else { -Fp::ONE };
            let inv_a = a.inv().unwrap();
            assert_eq!(y[0], x0 * sign * inv_a.pow(j + 1));
            assert_eq!(y[1], -(Fp::new(j + 1) * x0 * sign * inv_a.pow(j + 2)));
        }
    }

    #[test]
    fn a_vanishing_denominator_is_reported() {
        let mut program = Program::new();
        let resolve = |s: &str| match s {
            "x" => Symbol::State(0),
            _ => unreachable!(),
        };
        let f = program.lower(&parse("1/x").unwrap(), &resolve).unwrap();
        program.push_output(f);
        let mut taylor = Taylor::new(&program, 1, vec![], Fp::ZERO, vec![vec![Fp::ZERO, Fp::ONE]]);
        assert_eq!(taylor.next_order(), Err(Vanishing));
    }
}
