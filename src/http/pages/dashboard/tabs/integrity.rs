//! The integrity tab (`…/integrity`): the integrity indicators of the agency and every agency
//! below it for one closed month — the last closed month of the chosen period — from the same
//! use case as `GET /api/v1/integrity` (`app::integrity::report`), each share with its
//! interval, and the agencies flagged as far above the rest of their province; then the
//! response rates by invitation channel over the period's closed months (`app::reach`, as
//! `GET /api/v1/results/channels`), for the agency and those below it. Its words are here, not
//! in `words.rs`: only this tab uses them.

use actix_web::{HttpRequest, HttpResponse, get, web};
use askama::Template;

use crate::app::integrity::{AgencyIntegrity, IntegrityReport, report};
use crate::app::reach::{ReachReport, rates};
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
    /// The report (`None`: no month of the period is closed yet), the rates by channel and the
    /// form's version.
    type View = (Option<IntegrityReport>, ReachReport, u32);
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
        let code = Some(r.agency.code.as_str());
        let asked = (code, Some(r.period.label().to_owned()), true);
        let suppress = state.settings.results.suppress_below;
        let reach = rates(&state.db, &officer.principal, asked, suppress)
            .await
            .map_err(|e| page_error(r.lang, e))?;
        let through = months::published_through(&state.db)
            .await
            .map_err(|e| page_error(r.lang, e.into()))?;
        let period = r.period.through(through);
        if period.is_empty() {
            return Ok((None, reach, version));
        }
        let month = period.last().to_string();
        let asked = (code, Some(month.as_str()));
        let report = report(&state.db, &officer.principal, asked, rules(state))
            .await
            .map_err(|e| page_error(r.lang, e))?;
        Ok((Some(report), reach, version))
    }

    fn version(view: &Self::View) -> u32 {
        view.2
    }

    fn model(r: &Request, _subtree: bool, view: &Self::View) -> Result<IntegrityModel, PageError> {
        Ok(model(r, view.0.as_ref(), &view.1))
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
    pub reach_heading: &'static str,
    pub reach_intro: &'static str,
    pub col_channel: &'static str,
    pub col_registered: &'static str,
    pub col_answered: &'static str,
    pub col_rate: &'static str,
    /// QR code only, e-mail, SMS (`app::reach::CHANNELS` order).
    pub channels: [&'static str; 3],
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
    reach_heading: "Tỷ lệ phản hồi theo kênh mời",
    reach_intro: "Hồ sơ của cơ quan và các cơ quan trực thuộc trong các tháng đã khóa sổ của kỳ, \
                  theo kênh mời đánh giá, và tỷ lệ đã được đánh giá.",
    col_channel: "Kênh mời",
    col_registered: "Số hồ sơ",
    col_answered: "Đã đánh giá",
    col_rate: "Tỷ lệ (khoảng tin cậy 95 %)",
    channels: ["Chỉ mã QR", "Thư điện tử", "Tin nhắn SMS"],
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
    reach_heading: "Response rate by invitation channel",
    reach_intro: "The dossiers of the agency and those below it in the period's closed months, \
                  by the channel they were invited through, and the share answered.",
    col_channel: "Invited by",
    col_registered: "Dossiers",
    col_answered: "Answered",
    col_rate: "Rate (95 % interval)",
    channels: ["QR code only", "E-mail", "SMS"],
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
    channels: Vec<ChannelRow>,
}

/// One invitation channel's row.
struct ChannelRow {
    id: &'static str,
    label: &'static str,
    registered: String,
    answered: String,
    rate: String,
}

fn model(r: &Request, report: Option<&IntegrityReport>, reach: &ReachReport) -> IntegrityModel {
    let comma = r.decimal_comma();
    let w = integrity_words(r.lang);
    let pct = |v: f64| number(v * 100.0, 1, comma);
    let dash = || "—".to_owned();
    let channels = reach
        .channels
        .iter()
        .zip(w.channels)
        .map(|(c, label)| ChannelRow {
            id: c.channel,
            label,
            registered: c.registered.map_or_else(dash, |n| n.to_string()),
            answered: c.answered.map_or_else(dash, |n| n.to_string()),
            rate: match (c.rate, c.ci) {
                (Some(v), Some(ci)) => {
                    format!("{} % ({} – {} %)", pct(v), pct(ci.lower), pct(ci.upper))
                }
                _ => dash(),
            },
        })
        .collect();
    IntegrityModel {
        d: words(r.lang),
        w,
        channels,
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
