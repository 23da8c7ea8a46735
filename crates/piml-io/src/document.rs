//! JSON result documents and the provenance every output carries.
//!
//! A document starts with the common envelope
//! `{"tool", "version", "command", "seed", "model", ...}`; a table carries the
//! same facts as file-level metadata (`piml.tool`, …, plus the whole model).
//! serde_json writes non-finite numbers (NaN, ±inf) as `null`, so documents
//! are always valid JSON; a reader sees `null` where a value was not finite.

use std::collections::BTreeMap;
use std::io::{self, Read};
use std::path::Path;

use serde::Serialize;
use serde::de::DeserializeOwned;
use serde_json::{Map, Value};

use crate::atomic::{Outputs, is_std_stream};
use crate::error::{Error, Result};

/// Metadata key of the model JSON a table came from.
pub const META_MODEL: &str = "piml.model";
/// Metadata key of the tool that wrote a table.
pub const META_TOOL: &str = "piml.tool";
/// Metadata key of the piml version that wrote a table.
pub const META_VERSION: &str = "piml.version";
/// Metadata key of the command line, a JSON array of the argv strings.
pub const META_COMMAND: &str = "piml.command";
/// Metadata key of the random seed, in decimal; absent when the tool has none.
pub const META_SEED: &str = "piml.seed";

/// Who wrote an output and how: the facts that make it reproducible.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Provenance {
    /// The tool's name (`simulate`).
    pub tool: String,
    /// The piml version.
    pub version: String,
    /// The command line, program name first.
    pub command: Vec<String>,
    /// The random seed, for tools that draw random numbers.
    pub seed: Option<u64>,
}

impl Provenance {
    /// The provenance of the running tool: its command line (`argv`, not the
    /// environment) and this workspace's version, which every tool shares.
    pub fn from_env(tool: &str, seed: Option<u64>) -> Self {
        Provenance {
            tool: tool.to_string(),
            version: env!("CARGO_PKG_VERSION").to_string(),
            command: std::env::args_os()
                .map(|a| a.to_string_lossy().into_owned())
                .collect(),
            seed,
        }
    }

    /// A result document: the envelope, then the fields of `body`.
    ///
    /// An object body is merged in its own order (a field named like an
    /// envelope field replaces it); any other body is stored under `"result"`.
    pub fn document(&self, model: &str, body: Value) -> Value {
        let mut doc = Map::new();
        doc.insert("tool".into(), self.tool.clone().into());
        doc.insert("version".into(), self.version.clone().into());
        doc.insert("command".into(), self.command.clone().into());
        doc.insert("seed".into(), self.seed.into());
        doc.insert("model".into(), model.into());
        match body {
            Value::Object(fields) => doc.extend(fields),
            other => {
                doc.insert("result".into(), other);
            }
        }
        Value::Object(doc)
    }

    /// The file-level metadata of a table: `piml.model` (the model JSON as
    /// given), `piml.tool`, `piml.version`, `piml.command` (a JSON array of
    /// the argv) and `piml.seed` (only when there is one).
    pub fn table_metadata(&self, model_json: &str) -> BTreeMap<String, String> {
        let mut meta = BTreeMap::from([
            (META_MODEL.to_string(), model_json.to_string()),
            (META_TOOL.to_string(), self.tool.clone()),
            (META_VERSION.to_string(), self.version.clone()),
            (
                META_COMMAND.to_string(),
                Value::from(self.command.clone()).to_string(),
            ),
        ]);
        if let Some(seed) = self.seed {
            meta.insert(META_SEED.to_string(), seed.to_string());
        }
        meta
    }
}

/// Writes a value as pretty JSON with a final newline, atomically (see
/// [`atomic_write`]); `-` writes to stdout. Non-finite numbers become `null`.
pub fn write_json(path: &Path, value: &impl Serialize) -> Result<()> {
    let mut outputs = Outputs::default();
    outputs.json(path, value)?;
    outputs.commit()
}

impl Outputs {
    /// Stages a JSON document (pretty, newline-terminated), as [`write_json`] writes it.
    pub fn json(&mut self, path: &Path, value: &impl Serialize) -> Result<()> {
        self.write(path, |out| {
            serde_json::to_writer_pretty(&mut *out, value)?;
            out.write_all(b"\n")
        })
    }
}

/// Reads a JSON document from a file, or stdin for `-`; errors name the file
/// and, for malformed JSON or a wrong shape, the line and column.
pub fn read_json<T: DeserializeOwned>(path: &Path) -> Result<T> {
    let (bytes, file) = if is_std_stream(path) {
        let mut bytes = Vec::new();
        let read = io::stdin().lock().read_to_end(&mut bytes);
        (read.map(|_| bytes), Path::new("<stdin>"))
    } else {
        (std::fs::read(path), path)
    };
    let bytes = bytes.map_err(|source| Error::Read {
        file: file.to_path_buf(),
        source,
    })?;
    if bytes.is_empty() {
        return Err(Error::Empty {
            file: file.to_path_buf(),
        });
    }
    serde_json::from_slice(&bytes).map_err(|source| Error::Json {
        file: file.to_path_buf(),
        source,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn provenance() -> Provenance {
        Provenance {
            tool: "fit-kinetics".into(),
            version: "0.1.0".into(),
            command: vec![
                "fit-kinetics".into(),
                "m.json".into(),
                "--seed".into(),
                "7".into(),
            ],
            seed: Some(7),
        }
    }

    #[test]
    fn document_has_the_envelope_first() {
        let doc = provenance().document("mm", serde_json::json!({"objective": 1.5}));
        let keys: Vec<&str> = doc
            .as_object()
            .unwrap()
            .keys()
            .map(String::as_str)
            .collect();
        assert_eq!(
            keys,
            ["tool", "version", "command", "seed", "model", "objective"]
        );
        assert_eq!(doc["command"][2], "--seed");
        assert_eq!(doc["seed"], 7);
    }

    #[test]
    fn table_metadata_holds_argv_as_json() {
        let meta = provenance().table_metadata("{\"name\":\"mm\"}");
        let argv: Vec<String> = serde_json::from_str(&meta[META_COMMAND]).unwrap();
        assert_eq!(argv, provenance().command);
        assert_eq!(meta[META_SEED], "7");
        assert_eq!(meta[META_MODEL], "{\"name\":\"mm\"}");
        let unseeded = Provenance {
            seed: None,
            ..provenance()
        };
        assert!(!unseeded.table_metadata("{}").contains_key(META_SEED));
    }
}
