//! A PINN problem: the model's physics, the points where each loss term is enforced, the data,
//! the characteristic scales, and the loss of a block of points with its exact gradient.
//!
//! Scaling. The network sees inputs scaled to [−1, 1] from the model's spans (piml-nn), and its
//! outputs N_k are multiplied by a scale U_k per species (the largest |u0_k| at the initial
//! points or |data| of an observable that is the species itself), so that N is of order one.
//! Each loss term is made dimensionless by the scales of its quantity: the residual of species
//! i by U_i/T (T the time span: the size of ∂u/∂t), a zero-flux condition by U_k/L (L the
//! length of the axis), values by U_k, data of an observable by its largest |value|. A model in
//! µm, hours and cells/µm² therefore trains like its dimensionless form.

use piml_model::{AxisBoundary, Model, SideCondition};
use piml_nn::{JetGrads, JetSpec, Jets, PointSet};

use crate::Error;
use crate::physics::{Differentiated, Physics};
use crate::unknowns::Unknown;

/// The loss terms.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Term {
    Pde,
    Bc,
    Ic,
    Data,
}

impl Term {
    pub const ALL: [Term; 4] = [Term::Pde, Term::Bc, Term::Ic, Term::Data];

    pub fn name(self) -> &'static str {
        match self {
            Term::Pde => "pde",
            Term::Bc => "bc",
            Term::Ic => "ic",
            Term::Data => "data",
        }
    }

    pub fn index(self) -> usize {
        self as usize
    }
}

/// Measurements: coordinates of each row and the observed columns.
#[derive(Debug, Clone, PartialEq)]
pub struct Observations {
    /// One column per model coordinate (t, then x, y).
    pub coords: Vec<Vec<f64>>,
    pub columns: Vec<ObservedColumn>,
}

/// One observable's measurements.
#[derive(Debug, Clone, PartialEq)]
pub struct ObservedColumn {
    /// The observable's name in the model.
    pub name: String,
    /// NaN where not measured.
    pub values: Vec<f64>,
    /// Per-row standard deviations (a `sigma_<name>` column), if given.
    pub sigma: Option<Vec<f64>>,
}

/// Points of the interior, the sides and the initial time, one column per coordinate, with
/// optional quadrature weights.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Collocation {
    pub interior: Vec<Vec<f64>>,
    pub interior_weights: Option<Vec<f64>>,
    pub boundary: Vec<Vec<f64>>,
    pub boundary_weights: Option<Vec<f64>>,
    pub initial: Vec<Vec<f64>>,
    pub initial_weights: Option<Vec<f64>>,
}

/// Where the initial condition comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "clap", derive(clap::ValueEnum))]
pub enum InitialFrom {
    /// The data's rows at the start of the time span when the model gives no species an
    /// `initial`, else the model's expressions as a loss term
    Auto,
    /// The model's `initial` expressions, as a loss term
    Model,
    /// The model's expressions, imposed exactly: u = u0 + τ·N
    Hard,
    /// The measurements at the start of the time span, as a loss term weighted like every
    /// other measurement
    Data,
}

impl InitialFrom {
    /// The source [`InitialFrom::Auto`] stands for with `model` and `data`: the data when no
    /// species has an `initial` in the model and some row lies at the start of the span
    /// (a missing `initial` reads as 0, which measurements at t0 contradict), else the model.
    /// The other sources stand for themselves.
    pub fn resolve(self, model: &Model, data: &Observations) -> InitialFrom {
        if self != InitialFrom::Auto {
            return self;
        }
        let t0 = model.start_time();
        let measured_at_start = data
            .coords
            .first()
            .is_some_and(|t| !piml_model::rows_at(t, t0).is_empty());
        if measured_at_start && model.species.iter().all(|s| !s.initial_given) {
            InitialFrom::Data
        } else {
            InitialFrom::Model
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            InitialFrom::Auto => "auto",
            InitialFrom::Model => "model",
            InitialFrom::Hard => "hard",
            InitialFrom::Data => "data",
        }
    }
}

/// Characteristic scales, in the model's units.
#[derive(Debug, Clone, PartialEq)]
pub struct Scales {
    pub time: f64,
    /// Length of each space axis.
    pub lengths: Vec<f64>,
    /// U_k of each species.
    pub species: Vec<f64>,
    /// Largest |value| of each observed column.
    pub observables: Vec<f64>,
}

#[derive(Debug, Clone, PartialEq)]
enum Kind {
    Interior,
    /// A side: the axis (input index), and for each species its Dirichlet values (`None`:
    /// zero flux).
    Side {
        axis: usize,
        dirichlet: Option<usize>,
    },
    /// Pairs of points (min end, max end) of a periodic axis.
    Periodic {
        axis: usize,
    },
    Initial,
    /// Measured rows; `term` is Data, or Ic for the rows taken as the initial condition.
    Data {
        term: Term,
        rows: Vec<usize>,
    },
}

#[derive(Debug, Clone, PartialEq)]
struct Set {
    kind: Kind,
    /// Row-major points.
    points: Vec<f64>,
    /// Per-point weight of the set's term, normalisation of the term included.
    weights: Vec<f64>,
}

/// Term weights and the time weights of causal training, for one evaluation.
#[derive(Debug, Clone, PartialEq)]
pub struct Weighting {
    pub terms: [f64; 4],
    /// Weights of the interior points by time bin (Wang, Sankaran & Perdikaris 2022), or empty.
    pub causal: Vec<f64>,
}

/// The number of time bins of causal weighting.
pub const CAUSAL_BINS: usize = 16;

/// A physics-informed fitting problem for one model (under one condition) and its data.
#[derive(Debug, Clone)]
pub struct Problem {
    model: Model,
    physics: Physics,
    unknowns: Vec<Unknown>,
    /// Dirichlet sides: which species they fix and their compiled values.
    dirichlet: Vec<(Vec<bool>, Differentiated)>,
    sets: Vec<Set>,
    spans: Vec<[f64; 2]>,
    scales: Scales,
    data: Observations,
    /// Observable index (in the data's columns) → weights per row (normalisation included).
    data_weights: Vec<Vec<f64>>,
    initial_from: InitialFrom,
    /// Species held non-negative: those measured directly, and only as values ≥ 0.
    nonnegative: Vec<bool>,
}

/// Weight of a negative value of a non-negative species at an interior point, against the
/// squared scaled residual there: min(u/U, 0)² counts 100 times as much. A smooth network
/// overshoots into negative densities beside a steep front (−6% of K in the scratch of the PC-3
/// assay at 18,000 cells/well), which logistic growth deepens and diffusion must fill: there
/// the estimate of D rose to 1050 µm²/h against the method of lines' 819; with this weight 833,
/// with 10 881.
pub const NONNEGATIVE: f64 = 100.0;

/// Block size of evaluations: even, so that the point pairs of a periodic axis stay together;
/// small, so that a block's jets stay in the L1 cache (16 points ran 20% faster than 128 in
/// pinn-bench on the DeepXDE Fisher–KPP problem).
pub const BLOCK: usize = 16;

impl Problem {
    /// The problem of fitting `model` to `data` with collocation points `points`.
    pub fn new(
        model: &Model,
        data: Observations,
        points: &Collocation,
        initial_from: InitialFrom,
    ) -> Result<Problem, Error> {
        if model.is_algebraic() || model.species.is_empty() {
            return Err(Error::Input(format!(
                "model '{}' has no species: a PINN fits differential equations",
                model.name
            )));
        }
        model
            .check_estimated_values()
            .map_err(|e| Error::Input(format!("model '{}': {e}", model.name)))?;
        let domain = piml_sampling::Domain::from_model(model)?;
        let spans: Vec<[f64; 2]> = domain.axes.iter().map(|(_, s)| *s).collect();
        let nc = spans.len();
        check_columns("data", &data.coords, nc)?;
        let observed = data
            .columns
            .iter()
            .map(|c| {
                model
                    .observables
                    .iter()
                    .position(|o| o.name == c.name)
                    .ok_or_else(|| {
                        Error::Input(format!("data column '{}' is not an observable", c.name))
                    })
            })
            .collect::<Result<Vec<_>, _>>()?;
        let rows = data.coords.first().map_or(0, Vec::len);
        if data.columns.iter().any(|c| c.values.len() != rows) {
            return Err(Error::Input("data columns differ in length".into()));
        }
        let initial_from = initial_from.resolve(model, &data);
        let unknowns = Unknown::of_model(model);
        let names: Vec<String> = unknowns.iter().map(|u| u.name.clone()).collect();
        if initial_from == InitialFrom::Hard
            && let Some((s, u)) = model.species.iter().find_map(|s| {
                names
                    .iter()
                    .find(|n| s.initial.mentions(n))
                    .map(|n| (&s.name, n))
            })
        {
            return Err(Error::Input(format!(
                "species.{s}.initial depends on the estimated parameter '{u}': a hard initial \
                 condition needs a known one (use the initial-condition loss instead)"
            )));
        }
        let physics = Physics::new(model, &names, &observed)?;
        let params = model.parameter_values();

        let time = spans[0][1] - spans[0][0];
        let lengths: Vec<f64> = spans[1..].iter().map(|[lo, hi]| hi - lo).collect();
        let observable_scales: Vec<f64> = data
            .columns
            .iter()
            .map(|c| nonzero(max_abs(&c.values)))
            .collect();
        let mut species_scales = vec![0.0f64; model.species.len()];
        for (c, &o) in data.columns.iter().zip(&observed) {
            if let Some(k) = model.measured_species(o) {
                species_scales[k] = species_scales[k].max(max_abs(&c.values));
            }
        }
        let mut out = vec![0.0; physics.initial.outputs()];
        for p in 0..points.initial.first().map_or(0, Vec::len) {
            let x: Vec<f64> = points.initial.iter().map(|c| c[p]).collect();
            physics.initial.eval(&[&x, &params], &mut out);
            for (k, s) in species_scales.iter_mut().enumerate() {
                *s = s.max(out[k].abs());
            }
        }
        let species_scales: Vec<f64> = species_scales.into_iter().map(nonzero).collect();
        let scales = Scales {
            time,
            lengths,
            species: species_scales,
            observables: observable_scales,
        };

        let mut problem = Problem {
            model: model.clone(),
            physics,
            unknowns,
            dirichlet: Vec::new(),
            sets: Vec::new(),
            spans,
            scales,
            data_weights: Vec::new(),
            nonnegative: nonnegative(model, &data, &observed),
            data,
            initial_from,
        };
        problem.data_weights = problem.data_weights()?;
        problem.build_sets(points)?;
        Ok(problem)
    }

    fn data_weights(&self) -> Result<Vec<Vec<f64>>, Error> {
        let mut all = Vec::new();
        for (o, c) in self.data.columns.iter().enumerate() {
            let observed: Vec<usize> = (0..c.values.len())
                .filter(|&r| c.values[r].is_finite())
                .collect();
            if observed.is_empty() {
                return Err(Error::Input(format!(
                    "data column '{}' has no measured value",
                    c.name
                )));
            }
            let sigma = |r: usize| c.sigma.as_ref().map_or(1.0, |s| s[r]);
            if let Some(r) = observed
                .iter()
                .find(|&&r| sigma(r).partial_cmp(&0.0) != Some(std::cmp::Ordering::Greater))
            {
                return Err(Error::Input(format!(
                    "data row {}: sigma_{} = {} is not positive",
                    r + 1,
                    c.name,
                    sigma(*r)
                )));
            }
            // Weights (σ̄/σ)², mean one over the measured rows, so that the term is a mean
            // squared error in units of the observable's scale.
            let mean_inv: f64 =
                observed.iter().map(|&r| sigma(r).powi(-2)).sum::<f64>() / observed.len() as f64;
            let y = self.scales.observables[o];
            let mut w = vec![0.0; c.values.len()];
            for &r in &observed {
                w[r] = sigma(r).powi(-2) / mean_inv / (observed.len() as f64 * y * y);
            }
            all.push(w);
        }
        Ok(all)
    }

    /// The point sets, in evaluator order.
    fn build_sets(&mut self, points: &Collocation) -> Result<(), Error> {
        let nc = self.spans.len();
        let mut sets = Vec::new();
        let interior = to_points("interior", &points.interior, nc)?;
        if interior.is_empty() {
            return Err(Error::Input("no interior collocation points".into()));
        }
        sets.push(Set {
            weights: normalised(&points.interior_weights, interior.len() / nc),
            kind: Kind::Interior,
            points: interior,
        });
        let boundary = to_points("boundary", &points.boundary, nc)?;
        sets.extend(self.side_sets(&boundary, &points.boundary_weights)?);
        let t0 = self.spans[0][0];
        match self.initial_from {
            // (`Auto` was resolved to one of the others in `Problem::new`.)
            InitialFrom::Model | InitialFrom::Auto => {
                let initial = to_points("initial", &points.initial, nc)?;
                if initial.is_empty() {
                    return Err(Error::Input("no initial collocation points".into()));
                }
                sets.push(Set {
                    weights: normalised(&points.initial_weights, initial.len() / nc),
                    kind: Kind::Initial,
                    points: initial,
                });
            }
            InitialFrom::Data => {
                let rows = piml_model::rows_at(&self.data.coords[0], t0);
                if rows.is_empty() {
                    return Err(Error::Input(format!(
                        "the initial condition is to come from the data, but no row has t = {t0}"
                    )));
                }
                sets.push(self.data_set(Term::Ic, rows));
            }
            InitialFrom::Hard => {}
        }
        let rows: Vec<usize> = (0..self.data.coords[0].len())
            .filter(|&r| self.initial_from != InitialFrom::Data || self.data.coords[0][r] != t0)
            .collect();
        if !rows.is_empty() {
            sets.push(self.data_set(Term::Data, rows));
        }
        self.sets = sets;
        Ok(())
    }

    fn data_set(&self, term: Term, rows: Vec<usize>) -> Set {
        let points = rows
            .iter()
            .flat_map(|&r| self.data.coords.iter().map(move |c| c[r]))
            .collect();
        Set {
            kind: Kind::Data { term, rows },
            points,
            weights: Vec::new(),
        }
    }

    /// Boundary points assigned to the side they lie on, and periodic pairs.
    fn side_sets(&mut self, points: &[f64], weights: &Option<Vec<f64>>) -> Result<Vec<Set>, Error> {
        let nc = self.spans.len();
        let n = points.len() / nc;
        let w = normalised(weights, n);
        let mut sets = Vec::new();
        let unknowns: Vec<String> = self.unknowns.iter().map(|u| u.name.clone()).collect();
        let mut claimed = vec![false; n];
        for (a, boundary) in self.model.boundary.clone().iter().enumerate() {
            let axis = a + 1;
            let [lo, hi] = self.spans[axis];
            let tol = 1e-9 * (hi - lo);
            match boundary {
                AxisBoundary::Sides { min, max } => {
                    for (end, side) in [(lo, min), (hi, max)] {
                        let dirichlet = match side {
                            SideCondition::Neumann => None,
                            SideCondition::Dirichlet(values) => {
                                let fixed: Vec<bool> = self
                                    .physics
                                    .symbols
                                    .species
                                    .iter()
                                    .map(|s| values.iter().any(|(n, _)| n == s))
                                    .collect();
                                let exprs: Vec<piml_model::Expr> = self
                                    .physics
                                    .symbols
                                    .species
                                    .iter()
                                    .map(|s| {
                                        values
                                            .iter()
                                            .find(|(n, _)| n == s)
                                            .map_or(piml_model::Expr::Num(0.0), |(_, e)| e.clone())
                                    })
                                    .collect();
                                let compiled = self.physics.dirichlet(&exprs, &unknowns)?;
                                self.dirichlet.push((fixed, compiled));
                                Some(self.dirichlet.len() - 1)
                            }
                        };
                        let mut pts = Vec::new();
                        let mut ws = Vec::new();
                        for p in 0..n {
                            if !claimed[p] && (points[p * nc + axis] - end).abs() <= tol {
                                claimed[p] = true;
                                pts.extend_from_slice(&points[p * nc..(p + 1) * nc]);
                                ws.push(w[p]);
                            }
                        }
                        if !ws.is_empty() {
                            sets.push(Set {
                                kind: Kind::Side { axis, dirichlet },
                                points: pts,
                                weights: ws,
                            });
                        }
                    }
                }
                AxisBoundary::Periodic => {
                    // Each boundary point on either end is paired with its image on the other.
                    let mut pts = Vec::new();
                    let mut ws = Vec::new();
                    for p in 0..n {
                        let v = points[p * nc + axis];
                        if !claimed[p] && ((v - lo).abs() <= tol || (v - hi).abs() <= tol) {
                            claimed[p] = true;
                            for end in [lo, hi] {
                                pts.extend_from_slice(&points[p * nc..(p + 1) * nc]);
                                let last = pts.len() - nc + axis;
                                pts[last] = end;
                            }
                            ws.extend([w[p], 0.0]);
                        }
                    }
                    if !ws.is_empty() {
                        sets.push(Set {
                            kind: Kind::Periodic { axis },
                            points: pts,
                            weights: ws,
                        });
                    }
                }
            }
        }
        if let Some(p) = claimed.iter().position(|c| !c) {
            return Err(Error::Input(format!(
                "boundary point {} ({:?}) lies on no side of the domain",
                p + 1,
                &points[p * nc..(p + 1) * nc]
            )));
        }
        Ok(sets)
    }

    /// The point sets of an evaluator, with the u0 jets a hard initial condition needs.
    pub fn point_sets(&self) -> Result<Vec<PointSet>, Error> {
        let nc = self.spans.len();
        let params = self.model.parameter_values();
        self.sets
            .iter()
            .map(|set| {
                let spec = match set.kind {
                    Kind::Interior => {
                        let space: Vec<usize> = (1..nc).collect();
                        let all: Vec<usize> = (0..nc).collect();
                        JetSpec::new(&all, &space)?
                    }
                    Kind::Side { axis, .. } | Kind::Periodic { axis } => {
                        JetSpec::new(&[axis], &[])?
                    }
                    Kind::Initial | Kind::Data { .. } => JetSpec::value(),
                };
                let mut ps = PointSet::new(set.points.clone(), spec.clone());
                if self.initial_from == InitialFrom::Hard {
                    ps = ps.with_initial(self.u0_jets(&set.points, &spec, &params));
                }
                Ok(ps)
            })
            .collect()
    }

    /// u0/U and its derivatives at `points` in the streams of `spec` (points × streams ×
    /// species): ∂u0/∂t = 0; space derivatives from the symbolic ones.
    fn u0_jets(&self, points: &[f64], spec: &JetSpec, params: &[f64]) -> Vec<f64> {
        let nc = self.spans.len();
        let ns = self.model.species.len();
        let tape = &self.physics.initial_jets;
        let mut out = vec![0.0; tape.outputs()];
        let mut jets = Vec::with_capacity(points.len() / nc * spec.streams() * ns);
        for x in points.chunks_exact(nc) {
            tape.eval(&[x, params], &mut out);
            let at = |block: usize, k: usize| out[block * ns + k] / self.scales.species[k];
            for k in 0..ns {
                jets.push(at(0, k));
            }
            for &c in spec.first() {
                for k in 0..ns {
                    jets.push(if c == 0 { 0.0 } else { at(c, k) });
                }
            }
            for &c in spec.second() {
                for k in 0..ns {
                    jets.push(at(nc - 1 + c, k));
                }
            }
        }
        jets
    }

    /// The model's initial values at `points` (row-major), points × species, at the model's
    /// parameter values.
    pub fn initial_values(&self, points: &[f64]) -> Vec<f64> {
        let nc = self.spans.len();
        let ns = self.model.species.len();
        let params = self.model.parameter_values();
        let tape = &self.physics.initial;
        let mut out = vec![0.0; tape.outputs()];
        let mut u0 = Vec::with_capacity(points.len() / nc * ns);
        for x in points.chunks_exact(nc) {
            tape.eval(&[x, &params], &mut out);
            u0.extend_from_slice(&out[..ns]);
        }
        u0
    }

    /// Replaces the interior points (residual-based resampling).
    pub fn set_interior(&mut self, columns: &[Vec<f64>]) -> Result<(), Error> {
        let nc = self.spans.len();
        let points = to_points("interior", columns, nc)?;
        let n = points.len() / nc;
        self.sets[0] = Set {
            kind: Kind::Interior,
            points,
            weights: vec![1.0 / n as f64; n],
        };
        Ok(())
    }

    pub fn model(&self) -> &Model {
        &self.model
    }

    pub fn unknowns(&self) -> &[Unknown] {
        &self.unknowns
    }

    pub fn scales(&self) -> &Scales {
        &self.scales
    }

    pub fn spans(&self) -> &[[f64; 2]] {
        &self.spans
    }

    pub fn initial_from(&self) -> InitialFrom {
        self.initial_from
    }

    /// Names of the species held non-negative (see [`NONNEGATIVE`]).
    pub fn nonnegative_species(&self) -> Vec<&str> {
        self.physics
            .symbols
            .species
            .iter()
            .zip(&self.nonnegative)
            .filter(|(_, n)| **n)
            .map(|(s, _)| s.as_str())
            .collect()
    }

    /// The number of distinct points measured at the start of the span that the initial
    /// condition was fitted to ([`InitialFrom::Data`]; 0 otherwise): the values the network's
    /// initial condition estimated.
    pub fn initial_values_from_data(&self) -> usize {
        let nc = self.spans.len();
        let mut points: Vec<&[f64]> = self
            .sets
            .iter()
            .filter(|s| matches!(s.kind, Kind::Data { term: Term::Ic, .. }))
            .flat_map(|s| s.points.chunks_exact(nc))
            .collect();
        points.sort_by(|a, b| {
            a.iter()
                .zip(*b)
                .map(|(x, y)| x.total_cmp(y))
                .find(|o| o.is_ne())
                .unwrap_or(std::cmp::Ordering::Equal)
        });
        points.dedup();
        points.len()
    }

    /// The interior points, row-major.
    pub fn interior(&self) -> &[f64] {
        &self.sets[0].points
    }

    /// Names of the species (the network's outputs) and the coordinates (its inputs).
    pub fn species(&self) -> &[String] {
        &self.physics.symbols.species
    }

    pub fn coordinates(&self) -> &[String] {
        &self.physics.symbols.coords
    }

    /// Which terms have points.
    pub fn has_term(&self, term: Term) -> bool {
        self.sets.iter().any(|s| self.term_of(&s.kind) == term)
    }

    /// The term of the evaluator's point set `set` (see [`Problem::point_sets`]).
    pub fn term_of_set(&self, set: usize) -> Term {
        self.term_of(&self.sets[set].kind)
    }

    fn term_of(&self, kind: &Kind) -> Term {
        match kind {
            Kind::Interior => Term::Pde,
            Kind::Side { .. } | Kind::Periodic { .. } => Term::Bc,
            Kind::Initial => Term::Ic,
            Kind::Data { term, .. } => *term,
        }
    }

    /// All model parameter values with the unknowns at θ(φ), and dθ/dφ of each unknown.
    pub fn parameters(&self, phi: &[f64]) -> (Vec<f64>, Vec<f64>) {
        let mut values = self.model.parameter_values();
        let mut slopes = Vec::with_capacity(phi.len());
        for (u, &f) in self.unknowns.iter().zip(phi) {
            values[u.index] = u.value(f);
            slopes.push(u.slope(f));
        }
        (values, slopes)
    }

    /// The loss of one block of points, ∂L/∂(jets) into `grads` and ∂L/∂φ added into `dphi`.
    pub fn block_loss(
        &self,
        jets: &Jets<'_>,
        grads: &mut JetGrads<'_>,
        dphi: &mut [f64],
        weighting: &Weighting,
        params: &(Vec<f64>, Vec<f64>),
    ) -> f64 {
        let set = &self.sets[jets.set];
        let lambda = weighting.terms[self.term_of(&set.kind).index()];
        if lambda == 0.0 {
            return 0.0;
        }
        let block = Block {
            problem: self,
            set,
            jets,
            lambda,
            params: &params.0,
            slopes: &params.1,
        };
        match set.kind {
            Kind::Interior => block.interior(grads, dphi, &weighting.causal),
            Kind::Side { axis, dirichlet } => block.side(axis, dirichlet, grads, dphi),
            Kind::Periodic { axis } => block.periodic(axis, grads),
            Kind::Initial => block.initial(grads, dphi),
            Kind::Data { ref rows, .. } => block.data(rows, grads, dphi),
        }
    }

    /// The residual of every species at every interior point (physical units, points ×
    /// species), from the interior jets of [`piml_nn::Evaluator::jets`].
    pub fn residuals(&self, jets: &[f64], params: &[f64]) -> Vec<f64> {
        let ns = self.model.species.len();
        let streams = self.physics.symbols.streams();
        let nc = self.spans.len();
        let tape = &self.physics.residual;
        let mut jet = vec![0.0; ns * streams];
        let mut out = vec![0.0; tape.outputs()];
        let mut r = Vec::with_capacity(self.interior().len() / nc * ns);
        for (p, x) in self.interior().chunks_exact(nc).enumerate() {
            for j in 0..ns {
                for s in 0..streams {
                    jet[j * streams + s] =
                        self.scales.species[j] * jets[(p * streams + s) * ns + j];
                }
            }
            tape.eval(&[x, params, &jet], &mut out);
            r.extend_from_slice(&out[..ns]);
        }
        r
    }

    /// The size of the residual at every interior point: the norm of the scaled residuals
    /// r_i·T/U_i over the species (what residual-based resampling weighs points by).
    pub fn residual_sizes(&self, residuals: &[f64]) -> Vec<f64> {
        let s = &self.scales;
        residuals
            .chunks_exact(s.species.len())
            .map(|r| {
                r.iter()
                    .zip(&s.species)
                    .map(|(v, u)| (v * s.time / u).powi(2))
                    .sum::<f64>()
                    .sqrt()
            })
            .collect()
    }

    /// Time weights of causal training from the residuals of [`Problem::residuals`]:
    /// w_k = exp(−ε Σ_{j<k} L_j), L_j the mean scaled squared residual in time bin j.
    pub fn causal_weights(&self, residuals: &[f64], eps: f64) -> Vec<f64> {
        let ns = self.model.species.len();
        let nc = self.spans.len();
        let mut sums = [0.0; CAUSAL_BINS];
        let mut counts = [0usize; CAUSAL_BINS];
        for (p, x) in self.interior().chunks_exact(nc).enumerate() {
            let b = self.bin(x[0]);
            counts[b] += 1;
            for i in 0..ns {
                let r = residuals[p * ns + i] * self.scales.time / self.scales.species[i];
                sums[b] += r * r;
            }
        }
        let mut acc = 0.0;
        (0..CAUSAL_BINS)
            .map(|b| {
                let w = (-eps * acc).exp();
                acc += sums[b] / counts[b].max(1) as f64;
                w
            })
            .collect()
    }

    fn bin(&self, t: f64) -> usize {
        let [lo, hi] = self.spans[0];
        (((t - lo) / (hi - lo) * CAUSAL_BINS as f64) as usize).min(CAUSAL_BINS - 1)
    }
}

/// Work areas of the residual of a block: blocks run in parallel, each thread has its own.
#[derive(Default)]
struct Residuals {
    /// The tape's inputs, stacked input after input.
    inputs: Vec<f64>,
    /// Its outputs, likewise.
    out: Vec<f64>,
    work: Vec<f64>,
    /// Each point's weight.
    weights: Vec<f64>,
    /// ∂L/∂r_i at each point.
    dr: Vec<f64>,
}

thread_local! {
    static RESIDUALS: std::cell::RefCell<Residuals> = std::cell::RefCell::default();
}

/// One block's share of the loss.
struct Block<'a> {
    problem: &'a Problem,
    set: &'a Set,
    jets: &'a Jets<'a>,
    lambda: f64,
    params: &'a [f64],
    slopes: &'a [f64],
}

impl Block<'_> {
    fn weight(&self, p: usize) -> f64 {
        self.lambda * self.set.weights[self.jets.start + p]
    }

    fn scale(&self, k: usize) -> f64 {
        self.problem.scales.species[k]
    }

    fn interior(&self, grads: &mut JetGrads<'_>, dphi: &mut [f64], causal: &[f64]) -> f64 {
        let pr = self.problem;
        let ns = pr.model.species.len();
        let streams = pr.physics.symbols.streams();
        let tape = &pr.physics.residual;
        let n = self.jets.len();
        RESIDUALS.with_borrow_mut(
            |Residuals {
                 inputs,
                 out,
                 work,
                 weights,
                 dr,
             }| {
                // The whole block through the tape at once, in the tape's input order:
                // coordinates, parameters, then the jets of each species in model units.
                inputs.clear();
                for c in 0..pr.spans.len() {
                    inputs.extend((0..n).map(|p| self.jets.point(p)[c]));
                }
                for &v in self.params {
                    inputs.extend(std::iter::repeat_n(v, n));
                }
                for j in 0..ns {
                    for s in 0..streams {
                        inputs.extend((0..n).map(|p| self.scale(j) * self.jets.get(s, p, j)));
                    }
                }
                out.resize(tape.outputs() * n, 0.0);
                tape.eval_stacked(inputs, n, out, work);
                let column = |output: usize| &out[output * n..(output + 1) * n];
                weights.clear();
                weights.extend((0..n).map(|p| match causal {
                    [] => self.weight(p),
                    _ => self.weight(p) * causal[pr.bin(self.jets.point(p)[0])],
                }));
                let mut loss = 0.0;
                for i in 0..ns {
                    let scale = (pr.scales.time / self.scale(i)).powi(2);
                    dr.clear();
                    for (&r, &w) in column(i).iter().zip(weights.iter()) {
                        let c = w * scale;
                        loss += c * r * r;
                        dr.push(2.0 * c * r);
                    }
                    for j in 0..ns {
                        for s in 0..streams {
                            let d = column(tape.jacobian_output(i, j * streams + s));
                            // Most jets do not enter most residuals: a column of zeros.
                            if d.iter().all(|&d| d == 0.0) {
                                continue;
                            }
                            for (p, (&dr, &d)) in dr.iter().zip(d).enumerate() {
                                *grads.get_mut(s, p, j) += dr * d * self.scale(j);
                            }
                        }
                    }
                    for (u, g) in dphi.iter_mut().enumerate() {
                        let d = column(tape.jacobian_output(i, ns * streams + u));
                        for (&dr, &d) in dr.iter().zip(d) {
                            *g += dr * d * self.slopes[u];
                        }
                    }
                }
                for j in (0..ns).filter(|&j| pr.nonnegative[j]) {
                    for (p, &w) in weights.iter().enumerate() {
                        let v = self.jets.get(0, p, j);
                        if v < 0.0 {
                            loss += NONNEGATIVE * w * v * v;
                            *grads.get_mut(0, p, j) += 2.0 * NONNEGATIVE * w * v;
                        }
                    }
                }
                loss
            },
        )
    }

    fn side(
        &self,
        axis: usize,
        dirichlet: Option<usize>,
        grads: &mut JetGrads<'_>,
        dphi: &mut [f64],
    ) -> f64 {
        let pr = self.problem;
        let ns = pr.model.species.len();
        let length = pr.scales.lengths[axis - 1];
        let fixed = dirichlet.map(|d| &pr.dirichlet[d]);
        let mut out = vec![0.0; fixed.map_or(0, |(_, t)| t.outputs())];
        let mut loss = 0.0;
        for p in 0..self.jets.len() {
            let w = self.weight(p);
            if let Some((_, tape)) = fixed {
                tape.eval(&[self.jets.point(p), self.params], &mut out);
            }
            for k in 0..ns {
                match fixed {
                    Some((species, tape)) if species[k] => {
                        let d = self.jets.value(p, k) - out[k] / self.scale(k);
                        loss += w * d * d;
                        *grads.value(p, k) += 2.0 * w * d;
                        for (u, g) in dphi.iter_mut().enumerate() {
                            *g -= 2.0 * w * d * tape.jacobian(&out, k, u) / self.scale(k)
                                * self.slopes[u];
                        }
                    }
                    _ => {
                        // Zero flux: ∂u/∂n = 0, in units of U_k/L.
                        let d = self.jets.first(axis, p, k) * length;
                        loss += w * d * d;
                        *grads.first(axis, p, k) += 2.0 * w * d * length;
                    }
                }
            }
        }
        loss
    }

    fn periodic(&self, axis: usize, grads: &mut JetGrads<'_>) -> f64 {
        let ns = self.problem.model.species.len();
        let length = self.problem.scales.lengths[axis - 1];
        let mut loss = 0.0;
        for p in (0..self.jets.len()).step_by(2) {
            let w = self.weight(p);
            for k in 0..ns {
                let d0 = self.jets.value(p, k) - self.jets.value(p + 1, k);
                let d1 = (self.jets.first(axis, p, k) - self.jets.first(axis, p + 1, k)) * length;
                loss += w * (d0 * d0 + d1 * d1);
                *grads.value(p, k) += 2.0 * w * d0;
                *grads.value(p + 1, k) -= 2.0 * w * d0;
                *grads.first(axis, p, k) += 2.0 * w * d1 * length;
                *grads.first(axis, p + 1, k) -= 2.0 * w * d1 * length;
            }
        }
        loss
    }

    fn initial(&self, grads: &mut JetGrads<'_>, dphi: &mut [f64]) -> f64 {
        let pr = self.problem;
        let ns = pr.model.species.len();
        let tape = &pr.physics.initial;
        let mut out = vec![0.0; tape.outputs()];
        let mut loss = 0.0;
        for p in 0..self.jets.len() {
            let w = self.weight(p);
            tape.eval(&[self.jets.point(p), self.params], &mut out);
            for k in 0..ns {
                let d = self.jets.value(p, k) - out[k] / self.scale(k);
                loss += w * d * d;
                *grads.value(p, k) += 2.0 * w * d;
                for (u, g) in dphi.iter_mut().enumerate() {
                    *g -= 2.0 * w * d * tape.jacobian(&out, k, u) / self.scale(k) * self.slopes[u];
                }
            }
        }
        loss
    }

    fn data(&self, rows: &[usize], grads: &mut JetGrads<'_>, dphi: &mut [f64]) -> f64 {
        let pr = self.problem;
        let ns = pr.model.species.len();
        let tape = &pr.physics.observables;
        let mut u = vec![0.0; ns];
        let mut out = vec![0.0; tape.outputs()];
        let mut loss = 0.0;
        for p in 0..self.jets.len() {
            let row = rows[self.jets.start + p];
            for (k, v) in u.iter_mut().enumerate() {
                *v = self.scale(k) * self.jets.value(p, k);
            }
            tape.eval(&[self.jets.point(p), self.params, &u], &mut out);
            for (o, column) in pr.data.columns.iter().enumerate() {
                let y = column.values[row];
                if !y.is_finite() {
                    continue;
                }
                let w = self.lambda * pr.data_weights[o][row];
                let d = out[o] - y;
                loss += w * d * d;
                let dd = 2.0 * w * d;
                for k in 0..ns {
                    *grads.value(p, k) += dd * tape.jacobian(&out, o, k) * self.scale(k);
                }
                for (q, g) in dphi.iter_mut().enumerate() {
                    *g += dd * tape.jacobian(&out, o, ns + q) * self.slopes[q];
                }
            }
        }
        loss
    }
}

/// Which species are non-negative: measured directly by an observed column (its expression is
/// the species itself) whose values are all ≥ 0.
fn nonnegative(model: &Model, data: &Observations, observed: &[usize]) -> Vec<bool> {
    let mut flags = vec![false; model.species.len()];
    let mut negative = vec![false; model.species.len()];
    for (c, &o) in data.columns.iter().zip(observed) {
        if let Some(k) = model.measured_species(o) {
            flags[k] = true;
            negative[k] |= c.values.iter().any(|v| *v < 0.0);
        }
    }
    flags.iter().zip(negative).map(|(f, n)| *f && !n).collect()
}

fn check_columns(what: &str, columns: &[Vec<f64>], nc: usize) -> Result<(), Error> {
    if columns.len() != nc {
        return Err(Error::Input(format!(
            "{what}: {} coordinate columns, the model has {nc} (t and its space axes)",
            columns.len()
        )));
    }
    Ok(())
}

/// Columns (one per coordinate) to row-major points.
fn to_points(what: &str, columns: &[Vec<f64>], nc: usize) -> Result<Vec<f64>, Error> {
    if columns.is_empty() {
        return Ok(Vec::new());
    }
    check_columns(what, columns, nc)?;
    let n = columns[0].len();
    if columns.iter().any(|c| c.len() != n) {
        return Err(Error::Input(format!(
            "{what}: coordinate columns differ in length"
        )));
    }
    Ok((0..n)
        .flat_map(|p| columns.iter().map(move |c| c[p]))
        .collect())
}

/// Per-point weights with mean 1/n·(n/Σw)·w: the term is a weighted mean.
fn normalised(weights: &Option<Vec<f64>>, n: usize) -> Vec<f64> {
    match weights {
        Some(w) => {
            let total: f64 = w.iter().sum();
            w.iter().map(|v| v / total).collect()
        }
        None => vec![1.0 / n.max(1) as f64; n],
    }
}

fn max_abs(v: &[f64]) -> f64 {
    v.iter()
        .filter(|x| x.is_finite())
        .fold(0.0f64, |m, x| m.max(x.abs()))
}

fn nonzero(s: f64) -> f64 {
    if s > 0.0 && s.is_finite() { s } else { 1.0 }
}
