#![allow(dead_code)]

use std::path::PathBuf;

use piml_model::Model;

pub fn testdata(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../testdata")
        .join(name)
}

pub fn model(name: &str) -> Model {
    Model::from_file(&testdata(name)).unwrap()
}

pub fn scales(list: &[&str]) -> Vec<(String, piml_model::Expr)> {
    list.iter()
        .map(|s| piml_nondim::parse_scale(s).unwrap())
        .collect()
}
