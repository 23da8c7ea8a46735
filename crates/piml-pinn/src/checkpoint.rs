//! Checkpoints: the whole training state as JSON, every number stored as the bits of its f64
//! so that a resumed run continues from exactly the same state.

use piml_io::{RunKey, f64_bits as bits, f64_from_bits};
use serde_json::{Value, json};

use crate::Error;
use crate::train::{HistoryRow, Phase, State};

const FORMAT: &str = "piml-pinn-checkpoint/1";

pub(crate) struct Checkpoint;

fn floats(v: &Value, what: &str) -> Result<Vec<f64>, Error> {
    f64_from_bits(v).ok_or_else(|| bad(what))
}

fn four(v: &Value, what: &str) -> Result<[f64; 4], Error> {
    floats(v, what)?.try_into().map_err(|_| bad(what))
}

fn bad(what: &str) -> Error {
    Error::Checkpoint(format!("damaged: field '{what}'"))
}

impl Checkpoint {
    pub fn encode(state: &State, key: &RunKey) -> Vec<u8> {
        let history: Vec<Value> = state
            .history
            .iter()
            .map(|r| {
                json!({
                    "phase": r.phase.name(),
                    "step": r.step,
                    "loss": r.loss.to_bits(),
                    "terms": bits(&r.terms),
                    "weights": bits(&r.weights),
                    "params": bits(&r.params),
                })
            })
            .collect();
        let doc = json!({
            "format": FORMAT,
            "key": key.to_json(),
            "phase": state.phase.name(),
            "step": state.step,
            "params": bits(&state.params),
            "adam_m": bits(&state.adam_m),
            "adam_v": bits(&state.adam_v),
            "lambda": bits(&state.lambda),
            "interior": state.interior.as_ref().map(|c| c.iter().map(|v| bits(v)).collect::<Vec<_>>()),
            "history": history,
            "best": state.best.to_bits(),
            "best_step": state.best_step,
            "adam_note": state.adam_note,
        });
        doc.to_string().into_bytes()
    }

    /// The state in `bytes`, if it belongs to the run `key` with `n` parameters.
    pub fn decode(bytes: &[u8], key: &RunKey, n: usize) -> Result<State, Error> {
        let doc: Value = serde_json::from_slice(bytes)
            .map_err(|e| Error::Checkpoint(format!("not a checkpoint ({e})")))?;
        if doc["format"] != FORMAT {
            return Err(Error::Checkpoint(format!("not a {FORMAT} file")));
        }
        if let Some(why) = key.mismatch(&doc["key"]) {
            return Err(Error::Checkpoint(format!(
                "{why}; remove it or choose another checkpoint directory"
            )));
        }
        let uint = |f: &str| doc[f].as_u64().map(|v| v as usize).ok_or_else(|| bad(f));
        let phase =
            |v: &Value, f: &str| v.as_str().and_then(Phase::from_name).ok_or_else(|| bad(f));
        let history = doc["history"]
            .as_array()
            .ok_or_else(|| bad("history"))?
            .iter()
            .map(|r| {
                Ok(HistoryRow {
                    phase: phase(&r["phase"], "history.phase")?,
                    step: r["step"].as_u64().ok_or_else(|| bad("history.step"))? as usize,
                    loss: f64::from_bits(r["loss"].as_u64().ok_or_else(|| bad("history.loss"))?),
                    terms: four(&r["terms"], "history.terms")?,
                    weights: four(&r["weights"], "history.weights")?,
                    params: floats(&r["params"], "history.params")?,
                })
            })
            .collect::<Result<Vec<_>, Error>>()?;
        let interior = match &doc["interior"] {
            Value::Null => None,
            v => Some(
                v.as_array()
                    .ok_or_else(|| bad("interior"))?
                    .iter()
                    .map(|c| floats(c, "interior"))
                    .collect::<Result<Vec<_>, _>>()?,
            ),
        };
        let state = State {
            phase: phase(&doc["phase"], "phase")?,
            step: uint("step")?,
            params: floats(&doc["params"], "params")?,
            adam_m: floats(&doc["adam_m"], "adam_m")?,
            adam_v: floats(&doc["adam_v"], "adam_v")?,
            lambda: four(&doc["lambda"], "lambda")?,
            interior,
            history,
            best: f64::from_bits(doc["best"].as_u64().ok_or_else(|| bad("best"))?),
            best_step: uint("best_step")?,
            adam_note: doc["adam_note"]
                .as_str()
                .ok_or_else(|| bad("adam_note"))?
                .to_string(),
        };
        if [&state.params, &state.adam_m, &state.adam_v]
            .iter()
            .any(|v| v.len() != n)
        {
            return Err(Error::Checkpoint(format!(
                "it holds a parameter vector of another length (expected {n})"
            )));
        }
        Ok(state)
    }
}
