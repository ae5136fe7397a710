//! What a submitted questionnaire means: `ValidSubmission::parse(&FormDefinition, raw, mode)`
//! checks every answer against the exact form version and decides whether the questionnaire is
//! valid, an invalid return (paper), or rejected (methodology §3.7–§3.8).
//!
//! Decisions (also in `docs/privacy.md` and the API documentation):
//! - A value is an integer level for a scale question, an option id for single choice, an array
//!   of option ids for multiple choice, `true`/`false` for yes/no, a string for text, a number for
//!   number questions; `null`, `""` and `[]` mean unanswered.
//! - Answers to questions that the experience filter gates off are **ignored** (dropped before
//!   storage), in every mode: that is what §3.8 prescribes for paper, and a citizen filling the
//!   no-JavaScript page cannot see the gate take effect.
//! - Interactive modes (web, kiosk, phone) reject a questionnaire with no answered applicable
//!   satisfaction item, a missing required answer, or an ineligible respondent. Paper cannot be
//!   sent back: those become an *invalid return*, stored and counted but kept out of indices.
//! - Free text is NFC-normalised, stripped of control characters (newlines and tabs kept) and
//!   trimmed; e-mail addresses and phone numbers in it are masked before storage.
//! - A questionnaire an agency enters says when it was collected (`check_collected_on`): not
//!   after today, not before the dossier's completion, in Vietnam time. The day is not stored.

use std::collections::BTreeMap;

use chrono::{DateTime, NaiveDate, Utc};
use serde_json::{Map, Value};
use unicode_normalization::UnicodeNormalization;

use super::dossiers::{CLOCK_SKEW, vietnam_date};
use super::forms::{FormDefinition, Question, QuestionKind};
use super::lang::Lang;
use super::problem_code::ProblemCode;

/// How the questionnaire reached us.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Mode {
    Web,
    Kiosk,
    Phone,
    Paper,
}

impl Mode {
    /// Whether the respondent can be asked to correct the questionnaire.
    pub fn is_interactive(self) -> bool {
        self != Mode::Paper
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Mode::Web => "web",
            Mode::Kiosk => "kiosk",
            Mode::Phone => "phone",
            Mode::Paper => "paper",
        }
    }
}

/// Limits that deployments may tune.
#[derive(Debug, Clone, Copy)]
pub struct ValidityRules {
    /// A paper questionnaire with a blank share of applicable satisfaction items strictly above
    /// this is an invalid return (§3.7; default 0.5).
    pub paper_max_blank_share: f64,
}

impl Default for ValidityRules {
    fn default() -> Self {
        Self {
            paper_max_blank_share: 0.5,
        }
    }
}

/// Why a stored questionnaire does not enter the indices.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum InvalidReason {
    TooManyBlanks,
    NotEligible,
}

impl InvalidReason {
    /// The stable name, as stored in `responses.invalid_reason` and shown to agencies.
    pub fn as_str(self) -> &'static str {
        match self {
            InvalidReason::TooManyBlanks => "too_many_blanks",
            InvalidReason::NotEligible => "not_eligible",
        }
    }
}

/// Why the day an agency says a questionnaire was collected on is not plausible.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CollectedOnProblem {
    /// After today (Vietnam time).
    InFuture,
    /// Before the day the dossier was completed (Vietnam time): most likely the wrong dossier.
    BeforeCompletion,
}

impl CollectedOnProblem {
    /// The problem (and field) code.
    pub fn code(self) -> ProblemCode {
        match self {
            CollectedOnProblem::InFuture => ProblemCode::CollectedInFuture,
            CollectedOnProblem::BeforeCompletion => ProblemCode::CollectedBeforeCompletion,
        }
    }

    pub fn message(self) -> &'static str {
        match self {
            CollectedOnProblem::InFuture => "is after today (Vietnam time)",
            CollectedOnProblem::BeforeCompletion => {
                "is before the day the dossier was completed (Vietnam time)"
            }
        }
    }
}

/// Checks the day a questionnaire entered by an agency was collected on (paper handed back, a
/// kiosk or phone interview): in Vietnam time, not after today and not before the day the
/// dossier was completed. There is no limit on lateness: paper comes back late. The day is
/// checked, never stored: a response keeps the month of the dossier's completion only.
pub fn check_collected_on(
    collected_on: NaiveDate,
    completed_at: DateTime<Utc>,
    now: DateTime<Utc>,
) -> Result<(), CollectedOnProblem> {
    if collected_on > vietnam_date(now + CLOCK_SKEW) {
        Err(CollectedOnProblem::InFuture)
    } else if collected_on < vietnam_date(completed_at) {
        Err(CollectedOnProblem::BeforeCompletion)
    } else {
        Ok(())
    }
}

/// A questionnaire that may be stored.
#[derive(Debug, Clone, PartialEq)]
pub struct ValidSubmission {
    /// The normalised answers of applicable questions, by question id (unanswered ones absent).
    pub answers: BTreeMap<String, Value>,
    /// `None` for a valid questionnaire; the reason for an invalid return.
    pub invalid: Option<InvalidReason>,
    /// Number of applicable satisfaction items, and how many were answered.
    pub applicable_items: usize,
    pub answered_items: usize,
}

/// One problem with one answer (or with the questionnaire, `question` = `answers`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AnswerError {
    pub question: String,
    pub code: &'static str,
    vi: String,
    en: String,
}

impl AnswerError {
    fn new(question: &str, code: &'static str, vi: String, en: String) -> Self {
        Self {
            question: question.to_owned(),
            code,
            vi,
            en,
        }
    }

    /// The message in `lang`.
    pub fn message(&self, lang: Lang) -> &str {
        match lang {
            Lang::Vi => &self.vi,
            Lang::En => &self.en,
        }
    }
}

impl ValidSubmission {
    /// Checks `raw` against `form` (see the module documentation). Returns every problem at once.
    pub fn parse(
        form: &FormDefinition,
        raw: &Map<String, Value>,
        mode: Mode,
        rules: ValidityRules,
    ) -> Result<Self, Vec<AnswerError>> {
        let (parsed, mut errors) = parse_answers(form, raw);

        // Gating looks at the parsed answers; gated-off answers are dropped (§3.8).
        let applicable: BTreeMap<String, Value> = parsed
            .iter()
            .filter(|(id, _)| form.is_applicable(id, &parsed))
            .map(|(id, v)| (id.clone(), v.clone()))
            .collect();

        let items = form.applicable_satisfaction_items(&applicable);
        let answered_items = items
            .iter()
            .filter(|id| applicable.contains_key(**id))
            .count();
        let eligible = form.is_eligible(&applicable);

        if mode.is_interactive() {
            missing_required(form, &applicable, &mut errors);
            if !eligible {
                errors.push(AnswerError::new(
                    "answers",
                    "not_eligible",
                    "Phiếu này dành cho người từ đủ 18 tuổi trở lên.".into(),
                    "This questionnaire is for respondents aged 18 or over.".into(),
                ));
            }
            // Unless a satisfaction answer was given but is wrong (reported on its own).
            let tried_an_item = errors.iter().any(|e| items.contains(&e.question.as_str()));
            if answered_items == 0 && !tried_an_item {
                errors.push(AnswerError::new(
                    "answers",
                    "no_satisfaction_answer",
                    "Xin Ông/Bà đánh giá ít nhất một nội dung về mức độ hài lòng.".into(),
                    "Please rate at least one of the satisfaction statements.".into(),
                ));
            }
        }
        if !errors.is_empty() {
            return Err(errors);
        }
        let counts = (items.len(), answered_items);
        Ok(Self {
            answers: applicable,
            invalid: invalid_reason(mode, rules, eligible, counts),
            applicable_items: items.len(),
            answered_items,
        })
    }
}

/// Each answer of `raw` normalised (unanswered ones left out), and the problems: unknown or
/// hidden questions, wrong values.
fn parse_answers(
    form: &FormDefinition,
    raw: &Map<String, Value>,
) -> (Map<String, Value>, Vec<AnswerError>) {
    let mut errors = Vec::new();
    let mut parsed = Map::new();
    for (id, value) in raw {
        match form.question(id).filter(|q| !q.hidden()) {
            None => errors.push(AnswerError::new(
                id,
                "unknown_question",
                format!("Câu hỏi “{id}” không có trong phiếu này."),
                format!("There is no question “{id}” in this form."),
            )),
            Some(q) => match parse_value(form, q, value) {
                Ok(Some(v)) => {
                    parsed.insert(id.clone(), v);
                }
                Ok(None) => {}
                Err(e) => errors.push(e),
            },
        }
    }
    (parsed, errors)
}

/// Adds a `required_question_missing` for each required, visible, applicable question without
/// an answer (and without a problem already reported).
fn missing_required(
    form: &FormDefinition,
    applicable: &BTreeMap<String, Value>,
    errors: &mut Vec<AnswerError>,
) {
    for q in form.questions() {
        if q.required()
            && !q.hidden()
            && form.is_applicable(q.id(), applicable)
            && !applicable.contains_key(q.id())
            && !errors.iter().any(|e| e.question == q.id())
        {
            errors.push(AnswerError::new(
                q.id(),
                "required_question_missing",
                "Câu hỏi này là bắt buộc.".into(),
                "This question is required.".into(),
            ));
        }
    }
}

/// Why an accepted questionnaire is an invalid return, if it is (methodology §3.7): a
/// respondent not eligible, or a paper one with too many blank satisfaction items out of
/// `(applicable, answered)`.
fn invalid_reason(
    mode: Mode,
    rules: ValidityRules,
    eligible: bool,
    (applicable, answered): (usize, usize),
) -> Option<InvalidReason> {
    if !eligible {
        Some(InvalidReason::NotEligible)
    } else if !mode.is_interactive() && {
        let blank = applicable - answered;
        answered == 0 || (blank as f64) / (applicable as f64) > rules.paper_max_blank_share
    } {
        Some(InvalidReason::TooManyBlanks)
    } else {
        None
    }
}

/// The normalised value, `None` for unanswered, or the problem.
fn parse_value(
    form: &FormDefinition,
    q: &Question,
    value: &Value,
) -> Result<Option<Value>, AnswerError> {
    let id = q.id();
    if value.is_null() {
        return Ok(None);
    }
    match q.kind() {
        QuestionKind::Scale => scale_value(form, id, value).map(Some),
        QuestionKind::SingleChoice => {
            let choice = value
                .as_str()
                .ok_or_else(|| wrong_type(id, "mã của một phương án", "an option id"))?;
            if choice.is_empty() {
                return Ok(None);
            }
            check_option(q, choice)?;
            Ok(Some(Value::from(choice)))
        }
        QuestionKind::MultipleChoice => choices_value(q, value),
        QuestionKind::YesNo => value
            .as_bool()
            .map(|b| Some(Value::from(b)))
            .ok_or_else(|| wrong_type(id, "có hoặc không (true/false)", "true or false")),
        QuestionKind::Text => text_value(q, value),
        QuestionKind::Number => number_value(q, value).map(Some),
    }
}

/// A value of the wrong JSON type: "must be {vi}" / "must be {en}".
fn wrong_type(id: &str, vi: &str, en: &str) -> AnswerError {
    AnswerError::new(
        id,
        "wrong_type",
        format!("Câu trả lời phải là {vi}."),
        format!("The answer must be {en}."),
    )
}

/// A level of the question's scale.
fn scale_value(form: &FormDefinition, id: &str, value: &Value) -> Result<Value, AnswerError> {
    let level = value.as_i64().ok_or_else(|| {
        wrong_type(
            id,
            "một số nguyên của thang đo",
            "an integer level of the scale",
        )
    })?;
    let scale = form.scale_of(id);
    if scale.is_some_and(|s| s.has_level(level)) {
        return Ok(Value::from(level));
    }
    let levels: Vec<String> = scale
        .map(|s| s.levels().iter().map(|l| l.value().to_string()).collect())
        .unwrap_or_default();
    Err(AnswerError::new(
        id,
        "invalid_level",
        format!(
            "Mức {level} không có trong thang đo ({}).",
            levels.join(", ")
        ),
        format!("Level {level} is not on the scale ({}).", levels.join(", ")),
    ))
}

/// Distinct options of the question; none chosen is unanswered.
fn choices_value(q: &Question, value: &Value) -> Result<Option<Value>, AnswerError> {
    let id = q.id();
    let not_a_list = || wrong_type(id, "danh sách mã phương án", "a list of option ids");
    let list = value.as_array().ok_or_else(not_a_list)?;
    let mut chosen: Vec<&str> = Vec::with_capacity(list.len());
    for item in list {
        let choice = item.as_str().ok_or_else(not_a_list)?;
        check_option(q, choice)?;
        if chosen.contains(&choice) {
            return Err(AnswerError::new(
                id,
                "duplicate_option",
                format!("Phương án “{choice}” được chọn hai lần."),
                format!("Option “{choice}” is chosen twice."),
            ));
        }
        chosen.push(choice);
    }
    Ok((!chosen.is_empty()).then(|| Value::from(chosen)))
}

/// Text, cleaned and within the question's length, with contact details masked; empty text
/// is unanswered.
fn text_value(q: &Question, value: &Value) -> Result<Option<Value>, AnswerError> {
    let id = q.id();
    let text = value
        .as_str()
        .ok_or_else(|| wrong_type(id, "một đoạn văn bản", "text"))?;
    let clean = clean_text(text);
    if clean.is_empty() {
        return Ok(None);
    }
    if let Some(max) = q.max_length() {
        let len = clean.chars().count();
        if len > max as usize {
            return Err(AnswerError::new(
                id,
                "too_long",
                format!("Tối đa {max} ký tự (hiện có {len})."),
                format!("At most {max} characters ({len} given)."),
            ));
        }
    }
    Ok(Some(Value::from(mask_contacts(&clean))))
}

/// A number within the question's bounds (whole when it asks for one).
fn number_value(q: &Question, value: &Value) -> Result<Value, AnswerError> {
    let id = q.id();
    let n = value
        .as_f64()
        .ok_or_else(|| wrong_type(id, "một số", "a number"))?;
    if q.integer_only() && n.fract() != 0.0 {
        return Err(wrong_type(id, "một số nguyên", "a whole number"));
    }
    let (min, max) = q.bounds();
    let out_of_range = min.is_some_and(|m| n < m as f64) || max.is_some_and(|m| n > m as f64);
    if out_of_range {
        let range = format!(
            "{}–{}",
            min.map_or("…".into(), |m| m.to_string()),
            max.map_or("…".into(), |m| m.to_string())
        );
        return Err(AnswerError::new(
            id,
            "out_of_range",
            format!("Giá trị phải trong khoảng {range}."),
            format!("The value must be within {range}."),
        ));
    }
    Ok(value.clone())
}

fn check_option(q: &Question, choice: &str) -> Result<(), AnswerError> {
    if q.option(choice).is_some() {
        Ok(())
    } else {
        Err(AnswerError::new(
            q.id(),
            "unknown_option",
            format!("Phương án “{choice}” không có trong câu hỏi này."),
            format!("Option “{choice}” does not belong to this question."),
        ))
    }
}

/// NFC, no control characters except newline and tab, trimmed.
pub fn clean_text(text: &str) -> String {
    text.nfc()
        .filter(|c| !c.is_control() || *c == '\n' || *c == '\t')
        .collect::<String>()
        .trim()
        .to_owned()
}

/// Replaces e-mail addresses with `[email]` and phone numbers (9–12 digits, separators allowed)
/// with `[phone]`, so a citizen's free text cannot carry contact details into storage.
pub fn mask_contacts(text: &str) -> String {
    let chars: Vec<char> = text.chars().collect();
    let mut out = String::with_capacity(text.len());
    let mut i = 0;
    while i < chars.len() {
        if let Some(end) = email_at(&chars, i) {
            out.push_str("[email]");
            i = end;
        } else if let Some(end) = phone_at(&chars, i) {
            out.push_str("[phone]");
            i = end;
        } else {
            out.push(chars[i]);
            i += 1;
        }
    }
    out
}

fn is_local(c: char) -> bool {
    c.is_ascii_alphanumeric() || "._%+-".contains(c)
}

/// If an e-mail address starts at `i` (and not in the middle of one), its end.
fn email_at(chars: &[char], i: usize) -> Option<usize> {
    if !is_local(chars[i]) || (i > 0 && is_local(chars[i - 1])) {
        return None;
    }
    let mut at = i;
    while at < chars.len() && is_local(chars[at]) {
        at += 1;
    }
    if at == i || chars.get(at) != Some(&'@') {
        return None;
    }
    let mut end = at + 1;
    while end < chars.len()
        && (chars[end].is_ascii_alphanumeric() || chars[end] == '.' || chars[end] == '-')
    {
        end += 1;
    }
    while end > at + 1 && chars[end - 1] == '.' {
        end -= 1;
    }
    let domain: String = chars[at + 1..end].iter().collect();
    (domain.contains('.') && !domain.starts_with('.')).then_some(end)
}

/// If a phone number starts at `i` (a `+` or a digit not preceded by a digit), its end.
fn phone_at(chars: &[char], i: usize) -> Option<usize> {
    let starts = chars[i] == '+' || chars[i].is_ascii_digit();
    if !starts || (i > 0 && chars[i - 1].is_ascii_digit()) {
        return None;
    }
    let mut digits = 0;
    let mut end = i + usize::from(chars[i] == '+');
    let mut last_digit_end = end;
    while end < chars.len() {
        let c = chars[end];
        if c.is_ascii_digit() {
            digits += 1;
            end += 1;
            last_digit_end = end;
        } else if " .-()".contains(c)
            && chars
                .get(end + 1)
                .is_some_and(|n| n.is_ascii_digit() || *n == '(')
        {
            end += 1;
        } else {
            break;
        }
    }
    (9..=12).contains(&digits).then_some(last_digit_end)
}

/// Whether `raw` is a submission key: 16–64 characters of the base64url alphabet. The citizen's
/// client makes one per attempt; only a retry with it is recognised (`TokenKey::answers_digest`).
pub fn is_submission_key(raw: &str) -> bool {
    (16..=64).contains(&raw.len())
        && raw
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;
    use serde_json::json;

    fn form(key: &str) -> FormDefinition {
        crate::domain::forms::shipped(key)
    }

    fn raw(v: Value) -> Map<String, Value> {
        v.as_object().unwrap().clone()
    }

    fn codes(errors: &[AnswerError]) -> Vec<(&str, &str)> {
        errors
            .iter()
            .map(|e| (e.question.as_str(), e.code))
            .collect()
    }

    #[test]
    fn a_good_web_answer_is_valid_and_normalised() {
        let f = form("sipas-2017");
        let s = ValidSubmission::parse(
            &f,
            &raw(json!({
                "s1": 5, "s2": 4, "p1": "once", "e1": ["facilities", "simpler_procedures"],
                "comment": "  Tốt\u{7}  ", "g1": null, "d_gender": "",
            })),
            Mode::Web,
            ValidityRules::default(),
        )
        .unwrap();
        assert_eq!(s.invalid, None);
        assert_eq!(s.answered_items, 2);
        assert_eq!(s.applicable_items, 22);
        assert_eq!(s.answers["comment"], "Tốt");
        assert_eq!(s.answers["e1"], json!(["facilities", "simpler_procedures"]));
        assert!(!s.answers.contains_key("g1") && !s.answers.contains_key("d_gender"));
    }

    #[test]
    fn every_problem_is_reported_per_question() {
        let f = form("sipas-2017");
        let errs = ValidSubmission::parse(
            &f,
            &raw(json!({
                "s1": 6, "s2": "5", "p1": "nope", "zz": 1,
                "comment": "x".repeat(5000),
            })),
            Mode::Web,
            ValidityRules::default(),
        )
        .unwrap_err();
        let mut got = codes(&errs);
        got.sort();
        assert_eq!(
            got,
            [
                ("comment", "too_long"),
                ("p1", "unknown_option"),
                ("s1", "invalid_level"),
                ("s2", "wrong_type"),
                ("zz", "unknown_question"),
            ]
        );
        let s1 = errs.iter().find(|e| e.question == "s1").unwrap();
        assert!(
            s1.message(Lang::Vi).contains("thang đo") && s1.message(Lang::En).contains("scale")
        );
    }

    #[test]
    fn duplicate_options_are_rejected() {
        let f = form("sipas-2017");
        let first = f.question("e1").unwrap().options()[0].id().to_owned();
        let errs = ValidSubmission::parse(
            &f,
            &raw(json!({"s1": 3, "e1": [first, first]})),
            Mode::Web,
            ValidityRules::default(),
        )
        .unwrap_err();
        assert_eq!(codes(&errs), [("e1", "duplicate_option")]);
    }

    #[test]
    fn online_needs_one_satisfaction_answer() {
        let f = form("sipas-2017");
        let errs = ValidSubmission::parse(
            &f,
            &raw(json!({"p1": "once"})),
            Mode::Web,
            ValidityRules::default(),
        )
        .unwrap_err();
        assert_eq!(codes(&errs), [("answers", "no_satisfaction_answer")]);
        assert!(errs[0].message(Lang::Vi).contains("hài lòng"));
    }

    #[test]
    fn paper_blank_threshold_is_strictly_more_than_half() {
        // X4: 22 items, 11 blank → valid; 12 blank → invalid return.
        let f = form("sipas-2017");
        let answers = |n: usize| {
            let mut m = Map::new();
            for i in 1..=n {
                m.insert(format!("s{i}"), json!(4));
            }
            m
        };
        let s = ValidSubmission::parse(&f, &answers(11), Mode::Paper, ValidityRules::default())
            .unwrap();
        assert_eq!(s.invalid, None);
        let s = ValidSubmission::parse(&f, &answers(10), Mode::Paper, ValidityRules::default())
            .unwrap();
        assert_eq!(s.invalid, Some(InvalidReason::TooManyBlanks));
        let s =
            ValidSubmission::parse(&f, &Map::new(), Mode::Paper, ValidityRules::default()).unwrap();
        assert_eq!(s.invalid, Some(InvalidReason::TooManyBlanks));
    }

    #[test]
    fn gated_off_answers_are_dropped_and_leave_the_denominator() {
        // X5: sipas-2023, q8_4 = 2 (Chưa từng) gates part II off.
        let f = form("sipas-2023");
        let policy: Vec<&str> = f
            .satisfaction_items()
            .into_iter()
            .filter(|id| id.trim_start_matches("q9_").parse::<u32>().unwrap() <= 14)
            .collect();
        let mut m = Map::new();
        m.insert("q8_4".into(), json!(2));
        for id in &policy {
            m.insert((*id).into(), json!(5));
        }
        m.insert("q9_20".into(), json!(1)); // a PAS item: gated off, must be ignored
        let s = ValidSubmission::parse(&f, &m, Mode::Paper, ValidityRules::default()).unwrap();
        assert_eq!(s.invalid, None);
        assert!(!s.answers.contains_key("q9_20"));
        assert_eq!(s.applicable_items, policy.len());
        assert_eq!(s.answered_items, policy.len());

        // A blank gate gates nothing.
        let mut m2 = m.clone();
        m2.remove("q8_4");
        let s = ValidSubmission::parse(&f, &m2, Mode::Paper, ValidityRules::default()).unwrap();
        assert!(s.answers.contains_key("q9_20"));
        assert_eq!(s.applicable_items, 33);
    }

    #[test]
    fn under_18_is_rejected_online_and_invalid_on_paper() {
        let f = form("sipas-2024");
        let age_id = "d_age";
        assert!(f.question(age_id).is_some());
        let m = raw(json!({"d_age": 16, "q9_1": 4}));
        let errs = ValidSubmission::parse(&f, &m, Mode::Web, ValidityRules::default()).unwrap_err();
        assert!(codes(&errs).contains(&("answers", "not_eligible")));
        let s = ValidSubmission::parse(&f, &m, Mode::Paper, ValidityRules::default()).unwrap();
        assert_eq!(s.invalid, Some(InvalidReason::NotEligible));
    }

    #[test]
    fn collected_on_lies_between_completion_and_today_in_vietnam_time() {
        let at = |s: &str| DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc);
        let day = |s: &str| NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap();
        // Completed 20:00 UTC on 31 March = 03:00 on 1 April in Vietnam.
        let completed = at("2026-03-31T20:00:00Z");
        let now = at("2026-04-10T18:00:00Z"); // 01:00 on 11 April in Vietnam
        let check = |d: &str| check_collected_on(day(d), completed, now);
        assert_eq!(check("2026-04-01"), Ok(()));
        assert_eq!(check("2026-04-11"), Ok(()));
        assert_eq!(
            check("2026-03-31"),
            Err(CollectedOnProblem::BeforeCompletion)
        );
        assert_eq!(check("2026-04-12"), Err(CollectedOnProblem::InFuture));
        assert_eq!(
            CollectedOnProblem::InFuture.code(),
            ProblemCode::CollectedInFuture
        );
    }

    #[test]
    fn contacts_in_free_text_are_masked() {
        assert_eq!(
            mask_contacts("Liên hệ tôi: nguyen.van.a@gmail.com hoặc 0912 345 678, cảm ơn."),
            "Liên hệ tôi: [email] hoặc [phone], cảm ơn."
        );
        assert_eq!(mask_contacts("+84 912-345-678"), "[phone]");
        assert_eq!(
            mask_contacts("Chờ 3 ngày, 2 lần, năm 2024"),
            "Chờ 3 ngày, 2 lần, năm 2024"
        );
        assert_eq!(mask_contacts("a@b"), "a@b");
        assert_eq!(clean_text(" Cu\u{0301}a\u{0}\n tôi "), "Cúa\n tôi");
    }
}
