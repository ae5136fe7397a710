//! Reading the answers to a shape's items and indicator questions straight from a stored
//! answers object (JSON text), without building the object: what rebuilds and scans of a
//! million responses need.

use std::fmt;

use serde::de::{DeserializeSeed, IgnoredAny, MapAccess, SeqAccess, Visitor};
use serde_json::Value;

use super::{ChoiceKind, ChoiceQuestion, ScoreShape, Slot};

/// Reads the integer answers of a shape's items, and the answers of its indicator questions,
/// from a stored answers object, skipping every other answer without building it. A later
/// duplicate key wins, as in a parsed map. Without the indicator questions when the flag is off.
pub(super) struct ItemValues<'s>(pub(super) &'s ScoreShape, pub(super) bool);

/// Per item its integer answer; per indicator question the answers chosen, bit `i` for its
/// `i`-th answer (0: no answer).
type Values = (Vec<Option<i64>>, Vec<u64>);

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
        let mut choices = vec![0; if self.1 { self.0.choices.len() } else { 0 }];
        while let Some(key) = map.next_key_seed(ItemKey(self.0))? {
            match key {
                Some(Slot::Item(j)) => values[j] = map.next_value::<Value>()?.as_i64(),
                Some(Slot::Choice(q)) if self.1 => {
                    choices[q] = map.next_value_seed(Chosen(&self.0.choices[q], true))?;
                }
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

/// Reads the answer to an indicator question as the bits of the answers it names, as
/// `ChoiceQuestion::chosen` reads a parsed value: an option id, a level or yes/no; a list of
/// option ids for a multiple choice (`top`: the answer itself, not an element of its list);
/// anything else names no answer.
struct Chosen<'q>(&'q ChoiceQuestion, bool);

impl Chosen<'_> {
    /// The bit of the answer at `found`; none for a multiple choice's answer that is not in
    /// a list.
    fn bit(&self, found: Option<usize>) -> u64 {
        let out_of_list = self.1 && self.0.kind == ChoiceKind::MultipleChoice;
        found
            .filter(|&i| i < 64 && !out_of_list)
            .map_or(0, |i| 1 << i)
    }

    fn level(&self, v: Option<i64>) -> u64 {
        self.bit(v.and_then(|v| (self.0.answers.iter()).position(|a| a.is_level(v))))
    }
}

impl<'de> DeserializeSeed<'de> for Chosen<'_> {
    type Value = u64;

    fn deserialize<D: serde::Deserializer<'de>>(self, d: D) -> Result<u64, D::Error> {
        d.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for Chosen<'_> {
    type Value = u64;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("an answer")
    }

    fn visit_str<E: serde::de::Error>(self, v: &str) -> Result<u64, E> {
        Ok(self.bit((self.0.answers.iter()).position(|a| a.is_option(v))))
    }

    fn visit_bool<E: serde::de::Error>(self, v: bool) -> Result<u64, E> {
        Ok(self.bit((self.0.answers.iter()).position(|a| a.is_bool(v))))
    }

    fn visit_i64<E: serde::de::Error>(self, v: i64) -> Result<u64, E> {
        Ok(self.level(Some(v)))
    }

    fn visit_u64<E: serde::de::Error>(self, v: u64) -> Result<u64, E> {
        Ok(self.level(i64::try_from(v).ok()))
    }

    fn visit_f64<E: serde::de::Error>(self, _: f64) -> Result<u64, E> {
        Ok(0)
    }

    fn visit_unit<E: serde::de::Error>(self) -> Result<u64, E> {
        Ok(0)
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<u64, A::Error> {
        let list = self.1 && self.0.kind == ChoiceKind::MultipleChoice;
        let mut bits = 0;
        while let Some(b) = seq.next_element_seed(Chosen(self.0, false))? {
            bits |= b;
        }
        Ok(if list { bits } else { 0 })
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<u64, A::Error> {
        while map.next_entry::<IgnoredAny, IgnoredAny>()?.is_some() {}
        Ok(0)
    }
}
