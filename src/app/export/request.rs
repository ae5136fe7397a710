//! Checking an export request (`GET /api/v1/responses/export`, and the officer pages' downloads)
//! and saying what to export: who may read which agency (an agency key its subtree, admin keys
//! every agency, pipeline keys no raw answers), which form version (`version=N`, or the newest
//! with responses in the period, as results choose), which closed months, and the file's shape
//! (`format` or `Accept`, `lang`, `part`, `bom`). Every bad parameter is a 422 naming it, through
//! the same helpers as the results requests (`app::results::request`).

use std::collections::HashMap;

use uuid::Uuid;

use crate::app::results::request::{choice, flag, form_of, invalid, period, required};
use crate::app::results::{self, published, readable_agency, unexpected};
use crate::domain::agencies::Agency;
use crate::domain::agency_history::Member;
use crate::domain::auth::{Principal, Role};
use crate::domain::lang::Lang;
use crate::domain::periods::Period;
use crate::domain::results as domain_results;
use crate::domain::spans::{Span, cover};
use crate::error::ApiError;
use crate::export::raw::{self, ExportAgency, Format, Part, RawExport};
use crate::persistence::{agencies, agency_history, rollups};

/// Query of `GET /api/v1/responses/export`.
#[derive(Debug, Default, Clone, serde::Deserialize, utoipa::IntoParams)]
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
    /// The agency asked for, and whether its subtree is included (for the audit log).
    pub agency_code: String,
    pub subtree: bool,
}

/// The XLSX media type without parameters, as an `Accept` names it.
const XLSX_MEDIA: &str = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet";

/// Checks `query` for `caller` (see the module documentation) and says what to export.
/// `accept` is the request's `Accept` header, used when `format` is absent.
pub async fn prepare(
    cx: &results::Context<'_>,
    caller: &Principal,
    query: &ExportQuery,
    accept: Option<&str>,
) -> Result<PreparedExport, ApiError> {
    let q = query;
    // The pipeline reads scores, never raw answers (docs/privacy.md).
    if caller.role == Role::Pipeline {
        return Err(ApiError::Forbidden);
    }
    let agency = readable_agency(cx.db, caller, "agency", required("agency", &q.agency)?).await?;
    let (current, requested) = form_of(cx.forms, &q.form, &q.version)?;
    // Closed months only: an export never holds an answer of a month still open.
    let asked = period(&q.period, &q.from, &q.to)?;
    let (period, _) = published(cx.db, &asked).await?;
    let subtree = flag("subtree", &q.subtree)?;
    let (format, language, part, bom) = file_shape(q, accept)?;
    let members = members(cx.db, &agency, subtree, &asked).await?;
    let key = current.definition.key();
    let (from, to) = period.month_range();
    let ids: Vec<_> = members.iter().map(|a| a.id).collect();
    let spans: Vec<String> = (cover(period.first(), period.last()).iter())
        .map(Span::key)
        .collect();
    let with_data = match spans.is_empty() {
        true => Vec::new(),
        false => rollups::versions(cx.db, &ids, key, &spans).await?,
    };
    let (version, _) =
        domain_results::choose_version(with_data, requested, current.definition.version());
    let form = cx.forms.version(key, version).cloned().ok_or_else(|| {
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
            k: cx.results.suppress_below,
            part,
        },
        file_name,
        agency_code: agency.code.clone(),
        subtree,
    })
}

/// The file asked for: format (by `format`, else by `Accept`), header language, part, and
/// whether a CSV starts with a byte-order mark.
fn file_shape(
    q: &ExportQuery,
    accept: Option<&str>,
) -> Result<(Format, Lang, Part, bool), ApiError> {
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
    let language = choice("lang", &q.lang, Lang::Vi, Lang::from_code, "vi or en")?;
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
    Ok((format, language, part, bom))
}

/// The agencies exported: `agency`, and with `subtree` every agency below it in some month of
/// `period`, in the hierarchy of that month (issue 21) — an agency below it for part of the
/// period with those months only — by code.
async fn members(
    db: &sea_orm::DatabaseConnection,
    agency: &Agency,
    subtree: bool,
    period: &Period,
) -> Result<Vec<ExportAgency>, ApiError> {
    if !subtree {
        return Ok(vec![ExportAgency {
            id: agency.id,
            code: agency.code.clone(),
            months: None,
        }]);
    }
    let hierarchy = agency_history::load(db).await?;
    let members: HashMap<Uuid, Member> = (hierarchy
        .members_during(agency.id, (period.first(), period.last())))
    .into_iter()
    .map(|m| (m.agency, m))
    .collect();
    Ok((agencies::list_all(db, None).await?.into_iter())
        .filter_map(|a| {
            let m = members.get(&a.id)?;
            Some(ExportAgency {
                id: a.id,
                code: a.code,
                months: m.months.as_ref().map(|runs| {
                    (runs.iter())
                        .map(|(f, l)| (f.to_string(), l.to_string()))
                        .collect()
                }),
            })
        })
        .collect())
}
