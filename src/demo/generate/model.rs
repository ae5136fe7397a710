//! What the generator knows about a form version ([`FormModel`]): how each question is answered
//! ([`Plan1`]), the satisfaction items with their scales' cut points and leaf nodes, and the
//! per-agency [`Effects`] drawn on them.

use std::collections::BTreeMap;

use rand::RngExt;
use rand::rngs::StdRng;
use serde_json::Value;

use super::super::plan::AgencyPlan;
use super::super::random::{chance, normal, stream, text_key};
use crate::domain::forms::{
    Condition, ConditionValue, FormDefinition, Prefill, Question, QuestionKind, Scale,
};

/// How to answer one question.
#[derive(Debug, Clone)]
pub(super) enum Plan1 {
    /// Satisfaction item `j` of the form (position in [`FormModel::items`]).
    Item(usize),
    /// A question that gates satisfaction items: mostly answered so that they apply.
    Gate {
        open: Vec<Value>,
        closed: Vec<Value>,
    },
    Scale(Vec<i64>),
    Single {
        options: Vec<String>,
        other: Option<String>,
    },
    Multiple(Vec<String>),
    YesNo,
    Number {
        low: i64,
        high: i64,
        integer: bool,
    },
    /// The question the form's eligibility tests (an age).
    Age {
        low: i64,
        high: i64,
        eligible_from: i64,
    },
    /// Prefilled with the dossier's procedure field.
    Prefill,
    Comment,
    /// The "please specify" text after an "other" option.
    OtherText,
    /// Left blank (respondents' addresses and the like).
    Blank,
}

/// A question and how it is answered.
#[derive(Debug, Clone)]
pub(super) struct QuestionModel {
    pub(super) id: String,
    pub(super) required: bool,
    pub(super) conditional: bool,
    pub(super) plan: Plan1,
}

/// Level cut points of an item's scale: a latent value above `cuts[k]` reaches level `k + 1`.
#[derive(Debug, Clone)]
pub(super) struct ItemScale {
    pub(super) levels: Vec<i64>,
    pub(super) satisfied: Vec<i64>,
    pub(super) cuts: Vec<f64>,
}

impl ItemScale {
    /// The cut points of `scale`.
    fn of(scale: &Scale) -> Self {
        let levels: Vec<i64> = scale.levels().iter().map(|l| l.value()).collect();
        let satisfied = scale.satisfied_levels().to_vec();
        // The first satisfied level starts at latent 0; lower cuts 1.3 apart, higher ones 2.0.
        let first = levels
            .iter()
            .position(|l| satisfied.contains(l))
            .unwrap_or(levels.len() / 2)
            .max(1);
        let cuts = (1..levels.len())
            .map(|k| {
                if k <= first {
                    -1.3 * (first - k) as f64
                } else {
                    2.0 * (k - first) as f64
                }
            })
            .collect();
        Self {
            levels,
            satisfied,
            cuts,
        }
    }

    /// The level a latent value reaches.
    pub(super) fn level(&self, latent: f64) -> i64 {
        let position = self.cuts.iter().filter(|c| **c < latent).count();
        self.levels.get(position).copied().unwrap_or_default()
    }
}

/// What the generator knows about one form version.
#[derive(Debug)]
pub struct FormModel<'f> {
    pub(super) form: &'f FormDefinition,
    pub(super) questions: Vec<QuestionModel>,
    /// Satisfaction items, their scales, leaf node and item offset.
    pub(super) items: Vec<String>,
    pub(super) scales: Vec<ItemScale>,
    pub(super) node_of: Vec<usize>,
    pub(super) item_offset: Vec<f64>,
    pub(super) nodes: usize,
}

/// Per-agency effects on each item of its form: offset and change over the span.
#[derive(Debug, Clone)]
pub(super) struct Effects {
    pub(super) offset: Vec<f64>,
    pub(super) slope: Vec<f64>,
}

/// Atoms `(question, accepted values)` of a condition.
fn atoms<'c>(c: &'c Condition, out: &mut Vec<(&'c str, &'c [ConditionValue])>) {
    match c {
        Condition::In { question, values } => out.push((question, values)),
        Condition::Range { .. } => {}
        Condition::Any { any: cs } | Condition::All { all: cs } => {
            cs.iter().for_each(|c| atoms(c, out));
        }
    }
}

/// The JSON value of a condition's value.
fn json_of(v: &ConditionValue) -> Value {
    match v {
        ConditionValue::Bool(b) => Value::from(*b),
        ConditionValue::Int(n) => Value::from(*n),
        ConditionValue::Str(s) => Value::from(s.as_str()),
    }
}

/// The gating questions' answers that open items, by question.
type Gates<'f> = BTreeMap<&'f str, Vec<Value>>;

impl<'f> FormModel<'f> {
    /// The model of `form`; item offsets are drawn from the `seed`'s stream of the form key.
    pub fn new(form: &'f FormDefinition, seed: u64) -> Self {
        let items: Vec<String> = form
            .satisfaction_items()
            .into_iter()
            .map(str::to_owned)
            .collect();
        let (node_of, nodes) = leaf_nodes(form, &items);
        let mut rng = stream(seed, &[2, text_key(form.key())]);
        let item_offset = items.iter().map(|_| normal(&mut rng, 0.0, 0.25)).collect();
        let scales = items
            .iter()
            .map(|id| form.scale_of(id).map(ItemScale::of))
            .map(|s| {
                s.unwrap_or(ItemScale {
                    levels: Vec::new(),
                    satisfied: Vec::new(),
                    cuts: Vec::new(),
                })
            })
            .collect();
        let gates = gates(form, &items);
        let eligibility = match form.eligibility() {
            Some(Condition::Range { question, min, .. }) => Some((question.as_str(), *min)),
            _ => None,
        };
        let questions = form
            .questions()
            .filter(|q| !q.hidden() && q.visible_until().is_none())
            .map(|q| {
                let id = q.id();
                let plan = if let Some(j) = items.iter().position(|i| i == id) {
                    Plan1::Item(j)
                } else if let Some(open) = gates.get(id) {
                    gate_plan(form, q, open)
                } else {
                    free_plan(form, q, eligibility)
                };
                QuestionModel {
                    id: id.to_owned(),
                    required: q.required(),
                    conditional: q.condition().is_some(),
                    plan,
                }
            })
            .collect();
        FormModel {
            form,
            questions,
            items,
            scales,
            node_of,
            item_offset,
            nodes,
        }
    }

    /// Draws the effects of one agency on this form's items.
    pub(super) fn effects(&self, agency: &AgencyPlan, rng: &mut StdRng) -> Effects {
        let node_offset: Vec<f64> = (0..self.nodes).map(|_| normal(rng, 0.0, 0.35)).collect();
        let mut node_slope: Vec<f64> = (0..self.nodes).map(|_| normal(rng, 0.0, 0.25)).collect();
        // Some agencies change in one factor only (a new procedure, a renovated desk).
        if self.nodes > 0 && chance(rng, 0.3) {
            let n = rng.random_range(0..self.nodes);
            node_slope[n] += if chance(rng, 0.6) { 1.2 } else { -1.0 };
        }
        let offset = (0..self.items.len())
            .map(|j| agency.base + node_offset[self.node_of[j]] + self.item_offset[j])
            .collect();
        let slope = (0..self.items.len())
            .map(|j| agency.slope + node_slope[self.node_of[j]])
            .collect();
        Effects { offset, slope }
    }
}

/// The leaf node of each item (an index into the distinct leaves, in the items' order), and
/// how many leaves there are.
fn leaf_nodes(form: &FormDefinition, items: &[String]) -> (Vec<usize>, usize) {
    let mut leaves: Vec<String> = Vec::new();
    let node_of = items
        .iter()
        .map(|id| {
            let node = form
                .node_of_item(id)
                .map(|n| n.id().to_owned())
                .unwrap_or_default();
            match leaves.iter().position(|l| *l == node) {
                Some(i) => i,
                None => {
                    leaves.push(node);
                    leaves.len() - 1
                }
            }
        })
        .collect();
    (node_of, leaves.len())
}

/// Questions whose answers decide whether satisfaction items apply, and the answers that make
/// them apply.
fn gates<'f>(form: &'f FormDefinition, items: &[String]) -> Gates<'f> {
    let mut gates: Gates<'f> = BTreeMap::new();
    for id in items {
        if let Some(c) = form.question(id).and_then(|q| q.condition()) {
            let mut found = Vec::new();
            atoms(c, &mut found);
            for (question, values) in found {
                let open = gates.entry(question).or_default();
                for v in values.iter().map(json_of) {
                    if !open.contains(&v) {
                        open.push(v);
                    }
                }
            }
        }
    }
    gates
}

/// A gating question: the answers that `open` its items, and the others (each as a list for a
/// multiple choice).
fn gate_plan(form: &FormDefinition, q: &Question, open: &[Value]) -> Plan1 {
    let id = q.id();
    let all: Vec<Value> = match q.kind() {
        QuestionKind::Scale => form
            .scale_of(id)
            .map(|s| s.levels().iter().map(|l| Value::from(l.value())).collect())
            .unwrap_or_default(),
        QuestionKind::SingleChoice | QuestionKind::MultipleChoice => {
            q.options().iter().map(|o| Value::from(o.id())).collect()
        }
        QuestionKind::YesNo => vec![Value::from(true), Value::from(false)],
        _ => Vec::new(),
    };
    let closed: Vec<Value> = all.into_iter().filter(|v| !open.contains(v)).collect();
    match q.kind() {
        QuestionKind::MultipleChoice => Plan1::Gate {
            open: open.iter().map(|v| Value::Array(vec![v.clone()])).collect(),
            closed: closed.into_iter().map(|v| Value::Array(vec![v])).collect(),
        },
        _ => Plan1::Gate {
            open: open.to_vec(),
            closed,
        },
    }
}

/// Any other question, by its kind; the one the form's `eligibility` tests is an age.
fn free_plan(
    form: &FormDefinition,
    q: &Question,
    eligibility: Option<(&str, Option<i64>)>,
) -> Plan1 {
    let id = q.id();
    match q.kind() {
        QuestionKind::Scale => Plan1::Scale(
            form.scale_of(id)
                .map(|s| s.levels().iter().map(|l| l.value()).collect())
                .unwrap_or_default(),
        ),
        QuestionKind::SingleChoice => {
            let (other, options): (Vec<String>, Vec<String>) = q
                .options()
                .iter()
                .map(|o| o.id().to_owned())
                .partition(|o| o == "other");
            Plan1::Single {
                options,
                other: other.into_iter().next(),
            }
        }
        QuestionKind::MultipleChoice => Plan1::Multiple(
            q.options()
                .iter()
                .map(|o| o.id().to_owned())
                .filter(|o| o != "other")
                .collect(),
        ),
        QuestionKind::YesNo => Plan1::YesNo,
        QuestionKind::Number => {
            let (low, high) = q.bounds();
            let (low, high) = (low.unwrap_or(0), high.unwrap_or(10));
            match eligibility {
                Some((question, min)) if question == id => Plan1::Age {
                    low,
                    high,
                    eligible_from: min.unwrap_or(low),
                },
                _ => Plan1::Number {
                    low,
                    high,
                    integer: q.integer_only(),
                },
            }
        }
        QuestionKind::Text => {
            if q.prefill() == Some(Prefill::ProcedureField) {
                Plan1::Prefill
            } else if id == "comment" {
                Plan1::Comment
            } else if q.condition().is_some() {
                Plan1::OtherText
            } else {
                Plan1::Blank
            }
        }
    }
}
