//! The method note of the summary sheet, one sentence a line in the report's language: how
//! the figures were estimated, their intervals and thresholds, the form version they come
//! from, and how the Decision 766 ratio and the PAR points are computed.

use super::text::number;
use crate::domain::aggregates::DissatisfiedRule;
use crate::domain::lang::Lang;
use crate::domain::results::{Aggregate, MethodView, VersionChoice};

/// The method note of a result computed as `m` from form `form_key`; the Decision 766 sentence
/// with its `rule` (and whether the indicator is on), the PAR sentence with its edition.
pub(super) fn lines(
    lang: Lang,
    m: &MethodView,
    form_key: &str,
    rule: Option<(DissatisfiedRule, bool)>,
    par_edition: Option<&str>,
) -> Vec<String> {
    let vi = lang == Lang::Vi;
    let mut out = vec![estimation(m, vi)];
    out.extend(aggregate(m.aggregate, vi));
    out.push(intervals(lang, m));
    out.push(values(vi));
    out.push(thresholds(lang, m));
    out.push(version(m, form_key, vi));
    if let Some((rule, enabled)) = rule {
        out.push(d766(rule, enabled, vi));
    }
    if let Some(edition) = par_edition {
        out.push(par(edition, vi));
    }
    out
}

/// Weighting, strata and finite population correction.
fn estimation(m: &MethodView, vi: bool) -> String {
    let weighting = match (m.weighting, vi) {
        ("unweighted", true) => "không gia quyền".to_owned(),
        ("unweighted", false) => "unweighted".to_owned(),
        ("expansion", true) => "gia quyền mở rộng w = N_h / n_h".to_owned(),
        ("expansion", false) => "expansion weights w = N_h / n_h".to_owned(),
        (other, _) => other.to_owned(),
    };
    let strata = match (m.strata, vi) {
        ("none", true) => "một tầng".to_owned(),
        ("none", false) => "one stratum".to_owned(),
        ("channel", true) => "phân tầng theo kênh tiếp nhận hồ sơ".to_owned(),
        ("channel", false) => "strata by the dossiers' channel".to_owned(),
        ("agency_channel", true) => "phân tầng theo cơ quan × kênh".to_owned(),
        ("agency_channel", false) => "strata by agency × channel".to_owned(),
        (other, _) => other.to_owned(),
    };
    let fpc = match (m.fpc, vi) {
        (true, true) => "có hiệu chỉnh tổng thể hữu hạn (N = số hồ sơ đã tiếp nhận trong kỳ)",
        (true, false) => {
            "with the finite population correction (N = dossiers registered in the period)"
        }
        (false, true) => "không hiệu chỉnh tổng thể hữu hạn",
        (false, false) => "without the finite population correction",
    };
    if vi {
        format!("Ước lượng: {weighting}, {strata}, {fpc}.")
    } else {
        format!("Estimation: {weighting}, {strata}, {fpc}.")
    }
}

/// How a subtree's figures combine its agencies', when the result is of a subtree.
fn aggregate(aggregate: Option<Aggregate>, vi: bool) -> Option<String> {
    match (aggregate?, vi) {
        (Aggregate::Mean, true) => Some(
            "Số liệu của cả khối là trung bình không gia quyền của chỉ số các cơ quan có dữ liệu."
                .to_owned(),
        ),
        (Aggregate::Mean, false) => Some(
            "Figures of the subtree are the unweighted mean of its agencies' figures.".to_owned(),
        ),
        (Aggregate::Pooled, true) => {
            Some("Số liệu của cả khối là một ước lượng gộp từ phiếu của mọi cơ quan.".to_owned())
        }
        (Aggregate::Pooled, false) => Some(
            "Figures of the subtree are one estimate pooled from all its agencies' responses."
                .to_owned(),
        ),
    }
}

/// The intervals: Wilson for the criteria, the composite method for the indices.
fn intervals(lang: Lang, m: &MethodView) -> String {
    let vi = lang == Lang::Vi;
    let level = number(lang, m.level * 100.0);
    let effective = m.item_interval == "wilson_effective_n";
    let df =
        m.df.map(|d| {
            if vi {
                format!(" (bậc tự do {d})")
            } else {
                format!(" ({d} degrees of freedom)")
            }
        })
        .unwrap_or_default();
    let composite = if m.composite_interval == "linearised_t" {
        if vi {
            format!("tuyến tính hoá với phân phối t{df}")
        } else {
            format!("linearisation with the t distribution{df}")
        }
    } else {
        m.composite_interval.to_owned()
    };
    match (vi, effective) {
        (true, false) => format!(
            "Khoảng tin cậy {level}%: tỷ lệ của từng tiêu chí theo phương pháp Wilson trên số phiếu; chỉ số theo phương pháp {composite}."
        ),
        (true, true) => format!(
            "Khoảng tin cậy {level}%: tỷ lệ của từng tiêu chí theo phương pháp Wilson với cỡ mẫu hiệu dụng; chỉ số theo phương pháp {composite}."
        ),
        (false, false) => format!(
            "{level}% confidence intervals: each criterion's share by Wilson on the counts; indices by {composite}."
        ),
        (false, true) => format!(
            "{level}% confidence intervals: each criterion's share by Wilson with the effective sample size; indices by {composite}."
        ),
    }
}

/// What a criterion's value and a group's index are.
fn values(vi: bool) -> String {
    if vi {
        "Tỷ lệ hài lòng của một tiêu chí là tỷ lệ người trả lời chọn các mức hài lòng của thang đo; chỉ số của một nhóm là trung bình không gia quyền của các thành phần có dữ liệu.".to_owned()
    } else {
        "A criterion's value is the share of its answerers in the scale's satisfied levels; a group's index is the unweighted mean of its components with data.".to_owned()
    }
}

/// The suppression and low-reliability thresholds.
fn thresholds(lang: Lang, m: &MethodView) -> String {
    let vi = lang == Lang::Vi;
    let t = &m.thresholds;
    let width = number(lang, t.max_ci_width);
    if vi {
        format!(
            "Số liệu có cơ sở n < {} bị ẩn; n < {} hoặc khoảng tin cậy rộng từ {width} điểm % trở lên được đánh dấu “độ tin cậy thấp”.{}",
            t.suppress_below,
            t.low_reliability_below,
            if m.complementary_suppression {
                " Số liệu có thể làm lộ một số bị ẩn cũng bị ẩn (ẩn bổ sung)."
            } else {
                ""
            }
        )
    } else {
        format!(
            "Figures with a basis n < {} are suppressed; n < {} or an interval {width} points wide or wider are flagged “low reliability”.{}",
            t.suppress_below,
            t.low_reliability_below,
            if m.complementary_suppression {
                " Figures that would give back a suppressed one are suppressed too (complementary suppression)."
            } else {
                ""
            }
        )
    }
}

/// The one form version every figure comes from, and why that one.
fn version(m: &MethodView, form_key: &str, vi: bool) -> String {
    let choice = match (m.version_choice, vi) {
        (VersionChoice::Requested, true) => "theo yêu cầu",
        (VersionChoice::Requested, false) => "as requested",
        (VersionChoice::LatestWithData, true) => "phiên bản mới nhất có phiếu trong kỳ",
        (VersionChoice::LatestWithData, false) => "the newest version with responses in the period",
        (VersionChoice::Current, true) => "phiên bản hiện hành, chưa có phiếu trong kỳ",
        (VersionChoice::Current, false) => "the current version, no responses in the period",
    };
    if vi {
        format!(
            "Mọi số liệu lấy từ phiếu {form_key} phiên bản {} ({choice}); không trộn các phiên bản.",
            m.version
        )
    } else {
        format!(
            "Every figure comes from form {form_key} version {} ({choice}); versions are never mixed.",
            m.version
        )
    }
}

/// The Decision 766 ratio and when a dossier counts as dissatisfied.
fn d766(rule: DissatisfiedRule, enabled: bool, vi: bool) -> String {
    let rule = match (rule, vi) {
        (DissatisfiedRule::MeanBelowNeutral, true) => {
            "điểm trung bình các tiêu chí đã trả lời thấp hơn mức giữa của thang đo"
        }
        (DissatisfiedRule::MeanBelowNeutral, false) => {
            "the mean of its answered criteria is below the scale's middle"
        }
        (DissatisfiedRule::MajorityLow, true) => {
            "quá nửa số tiêu chí đã trả lời thấp hơn mức giữa của thang đo"
        }
        (DissatisfiedRule::MajorityLow, false) => {
            "more than half of its answered criteria are below the scale's middle"
        }
        (DissatisfiedRule::AnyLow, true) => {
            "có ít nhất một tiêu chí thấp hơn mức giữa của thang đo"
        }
        (DissatisfiedRule::AnyLow, false) => {
            "at least one answered criterion is below the scale's middle"
        }
    };
    let off = match (enabled, vi) {
        (true, _) => "",
        (false, true) => " Chỉ tiêu này đang tắt trong cấu hình.",
        (false, false) => " The indicator is switched off in the settings.",
    };
    if vi {
        format!(
            "Tỷ lệ theo QĐ 766 = (D − D_không hài lòng) / D, D là số hồ sơ đã tiếp nhận; một hồ sơ không hài lòng khi {rule}.{off}"
        )
    } else {
        format!(
            "Decision 766 ratio = (D − D_dissatisfied) / D, D the dossiers registered; a dossier is dissatisfied when {rule}.{off}"
        )
    }
}

/// How the PAR Index points follow from the index.
fn par(edition: &str, vi: bool) -> String {
    if vi {
        format!("Điểm PAR Index ({edition}) = điểm tối đa × chỉ số SIPAS, cùng khoảng tin cậy.")
    } else {
        format!(
            "PAR Index points ({edition}) = maximum points × the SIPAS index, with the same interval."
        )
    }
}
