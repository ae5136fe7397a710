//! The questionnaire as a citizen sees it: a view model built from a [`FormDefinition`] in one
//! language, rendered by `templates/partials/questionnaire.html`. The preview page
//! (`GET /forms/{key}`) and the citizen survey page (`/s/{token}`, `http::pages::survey`) both
//! use it; the latter fills in `action`, what the survey is about, prefilled and previous
//! answers, and the errors next to each question with a summary linking to them.

use std::collections::HashMap;

use crate::domain::forms::{
    Condition, ConditionValue, DisplayOrder, FormDefinition, Prefill, Question, QuestionKind, Text,
};

use super::i18n::{Lang, Ui};

/// What the template renders.
pub struct QuestionnaireView {
    /// Where the form posts; `None` for a preview (no submit button).
    pub action: Option<String>,
    pub lang: &'static str,
    pub title: String,
    pub intro: Option<String>,
    pub closing: Option<String>,
    pub sections: Vec<SectionView>,
    pub ui: &'static Ui,
    /// What the survey is about, shown under the title (agency, procedure field); empty for a
    /// preview.
    pub about: Vec<Fact>,
    /// The error summary above the form: questionnaire-level messages, then one entry per
    /// question with an error, in page order. Empty when there is nothing to correct.
    pub summary: Vec<ErrorLink>,
    /// The hidden `submission_key` field: fresh for every rendering of a citizen's form, so a
    /// form sent twice (a retry) is recognised and anything else is not; `None` for a preview.
    pub submission_key: Option<String>,
}

/// One labelled fact under the title.
pub struct Fact {
    pub label: &'static str,
    pub value: String,
}

/// One line of the error summary; `href` points at the question when it is on the page.
pub struct ErrorLink {
    pub href: Option<String>,
    pub text: String,
}

pub struct SectionView {
    pub id: String,
    pub title: String,
    pub text: Option<String>,
    pub condition_note: Option<String>,
    pub questions: Vec<QuestionView>,
}

pub struct QuestionView {
    pub id: String,
    pub heading: Option<String>,
    pub text: String,
    pub required: bool,
    /// `choices` (radio/checkbox group), `text` (textarea) or `number`.
    pub control: &'static str,
    /// `radio` or `checkbox` for choice groups.
    pub input_type: &'static str,
    /// `scale` for Likert rows (laid out horizontally on wide screens).
    pub layout: &'static str,
    pub choices: Vec<ChoiceView>,
    pub hint: Option<String>,
    pub condition_note: Option<String>,
    pub max_length: Option<u32>,
    pub min: Option<i64>,
    pub max: Option<i64>,
    /// The current text/number value (citizen page after a validation error).
    pub value: String,
    pub error: Option<String>,
}

pub struct ChoiceView {
    pub value: String,
    pub label: String,
    pub checked: bool,
}

/// Previously entered answers and per-question errors (empty for a fresh form).
#[derive(Default)]
pub struct Filled {
    /// The submitted values of each field (several for a multiple-choice question).
    pub values: HashMap<String, Vec<String>>,
    /// The message for each question id.
    pub errors: HashMap<String, String>,
    /// Messages about the questionnaire as a whole, shown at the top.
    pub general: Vec<String>,
}

impl Filled {
    /// A fresh form whose `prefill` questions hold the dossier's facts (`fact` returns the
    /// value of each kind of fact, when the dossier has it).
    pub fn prefilled(form: &FormDefinition, fact: impl Fn(Prefill) -> Option<String>) -> Self {
        let values = form
            .questions()
            .filter_map(|q| {
                let value = fact(q.prefill()?)?;
                Some((q.id().to_owned(), vec![value]))
            })
            .collect();
        Self {
            values,
            ..Self::default()
        }
    }
}

impl QuestionnaireView {
    /// Builds the view of `form` in `lang`, showing only questions visible on `today`
    /// (`YYYY-MM-DD`).
    pub fn new(
        form: &FormDefinition,
        lang: Lang,
        today: &str,
        action: Option<String>,
        filled: &Filled,
    ) -> Self {
        let l = lang.code();
        let ui = lang.ui();
        let sections = form
            .sections()
            .iter()
            .map(|section| {
                let questions = section
                    .questions()
                    .iter()
                    .filter(|q| !q.hidden() && q.visible_on(today))
                    .map(|q| {
                        // The effective condition includes the section's: only a question's
                        // own gate is worth a note of its own.
                        let own = q.condition().filter(|c| Some(*c) != section.condition());
                        question_view(form, q, lang, own, filled)
                    })
                    .collect::<Vec<_>>();
                SectionView {
                    id: section.id().to_owned(),
                    title: section.title().localized(l).to_owned(),
                    text: section.text().map(|t| t.localized(l).to_owned()),
                    condition_note: section
                        .condition()
                        .map(|c| format!("{} {}.", ui.answer_only_if, describe(form, c, lang))),
                    questions,
                }
            })
            .filter(|s| !s.questions.is_empty())
            .collect::<Vec<SectionView>>();
        let summary = summary(&sections, filled);
        Self {
            action,
            lang: l,
            title: form.title().localized(l).to_owned(),
            intro: form.intro().map(|t| t.localized(l).to_owned()),
            closing: form.closing().map(|t| t.localized(l).to_owned()),
            sections,
            ui,
            about: Vec::new(),
            summary,
            submission_key: None,
        }
    }
}

/// The error summary: general messages, then errors about questions not on the page (sent by
/// something other than this page), then one link per question on the page.
fn summary(sections: &[SectionView], filled: &Filled) -> Vec<ErrorLink> {
    let shown: Vec<&QuestionView> = sections.iter().flat_map(|s| &s.questions).collect();
    let mut elsewhere: Vec<(&String, &String)> = filled
        .errors
        .iter()
        .filter(|(id, _)| !shown.iter().any(|q| &q.id == *id))
        .collect();
    elsewhere.sort();
    let general = filled
        .general
        .iter()
        .chain(elsewhere.into_iter().map(|(_, message)| message))
        .map(|text| ErrorLink {
            href: None,
            text: text.clone(),
        });
    let per_question = shown.iter().filter_map(|q| {
        q.error.as_ref().map(|e| ErrorLink {
            href: Some(format!("#q-{}", q.id)),
            text: format!("{} — {e}", short(&q.text)),
        })
    });
    general.chain(per_question).collect()
}

/// One question as the template shows it: its texts, condition, bounds, the value given and
/// its error, with the control of its kind ([`with_control`]).
fn question_view(
    form: &FormDefinition,
    q: &Question,
    lang: Lang,
    own_condition: Option<&Condition>,
    filled: &Filled,
) -> QuestionView {
    let l = lang.code();
    let given = filled
        .values
        .get(q.id())
        .map(Vec::as_slice)
        .unwrap_or_default();
    let view = QuestionView {
        id: q.id().to_owned(),
        heading: q.heading().map(|t| t.localized(l).to_owned()),
        text: q.text().localized(l).to_owned(),
        required: q.required(),
        control: "choices",
        input_type: "radio",
        layout: "list",
        choices: Vec::new(),
        hint: None,
        condition_note: own_condition
            .map(|c| format!("{} {}.", lang.ui().answer_only_if, describe(form, c, lang))),
        max_length: q.max_length(),
        min: q.bounds().0,
        max: q.bounds().1,
        value: given.first().cloned().unwrap_or_default(),
        error: filled.errors.get(q.id()).cloned(),
    };
    with_control(view, form, q, lang, given)
}

/// The view with the control of the question's kind: the levels of a scale, the options, yes
/// and no (each checked when `given`), or a text or number field.
fn with_control(
    mut view: QuestionView,
    form: &FormDefinition,
    q: &Question,
    lang: Lang,
    given: &[String],
) -> QuestionView {
    let l = lang.code();
    let ui = lang.ui();
    let choice = |value: String, label: String| ChoiceView {
        checked: given.contains(&value),
        value,
        label,
    };
    let options = || {
        q.options()
            .iter()
            .map(|o| choice(o.id().to_owned(), o.label().localized(l).to_owned()))
            .collect()
    };
    match q.kind() {
        QuestionKind::Scale => {
            if let Some(scale) = form.scale_of(q.id()) {
                let mut levels: Vec<_> = scale.levels().iter().collect();
                if scale.display_order() == DisplayOrder::Descending {
                    levels.reverse();
                }
                view.choices = levels
                    .into_iter()
                    .map(|lv| {
                        choice(
                            lv.value().to_string(),
                            format!("{} — {}", lv.value(), lv.label().localized(l)),
                        )
                    })
                    .collect();
                view.layout = "scale";
            }
        }
        QuestionKind::SingleChoice => view.choices = options(),
        QuestionKind::MultipleChoice => {
            view.input_type = "checkbox";
            view.hint = Some(ui.choose_several.to_owned());
            view.choices = options();
        }
        QuestionKind::YesNo => {
            view.choices = vec![
                choice("true".into(), ui.yes.into()),
                choice("false".into(), ui.no.into()),
            ];
        }
        QuestionKind::Text => {
            view.control = "text";
            view.hint = q
                .max_length()
                .map(|n| ui.max_chars.replace("{}", &n.to_string()));
        }
        QuestionKind::Number => view.control = "number",
    }
    view
}

/// A condition in words: `“question” : label or label`.
fn describe(form: &FormDefinition, condition: &Condition, lang: Lang) -> String {
    let l = lang.code();
    let ui = lang.ui();
    match condition {
        Condition::In { question, values } => {
            let q = form.question(question);
            let text = q.map_or(question.as_str(), |q| q.text().localized(l));
            let labels: Vec<String> = values
                .iter()
                .map(|v| value_label(form, q, v, lang))
                .collect();
            format!(
                "“{}”: {}",
                short(text),
                labels.join(&format!(" {} ", ui.or))
            )
        }
        Condition::Range { question, min, max } => {
            let text = form
                .question(question)
                .map_or(question.as_str(), |q| q.text().localized(l));
            let mut bounds = Vec::new();
            if let Some(min) = min {
                bounds.push(format!("{} {min}", ui.at_least));
            }
            if let Some(max) = max {
                bounds.push(format!("{} {max}", ui.at_most));
            }
            format!("“{}”: {}", short(text), bounds.join(" "))
        }
        Condition::Any { any } => join(form, any, ui.or, lang),
        Condition::All { all } => join(form, all, ui.and, lang),
    }
}

fn join(form: &FormDefinition, parts: &[Condition], word: &str, lang: Lang) -> String {
    parts
        .iter()
        .map(|c| describe(form, c, lang))
        .collect::<Vec<_>>()
        .join(&format!(" {word} "))
}

fn value_label(
    form: &FormDefinition,
    q: Option<&Question>,
    value: &ConditionValue,
    lang: Lang,
) -> String {
    let l = lang.code();
    let label = |t: &Text| t.localized(l).to_owned();
    match value {
        ConditionValue::Int(n) => q
            .and_then(|q| form.scale_of(q.id()))
            .and_then(|s| s.level(*n))
            .map(|lv| label(lv.label()))
            .unwrap_or_else(|| n.to_string()),
        ConditionValue::Str(id) => q
            .and_then(|q| q.option(id))
            .map(|o| label(o.label()))
            .unwrap_or_else(|| id.clone()),
        ConditionValue::Bool(b) => {
            let ui = lang.ui();
            if *b { ui.yes } else { ui.no }.to_owned()
        }
    }
}

/// Long question texts are cut in condition notes.
fn short(text: &str) -> String {
    const MAX: usize = 90;
    if text.chars().count() <= MAX {
        text.to_owned()
    } else {
        let cut: String = text.chars().take(MAX).collect();
        format!("{}…", cut.trim_end())
    }
}
