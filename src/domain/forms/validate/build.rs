//! The conversion of a checked [`FormFile`] into a [`FormDefinition`]: spans dropped, each
//! question given its effective condition (its section's and its own) and its position.

use std::collections::{BTreeMap, HashMap};

use super::super::definition::{
    ConditionDef, ConditionValueDef, FormFile, QuestionDef, QuestionKind, ScaleDef, SectionDef,
    TextDef,
};
use super::super::model::{
    ChoiceOption, Condition, ConditionValue, FormDefinition, FormStatus, IndexNode, LegalBasis,
    Level, Par, Question, QuestionPos, Scale, Section, Text,
};
use super::MAX_INDEX_DEPTH;

/// Builds the model from a file that passed every rule.
pub(super) fn build(f: &FormFile, checksum: String) -> FormDefinition {
    let mut positions = HashMap::new();
    let sections = f
        .sections
        .iter()
        .enumerate()
        .map(|(si, s)| section(si, s.get_ref(), &mut positions))
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
        scales: f.scales.iter().map(|s| scale(s.get_ref())).collect(),
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

/// A text object without its span.
fn text(t: &TextDef) -> Text {
    Text(t.get_ref().clone())
}

/// A scale of the model.
fn scale(sc: &ScaleDef) -> Scale {
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
}

/// The `si`-th section, recording where each of its questions sits in `positions`.
fn section(si: usize, sec: &SectionDef, positions: &mut HashMap<String, QuestionPos>) -> Section {
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
            question(qd, sec, sec_cond.clone())
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
}

/// A question of section `sec`, gated by `sec_cond` (the section's condition) and its own.
fn question(qd: &QuestionDef, sec: &SectionDef, sec_cond: Option<Condition>) -> Question {
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
        condition: both(sec_cond, own),
        visible_until: qd.visible_until.as_ref().map(|d| d.get_ref().clone()),
        wording_status: qd.wording_status,
        hidden: qd.hidden,
        section: sec.id.get_ref().clone(),
    }
}

/// A condition of the model.
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

/// Both conditions (`all`), or whichever there is.
fn both(a: Option<Condition>, b: Option<Condition>) -> Option<Condition> {
    match (a, b) {
        (Some(a), Some(b)) => Some(Condition::All { all: vec![a, b] }),
        (a, b) => a.or(b),
    }
}

/// The index node `id` and its subtree, cut at [`MAX_INDEX_DEPTH`].
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
