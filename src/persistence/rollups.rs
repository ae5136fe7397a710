//! Reading the roll-ups results are computed from (`score_rollups`, `dossier_rollups`: the
//! closed months of each month, quarter, half and year, `domain::spans`): a result over a period
//! reads the rows of its cover's spans — one to a few per agency and channel, whatever the
//! number of questionnaires. What keeps the roll-ups up to date is in `persistence::aggregates`.
//!
//! Also the registered dossiers of months still open (`dossier_counts`), which results show
//! beside the published figures. Dossiers are read for one form version, the one the result
//! shows: a period that spans two versions counts, beside n of one, that one's dossiers only.

use sea_orm::sea_query::Expr;
use sea_orm::{ColumnTrait, ConnectionTrait, DbErr, EntityTrait, QueryFilter, QuerySelect};
use uuid::Uuid;

use super::entities::{dossier_count, dossier_rollup, score_rollup};

/// Agencies per `IN (…)` list.
const AGENCY_CHUNK: usize = 500;

/// One agency's packed counts of one span and channel.
#[derive(Debug, Clone)]
pub struct ScoreRow {
    pub agency_id: Uuid,
    pub span: String,
    pub channel: String,
    /// `BucketCounts::pack`'s bytes, read with `ScoreShape::add_packed`.
    pub counts: Vec<u8>,
}

/// One agency's registered dossiers of one span and channel.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DossierRow {
    pub agency_id: Uuid,
    pub span: String,
    pub channel: String,
    pub dossiers: u64,
}

/// The score roll-ups of `agencies` for one version of `form_key` in `spans` (stored keys).
pub async fn scores(
    db: &impl ConnectionTrait,
    agencies: &[Uuid],
    (form_key, version): (&str, u32),
    spans: &[String],
) -> Result<Vec<ScoreRow>, DbErr> {
    let version = i32::try_from(version).unwrap_or(i32::MAX);
    let mut out = Vec::new();
    for chunk in agencies.chunks(AGENCY_CHUNK) {
        let rows: Vec<(Uuid, String, String, Vec<u8>)> = score_rollup::Entity::find()
            .select_only()
            .column(score_rollup::Column::AgencyId)
            .column(score_rollup::Column::Span)
            .column(score_rollup::Column::Channel)
            .column(score_rollup::Column::Counts)
            .filter(score_rollup::Column::AgencyId.is_in(chunk.iter().copied()))
            .filter(score_rollup::Column::FormKey.eq(form_key))
            .filter(score_rollup::Column::FormVersion.eq(version))
            .filter(score_rollup::Column::Span.is_in(spans.iter().map(String::as_str)))
            .into_tuple()
            .all(db)
            .await?;
        out.extend(
            rows.into_iter()
                .map(|(agency_id, span, channel, counts)| ScoreRow {
                    agency_id,
                    span,
                    channel,
                    counts,
                }),
        );
    }
    Ok(out)
}

/// The dossier roll-ups of `agencies` for one version of `form_key` in `spans` (stored keys):
/// the dossiers registered with that version, so that N is of the version n is.
pub async fn dossiers(
    db: &impl ConnectionTrait,
    agencies: &[Uuid],
    (form_key, version): (&str, u32),
    spans: &[String],
) -> Result<Vec<DossierRow>, DbErr> {
    let version = i32::try_from(version).unwrap_or(i32::MAX);
    let mut out = Vec::new();
    for chunk in agencies.chunks(AGENCY_CHUNK) {
        let rows: Vec<(Uuid, String, String, i64)> = dossier_rollup::Entity::find()
            .select_only()
            .column(dossier_rollup::Column::AgencyId)
            .column(dossier_rollup::Column::Span)
            .column(dossier_rollup::Column::Channel)
            .column(dossier_rollup::Column::Dossiers)
            .filter(dossier_rollup::Column::AgencyId.is_in(chunk.iter().copied()))
            .filter(dossier_rollup::Column::FormKey.eq(form_key))
            .filter(dossier_rollup::Column::FormVersion.eq(version))
            .filter(dossier_rollup::Column::Span.is_in(spans.iter().map(String::as_str)))
            .into_tuple()
            .all(db)
            .await?;
        out.extend(
            rows.into_iter()
                .map(|(agency_id, span, channel, n)| DossierRow {
                    agency_id,
                    span,
                    channel,
                    dossiers: u64::try_from(n).unwrap_or_default(),
                }),
        );
    }
    Ok(out)
}

/// The versions of `form_key` that `agencies` have responses of in `spans`, each once,
/// ascending.
pub async fn versions(
    db: &impl ConnectionTrait,
    agencies: &[Uuid],
    form_key: &str,
    spans: &[String],
) -> Result<Vec<u32>, DbErr> {
    let mut versions = std::collections::BTreeSet::new();
    for chunk in agencies.chunks(AGENCY_CHUNK) {
        let rows: Vec<i32> = score_rollup::Entity::find()
            .select_only()
            .column(score_rollup::Column::FormVersion)
            .distinct()
            .filter(score_rollup::Column::AgencyId.is_in(chunk.iter().copied()))
            .filter(score_rollup::Column::FormKey.eq(form_key))
            .filter(score_rollup::Column::Span.is_in(spans.iter().map(String::as_str)))
            .into_tuple()
            .all(db)
            .await?;
        versions.extend(rows.into_iter().filter_map(|v| u32::try_from(v).ok()));
    }
    Ok(versions.into_iter().collect())
}

/// The dossiers `agencies` registered for one version of `form_key` in months `from..=to`
/// (`YYYY-MM`), open months included: counted as they are registered (`dossier_counts`).
pub async fn registered_in_months(
    db: &impl ConnectionTrait,
    agencies: &[Uuid],
    (form_key, version): (&str, u32),
    (from, to): (&str, &str),
) -> Result<u64, DbErr> {
    let version = i32::try_from(version).unwrap_or(i32::MAX);
    let mut total = 0;
    for chunk in agencies.chunks(AGENCY_CHUNK) {
        let sum: Option<i64> = dossier_count::Entity::find()
            .select_only()
            .expr(Expr::cust("CAST(COALESCE(SUM(dossiers), 0) AS BIGINT)"))
            .filter(dossier_count::Column::AgencyId.is_in(chunk.iter().copied()))
            .filter(dossier_count::Column::FormKey.eq(form_key))
            .filter(dossier_count::Column::FormVersion.eq(version))
            .filter(dossier_count::Column::PeriodMonth.between(from, to))
            .into_tuple()
            .one(db)
            .await?;
        total += sum.and_then(|n| u64::try_from(n).ok()).unwrap_or_default();
    }
    Ok(total)
}
