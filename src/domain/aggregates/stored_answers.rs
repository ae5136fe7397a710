//! Reading the answers to a shape's items straight from a stored answers object (JSON text),
//! without building the object: what rebuilds and scans of a million responses need.

use std::fmt;

use serde::de::{DeserializeSeed, IgnoredAny, MapAccess, Visitor};
use serde_json::Value;

use super::ScoreShape;

/// Reads the integer answers of a shape's items from a stored answers object, skipping every
/// other answer without building it. A later duplicate key wins, as in a parsed map.
pub(super) struct ItemValues<'s>(pub(super) &'s ScoreShape);

/// Reads a key: the item position, or `None` for another question.
struct ItemKey<'s>(&'s ScoreShape);

impl<'de> DeserializeSeed<'de> for ItemValues<'_> {
    type Value = Vec<Option<i64>>;

    fn deserialize<D: serde::Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
        d.deserialize_map(self)
    }
}

impl<'de> Visitor<'de> for ItemValues<'_> {
    type Value = Vec<Option<i64>>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("an object of answers")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
        let mut values = vec![None; self.0.n_items()];
        while let Some(key) = map.next_key_seed(ItemKey(self.0))? {
            match key {
                Some(j) => values[j] = map.next_value::<Value>()?.as_i64(),
                None => {
                    map.next_value::<IgnoredAny>()?;
                }
            }
        }
        Ok(values)
    }
}

impl<'de> DeserializeSeed<'de> for ItemKey<'_> {
    type Value = Option<usize>;

    fn deserialize<D: serde::Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
        d.deserialize_str(self)
    }
}

impl<'de> Visitor<'de> for ItemKey<'_> {
    type Value = Option<usize>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a question id")
    }

    fn visit_str<E: serde::de::Error>(self, key: &str) -> Result<Self::Value, E> {
        Ok(self.0.positions.get(key).copied())
    }
}
