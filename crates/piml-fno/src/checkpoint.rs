//! A training state as JSON, every number stored as the bits of its f64, so that a resumed run
//! continues from exactly the state it stopped in.

use piml_io::{f64_bits, f64_from_bits};
use serde_json::{Value, json};

use crate::train::{Epoch, Position, TrainState};

fn bits_of(v: Option<f64>) -> Value {
    v.map_or(Value::Null, |x| json!(x.to_bits()))
}

fn float(v: &Value) -> Option<f64> {
    v.as_u64().map(f64::from_bits)
}

fn count(v: &Value) -> Option<usize> {
    v.as_u64().and_then(|n| usize::try_from(n).ok())
}

impl TrainState {
    pub fn to_json(&self) -> Value {
        let history: Vec<Value> = self
            .history
            .iter()
            .map(|e| {
                json!({
                    "epoch": e.epoch,
                    "train": e.train.to_bits(),
                    "test": bits_of(e.test),
                    "lr": e.lr.to_bits(),
                    "seconds": e.seconds.to_bits(),
                })
            })
            .collect();
        let p = &self.position;
        json!({
            "position": {"epoch": p.epoch, "batch": p.batch, "total": p.total.to_bits()},
            "params": f64_bits(&self.params),
            "adam": {"m": f64_bits(&self.adam.0), "v": f64_bits(&self.adam.1), "steps": self.adam.2},
            "order": self.order,
            "history": history,
        })
    }

    /// The state [`TrainState::to_json`] wrote; `None` if `v` is not one.
    pub fn from_json(v: &Value) -> Option<TrainState> {
        let p = &v["position"];
        let history = v["history"]
            .as_array()?
            .iter()
            .map(|e| {
                Some(Epoch {
                    epoch: count(&e["epoch"])?,
                    train: float(&e["train"])?,
                    test: match &e["test"] {
                        Value::Null => None,
                        t => Some(float(t)?),
                    },
                    lr: float(&e["lr"])?,
                    seconds: float(&e["seconds"])?,
                })
            })
            .collect::<Option<_>>()?;
        Some(TrainState {
            position: Position {
                epoch: count(&p["epoch"])?,
                batch: count(&p["batch"])?,
                total: float(&p["total"])?,
            },
            params: f64_from_bits(&v["params"])?,
            adam: (
                f64_from_bits(&v["adam"]["m"])?,
                f64_from_bits(&v["adam"]["v"])?,
                count(&v["adam"]["steps"])?,
            ),
            order: v["order"]
                .as_array()?
                .iter()
                .map(count)
                .collect::<Option<_>>()?,
            history,
        })
    }
}
