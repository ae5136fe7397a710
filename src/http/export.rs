//! `GET /api/v1/responses/export` (api.md "Results"): the anonymous answers of an agency — or
//! its subtree — for one form version and period, as CSV, XLSX or JSON, streamed.
//!
//! This file only checks the request and who may see what ([`prepare`]) and turns the body into
//! a download ([`respond`]); the rows are read and written by `export::raw`. The officer pages
//! offer the same downloads: they call [`prepare`] with the signed-in officer's principal and
//! [`respond`], so both say the same things in the same way.
//!
//! Decisions where the contract is silent:
//! - `agency=CODE` is that agency alone, as in `GET /api/v1/results`; `subtree=true` adds every
//!   agency below it (rows by agency code, then by response id).
//! - One form version per file, because the columns are that version's questions: `version=N`,
//!   or by default the newest version with responses in the period (as results choose), else
//!   the current one (an empty file with its header).
//! - `format` defaults to `json` (the API's default), or to CSV / XLSX when `Accept` asks for
//!   `text/csv` / the XLSX media type and no `format` is given.
//! - `lang=vi|en` (default `vi`) labels the fixed columns of the CSV/XLSX header; JSON keys are
//!   fixed. `bom=true` (CSV only) starts the file with a UTF-8 byte-order mark for Excel.
//! - Who: an agency key reads its agency and everything below (anything else is 403, whether it
//!   exists or not); admin keys read every agency; pipeline keys read no raw answers (403).
//! - Every bad parameter is a 422 naming it (`validation_failed`, `unknown_agency`,
//!   `unknown_form`), through the same helpers as the results endpoints.

use actix_web::body::SizedStream;
use actix_web::http::header::{
    ACCEPT, CACHE_CONTROL, CONTENT_DISPOSITION, CONTENT_TYPE, HeaderValue, X_CONTENT_TYPE_OPTIONS,
};
use actix_web::{HttpRequest, HttpResponse, get, web};
use serde::Deserialize;

use crate::domain::auth::Principal;
use crate::domain::results;
use crate::error::ApiError;
use crate::export::raw::{self, ExportAgency, Format, Language, Part, RawExport};
use crate::http::auth::Caller;
use crate::http::results_service::{
    choice, flag, form_of, invalid, period, published, readable_agency, required, unexpected,
};
use crate::persistence::{agencies, aggregates};
use crate::state::AppState;

/// Query of `GET /api/v1/responses/export`.
#[derive(Debug, Default, Clone, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ExportQuery {
    /// The agency's code.
    pub agency: Option<String>,
    /// The form key, e.g. `sipas-2017`.
    pub form: Option<String>,
    /// A form version; default: the newest with responses in the period.
    pub version: Option<String>,
    /// `YYYY`, `YYYY-Qn`, `YYYY-Hn` or `YYYY-MM`; or give `from` and `to`.
    pub period: Option<String>,
    /// First month, `YYYY-MM` (with `to`).
    pub from: Option<String>,
    /// Last month, `YYYY-MM` (inclusive).
    pub to: Option<String>,
    /// `true`: the agency and every agency below it.
    pub subtree: Option<String>,
    /// `csv`, `xlsx` or `json` (default; or as `Accept` asks).
    pub format: Option<String>,
    /// Language of the fixed columns' headers (CSV, XLSX): `vi` (default) or `en`.
    pub lang: Option<String>,
    /// CSV only: `true` starts the file with a UTF-8 byte-order mark (for Excel).
    pub bom: Option<String>,
    /// `rows` (default): one row per response, free text left out; `comments`: the free-text
    /// answers alone, one per line or element (agency, month, question id, text), shuffled
    /// (CSV or JSON).
    pub part: Option<String>,
}

/// A checked export request.
#[derive(Debug, Clone)]
pub struct PreparedExport {
    pub export: RawExport,
    /// The download's file name.
    pub file_name: String,
}

/// The XLSX media type without parameters, as an `Accept` names it.
const XLSX_MEDIA: &str = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet";

/// Checks `query` for `caller` (see the module documentation) and says what to export.
/// `accept` is the request's `Accept` header, used when `format` is absent.
pub async fn prepare(
    state: &AppState,
    caller: &Principal,
    query: &ExportQuery,
    accept: Option<&str>,
) -> Result<PreparedExport, ApiError> {
    let q = query;
    // The pipeline reads scores, never raw answers (docs/privacy.md).
    if caller.role == crate::domain::auth::Role::Pipeline {
        return Err(ApiError::Forbidden);
    }
    let agency = readable_agency(state, caller, "agency", required("agency", &q.agency)?).await?;
    let (current, requested) = form_of(state, &q.form, &q.version)?;
    // Closed months only: an export never holds an answer of a month still open.
    let (period, _) = published(state, &period(&q.period, &q.from, &q.to)?).await?;
    let subtree = flag("subtree", &q.subtree)?;
    let by_accept = match accept {
        Some(a) if a.contains("text/csv") => Format::Csv,
        Some(a) if a.contains(XLSX_MEDIA) => Format::Xlsx,
        _ => Format::Json,
    };
    let format = choice(
        "format",
        &q.format,
        by_accept,
        Format::parse,
        "csv, xlsx or json",
    )?;
    let language = choice("lang", &q.lang, Language::Vi, Language::parse, "vi or en")?;
    let part = choice(
        "part",
        &q.part,
        Part::Rows,
        |v| match v {
            "rows" => Some(Part::Rows),
            "comments" => Some(Part::Comments),
            _ => None,
        },
        "rows or comments",
    )?;
    if part == Part::Comments && format == Format::Xlsx {
        return Err(invalid(
            "format",
            "invalid_value",
            "part=comments comes as csv or json",
        ));
    }
    let bom = flag("bom", &q.bom)?;
    if bom && format != Format::Csv {
        return Err(invalid(
            "bom",
            "invalid_value",
            "applies to format=csv only",
        ));
    }

    let members: Vec<ExportAgency> = if subtree {
        agencies::subtree(&state.db, &agency.path)
            .await?
            .into_iter()
            .map(|a| ExportAgency {
                id: a.id,
                code: a.code,
            })
            .collect()
    } else {
        vec![ExportAgency {
            id: agency.id,
            code: agency.code.clone(),
        }]
    };
    let key = current.definition.key();
    let (from, to) = period.month_range();
    let ids: Vec<_> = members.iter().map(|a| a.id).collect();
    let with_data = aggregates::versions_with_data(&state.db, &ids, key, &from, &to).await?;
    let (version, _) = results::choose_version(with_data, requested, current.definition.version());
    let form = state.forms.version(key, version).cloned().ok_or_else(|| {
        unexpected(format!(
            "responses of {key} v{version}, a version not loaded"
        ))
    })?;
    let file_name = raw::file_name(
        &agency.code,
        subtree,
        &form.definition,
        &match part {
            Part::Rows => period.label().to_owned(),
            Part::Comments => format!("{}_comments", period.label()),
        },
        format,
    );
    Ok(PreparedExport {
        export: RawExport {
            agencies: members,
            form,
            months: (from, to),
            format,
            language,
            bom,
            k: state.settings.results.suppress_below,
            part,
        },
        file_name,
    })
}

/// Values the export left blank so that every combination of month, channel, mode and
/// procedure field appears in at least `results.suppress_below` rows.
pub const GENERALISED_HEADER: &str = "x-sipas-generalised-values";
/// Rows the export left out: rare even with every value blank (every row of a month with fewer
/// answers than that, and a few rare rows of larger months).
pub const WITHHELD_HEADER: &str = "x-sipas-withheld-rows";

/// The download of a prepared export: streamed (XLSX with its length), as an attachment,
/// never cached.
pub async fn respond(state: &AppState, prepared: PreparedExport) -> Result<HttpResponse, ApiError> {
    let body = raw::export(state.db.clone(), prepared.export)
        .await
        .map_err(|e| ApiError::Unexpected(anyhow::Error::new(e)))?;
    let disposition =
        HeaderValue::from_str(&format!("attachment; filename=\"{}\"", prepared.file_name))
            .map_err(|e| ApiError::Unexpected(anyhow::Error::new(e)))?;
    let mut res = HttpResponse::Ok();
    res.insert_header((CONTENT_TYPE, body.content_type))
        .insert_header((CONTENT_DISPOSITION, disposition))
        .insert_header((CACHE_CONTROL, "no-store"))
        .insert_header((X_CONTENT_TYPE_OPTIONS, "nosniff"))
        // What k-anonymity cost the file (`domain::anonymity`): said before the first byte.
        .insert_header((GENERALISED_HEADER, body.generalised_values.to_string()))
        .insert_header((WITHHELD_HEADER, body.withheld_rows.to_string()));
    Ok(match body.length {
        Some(length) => res.body(SizedStream::new(length, body.body)),
        None => res.streaming(body.body),
    })
}

/// The anonymous answers of an agency (or its subtree) for one form version and period, closed
/// months only: one row per response with its id, form, agency, procedure field, channel, mode,
/// month and validity, then one column per question except free text. Never a token, dossier
/// code, contact or a time finer than the month. Every combination of month, channel, mode and
/// procedure field appears in at least `results.suppress_below` rows of its agency: rarer
/// values are left blank (`X-Sipas-Generalised-Values` says how many), rows still rare with
/// every value blank are left out (`X-Sipas-Withheld-Rows`).
#[utoipa::path(
    tag = "results",
    params(ExportQuery),
    security(("api_key" = [])),
    responses(
        (status = 200, description = "The rows, streamed, as an attachment", content(
            (String = "text/csv"),
            (String = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
            (String = "application/json")
        )),
        (status = 401, description = "no valid key (`unauthorized`)"),
        (status = 403, description = "a pipeline key, or an agency key asking outside its subtree, whether the agency exists or not (`forbidden`)"),
        (status = 422, description = "a bad parameter, named in `errors` (`validation_failed`), an unknown agency (`unknown_agency`) or form or version (`unknown_form`)"),
    )
)]
#[get("/responses/export")]
pub async fn export_responses(
    caller: Caller,
    req: HttpRequest,
    query: web::Query<ExportQuery>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    let accept = req.headers().get(ACCEPT).and_then(|v| v.to_str().ok());
    let prepared = prepare(&state, &caller, &query, accept).await?;
    respond(&state, prepared).await
}
