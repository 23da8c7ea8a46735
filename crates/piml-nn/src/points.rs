//! Point sets, the derivatives each needs, and views of the output jets a loss reads and writes.

use crate::Error;

/// Which derivatives of the outputs a point set needs: first derivatives with respect to the
/// inputs in `first`, diagonal second derivatives with respect to those in `second` (each of
/// which must also be in `first`).
///
/// The jets of a point are ordered in streams: 0 the value, 1 + j the first derivative with
/// respect to `first[j]`, 1 + |first| + j the second derivative with respect to `second[j]`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct JetSpec {
    first: Vec<usize>,
    second: Vec<usize>,
    /// For each entry of `second`, its position in `first`.
    second_slot: Vec<usize>,
}

impl JetSpec {
    /// The value only.
    pub fn value() -> JetSpec {
        JetSpec {
            first: Vec::new(),
            second: Vec::new(),
            second_slot: Vec::new(),
        }
    }

    /// Values, first derivatives with respect to the inputs `first`, and diagonal second
    /// derivatives with respect to the inputs `second` ⊆ `first`.
    pub fn new(first: &[usize], second: &[usize]) -> Result<JetSpec, Error> {
        let dup = |v: &[usize]| (1..v.len()).any(|i| v[..i].contains(&v[i]));
        if dup(first) || dup(second) {
            return Err(Error::Architecture(format!(
                "derivative inputs {first:?}, {second:?} repeat an input"
            )));
        }
        let second_slot = second
            .iter()
            .map(|i| first.iter().position(|f| f == i))
            .collect::<Option<Vec<_>>>()
            .ok_or_else(|| {
                Error::Architecture(format!(
                    "second derivatives {second:?} need the first derivatives too, got {first:?}"
                ))
            })?;
        Ok(JetSpec {
            first: first.to_vec(),
            second: second.to_vec(),
            second_slot,
        })
    }

    /// Inputs with first derivatives.
    pub fn first(&self) -> &[usize] {
        &self.first
    }

    /// Inputs with diagonal second derivatives.
    pub fn second(&self) -> &[usize] {
        &self.second
    }

    /// Number of streams: 1 + |first| + |second|.
    pub fn streams(&self) -> usize {
        1 + self.first.len() + self.second.len()
    }

    /// The stream of ∂/∂x_input, if computed.
    pub fn first_stream(&self, input: usize) -> Option<usize> {
        self.first.iter().position(|&i| i == input).map(|j| 1 + j)
    }

    /// The stream of ∂²/∂x_input², if computed.
    pub fn second_stream(&self, input: usize) -> Option<usize> {
        let nf = self.first.len();
        self.second
            .iter()
            .position(|&i| i == input)
            .map(|j| 1 + nf + j)
    }

    /// Pairs (stream of the second derivative, stream of the matching first derivative).
    pub(crate) fn second_pairs(&self) -> impl Iterator<Item = (usize, usize)> + '_ {
        let nf = self.first.len();
        self.second_slot
            .iter()
            .enumerate()
            .map(move |(j, &slot)| (1 + nf + j, 1 + slot))
    }

    pub(crate) fn max_input(&self) -> Option<usize> {
        self.first.iter().copied().max()
    }
}

/// Points (row-major, n × inputs) where the network is evaluated with the derivatives of `spec`.
#[derive(Debug, Clone, PartialEq)]
pub struct PointSet {
    pub(crate) points: Vec<f64>,
    pub(crate) spec: JetSpec,
    pub(crate) initial: Option<Vec<f64>>,
}

impl PointSet {
    /// A point set; `points` holds the coordinates of one point after another.
    pub fn new(points: Vec<f64>, spec: JetSpec) -> PointSet {
        PointSet {
            points,
            spec,
            initial: None,
        }
    }

    /// The same points with the jets of u0 for [`crate::OutputTransform::InitialCondition`]:
    /// for each point, each stream of the spec, each output (n × streams × outputs, row-major).
    pub fn with_initial(mut self, initial: Vec<f64>) -> PointSet {
        self.initial = Some(initial);
        self
    }

    /// The derivatives computed at these points.
    pub fn spec(&self) -> &JetSpec {
        &self.spec
    }

    /// The coordinates, point after point.
    pub fn points(&self) -> &[f64] {
        &self.points
    }
}

/// The output jets of one block of points of one set, as a loss reads them.
#[derive(Debug)]
pub struct Jets<'a> {
    /// Index of the point set.
    pub set: usize,
    /// Index within the set of the block's first point.
    pub start: usize,
    /// The extra (physical) parameters that follow the network's in the parameter vector.
    pub extra: &'a [f64],
    pub(crate) points: &'a [f64],
    pub(crate) data: &'a [f64],
    pub(crate) spec: &'a JetSpec,
    pub(crate) inputs: usize,
    pub(crate) outputs: usize,
}

impl Jets<'_> {
    /// Number of points in the block.
    pub fn len(&self) -> usize {
        self.points.len() / self.inputs
    }

    /// Whether the block has no points.
    pub fn is_empty(&self) -> bool {
        self.points.is_empty()
    }

    /// The derivatives computed for this block's set.
    pub fn spec(&self) -> &JetSpec {
        self.spec
    }

    /// Number of outputs.
    pub fn outputs(&self) -> usize {
        self.outputs
    }

    /// Coordinates of point `p` of the block.
    pub fn point(&self, p: usize) -> &[f64] {
        &self.points[p * self.inputs..(p + 1) * self.inputs]
    }

    /// Stream `s` (see [`JetSpec`]) of output `k` at point `p`.
    pub fn get(&self, s: usize, p: usize, k: usize) -> f64 {
        self.data[(s * self.len() + p) * self.outputs + k]
    }

    /// u_k at point `p`.
    pub fn value(&self, p: usize, k: usize) -> f64 {
        self.get(0, p, k)
    }

    /// ∂u_k/∂x_input at point `p`; panics if the spec does not compute it.
    pub fn first(&self, input: usize, p: usize, k: usize) -> f64 {
        self.get(stream(self.spec.first_stream(input)), p, k)
    }

    /// ∂²u_k/∂x_input² at point `p`; panics if the spec does not compute it.
    pub fn second(&self, input: usize, p: usize, k: usize) -> f64 {
        self.get(stream(self.spec.second_stream(input)), p, k)
    }
}

/// Where a loss writes ∂L/∂(each output jet) of a block; all entries start at zero.
#[derive(Debug)]
pub struct JetGrads<'a> {
    pub(crate) data: &'a mut [f64],
    pub(crate) spec: &'a JetSpec,
    pub(crate) len: usize,
    pub(crate) outputs: usize,
}

impl JetGrads<'_> {
    /// ∂L/∂(stream `s` of output `k` at point `p`).
    pub fn get_mut(&mut self, s: usize, p: usize, k: usize) -> &mut f64 {
        &mut self.data[(s * self.len + p) * self.outputs + k]
    }

    /// ∂L/∂u_k at point `p`.
    pub fn value(&mut self, p: usize, k: usize) -> &mut f64 {
        self.get_mut(0, p, k)
    }

    /// ∂L/∂(∂u_k/∂x_input) at point `p`.
    pub fn first(&mut self, input: usize, p: usize, k: usize) -> &mut f64 {
        let s = stream(self.spec.first_stream(input));
        self.get_mut(s, p, k)
    }

    /// ∂L/∂(∂²u_k/∂x_input²) at point `p`.
    pub fn second(&mut self, input: usize, p: usize, k: usize) -> &mut f64 {
        let s = stream(self.spec.second_stream(input));
        self.get_mut(s, p, k)
    }
}

fn stream(s: Option<usize>) -> usize {
    s.expect("the point set's JetSpec does not compute this derivative")
}
