//! The answers of one respondent to a form version: satisfaction items from the latent model
//! (see the folder's documentation), the other questions plausibly by their kind, and now and
//! then an invalid paper return (mostly blank, or a minor's).

use std::collections::BTreeSet;

use rand::RngExt;
use rand::rngs::StdRng;
use serde_json::{Map, Value};

use super::super::names;
use super::super::random::{chance, logistic, normal, weighted};
use super::model::{Effects, FormModel, Plan1};
use crate::domain::submissions::Mode;

/// One respondent while their questionnaire is filled in.
struct Respondent<'e> {
    effects: &'e Effects,
    /// The position of the month in the span (0..=1).
    t: f64,
    /// The respondent's shift of every item, their mode's effect included.
    person: f64,
    /// An invalid paper return: most satisfaction items left blank.
    mostly_blank: bool,
    /// An invalid paper return: filled in by someone under the eligible age.
    minor: bool,
    /// The dossier's procedure field, for a prefilled question.
    field: Option<&'e str>,
    /// Satisfaction items answered so far, and how many of them satisfied.
    rated: u32,
    satisfied: u32,
}

impl FormModel<'_> {
    /// The answers of one respondent, `t` the position of the month in the span (0..=1).
    pub(super) fn answers(
        &self,
        rng: &mut StdRng,
        effects: &Effects,
        t: f64,
        mode: Mode,
        field: Option<&str>,
    ) -> Map<String, Value> {
        let paper = mode == Mode::Paper;
        // Invalid returns happen on paper only: mostly blank, or filled in by a minor.
        let mostly_blank = paper && chance(rng, 0.05);
        let minor = paper && chance(rng, 0.015);
        let mode_effect = match mode {
            Mode::Paper => 0.25,
            Mode::Kiosk => 0.15,
            Mode::Phone => -0.1,
            Mode::Web => 0.0,
        };
        let mut r = Respondent {
            effects,
            t,
            person: normal(rng, 0.0, 0.8) + mode_effect,
            mostly_blank,
            minor,
            field,
            rated: 0,
            satisfied: 0,
        };
        let mut answers = Map::new();
        let answer_others = if paper { 0.85 } else { 0.92 };
        for q in &self.questions {
            if q.conditional && !self.form.is_applicable(&q.id, &answers) {
                continue;
            }
            let answered = q.required || chance(rng, answer_others);
            if let Some(value) = self.answer(rng, &mut r, &q.plan, answered) {
                answers.insert(q.id.clone(), value);
            }
        }
        if mode.is_interactive() && r.rated == 0 {
            self.first_applicable_item(rng, &r, &mut answers);
        }
        answers
    }

    /// The answer to a question planned as `plan`, or `None` to leave it blank; any question
    /// but an item or a gate is left blank unless `answered`.
    fn answer(
        &self,
        rng: &mut StdRng,
        r: &mut Respondent<'_>,
        plan: &Plan1,
        answered: bool,
    ) -> Option<Value> {
        match plan {
            Plan1::Item(j) => self.item(rng, r, *j),
            Plan1::Gate { open, closed } => {
                let pool = if closed.is_empty() || chance(rng, 0.9) {
                    open
                } else {
                    closed
                };
                pool.get(rng.random_range(0..pool.len().max(1))).cloned()
            }
            _ if !answered => None,
            Plan1::Scale(levels) if !levels.is_empty() => {
                // Skewed towards the upper levels.
                let weights: Vec<f64> = (1..=levels.len()).map(|i| i as f64).collect();
                Some(Value::from(levels[weighted(rng, &weights)]))
            }
            Plan1::Scale(_) => None,
            Plan1::Single { options, other } => single(rng, options, other.as_deref()),
            Plan1::Multiple(options) if !options.is_empty() => Some(multiple(rng, options)),
            Plan1::Multiple(_) => None,
            Plan1::YesNo => Some(Value::from(chance(rng, 0.7))),
            Plan1::Number { low, high, integer } => {
                let n = rng.random_range(*low..=(*high).max(*low));
                Some(if *integer {
                    Value::from(n)
                } else {
                    Value::from(n as f64)
                })
            }
            Plan1::Age {
                low,
                high,
                eligible_from,
            } => Some(age(rng, r.minor, (*low, *high), *eligible_from)),
            Plan1::Prefill => r.field.map(Value::from),
            Plan1::Comment => comment(rng, r),
            Plan1::OtherText => Some(Value::from("Khác")),
            Plan1::Blank => None,
        }
    }

    /// Satisfaction item `j`: its latent value cut into the scale's levels (mostly blank on an
    /// invalid return); counted as rated.
    fn item(&self, rng: &mut StdRng, r: &mut Respondent<'_>, j: usize) -> Option<Value> {
        let p = if r.mostly_blank { 0.3 } else { 0.97 };
        if !chance(rng, p) {
            return None;
        }
        let latent =
            r.effects.offset[j] + r.effects.slope[j] * (r.t - 0.5) + r.person + logistic(rng);
        let scale = &self.scales[j];
        let level = scale.level(latent);
        r.rated += 1;
        r.satisfied += u32::from(scale.satisfied.contains(&level));
        Some(Value::from(level))
    }

    /// An online questionnaire needs one satisfaction answer: the first that applies.
    fn first_applicable_item(
        &self,
        rng: &mut StdRng,
        r: &Respondent<'_>,
        answers: &mut Map<String, Value>,
    ) {
        if let Some(j) =
            (0..self.items.len()).find(|j| self.form.is_applicable(&self.items[*j], answers))
        {
            let latent = r.effects.offset[j] + r.person + logistic(rng);
            answers.insert(
                self.items[j].clone(),
                Value::from(self.scales[j].level(latent)),
            );
        }
    }
}

/// One option, the first ones likelier; now and then "other" (always, when it is the only one).
fn single(rng: &mut StdRng, options: &[String], other: Option<&str>) -> Option<Value> {
    match other {
        Some(other) if options.is_empty() || chance(rng, 0.02) => Some(Value::from(other)),
        _ if options.is_empty() => None,
        _ => {
            let weights: Vec<f64> = (0..options.len()).map(|i| 1.0 / (1.0 + i as f64)).collect();
            Some(Value::from(options[weighted(rng, &weights)].as_str()))
        }
    }
}

/// One to three distinct options, in the options' order.
fn multiple(rng: &mut StdRng, options: &[String]) -> Value {
    let k = rng.random_range(1..=options.len().min(3));
    let mut chosen = BTreeSet::new();
    while chosen.len() < k {
        chosen.insert(rng.random_range(0..options.len()));
    }
    Value::from(
        chosen
            .into_iter()
            .map(|i| options[i].clone())
            .collect::<Vec<_>>(),
    )
}

/// An age within `(low, high)`: an adult's up to 75, or just below `eligible_from` for a minor.
fn age(rng: &mut StdRng, minor: bool, (low, high): (i64, i64), eligible_from: i64) -> Value {
    let (from, to) = if minor {
        ((eligible_from - 3).max(low), (eligible_from - 1).max(low))
    } else {
        (eligible_from.max(18).max(low), 75.min(high))
    };
    Value::from(rng.random_range(from..=to.max(from)))
}

/// Most leave the comment blank; those who write mostly say what they felt.
fn comment(rng: &mut StdRng, r: &Respondent<'_>) -> Option<Value> {
    if !chance(rng, 0.07) {
        return None;
    }
    let pleased = r.rated == 0 || f64::from(r.satisfied) >= 0.6 * f64::from(r.rated);
    let list = if pleased != chance(rng, 0.15) {
        &names::PRAISE
    } else {
        &names::COMPLAINTS
    };
    Some(Value::from(list[rng.random_range(0..list.len())]))
}
