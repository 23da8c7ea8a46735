//! The multilayer perceptron: architecture, parameter layout, seeded initialisation.

use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;
use rand_distr::{Distribution, Normal};

use crate::{Activation, Error, Evaluator, JetSpec, PointSet};

/// Random Fourier features of the scaled inputs: [cos(2πBξ), sin(2πBξ)] with B ~ N(0, σ²)
/// drawn once at initialisation and not trained (Tancik et al. 2020, eq. 5).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct FourierFeatures {
    /// Number of frequencies m (the embedding has 2m entries).
    pub features: usize,
    /// Standard deviation σ of the entries of B.
    pub sigma: f64,
}

/// A transform of the network output N that imposes a constraint exactly.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OutputTransform {
    /// u = N.
    Identity,
    /// u = u0(x) + τ·N(x, t) with τ = (t − t_lo)/(t_hi − t_lo) from the span of input `time`:
    /// u(x, t_lo) = u0(x) exactly (Lagaris et al. 1998, eq. 11). The caller supplies u0 and its
    /// derivatives at every point ([`PointSet::with_initial`]).
    InitialCondition {
        /// Index of the time coordinate among the inputs.
        time: usize,
    },
}

/// The shape of a network: inputs and their spans, hidden widths, outputs, activation,
/// embedding and output transform.
#[derive(Debug, Clone, PartialEq)]
pub struct Architecture {
    /// Span [lo, hi] of each input; inputs are scaled to [−1, 1] from them.
    pub spans: Vec<[f64; 2]>,
    /// Widths of the hidden layers.
    pub hidden: Vec<usize>,
    /// Number of outputs (one per species).
    pub outputs: usize,
    /// Activation of every hidden layer; the output layer is linear.
    pub activation: Activation,
    /// Optional Fourier-feature embedding of the scaled inputs.
    pub fourier: Option<FourierFeatures>,
    /// Output transform.
    pub transform: OutputTransform,
}

impl Architecture {
    /// A tanh network with these input spans, hidden widths and outputs, no embedding, no transform.
    pub fn new(spans: Vec<[f64; 2]>, hidden: Vec<usize>, outputs: usize) -> Architecture {
        Architecture {
            spans,
            hidden,
            outputs,
            activation: Activation::Tanh,
            fourier: None,
            transform: OutputTransform::Identity,
        }
    }

    /// The same architecture with another activation.
    pub fn activation(mut self, activation: Activation) -> Architecture {
        self.activation = activation;
        self
    }

    /// The same architecture with a Fourier-feature embedding of `features` frequencies.
    pub fn fourier(mut self, features: usize, sigma: f64) -> Architecture {
        self.fourier = Some(FourierFeatures { features, sigma });
        self
    }

    /// The same architecture with a hard initial condition in input `time`.
    pub fn initial_condition(mut self, time: usize) -> Architecture {
        self.transform = OutputTransform::InitialCondition { time };
        self
    }

    /// Number of inputs (coordinates).
    pub fn inputs(&self) -> usize {
        self.spans.len()
    }

    /// Width of the input to the first dense layer: the inputs, or 2m Fourier features.
    pub fn embedding_width(&self) -> usize {
        self.fourier.map_or(self.inputs(), |f| 2 * f.features)
    }

    fn validate(&self) -> Result<(), Error> {
        let bad = |m: String| Err(Error::Architecture(m));
        if self.spans.is_empty() {
            return bad("the network needs at least one input".into());
        }
        for (i, [lo, hi]) in self.spans.iter().enumerate() {
            if !(lo.is_finite() && hi.is_finite() && hi > lo) {
                return bad(format!("input {i}: span [{lo}, {hi}] is not an interval"));
            }
        }
        if self.outputs == 0 {
            return bad("the network needs at least one output".into());
        }
        if let Some(i) = self.hidden.iter().position(|&w| w == 0) {
            return bad(format!("hidden layer {i} has width 0"));
        }
        if let Some(f) = self.fourier
            && (f.features == 0 || !(f.sigma.is_finite() && f.sigma > 0.0))
        {
            return bad(format!(
                "Fourier features need m ≥ 1 and σ > 0, got m = {}, σ = {}",
                f.features, f.sigma
            ));
        }
        if let OutputTransform::InitialCondition { time } = self.transform
            && time >= self.inputs()
        {
            return bad(format!(
                "time input {time} of the initial-condition transform is not one of the {} inputs",
                self.inputs()
            ));
        }
        Ok(())
    }
}

/// Where a dense layer's weights (row-major, n_out × n_in, as PyTorch's `Linear.weight`) and
/// biases live in the flat parameter vector.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Layer {
    pub n_in: usize,
    pub n_out: usize,
    pub weight: usize,
    pub bias: usize,
}

/// A multilayer perceptron with its parameters in one flat vector (layer by layer: weights, then biases).
#[derive(Debug, Clone, PartialEq)]
pub struct Mlp {
    arch: Architecture,
    fourier: Vec<f64>,
    layers: Vec<Layer>,
    params: Vec<f64>,
}

impl Mlp {
    /// A network with Glorot-normal weights, N(0, 2/(fan_in + fan_out)) (Glorot & Bengio 2010,
    /// eq. 16 in its normal form), zero biases, and the Fourier matrix drawn first, all from a
    /// ChaCha8 generator seeded with `seed`.
    pub fn new(arch: Architecture, seed: u64) -> Result<Mlp, Error> {
        arch.validate()?;
        let mut rng = ChaCha8Rng::seed_from_u64(seed);
        let mut draw = |sigma: f64, out: &mut [f64]| {
            let normal = Normal::new(0.0, sigma).expect("a positive finite standard deviation");
            out.iter_mut().for_each(|v| *v = normal.sample(&mut rng));
        };
        let mut fourier = vec![0.0; arch.fourier.map_or(0, |f| f.features) * arch.inputs()];
        if let Some(f) = arch.fourier {
            draw(f.sigma, &mut fourier);
        }
        let layers = layout(&arch);
        let mut params = vec![0.0; n_params(&layers)];
        for l in &layers {
            let std = (2.0 / (l.n_in + l.n_out) as f64).sqrt();
            draw(std, &mut params[l.weight..l.bias]);
        }
        Ok(Mlp {
            arch,
            fourier,
            layers,
            params,
        })
    }

    /// A network from its parts (as read from a weights file).
    pub(crate) fn from_parts(
        arch: Architecture,
        fourier: Vec<f64>,
        params: Vec<f64>,
    ) -> Result<Mlp, Error> {
        arch.validate()?;
        let layers = layout(&arch);
        let expected = (
            n_params(&layers),
            arch.fourier.map_or(0, |f| f.features) * arch.inputs(),
        );
        if (params.len(), fourier.len()) != expected {
            return Err(Error::Weights(format!(
                "{} parameters and {} Fourier entries do not fit the architecture ({} and {})",
                params.len(),
                fourier.len(),
                expected.0,
                expected.1
            )));
        }
        Ok(Mlp {
            arch,
            fourier,
            layers,
            params,
        })
    }

    /// The architecture.
    pub fn architecture(&self) -> &Architecture {
        &self.arch
    }

    /// The parameters: for each dense layer its weights (row-major, n_out × n_in) then biases.
    pub fn params(&self) -> &[f64] {
        &self.params
    }

    /// The parameters, to be changed in place (for example by an optimiser).
    pub fn params_mut(&mut self) -> &mut [f64] {
        &mut self.params
    }

    /// Number of trainable parameters.
    pub fn n_params(&self) -> usize {
        self.params.len()
    }

    /// The Fourier matrix B (m × inputs, row-major); empty without an embedding.
    pub fn fourier_matrix(&self) -> &[f64] {
        &self.fourier
    }

    /// Shapes (n_out, n_in) of the dense layers, input to output.
    pub fn layer_shapes(&self) -> Vec<(usize, usize)> {
        self.layers.iter().map(|l| (l.n_out, l.n_in)).collect()
    }

    pub(crate) fn layers(&self) -> &[Layer] {
        &self.layers
    }

    /// The outputs u at `points` (row-major, n × inputs), as an n × outputs row-major vector.
    /// `initial` holds u0 at each point (n × outputs) when the network has a hard initial condition.
    pub fn predict(&self, points: &[f64], initial: Option<&[f64]>) -> Result<Vec<f64>, Error> {
        let mut set = PointSet::new(points.to_vec(), JetSpec::value());
        if let Some(u0) = initial {
            set = set.with_initial(u0.to_vec());
        }
        Evaluator::new(self, vec![set], 0)?.jets(&self.params, 0)
    }
}

/// The dense layers of an architecture and where their parameters live.
pub(crate) fn layout(arch: &Architecture) -> Vec<Layer> {
    let widths = std::iter::once(arch.embedding_width())
        .chain(arch.hidden.iter().copied())
        .chain(std::iter::once(arch.outputs))
        .collect::<Vec<_>>();
    let mut offset = 0;
    widths
        .windows(2)
        .map(|w| {
            let l = Layer {
                n_in: w[0],
                n_out: w[1],
                weight: offset,
                bias: offset + w[0] * w[1],
            };
            offset = l.bias + l.n_out;
            l
        })
        .collect()
}

fn n_params(layers: &[Layer]) -> usize {
    layers.last().map_or(0, |l| l.bias + l.n_out)
}
