//! What an agency page was asked for — the agency (read with the officer's rights), the form,
//! the period, the scope, the trend's step and the breakdown's dimension, with their defaults —
//! and the page that a use case's error becomes.

use actix_web::HttpRequest;

use crate::app::results as use_cases;
use crate::app::results::ResultsQuery;
use crate::domain::agencies::Agency;
use crate::domain::auth::Role;
use crate::domain::periods::Period;
use crate::domain::results::ResultView;
use crate::domain::sampling::SamplingTarget;
use crate::error::{ApiError, ProblemCode};
use crate::state::AppState;

use super::super::i18n::Lang;
use super::super::officer::{Officer, PageError, query_value};
use super::period::{default_period, parse_period, this_month};
use super::words::words;
use super::{Tab, agency_name, encode_path};

/// The page's request: the agency page, its selections, with the defaults applied.
pub(super) struct Request {
    pub(super) lang: Lang,
    pub(super) agency: Agency,
    pub(super) form_key: String,
    pub(super) period: Period,
    /// As asked for (`None`: the page's default).
    pub(super) subtree: Option<bool>,
    pub(super) step: String,
    pub(super) by: String,
    pub(super) children: Vec<Agency>,
    /// The precision sample planning aims for (`[sampling]`).
    pub(super) sampling: SamplingTarget,
    /// Whether the officer may download the agency's follow-up list: its own officer or an
    /// administrator (`app::sampling::follow_up`).
    pub(super) follows_up: bool,
}

impl Request {
    /// `/dashboard/agencies/{code}{suffix}` with the form, period and language kept (and
    /// `extra` pairs).
    pub(super) fn href(&self, tab: Tab, extra: &[(&str, &str)]) -> String {
        let mut q = form_urlencoded::Serializer::new(String::new());
        q.append_pair("form", &self.form_key);
        q.append_pair("period", self.period.label());
        for (k, v) in extra {
            q.append_pair(k, v);
        }
        if self.lang == Lang::En {
            q.append_pair("lang", "en");
        }
        format!(
            "/dashboard/agencies/{}{}?{}",
            encode_path(&self.agency.code),
            tab.suffix(),
            q.finish()
        )
    }

    /// `?form=…&period=…` (and `&lang=en`): the query of a link to another agency's overview.
    pub(super) fn overview_query(&self) -> String {
        format!(
            "?form={}&period={}{}",
            encode_path(&self.form_key),
            encode_path(self.period.label()),
            if self.lang == Lang::En {
                "&lang=en"
            } else {
                ""
            }
        )
    }

    pub(super) fn lang_code(&self) -> &'static str {
        self.lang.code()
    }

    pub(super) fn decimal_comma(&self) -> bool {
        self.lang == Lang::Vi
    }

    /// The agency's name in the page's language.
    pub(super) fn agency_name(&self) -> String {
        agency_name(&self.agency, self.lang)
    }

    /// With the agencies below unless asked otherwise, when there are any.
    pub(super) fn subtree_or_default(&self) -> bool {
        self.subtree.unwrap_or(!self.children.is_empty())
    }
}

/// The page of a results use case's error.
pub(super) fn page_error(lang: Lang, e: ApiError) -> PageError {
    let d = words(lang);
    match e {
        ApiError::Forbidden | ApiError::Unauthorized => PageError::Forbidden { lang },
        ApiError::Rejected {
            code: ProblemCode::UnknownAgency,
            ..
        } => PageError::NotFound { lang },
        ApiError::Rejected {
            code: ProblemCode::UnknownForm,
            ..
        } => PageError::Invalid {
            lang,
            heading: d.unknown_form_title,
            text: d.unknown_form_text,
        },
        ApiError::Validation { errors, .. }
            if errors
                .iter()
                .any(|f| f.field == "agency" || f.field == "parent") =>
        {
            PageError::NotFound { lang }
        }
        ApiError::Validation { errors, .. }
            if errors
                .iter()
                .any(|f| ["period", "from", "to"].contains(&f.field.as_str())) =>
        {
            invalid_period(lang)
        }
        ApiError::Validation { .. } | ApiError::Rejected { .. } => PageError::Invalid {
            lang,
            heading: d.invalid_title,
            text: d.invalid_text,
        },
        other => PageError::failed(lang, anyhow::anyhow!("dashboard: {other}")),
    }
}

/// The 422 page of a period that means nothing.
pub(super) fn invalid_period(lang: Lang) -> PageError {
    let d = words(lang);
    PageError::Invalid {
        lang,
        heading: d.invalid_period_title,
        text: d.invalid_period_text,
    }
}

/// `?period=…` of the address, or the page's default.
pub(super) fn period_of(req: &HttpRequest, tab: Tab, lang: Lang) -> Result<Period, PageError> {
    match query_value(req, "period").filter(|p| !p.is_empty()) {
        Some(raw) => parse_period(&raw),
        None => default_period(tab, this_month()),
    }
    .ok_or_else(|| invalid_period(lang))
}

/// Reads the agency (with the officer's rights), the selections and their defaults.
pub(super) async fn request(
    req: &HttpRequest,
    state: &AppState,
    officer: &Officer,
    code: &str,
    tab: Tab,
) -> Result<Request, PageError> {
    let lang = officer.lang;
    let d = words(lang);
    let agency = use_cases::readable_agency(&state.db, officer, "agency", code)
        .await
        .map_err(|e| page_error(lang, e))?;
    let form_key = query_value(req, "form")
        .filter(|f| !f.is_empty())
        .unwrap_or_else(|| agency.default_form.clone());
    if state.forms.current(&form_key).is_none() {
        return Err(PageError::Invalid {
            lang,
            heading: d.unknown_form_title,
            text: d.unknown_form_text,
        });
    }
    let period = period_of(req, tab, lang)?;
    let subtree = match query_value(req, "subtree").as_deref() {
        Some("true") => Some(true),
        Some("false") => Some(false),
        _ => None,
    };
    // The agencies below it in the period's months (issue 21), not today's.
    let children = crate::app::agencies::children_during(&state.db, &agency, &period)
        .await
        .map_err(|e| page_error(lang, e))?;
    let follows_up =
        officer.role == Role::Admin || officer.scope.as_ref().is_some_and(|s| s.id == agency.id);
    Ok(Request {
        lang,
        agency,
        form_key,
        period,
        subtree,
        step: choice(req, "step", &["month", "quarter", "year"], "quarter"),
        by: choice(
            req,
            "by",
            &["channel", "mode", "procedure_field"],
            "channel",
        ),
        children,
        sampling: state.settings.sampling.target(),
        follows_up,
    })
}

/// `?{name}=…` if it is one of `allowed`, else `default`.
fn choice(req: &HttpRequest, name: &str, allowed: &[&str], default: &str) -> String {
    match query_value(req, name) {
        Some(v) if allowed.contains(&v.as_str()) => v,
        _ => default.to_owned(),
    }
}

/// The results of the page's agency, form and period (the API's `GET /api/v1/results`).
pub(super) async fn results(
    state: &AppState,
    officer: &Officer,
    r: &Request,
    subtree: bool,
    by: Option<&str>,
) -> Result<ResultView, PageError> {
    let (from, to) = r.period.month_range();
    let q = ResultsQuery {
        agency: Some(r.agency.code.clone()),
        form: Some(r.form_key.clone()),
        from: Some(from),
        to: Some(to),
        subtree: Some(subtree.to_string()),
        by: by.map(str::to_owned),
        lang: label_lang(state, r),
        ..ResultsQuery::default()
    };
    use_cases::result(&state.results(), officer, &q)
        .await
        .map_err(|e| page_error(r.lang, e))
}

/// `lang=en` for the labels when the form has English, else Vietnamese.
pub(super) fn label_lang(state: &AppState, r: &Request) -> Option<String> {
    let lang = match state.forms.current(&r.form_key) {
        Some(f) => r.lang.within(f.definition.languages()),
        None => Lang::Vi,
    };
    Some(lang.code().to_owned())
}

#[cfg(test)]
impl Request {
    /// A request for the page models' tests: agency `TINH` ("Tỉnh Thử"), sipas-2017, 2025.
    #[allow(clippy::unwrap_used)]
    pub(super) fn sample(lang: Lang) -> Self {
        use crate::domain::agencies::{AgencyKind, AgencyPath};
        let id = uuid::Uuid::nil();
        Request {
            lang,
            agency: Agency {
                id,
                code: "TINH".to_owned(),
                name_vi: "Tỉnh Thử".to_owned(),
                name_en: Some("Test Province".to_owned()),
                kind: AgencyKind::Province,
                parent_code: None,
                default_form: "sipas-2017".to_owned(),
                path: AgencyPath::root(id),
                created_at: chrono::Utc::now(),
            },
            form_key: "sipas-2017".to_owned(),
            period: Period::parse("2025").unwrap(),
            subtree: None,
            step: "quarter".to_owned(),
            by: "channel".to_owned(),
            children: Vec::new(),
            sampling: SamplingTarget {
                margin: 0.05,
                level: 0.95,
            },
            follows_up: false,
        }
    }
}
