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
//!
//! The files: `model.rs` (what the generator knows of a form version, and the agencies'
//! effects), `answers.rs` (one respondent's answers); the dossiers of a month here.

mod answers;
mod model;

use std::collections::BTreeMap;

use chrono::{DateTime, Datelike, NaiveDate, TimeDelta, Utc, Weekday};
use rand::RngExt;
use rand::rngs::StdRng;
use serde_json::{Map, Value};

use super::plan::{AgencyPlan, Plan};
use super::random::{chance, poisson, stream, text_key, weighted};
use crate::domain::dossiers::{Channel, VIETNAM_OFFSET_SECS};
use crate::domain::forms::FormDefinition;
use crate::domain::submissions::Mode;
use model::Effects;
pub use model::FormModel;

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

/// Generates months of the plan with the forms' definitions.
#[derive(Debug)]
pub struct Generator<'a> {
    plan: &'a Plan,
    models: BTreeMap<&'static str, FormModel<'a>>,
    effects: Vec<Effects>,
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
        // Nothing before a commune the reform formed, nor after an agency it ended.
        if !agency.in_force((year, month)) {
            return Vec::new();
        }
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
        let the_month = AgencyMonth {
            index: a,
            agency,
            model,
            effects: &self.effects[a],
            t,
            first_day,
            days,
            online: (agency.online + 0.2 * t).min(0.9),
            field_weights: (0..agency.fields.len())
                .map(|i| 1.0 / (1.0 + i as f64))
                .collect(),
        };
        let mut dossiers = Vec::with_capacity(n as usize);
        for _ in 0..n {
            dossiers.push(the_month.dossier(&mut rng));
        }
        dossiers.sort_by_key(|d| d.completed_at);
        number_codes(&mut dossiers, &agency.dossier_prefix);
        dossiers
    }
}

/// One agency's month while its dossiers are drawn.
struct AgencyMonth<'g> {
    /// The agency's index in the plan.
    index: usize,
    agency: &'g AgencyPlan,
    model: &'g FormModel<'g>,
    effects: &'g Effects,
    /// The position of the month in the span (0..=1).
    t: f64,
    first_day: NaiveDate,
    days: i64,
    /// The share of dossiers received online, growing over the span.
    online: f64,
    /// The procedure fields' weights, the first ones likelier.
    field_weights: Vec<f64>,
}

impl AgencyMonth<'_> {
    /// One dossier: when it was completed, its channel and procedure, its holder's language, and
    /// the questionnaire they returned, if any.
    fn dossier(&self, rng: &mut StdRng) -> DemoDossier {
        let completed_at = self.completion(rng);
        let u: f64 = rng.random();
        let channel = if u < self.online {
            Channel::Online
        } else if u < self.online + self.agency.postal {
            Channel::Postal
        } else {
            Channel::InPerson
        };
        let field_index = weighted(rng, &self.field_weights);
        let field = self.agency.fields.get(field_index).copied();
        let procedure_code = field.map(|f| {
            format!(
                "1.{:06}.000.00.00.H99",
                100_000 + (text_key(f) % 800_000) + rng.random_range(0..4)
            )
        });
        let language = if chance(rng, 0.02) { "en" } else { "vi" };
        let response = self.response(rng, channel, field);
        DemoDossier {
            agency: self.index,
            code: String::new(),
            completed_at,
            channel,
            procedure_code,
            procedure_field: field.map(str::to_owned),
            language,
            response,
        }
    }

    /// A moment of the month, 07:30–17:00 Vietnam time, Sundays rarer.
    fn completion(&self, rng: &mut StdRng) -> DateTime<Utc> {
        let mut day = self.first_day + TimeDelta::days(rng.random_range(0..self.days));
        if day.weekday() == Weekday::Sun {
            day = self.first_day + TimeDelta::days(rng.random_range(0..self.days));
        }
        let seconds = rng.random_range(7 * 3600 + 1800..17 * 3600);
        let local = day.and_hms_opt(0, 0, 0).unwrap_or_default()
            + TimeDelta::seconds(seconds - i64::from(VIETNAM_OFFSET_SECS));
        local.and_utc()
    }

    /// Whether the holder of a dossier received by `channel` answers (online ones likelier,
    /// postal ones less), in which mode, and what.
    fn response(
        &self,
        rng: &mut StdRng,
        channel: Channel,
        field: Option<&str>,
    ) -> Option<DemoResponse> {
        let response_probability = self.agency.rate
            * match channel {
                Channel::Online => 1.15,
                Channel::InPerson => 1.0,
                Channel::Postal => 0.6,
            };
        chance(rng, response_probability.min(0.95)).then(|| {
            let mode = match channel {
                Channel::InPerson => [Mode::Kiosk, Mode::Paper, Mode::Web, Mode::Phone]
                    [weighted(rng, &[0.40, 0.35, 0.18, 0.07])],
                Channel::Online => [Mode::Web, Mode::Phone][weighted(rng, &[0.92, 0.08])],
                Channel::Postal => {
                    [Mode::Phone, Mode::Web, Mode::Paper][weighted(rng, &[0.5, 0.35, 0.15])]
                }
            };
            DemoResponse {
                mode,
                answers: self.model.answers(rng, self.effects, self.t, mode, field),
            }
        })
    }
}

/// Codes as one-stop systems write them: office, day of receipt, number of the day (the
/// dossiers in completion order).
fn number_codes(dossiers: &mut [DemoDossier], prefix: &str) {
    let mut day = None;
    let mut seq = 0;
    for d in dossiers {
        let local =
            (d.completed_at + TimeDelta::seconds(i64::from(VIETNAM_OFFSET_SECS))).date_naive();
        if day != Some(local) {
            day = Some(local);
            seq = 0;
        }
        seq += 1;
        d.code = format!("{prefix}-{}-{seq:04}", local.format("%y%m%d"));
    }
}

#[allow(clippy::unwrap_used, clippy::expect_used)]
#[cfg(test)]
mod tests;
