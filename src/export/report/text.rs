//! The report's words in Vietnamese and English: sheet names, headers, status texts and the
//! method note. Vietnamese is NFC with its diacritics (the tests check).

use crate::domain::lang::Lang;

/// Fixed words of one language.
pub(super) struct Text {
    pub sheet_summary: &'static str,
    pub sheet_items: &'static str,
    pub sheet_trend: &'static str,

    pub title_summary: &'static str,
    pub title_items: &'static str,
    pub title_trend: &'static str,

    pub measure: &'static str,
    pub value: &'static str,
    pub lower: &'static str,
    pub upper: &'static str,
    pub n: &'static str,
    pub status: &'static str,
    pub error_below: &'static str,
    pub error_above: &'static str,

    pub agency: &'static str,
    pub scope: &'static str,
    pub scope_subtree: &'static str,
    pub agencies_with_data: &'static str,
    pub agencies_in_mean: &'static str,
    pub form: &'static str,
    pub version: &'static str,
    pub edition: &'static str,
    pub period: &'static str,
    pub generated_on: &'static str,
    pub invited: &'static str,
    pub responses: &'static str,
    pub invalid_returns: &'static str,
    pub response_rate: &'static str,
    pub sipas: &'static str,
    pub par_points: &'static str,
    pub par_max: &'static str,
    pub d766: &'static str,
    pub d766_rated: &'static str,
    pub d766_dissatisfied: &'static str,
    pub components: &'static str,
    pub method: &'static str,

    pub st_ok: &'static str,
    pub st_low: &'static str,
    pub st_small_n: &'static str,
    pub st_complementary: &'static str,
    pub st_no_data: &'static str,
    pub st_not_applicable: &'static str,

    pub id: &'static str,
    pub factor: &'static str,
    pub criterion: &'static str,
    pub share: &'static str,
    pub mean_level: &'static str,

    pub dossiers: &'static str,
    pub change: &'static str,
    pub change_lower: &'static str,
    pub change_upper: &'static str,
    pub p_value: &'static str,
    pub components_by_period: &'static str,
    pub component: &'static str,
    pub code: &'static str,

    pub chart_components: &'static str,
    pub chart_items: &'static str,
    pub chart_trend: &'static str,
    pub chart_trend_components: &'static str,
    pub series_index: &'static str,
    pub trend_note: &'static str,
    pub privacy_note: &'static str,
    pub date_format: &'static str,

    pub sheet_indicators: &'static str,
    pub title_indicators: &'static str,
    pub question: &'static str,
    pub answer: &'static str,
    pub answer_label: &'static str,
    pub count: &'static str,
    pub share_of_respondents: &'static str,
    pub indicators_note: &'static str,
}

pub(super) const VI: Text = Text {
    sheet_summary: "Tổng hợp",
    sheet_items: "Tiêu chí",
    sheet_trend: "Xu hướng",

    title_summary: "Báo cáo kết quả đo lường sự hài lòng (SIPAS)",
    title_items: "Kết quả theo tiêu chí",
    title_trend: "Xu hướng theo kỳ",

    measure: "Nội dung",
    value: "Giá trị",
    lower: "Cận dưới",
    upper: "Cận trên",
    n: "n",
    status: "Trạng thái",
    error_below: "Sai số dưới (biểu đồ)",
    error_above: "Sai số trên (biểu đồ)",

    agency: "Cơ quan",
    scope: "Phạm vi",
    scope_subtree: "Cơ quan và các đơn vị trực thuộc",
    agencies_with_data: "Số cơ quan có phiếu hợp lệ",
    agencies_in_mean: "Số cơ quan tính vào trung bình",
    form: "Phiếu khảo sát",
    version: "phiên bản",
    edition: "bộ",
    period: "Kỳ báo cáo",
    generated_on: "Ngày lập báo cáo",
    invited: "Số hồ sơ đã tiếp nhận (được mời)",
    responses: "Số phiếu hợp lệ",
    invalid_returns: "Số phiếu không hợp lệ",
    response_rate: "Tỷ lệ phản hồi",
    sipas: "Chỉ số SIPAS",
    par_points: "Điểm Chỉ số CCHC (PAR Index)",
    par_max: "Điểm tối đa (PAR Index)",
    d766: "Tỷ lệ hài lòng theo Quyết định 766/QĐ-TTg",
    d766_rated: "Hồ sơ được đánh giá (QĐ 766)",
    d766_dissatisfied: "Hồ sơ không hài lòng (QĐ 766)",
    components: "Chỉ số thành phần",
    method: "Phương pháp",

    st_ok: "đủ tin cậy",
    st_low: "độ tin cậy thấp",
    st_small_n: "bị ẩn (n nhỏ)",
    st_complementary: "bị ẩn (ẩn bổ sung)",
    st_no_data: "không có dữ liệu",
    st_not_applicable: "không áp dụng",

    id: "Mã",
    factor: "Yếu tố",
    criterion: "Nội dung tiêu chí",
    share: "Tỷ lệ hài lòng",
    mean_level: "Điểm trung bình",

    dossiers: "Số hồ sơ",
    change: "Thay đổi so với kỳ trước (điểm %)",
    change_lower: "Cận dưới của thay đổi",
    change_upper: "Cận trên của thay đổi",
    p_value: "Giá trị p",
    components_by_period: "Chỉ số thành phần theo kỳ",
    component: "Chỉ số thành phần",
    code: "Mã",

    chart_components: "Chỉ số thành phần và khoảng tin cậy",
    chart_items: "Phân bố mức đánh giá theo tiêu chí",
    chart_trend: "Chỉ số SIPAS theo kỳ và khoảng tin cậy",
    chart_trend_components: "Chỉ số thành phần theo kỳ",
    series_index: "Chỉ số",
    trend_note: "Thay đổi giữa hai kỳ là hiệu của hai mẫu độc lập: phương sai V = V(kỳ này) + V(kỳ trước), khoảng tin cậy theo phân phối chuẩn; ô trống khi một trong hai kỳ không có số công bố.",
    privacy_note: "Báo cáo chỉ chứa số liệu tổng hợp, không có thông tin cá nhân của người trả lời.",
    date_format: "dd/mm/yyyy",

    sheet_indicators: "Nhận định, nhu cầu",
    title_indicators: "Chỉ số nhận định và nhu cầu",
    question: "Câu hỏi",
    answer: "Mã trả lời",
    answer_label: "Phương án",
    count: "Số người chọn",
    share_of_respondents: "Tỷ lệ (%)",
    indicators_note: "Tỷ lệ = số người chọn phương án / n (số người trả lời câu hỏi; câu nhiều lựa chọn: số người chọn ít nhất một phương án, nên tổng có thể vượt 100%). Khoảng tin cậy Wilson. Phạm vi nhiều cơ quan: cộng gộp phiếu của các cơ quan.",
};

pub(super) const EN: Text = Text {
    sheet_summary: "Summary",
    sheet_items: "Items",
    sheet_trend: "Trend",

    title_summary: "Citizen satisfaction (SIPAS) report",
    title_items: "Results by criterion",
    title_trend: "Trend by period",

    measure: "Measure",
    value: "Value",
    lower: "Lower bound",
    upper: "Upper bound",
    n: "n",
    status: "Status",
    error_below: "Error below (chart)",
    error_above: "Error above (chart)",

    agency: "Agency",
    scope: "Scope",
    scope_subtree: "The agency and the agencies below it",
    agencies_with_data: "Agencies with valid responses",
    agencies_in_mean: "Agencies in the mean",
    form: "Survey form",
    version: "version",
    edition: "edition",
    period: "Period",
    generated_on: "Generated on",
    invited: "Dossiers registered (invited)",
    responses: "Valid responses",
    invalid_returns: "Invalid returns",
    response_rate: "Response rate",
    sipas: "SIPAS index",
    par_points: "PAR Index points",
    par_max: "PAR Index maximum points",
    d766: "Decision 766/QĐ-TTg satisfaction ratio",
    d766_rated: "Dossiers rated (Decision 766)",
    d766_dissatisfied: "Dossiers dissatisfied (Decision 766)",
    components: "Component indices",
    method: "Method",

    st_ok: "reliable",
    st_low: "low reliability",
    st_small_n: "suppressed (small n)",
    st_complementary: "suppressed (complementary)",
    st_no_data: "no data",
    st_not_applicable: "not applicable",

    id: "ID",
    factor: "Factor",
    criterion: "Criterion",
    share: "Share satisfied",
    mean_level: "Mean level",

    dossiers: "Dossiers",
    change: "Change from the previous period (points)",
    change_lower: "Change lower bound",
    change_upper: "Change upper bound",
    p_value: "p-value",
    components_by_period: "Component indices by period",
    component: "Component index",
    code: "Code",

    chart_components: "Component indices with confidence intervals",
    chart_items: "Distribution of answers by criterion",
    chart_trend: "SIPAS index by period with confidence intervals",
    chart_trend_components: "Component indices by period",
    series_index: "Index",
    trend_note: "A change between two periods is a difference of independent samples: variance V = V(this period) + V(previous period), normal interval; empty when either period has no published figure.",
    privacy_note: "The report holds aggregate figures only, no respondent's personal data.",
    date_format: "yyyy-mm-dd",

    sheet_indicators: "Perceptions, needs",
    title_indicators: "Perception and needs indicators",
    question: "Question",
    answer: "Answer code",
    answer_label: "Answer",
    count: "Respondents choosing it",
    share_of_respondents: "Share (%)",
    indicators_note: "Share = respondents choosing the answer / n (respondents who answered the question; for a multiple choice, who chose at least one answer, so the shares may sum past 100%). Wilson intervals. Several agencies: their questionnaires pooled.",
};

/// The fixed words in `lang`.
pub(super) fn of(lang: Lang) -> &'static Text {
    match lang {
        Lang::Vi => &VI,
        Lang::En => &EN,
    }
}

/// "Mức 1 (phiếu)" / "Level 1 (count)".
pub(super) fn level_count(lang: Lang, level: &str) -> String {
    match lang {
        Lang::Vi => format!("Mức {level} (phiếu)"),
        Lang::En => format!("Level {level} (count)"),
    }
}

/// "Mức 1 (%)" / "Level 1 (%)".
pub(super) fn level_share(lang: Lang, level: &str) -> String {
    match lang {
        Lang::Vi => format!("Mức {level} (%)"),
        Lang::En => format!("Level {level} (%)"),
    }
}

/// "Mức 1" / "Level 1": a series name of the distribution chart.
pub(super) fn level(lang: Lang, level: &str) -> String {
    match lang {
        Lang::Vi => format!("Mức {level}"),
        Lang::En => format!("Level {level}"),
    }
}

/// "Tích cực (mức 3, 4)" / "Positive (levels 3, 4)": a grid row's positive share.
pub(super) fn positive(lang: Lang, levels: &[String]) -> String {
    let levels = levels.join(", ");
    match lang {
        Lang::Vi => format!("Tích cực (mức {levels})"),
        Lang::En => format!("Positive (levels {levels})"),
    }
}

/// A margin of error's label at a confidence level.
pub(super) fn margin(lang: Lang, level: f64, worst_case: bool) -> String {
    let l = number(lang, level * 100.0);
    match (lang, worst_case) {
        (Lang::Vi, true) => format!("Sai số tối đa (p = 50%, độ tin cậy {l}%)"),
        (Lang::Vi, false) => format!("Sai số tại giá trị chỉ số (độ tin cậy {l}%)"),
        (Lang::En, true) => format!("Margin of error, worst case (p = 50%, {l}% level)"),
        (Lang::En, false) => format!("Margin of error at the index value ({l}% level)"),
    }
}

/// A number for a sentence: at most one decimal, with the language's decimal sign.
pub(super) fn number(lang: Lang, x: f64) -> String {
    let rounded = (x * 10.0).round() / 10.0;
    let s = if rounded.fract() == 0.0 {
        format!("{rounded:.0}")
    } else {
        format!("{rounded:.1}")
    };
    match lang {
        Lang::Vi => s.replace('.', ","),
        Lang::En => s,
    }
}
