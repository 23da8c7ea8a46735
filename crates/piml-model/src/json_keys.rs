//! Keys given twice in one JSON object. serde_json keeps the last silently, so a model file
//! with `"Km"` twice under `parameters` would run with whichever came last; the reader refuses
//! such a file and names the key and where it is.

use serde::de::{self, Deserialize, Deserializer, IgnoredAny, MapAccess, SeqAccess, Visitor};

/// The path (`parameters.Km`) of the first key that appears twice in one object of `text`, if
/// any; `None` also when `text` is not JSON (the parser proper says why).
pub(crate) fn first_duplicate_key(text: &str) -> Option<String> {
    let mut de = serde_json::Deserializer::from_str(text);
    match Keys::deserialize(&mut de) {
        Ok(Keys(found)) => found,
        Err(_) => None,
    }
}

/// A JSON value read only for its first duplicated key's path.
struct Keys(Option<String>);

impl<'de> Deserialize<'de> for Keys {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Keys, D::Error> {
        d.deserialize_any(KeysVisitor)
    }
}

struct KeysVisitor;

impl<'de> Visitor<'de> for KeysVisitor {
    type Value = Keys;

    fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        f.write_str("a JSON value")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Keys, A::Error> {
        let mut seen = std::collections::HashSet::new();
        let mut found = None;
        while let Some(key) = map.next_key::<String>()? {
            let Keys(inner) = map.next_value::<Keys>()?;
            if found.is_none() {
                found = if seen.contains(&key) {
                    Some(key.clone())
                } else {
                    inner.map(|path| match path.starts_with('[') {
                        true => format!("{key}{path}"),
                        false => format!("{key}.{path}"),
                    })
                };
            }
            seen.insert(key);
        }
        Ok(Keys(found))
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Keys, A::Error> {
        let mut found = None;
        let mut i = 0;
        while let Some(Keys(inner)) = seq.next_element::<Keys>()? {
            if found.is_none() {
                found = inner.map(|path| match path.starts_with('[') {
                    true => format!("[{i}]{path}"),
                    false => format!("[{i}].{path}"),
                });
            }
            i += 1;
        }
        Ok(Keys(found))
    }

    fn visit_bool<E: de::Error>(self, _: bool) -> Result<Keys, E> {
        Ok(Keys(None))
    }
    fn visit_i64<E: de::Error>(self, _: i64) -> Result<Keys, E> {
        Ok(Keys(None))
    }
    fn visit_u64<E: de::Error>(self, _: u64) -> Result<Keys, E> {
        Ok(Keys(None))
    }
    fn visit_f64<E: de::Error>(self, _: f64) -> Result<Keys, E> {
        Ok(Keys(None))
    }
    fn visit_str<E: de::Error>(self, _: &str) -> Result<Keys, E> {
        Ok(Keys(None))
    }
    fn visit_unit<E: de::Error>(self) -> Result<Keys, E> {
        Ok(Keys(None))
    }
    fn visit_none<E: de::Error>(self) -> Result<Keys, E> {
        Ok(Keys(None))
    }
    fn visit_some<D: Deserializer<'de>>(self, d: D) -> Result<Keys, D::Error> {
        IgnoredAny::deserialize(d).map(|_| Keys(None))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_first_repeated_key_is_named_with_its_path() {
        let text = r#"{"parameters": {"Km": {"value": 1}, "Vmax": {}, "Km": {"value": 2}}}"#;
        assert_eq!(first_duplicate_key(text).as_deref(), Some("parameters.Km"));
        let text = r#"{"reactions": [{"rate": "k", "rate": "2*k"}]}"#;
        assert_eq!(
            first_duplicate_key(text).as_deref(),
            Some("reactions[0].rate")
        );
        assert_eq!(first_duplicate_key(r#"{"a": 1, "b": {"a": 2}}"#), None);
        assert_eq!(first_duplicate_key("not json"), None);
    }
}
