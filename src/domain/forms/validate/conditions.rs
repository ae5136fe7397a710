//! The rules of conditions (section and question gates, the eligibility test): exactly one
//! shape, known and *earlier* questions only, known option ids and levels, values of the right
//! type, kinds that can gate.

use std::collections::HashMap;
use std::ops::Range;

use toml::Spanned;

use super::super::definition::{ConditionDef, ConditionValueDef, FormFile, QuestionKind};
use super::super::error::FormErrorKind as K;
use super::{QInfo, Validator, scale_levels, span};

/// What a condition is checked against: who owns it, and the questions it may test.
struct Gate<'a> {
    /// The section or question id errors are filed under (or `eligibility`).
    owner: &'a str,
    /// Only questions at positions below this one may be tested.
    before: usize,
    infos: &'a HashMap<String, QInfo>,
    /// Level values by scale id.
    levels: &'a HashMap<&'a str, Vec<i64>>,
}

impl Validator<'_> {
    /// Checks every condition of the file: a section's may test questions before the section,
    /// a question's those before the question, the eligibility test any question.
    pub(super) fn conditions(&mut self, f: &FormFile, infos: &HashMap<String, QInfo>) {
        let levels = scale_levels(f);
        let gate = |owner, before| Gate {
            owner,
            before,
            infos,
            levels: &levels,
        };
        let mut position = 0;
        for s in &f.sections {
            let sec = s.get_ref();
            if let Some(c) = &sec.condition {
                self.condition(c, &gate(sec.id.get_ref(), position));
            }
            for q in &sec.questions {
                let qd = q.get_ref();
                if let Some(c) = &qd.condition {
                    self.condition(c, &gate(qd.id.get_ref(), position));
                }
                position += 1;
            }
        }
        if let Some(c) = &f.eligibility {
            self.condition(c, &gate("eligibility", usize::MAX));
        }
    }

    /// Checks a condition and, for `any`/`all`, each sub-condition.
    fn condition(&mut self, c: &Spanned<ConditionDef>, gate: &Gate<'_>) {
        let cd = c.get_ref();
        let at = span(c);
        if !self.one_shape(cd, at.clone(), gate.owner) {
            return;
        }
        for (name, list) in [("any", &cd.any), ("all", &cd.all)] {
            let Some(list) = list else { continue };
            if list.get_ref().is_empty() {
                self.push(
                    span(list),
                    Some(gate.owner),
                    K::ConditionShape {
                        problem: format!("`{name}` is empty"),
                    },
                );
            }
            for sub in list.get_ref() {
                self.condition(sub, gate);
            }
        }
        let Some(question) = &cd.question else {
            if cd.values.is_some() || cd.min.is_some() || cd.max.is_some() {
                let problem = "`in`, `min` and `max` go with `question`, not with `any`/`all`";
                self.shape_error(at, gate.owner, problem);
            }
            return;
        };
        self.answer_test(cd, question, at, gate);
    }

    /// Whether the condition has exactly one of `question`, `any` and `all`; reports it if not.
    fn one_shape(&mut self, cd: &ConditionDef, at: Range<usize>, owner: &str) -> bool {
        let shapes = usize::from(cd.question.is_some())
            + usize::from(cd.any.is_some())
            + usize::from(cd.all.is_some());
        match shapes {
            1 => return true,
            0 => self.shape_error(at, owner, "give `question`, `any` or `all`"),
            _ => self.shape_error(at, owner, "give only one of `question`, `any` and `all`"),
        }
        false
    }

    /// Reports a condition of the wrong shape.
    fn shape_error(&mut self, at: Range<usize>, owner: &str, problem: &str) {
        let problem = problem.into();
        self.push(at, Some(owner), K::ConditionShape { problem });
    }

    /// Checks an answer test (`question` with `in`, or with `min`/`max`).
    fn answer_test(
        &mut self,
        cd: &ConditionDef,
        question: &Spanned<String>,
        at: Range<usize>,
        gate: &Gate<'_>,
    ) {
        let qat = span(question);
        let qid = question.get_ref().as_str();
        let range = cd.min.is_some() || cd.max.is_some();
        if cd.values.is_some() == range {
            let problem = if range {
                "use either `in` or `min`/`max`, not both"
            } else {
                "an answer test needs `in` or `min`/`max`"
            };
            self.shape_error(at, gate.owner, problem);
            return;
        }
        let Some(info) = self.target(qid, qat.clone(), gate) else {
            return;
        };
        if range {
            self.range_test(cd, qid, qat, info, gate.owner);
        } else if let Some(values) = &cd.values {
            self.values_test(values, qid, qat, info, gate);
        }
    }

    /// The tested question, if it exists, comes before the owner and is shown; reports it if not.
    fn target<'g>(&mut self, qid: &str, qat: Range<usize>, gate: &Gate<'g>) -> Option<&'g QInfo> {
        let question = qid.to_string();
        let kind = match gate.infos.get(qid) {
            None => K::ConditionUnknownQuestion { question },
            Some(info) if info.position >= gate.before => K::ConditionForwardReference { question },
            Some(info) if info.hidden => K::ConditionHiddenQuestion { question },
            Some(info) => return Some(info),
        };
        self.push(qat, Some(gate.owner), kind);
        None
    }

    /// Checks a `min`/`max` test: on a scale or number question, `min` ≤ `max`.
    fn range_test(
        &mut self,
        cd: &ConditionDef,
        qid: &str,
        qat: Range<usize>,
        info: &QInfo,
        owner: &str,
    ) {
        if !matches!(info.kind, QuestionKind::Scale | QuestionKind::Number) {
            self.push(qat, Some(owner), unsupported(qid, info));
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
    }

    /// Checks an `in` test: on a scale, choice or yes_no question, not empty, each value of the
    /// question's type and one it defines.
    fn values_test(
        &mut self,
        values: &Spanned<Vec<ConditionValueDef>>,
        qid: &str,
        qat: Range<usize>,
        info: &QInfo,
        gate: &Gate<'_>,
    ) {
        if matches!(info.kind, QuestionKind::Text | QuestionKind::Number) {
            self.push(qat, Some(gate.owner), unsupported(qid, info));
            return;
        }
        if values.get_ref().is_empty() {
            self.shape_error(span(values), gate.owner, "`in` is empty");
        }
        let scale_levels = info
            .scale
            .as_deref()
            .and_then(|s| gate.levels.get(s))
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
            let question = qid.to_string();
            let kind = if !type_ok {
                K::ConditionValueType {
                    question,
                    value: shown,
                }
            } else if !known {
                K::ConditionUnknownValue {
                    question,
                    value: shown,
                }
            } else {
                continue;
            };
            self.push(span(values), Some(gate.owner), kind);
        }
    }
}

/// The error of a test the question's kind cannot take.
fn unsupported(qid: &str, info: &QInfo) -> K {
    K::ConditionUnsupportedKind {
        question: qid.to_string(),
        kind: info.kind.as_str(),
    }
}
