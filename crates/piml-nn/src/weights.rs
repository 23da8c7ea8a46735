//! Weights files: safetensors (Hugging Face) with the architecture in the metadata.
//!
//! Tensors `layers.{l}.weight` (n_out × n_in, as PyTorch's `Linear.weight`), `layers.{l}.bias`
//! and, with an embedding, `fourier.B` (m × inputs), all F64. The metadata key `piml.mlp` holds
//! a JSON object: `inputs`, `hidden`, `outputs`, `activation`, `spans` ([lo, hi] per input;
//! ξ = 2(x − lo)/(hi − lo) − 1), `fourier` (null or {`features`, `sigma`}: the first layer
//! sees [cos 2πBξ, sin 2πBξ]) and `transform` ({"kind": "identity"} or
//! {"kind": "initial_condition", "time": i}: u = u0(x) + (t − lo)/(hi − lo)·N).

use std::collections::HashMap;

use safetensors::{Dtype, SafeTensors, tensor::TensorView};
use serde_json::{Value, json};

use crate::mlp::layout;
use crate::{Activation, Architecture, Error, FourierFeatures, Mlp, OutputTransform};

/// Metadata key of the architecture.
const KEY: &str = "piml.mlp";

impl Mlp {
    /// The network as the bytes of a safetensors file.
    pub fn to_safetensors(&self) -> Result<Vec<u8>, Error> {
        let arch = self.architecture();
        let bytes = |v: &[f64]| v.iter().flat_map(|x| x.to_le_bytes()).collect::<Vec<u8>>();
        let mut tensors: Vec<(String, Vec<usize>, Vec<u8>)> = Vec::new();
        for (l, layer) in self.layers().iter().enumerate() {
            let p = self.params();
            tensors.push((
                format!("layers.{l}.weight"),
                vec![layer.n_out, layer.n_in],
                bytes(&p[layer.weight..layer.bias]),
            ));
            tensors.push((
                format!("layers.{l}.bias"),
                vec![layer.n_out],
                bytes(&p[layer.bias..layer.bias + layer.n_out]),
            ));
        }
        if let Some(f) = arch.fourier {
            tensors.push((
                "fourier.B".into(),
                vec![f.features, arch.inputs()],
                bytes(self.fourier_matrix()),
            ));
        }
        let views = tensors
            .iter()
            .map(|(name, shape, data)| {
                TensorView::new(Dtype::F64, shape.clone(), data).map(|v| (name.as_str(), v))
            })
            .collect::<Result<Vec<_>, _>>()
            .map_err(|e| Error::Weights(e.to_string()))?;
        let meta = HashMap::from([(KEY.to_string(), architecture_json(arch).to_string())]);
        safetensors::serialize(views, Some(meta)).map_err(|e| Error::Weights(e.to_string()))
    }

    /// A network from the bytes of a safetensors file written by [`Mlp::to_safetensors`].
    pub fn from_safetensors(bytes: &[u8]) -> Result<Mlp, Error> {
        let bad = |m: String| Error::Weights(m);
        let (_, meta) = SafeTensors::read_metadata(bytes).map_err(|e| bad(e.to_string()))?;
        let text = meta
            .metadata()
            .as_ref()
            .and_then(|m| m.get(KEY))
            .ok_or_else(|| bad(format!("no `{KEY}` metadata: not a piml network")))?;
        let doc: Value =
            serde_json::from_str(text).map_err(|e| bad(format!("`{KEY}` metadata: {e}")))?;
        let arch =
            architecture_from_json(&doc).map_err(|m| bad(format!("`{KEY}` metadata: {m}")))?;
        let file = SafeTensors::deserialize(bytes).map_err(|e| bad(e.to_string()))?;
        let read = |name: &str, shape: &[usize]| -> Result<Vec<f64>, Error> {
            let t = file.tensor(name).map_err(|e| bad(format!("{name}: {e}")))?;
            if t.dtype() != Dtype::F64 || t.shape() != shape {
                return Err(bad(format!(
                    "{name}: {:?} {:?}, expected F64 {shape:?}",
                    t.dtype(),
                    t.shape()
                )));
            }
            Ok(t.data()
                .chunks_exact(8)
                .map(|c| f64::from_le_bytes(c.try_into().expect("8 bytes")))
                .collect())
        };
        let fourier = match arch.fourier {
            Some(f) => read("fourier.B", &[f.features, arch.inputs()])?,
            None => Vec::new(),
        };
        let mut params = Vec::new();
        for (l, layer) in layout(&arch).iter().enumerate() {
            params.extend(read(
                &format!("layers.{l}.weight"),
                &[layer.n_out, layer.n_in],
            )?);
            params.extend(read(&format!("layers.{l}.bias"), &[layer.n_out])?);
        }
        Mlp::from_parts(arch, fourier, params)
    }
}

fn architecture_json(arch: &Architecture) -> Value {
    json!({
        "inputs": arch.inputs(),
        "hidden": arch.hidden,
        "outputs": arch.outputs,
        "activation": arch.activation.name(),
        "spans": arch.spans,
        "fourier": arch.fourier.map(|f| json!({"features": f.features, "sigma": f.sigma})),
        "transform": match arch.transform {
            OutputTransform::Identity => json!({"kind": "identity"}),
            OutputTransform::InitialCondition { time } =>
                json!({"kind": "initial_condition", "time": time}),
        },
    })
}

fn architecture_from_json(doc: &Value) -> Result<Architecture, String> {
    let field = |k: &str| doc.get(k).ok_or_else(|| format!("missing `{k}`"));
    let usize_of = |v: &Value, what: &str| {
        v.as_u64()
            .map(|u| u as usize)
            .ok_or_else(|| format!("`{what}` is not a count"))
    };
    let f64_of = |v: &Value, what: &str| {
        v.as_f64()
            .ok_or_else(|| format!("`{what}` is not a number"))
    };
    let list = |k: &str| {
        field(k)?
            .as_array()
            .ok_or_else(|| format!("`{k}` is not a list"))
    };
    let hidden = list("hidden")?
        .iter()
        .map(|w| usize_of(w, "hidden"))
        .collect::<Result<Vec<_>, _>>()?;
    let spans = list("spans")?
        .iter()
        .map(|s| match s.as_array().map(Vec::as_slice) {
            Some([lo, hi]) => Ok([f64_of(lo, "spans")?, f64_of(hi, "spans")?]),
            _ => Err("`spans` entries are not [lo, hi]".to_string()),
        })
        .collect::<Result<Vec<_>, _>>()?;
    let name = field("activation")?.as_str().unwrap_or_default();
    let activation =
        Activation::parse(name).ok_or_else(|| format!("unknown activation `{name}`"))?;
    let fourier = match field("fourier")? {
        Value::Null => None,
        f => Some(FourierFeatures {
            features: usize_of(
                f.get("features").unwrap_or(&Value::Null),
                "fourier.features",
            )?,
            sigma: f64_of(f.get("sigma").unwrap_or(&Value::Null), "fourier.sigma")?,
        }),
    };
    let t = field("transform")?;
    let transform = match t.get("kind").and_then(Value::as_str) {
        Some("identity") => OutputTransform::Identity,
        Some("initial_condition") => OutputTransform::InitialCondition {
            time: usize_of(t.get("time").unwrap_or(&Value::Null), "transform.time")?,
        },
        other => return Err(format!("unknown transform {other:?}")),
    };
    Ok(Architecture {
        spans,
        hidden,
        outputs: usize_of(field("outputs")?, "outputs")?,
        activation,
        fourier,
        transform,
    })
}
