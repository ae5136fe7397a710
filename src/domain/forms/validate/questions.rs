//! The rules of sections and questions: unique ids (questions unique across the whole form),
//! fields that fit the kind, known scales, at least two options with unique ids, sane ranges,
//! hidden ≠ required, no question asking for personal data.

use std::collections::{HashMap, HashSet};
use std::ops::Range;

use toml::Spanned;

use super::super::definition::{FormFile, QuestionDef, QuestionKind, SectionDef};
use super::super::error::FormErrorKind as K;
use super::personal_data::personal_data;
use super::syntax::{id_char, is_iso_date, lower_alnum, lower_alpha};
use super::{QInfo, Validator, line_of, scale_levels, span};

impl Validator<'_> {
    /// Checks every section and question; returns what the later passes need to know about each
    /// question (its first definition, when an id is repeated).
    pub(super) fn questions(&mut self, f: &FormFile) -> HashMap<String, QInfo> {
        let scales = scale_levels(f);
        let mut infos: HashMap<String, QInfo> = HashMap::new();
        let mut first_line: HashMap<String, usize> = HashMap::new();
        let mut section_ids = HashSet::new();
        let mut position = 0;
        for s in &f.sections {
            self.section(s, &mut section_ids);
            for q in &s.get_ref().questions {
                let info = self.question(q, &scales, &mut first_line, position);
                infos
                    .entry(q.get_ref().id.get_ref().clone())
                    .or_insert(info);
                position += 1;
            }
        }
        infos
    }

    /// Checks a section's own fields: id (unique among `seen`), title, stem, not empty.
    fn section(&mut self, s: &Spanned<SectionDef>, seen: &mut HashSet<String>) {
        let sec = s.get_ref();
        let sid = sec.id.get_ref().as_str();
        self.check_id("section", &sec.id, sid, lower_alpha, id_char);
        if !seen.insert(sid.to_string()) {
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
    }

    /// Checks one question, the `position`-th of the form; `first_line` holds the line of each
    /// question id seen so far.
    fn question(
        &mut self,
        q: &Spanned<QuestionDef>,
        scales: &HashMap<&str, Vec<i64>>,
        first_line: &mut HashMap<String, usize>,
        position: usize,
    ) -> QInfo {
        let qd = q.get_ref();
        let id = qd.id.get_ref().as_str();
        let kind = *qd.kind.get_ref();
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
        self.fields_not_allowed(qd, id);
        let options = self.kind_fields(qd, id, scales);
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
        QInfo {
            kind,
            scale: qd.scale.as_ref().map(|s| s.get_ref().clone()),
            options,
            hidden: qd.hidden,
            position,
        }
    }

    /// Reports each kind-specific field present on a question of a kind that does not take it.
    fn fields_not_allowed(&mut self, qd: &QuestionDef, id: &str) {
        let kind = *qd.kind.get_ref();
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
                    K::FieldNotAllowed {
                        field,
                        kind: kind.as_str(),
                    },
                );
            }
        }
    }

    /// Checks the fields the question's kind needs (a known scale, options, a maximum length, a
    /// range); returns the option ids of a choice question.
    fn kind_fields(
        &mut self,
        qd: &QuestionDef,
        id: &str,
        scales: &HashMap<&str, Vec<i64>>,
    ) -> Vec<String> {
        let kind = *qd.kind.get_ref();
        let missing = |field| K::MissingField {
            field,
            kind: kind.as_str(),
        };
        match kind {
            QuestionKind::Scale => match &qd.scale {
                None => self.push(span(&qd.kind), Some(id), missing("scale")),
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
                return self.options(qd, id);
            }
            QuestionKind::Text => match &qd.max_length {
                None => self.push(span(&qd.kind), Some(id), missing("max_length")),
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
                            detail: format!("min {} > max {}", min.get_ref(), max.get_ref()),
                        },
                    );
                }
            }
            QuestionKind::YesNo => {}
        }
        Vec::new()
    }

    /// Checks the options of choice question `id` (at least two, unique valid ids, labels);
    /// returns their ids, each once.
    fn options(&mut self, qd: &QuestionDef, id: &str) -> Vec<String> {
        let mut options = Vec::new();
        let Some(opts) = &qd.options else {
            let kind = qd.kind.get_ref().as_str();
            let missing = K::MissingField {
                field: "options",
                kind,
            };
            self.push(span(&qd.kind), Some(id), missing);
            return options;
        };
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
        options
    }
}
