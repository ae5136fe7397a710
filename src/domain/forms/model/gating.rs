//! Experience gating (methodology §3.8): the [`Condition`]s that gate a section, a question or
//! the respondent's eligibility on earlier answers, and their three-valued evaluation against
//! [`Answers`].

use std::collections::{BTreeMap, HashMap};
use std::hash::BuildHasher;

use serde::Serialize;
use serde_json::Value;
use utoipa::ToSchema;

use super::{FormDefinition, Question, QuestionKind};

/// A value in a condition's `in` list.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
#[serde(untagged)]
pub enum ConditionValue {
    /// A yes_no answer.
    Bool(bool),
    /// A scale level.
    Int(i64),
    /// An option id.
    Str(String),
}

/// A gate on earlier answers. JSON: `{"question","in":[…]}`, `{"question","min"?,"max"?}`,
/// `{"any":[…]}` or `{"all":[…]}`.
///
/// Three-valued: an atom whose question is unanswered (absent, `null`, empty list, wrong type) or
/// not applicable is *unknown*; `any`/`all` combine as Kleene logic; a gated question is applicable
/// unless its condition is definitely false. So a gate question left blank gates nothing (§3.8).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
#[serde(untagged)]
pub enum Condition {
    /// The answer to `question` is one of `values` (for a multiple choice: any selected option is).
    In {
        /// Tested question.
        question: String,
        /// Accepted answers.
        #[serde(rename = "in")]
        values: Vec<ConditionValue>,
    },
    /// The numeric answer to `question` is within `min..=max`.
    Range {
        /// Tested question.
        question: String,
        /// Lower bound, inclusive.
        #[serde(skip_serializing_if = "Option::is_none")]
        min: Option<i64>,
        /// Upper bound, inclusive.
        #[serde(skip_serializing_if = "Option::is_none")]
        max: Option<i64>,
    },
    /// At least one sub-condition holds.
    #[schema(no_recursion)]
    Any {
        /// Sub-conditions.
        any: Vec<Condition>,
    },
    /// Every sub-condition holds.
    #[schema(no_recursion)]
    All {
        /// Sub-conditions.
        all: Vec<Condition>,
    },
}

impl Condition {
    /// Ids of every question the condition tests.
    pub fn questions(&self) -> Vec<&str> {
        let mut out = Vec::new();
        self.collect_questions(&mut out);
        out
    }

    fn collect_questions<'a>(&'a self, out: &mut Vec<&'a str>) {
        match self {
            Condition::In { question, .. } | Condition::Range { question, .. } => {
                out.push(question)
            }
            Condition::Any { any: cs } | Condition::All { all: cs } => {
                cs.iter().for_each(|c| c.collect_questions(out));
            }
        }
    }
}

/// Answers as the API receives them: question id → JSON value (`null` or absent = unanswered).
pub trait Answers {
    /// The raw answer to a question, if any.
    fn answer(&self, question_id: &str) -> Option<&Value>;
}

impl<S: BuildHasher> Answers for HashMap<String, Value, S> {
    fn answer(&self, question_id: &str) -> Option<&Value> {
        self.get(question_id)
    }
}

impl Answers for BTreeMap<String, Value> {
    fn answer(&self, question_id: &str) -> Option<&Value> {
        self.get(question_id)
    }
}

impl Answers for serde_json::Map<String, Value> {
    fn answer(&self, question_id: &str) -> Option<&Value> {
        self.get(question_id)
    }
}

/// Depth guard for gate evaluation; conditions only look backwards, so real forms stay far below.
const MAX_GATE_DEPTH: usize = 512;

/// Gating: which questions apply to a respondent, and the value of a condition.
impl FormDefinition {
    /// Whether the question applies to this respondent: it exists, is not hidden, and its effective
    /// condition is not definitely false. Answers to a non-applicable question are treated as
    /// missing (online the block is skipped; on paper they are ignored, §3.8).
    pub fn is_applicable<A: Answers + ?Sized>(&self, question_id: &str, answers: &A) -> bool {
        self.applicable_at(question_id, answers, 0)
    }

    /// The satisfaction items that apply given the answers (the denominator of §3.7's blank share).
    pub fn applicable_satisfaction_items<A: Answers + ?Sized>(&self, answers: &A) -> Vec<&str> {
        self.satisfaction_items()
            .into_iter()
            .filter(|id| self.is_applicable(id, answers))
            .collect()
    }

    /// Whether the respondent is eligible: no eligibility test, or it is not definitely false.
    pub fn is_eligible<A: Answers + ?Sized>(&self, answers: &A) -> bool {
        match &self.eligibility {
            None => true,
            Some(c) => self.eval(c, answers, 0) != Some(false),
        }
    }

    /// Evaluates a condition against the answers: `Some(true)`, `Some(false)`, or `None` when it
    /// depends on an unanswered or non-applicable question.
    pub fn evaluate<A: Answers + ?Sized>(
        &self,
        condition: &Condition,
        answers: &A,
    ) -> Option<bool> {
        self.eval(condition, answers, 0)
    }

    fn applicable_at<A: Answers + ?Sized>(&self, id: &str, answers: &A, depth: usize) -> bool {
        let Some(q) = self.question(id) else {
            return false;
        };
        if q.hidden {
            return false;
        }
        match &q.condition {
            None => true,
            Some(c) => self.eval(c, answers, depth + 1) != Some(false),
        }
    }

    fn eval<A: Answers + ?Sized>(&self, c: &Condition, answers: &A, depth: usize) -> Option<bool> {
        if depth > MAX_GATE_DEPTH {
            return None;
        }
        match c {
            Condition::Any { any } => {
                let mut unknown = false;
                for sub in any {
                    match self.eval(sub, answers, depth + 1) {
                        Some(true) => return Some(true),
                        None => unknown = true,
                        Some(false) => {}
                    }
                }
                if unknown { None } else { Some(false) }
            }
            Condition::All { all } => {
                let mut unknown = false;
                for sub in all {
                    match self.eval(sub, answers, depth + 1) {
                        Some(false) => return Some(false),
                        None => unknown = true,
                        Some(true) => {}
                    }
                }
                if unknown { None } else { Some(true) }
            }
            Condition::In { question, values } => {
                let (q, v) = self.gate_answer(question, answers, depth)?;
                answer_in(q.kind, v, values)
            }
            Condition::Range { question, min, max } => {
                let (q, v) = self.gate_answer(question, answers, depth)?;
                let x = match q.kind {
                    QuestionKind::Number => v.as_f64()?,
                    QuestionKind::Scale => v.as_i64()? as f64,
                    _ => return None,
                };
                let above = min.is_none_or(|m| x >= m as f64);
                let below = max.is_none_or(|m| x <= m as f64);
                Some(above && below)
            }
        }
    }

    /// The answer to a gate question, if it is answered and the question itself applies.
    fn gate_answer<'a, A: Answers + ?Sized>(
        &'a self,
        id: &str,
        answers: &'a A,
        depth: usize,
    ) -> Option<(&'a Question, &'a Value)> {
        let q = self.question(id)?;
        let v = answers.answer(id).filter(|v| !v.is_null())?;
        if !self.applicable_at(id, answers, depth + 1) {
            return None;
        }
        Some((q, v))
    }
}

/// Whether an answer `v` to a question of `kind` is one of `values` (for a multiple choice: any
/// selected option is); `None` when the answer is empty or of the wrong type.
fn answer_in(kind: QuestionKind, v: &Value, values: &[ConditionValue]) -> Option<bool> {
    let is_option = |s: &str| {
        values
            .iter()
            .any(|x| matches!(x, ConditionValue::Str(o) if o == s))
    };
    match kind {
        QuestionKind::Scale => {
            let n = v.as_i64()?;
            Some(values.contains(&ConditionValue::Int(n)))
        }
        QuestionKind::SingleChoice => Some(is_option(v.as_str()?)),
        QuestionKind::MultipleChoice => {
            let chosen = v.as_array()?;
            if chosen.is_empty() {
                return None;
            }
            let mut hit = false;
            for c in chosen {
                hit |= is_option(c.as_str()?);
            }
            Some(hit)
        }
        QuestionKind::YesNo => {
            let b = v.as_bool()?;
            Some(values.contains(&ConditionValue::Bool(b)))
        }
        QuestionKind::Text | QuestionKind::Number => None,
    }
}
