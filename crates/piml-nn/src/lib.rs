//! Neural networks for physics-informed fitting: multilayer perceptrons whose input
//! derivatives are propagated forward through the layers, one hand-written reverse pass,
//! the Adam and L-BFGS optimisers, and safetensors weights files.
//!
//! An [`Mlp`] is built from an [`Architecture`]; an [`Evaluator`] holds the [`PointSet`]s
//! (each with the [`JetSpec`] of derivatives it needs: u, u_t, ∇u, diagonal ∇²u) and computes
//! any loss of those jets and its gradient with respect to the network's parameters and extra
//! physical parameters in one flat vector, which [`Adam`] or [`Lbfgs`] then optimise. The pass
//! runs in f64, or in f32 ([`Precision`]) with the parameters, loss and gradient still in f64.
#![deny(clippy::print_stdout, clippy::print_stderr)]

mod activation;
mod adam;
mod error;
mod evaluator;
mod gemm;
mod mlp;
mod pass;
mod points;
mod real;
mod weights;

pub use activation::{Activation, tanh};
pub use adam::{Adam, Schedule};
pub use error::Error;
pub use evaluator::{BlockLoss, DEFAULT_BLOCK_SIZE, Evaluator, Precision};
pub use gemm::{
    PANEL_ROWS_F32, PANEL_ROWS_F64, Panel, Start, Strided, dots_f32, dots_f64, product_f32,
    product_f64,
};
pub use mlp::{Architecture, FourierFeatures, Mlp, OutputTransform};
pub use piml_optim::{Lbfgs, LbfgsResult, Transform};
pub use points::{JetGrads, JetSpec, Jets, PointSet};
