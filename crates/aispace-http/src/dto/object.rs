//! Request bodies that must be JSON objects.

use std::marker::PhantomData;

use serde::de::{DeserializeOwned, Error, MapAccess, Visitor};
use serde::{Deserialize, Deserializer};
use serde_json::{Map, Value};

/// `T`, read only from a JSON object. A derived `Deserialize` also takes a
/// JSON array and fills the fields by position, so `["a cat", "top"]`
/// would pass for a body; every documented body is an object.
#[derive(Debug)]
pub struct Object<T>(pub T);

impl<T> Object<T> {
    pub fn into_inner(self) -> T {
        self.0
    }
}

impl<'de, T: DeserializeOwned> Deserialize<'de> for Object<T> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_map(ObjectVisitor(PhantomData))
    }
}

struct ObjectVisitor<T>(PhantomData<T>);

impl<'de, T: DeserializeOwned> Visitor<'de> for ObjectVisitor<T> {
    type Value = Object<T>;

    fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("a JSON object")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut access: A) -> Result<Self::Value, A::Error> {
        let mut map = Map::new();
        while let Some((key, value)) = access.next_entry::<String, Value>()? {
            // A field sent twice is ambiguous, as a derived body says too.
            if map.contains_key(&key) {
                return Err(A::Error::custom(format_args!("duplicate field `{key}`")));
            }
            map.insert(key, value);
        }
        T::deserialize(Value::Object(map))
            .map(Object)
            .map_err(A::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug, Deserialize, PartialEq)]
    struct Pair {
        a: String,
        #[serde(default)]
        b: Option<String>,
    }

    #[test]
    fn only_an_object_is_a_body() {
        let read = |text: &str| serde_json::from_str::<Object<Pair>>(text).map(|o| o.0);
        assert_eq!(
            read(r#"{"a":"x"}"#).unwrap(),
            Pair {
                a: "x".into(),
                b: None
            }
        );
        assert!(read(r#"["x","y"]"#).is_err());
        assert!(read(r#""x""#).is_err());
        assert!(read("null").is_err());
        assert!(read(r#"{"a":"x","a":"y"}"#).is_err());
    }
}
