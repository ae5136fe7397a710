//! The dossiers of one month of the demo province, and the questionnaires of those whose holders
//! answer. Pure and seeded: each agency × month has its own random stream.
//!
//! The model, per response: every satisfaction item gets a latent value
//! `base + node offset + item offset + (slope + node slope) · (t − ½) + mode effect + person + ε`
//! (`t` the position of the month in the span, `person ~ N(0, 0.8)` shared by the respondent's
//! items, `ε` standard logistic), cut into the scale's levels so that "satisfied" means a latent
//! above 0. So agencies differ (base), factors differ within an agency (node offsets), some
//! agencies improve or worsen over time (slopes, sometimes one factor only), items correlate
//! within a respondent, and paper and kiosk answers run a little higher than web and phone ones.
//! Other questions get plausible answers of their kind; a few paper questionnaires are mostly
//! blank or come from a minor (invalid returns). The answers are built from the form definition,
//! so any form version works; they are checked again by `ValidSubmission::parse` when stored.

use std::collections::{BTreeMap, BTreeSet};

use chrono::{DateTime, Datelike, NaiveDate, TimeDelta, Utc, Weekday};
use rand::RngExt;
use rand::rngs::StdRng;
use serde_json::{Map, Value};

use super::names;
use super::plan::{AgencyPlan, Plan};
use super::random::{chance, logistic, normal, poisson, stream, text_key, weighted};
use crate::domain::dossiers::{Channel, VIETNAM_OFFSET_SECS};
use crate::domain::forms::{
    Condition, ConditionValue, FormDefinition, Prefill, QuestionKind, Scale,
};
use crate::domain::submissions::Mode;

/// A completed dossier to register.
#[derive(Debug, Clone, PartialEq)]
pub struct DemoDossier {
    /// Index of its agency in the plan.
    pub agency: usize,
    pub code: String,
    pub completed_at: DateTime<Utc>,
    pub channel: Channel,
    pub procedure_code: Option<String>,
    pub procedure_field: Option<String>,
    pub language: &'static str,
    /// The questionnaire its holder returned, if any.
    pub response: Option<DemoResponse>,
}

/// A returned questionnaire.
#[derive(Debug, Clone, PartialEq)]
pub struct DemoResponse {
    pub mode: Mode,
    /// The raw answers, as a citizen's browser or an agency's entry would send them.
    pub answers: Map<String, Value>,
}

/// How to answer one question.
#[derive(Debug, Clone)]
enum Plan1 {
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

#[derive(Debug, Clone)]
struct QuestionModel {
    id: String,
    required: bool,
    conditional: bool,
    plan: Plan1,
}

/// Level cut points of an item's scale: a latent value above `cuts[k]` reaches level `k + 1`.
#[derive(Debug, Clone)]
struct ItemScale {
    levels: Vec<i64>,
    satisfied: Vec<i64>,
    cuts: Vec<f64>,
}

impl ItemScale {
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

    fn level(&self, latent: f64) -> i64 {
        let position = self.cuts.iter().filter(|c| **c < latent).count();
        self.levels.get(position).copied().unwrap_or_default()
    }
}

/// What the generator knows about one form version.
#[derive(Debug)]
pub struct FormModel<'f> {
    form: &'f FormDefinition,
    questions: Vec<QuestionModel>,
    /// Satisfaction items, their scales, leaf node and item offset.
    items: Vec<String>,
    scales: Vec<ItemScale>,
    node_of: Vec<usize>,
    item_offset: Vec<f64>,
    nodes: usize,
}

/// Per-agency effects on each item of its form: offset and change over the span.
#[derive(Debug, Clone)]
struct Effects {
    offset: Vec<f64>,
    slope: Vec<f64>,
}

/// Generates months of the plan with the forms' definitions.
#[derive(Debug)]
pub struct Generator<'a> {
    plan: &'a Plan,
    models: BTreeMap<&'static str, FormModel<'a>>,
    effects: Vec<Effects>,
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

fn json_of(v: &ConditionValue) -> Value {
    match v {
        ConditionValue::Bool(b) => Value::from(*b),
        ConditionValue::Int(n) => Value::from(*n),
        ConditionValue::Str(s) => Value::from(s.as_str()),
    }
}

impl<'f> FormModel<'f> {
    /// The model of `form`; item offsets are drawn from the `seed`'s stream of the form key.
    pub fn new(form: &'f FormDefinition, seed: u64) -> Self {
        let items: Vec<String> = form
            .satisfaction_items()
            .into_iter()
            .map(str::to_owned)
            .collect();
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

        // Questions whose answers decide whether satisfaction items apply, and the answers
        // that make them apply.
        let mut gates: BTreeMap<&str, Vec<Value>> = BTreeMap::new();
        for id in &items {
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
                    let closed = all.into_iter().filter(|v| !open.contains(v)).collect();
                    let open = match q.kind() {
                        QuestionKind::MultipleChoice => {
                            open.iter().map(|v| Value::Array(vec![v.clone()])).collect()
                        }
                        _ => open.clone(),
                    };
                    let closed = match q.kind() {
                        QuestionKind::MultipleChoice => {
                            let c: Vec<Value> = closed;
                            c.into_iter().map(|v| Value::Array(vec![v])).collect()
                        }
                        _ => closed,
                    };
                    Plan1::Gate { open, closed }
                } else {
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
            nodes: leaves.len(),
        }
    }

    /// Draws the effects of one agency on this form's items.
    fn effects(&self, agency: &AgencyPlan, rng: &mut StdRng) -> Effects {
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

    /// The answers of one respondent, `t` the position of the month in the span (0..=1).
    fn answers(
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
        let person = normal(rng, 0.0, 0.8) + mode_effect;
        let mut answers = Map::new();
        let (mut rated, mut satisfied) = (0_u32, 0_u32);
        let answer_others = if paper { 0.85 } else { 0.92 };
        for q in &self.questions {
            if q.conditional && !self.form.is_applicable(&q.id, &answers) {
                continue;
            }
            let answered = q.required || chance(rng, answer_others);
            let value = match &q.plan {
                Plan1::Item(j) => {
                    let p = if mostly_blank { 0.3 } else { 0.97 };
                    if !chance(rng, p) {
                        continue;
                    }
                    let latent =
                        effects.offset[*j] + effects.slope[*j] * (t - 0.5) + person + logistic(rng);
                    let scale = &self.scales[*j];
                    let level = scale.level(latent);
                    rated += 1;
                    satisfied += u32::from(scale.satisfied.contains(&level));
                    Value::from(level)
                }
                Plan1::Gate { open, closed } => {
                    let pool = if closed.is_empty() || chance(rng, 0.9) {
                        open
                    } else {
                        closed
                    };
                    match pool.get(rng.random_range(0..pool.len().max(1))) {
                        Some(v) => v.clone(),
                        None => continue,
                    }
                }
                _ if !answered => continue,
                Plan1::Scale(levels) if !levels.is_empty() => {
                    // Skewed towards the upper levels.
                    let weights: Vec<f64> = (1..=levels.len()).map(|i| i as f64).collect();
                    Value::from(levels[weighted(rng, &weights)])
                }
                Plan1::Scale(_) => continue,
                Plan1::Single { options, other } => match other {
                    Some(other) if options.is_empty() || chance(rng, 0.02) => {
                        Value::from(other.as_str())
                    }
                    _ if options.is_empty() => continue,
                    _ => {
                        let weights: Vec<f64> =
                            (0..options.len()).map(|i| 1.0 / (1.0 + i as f64)).collect();
                        Value::from(options[weighted(rng, &weights)].as_str())
                    }
                },
                Plan1::Multiple(options) if !options.is_empty() => {
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
                Plan1::Multiple(_) => continue,
                Plan1::YesNo => Value::from(chance(rng, 0.7)),
                Plan1::Number { low, high, integer } => {
                    let n = rng.random_range(*low..=(*high).max(*low));
                    if *integer {
                        Value::from(n)
                    } else {
                        Value::from(n as f64)
                    }
                }
                Plan1::Age {
                    low,
                    high,
                    eligible_from,
                } => {
                    let (from, to) = if minor {
                        ((eligible_from - 3).max(*low), (eligible_from - 1).max(*low))
                    } else {
                        ((*eligible_from).max(18).max(*low), 75.min(*high))
                    };
                    Value::from(rng.random_range(from..=to.max(from)))
                }
                Plan1::Prefill => match field {
                    Some(f) => Value::from(f),
                    None => continue,
                },
                Plan1::Comment => {
                    // Most leave it blank; those who write mostly say what they felt.
                    if !chance(rng, 0.07) {
                        continue;
                    }
                    let pleased = rated == 0 || f64::from(satisfied) >= 0.6 * f64::from(rated);
                    let list = if pleased != chance(rng, 0.15) {
                        &names::PRAISE
                    } else {
                        &names::COMPLAINTS
                    };
                    Value::from(list[rng.random_range(0..list.len())])
                }
                Plan1::OtherText => Value::from("Khác"),
                Plan1::Blank => continue,
            };
            answers.insert(q.id.clone(), value);
        }
        if mode.is_interactive() && rated == 0 {
            // An online questionnaire needs one satisfaction answer: the first that applies.
            if let Some(j) =
                (0..self.items.len()).find(|j| self.form.is_applicable(&self.items[*j], &answers))
            {
                let latent = effects.offset[j] + person + logistic(rng);
                answers.insert(
                    self.items[j].clone(),
                    Value::from(self.scales[j].level(latent)),
                );
            }
        }
        answers
    }
}

/// Relative volume by calendar month: fewer dossiers around Tết, more at the year's end.
const SEASON: [f64; 12] = [
    1.02, 0.72, 0.98, 1.0, 1.02, 1.0, 0.98, 0.98, 1.0, 1.04, 1.08, 1.18,
];

impl<'a> Generator<'a> {
    /// A generator for `plan`; `form` returns the definition of a form key (the version new
    /// surveys use), or `None` when it is not published.
    ///
    /// # Errors
    /// The key of a form the plan needs that `form` does not know.
    pub fn new(
        plan: &'a Plan,
        form: impl Fn(&str) -> Option<&'a FormDefinition>,
    ) -> Result<Self, String> {
        let mut models = BTreeMap::new();
        for a in &plan.agencies {
            if !models.contains_key(a.form) {
                let definition =
                    form(a.form).ok_or_else(|| format!("the form {} is not published", a.form))?;
                models.insert(a.form, FormModel::new(definition, plan.spec.seed));
            }
        }
        let effects = plan
            .agencies
            .iter()
            .enumerate()
            .map(|(i, a)| {
                let mut rng = stream(plan.spec.seed, &[3, i as u64]);
                match models.get(a.form) {
                    Some(m) => m.effects(a, &mut rng),
                    None => Effects {
                        offset: Vec::new(),
                        slope: Vec::new(),
                    },
                }
            })
            .collect();
        Ok(Self {
            plan,
            models,
            effects,
        })
    }

    /// The dossiers of month `m` (index into `plan.months`), every agency, in agency order and
    /// by completion time within an agency.
    pub fn month(&self, m: usize) -> Vec<DemoDossier> {
        let mut out = Vec::new();
        for a in 0..self.plan.agencies.len() {
            out.extend(self.agency_month(a, m));
        }
        out
    }

    /// The dossiers of agency `a` in month `m`.
    pub fn agency_month(&self, a: usize, m: usize) -> Vec<DemoDossier> {
        let (Some(agency), Some(&(year, month))) =
            (self.plan.agencies.get(a), self.plan.months.get(m))
        else {
            return Vec::new();
        };
        let Some(model) = self.models.get(agency.form) else {
            return Vec::new();
        };
        let span = self.plan.months.len().saturating_sub(1).max(1) as f64;
        let t = m as f64 / span;
        let mut rng = stream(self.plan.spec.seed, &[1, a as u64, m as u64]);
        let season = SEASON[(month as usize + 11) % 12];
        let n = poisson(&mut rng, agency.monthly * season * (0.92 + 0.16 * t));
        let Some(first_day) = NaiveDate::from_ymd_opt(year, month, 1) else {
            return Vec::new();
        };
        let days = first_day
            .checked_add_months(chrono::Months::new(1))
            .map_or(28, |next| (next - first_day).num_days())
            .max(1);
        let online = (agency.online + 0.2 * t).min(0.9);
        let field_weights: Vec<f64> = (0..agency.fields.len())
            .map(|i| 1.0 / (1.0 + i as f64))
            .collect();
        let mut dossiers = Vec::with_capacity(n as usize);
        for _ in 0..n {
            let mut day = first_day + TimeDelta::days(rng.random_range(0..days));
            if day.weekday() == Weekday::Sun {
                day = first_day + TimeDelta::days(rng.random_range(0..days));
            }
            // 07:30–17:00 Vietnam time.
            let seconds = rng.random_range(7 * 3600 + 1800..17 * 3600);
            let local = day.and_hms_opt(0, 0, 0).unwrap_or_default()
                + TimeDelta::seconds(seconds - i64::from(VIETNAM_OFFSET_SECS));
            let completed_at = local.and_utc();
            let u: f64 = rng.random();
            let channel = if u < online {
                Channel::Online
            } else if u < online + agency.postal {
                Channel::Postal
            } else {
                Channel::InPerson
            };
            let field_index = weighted(&mut rng, &field_weights);
            let field = agency.fields.get(field_index).copied();
            let procedure_code = field.map(|f| {
                format!(
                    "1.{:06}.000.00.00.H99",
                    100_000 + (text_key(f) % 800_000) + rng.random_range(0..4)
                )
            });
            let language = if chance(&mut rng, 0.02) { "en" } else { "vi" };
            let response_probability = agency.rate
                * match channel {
                    Channel::Online => 1.15,
                    Channel::InPerson => 1.0,
                    Channel::Postal => 0.6,
                };
            let response = chance(&mut rng, response_probability.min(0.95)).then(|| {
                let mode = match channel {
                    Channel::InPerson => [Mode::Kiosk, Mode::Paper, Mode::Web, Mode::Phone]
                        [weighted(&mut rng, &[0.40, 0.35, 0.18, 0.07])],
                    Channel::Online => [Mode::Web, Mode::Phone][weighted(&mut rng, &[0.92, 0.08])],
                    Channel::Postal => [Mode::Phone, Mode::Web, Mode::Paper]
                        [weighted(&mut rng, &[0.5, 0.35, 0.15])],
                };
                DemoResponse {
                    mode,
                    answers: model.answers(&mut rng, &self.effects[a], t, mode, field),
                }
            });
            dossiers.push(DemoDossier {
                agency: a,
                code: String::new(),
                completed_at,
                channel,
                procedure_code,
                procedure_field: field.map(str::to_owned),
                language,
                response,
            });
        }
        dossiers.sort_by_key(|d| d.completed_at);
        // Codes as one-stop systems write them: office, day of receipt, number of the day.
        let mut day = None;
        let mut seq = 0;
        for d in &mut dossiers {
            let local =
                (d.completed_at + TimeDelta::seconds(i64::from(VIETNAM_OFFSET_SECS))).date_naive();
            if day != Some(local) {
                day = Some(local);
                seq = 0;
            }
            seq += 1;
            d.code = format!(
                "{}-{}-{seq:04}",
                agency.dossier_prefix,
                local.format("%y%m%d")
            );
        }
        dossiers
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;
    use crate::demo::plan::{Scale, Spec, Trend};
    use crate::domain::forms::FormCatalog;
    use crate::domain::submissions::{ValidSubmission, ValidityRules};

    fn catalog() -> FormCatalog {
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("survey-forms");
        crate::persistence::form_files::load_dir(&dir).unwrap()
    }

    fn plan() -> Plan {
        Plan::of(Spec {
            seed: 11,
            scale: Scale::Small,
            last_month: (2026, 10),
        })
    }

    #[test]
    fn every_questionnaire_passes_the_forms_rules() {
        let catalog = catalog();
        let plan = plan();
        let generator = Generator::new(&plan, |key| catalog.latest(key)).unwrap();
        let (mut invalid, mut total) = (0, 0);
        let mut modes = BTreeSet::new();
        for m in 0..plan.months.len() {
            for d in generator.month(m) {
                let Some(r) = d.response else { continue };
                let form = catalog.latest(plan.agencies[d.agency].form).unwrap();
                let valid =
                    ValidSubmission::parse(form, &r.answers, r.mode, ValidityRules::default())
                        .unwrap_or_else(|e| panic!("{:?} {e:?} {:?}", r.mode, r.answers));
                total += 1;
                invalid += usize::from(valid.invalid.is_some());
                assert!(r.mode == Mode::Paper || valid.invalid.is_none());
                modes.insert(r.mode.as_str());
            }
        }
        assert!(total > 300, "{total}");
        assert!(invalid > 0 && invalid * 20 < total, "{invalid} of {total}");
        assert_eq!(modes.len(), 4, "{modes:?}");
    }

    #[test]
    fn months_are_seeded_and_codes_unique() {
        let catalog = catalog();
        let plan = plan();
        let a = Generator::new(&plan, |key| catalog.latest(key)).unwrap();
        let b = Generator::new(&plan, |key| catalog.latest(key)).unwrap();
        assert_eq!(a.month(3), b.month(3));
        assert_ne!(a.month(3), a.month(4));
        let month = a.month(5);
        let mut codes: Vec<(usize, &str)> =
            month.iter().map(|d| (d.agency, d.code.as_str())).collect();
        codes.sort_unstable();
        codes.dedup();
        assert_eq!(codes.len(), month.len());
        let (year, mon) = plan.months[5];
        for d in &month {
            let local = d.completed_at + TimeDelta::seconds(i64::from(VIETNAM_OFFSET_SECS));
            assert_eq!((local.year(), local.month()), (year, mon));
        }
    }

    #[test]
    fn satisfaction_follows_the_agencys_trend() {
        let catalog = catalog();
        let plan = Plan::of(Spec {
            seed: 5,
            scale: Scale::Province,
            last_month: (2026, 10),
        });
        let generator = Generator::new(&plan, |key| catalog.latest(key)).unwrap();
        // The big departments on the 2024 form, first and last quarter: their share of satisfied
        // answers moves the way their trend says.
        let share = |a: usize, months: std::ops::Range<usize>| {
            let (mut sat, mut all) = (0.0, 0.0);
            for m in months {
                for d in generator.agency_month(a, m) {
                    for (id, v) in d.response.iter().flat_map(|r| r.answers.iter()) {
                        if id.starts_with("q9_") {
                            all += 1.0;
                            sat += f64::from(u8::from(v.as_i64().unwrap() >= 4));
                        }
                    }
                }
            }
            sat / all
        };
        let mut seen = BTreeSet::new();
        for (a, agency) in plan.agencies.iter().enumerate() {
            if agency.form != crate::demo::plan::FORM_2024 || agency.monthly < 200.0 {
                continue;
            }
            let (early, late) = (share(a, 0..3), share(a, 21..24));
            assert!((0.3..0.99).contains(&early), "{early}");
            match agency.trend {
                Trend::Improving => assert!(late > early + 0.02, "{} {early} {late}", agency.code),
                Trend::Worsening => assert!(late < early - 0.02, "{} {early} {late}", agency.code),
                Trend::Steady => {}
            }
            seen.insert(format!("{:?}", agency.trend));
        }
        assert!(seen.len() >= 2, "{seen:?}");
    }
}
