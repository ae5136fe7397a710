//! The readers of the per-month rows that results used before the roll-ups (kept until the
//! roll-up read path replaces them; `persistence::rollups`). The months' rows are now the month
//! spans of `score_rollups`: a bucket's compact text is its packed bytes in hexadecimal behind
//! `x1:`, and its "revision" a hash of those bytes (the roll-ups keep no revision), so that the
//! results' memo still sees every change. The dossier counts are read as before.

use std::collections::BTreeMap;
use std::hash::{Hash, Hasher};

use sea_orm::sea_query::Expr;
use sea_orm::{ColumnTrait, ConnectionTrait, DbErr, EntityTrait, QueryFilter, QuerySelect};
use uuid::Uuid;

use super::hex;
use crate::persistence::entities::{dossier_count, score_rollup};

/// Agencies per `IN (…)` list.
const AGENCY_CHUNK: usize = 500;

/// The month spans (`YYYY-MM`) in `from..=to`: not a quarter (`2025-Q1`) or a half (`2025-H1`),
/// which sort after the months of their year.
fn months_between(from: &str, to: &str) -> sea_orm::Condition {
    sea_orm::Condition::all()
        .add(score_rollup::Column::Span.between(from, to))
        .add(score_rollup::Column::Span.not_like("%Q%"))
        .add(score_rollup::Column::Span.not_like("%H%"))
}

/// A stand-in for a row's revision: a hash of its packed counts.
fn revision_of(counts: &[u8]) -> i64 {
    let mut h = std::collections::hash_map::DefaultHasher::new();
    counts.hash(&mut h);
    i64::from_ne_bytes(h.finish().to_ne_bytes())
}

/// One stored bucket, as read for a result.
#[derive(Debug, Clone)]
pub struct BucketRow {
    pub agency_id: Uuid,
    pub period_month: String,
    pub channel: String,
    pub revision: i64,
    pub counts: String,
}

/// The buckets of `agencies` for one version of `form_key` with months in `from..=to`
/// (`YYYY-MM`).
pub async fn buckets(
    db: &impl ConnectionTrait,
    agencies: &[Uuid],
    (form_key, version): (&str, u32),
    from: &str,
    to: &str,
) -> Result<Vec<BucketRow>, DbErr> {
    let version = i32::try_from(version).unwrap_or(i32::MAX);
    let mut out = Vec::new();
    for chunk in agencies.chunks(AGENCY_CHUNK) {
        let rows = score_rollup::Entity::find()
            .filter(score_rollup::Column::AgencyId.is_in(chunk.iter().copied()))
            .filter(score_rollup::Column::FormKey.eq(form_key))
            .filter(score_rollup::Column::FormVersion.eq(version))
            .filter(months_between(from, to))
            .all(db)
            .await?;
        out.extend(rows.into_iter().map(|m| BucketRow {
            agency_id: m.agency_id,
            period_month: m.span,
            channel: m.channel,
            revision: revision_of(&m.counts),
            counts: format!("x1:{}", hex(&m.counts)),
        }));
    }
    Ok(out)
}

/// Which score buckets `buckets` would read, and at which revision, without their counts
/// (answered from the index on the revisions): `(agency, month, channel, revision)`.
pub async fn bucket_revisions(
    db: &impl ConnectionTrait,
    agencies: &[Uuid],
    (form_key, version): (&str, u32),
    from: &str,
    to: &str,
) -> Result<Vec<(Uuid, String, String, i64)>, DbErr> {
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
            .filter(months_between(from, to))
            .into_tuple()
            .all(db)
            .await?;
        out.extend(
            rows.into_iter()
                .map(|(a, m, c, counts)| (a, m, c, revision_of(&counts))),
        );
    }
    Ok(out)
}

pub use crate::domain::aggregates::RevisionSums;

/// The state of what a result of `agencies`, a form and months reads, without reading it.
#[derive(Debug, Clone, Default, PartialEq, Eq, Hash)]
pub struct InputSums {
    /// The score buckets, per form version that has any.
    pub buckets: BTreeMap<i32, RevisionSums>,
    /// The dossier counts.
    pub dossiers: RevisionSums,
    /// The same per agency, for each agency with any row (an agency without is absent).
    pub agencies: BTreeMap<Uuid, AgencySums>,
}

/// One agency's part of [`InputSums`].
#[derive(Debug, Clone, Default, PartialEq, Eq, Hash)]
pub struct AgencySums {
    pub buckets: BTreeMap<i32, RevisionSums>,
    pub dossiers: RevisionSums,
}

/// The [`InputSums`] of `agencies` for `form_key` in months `from..=to`: two aggregate queries
/// per chunk of agencies, grouped by agency, answered from the indexes
/// `ix_dossier_counts_revision` alone for the dossiers (the roll-ups' counts are hashed), so
/// that a result computed earlier — or one agency's list of rows read earlier — can be
/// recognised as still valid in a few milliseconds even for a thousand agencies.
pub async fn input_sums(
    db: &impl ConnectionTrait,
    agencies: &[Uuid],
    form_key: &str,
    from: &str,
    to: &str,
) -> Result<InputSums, DbErr> {
    const ROWS: &str = "CAST(COUNT(*) AS BIGINT)";
    // The moduli of `RevisionSums::MODULI`.
    const SUM_A: &str = "CAST(SUM(revision % 2147483647) AS BIGINT)";
    const SUM_B: &str = "CAST(SUM(revision % 2147483629) AS BIGINT)";
    const _: () =
        assert!(RevisionSums::MODULI.0 == 2147483647 && RevisionSums::MODULI.1 == 2147483629);
    let mut out = InputSums::default();
    for chunk in agencies.chunks(AGENCY_CHUNK) {
        let rows: Vec<(Uuid, i32, Vec<u8>)> = score_rollup::Entity::find()
            .select_only()
            .column(score_rollup::Column::AgencyId)
            .column(score_rollup::Column::FormVersion)
            .column(score_rollup::Column::Counts)
            .filter(score_rollup::Column::AgencyId.is_in(chunk.iter().copied()))
            .filter(score_rollup::Column::FormKey.eq(form_key))
            .filter(months_between(from, to))
            .into_tuple()
            .all(db)
            .await?;
        for (agency, version, counts) in rows {
            let sums = RevisionSums::of_row(revision_of(&counts));
            out.buckets.entry(version).or_default().merge(&sums);
            let mine = out.agencies.entry(agency).or_default();
            mine.buckets.entry(version).or_default().merge(&sums);
        }
        let dossiers: Vec<(Uuid, i64, i64, i64)> = dossier_count::Entity::find()
            .select_only()
            .column(dossier_count::Column::AgencyId)
            .expr_as(Expr::cust(ROWS), "n")
            .expr_as(Expr::cust(SUM_A), "a")
            .expr_as(Expr::cust(SUM_B), "b")
            .filter(dossier_count::Column::AgencyId.is_in(chunk.iter().copied()))
            .filter(dossier_count::Column::FormKey.eq(form_key))
            .filter(dossier_count::Column::PeriodMonth.between(from, to))
            .group_by(dossier_count::Column::AgencyId)
            .into_tuple()
            .all(db)
            .await?;
        for (agency, n, a, b) in dossiers {
            let sums = RevisionSums::from_sql((n, a, b));
            out.dossiers.merge(&sums);
            out.agencies
                .entry(agency)
                .or_default()
                .dossiers
                .merge(&sums);
        }
    }
    Ok(out)
}

/// The versions of `form_key` that `agencies` have responses of in months `from..=to`, each
/// once, ascending (from the buckets, which every stored response creates).
pub async fn versions_with_data(
    db: &impl ConnectionTrait,
    agencies: &[Uuid],
    form_key: &str,
    from: &str,
    to: &str,
) -> Result<Vec<u32>, DbErr> {
    let mut versions = std::collections::BTreeSet::new();
    for chunk in agencies.chunks(AGENCY_CHUNK) {
        let rows: Vec<i32> = score_rollup::Entity::find()
            .select_only()
            .column(score_rollup::Column::FormVersion)
            .distinct()
            .filter(score_rollup::Column::AgencyId.is_in(chunk.iter().copied()))
            .filter(score_rollup::Column::FormKey.eq(form_key))
            .filter(months_between(from, to))
            .into_tuple()
            .all(db)
            .await?;
        versions.extend(rows.into_iter().filter_map(|v| u32::try_from(v).ok()));
    }
    Ok(versions.into_iter().collect())
}

/// Registered dossiers of one agency, month and channel.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct DossierCountRow {
    pub agency_id: Uuid,
    pub period_month: String,
    pub channel: String,
    pub revision: i64,
    pub dossiers: u64,
}

/// The registered-dossier counts of `agencies` for `form_key` with months in `from..=to`.
pub async fn dossier_counts(
    db: &impl ConnectionTrait,
    agencies: &[Uuid],
    form_key: &str,
    from: &str,
    to: &str,
) -> Result<Vec<DossierCountRow>, DbErr> {
    let mut out = Vec::new();
    for chunk in agencies.chunks(AGENCY_CHUNK) {
        // Only the columns a result needs (a province's year is thousands of rows).
        let rows: Vec<(Uuid, String, String, i64, i64)> = dossier_count::Entity::find()
            .select_only()
            .column(dossier_count::Column::AgencyId)
            .column(dossier_count::Column::PeriodMonth)
            .column(dossier_count::Column::Channel)
            .column(dossier_count::Column::Revision)
            .column(dossier_count::Column::Dossiers)
            .filter(dossier_count::Column::AgencyId.is_in(chunk.iter().copied()))
            .filter(dossier_count::Column::FormKey.eq(form_key))
            .filter(dossier_count::Column::PeriodMonth.between(from, to))
            .into_tuple()
            .all(db)
            .await?;
        out.extend(rows.into_iter().map(
            |(agency_id, period_month, channel, revision, dossiers)| DossierCountRow {
                agency_id,
                period_month,
                channel,
                revision,
                dossiers: u64::try_from(dossiers).unwrap_or_default(),
            },
        ));
    }
    Ok(out)
}
