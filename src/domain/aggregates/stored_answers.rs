//! Reading the answers to a shape's items and indicator questions straight from a stored
//! answers object (JSON text), without building the object: what rebuilds and scans of a
//! million responses need.

use std::fmt;

use serde::de::{DeserializeSeed, IgnoredAny, MapAccess, Visitor};
use serde_json::Value;

use super::{ScoreShape, Slot};

/// Reads the integer answers of a shape's items, and the answers of its indicator questions,
/// from a stored answers object, skipping every other answer without building it. A later
/// duplicate key wins, as in a parsed map. Without the indicator questions when the flag is off.
pub(super) struct ItemValues<'s>(pub(super) &'s ScoreShape, pub(super) bool);

/// Per item its integer answer; per indicator question its answer.
type Values = (Vec<Option<i64>>, Vec<Option<Value>>);

/// Reads a key: where its answer goes, or `None` for another question.
struct ItemKey<'s>(&'s ScoreShape);

impl<'de> DeserializeSeed<'de> for ItemValues<'_> {
    type Value = Values;

    fn deserialize<D: serde::Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
        d.deserialize_map(self)
    }
}

impl<'de> Visitor<'de> for ItemValues<'_> {
    type Value = Values;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("an object of answers")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
        let mut values = vec![None; self.0.n_items()];
        let mut choices = vec![None; if self.1 { self.0.choices.len() } else { 0 }];
        while let Some(key) = map.next_key_seed(ItemKey(self.0))? {
            match key {
                Some(Slot::Item(j)) => values[j] = map.next_value::<Value>()?.as_i64(),
                Some(Slot::Choice(q)) if self.1 => choices[q] = Some(map.next_value::<Value>()?),
                _ => {
                    map.next_value::<IgnoredAny>()?;
                }
            }
        }
        Ok((values, choices))
    }
}

impl<'de> DeserializeSeed<'de> for ItemKey<'_> {
    type Value = Option<Slot>;

    fn deserialize<D: serde::Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
        d.deserialize_str(self)
    }
}

impl<'de> Visitor<'de> for ItemKey<'_> {
    type Value = Option<Slot>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a question id")
    }

    fn visit_str<E: serde::de::Error>(self, key: &str) -> Result<Self::Value, E> {
        Ok(self.0.positions.get(key).copied())
    }
}
