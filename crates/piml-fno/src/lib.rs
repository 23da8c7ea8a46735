//! Fourier neural operators (Li et al. 2021) for piml: the map from initial fields to later
//! fields of a reaction–diffusion model, learned from simulated ensembles.
//!
//! Spectral convolutions run on real FFTs (realfft, rustfft) over the kept modes only; the
//! reverse pass is written by hand through the adjoints of the truncated transforms. A pass
//! runs on several samples at once, so that pointwise channel mixing and spectral mixing are
//! large matrix products; training uses piml-nn's Adam with rayon across fixed groups of a
//! batch's samples and a fixed reduction order, resumable bit for bit from a [`TrainState`].

mod checkpoint;
mod error;
mod gelu;
mod gemm;
mod model;
mod real;
mod spectral;
mod train;
mod weights;

pub use error::Error;
pub use model::{Config, Fno, Tape};
pub use real::Real;
pub use spectral::{Modes, Scratch, Transforms};
pub use train::{
    Dataset, Ending, Epoch, Monitor, Position, Precision, Settings, TrainState, errors, predict,
    relative_l2, train, train_from,
};
