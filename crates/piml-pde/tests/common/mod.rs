//! Model documents and helpers shared by the test files.
#![allow(dead_code)]

use piml_model::Model;
use piml_pde::{Grid, ReactionDiffusion};

pub fn model(json: &str) -> Model {
    Model::from_json_str(json, "test model").expect("test model is valid")
}

/// The model on a grid with its own parameter values.
pub fn discretise(json: &str, cells: &[usize]) -> ReactionDiffusion {
    let model = model(json);
    let grid = Grid::new(&model, cells).expect("grid fits the model");
    ReactionDiffusion::new(&model, grid, &model.parameter_values()).expect("model discretises")
}

/// Largest |a − b| over two fields.
pub fn max_diff(a: &[f64], b: &[f64]) -> f64 {
    a.iter()
        .zip(b)
        .map(|(a, b)| (a - b).abs())
        .fold(0.0, f64::max)
}
