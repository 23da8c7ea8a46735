//! Compiled expressions: a straight-line program over numbered slots.
//!
//! A set of expressions (say the right-hand sides of an ODE and every entry of
//! its Jacobian) is compiled together into one tape; equal subexpressions are
//! computed once (hash-consing). The same tape evaluates one point at a time
//! (the ODE solvers) or whole columns in chunks (tables, collocation points),
//! where each instruction runs as a tight loop the compiler vectorises.

use std::collections::HashMap;

use rayon::prelude::*;

use super::ast::{BinOp, Expr, Func, powf_exact};

/// Rows evaluated together, slot by slot, so the loops vectorise.
const CHUNK: usize = 256;

/// A name the tape does not know.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("unknown symbol '{0}'")]
pub struct UnknownSymbol(pub String);

#[derive(Debug, Clone, Copy, PartialEq)]
enum Op {
    Bin(BinOp, u32, u32),
    Neg(u32),
    Call1(Func, u32),
    Call2(Func, u32, u32),
    Call3(Func, u32, u32, u32),
    Call4(Func, u32, u32, u32, u32),
}

#[derive(Debug, Clone, PartialEq, Eq, Hash)]
enum Key {
    Input(usize),
    Const(u64),
    Bin(BinOp, u32, u32),
    Neg(u32),
    Call(Func, Vec<u32>),
}

/// Compiled form of a list of expressions over a fixed list of input names.
///
/// Slots: inputs first, then constants, then one slot per instruction.
#[derive(Debug, Clone)]
pub struct Tape {
    n_inputs: usize,
    constants: Vec<f64>,
    ops: Vec<Op>,
    outputs: Vec<u32>,
}

struct Builder<'a> {
    inputs: &'a HashMap<&'a str, usize>,
    n_inputs: usize,
    constants: Vec<f64>,
    ops: Vec<(Key, Op)>,
    seen: HashMap<Key, u32>,
}

impl Builder<'_> {
    fn intern(&mut self, key: Key, op: Option<Op>) -> u32 {
        if let Some(&slot) = self.seen.get(&key) {
            return slot;
        }
        // Slots of constants are numbered after the build, once their count
        // is known; until then they carry a marker bit.
        let slot = match (&key, op) {
            (Key::Input(i), _) => *i as u32,
            (Key::Const(bits), _) => {
                self.constants.push(f64::from_bits(*bits));
                CONST_BIT | (self.constants.len() as u32 - 1)
            }
            (_, Some(op)) => {
                self.ops.push((key.clone(), op));
                OP_BIT | (self.ops.len() as u32 - 1)
            }
            (_, None) => unreachable!("an operation key always comes with its op"),
        };
        self.seen.insert(key, slot);
        slot
    }

    fn build(&mut self, e: &Expr) -> Result<u32, UnknownSymbol> {
        Ok(match e {
            Expr::Num(v) => self.intern(Key::Const(v.to_bits()), None),
            Expr::Var(s) => {
                let i = *self
                    .inputs
                    .get(s.as_str())
                    .ok_or_else(|| UnknownSymbol(s.clone()))?;
                self.intern(Key::Input(i), None)
            }
            Expr::Neg(a) => {
                let a = self.build(a)?;
                self.intern(Key::Neg(a), Some(Op::Neg(a)))
            }
            Expr::Bin(op, a, b) => {
                let (a, b) = (self.build(a)?, self.build(b)?);
                self.intern(Key::Bin(*op, a, b), Some(Op::Bin(*op, a, b)))
            }
            Expr::Call(f, args) => {
                let s = args
                    .iter()
                    .map(|a| self.build(a))
                    .collect::<Result<Vec<u32>, _>>()?;
                let op = match s.as_slice() {
                    [a] => Op::Call1(*f, *a),
                    [a, b] => Op::Call2(*f, *a, *b),
                    [a, b, c] => Op::Call3(*f, *a, *b, *c),
                    [a, b, c, d] => Op::Call4(*f, *a, *b, *c, *d),
                    _ => unreachable!("functions take one to four arguments"),
                };
                self.intern(Key::Call(*f, s), Some(op))
            }
        })
    }

    fn resolve(&self, slot: u32) -> u32 {
        let n_const = self.constants.len() as u32;
        if slot & CONST_BIT != 0 {
            self.n_inputs as u32 + (slot & !CONST_BIT)
        } else if slot & OP_BIT != 0 {
            self.n_inputs as u32 + n_const + (slot & !OP_BIT)
        } else {
            slot
        }
    }
}

const CONST_BIT: u32 = 1 << 30;
const OP_BIT: u32 = 1 << 31;

impl Tape {
    /// Compiles `exprs` over the named inputs (in this order).
    pub fn compile<S: AsRef<str>>(exprs: &[Expr], inputs: &[S]) -> Result<Tape, UnknownSymbol> {
        let names: HashMap<&str, usize> = inputs
            .iter()
            .enumerate()
            .map(|(i, s)| (s.as_ref(), i))
            .collect();
        let mut b = Builder {
            inputs: &names,
            n_inputs: inputs.len(),
            constants: Vec::new(),
            ops: Vec::new(),
            seen: HashMap::new(),
        };
        let raw_outputs = exprs
            .iter()
            .map(|e| b.build(e))
            .collect::<Result<Vec<_>, _>>()?;
        let r = |s: u32| b.resolve(s);
        let ops = b
            .ops
            .iter()
            .map(|(_, op)| match *op {
                Op::Bin(o, x, y) => Op::Bin(o, r(x), r(y)),
                Op::Neg(x) => Op::Neg(r(x)),
                Op::Call1(f, x) => Op::Call1(f, r(x)),
                Op::Call2(f, x, y) => Op::Call2(f, r(x), r(y)),
                Op::Call3(f, x, y, z) => Op::Call3(f, r(x), r(y), r(z)),
                Op::Call4(f, x, y, z, w) => Op::Call4(f, r(x), r(y), r(z), r(w)),
            })
            .collect();
        let outputs = raw_outputs.iter().map(|&s| r(s)).collect();
        Ok(Tape {
            n_inputs: b.n_inputs,
            constants: b.constants,
            ops,
            outputs,
        })
    }

    pub fn n_inputs(&self) -> usize {
        self.n_inputs
    }

    pub fn n_outputs(&self) -> usize {
        self.outputs.len()
    }

    /// Number of operations: a measure of the cost of one evaluation.
    pub fn len(&self) -> usize {
        self.ops.len()
    }

    pub fn is_empty(&self) -> bool {
        self.ops.is_empty()
    }

    fn n_slots(&self) -> usize {
        self.n_inputs + self.constants.len() + self.ops.len()
    }

    /// A work buffer for [`Tape::eval`], with the constants in place.
    pub fn scratch(&self) -> Vec<f64> {
        let mut s = vec![0.0; self.n_slots()];
        s[self.n_inputs..self.n_inputs + self.constants.len()].copy_from_slice(&self.constants);
        s
    }

    /// Evaluates at one point: `inputs` in compile order, results into `out`.
    /// `scratch` must come from [`Tape::scratch`] of this tape.
    #[inline]
    pub fn eval(&self, inputs: &[f64], scratch: &mut [f64], out: &mut [f64]) {
        scratch[..self.n_inputs].copy_from_slice(inputs);
        self.run(scratch, out);
    }

    #[inline]
    fn run(&self, scratch: &mut [f64], out: &mut [f64]) {
        let base = self.n_inputs + self.constants.len();
        for (k, op) in self.ops.iter().enumerate() {
            let s = &*scratch;
            let v = match *op {
                Op::Bin(o, a, b) => o.apply(s[a as usize], s[b as usize]),
                Op::Neg(a) => -s[a as usize],
                Op::Call1(f, a) => f.apply(&[s[a as usize]]),
                Op::Call2(f, a, b) => f.apply(&[s[a as usize], s[b as usize]]),
                Op::Call3(f, a, b, c) => f.apply(&[s[a as usize], s[b as usize], s[c as usize]]),
                Op::Call4(f, a, b, c, d) => {
                    f.apply(&[s[a as usize], s[b as usize], s[c as usize], s[d as usize]])
                }
            };
            scratch[base + k] = v;
        }
        for (o, &slot) in out.iter_mut().zip(&self.outputs) {
            *o = scratch[slot as usize];
        }
    }

    /// Evaluates at one point whose inputs come in consecutive parts (say
    /// species, parameters, time), without a caller-held work buffer: small
    /// tapes work on the stack, so a shared `&Tape` needs no locking.
    #[inline]
    pub fn eval_parts(&self, parts: &[&[f64]], out: &mut [f64]) {
        let n = self.n_slots();
        if n <= 64 {
            self.eval_parts_in(parts, &mut [0.0; 64][..n], out);
        } else if n <= 512 {
            self.eval_parts_in(parts, &mut [0.0; 512][..n], out);
        } else {
            self.eval_parts_in(parts, &mut vec![0.0; n], out);
        }
    }

    #[inline]
    fn eval_parts_in(&self, parts: &[&[f64]], work: &mut [f64], out: &mut [f64]) {
        let mut at = 0;
        for p in parts {
            work[at..at + p.len()].copy_from_slice(p);
            at += p.len();
        }
        debug_assert_eq!(at, self.n_inputs, "inputs do not match the tape");
        work[self.n_inputs..self.n_inputs + self.constants.len()].copy_from_slice(&self.constants);
        self.run(work, out);
    }

    /// Evaluates on whole columns: `inputs[i]` is the column of input `i`
    /// (all of one length), results go to `out[j]` (resized to that length).
    ///
    /// Long columns are cut into blocks evaluated in parallel (rayon); every
    /// row is computed the same way whatever the blocks, so the results do
    /// not depend on the thread count.
    pub fn eval_columns(&self, inputs: &[&[f64]], out: &mut [Vec<f64>]) {
        const BLOCK: usize = 16 * CHUNK;
        let rows = inputs.first().map_or(0, |c| c.len());
        for o in out.iter_mut() {
            o.resize(rows, 0.0);
        }
        if rows <= BLOCK {
            self.eval_columns_into(inputs, out, &mut Vec::new());
            return;
        }
        let blocks: Vec<(usize, Vec<f64>)> = (0..rows)
            .step_by(BLOCK)
            .collect::<Vec<_>>()
            .into_par_iter()
            .map(|start| {
                let len = BLOCK.min(rows - start);
                let mut local = vec![0.0; self.outputs.len() * len];
                self.eval_rows(
                    |i| inputs[i],
                    start,
                    len,
                    &mut Vec::new(),
                    |j, at, values| local[j * len + at..][..values.len()].copy_from_slice(values),
                );
                (start, local)
            })
            .collect();
        for (start, local) in blocks {
            let len = local.len() / self.outputs.len().max(1);
            for (o, values) in out.iter_mut().zip(local.chunks_exact(len.max(1))) {
                o[start..start + len].copy_from_slice(values);
            }
        }
    }

    /// [`Tape::eval_columns`] on the calling thread alone, writing the
    /// heads of `out` (each resized to the columns' length) straight from
    /// the work area `work`, which is grown as needed and can be kept
    /// between calls: nothing is allocated once it is large enough.
    pub fn eval_columns_into(&self, inputs: &[&[f64]], out: &mut [Vec<f64>], work: &mut Vec<f64>) {
        let rows = inputs.first().map_or(0, |c| c.len());
        for o in out.iter_mut() {
            o.resize(rows, 0.0);
        }
        self.eval_rows(
            |i| inputs[i],
            0,
            rows,
            work,
            |j, at, values| out[j][at..at + values.len()].copy_from_slice(values),
        );
    }

    /// Evaluates `rows` rows whose inputs are stacked one input after another in `inputs`
    /// (input i of row r at `i·rows + r`), writing output j of row r to `out[j·rows + r]`;
    /// `work` as in [`Tape::eval_columns_into`]. For a small batch of points (a block of a
    /// network's outputs) held in one flat buffer, with no allocation once `work` is grown.
    pub fn eval_stacked(&self, inputs: &[f64], rows: usize, out: &mut [f64], work: &mut Vec<f64>) {
        self.eval_rows(
            |i| &inputs[i * rows..(i + 1) * rows],
            0,
            rows,
            work,
            |j, at, values| out[j * rows + at..][..values.len()].copy_from_slice(values),
        );
    }

    /// Rows `first..first + rows` of every output, handed chunk by chunk to
    /// `put(output, row offset from first, values)`; `work` is the
    /// slot-major work area (resized).
    fn eval_rows<'a>(
        &self,
        input: impl Fn(usize) -> &'a [f64],
        first: usize,
        rows: usize,
        work: &mut Vec<f64>,
        mut put: impl FnMut(usize, usize, &[f64]),
    ) {
        let n_const = self.constants.len();
        let base = self.n_inputs + n_const;
        // Slot-major work area: slot s of row r sits at s*CHUNK + r.
        work.resize(self.n_slots() * CHUNK, 0.0);
        // No chunk reads past row min(rows, CHUNK) of a slot.
        let used = rows.min(CHUNK);
        for (k, &c) in self.constants.iter().enumerate() {
            work[(self.n_inputs + k) * CHUNK..][..used].fill(c);
        }
        let mut start = 0;
        while start < rows {
            let len = CHUNK.min(rows - start);
            for i in 0..self.n_inputs {
                work[i * CHUNK..][..len]
                    .copy_from_slice(&input(i)[first + start..first + start + len]);
            }
            for (k, op) in self.ops.iter().enumerate() {
                let (done, rest) = work.split_at_mut((base + k) * CHUNK);
                let dst = &mut rest[..len];
                let col = |s: u32| &done[s as usize * CHUNK..][..len];
                match *op {
                    Op::Bin(o, a, b) => {
                        let (a, b) = (col(a), col(b));
                        match o {
                            BinOp::Add => dst
                                .iter_mut()
                                .zip(a.iter().zip(b))
                                .for_each(|(d, (x, y))| *d = x + y),
                            BinOp::Sub => dst
                                .iter_mut()
                                .zip(a.iter().zip(b))
                                .for_each(|(d, (x, y))| *d = x - y),
                            BinOp::Mul => dst
                                .iter_mut()
                                .zip(a.iter().zip(b))
                                .for_each(|(d, (x, y))| *d = x * y),
                            BinOp::Div => dst
                                .iter_mut()
                                .zip(a.iter().zip(b))
                                .for_each(|(d, (x, y))| *d = x / y),
                            BinOp::Pow => dst
                                .iter_mut()
                                .zip(a.iter().zip(b))
                                .for_each(|(d, (x, y))| *d = powf_exact(*x, *y)),
                        }
                    }
                    Op::Neg(a) => dst.iter_mut().zip(col(a)).for_each(|(d, x)| *d = -x),
                    Op::Call1(f, a) => dst
                        .iter_mut()
                        .zip(col(a))
                        .for_each(|(d, x)| *d = f.apply(&[*x])),
                    Op::Call2(f, a, b) => {
                        let (a, b) = (col(a), col(b));
                        for r in 0..len {
                            dst[r] = f.apply(&[a[r], b[r]]);
                        }
                    }
                    Op::Call3(f, a, b, c) => {
                        let (a, b, c) = (col(a), col(b), col(c));
                        for r in 0..len {
                            dst[r] = f.apply(&[a[r], b[r], c[r]]);
                        }
                    }
                    Op::Call4(f, a, b, c, d) => {
                        let (a, b, c, e) = (col(a), col(b), col(c), col(d));
                        for r in 0..len {
                            dst[r] = f.apply(&[a[r], b[r], c[r], e[r]]);
                        }
                    }
                }
            }
            for (j, &slot) in self.outputs.iter().enumerate() {
                put(j, start, &work[slot as usize * CHUNK..][..len]);
            }
            start += len;
        }
    }
}
