//! The integrity tab (`…/integrity`): the integrity indicators of the agency and every agency
//! below it for one closed month — the last closed month of the chosen period — from the same
//! use case as `GET /api/v1/integrity` (`app::integrity::report`), each share with its
//! interval, and the agencies flagged as far above the rest of their province. Its words are
//! here, not in `words.rs`: only this tab uses them.

use actix_web::{HttpRequest, HttpResponse, get, web};
use askama::Template;

use crate::app::integrity::{AgencyIntegrity, IntegrityReport, report};
use crate::domain::integrity::report::Indicator;
use crate::export::charts::number;
use crate::http::integrity::rules;
use crate::persistence::months;
use crate::state::AppState;

use super::super::super::i18n::Lang;
use super::super::super::officer::{Officer, PageError};
use super::super::request::{Request, page_error};
use super::super::words::{DashboardUi, words};
use super::super::{Tab, agency_name};
use super::{AgencyTab, show};

/// The integrity tab.
struct Integrity;

impl AgencyTab for Integrity {
    const TAB: Tab = Tab::Integrity;
    /// The report (`None`: no month of the period is closed yet) and the form's version.
    type View = (Option<IntegrityReport>, u32);
    type Model = IntegrityModel;

    /// The report always covers the agencies below.
    fn subtree(_: &Request) -> bool {
        false
    }

    async fn load(
        state: &AppState,
        officer: &Officer,
        r: &Request,
        _subtree: bool,
    ) -> Result<Self::View, PageError> {
        let version = state
            .forms
            .current(&r.form_key)
            .map_or(0, |f| f.definition.version());
        let through = months::published_through(&state.db)
            .await
            .map_err(|e| page_error(r.lang, e.into()))?;
        let period = r.period.through(through);
        if period.is_empty() {
            return Ok((None, version));
        }
        let month = period.last().to_string();
        let asked = (Some(r.agency.code.as_str()), Some(month.as_str()));
        let report = report(&state.db, &officer.principal, asked, rules(state))
            .await
            .map_err(|e| page_error(r.lang, e))?;
        Ok((Some(report), version))
    }

    fn version(view: &Self::View) -> u32 {
        view.1
    }

    fn model(r: &Request, _subtree: bool, view: &Self::View) -> Result<IntegrityModel, PageError> {
        Ok(model(r, view.0.as_ref()))
    }
}

/// The tab's fixed words.
pub(crate) struct IntegrityWords {
    pub heading: &'static str,
    pub intro: &'static str,
    pub caption: &'static str,
    pub nothing_closed: &'static str,
    pub col_answers: &'static str,
    /// The indicators' column heads, in `Kind::ALL` order.
    pub cols: [&'static str; 5],
    pub col_modes: &'static str,
    pub col_flag: &'static str,
    pub flagged: &'static str,
    pub rule: &'static str,
}

static VI: IntegrityWords = IntegrityWords {
    heading: "Dấu hiệu tự đánh giá",
    intro: "Các chỉ số chỉ đếm số phiếu theo cơ quan và tháng (không lưu địa chỉ, thời điểm hay \
            từng phiếu): trả lời qua đường dẫn ngay sau khi hoàn thành hồ sơ, trả lời dồn dập từ \
            một mạng, phiếu chọn cùng một mức cho mọi tiêu chí, phiếu chỉ chọn mức cao nhất, và \
            tỷ lệ phiếu giấy. Tháng",
    caption: "Chỉ số toàn vẹn theo cơ quan",
    nothing_closed: "Chưa có tháng nào của kỳ này được khóa sổ: chưa có số liệu để xem.",
    col_answers: "Số phiếu",
    cols: [
        "Trả lời ngay",
        "Trả lời dồn dập",
        "Cùng một mức",
        "Chỉ mức cao nhất",
        "Phiếu giấy",
    ],
    col_modes: "Hình thức (web / kiosk / điện thoại / giấy)",
    col_flag: "Cảnh báo",
    flagged: "Cần xem xét",
    rule: "Một chỉ số được cảnh báo khi khoảng tin cậy 95 % (Wilson) của cơ quan nằm hẳn trên \
           khoảng của các cơ quan còn lại trong tỉnh cùng tháng và cao hơn ít nhất \
           integrity.flag_margin (mặc định 20 điểm phần trăm). Dưới ngưỡng công bố, số liệu bị ẩn.",
};

static EN: IntegrityWords = IntegrityWords {
    heading: "Signs of self-answering",
    intro: "These indicators are counts per agency and month only (no address, no time, nothing \
            per questionnaire): link answers right after the dossier's completion, bursts of \
            answers from one network, questionnaires with every criterion at one level, \
            questionnaires at the top level only, and the share of paper. Month",
    caption: "Integrity indicators by agency",
    nothing_closed: "No month of this period is closed yet: there is nothing to show.",
    col_answers: "Answers",
    cols: [
        "Quick answers",
        "Burst answers",
        "Straight-lined",
        "Top box only",
        "Paper",
    ],
    col_modes: "Modes (web / kiosk / phone / paper)",
    col_flag: "Flag",
    flagged: "Flagged",
    rule: "An indicator is flagged when the agency's 95 % (Wilson) interval lies entirely above \
           that of the other agencies of its province in the same month, and its share is at \
           least integrity.flag_margin higher (20 percentage points by default). Below the \
           publication threshold, figures are not shown.",
};

fn integrity_words(lang: Lang) -> &'static IntegrityWords {
    match lang {
        Lang::En => &EN,
        Lang::Vi => &VI,
    }
}

/// One agency's row.
struct Row {
    code: String,
    label: String,
    answers: u64,
    cells: Vec<Cell>,
    modes: String,
    flagged: bool,
}

/// One indicator: `12,50 % (8,10 – 18,80 %)`, or a dash when suppressed.
struct Cell {
    text: String,
    flagged: bool,
}

/// The integrity page's content (`templates/officer/agency_integrity.html`).
#[derive(Template)]
#[template(path = "officer/agency_integrity.html")]
struct IntegrityModel {
    d: &'static DashboardUi,
    w: &'static IntegrityWords,
    month: Option<String>,
    rows: Vec<Row>,
}

fn model(r: &Request, report: Option<&IntegrityReport>) -> IntegrityModel {
    let comma = r.decimal_comma();
    IntegrityModel {
        d: words(r.lang),
        w: integrity_words(r.lang),
        month: report.map(|rep| rep.period.clone()),
        rows: report
            .map(|rep| rep.agencies.iter().map(|a| row(a, r.lang, comma)).collect())
            .unwrap_or_default(),
    }
}

fn row(a: &AgencyIntegrity, lang: Lang, comma: bool) -> Row {
    let pct = |v: f64| number(v * 100.0, 1, comma);
    let cell = |i: &Indicator| Cell {
        text: match (i.share, i.ci) {
            (Some(s), Some(ci)) => {
                format!("{} % ({} – {} %)", pct(s), pct(ci.lower), pct(ci.upper))
            }
            _ => "—".to_owned(),
        },
        flagged: i.flagged,
    };
    Row {
        code: a.agency.code.clone(),
        label: format!("{} — {}", a.agency.code, agency_name(&a.agency, lang)),
        answers: a.answers,
        cells: a.indicators.iter().map(cell).collect(),
        modes: a.modes.as_ref().map_or_else(
            || "—".to_owned(),
            |m| format!("{} / {} / {} / {}", m.web, m.kiosk, m.phone, m.paper),
        ),
        flagged: a.flagged,
    }
}

/// The integrity indicators of the agency and those below it.
#[utoipa::path(
    tag = "pages",
    params(
        ("code" = String, Path, description = "agency code"),
        ("period" = Option<String>, Query, description = "its last closed month is shown"),
        ("lang" = Option<String>, Query),
    ),
    responses(
        (status = 200, description = "The integrity indicators", content_type = "text/html"),
        (status = "default", description = "Any other outcome, as an HTML page", content_type = "text/html"),
    )
)]
#[get("/dashboard/agencies/{code}/integrity")]
pub async fn integrity(
    req: HttpRequest,
    state: web::Data<AppState>,
    officer: Officer,
    code: web::Path<String>,
) -> Result<HttpResponse, PageError> {
    show::<Integrity>(&req, &state, &officer, &code).await
}
