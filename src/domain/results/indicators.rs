//! The perception and needs indicators (methodology §3.3) of a result: per indicator question,
//! the share of its respondents choosing each option or level (and, for a grid row, the share in
//! the positive levels), each with a Wilson interval on the counts, the number of respondents
//! `n`, and the index's suppression rules: below `results.suppress_below` respondents nothing
//! but `n` is published; a share is of low reliability under the index's thresholds.
//!
//! Computed from the option counts the roll-ups keep (`domain::aggregates::OptionCounts`),
//! pooled over every bucket of the result — one agency's, or a subtree's (all its agencies'
//! respondents together, whatever `aggregate=` says of the index).

use serde::Serialize;
use utoipa::ToSchema;

use super::nest::{Nest, Piece};
use super::view::{IntervalView, NumberStatus, Suppression, pct};
use super::{Options, Strata};
use crate::domain::aggregates::{Answer, ChoiceKind, ChoiceQuestion, OptionCounts, ScoreShape};
use crate::domain::forms::FormDefinition;
use crate::stats::{Reliability, wilson};

/// One share of an indicator: of an option, a level, or the positive levels.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct ShareView {
    /// Respondents choosing it; null when suppressed.
    pub count: Option<u64>,
    /// Percent of the question's respondents; null when suppressed or without respondents.
    pub share: Option<f64>,
    /// Wilson interval on the counts.
    pub ci: Option<IntervalView>,
    pub status: NumberStatus,
}

/// One option or level of an indicator question.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct OptionView {
    /// The stored answer as text: an option id, a level (`"4"`) or `"true"`/`"false"`.
    pub value: String,
    /// Left out in a trend's steps.
    #[serde(skip_serializing_if = "String::is_empty")]
    pub label: String,
    #[serde(flatten)]
    pub share: ShareView,
}

/// The positive share of a grid row (its scale's `positive_levels`, or the satisfied levels).
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct PositiveView {
    /// The levels counted.
    pub levels: Vec<String>,
    #[serde(flatten)]
    pub share: ShareView,
}

/// One indicator question (`indicators[]` of a result).
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct IndicatorView {
    pub question_id: String,
    /// `single_choice`, `multiple_choice`, `yes_no` or `grid`.
    pub kind: ChoiceKind,
    /// The question's text; left out in a trend's steps (the result has it).
    #[serde(skip_serializing_if = "String::is_empty")]
    pub label: String,
    /// Respondents who answered (for a multiple choice: who chose at least one option).
    pub n: u64,
    /// `suppressed` below `results.suppress_below` respondents, `low_reliability` below
    /// `results.low_reliability_below`, else `ok`.
    pub status: NumberStatus,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub suppression: Option<Suppression>,
    pub options: Vec<OptionView>,
    /// Grid rows with positive levels only.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub positive: Option<PositiveView>,
}

/// Each member agency's answers in `strata`, summed over its cells, in agency order.
pub(crate) fn member_options(strata: &Strata) -> Vec<OptionCounts> {
    (strata.agencies().into_iter())
        .map(|a| {
            let mut sum = OptionCounts::default();
            for cell in strata.of_agency(a).cells.values() {
                // Cells of one shape by construction.
                let _ = sum.merge(&cell.counts.options);
            }
            sum
        })
        .collect()
}

/// Whether a subtree's pooled question `q` would give back what its `members`' own results
/// hide, once what they and the subtrees inside it (`nest`) publish is subtracted: the same
/// rule as the index's (`suppression::over_members`). A member's question is hidden when fewer
/// than `suppress_below` answered it.
fn gives_back((members, nest): (&[OptionCounts], &Nest), q: usize, suppress_below: u64) -> bool {
    let pieces: Vec<Piece> = (members.iter())
        .map(|m| Piece {
            hidden: m.answered(q) < suppress_below,
            basis: m.answered(q),
        })
        .collect();
    nest.gives_back(&pieces, suppress_below)
}

/// The indicators of `counts` (pooled answers of a result), in form order, checked against the
/// `members`' own (a subtree's; none for one agency); with the labels of the questions and
/// answers unless `unlabelled` (a trend's steps).
pub(crate) fn indicators(
    form: &FormDefinition,
    shape: &ScoreShape,
    (counts, members): (&OptionCounts, (&[OptionCounts], &Nest)),
    (options, unlabelled): (&Options, bool),
) -> Vec<IndicatorView> {
    let below = options.thresholds.suppress_below;
    (shape.choices().iter().enumerate())
        .map(|(q, question)| {
            let answers = (counts.answered(q), counts.counts(q));
            let mut view = indicator(form, question, answers, options);
            if view.status != NumberStatus::Suppressed && gives_back(members, q, below) {
                hide(&mut view);
            }
            if unlabelled {
                view.label.clear();
                view.options.iter_mut().for_each(|o| o.label.clear());
            }
            view
        })
        .collect()
}

/// One question's indicator from its respondents `n` and answer counts.
fn indicator(
    form: &FormDefinition,
    question: &ChoiceQuestion,
    (n, counts): (u64, &[u64]),
    options: &Options,
) -> IndicatorView {
    let t = &options.thresholds;
    let shown = n >= t.suppress_below;
    let share = |x: u64| share_view(x, n, shown, options);
    let count = |i: usize| counts.get(i).copied().unwrap_or(0);
    let status = match t.classify(n, None) {
        // Without an interval `classify` flags everything; the question's status is its n's.
        Reliability::Suppressed => NumberStatus::Suppressed,
        _ if n < t.low_reliability_below => NumberStatus::LowReliability,
        _ => NumberStatus::Ok,
    };
    let positive = (!question.positive.is_empty()).then(|| PositiveView {
        levels: (question.positive.iter())
            .filter_map(|&i| question.answers.get(i).map(Answer::key))
            .collect(),
        share: share(question.positive.iter().map(|&i| count(i)).sum()),
    });
    IndicatorView {
        question_id: question.id.clone(),
        kind: question.kind,
        label: (form.question(&question.id))
            .map(|q| q.text().localized(&options.lang).to_owned())
            .unwrap_or_default(),
        n,
        status,
        suppression: (!shown).then_some(Suppression::SmallN),
        options: (question.answers.iter().enumerate())
            .map(|(i, answer)| OptionView {
                value: answer.key(),
                label: answer_label(form, question, answer, &options.lang),
                share: share(count(i)),
            })
            .collect(),
        positive,
    }
}

/// Suppresses a published question as a complement: its `n` stays.
fn hide(view: &mut IndicatorView) {
    view.status = NumberStatus::Suppressed;
    view.suppression = Some(Suppression::Complementary);
    let shares = (view.options.iter_mut().map(|o| &mut o.share))
        .chain(view.positive.iter_mut().map(|p| &mut p.share));
    for s in shares {
        *s = ShareView {
            count: None,
            share: None,
            ci: None,
            status: NumberStatus::Suppressed,
        };
    }
}

/// `x` of `n` respondents, with its Wilson interval, unless suppressed.
fn share_view(x: u64, n: u64, shown: bool, options: &Options) -> ShareView {
    if !shown {
        return ShareView {
            count: None,
            share: None,
            ci: None,
            status: NumberStatus::Suppressed,
        };
    }
    let ci = wilson(x, n, options.level);
    ShareView {
        count: Some(x),
        share: (n > 0).then(|| pct(x as f64 / n as f64)),
        ci: ci.map(|c| IntervalView::of(c, options.level, 100.0)),
        status: options.thresholds.classify(n, ci).into(),
    }
}

/// The label of an answer in `lang`: the option's, the level's, or yes/no.
fn answer_label(
    form: &FormDefinition,
    question: &ChoiceQuestion,
    answer: &Answer,
    lang: &str,
) -> String {
    let text = match answer {
        Answer::Option(id) => form
            .question(&question.id)
            .and_then(|q| q.option(id))
            .map(|o| o.label().localized(lang)),
        Answer::Level(l) => form
            .scale_of(&question.id)
            .and_then(|s| s.level(*l))
            .map(|level| level.label().localized(lang)),
        Answer::Bool(b) => Some(match (b, lang) {
            (true, "en") => "Yes",
            (false, "en") => "No",
            (true, _) => "Có",
            (false, _) => "Không",
        }),
    };
    text.map_or_else(|| answer.key(), str::to_owned)
}
