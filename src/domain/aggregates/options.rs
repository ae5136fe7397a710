//! The perception and needs questions of a form version (methodology §3.3) and their counts in
//! a bucket: for every single-choice, multiple-choice and yes/no question, and every scale
//! question outside the index tree (an ordinal grid row, the 2017 form's `o1`), the respondents
//! who answered it and how many chose each option or level. Kept with the satisfaction counts in
//! the same bucket, so that closing a month, a late entry and a rebuild maintain them at once and
//! results read them without parsing an answer.
//!
//! Left out: demographics and location (`d_*`, `l_*`, methodology §2.0 — they describe the
//! sample, and shares of small groups per agency would single people out), questions prefilled
//! from the dossier (the procedure field, already a breakdown) and reserved questions. A
//! question with more than [`MAX_ANSWERS`] options or levels is not counted either: a stored
//! answer is read as one bit per answer (`stored_answers`).

/// The most answers an indicator question may have (the bits of a `u64`).
pub const MAX_ANSWERS: usize = 64;

use serde_json::Value;

use crate::domain::forms::{FormDefinition, Question, QuestionKind};
use crate::domain::scoring::IndexTree;

/// How an indicator question is answered, and so how its shares read.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ChoiceKind {
    /// One option: the shares sum to 100.
    SingleChoice,
    /// Several options: each share is of the respondents who chose at least one.
    MultipleChoice,
    /// Yes or no.
    YesNo,
    /// A level of an ordinal scale (a grid row): a share per level, and the positive share.
    Grid,
}

/// One answer a question counts: an option id, a level or yes/no.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Answer {
    Option(String),
    Level(i64),
    Bool(bool),
}

impl Answer {
    /// The stored answer as text (`none`, `4`, `true`).
    pub fn key(&self) -> String {
        match self {
            Answer::Option(id) => id.clone(),
            Answer::Level(l) => l.to_string(),
            Answer::Bool(b) => b.to_string(),
        }
    }

    fn matches(&self, value: &Value) -> bool {
        match self {
            Answer::Option(id) => value.as_str() == Some(id),
            Answer::Level(l) => value.as_i64() == Some(*l),
            Answer::Bool(b) => value.as_bool() == Some(*b),
        }
    }

    /// Whether it is the option `id`.
    pub(super) fn is_option(&self, id: &str) -> bool {
        matches!(self, Answer::Option(o) if o == id)
    }

    /// Whether it is the level `level`.
    pub(super) fn is_level(&self, level: i64) -> bool {
        matches!(self, Answer::Level(l) if *l == level)
    }

    /// Whether it is yes (`true`) or no.
    pub(super) fn is_bool(&self, yes: bool) -> bool {
        matches!(self, Answer::Bool(b) if *b == yes)
    }
}

/// An indicator question of a form version.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChoiceQuestion {
    pub id: String,
    pub kind: ChoiceKind,
    /// The answers counted, in the form's order (a scale's levels ascending).
    pub answers: Vec<Answer>,
    /// Positions in `answers` of the positive levels (a grid's `positive_levels`, or `o1`'s
    /// satisfied ones); empty when the scale has none.
    pub positive: Vec<usize>,
}

impl ChoiceQuestion {
    /// The indicator question of `q`, if it is one.
    fn of(form: &FormDefinition, q: &Question, tree: &IndexTree) -> Option<Self> {
        let described = q.id().starts_with("d_") || q.id().starts_with("l_");
        if q.hidden() || described || q.prefill().is_some() || tree.position(q.id()).is_some() {
            return None;
        }
        let options = || {
            (q.options().iter())
                .map(|o| Answer::Option(o.id().to_owned()))
                .collect()
        };
        let (kind, answers, positive) = match q.kind() {
            QuestionKind::SingleChoice => (ChoiceKind::SingleChoice, options(), Vec::new()),
            QuestionKind::MultipleChoice => (ChoiceKind::MultipleChoice, options(), Vec::new()),
            QuestionKind::YesNo => (
                ChoiceKind::YesNo,
                vec![Answer::Bool(true), Answer::Bool(false)],
                Vec::new(),
            ),
            QuestionKind::Scale => {
                let scale = form.scale_of(q.id())?;
                let levels: Vec<i64> = scale.levels().iter().map(|l| l.value()).collect();
                let positive = (levels.iter().enumerate())
                    .filter(|(_, l)| scale.counted_levels().contains(l))
                    .map(|(i, _)| i)
                    .collect();
                let answers = levels.into_iter().map(Answer::Level).collect();
                (ChoiceKind::Grid, answers, positive)
            }
            QuestionKind::Text | QuestionKind::Number => return None,
        };
        if answers.len() > MAX_ANSWERS {
            return None;
        }
        Some(ChoiceQuestion {
            id: q.id().to_owned(),
            kind,
            answers,
            positive,
        })
    }

    /// The positions of the answers in `value`, ascending and each once (none: unanswered).
    fn chosen(&self, value: &Value, out: &mut Vec<u32>) {
        let mut push = |value: &Value| {
            if let Some(i) = self.answers.iter().position(|a| a.matches(value)) {
                out.push(u32::try_from(i).unwrap_or(u32::MAX));
            }
        };
        match (self.kind, value) {
            (ChoiceKind::MultipleChoice, Value::Array(list)) => list.iter().for_each(push),
            (ChoiceKind::MultipleChoice, _) => {}
            (_, value) => push(value),
        }
        out.sort_unstable();
        out.dedup();
    }
}

/// The indicator questions of `form`, in form order.
pub(super) fn choice_questions(form: &FormDefinition, tree: &IndexTree) -> Vec<ChoiceQuestion> {
    form.questions()
        .filter_map(|q| ChoiceQuestion::of(form, q, tree))
        .collect()
}

/// What one response adds to the option counts: `(question, answer)` positions, by question.
pub(super) fn chosen_of<'v>(
    questions: &[ChoiceQuestion],
    answer: impl Fn(usize) -> Option<&'v Value>,
) -> Vec<(u32, u32)> {
    let mut out = Vec::new();
    let mut one = Vec::new();
    for (q, question) in questions.iter().enumerate() {
        let Some(value) = answer(q) else { continue };
        one.clear();
        question.chosen(value, &mut one);
        let q = u32::try_from(q).unwrap_or(u32::MAX);
        out.extend(one.iter().map(|&a| (q, a)));
    }
    out
}

/// What one response adds, from the answers chosen per question as bits (bit `i`: its `i`-th
/// answer, `stored_answers`): the same pairs as [`chosen_of`] of the parsed answers.
pub(super) fn chosen_of_bits(bits: &[u64]) -> Vec<(u32, u32)> {
    let mut out = Vec::new();
    for (q, &b) in bits.iter().enumerate() {
        let q = u32::try_from(q).unwrap_or(u32::MAX);
        let mut rest = b;
        while rest != 0 {
            out.push((q, rest.trailing_zeros()));
            rest &= rest - 1;
        }
    }
    out
}

/// Per indicator question, the respondents who answered it (first) and then the count of each
/// answer: `[answered, c₁, …, c_k]`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct OptionCounts(pub(super) Vec<Vec<u64>>);

impl OptionCounts {
    /// No counts, for these questions.
    pub(super) fn empty(questions: &[ChoiceQuestion]) -> Self {
        OptionCounts(
            questions
                .iter()
                .map(|q| vec![0; 1 + q.answers.len()])
                .collect(),
        )
    }

    /// Adds one response's `(question, answer)` positions (grouped by question).
    pub(super) fn add(&mut self, chosen: &[(u32, u32)]) {
        let mut last = None;
        for &(q, a) in chosen {
            let Some(counts) = self.0.get_mut(q as usize) else {
                continue;
            };
            if last != Some(q) {
                counts[0] += 1;
                last = Some(q);
            }
            if let Some(c) = counts.get_mut(1 + a as usize) {
                *c += 1;
            }
        }
    }

    /// Adds other counts of the same questions; counts of no question (a default) take the
    /// other's shape.
    ///
    /// # Errors
    /// When the shapes differ.
    pub fn merge(&mut self, other: &OptionCounts) -> Result<(), super::BucketError> {
        if self.0.is_empty() {
            self.0.clone_from(&other.0);
            return Ok(());
        }
        if other.0.is_empty() {
            return Ok(());
        }
        let fits = self.0.len() == other.0.len()
            && self.0.iter().zip(&other.0).all(|(a, b)| a.len() == b.len());
        if !fits {
            return Err(super::BucketError);
        }
        for (a, b) in self.0.iter_mut().zip(&other.0) {
            for (x, y) in a.iter_mut().zip(b) {
                *x += y;
            }
        }
        Ok(())
    }

    /// The respondents who answered question `q`.
    pub fn answered(&self, q: usize) -> u64 {
        self.0.get(q).and_then(|c| c.first()).copied().unwrap_or(0)
    }

    /// The count of each answer of question `q` (empty for counts of no question).
    pub fn counts(&self, q: usize) -> &[u64] {
        self.0.get(q).and_then(|c| c.get(1..)).unwrap_or_default()
    }

    /// Every count, in the stored order.
    pub(super) fn numbers(&self) -> impl Iterator<Item = &u64> {
        self.0.iter().flatten()
    }

    /// Every count, mutably, in the stored order (for decoding).
    pub(super) fn numbers_mut(&mut self) -> impl Iterator<Item = &mut u64> {
        self.0.iter_mut().flatten()
    }

    /// How many numbers they hold.
    pub(super) fn len(&self) -> usize {
        self.0.iter().map(Vec::len).sum()
    }
}
