//! What sipas keeps per bucket (agency × form version × month × channel) so that results are
//! computed without reading responses (issue "Scoring", item 3): the number of valid responses
//! and invalid returns, per item the count of answers at each level, the statistics core's
//! [`Moments`] (pairwise counts for the linearised variance), and the Decision 766 counts of
//! dissatisfied responses under each rule (methodology §3.9). Everything is an integer count, so
//! buckets add up exactly and a rebuild from the raw responses is bit-identical. A bucket is
//! stored as text in a compact form (hexadecimal varints, see `COMPACT`), which results decode
//! many times per request; buckets stored as JSON by earlier versions are still read.
//!
//! A [`ScoreShape`] is the per-form-version layout (items in index-tree order, their scales, the
//! tree's node subsets); a [`Contribution`] is what one stored response adds to its bucket.

use std::collections::{BTreeMap, HashMap};
use std::fmt;

use serde::de::{DeserializeSeed, IgnoredAny, MapAccess, Visitor};
use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::forms::FormDefinition;
use super::scoring::IndexTree;
use crate::stats::{Moments, StatsError, Subsets};

/// The Decision 766 rules for "this response is dissatisfied" (methodology §3.9), in the order
/// their counts are kept.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DissatisfiedRule {
    /// The mean of the answered satisfaction items is below the scale's middle (the default).
    MeanBelowNeutral,
    /// More than half of the answered items are below the middle.
    MajorityLow,
    /// At least one answered item is below the middle.
    AnyLow,
}

impl DissatisfiedRule {
    pub const ALL: [DissatisfiedRule; 3] = [
        DissatisfiedRule::MeanBelowNeutral,
        DissatisfiedRule::MajorityLow,
        DissatisfiedRule::AnyLow,
    ];

    /// Its position in [`DissatisfiedRule::ALL`], where counts per rule are kept.
    pub(crate) fn index(self) -> usize {
        match self {
            DissatisfiedRule::MeanBelowNeutral => 0,
            DissatisfiedRule::MajorityLow => 1,
            DissatisfiedRule::AnyLow => 2,
        }
    }
}

/// Sums over stored rows that change whenever one of the rows is written: the number of rows
/// and two sums of their random revisions (modulo two primes near 2³¹, so that they never
/// overflow). Two equal sums mean, but for a chance of about 2⁻⁶², the same rows as they were.
/// The database computes them from its indexes (`persistence::aggregates::input_sums`); the
/// memo computes them from the rows it keeps, to tell whether those are still the rows stored.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash)]
pub struct RevisionSums {
    pub rows: i64,
    pub sum_a: i64,
    pub sum_b: i64,
}

impl RevisionSums {
    /// The two moduli.
    pub const MODULI: (i64, i64) = (2_147_483_647, 2_147_483_629);

    /// The sums of one row (`%` truncates toward zero, as SQL's does).
    pub fn of_row(revision: i64) -> Self {
        RevisionSums {
            rows: 1,
            sum_a: revision % Self::MODULI.0,
            sum_b: revision % Self::MODULI.1,
        }
    }

    /// As the database returns them: rows, and the two sums.
    pub fn from_sql((rows, sum_a, sum_b): (i64, i64, i64)) -> Self {
        RevisionSums { rows, sum_a, sum_b }
    }

    pub fn merge(&mut self, other: &RevisionSums) {
        self.rows += other.rows;
        self.sum_a = self.sum_a.wrapping_add(other.sum_a);
        self.sum_b = self.sum_b.wrapping_add(other.sum_b);
    }
}

/// The layout of the buckets of one form version.
#[derive(Debug, Clone)]
pub struct ScoreShape {
    /// The index tree; item positions index every per-item list.
    pub tree: IndexTree,
    /// The item sets of the tree's nodes ([`Moments::subsets_of`]).
    subsets: Subsets,
    /// Per item, the scale's level values (ascending) and which of them count as satisfied.
    levels: Vec<Vec<i64>>,
    satisfied: Vec<Vec<i64>>,
    /// Item id → position, for reading stored answers ([`ScoreShape::stored_contribution`]).
    positions: HashMap<String, usize>,
}

/// What one stored response adds to its bucket.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Contribution {
    /// False for an invalid return (counted, nothing else).
    pub valid: bool,
    /// Per item: satisfied, answered but not satisfied, or blank.
    satisfied: Vec<Option<bool>>,
    /// Per item: the position of the answered level in the scale.
    levels: Vec<Option<usize>>,
    /// Dissatisfied under each [`DissatisfiedRule`].
    dissatisfied: [bool; 3],
}

impl ScoreShape {
    /// The shape of `form`'s buckets.
    pub fn of(form: &FormDefinition) -> Self {
        let tree = IndexTree::of(form);
        let subsets = Subsets::from(Moments::subsets_of(&tree.root.tree));
        let (levels, satisfied) = tree
            .items
            .iter()
            .map(|id| match form.scale_of(id) {
                Some(scale) => (
                    scale.levels().iter().map(|l| l.value()).collect(),
                    scale.satisfied_levels().to_vec(),
                ),
                None => (Vec::new(), Vec::new()),
            })
            .unzip();
        let positions = tree
            .items
            .iter()
            .enumerate()
            .map(|(j, id)| (id.clone(), j))
            .collect();
        ScoreShape {
            tree,
            subsets,
            levels,
            satisfied,
            positions,
        }
    }

    /// Number of satisfaction items.
    pub fn n_items(&self) -> usize {
        self.tree.items.len()
    }

    /// The level values of item `j`'s scale.
    pub fn levels_of(&self, j: usize) -> &[i64] {
        self.levels.get(j).map(Vec::as_slice).unwrap_or_default()
    }

    /// What a response with these validated answers adds (`valid` false: an invalid return).
    pub fn contribution(&self, answers: &BTreeMap<String, Value>, valid: bool) -> Contribution {
        self.contribution_of(
            |j| {
                self.tree
                    .items
                    .get(j)
                    .and_then(|id| answers.get(id))
                    .and_then(Value::as_i64)
            },
            valid,
        )
    }

    /// What a stored response adds, from its answers as stored (a JSON object): the same as
    /// [`ScoreShape::contribution`] of the parsed object, but only the satisfaction items are
    /// read, without building the object — for rebuilds and scans of a million responses.
    ///
    /// # Errors
    /// When the text is not a JSON object.
    pub fn stored_contribution(
        &self,
        answers: &str,
        valid: bool,
    ) -> Result<Contribution, serde_json::Error> {
        let mut de = serde_json::Deserializer::from_str(answers);
        let values = ItemValues(self).deserialize(&mut de)?;
        de.end()?;
        Ok(self.contribution_of(|j| values.get(j).copied().flatten(), valid))
    }

    /// What a response adds whose answer to item `j` is `answer(j)` (an integer level, if any).
    fn contribution_of(&self, answer: impl Fn(usize) -> Option<i64>, valid: bool) -> Contribution {
        let n = self.n_items();
        let mut c = Contribution {
            valid,
            satisfied: vec![None; n],
            levels: vec![None; n],
            dissatisfied: [false; 3],
        };
        if !valid {
            return c;
        }
        let (mut answered, mut low, mut sum, mut neutral_sum) = (0_u32, 0_u32, 0.0, 0.0);
        for j in 0..n {
            let Some(level) = answer(j) else {
                continue;
            };
            let levels = self.levels_of(j);
            let Some(position) = levels.iter().position(|&l| l == level) else {
                continue;
            };
            c.levels[j] = Some(position);
            c.satisfied[j] = Some(self.satisfied.get(j).is_some_and(|s| s.contains(&level)));
            let (min, max) = (levels[0] as f64, levels[levels.len() - 1] as f64);
            let neutral = (min + max) / 2.0;
            answered += 1;
            sum += level as f64;
            neutral_sum += neutral;
            low += u32::from((level as f64) < neutral);
        }
        if answered > 0 {
            c.dissatisfied = [sum < neutral_sum, 2 * low > answered, low > 0];
        }
        c
    }

    /// An empty bucket.
    pub fn empty(&self) -> BucketCounts {
        BucketCounts {
            valid: 0,
            invalid: 0,
            dissatisfied: [0; 3],
            levels: self.levels.iter().map(|l| vec![0; l.len()]).collect(),
            moments: Moments::new(self.n_items(), self.subsets.clone()),
        }
    }

    /// Reads a stored bucket: the compact form [`BucketCounts::encode`] writes, or the JSON
    /// object of integers buckets were first stored as (read until a rebuild rewrites them).
    ///
    /// # Errors
    /// When the text is not a bucket of this shape (a form version's items never change, so
    /// this means corruption).
    pub fn decode(&self, text: &str) -> Result<BucketCounts, BucketError> {
        let stored = match text.strip_prefix(COMPACT) {
            Some(hex) => self.decode_compact(hex).ok_or(BucketError)?,
            None => serde_json::from_str(text).map_err(|_| BucketError)?,
        };
        let moments = Moments::from_counts(self.n_items(), self.subsets.clone(), &stored.m)
            .map_err(|_: StatsError| BucketError)?;
        let levels_fit = stored.l.len() == self.levels.len()
            && stored
                .l
                .iter()
                .zip(&self.levels)
                .all(|(a, b)| a.len() == b.len());
        if !levels_fit {
            return Err(BucketError);
        }
        Ok(BucketCounts {
            valid: stored.v,
            invalid: stored.i,
            dissatisfied: stored.d,
            levels: stored.l,
            moments,
        })
    }
}

impl ScoreShape {
    /// Adds a stored bucket to `into` (a bucket of this shape): what `into.merge(&decode(text))`
    /// does, without building the decoded bucket — a province's year merges thousands.
    ///
    /// # Errors
    /// As [`ScoreShape::decode`]; `into` is then partly added to, and to be discarded.
    pub fn add_stored(&self, text: &str, into: &mut BucketCounts) -> Result<(), BucketError> {
        let Some(hex) = text.strip_prefix(COMPACT) else {
            return into.merge(&self.decode(text)?);
        };
        let mut numbers = HexVarints {
            hex: hex.as_bytes(),
            at: 0,
            bad: false,
        };
        self.add_numbers(&mut numbers, into)?;
        if numbers.bad {
            return Err(BucketError);
        }
        Ok(())
    }

    /// Adds a bucket packed by [`BucketCounts::pack`] to `into` (a bucket of this shape).
    ///
    /// # Errors
    /// When the bytes are not a bucket of this shape; `into` is then to be discarded.
    pub fn add_packed(&self, bytes: &[u8], into: &mut BucketCounts) -> Result<(), BucketError> {
        self.add_numbers(&mut Varints { bytes, at: 0 }, into)
    }

    /// Adds the numbers of a bucket, in the order [`BucketCounts::encode`] writes them.
    fn add_numbers(
        &self,
        numbers: &mut impl VarintSource,
        into: &mut BucketCounts,
    ) -> Result<(), BucketError> {
        if into.levels.len() != self.levels.len() {
            return Err(BucketError);
        }
        let mut next = || numbers.next_number().ok_or(BucketError);
        into.valid += next()?;
        into.invalid += next()?;
        for d in &mut into.dissatisfied {
            *d += next()?;
        }
        for (counts, levels) in into.levels.iter_mut().zip(&self.levels) {
            if counts.len() != levels.len() {
                return Err(BucketError);
            }
            for c in counts.iter_mut() {
                *c += next()?;
            }
        }
        let mut rest = std::iter::from_fn(|| (!numbers.done()).then(|| numbers.next_number()));
        into.moments
            .add_counts(&mut rest)
            .map_err(|_: StatsError| BucketError)
    }

    /// The numbers of a compact bucket, in the order [`BucketCounts::encode`] writes them.
    fn decode_compact(&self, hex: &str) -> Option<Stored> {
        let bytes = hex_bytes(hex.as_bytes())?;
        let mut numbers = Varints {
            bytes: &bytes,
            at: 0,
        };
        let v = numbers.next()?;
        let i = numbers.next()?;
        let d = [numbers.next()?, numbers.next()?, numbers.next()?];
        let l = self
            .levels
            .iter()
            .map(|levels| levels.iter().map(|_| numbers.next()).collect())
            .collect::<Option<Vec<Vec<u64>>>>()?;
        let mut m = Vec::with_capacity(bytes.len() - numbers.at.min(bytes.len()));
        while numbers.at < bytes.len() {
            m.push(numbers.next()?);
        }
        Some(Stored { v, i, d, l, m })
    }
}

/// Prefix of the compact form of a bucket: then, in hexadecimal, every count as an unsigned
/// LEB128 varint — valid, invalid, the three Decision 766 counts, each item's level counts,
/// and `Moments::to_counts`. A year of a busy agency reads 36 buckets of some 3,000 counts;
/// this form decodes several times faster than a JSON list of the same numbers.
const COMPACT: &str = "x1:";

/// The value of each lowercase hexadecimal digit; `0xff` for any other byte.
const HEX_VALUE: [u8; 256] = {
    let mut table = [0xff_u8; 256];
    let mut d = 0;
    while d < 10 {
        table[b'0' as usize + d] = d as u8;
        d += 1;
    }
    let mut d = 0;
    while d < 6 {
        table[b'a' as usize + d] = 10 + d as u8;
        d += 1;
    }
    table
};

/// The bytes of lowercase hexadecimal text; `None` for an odd length or another character.
fn hex_bytes(hex: &[u8]) -> Option<Vec<u8>> {
    if !hex.len().is_multiple_of(2) {
        return None;
    }
    let mut out = Vec::with_capacity(hex.len() / 2);
    let mut invalid = 0_u8;
    for pair in hex.chunks_exact(2) {
        let (high, low) = (
            HEX_VALUE[usize::from(pair[0])],
            HEX_VALUE[usize::from(pair[1])],
        );
        invalid |= (high | low) & 0xf0;
        out.push(high << 4 | (low & 0x0f));
    }
    (invalid == 0).then_some(out)
}

/// LEB128 varints read one after the other.
trait VarintSource {
    fn next_number(&mut self) -> Option<u64>;
    /// Whether every number has been read.
    fn done(&self) -> bool;
}

impl VarintSource for Varints<'_> {
    fn next_number(&mut self) -> Option<u64> {
        self.next()
    }

    fn done(&self) -> bool {
        self.at >= self.bytes.len()
    }
}

impl VarintSource for HexVarints<'_> {
    fn next_number(&mut self) -> Option<u64> {
        self.next()
    }

    fn done(&self) -> bool {
        self.at >= self.hex.len()
    }
}

/// Reads LEB128 varints from bytes.
struct Varints<'a> {
    bytes: &'a [u8],
    at: usize,
}

impl Varints<'_> {
    fn next(&mut self) -> Option<u64> {
        let mut value = 0_u64;
        let mut shift = 0_u32;
        loop {
            let b = *self.bytes.get(self.at)?;
            self.at += 1;
            if shift >= 64 {
                return None;
            }
            value |= u64::from(b & 0x7f) << shift;
            if b & 0x80 == 0 {
                return Some(value);
            }
            shift += 7;
        }
    }
}

/// Reads LEB128 varints straight from their lowercase hexadecimal text.
struct HexVarints<'a> {
    hex: &'a [u8],
    at: usize,
    /// A character that is no lowercase hexadecimal digit was read.
    bad: bool,
}

impl HexVarints<'_> {
    fn byte(&mut self) -> Option<u8> {
        let pair = self.hex.get(self.at..self.at + 2)?;
        self.at += 2;
        let (high, low) = (
            HEX_VALUE[usize::from(pair[0])],
            HEX_VALUE[usize::from(pair[1])],
        );
        self.bad |= (high | low) & 0xf0 != 0;
        Some(high << 4 | (low & 0x0f))
    }

    fn next(&mut self) -> Option<u64> {
        let mut value = 0_u64;
        let mut shift = 0_u32;
        loop {
            let b = self.byte()?;
            if shift >= 64 {
                return None;
            }
            value |= u64::from(b & 0x7f) << shift;
            if b & 0x80 == 0 {
                return Some(value);
            }
            shift += 7;
        }
    }
}

/// Appends `n` as an unsigned LEB128 varint in lowercase hexadecimal.
fn put_varint(out: &mut String, mut n: u64) {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    loop {
        let mut b = (n & 0x7f) as u8;
        n >>= 7;
        if n != 0 {
            b |= 0x80;
        }
        out.push(char::from(DIGITS[usize::from(b >> 4)]));
        out.push(char::from(DIGITS[usize::from(b & 0xf)]));
        if n == 0 {
            return;
        }
    }
}

/// Reads the integer answers of a shape's items from a stored answers object, skipping every
/// other answer without building it. A later duplicate key wins, as in a parsed map.
struct ItemValues<'s>(&'s ScoreShape);

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

/// A stored bucket does not fit its form version.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("a stored score bucket does not fit its form version")]
pub struct BucketError;

/// The counts of one bucket (or of several, merged).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BucketCounts {
    /// Valid responses.
    pub valid: u64,
    /// Invalid returns.
    pub invalid: u64,
    dissatisfied: [u64; 3],
    /// Per item, answers per level (in the scale's order).
    pub levels: Vec<Vec<u64>>,
    /// The sufficient statistics of the valid responses.
    pub moments: Moments,
}

/// The numbers of a bucket; also its first stored form (JSON, short names, integers only),
/// still read.
#[derive(Serialize, Deserialize)]
struct Stored {
    v: u64,
    i: u64,
    d: [u64; 3],
    l: Vec<Vec<u64>>,
    m: Vec<u64>,
}

impl BucketCounts {
    /// Adds one response.
    pub fn add(&mut self, c: &Contribution) {
        if !c.valid {
            self.invalid += 1;
            return;
        }
        self.valid += 1;
        for (d, &is) in self.dissatisfied.iter_mut().zip(&c.dissatisfied) {
            *d += u64::from(is);
        }
        for (counts, level) in self.levels.iter_mut().zip(&c.levels) {
            if let Some(slot) = level.and_then(|p| counts.get_mut(p)) {
                *slot += 1;
            }
        }
        // Same shape by construction: the contribution came from this bucket's shape.
        let _ = self.moments.add(&c.satisfied);
    }

    /// Adds another bucket of the same shape.
    ///
    /// # Errors
    /// [`BucketError`] when the shapes differ.
    pub fn merge(&mut self, other: &BucketCounts) -> Result<(), BucketError> {
        if self.levels.len() != other.levels.len() {
            return Err(BucketError);
        }
        self.moments
            .merge(&other.moments)
            .map_err(|_| BucketError)?;
        self.valid += other.valid;
        self.invalid += other.invalid;
        for (a, b) in self.dissatisfied.iter_mut().zip(&other.dissatisfied) {
            *a += b;
        }
        for (a, b) in self.levels.iter_mut().zip(&other.levels) {
            for (x, y) in a.iter_mut().zip(b) {
                *x += y;
            }
        }
        Ok(())
    }

    /// Valid responses dissatisfied under `rule` (D_dis of Decision 766).
    pub fn dissatisfied(&self, rule: DissatisfiedRule) -> u64 {
        self.dissatisfied[rule.index()]
    }

    /// About how many bytes it holds in memory (for a memo's budget).
    pub fn bytes(&self) -> usize {
        let numbers = self.levels.iter().map(Vec::len).sum::<usize>() + self.moments.count_len();
        std::mem::size_of::<Self>() + 8 * numbers + 24 * self.levels.len()
    }

    /// The stored text, in the compact form (see [`COMPACT`]).
    pub fn encode(&self) -> String {
        let numbers = self.numbers();
        let mut out = String::with_capacity(COMPACT.len() + 4 * numbers.len());
        out.push_str(COMPACT);
        for n in numbers {
            put_varint(&mut out, n);
        }
        out
    }

    /// The same numbers as [`BucketCounts::encode`], as bytes (half the size, for keeping in
    /// memory; read with [`ScoreShape::add_packed`]).
    pub fn pack(&self) -> Vec<u8> {
        let numbers = self.numbers();
        let mut out = Vec::with_capacity(2 * numbers.len());
        for mut n in numbers {
            loop {
                let b = (n & 0x7f) as u8;
                n >>= 7;
                if n == 0 {
                    out.push(b);
                    break;
                }
                out.push(b | 0x80);
            }
        }
        out
    }

    /// Every count, in the stored order: valid, invalid, the three Decision 766 counts, each
    /// item's level counts, `Moments::to_counts`.
    fn numbers(&self) -> Vec<u64> {
        let moments = self.moments.to_counts();
        let mut out =
            Vec::with_capacity(5 + self.levels.iter().map(Vec::len).sum::<usize>() + moments.len());
        out.extend([self.valid, self.invalid]);
        out.extend(self.dissatisfied);
        out.extend(self.levels.iter().flatten());
        out.extend(moments);
        out
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;
    use serde_json::json;

    fn shape(key: &str) -> ScoreShape {
        ScoreShape::of(&crate::domain::forms::shipped(key))
    }

    fn answers(
        shape: &ScoreShape,
        level: impl Fn(usize) -> Option<i64>,
    ) -> BTreeMap<String, Value> {
        shape
            .tree
            .items
            .iter()
            .enumerate()
            .filter_map(|(j, id)| level(j).map(|l| (id.clone(), json!(l))))
            .collect()
    }

    #[test]
    fn contributions_count_levels_satisfaction_and_766_rules() {
        let s = shape("sipas-2017");
        let n = s.n_items();
        assert_eq!(n, 22);
        let mut b = s.empty();
        // All 5: satisfied everywhere, dissatisfied under no rule.
        b.add(&s.contribution(&answers(&s, |_| Some(5)), true));
        // One 1 and the rest 4: mean above 3, not a majority low, but any_low.
        b.add(&s.contribution(&answers(&s, |j| Some(if j == 0 { 1 } else { 4 })), true));
        // Two answers, 2 and 3: mean 2.5 < 3, half low (not a majority), any low.
        b.add(&s.contribution(
            &answers(&s, |j| [Some(2), Some(3)].get(j).copied().flatten()),
            true,
        ));
        b.add(&s.contribution(&answers(&s, |_| Some(1)), false));
        assert_eq!((b.valid, b.invalid), (3, 1));
        assert_eq!(b.dissatisfied(DissatisfiedRule::MeanBelowNeutral), 1);
        assert_eq!(b.dissatisfied(DissatisfiedRule::MajorityLow), 0);
        assert_eq!(b.dissatisfied(DissatisfiedRule::AnyLow), 2);
        assert_eq!(b.levels[0], vec![1, 1, 0, 0, 1]);
        assert_eq!(b.levels[1], vec![0, 0, 1, 1, 1]);
        assert_eq!(b.levels[5], vec![0, 0, 0, 1, 1]);
        assert_eq!(b.moments.respondents(), 3);

        let back = s.decode(&b.encode()).unwrap();
        assert_eq!(back, b);
        // Buckets stored as JSON before the compact form are still read.
        let json = serde_json::to_string(&Stored {
            v: b.valid,
            i: b.invalid,
            d: b.dissatisfied,
            l: b.levels.clone(),
            m: b.moments.to_counts(),
        })
        .unwrap();
        assert_eq!(s.decode(&json).unwrap(), b);
        // Big counts survive; damaged text does not decode.
        let mut big = b.clone();
        big.valid = u64::MAX;
        big.levels[0][4] = 300;
        assert_eq!(s.decode(&big.encode()).unwrap(), big);
        let text = b.encode();
        for bad in [
            &text[..text.len() - 1],
            &text[..text.len() - 2],
            &text.replace("x1:", "x1:0"),
            "x1:",
            "x1:zz",
            "x1:FF00",
            &format!("x1:{}01", "ff".repeat(10)),
            &format!("{text}00"),
            &text.replacen("x1:03", "x1:0g", 1),
        ] {
            assert!(s.decode(bad).is_err(), "{bad}");
            assert!(s.add_stored(bad, &mut s.empty()).is_err(), "{bad}");
        }
        let mut twice = b.clone();
        twice.merge(&back).unwrap();
        assert_eq!(twice.valid, 6);
        assert_eq!(twice.levels[0], vec![2, 2, 0, 0, 2]);
        // Adding the stored text is merging the decoded bucket, compact or JSON.
        for stored in [text.as_str(), json.as_str()] {
            let mut added = b.clone();
            s.add_stored(stored, &mut added).unwrap();
            let mut merged = b.clone();
            merged.merge(&s.decode(stored).unwrap()).unwrap();
            assert_eq!(added, merged);
        }
        assert_eq!(twice.valid, 6);
        // Packed (the memo's form): the same numbers as bytes, added as the text is.
        let packed = big.pack();
        assert!(2 * packed.len() < big.encode().len());
        let mut from_bytes = s.empty();
        s.add_packed(&packed, &mut from_bytes).unwrap();
        assert_eq!(from_bytes, big);
        let (mut from_bytes, mut from_text) = (b.clone(), b.clone());
        s.add_packed(&b.pack(), &mut from_bytes).unwrap();
        s.add_stored(&text, &mut from_text).unwrap();
        assert_eq!(from_bytes, from_text);
        for bad in [&packed[..packed.len() - 1], &[0x80][..], &[]] {
            assert!(s.add_packed(bad, &mut s.empty()).is_err());
        }
        assert!(
            shape("sipas-quick")
                .add_packed(&packed, &mut shape("sipas-quick").empty())
                .is_err()
        );
        assert!(shape("sipas-quick").decode(&b.encode()).is_err());
        assert!(
            shape("sipas-quick")
                .add_stored(&b.encode(), &mut shape("sipas-quick").empty())
                .is_err()
        );
        assert!(s.decode("{}").is_err());
    }

    #[test]
    fn stored_answers_contribute_as_the_parsed_ones() {
        let s = shape("sipas-2017");
        for text in [
            r#"{"s1":5,"s2":"x","s3":null,"p1":"once","e1":["a","b"],"comment":"{\"s4\":1}","s5":2.0,"s6":3}"#,
            r#"{"s1":1,"s1":4,"g1":"Hộ tịch","s22":5}"#,
            r#"{}"#,
        ] {
            let parsed: BTreeMap<String, Value> = serde_json::from_str(text).unwrap();
            for valid in [true, false] {
                assert_eq!(
                    s.stored_contribution(text, valid).unwrap(),
                    s.contribution(&parsed, valid),
                    "{text}"
                );
            }
        }
        for bad in ["[1]", "{", "{} x", "4"] {
            assert!(s.stored_contribution(bad, true).is_err(), "{bad}");
        }
    }
}
