//! The space-time box of a model and its parts: the interior, the
//! non-periodic sides and the initial time, with their measures.

use piml_model::{AxisBoundary, Model};
use rand::Rng;

use crate::error::Error;
use crate::method::{Method, unit_points};

/// Which part of the domain a collocation point enforces.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Set {
    /// The equations, inside space-time.
    Interior,
    /// The boundary conditions, on a side.
    Boundary,
    /// The initial condition, at t0.
    Initial,
}

impl Set {
    /// The name in the `set` column of a collocation table.
    pub fn name(self) -> &'static str {
        match self {
            Set::Interior => "interior",
            Set::Boundary => "boundary",
            Set::Initial => "initial",
        }
    }
}

/// The low or high end of a space axis.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum End {
    Min,
    Max,
}

/// One non-periodic side: a space axis held at one end, for all time.
#[derive(Debug, Clone, PartialEq)]
pub struct Side {
    /// Index of the axis in [`Domain::axes`] (1 for x, 2 for y).
    pub axis: usize,
    pub end: End,
    /// `x=min`, `y=max`, …: the `side` column of a collocation table.
    pub label: String,
    /// Its length or area times the time span.
    pub measure: f64,
}

/// The space-time box of a model.
#[derive(Debug, Clone, PartialEq)]
pub struct Domain {
    /// Names and spans, time first (`t`, then `x`, `y` when the model has them).
    pub axes: Vec<(String, [f64; 2])>,
    /// The sides that carry boundary conditions; periodic axes have none.
    pub sides: Vec<Side>,
}

/// Points of one set (and side), with one column per axis of the domain.
#[derive(Debug, Clone, PartialEq)]
pub struct PointSet {
    pub set: Set,
    pub side: Option<Side>,
    /// Physical coordinates, one column per axis of the domain.
    pub columns: Vec<Vec<f64>>,
    /// The length, area or volume of the region the points cover (1 for a
    /// single instant of an ODE model).
    pub measure: f64,
    /// The axes the points vary along, with their spans.
    free: Vec<(usize, [f64; 2])>,
}

impl PointSet {
    pub fn len(&self) -> usize {
        self.columns[0].len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The first `limit` points mapped back to the unit cube of the axes they
    /// vary along: what [`crate::centred_l2_discrepancy`] measures.
    pub fn unit_prefix(&self, limit: usize) -> Vec<Vec<f64>> {
        let m = limit.min(self.len());
        self.free
            .iter()
            .map(|&(axis, [lo, hi])| {
                self.columns[axis][..m]
                    .iter()
                    .map(|v| (v - lo) / (hi - lo))
                    .collect()
            })
            .collect()
    }
}

impl Domain {
    /// The box of a model's `time.span` and `space` spans, with a side at
    /// each end of every axis whose boundary is not periodic.
    pub fn from_model(model: &Model) -> Result<Domain, Error> {
        let time = model
            .time
            .as_ref()
            .and_then(|t| t.span)
            .ok_or(Error::NoTimeSpan)?;
        let mut axes = vec![("t".to_string(), time)];
        for (name, axis) in &model.space {
            // The model crate guarantees every space axis has a span.
            axes.push((name.clone(), axis.span.unwrap_or([0.0, 1.0])));
        }
        let width = |a: usize| axes[a].1[1] - axes[a].1[0];
        let volume: f64 = (0..axes.len()).map(width).product();
        let mut sides = Vec::new();
        for (i, boundary) in model.boundary.iter().enumerate() {
            if matches!(boundary, AxisBoundary::Sides { .. }) {
                let axis = i + 1;
                for (end, word) in [(End::Min, "min"), (End::Max, "max")] {
                    sides.push(Side {
                        axis,
                        end,
                        label: format!("{}={word}", axes[axis].0),
                        measure: volume / width(axis),
                    });
                }
            }
        }
        Ok(Domain { axes, sides })
    }

    /// Length × area of the space-time box.
    pub fn volume(&self) -> f64 {
        self.axes.iter().map(|(_, [lo, hi])| hi - lo).product()
    }

    /// `n` points inside space-time (a grid rounds `n`, see [`Method::count`]).
    pub fn interior(
        &self,
        method: Method,
        n: usize,
        rng: &mut impl Rng,
    ) -> Result<PointSet, Error> {
        let free: Vec<usize> = (0..self.axes.len()).collect();
        self.place(method, n, &free, Set::Interior, None, self.volume(), rng)
    }

    /// Interior points at given coordinates (one column per axis), such as
    /// those [`crate::adaptive`] picks from a residual table.
    pub fn interior_at(&self, columns: Vec<Vec<f64>>) -> PointSet {
        PointSet {
            set: Set::Interior,
            side: None,
            columns,
            measure: self.volume(),
            free: self
                .axes
                .iter()
                .map(|(_, span)| *span)
                .enumerate()
                .collect(),
        }
    }

    /// `n` points at the initial time t0, spread over space.
    pub fn initial(&self, method: Method, n: usize, rng: &mut impl Rng) -> Result<PointSet, Error> {
        let free: Vec<usize> = (1..self.axes.len()).collect();
        let area = self.volume() / (self.axes[0].1[1] - self.axes[0].1[0]);
        self.place(method, n, &free, Set::Initial, None, area, rng)
    }

    /// `n` points on the sides, shared among them in proportion to their
    /// measures (largest remainders, so the counts add up to `n`); sides that
    /// get no point are left out.
    pub fn boundary(
        &self,
        method: Method,
        n: usize,
        rng: &mut impl Rng,
    ) -> Result<Vec<PointSet>, Error> {
        if n > 0 && self.sides.is_empty() {
            let why = if self.axes.len() == 1 {
                "the model has no space, so no boundary"
            } else {
                "every side of the model is periodic, so there is no boundary"
            };
            return Err(Error::NoBoundary { asked: n, why });
        }
        let measures: Vec<f64> = self.sides.iter().map(|s| s.measure).collect();
        let counts = allocate(n, &measures);
        let mut sets = Vec::new();
        for (side, count) in self.sides.iter().zip(counts) {
            if count == 0 {
                continue;
            }
            let free: Vec<usize> = (0..self.axes.len()).filter(|&a| a != side.axis).collect();
            sets.push(self.place(
                method,
                count,
                &free,
                Set::Boundary,
                Some(side.clone()),
                side.measure,
                rng,
            )?);
        }
        Ok(sets)
    }

    /// Unit-cube points along the `free` axes, scaled to their spans; the
    /// other axes are held at t0 or at the side's end.
    #[allow(clippy::too_many_arguments)]
    fn place(
        &self,
        method: Method,
        n: usize,
        free: &[usize],
        set: Set,
        side: Option<Side>,
        measure: f64,
        rng: &mut impl Rng,
    ) -> Result<PointSet, Error> {
        let unit = unit_points(method, n, free.len(), rng)?;
        let mut unit_columns = unit.columns.into_iter();
        let columns = self
            .axes
            .iter()
            .enumerate()
            .map(|(a, (_, [lo, hi]))| {
                if free.contains(&a) {
                    let u = unit_columns.next().unwrap_or_default();
                    u.into_iter().map(|u| lo + (hi - lo) * u).collect()
                } else {
                    let at = match &side {
                        Some(s) if s.axis == a && s.end == End::Max => *hi,
                        _ => *lo,
                    };
                    vec![at; unit.n]
                }
            })
            .collect();
        Ok(PointSet {
            set,
            side,
            columns,
            measure,
            free: free.iter().map(|&a| (a, self.axes[a].1)).collect(),
        })
    }
}

/// Splits `n` in proportion to `weights` with whole numbers that add up to
/// `n`: the largest-remainder (Hamilton) method, ties to the first.
fn allocate(n: usize, weights: &[f64]) -> Vec<usize> {
    let total: f64 = weights.iter().sum();
    if weights.is_empty() || total <= 0.0 {
        return vec![0; weights.len()];
    }
    let quotas: Vec<f64> = weights.iter().map(|w| n as f64 * w / total).collect();
    let mut counts: Vec<usize> = quotas.iter().map(|q| q.floor() as usize).collect();
    let mut order: Vec<usize> = (0..weights.len()).collect();
    order.sort_by(|&a, &b| {
        let ra = quotas[a] - counts[a] as f64;
        let rb = quotas[b] - counts[b] as f64;
        rb.total_cmp(&ra)
    });
    let short = n - counts.iter().sum::<usize>();
    for &i in order.iter().cycle().take(short) {
        counts[i] += 1;
    }
    counts
}

#[cfg(test)]
mod tests {
    use super::allocate;

    #[test]
    fn shares_add_up_and_follow_the_weights() {
        assert_eq!(allocate(10, &[1.0, 1.0, 3.0, 3.0]), vec![1, 1, 4, 4]);
        assert_eq!(allocate(7, &[1.0, 1.0]), vec![4, 3]);
        assert_eq!(allocate(0, &[2.0, 5.0]), vec![0, 0]);
        assert_eq!(allocate(1000, &[1.0, 2.0, 3.0]), vec![167, 333, 500]);
    }
}
