//! What sipas keeps per bucket (a roll-up: agency × form version × span × channel) so that results are
//! computed without reading responses (issue "Scoring", item 3): the number of valid responses
//! and invalid returns, per item the count of answers at each level, the statistics core's
//! [`Moments`] (pairwise counts for the linearised variance), and the Decision 766 counts of
//! dissatisfied responses under each rule (methodology §3.9). Everything is an integer count, so
//! buckets add up exactly and a rebuild from the raw responses is bit-identical. A bucket is
//! stored as packed binary varints (`encoding`), which results decode straight into their sums.
//!
//! A bucket also counts the answers to the form's perception and needs questions (`options`,
//! methodology §3.3), after the satisfaction counts.
//!
//! A [`ScoreShape`] is the per-form-version layout (items in index-tree order, their scales, the
//! tree's node subsets, the indicator questions); a [`Contribution`] is what one stored response
//! adds to its bucket.
//! The stored form of a bucket (writing and reading it) is in `encoding`; reading the items
//! of a stored answers object is in `stored_answers`.

mod encoding;
pub use encoding::packed_responses;
mod options;
pub use options::{Answer, ChoiceKind, ChoiceQuestion, OptionCounts};
mod stored_answers;
#[cfg(test)]
mod tests;

use std::collections::{BTreeMap, HashMap};
use std::hash::{BuildHasherDefault, Hasher};

use serde::de::DeserializeSeed;
use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::forms::FormDefinition;
use super::scoring::IndexTree;
use crate::stats::{Moments, Subsets};
use stored_answers::ItemValues;

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
    /// The perception and needs questions whose answers are counted (methodology §3.3).
    choices: Vec<ChoiceQuestion>,
    /// Question id → where its answer goes, for reading stored answers
    /// ([`ScoreShape::stored_contribution`]).
    positions: HashMap<String, Slot, BuildHasherDefault<Fnv>>,
}

/// Where a stored answer is counted.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Slot {
    /// A satisfaction item, by position.
    Item(usize),
    /// An indicator question, by position in `choices`.
    Choice(usize),
}

/// FNV-1a, for [`ScoreShape`]'s item ids: a few dozen short keys, each looked up for every answer
/// of every response a rebuild reads (a million responses, some sixty keys each), where SipHash
/// took a sixth of the parse. Its protection buys nothing here: the table is built from the form
/// definition, and a stored key that is no item is simply not found.
struct Fnv(u64);

impl Default for Fnv {
    fn default() -> Self {
        Fnv(0xcbf2_9ce4_8422_2325)
    }
}

impl Hasher for Fnv {
    fn finish(&self) -> u64 {
        self.0
    }

    fn write(&mut self, bytes: &[u8]) {
        for b in bytes {
            self.0 = (self.0 ^ u64::from(*b)).wrapping_mul(0x0100_0000_01b3);
        }
    }
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
    /// The `(question, answer)` positions of the indicator answers, by question.
    chosen: Vec<(u32, u32)>,
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
        let choices = options::choice_questions(form, &tree);
        let items = (tree.items.iter().enumerate()).map(|(j, id)| (id.clone(), Slot::Item(j)));
        let questions = (choices.iter().enumerate()).map(|(q, c)| (c.id.clone(), Slot::Choice(q)));
        let positions = items.chain(questions).collect();
        ScoreShape {
            tree,
            subsets,
            levels,
            satisfied,
            choices,
            positions,
        }
    }

    /// The perception and needs questions counted (methodology §3.3), in form order.
    pub fn choices(&self) -> &[ChoiceQuestion] {
        &self.choices
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
        let mut c = self.contribution_of(
            |j| {
                self.tree
                    .items
                    .get(j)
                    .and_then(|id| answers.get(id))
                    .and_then(Value::as_i64)
            },
            valid,
        );
        if valid {
            c.chosen = options::chosen_of(&self.choices, |q| {
                self.choices.get(q).and_then(|c| answers.get(&c.id))
            });
        }
        c
    }

    /// What a stored response adds, from its answers as stored (a JSON object): the same as
    /// [`ScoreShape::contribution`] of the parsed object, but only the satisfaction items and
    /// the indicator questions are read, without building the object — for rebuilds of a
    /// million responses.
    ///
    /// # Errors
    /// When the text is not a JSON object.
    pub fn stored_contribution(
        &self,
        answers: &str,
        valid: bool,
    ) -> Result<Contribution, serde_json::Error> {
        self.read_stored(answers, valid, true)
    }

    /// As [`ScoreShape::stored_contribution`] without the indicator questions (their counts
    /// stay 0): for the breakdown cells scanned at read time, which show no indicator.
    ///
    /// # Errors
    /// When the text is not a JSON object.
    pub fn stored_item_contribution(
        &self,
        answers: &str,
        valid: bool,
    ) -> Result<Contribution, serde_json::Error> {
        self.read_stored(answers, valid, false)
    }

    fn read_stored(
        &self,
        answers: &str,
        valid: bool,
        with_choices: bool,
    ) -> Result<Contribution, serde_json::Error> {
        let mut de = serde_json::Deserializer::from_str(answers);
        let (values, choices) = ItemValues(self, with_choices).deserialize(&mut de)?;
        de.end()?;
        let mut c = self.contribution_of(|j| values.get(j).copied().flatten(), valid);
        if valid && with_choices {
            c.chosen = options::chosen_of_bits(&choices);
        }
        Ok(c)
    }

    /// What a response adds whose answer to item `j` is `answer(j)` (an integer level, if any).
    fn contribution_of(&self, answer: impl Fn(usize) -> Option<i64>, valid: bool) -> Contribution {
        let n = self.n_items();
        let mut c = Contribution {
            valid,
            satisfied: vec![None; n],
            levels: vec![None; n],
            dissatisfied: [false; 3],
            chosen: Vec::new(),
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
            levels: self.empty_levels(),
            moments: Moments::new(self.n_items(), self.subsets.clone()),
            options: OptionCounts::empty(&self.choices),
        }
    }

    /// The level counts of an empty bucket, alone (without its moments' allocations).
    pub fn empty_levels(&self) -> Vec<Vec<u64>> {
        self.levels.iter().map(|l| vec![0; l.len()]).collect()
    }
}

/// A stored bucket does not fit its form version.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("stored counts do not fit their form version")]
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
    /// The answers to the indicator questions of the valid responses.
    pub options: OptionCounts,
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
        self.options.add(&c.chosen);
    }

    /// Adds another bucket of the same shape.
    ///
    /// # Errors
    /// [`BucketError`] when the shapes differ.
    pub fn merge(&mut self, other: &BucketCounts) -> Result<(), BucketError> {
        if self.levels.len() != other.levels.len() || self.options.0.len() != other.options.0.len()
        {
            return Err(BucketError);
        }
        self.options.merge(&other.options)?;
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
        let numbers = self.levels.iter().map(Vec::len).sum::<usize>()
            + self.moments.count_len()
            + self.options.len();
        std::mem::size_of::<Self>() + 8 * numbers + 24 * (self.levels.len() + self.options.0.len())
    }
}
