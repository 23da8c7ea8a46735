//! Operators in safetensors files: one tensor per block (PyTorch shapes, f64), the
//! configuration and the caller's notes (what the operator maps, on which grid) in the metadata.

use std::collections::HashMap;

use safetensors::tensor::{Dtype, SafeTensors, TensorView};
use serde_json::{Value, json};

use crate::{Config, Error, Fno, Modes};

const KEY: &str = "piml.fno";

impl Fno {
    /// The operator as safetensors bytes, with `notes` stored beside the configuration.
    pub fn to_safetensors(&self, notes: &Value) -> Result<Vec<u8>, Error> {
        let c = self.config();
        let data: Vec<(String, Vec<usize>, Vec<u8>)> = self
            .blocks()
            .into_iter()
            .map(|(name, shape, range)| {
                let bytes = self.params()[range]
                    .iter()
                    .flat_map(|x| x.to_le_bytes())
                    .collect();
                (name, shape, bytes)
            })
            .collect();
        let views = data
            .iter()
            .map(|(name, shape, bytes)| {
                TensorView::new(Dtype::F64, shape.clone(), bytes).map(|v| (name.as_str(), v))
            })
            .collect::<Result<Vec<_>, _>>()
            .map_err(|e| Error::Weights(e.to_string()))?;
        let meta = json!({
            "dims": c.dims,
            "in_channels": c.in_channels,
            "out_channels": c.out_channels,
            "width": c.width,
            "modes": [c.modes.m1, c.modes.m2],
            "layers": c.layers,
            "projection": c.projection,
            "gelu_twice": c.gelu_twice,
            "notes": notes,
        });
        let meta = HashMap::from([(KEY.to_string(), meta.to_string())]);
        safetensors::serialize(views, Some(meta)).map_err(|e| Error::Weights(e.to_string()))
    }

    /// An operator and its notes from the bytes of [`Fno::to_safetensors`].
    pub fn from_safetensors(bytes: &[u8]) -> Result<(Fno, Value), Error> {
        let bad = |m: String| Error::Weights(m);
        let (_, header) =
            SafeTensors::read_metadata(bytes).map_err(|e| bad(format!("not safetensors ({e})")))?;
        let meta: Value = header
            .metadata()
            .as_ref()
            .and_then(|m| m.get(KEY))
            .ok_or_else(|| bad(format!("no '{KEY}' metadata: not an operator piml wrote")))
            .and_then(|s| serde_json::from_str(s).map_err(|e| bad(e.to_string())))?;
        let get = |k: &str| {
            meta[k]
                .as_u64()
                .map(|v| v as usize)
                .ok_or_else(|| bad(format!("metadata field '{k}' is missing")))
        };
        let modes = meta["modes"]
            .as_array()
            .filter(|m| m.len() == 2)
            .and_then(|m| Some((m[0].as_u64()? as usize, m[1].as_u64()? as usize)))
            .ok_or_else(|| bad("metadata field 'modes' is missing".into()))?;
        let config = Config {
            dims: get("dims")?,
            in_channels: get("in_channels")?,
            out_channels: get("out_channels")?,
            width: get("width")?,
            modes: Modes {
                m1: modes.0,
                m2: modes.1,
            },
            layers: get("layers")?,
            projection: get("projection")?,
            // Files written before the option existed apply GELU once.
            gelu_twice: meta["gelu_twice"].as_bool().unwrap_or(false),
        };
        let tensors = SafeTensors::deserialize(bytes).map_err(|e| bad(e.to_string()))?;
        let mut fno = Fno::new(config, 0)?;
        for (name, shape, range) in fno.blocks() {
            let view = tensors
                .tensor(&name)
                .map_err(|_| bad(format!("tensor '{name}' is missing")))?;
            if view.dtype() != Dtype::F64 || view.shape() != shape.as_slice() {
                return Err(bad(format!("tensor '{name}' has the wrong type or shape")));
            }
            for (p, b) in fno.params_mut()[range]
                .iter_mut()
                .zip(view.data().chunks_exact(8))
            {
                *p = f64::from_le_bytes(b.try_into().expect("chunks of 8 bytes"));
            }
        }
        Ok((fno, meta["notes"].clone()))
    }
}
