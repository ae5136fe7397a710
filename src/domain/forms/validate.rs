//! The rules a form file must satisfy, and the conversion of a checked [`FormFile`] into a
//! [`FormDefinition`].
//!
//! Every rule is checked and every violation reported (file, line, id, fix hint), so that one
//! `sipas forms check` run lists everything to fix. The rules, in file order:
//! - header: key slug, version ≥ 1, non-empty edition / wording source / instrument / PAR edition,
//!   valid dates, languages (valid codes, no duplicates, `vi` present), `max_points` > 0;
//! - texts: every text object has every declared language, no other, non-blank, in Unicode NFC;
//! - scales: unique ids, ≥ 2 levels with unique ascending values, `satisfied_levels` or
//!   `positive_levels` (not both, non-empty, no duplicates, inside the scale);
//! - sections and questions: unique ids (questions unique across the whole form), fields that fit
//!   the kind, known scales, ≥ 2 options with unique ids, sane ranges, hidden ≠ required, no
//!   question asking for a name, phone number or e-mail address;
//! - conditions: exactly one shape, known and *earlier* questions only, known option ids / levels,
//!   values of the right type, kinds that can gate;
//! - index tree: known root, unique node ids, non-empty nodes, known children with one parent each,
//!   no cycle, every node reachable, items that are shown scale questions on a satisfaction scale,
//!   each item in one node only, bounded depth.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::ops::Range;

use toml::Spanned;
use unicode_normalization::is_nfc;

use super::checksum::checksum;
use super::definition::{
    ConditionDef, ConditionValueDef, FormFile, QuestionKind, SectionDef, TextDef,
};
use super::error::{FormError, FormErrorKind as K, FormErrors};
use super::model::{
    ChoiceOption, Condition, ConditionValue, FormDefinition, FormStatus, IndexNode, LegalBasis,
    Level, Par, Question, QuestionPos, Scale, Section, Text,
};

/// Deepest index tree accepted (root = level 1). Real trees have 3.
pub const MAX_INDEX_DEPTH: usize = 16;

/// Checks `file` (parsed from `src`, named `file_name` in errors) and builds the definition, or
/// returns every error found.
pub fn validate(file_name: &str, src: &str, file: &FormFile) -> Result<FormDefinition, FormErrors> {
    let mut v = Validator {
        file: file_name,
        src,
        languages: Vec::new(),
        errors: Vec::new(),
    };
    v.header(file);
    v.scales(file);
    let questions = v.questions(file);
    v.conditions(file, &questions);
    v.index(file, &questions);
    if !v.errors.is_empty() {
        let mut errors = v.errors;
        errors.sort_by_key(|e| e.line.unwrap_or(0));
        return Err(FormErrors(errors));
    }
    Ok(build(file, checksum(file)))
}

/// What the later passes need to know about a question.
struct QInfo {
    kind: QuestionKind,
    scale: Option<String>,
    options: Vec<String>,
    hidden: bool,
    position: usize,
}

struct Validator<'a> {
    file: &'a str,
    src: &'a str,
    languages: Vec<String>,
    errors: Vec<FormError>,
}

fn span<T>(s: &Spanned<T>) -> Range<usize> {
    s.span()
}

/// 1-based line of a byte offset.
pub(super) fn line_of(src: &str, offset: usize) -> usize {
    let end = offset.min(src.len());
    src.as_bytes()
        .get(..end)
        .map_or(0, |b| b.iter().filter(|c| **c == b'\n').count())
        + 1
}

fn is_slug(s: &str, first: fn(char) -> bool, rest: fn(char) -> bool) -> bool {
    let mut chars = s.chars();
    chars.next().is_some_and(first) && chars.all(rest)
}

fn lower_alpha(c: char) -> bool {
    c.is_ascii_lowercase()
}
fn lower_alnum(c: char) -> bool {
    c.is_ascii_lowercase() || c.is_ascii_digit()
}
fn id_char(c: char) -> bool {
    lower_alnum(c) || c == '_'
}
fn node_char(c: char) -> bool {
    id_char(c) || c == '.'
}
fn key_char(c: char) -> bool {
    lower_alnum(c) || c == '-'
}

/// `YYYY-MM-DD` with a real calendar day.
pub(super) fn is_iso_date(s: &str) -> bool {
    let b = s.as_bytes();
    if b.len() != 10 || b.get(4) != Some(&b'-') || b.get(7) != Some(&b'-') {
        return false;
    }
    let num = |r: Range<usize>| -> Option<u32> {
        let part = s.get(r)?;
        if part.bytes().all(|c| c.is_ascii_digit()) {
            part.parse().ok()
        } else {
            None
        }
    };
    let (Some(y), Some(m), Some(d)) = (num(0..4), num(5..7), num(8..10)) else {
        return false;
    };
    let leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
    let days = match m {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        2 if leap => 29,
        2 => 28,
        _ => return false,
    };
    (1..=days).contains(&d)
}

/// Id tokens and phrases that reveal a question collecting direct identifiers (§2.0 anonymity).
const PII_ID_TOKENS: [&str; 7] = ["name", "hoten", "phone", "sdt", "tel", "email", "mail"];
const PII_PHRASES: [&str; 12] = [
    "họ và tên",
    "họ tên",
    "số điện thoại",
    "điện thoại",
    "thư điện tử",
    "sđt",
    "email",
    "e-mail",
    "your name",
    "full name",
    "phone",
    "địa chỉ nhà",
];

fn personal_data(id: &str, kind: QuestionKind, text: &BTreeMap<String, String>) -> Option<String> {
    if let Some(t) = id.split('_').find(|t| PII_ID_TOKENS.contains(t)) {
        return Some(format!("id contains `{t}`"));
    }
    // Only free-entry kinds can capture an identifier; a choice question may mention e-mail.
    if matches!(kind, QuestionKind::Text | QuestionKind::Number) {
        for t in text.values() {
            let lower = t.to_lowercase();
            if let Some(p) = PII_PHRASES.iter().find(|p| lower.contains(*p)) {
                return Some(format!("text contains \"{p}\""));
            }
        }
    }
    None
}

impl Validator<'_> {
    /// Reports `id` unless it is a slug of `first` then `rest` characters; the error is filed
    /// under `context` (the id itself, or the question an option belongs to).
    fn check_id(
        &mut self,
        what: &'static str,
        id: &Spanned<String>,
        context: &str,
        first: fn(char) -> bool,
        rest: fn(char) -> bool,
    ) {
        if !is_slug(id.get_ref(), first, rest) {
            self.push(
                span(id),
                Some(context),
                K::InvalidId {
                    what,
                    id: id.get_ref().clone(),
                },
            );
        }
    }

    fn push(&mut self, at: Range<usize>, id: Option<&str>, kind: K) {
        self.errors.push(FormError {
            file: self.file.to_string(),
            line: Some(line_of(self.src, at.start)),
            id: id.map(str::to_string),
            kind,
        });
    }

    fn text(&mut self, t: &TextDef, id: Option<&str>, field: &str) {
        let at = span(t);
        for lang in self.languages.clone() {
            match t.get_ref().get(&lang) {
                None => self.push(
                    at.clone(),
                    id,
                    K::MissingTranslation {
                        field: field.to_string(),
                        language: lang.clone(),
                    },
                ),
                Some(s) if s.trim().is_empty() => self.push(
                    at.clone(),
                    id,
                    K::EmptyText {
                        field: field.to_string(),
                        language: lang.clone(),
                    },
                ),
                Some(s) if !is_nfc(s) => self.push(
                    at.clone(),
                    id,
                    K::NotNfc {
                        field: field.to_string(),
                        language: lang.clone(),
                    },
                ),
                Some(_) => {}
            }
        }
        for lang in t.get_ref().keys() {
            if !self.languages.contains(lang) {
                self.push(
                    at.clone(),
                    id,
                    K::UndeclaredLanguage {
                        field: field.to_string(),
                        language: lang.clone(),
                    },
                );
            }
        }
    }

    fn non_empty(&mut self, s: &Spanned<String>, field: &'static str) {
        if s.get_ref().trim().is_empty() {
            self.push(span(s), None, K::EmptyValue { field });
        }
    }

    fn header(&mut self, f: &FormFile) {
        if !is_slug(f.key.get_ref(), lower_alpha, key_char) {
            self.push(
                span(&f.key),
                None,
                K::InvalidKey {
                    key: f.key.get_ref().clone(),
                },
            );
        }
        if *f.version.get_ref() == 0 {
            self.push(span(&f.version), None, K::InvalidVersion);
        }
        self.non_empty(&f.edition, "edition");
        self.non_empty(&f.wording_source, "wording_source");

        let mut seen = HashSet::new();
        for lang in f.languages.get_ref() {
            let code = lang.get_ref();
            let valid = (2..=3).contains(&code.len()) && code.chars().all(lower_alpha);
            if !valid {
                self.push(
                    span(lang),
                    None,
                    K::InvalidLanguage {
                        language: code.clone(),
                    },
                );
            } else if !seen.insert(code.clone()) {
                self.push(
                    span(lang),
                    None,
                    K::DuplicateLanguage {
                        language: code.clone(),
                    },
                );
            } else {
                self.languages.push(code.clone());
            }
        }
        if !self.languages.iter().any(|l| l == "vi") {
            self.push(span(&f.languages), None, K::MissingVietnamese);
        }

        self.text(&f.title, None, "title");
        if let Some(t) = &f.intro {
            self.text(t, None, "intro");
        }
        if let Some(t) = &f.closing {
            self.text(t, None, "closing");
        }

        let lb = f.legal_basis.get_ref();
        self.non_empty(&lb.instrument, "legal_basis.instrument");
        if let Some(d) = &lb.date
            && !is_iso_date(d.get_ref())
        {
            self.push(
                span(d),
                None,
                K::InvalidDate {
                    field: "legal_basis.date",
                    value: d.get_ref().clone(),
                },
            );
        }

        let par = f.par.get_ref();
        self.non_empty(&par.edition, "par.edition");
        if let Some(mp) = &par.max_points {
            let x = *mp.get_ref();
            if !(x.is_finite() && x > 0.0) {
                self.push(span(mp), None, K::InvalidMaxPoints);
            }
        }
    }

    fn scales(&mut self, f: &FormFile) {
        let mut seen = HashSet::new();
        for s in &f.scales {
            let sc = s.get_ref();
            let id = sc.id.get_ref().as_str();
            self.check_id("scale", &sc.id, id, lower_alpha, id_char);
            if !seen.insert(id.to_string()) {
                self.push(span(&sc.id), Some(id), K::DuplicateScale);
            }
            if sc.levels.len() < 2 {
                self.push(span(s), Some(id), K::TooFewLevels);
            }
            let mut values: Vec<i64> = Vec::new();
            for l in &sc.levels {
                let lv = l.get_ref();
                let value = *lv.value.get_ref();
                if values.contains(&value) {
                    self.push(span(&lv.value), Some(id), K::DuplicateLevel { value });
                } else if values.last().is_some_and(|last| value < *last) {
                    self.push(span(&lv.value), Some(id), K::LevelsNotAscending { value });
                }
                values.push(value);
                self.text(&lv.label, Some(id), &format!("levels.{value}.label"));
            }
            if sc.satisfied_levels.is_some() && sc.positive_levels.is_some() {
                self.push(span(s), Some(id), K::BothSatisfiedAndPositive);
            }
            for (field, list) in [
                ("satisfied_levels", &sc.satisfied_levels),
                ("positive_levels", &sc.positive_levels),
            ] {
                let Some(list) = list else { continue };
                if list.get_ref().is_empty() {
                    self.push(span(list), Some(id), K::EmptyCountedLevels { field });
                }
                let mut counted = Vec::new();
                for &value in list.get_ref() {
                    if !values.contains(&value) {
                        self.push(
                            span(list),
                            Some(id),
                            K::CountedLevelOutsideScale { field, value },
                        );
                    } else if counted.contains(&value) {
                        self.push(
                            span(list),
                            Some(id),
                            K::DuplicateCountedLevel { field, value },
                        );
                    }
                    counted.push(value);
                }
            }
        }
    }

    fn questions(&mut self, f: &FormFile) -> HashMap<String, QInfo> {
        let scales: HashMap<&str, Vec<i64>> = f
            .scales
            .iter()
            .map(|s| {
                let sc = s.get_ref();
                let levels = sc
                    .levels
                    .iter()
                    .map(|l| *l.get_ref().value.get_ref())
                    .collect();
                (sc.id.get_ref().as_str(), levels)
            })
            .collect();
        let mut infos: HashMap<String, QInfo> = HashMap::new();
        let mut first_line: HashMap<String, usize> = HashMap::new();
        let mut section_ids = HashSet::new();
        let mut position = 0;

        for s in &f.sections {
            let sec = s.get_ref();
            let sid = sec.id.get_ref().as_str();
            self.check_id("section", &sec.id, sid, lower_alpha, id_char);
            if !section_ids.insert(sid.to_string()) {
                self.push(span(&sec.id), Some(sid), K::DuplicateSection);
            }
            self.text(&sec.title, Some(sid), "title");
            if let Some(t) = &sec.text {
                self.text(t, Some(sid), "text");
                if sec.wording_status.is_none() {
                    self.push(span(t), Some(sid), K::MissingWordingStatus);
                }
            }
            if sec.questions.is_empty() {
                self.push(span(s), Some(sid), K::EmptySection);
            }

            for q in &sec.questions {
                let qd = q.get_ref();
                let id = qd.id.get_ref().as_str();
                let kind = *qd.kind.get_ref();
                let kname = kind.as_str();
                self.check_id("question", &qd.id, id, lower_alpha, id_char);
                let here = line_of(self.src, span(&qd.id).start);
                if let Some(&first) = first_line.get(id) {
                    self.push(
                        span(&qd.id),
                        Some(id),
                        K::DuplicateQuestion { first_line: first },
                    );
                } else {
                    first_line.insert(id.to_string(), here);
                }
                self.text(&qd.text, Some(id), "text");
                if let Some(h) = &qd.heading {
                    self.text(h, Some(id), "heading");
                }

                // Which kind-specific fields are present, and which the kind allows.
                let present: [(&'static str, Option<Range<usize>>); 7] = [
                    ("scale", qd.scale.as_ref().map(span)),
                    ("options", qd.options.as_ref().map(span)),
                    ("max_length", qd.max_length.as_ref().map(span)),
                    ("min", qd.min.as_ref().map(span)),
                    ("max", qd.max.as_ref().map(span)),
                    ("integer", qd.integer.as_ref().map(span)),
                    ("prefill", qd.prefill.as_ref().map(span)),
                ];
                let allowed: &[&str] = match kind {
                    QuestionKind::Scale => &["scale"],
                    QuestionKind::SingleChoice | QuestionKind::MultipleChoice => &["options"],
                    QuestionKind::YesNo => &[],
                    QuestionKind::Text => &["max_length", "prefill"],
                    QuestionKind::Number => &["min", "max", "integer"],
                };
                for (field, at) in &present {
                    if let Some(at) = at
                        && !allowed.contains(field)
                    {
                        self.push(
                            at.clone(),
                            Some(id),
                            K::FieldNotAllowed { field, kind: kname },
                        );
                    }
                }
                let mut options = Vec::new();
                match kind {
                    QuestionKind::Scale => match &qd.scale {
                        None => self.push(
                            span(&qd.kind),
                            Some(id),
                            K::MissingField {
                                field: "scale",
                                kind: kname,
                            },
                        ),
                        Some(sc) if !scales.contains_key(sc.get_ref().as_str()) => self.push(
                            span(sc),
                            Some(id),
                            K::UnknownScale {
                                scale: sc.get_ref().clone(),
                            },
                        ),
                        Some(_) => {}
                    },
                    QuestionKind::SingleChoice | QuestionKind::MultipleChoice => {
                        match &qd.options {
                            None => self.push(
                                span(&qd.kind),
                                Some(id),
                                K::MissingField {
                                    field: "options",
                                    kind: kname,
                                },
                            ),
                            Some(opts) => {
                                if opts.get_ref().len() < 2 {
                                    self.push(span(opts), Some(id), K::TooFewOptions);
                                }
                                for o in opts.get_ref() {
                                    let od = o.get_ref();
                                    let oid = od.id.get_ref();
                                    self.check_id("option", &od.id, id, lower_alnum, id_char);
                                    if options.contains(oid) {
                                        self.push(
                                            span(&od.id),
                                            Some(id),
                                            K::DuplicateOption {
                                                option: oid.clone(),
                                            },
                                        );
                                    } else {
                                        options.push(oid.clone());
                                    }
                                    self.text(&od.label, Some(id), &format!("options.{oid}.label"));
                                }
                            }
                        }
                    }
                    QuestionKind::Text => match &qd.max_length {
                        None => self.push(
                            span(&qd.kind),
                            Some(id),
                            K::MissingField {
                                field: "max_length",
                                kind: kname,
                            },
                        ),
                        Some(ml) if *ml.get_ref() == 0 => self.push(
                            span(ml),
                            Some(id),
                            K::InvalidRange {
                                detail: "max_length is 0".into(),
                            },
                        ),
                        Some(_) => {}
                    },
                    QuestionKind::Number => {
                        if let (Some(min), Some(max)) = (&qd.min, &qd.max)
                            && min.get_ref() > max.get_ref()
                        {
                            self.push(
                                span(min),
                                Some(id),
                                K::InvalidRange {
                                    detail: format!(
                                        "min {} > max {}",
                                        min.get_ref(),
                                        max.get_ref()
                                    ),
                                },
                            );
                        }
                    }
                    QuestionKind::YesNo => {}
                }
                if let Some(d) = &qd.visible_until
                    && !is_iso_date(d.get_ref())
                {
                    self.push(
                        span(d),
                        Some(id),
                        K::InvalidDate {
                            field: "visible_until",
                            value: d.get_ref().clone(),
                        },
                    );
                }
                if qd.hidden && qd.required {
                    self.push(span(q), Some(id), K::HiddenRequired);
                }
                if let Some(matched) = personal_data(id, kind, qd.text.get_ref()) {
                    self.push(span(&qd.id), Some(id), K::PersonalData { matched });
                }
                infos.entry(id.to_string()).or_insert(QInfo {
                    kind,
                    scale: qd.scale.as_ref().map(|s| s.get_ref().clone()),
                    options,
                    hidden: qd.hidden,
                    position,
                });
                position += 1;
            }
        }
        infos
    }

    fn conditions(&mut self, f: &FormFile, infos: &HashMap<String, QInfo>) {
        let levels: HashMap<&str, Vec<i64>> = f
            .scales
            .iter()
            .map(|s| {
                let sc = s.get_ref();
                let levels = sc
                    .levels
                    .iter()
                    .map(|l| *l.get_ref().value.get_ref())
                    .collect();
                (sc.id.get_ref().as_str(), levels)
            })
            .collect();
        let mut position = 0;
        for s in &f.sections {
            let sec: &SectionDef = s.get_ref();
            if let Some(c) = &sec.condition {
                self.condition(c, sec.id.get_ref(), position, infos, &levels);
            }
            for q in &sec.questions {
                let qd = q.get_ref();
                if let Some(c) = &qd.condition {
                    self.condition(c, qd.id.get_ref(), position, infos, &levels);
                }
                position += 1;
            }
        }
        if let Some(c) = &f.eligibility {
            self.condition(c, "eligibility", usize::MAX, infos, &levels);
        }
    }

    /// Checks a condition owned by `owner` that may only test questions at positions `< before`.
    fn condition(
        &mut self,
        c: &Spanned<ConditionDef>,
        owner: &str,
        before: usize,
        infos: &HashMap<String, QInfo>,
        levels: &HashMap<&str, Vec<i64>>,
    ) {
        let cd = c.get_ref();
        let at = span(c);
        let shapes = usize::from(cd.question.is_some())
            + usize::from(cd.any.is_some())
            + usize::from(cd.all.is_some());
        if shapes != 1 {
            let problem = if shapes == 0 {
                "give `question`, `any` or `all`"
            } else {
                "give only one of `question`, `any` and `all`"
            };
            self.push(
                at,
                Some(owner),
                K::ConditionShape {
                    problem: problem.into(),
                },
            );
            return;
        }
        for (name, list) in [("any", &cd.any), ("all", &cd.all)] {
            let Some(list) = list else { continue };
            if list.get_ref().is_empty() {
                self.push(
                    span(list),
                    Some(owner),
                    K::ConditionShape {
                        problem: format!("`{name}` is empty"),
                    },
                );
            }
            for sub in list.get_ref() {
                self.condition(sub, owner, before, infos, levels);
            }
        }
        let Some(question) = &cd.question else {
            if cd.values.is_some() || cd.min.is_some() || cd.max.is_some() {
                self.push(
                    at,
                    Some(owner),
                    K::ConditionShape {
                        problem: "`in`, `min` and `max` go with `question`, not with `any`/`all`"
                            .into(),
                    },
                );
            }
            return;
        };
        let qat = span(question);
        let qid = question.get_ref().as_str();
        let range = cd.min.is_some() || cd.max.is_some();
        if cd.values.is_some() == range {
            let problem = if range {
                "use either `in` or `min`/`max`, not both"
            } else {
                "an answer test needs `in` or `min`/`max`"
            };
            self.push(
                at,
                Some(owner),
                K::ConditionShape {
                    problem: problem.into(),
                },
            );
            return;
        }
        let Some(info) = infos.get(qid) else {
            self.push(
                qat,
                Some(owner),
                K::ConditionUnknownQuestion {
                    question: qid.to_string(),
                },
            );
            return;
        };
        if info.position >= before {
            self.push(
                qat,
                Some(owner),
                K::ConditionForwardReference {
                    question: qid.to_string(),
                },
            );
            return;
        }
        if info.hidden {
            self.push(
                qat,
                Some(owner),
                K::ConditionHiddenQuestion {
                    question: qid.to_string(),
                },
            );
            return;
        }
        let unsupported = K::ConditionUnsupportedKind {
            question: qid.to_string(),
            kind: info.kind.as_str(),
        };
        if range {
            if !matches!(info.kind, QuestionKind::Scale | QuestionKind::Number) {
                self.push(qat, Some(owner), unsupported);
            } else if let (Some(min), Some(max)) = (&cd.min, &cd.max)
                && min.get_ref() > max.get_ref()
            {
                self.push(
                    span(min),
                    Some(owner),
                    K::InvalidRange {
                        detail: format!("condition min {} > max {}", min.get_ref(), max.get_ref()),
                    },
                );
            }
            return;
        }
        let Some(values) = &cd.values else { return };
        if matches!(info.kind, QuestionKind::Text | QuestionKind::Number) {
            self.push(qat, Some(owner), unsupported);
            return;
        }
        if values.get_ref().is_empty() {
            self.push(
                span(values),
                Some(owner),
                K::ConditionShape {
                    problem: "`in` is empty".into(),
                },
            );
        }
        let scale_levels = info
            .scale
            .as_deref()
            .and_then(|s| levels.get(s))
            .cloned()
            .unwrap_or_default();
        for v in values.get_ref() {
            let shown = match v {
                ConditionValueDef::Bool(b) => b.to_string(),
                ConditionValueDef::Int(n) => n.to_string(),
                ConditionValueDef::Str(s) => format!("\"{s}\""),
            };
            let (type_ok, known) = match (info.kind, v) {
                (QuestionKind::Scale, ConditionValueDef::Int(n)) => {
                    (true, scale_levels.contains(n))
                }
                (
                    QuestionKind::SingleChoice | QuestionKind::MultipleChoice,
                    ConditionValueDef::Str(s),
                ) => (true, info.options.contains(s)),
                (QuestionKind::YesNo, ConditionValueDef::Bool(_)) => (true, true),
                _ => (false, false),
            };
            let kind = if !type_ok {
                K::ConditionValueType {
                    question: qid.to_string(),
                    value: shown,
                }
            } else if !known {
                K::ConditionUnknownValue {
                    question: qid.to_string(),
                    value: shown,
                }
            } else {
                continue;
            };
            self.push(span(values), Some(owner), kind);
        }
    }

    fn index(&mut self, f: &FormFile, infos: &HashMap<String, QInfo>) {
        let idx = f.index.get_ref();
        let scale_is_sat: HashMap<&str, bool> = f
            .scales
            .iter()
            .map(|s| {
                let sc = s.get_ref();
                let sat = sc
                    .satisfied_levels
                    .as_ref()
                    .is_some_and(|l| !l.get_ref().is_empty());
                (sc.id.get_ref().as_str(), sat)
            })
            .collect();

        // Node ids → position of their first definition.
        let mut ids: HashMap<&str, usize> = HashMap::new();
        for (i, n) in idx.nodes.iter().enumerate() {
            let nd = n.get_ref();
            let id = nd.id.get_ref().as_str();
            self.check_id("node", &nd.id, id, lower_alpha, node_char);
            if ids.contains_key(id) {
                self.push(span(&nd.id), Some(id), K::DuplicateNode);
            } else {
                ids.insert(id, i);
            }
        }

        let root = idx.root.get_ref().as_str();
        if !ids.contains_key(root) {
            self.push(
                span(&idx.root),
                Some(root),
                K::UnknownRoot {
                    root: root.to_string(),
                },
            );
        }

        let mut parent: HashMap<&str, &str> = HashMap::new();
        let mut item_node: HashMap<&str, &str> = HashMap::new();
        let mut edges: Vec<Vec<usize>> = vec![Vec::new(); idx.nodes.len()];
        for (i, n) in idx.nodes.iter().enumerate() {
            let nd = n.get_ref();
            let id = nd.id.get_ref().as_str();
            self.text(&nd.label, Some(id), "label");
            let no_children = nd.children.as_ref().is_none_or(|c| c.get_ref().is_empty());
            let no_items = nd.items.as_ref().is_none_or(|c| c.get_ref().is_empty());
            if no_children && no_items {
                self.push(span(n), Some(id), K::EmptyNode);
            }
            // Duplicated node definitions are reported above; their edges would only add noise.
            if ids.get(id) != Some(&i) {
                continue;
            }
            for child in nd.children.iter().flat_map(|c| c.get_ref()) {
                let cid = child.get_ref().as_str();
                let Some(&ci) = ids.get(cid) else {
                    self.push(
                        span(child),
                        Some(id),
                        K::UnknownNode {
                            child: cid.to_string(),
                        },
                    );
                    continue;
                };
                if let Some(first) = parent.get(cid) {
                    self.push(
                        span(child),
                        Some(cid),
                        K::NodeInTwoParents {
                            first_parent: first.to_string(),
                        },
                    );
                    continue;
                }
                parent.insert(cid, id);
                if let Some(e) = edges.get_mut(i) {
                    e.push(ci);
                }
            }
            for item in nd.items.iter().flat_map(|c| c.get_ref()) {
                let iid = item.get_ref().as_str();
                let at = span(item);
                let Some(info) = infos.get(iid) else {
                    self.push(
                        at,
                        Some(id),
                        K::UnknownItem {
                            item: iid.to_string(),
                        },
                    );
                    continue;
                };
                if info.kind != QuestionKind::Scale {
                    self.push(
                        at.clone(),
                        Some(id),
                        K::ItemNotScale {
                            item: iid.to_string(),
                        },
                    );
                } else if let Some(sc) = &info.scale
                    && scale_is_sat.get(sc.as_str()) == Some(&false)
                {
                    self.push(
                        at.clone(),
                        Some(id),
                        K::ItemNotSatisfaction {
                            item: iid.to_string(),
                            scale: sc.clone(),
                        },
                    );
                }
                if info.hidden {
                    self.push(
                        at.clone(),
                        Some(id),
                        K::HiddenItem {
                            item: iid.to_string(),
                        },
                    );
                }
                if let Some(first) = item_node.get(iid) {
                    self.push(
                        at,
                        Some(id),
                        K::ItemInTwoNodes {
                            item: iid.to_string(),
                            first_node: first.to_string(),
                        },
                    );
                } else {
                    item_node.insert(iid, id);
                }
            }
        }

        // Cycles: iterative depth-first search (no recursion, whatever the file holds).
        let n = idx.nodes.len();
        let mut state = vec![0u8; n]; // 0 new, 1 on stack, 2 done
        let mut on_cycle = vec![false; n];
        for start in 0..n {
            if state.get(start) != Some(&0) {
                continue;
            }
            let mut stack: Vec<(usize, usize)> = vec![(start, 0)];
            if let Some(s) = state.get_mut(start) {
                *s = 1;
            }
            while let Some(&mut (node, ref mut next)) = stack.last_mut() {
                let child = edges.get(node).and_then(|e| e.get(*next)).copied();
                *next += 1;
                match child {
                    None => {
                        if let Some(s) = state.get_mut(node) {
                            *s = 2;
                        }
                        stack.pop();
                    }
                    Some(c) if state.get(c) == Some(&1) => {
                        let from = stack.iter().position(|(x, _)| *x == c).unwrap_or(0);
                        let mut path: Vec<&str> = stack
                            .get(from..)
                            .unwrap_or_default()
                            .iter()
                            .filter_map(|(x, _)| {
                                idx.nodes
                                    .get(*x)
                                    .map(|nd| nd.get_ref().id.get_ref().as_str())
                            })
                            .collect();
                        for (x, _) in stack.get(from..).unwrap_or_default() {
                            if let Some(flag) = on_cycle.get_mut(*x) {
                                *flag = true;
                            }
                        }
                        let closing = idx
                            .nodes
                            .get(c)
                            .map(|nd| nd.get_ref().id.get_ref().as_str());
                        path.extend(closing);
                        let at_node = idx.nodes.get(node).map(|nd| {
                            let child_span = nd
                                .get_ref()
                                .children
                                .as_ref()
                                .map_or_else(|| span(nd), span);
                            (nd.get_ref().id.get_ref().as_str(), child_span)
                        });
                        if let Some((nid, at)) = at_node {
                            self.push(
                                at,
                                Some(nid),
                                K::Cycle {
                                    path: path.join(" → "),
                                },
                            );
                        }
                    }
                    Some(c) if state.get(c) == Some(&0) => {
                        if let Some(s) = state.get_mut(c) {
                            *s = 1;
                        }
                        stack.push((c, 0));
                    }
                    Some(_) => {}
                }
            }
        }

        // Reachability and depth from the root (breadth first).
        if let Some(&r) = ids.get(root) {
            let mut depth = vec![0usize; n];
            let mut seen = vec![false; n];
            let mut queue = std::collections::VecDeque::from([r]);
            if let Some(s) = seen.get_mut(r) {
                *s = true;
            }
            if let Some(d) = depth.get_mut(r) {
                *d = 1;
            }
            let mut too_deep = false;
            while let Some(x) = queue.pop_front() {
                let dx = depth.get(x).copied().unwrap_or(0);
                if dx > MAX_INDEX_DEPTH && !too_deep {
                    too_deep = true;
                    self.push(
                        span(&idx.root),
                        Some(root),
                        K::IndexTooDeep {
                            max: MAX_INDEX_DEPTH,
                        },
                    );
                }
                for &c in edges.get(x).map(Vec::as_slice).unwrap_or_default() {
                    if seen.get(c) == Some(&false) {
                        if let Some(s) = seen.get_mut(c) {
                            *s = true;
                        }
                        if let Some(d) = depth.get_mut(c) {
                            *d = dx + 1;
                        }
                        queue.push_back(c);
                    }
                }
            }
            for (i, nd) in idx.nodes.iter().enumerate() {
                let first_def = ids.get(nd.get_ref().id.get_ref().as_str()) == Some(&i);
                if first_def && seen.get(i) == Some(&false) && on_cycle.get(i) == Some(&false) {
                    let id = nd.get_ref().id.get_ref().as_str();
                    self.push(span(&nd.get_ref().id), Some(id), K::UnreachableNode);
                }
            }
        }
    }
}

fn text(t: &TextDef) -> Text {
    Text(t.get_ref().clone())
}

fn condition(c: &ConditionDef) -> Condition {
    if let Some(any) = &c.any {
        return Condition::Any {
            any: any
                .get_ref()
                .iter()
                .map(|s| condition(s.get_ref()))
                .collect(),
        };
    }
    if let Some(all) = &c.all {
        return Condition::All {
            all: all
                .get_ref()
                .iter()
                .map(|s| condition(s.get_ref()))
                .collect(),
        };
    }
    let question = c
        .question
        .as_ref()
        .map(|q| q.get_ref().clone())
        .unwrap_or_default();
    match &c.values {
        Some(values) => Condition::In {
            question,
            values: values
                .get_ref()
                .iter()
                .map(|v| match v {
                    ConditionValueDef::Bool(b) => ConditionValue::Bool(*b),
                    ConditionValueDef::Int(n) => ConditionValue::Int(*n),
                    ConditionValueDef::Str(s) => ConditionValue::Str(s.clone()),
                })
                .collect(),
        },
        None => Condition::Range {
            question,
            min: c.min.as_ref().map(|m| *m.get_ref()),
            max: c.max.as_ref().map(|m| *m.get_ref()),
        },
    }
}

fn both(a: Option<Condition>, b: Option<Condition>) -> Option<Condition> {
    match (a, b) {
        (Some(a), Some(b)) => Some(Condition::All { all: vec![a, b] }),
        (a, b) => a.or(b),
    }
}

fn build_node(f: &FormFile, id: &str, depth: usize) -> IndexNode {
    let nodes = &f.index.get_ref().nodes;
    let Some(nd) = nodes.iter().find(|n| n.get_ref().id.get_ref() == id) else {
        return IndexNode {
            id: id.to_string(),
            label: Text(BTreeMap::new()),
            children: Vec::new(),
            items: Vec::new(),
        };
    };
    let nd = nd.get_ref();
    let children = if depth >= MAX_INDEX_DEPTH {
        Vec::new()
    } else {
        nd.children
            .iter()
            .flat_map(|c| c.get_ref())
            .map(|c| build_node(f, c.get_ref(), depth + 1))
            .collect()
    };
    IndexNode {
        id: id.to_string(),
        label: text(&nd.label),
        children,
        items: nd
            .items
            .iter()
            .flat_map(|c| c.get_ref())
            .map(|i| i.get_ref().clone())
            .collect(),
    }
}

/// Builds the model from a file that passed every rule.
fn build(f: &FormFile, checksum: String) -> FormDefinition {
    let scales = f
        .scales
        .iter()
        .map(|s| {
            let sc = s.get_ref();
            Scale {
                id: sc.id.get_ref().clone(),
                levels: sc
                    .levels
                    .iter()
                    .map(|l| Level {
                        value: *l.get_ref().value.get_ref(),
                        label: text(&l.get_ref().label),
                    })
                    .collect(),
                satisfied: sc
                    .satisfied_levels
                    .as_ref()
                    .map(|l| l.get_ref().clone())
                    .unwrap_or_default(),
                positive: sc.positive_levels.as_ref().map(|l| l.get_ref().clone()),
                display_order: sc.display_order,
            }
        })
        .collect();

    let mut positions = HashMap::new();
    let sections = f
        .sections
        .iter()
        .enumerate()
        .map(|(si, s)| {
            let sec = s.get_ref();
            let sec_cond = sec.condition.as_ref().map(|c| condition(c.get_ref()));
            let questions = sec
                .questions
                .iter()
                .enumerate()
                .map(|(qi, q)| {
                    let qd = q.get_ref();
                    positions.insert(
                        qd.id.get_ref().clone(),
                        QuestionPos {
                            section: si,
                            question: qi,
                        },
                    );
                    let own = qd.condition.as_ref().map(|c| condition(c.get_ref()));
                    Question {
                        id: qd.id.get_ref().clone(),
                        kind: *qd.kind.get_ref(),
                        text: text(&qd.text),
                        heading: qd.heading.as_ref().map(text),
                        scale: qd.scale.as_ref().map(|s| s.get_ref().clone()),
                        options: qd
                            .options
                            .iter()
                            .flat_map(|o| o.get_ref())
                            .map(|o| ChoiceOption {
                                id: o.get_ref().id.get_ref().clone(),
                                label: text(&o.get_ref().label),
                            })
                            .collect(),
                        required: qd.required,
                        max_length: qd.max_length.as_ref().map(|m| *m.get_ref()),
                        min: qd.min.as_ref().map(|m| *m.get_ref()),
                        max: qd.max.as_ref().map(|m| *m.get_ref()),
                        integer: (*qd.kind.get_ref() == QuestionKind::Number)
                            .then(|| qd.integer.as_ref().is_some_and(|i| *i.get_ref())),
                        prefill: qd.prefill.as_ref().map(|p| *p.get_ref()),
                        condition: both(sec_cond.clone(), own),
                        visible_until: qd.visible_until.as_ref().map(|d| d.get_ref().clone()),
                        wording_status: qd.wording_status,
                        hidden: qd.hidden,
                        section: sec.id.get_ref().clone(),
                    }
                })
                .collect();
            Section {
                id: sec.id.get_ref().clone(),
                title: text(&sec.title),
                text: sec.text.as_ref().map(text),
                wording_status: sec.wording_status,
                condition: sec_cond,
                questions,
            }
        })
        .collect();

    let lb = f.legal_basis.get_ref();
    let par = f.par.get_ref();
    FormDefinition {
        key: f.key.get_ref().clone(),
        version: *f.version.get_ref(),
        edition: f.edition.get_ref().clone(),
        status: if f.retired {
            FormStatus::Retired
        } else {
            FormStatus::Published
        },
        languages: f
            .languages
            .get_ref()
            .iter()
            .map(|l| l.get_ref().clone())
            .collect(),
        title: text(&f.title),
        intro: f.intro.as_ref().map(text),
        closing: f.closing.as_ref().map(text),
        legal_basis: LegalBasis {
            instrument: lb.instrument.get_ref().clone(),
            date: lb.date.as_ref().map(|d| d.get_ref().clone()),
            url: lb.url.clone(),
            note: lb.note.clone(),
        },
        wording_source: f.wording_source.get_ref().clone(),
        scales,
        sections,
        index: build_node(f, f.index.get_ref().root.get_ref(), 1),
        par: Par {
            edition: par.edition.get_ref().clone(),
            max_points: par.max_points.as_ref().map(|m| *m.get_ref()),
        },
        par_eligible: f.par_eligible,
        eligibility: f.eligibility.as_ref().map(|c| condition(c.get_ref())),
        checksum,
        positions,
    }
}
