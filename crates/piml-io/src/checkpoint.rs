//! Checkpoints of long runs: a JSON document `{"format", "key", "state"}` written atomically,
//! resumed only by a run whose key — the content of every input and every setting that shapes
//! the results — is the same; numbers of the state kept as the bits of their f64, so that a
//! resumed run continues from exactly the state it stopped in.

use std::collections::BTreeMap;
use std::io::Read;
use std::path::{Path, PathBuf};

use serde_json::{Value, json};

use crate::atomic::{atomic_write, is_std_stream};
use crate::error::{Error, Result};

/// FNV-1a, 128 bits (Fowler, Noll, Vo): a fixed, portable digest; the key guards against an
/// input edited in place, not against an adversary.
const FNV_OFFSET: u128 = 0x6c62_272e_07bb_0142_62b8_2175_6295_c58d;
const FNV_PRIME: u128 = 0x0000_0000_0100_0000_0000_0000_0000_013b;

fn fnv1a(state: u128, bytes: &[u8]) -> u128 {
    bytes
        .iter()
        .fold(state, |h, &b| (h ^ u128::from(b)).wrapping_mul(FNV_PRIME))
}

/// The digest of some bytes, as 32 hex digits.
pub fn digest(bytes: &[u8]) -> String {
    format!("{:032x}", fnv1a(FNV_OFFSET, bytes))
}

/// The digest of a file's bytes ([`digest`]), read in pieces. Stdin (`-`) has no content to
/// compare on a rerun and is refused.
pub fn content_digest(path: &Path) -> Result<String> {
    if is_std_stream(path) {
        return Err(Error::Checkpoint {
            file: "<stdin>".into(),
            why: "a checkpointed run needs its inputs in files, so that a rerun can check they \
                  did not change"
                .into(),
        });
    }
    let read_error = |source| Error::Read {
        file: path.to_path_buf(),
        source,
    };
    let mut file = std::fs::File::open(path).map_err(read_error)?;
    let mut buffer = vec![0; 1 << 16];
    let mut h = FNV_OFFSET;
    loop {
        match file.read(&mut buffer) {
            Ok(0) => return Ok(format!("{h:032x}")),
            Ok(n) => h = fnv1a(h, &buffer[..n]),
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
            Err(e) => return Err(read_error(e)),
        }
    }
}

/// What a checkpoint must agree with to be resumed: the digests of the inputs' contents (not
/// their paths: a moved file still resumes, one edited in place does not) and the settings
/// that shape the results, each under the name a user knows it by (`--data`, `--epochs`).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct RunKey {
    inputs: BTreeMap<String, String>,
    settings: BTreeMap<String, Value>,
}

impl RunKey {
    pub fn new() -> RunKey {
        RunKey::default()
    }

    /// The input `name` (a flag, or `model`) by the content of the file at `path`.
    pub fn input(mut self, name: &str, path: &Path) -> Result<RunKey> {
        let digest = content_digest(path).map_err(|e| match e {
            Error::Checkpoint { file, why } => Error::Checkpoint {
                file,
                why: format!("{name}: {why}"),
            },
            e => e,
        })?;
        self.inputs.insert(name.into(), digest);
        Ok(self)
    }

    /// The input `name` by content already read (a model read from stdin).
    pub fn content(mut self, name: &str, bytes: &[u8]) -> RunKey {
        self.inputs.insert(name.into(), digest(bytes));
        self
    }

    /// The setting `name` and its value.
    pub fn setting(mut self, name: &str, value: Value) -> RunKey {
        self.settings.insert(name.into(), value);
        self
    }

    pub fn to_json(&self) -> Value {
        json!({"inputs": self.inputs, "settings": self.settings})
    }

    /// What differs between this key and `stored` (a checkpoint's), said for the user; `None`
    /// when they agree.
    pub fn mismatch(&self, stored: &Value) -> Option<String> {
        let mine = self.to_json();
        if *stored == mine {
            return None;
        }
        let (Some(inputs), Some(settings)) =
            (stored["inputs"].as_object(), stored["settings"].as_object())
        else {
            return Some("it was written by another version of the tool".into());
        };
        let mut why = Vec::new();
        for name in names(inputs, &self.inputs) {
            match (inputs.get(name), self.inputs.get(name)) {
                (Some(_), None) => why.push(format!("{name} was an input then, not now")),
                (None, Some(_)) => why.push(format!("{name} is an input now, not then")),
                _ => why.push(format!("the content of {name} changed since")),
            }
        }
        for name in names(settings, &self.settings) {
            let shown = |v: Option<&Value>| v.map_or("unset".to_string(), Value::to_string);
            why.push(format!(
                "{name} was {} then, {} now",
                shown(settings.get(name)),
                shown(self.settings.get(name))
            ));
        }
        Some(format!(
            "it belongs to another run: {}",
            if why.is_empty() {
                "its key differs".to_string()
            } else {
                why.join("; ")
            }
        ))
    }
}

/// The names whose values differ between a stored map and this run's.
fn names<'a, V: PartialEq<Value> + 'a>(
    stored: &'a serde_json::Map<String, Value>,
    now: &'a BTreeMap<String, V>,
) -> Vec<&'a str> {
    let mut all: Vec<&str> = stored
        .keys()
        .chain(now.keys())
        .map(String::as_str)
        .collect();
    all.sort_unstable();
    all.dedup();
    all.retain(|n| match (stored.get(*n), now.get(*n)) {
        (Some(s), Some(v)) => *v != *s,
        _ => true,
    });
    all
}

/// One run's checkpoint file.
#[derive(Debug, Clone)]
pub struct Checkpoint {
    file: PathBuf,
    format: &'static str,
    key: RunKey,
}

impl Checkpoint {
    /// The checkpoint `name` in the directory `dir` (created if need be), of documents in
    /// `format` (`"<tool>-checkpoint/<version>"`), for the run `key`.
    pub fn new(dir: &Path, name: &str, format: &'static str, key: RunKey) -> Result<Checkpoint> {
        std::fs::create_dir_all(dir).map_err(|source| Error::OutputPath {
            file: dir.to_path_buf(),
            source,
        })?;
        Ok(Checkpoint {
            file: dir.join(name),
            format,
            key,
        })
    }

    pub fn file(&self) -> &Path {
        &self.file
    }

    /// The state saved there, if there is a checkpoint; an error when it is damaged or
    /// belongs to another run (its message says what differs).
    pub fn load(&self) -> Result<Option<Value>> {
        let bytes = match std::fs::read(&self.file) {
            Ok(b) => b,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
            Err(source) => {
                return Err(Error::Read {
                    file: self.file.clone(),
                    source,
                });
            }
        };
        let refuse = |why: String| Error::Checkpoint {
            file: self.file.clone(),
            why: format!("{why}; remove it or choose another checkpoint directory"),
        };
        let mut doc: Value = serde_json::from_slice(&bytes)
            .map_err(|e| refuse(format!("not a checkpoint ({e})")))?;
        if doc["format"] != self.format {
            return Err(refuse(format!("not a {} file", self.format)));
        }
        if let Some(why) = self.key.mismatch(&doc["key"]) {
            return Err(refuse(why));
        }
        Ok(Some(doc["state"].take()))
    }

    /// Replaces the checkpoint by one holding `state`, atomically: a run killed while writing
    /// leaves the previous checkpoint.
    pub fn save(&self, state: &Value) -> Result<()> {
        let doc = json!({"format": self.format, "key": self.key.to_json(), "state": state});
        atomic_write(&self.file, |w| {
            serde_json::to_writer(w, &doc).map_err(Into::into)
        })
    }
}

/// Numbers as the bits of their f64: JSON that restores them exactly, NaN and signed zeros too.
pub fn f64_bits(values: &[f64]) -> Value {
    Value::from(values.iter().map(|x| x.to_bits()).collect::<Vec<u64>>())
}

/// The numbers [`f64_bits`] stored; `None` unless `v` is a list of such bits.
pub fn f64_from_bits(v: &Value) -> Option<Vec<f64>> {
    v.as_array()?
        .iter()
        .map(|x| x.as_u64().map(f64::from_bits))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fnv1a_128_matches_its_published_vectors() {
        // The FNV reference test suite (isthe.com/chongo/tech/comp/fnv): "" and "a".
        assert_eq!(digest(b""), "6c62272e07bb014262b821756295c58d");
        assert_eq!(digest(b"a"), "d228cb696f1a8caf78912b704e4a8964");
    }

    #[test]
    fn a_key_names_what_changed() {
        let key = RunKey::new()
            .content("--data", b"t,u\n0,1\n")
            .setting("--epochs", json!(20));
        assert_eq!(key.mismatch(&key.to_json()), None);
        let other = RunKey::new()
            .content("--data", b"t,u\n0,2\n")
            .setting("--epochs", json!(30))
            .setting("--lr", json!(1e-3));
        let why = key.mismatch(&other.to_json()).unwrap();
        assert!(why.contains("the content of --data changed"), "{why}");
        assert!(why.contains("--epochs was 30 then, 20 now"), "{why}");
        assert!(why.contains("--lr was 0.001 then, unset now"), "{why}");
        assert!(key.mismatch(&json!("old|key")).unwrap().contains("version"));
    }

    #[test]
    fn a_checkpoint_is_resumed_by_its_own_run_only() {
        let dir = tempfile::tempdir().unwrap();
        let data = dir.path().join("data.csv");
        std::fs::write(&data, "t,u\n0,1\n").unwrap();
        let open = |seed: u64| {
            let key = RunKey::new()
                .input("--data", &data)
                .unwrap()
                .setting("--seed", json!(seed));
            Checkpoint::new(&dir.path().join("ckpt"), "c.json", "test/1", key).unwrap()
        };
        assert_eq!(open(1).load().unwrap(), None);
        open(1).save(&json!({"done": [1, 2]})).unwrap();
        assert_eq!(open(1).load().unwrap(), Some(json!({"done": [1, 2]})));
        let why = open(2).load().unwrap_err().to_string();
        assert!(why.contains("--seed was 1 then, 2 now"), "{why}");
        std::fs::write(&data, "t,u\n0,2\n").unwrap();
        let why = open(1).load().unwrap_err().to_string();
        assert!(why.contains("the content of --data changed since"), "{why}");
        assert!(why.contains("c.json") && why.contains("remove it"), "{why}");
        assert!(content_digest(Path::new("-")).is_err());
    }

    #[test]
    fn bits_restore_every_float() {
        let v = [0.1, -0.0, f64::NAN, f64::INFINITY, 1e-310];
        let back = f64_from_bits(&f64_bits(&v)).unwrap();
        assert!(v.iter().zip(&back).all(|(a, b)| a.to_bits() == b.to_bits()));
    }
}
