//! The incremental aggregates behind every result (`domain::aggregates`): score buckets, updated
//! in the transaction that stores responses, and dossier counts, updated in the transaction that
//! registers dossiers. Results read a few buckets per agency and month and never the responses;
//! [`rebuild`] recomputes both tables from the raw rows (`sipas scores rebuild`).
//!
//! Concurrency: a bucket is updated read-modify-write. On SQLite the writer already holds the
//! database's write lock (its transaction has written before it gets here); on PostgreSQL the
//! row is created if missing and then locked (`SELECT … FOR UPDATE`), in key order, so two nodes
//! updating the same bucket serialise instead of losing counts.

use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;

use chrono::{DateTime, Utc};
use futures_util::TryStreamExt;
use sea_orm::sea_query::{
    Alias, Expr, ExprTrait, IntoIden, OnConflict, Query, TableRef, ValueTuple,
};
use sea_orm::{
    ActiveValue::Set, ColumnTrait, ConnectionTrait, DatabaseBackend, DatabaseConnection,
    DatabaseTransaction, DbErr, EntityTrait, QueryFilter, QueryOrder, QuerySelect,
};
use uuid::Uuid;

use super::entities::{dossier_count, response, score_bucket};
use crate::domain::aggregates::{BucketCounts, Contribution, ScoreShape};
use crate::domain::dossiers::{VIETNAM_OFFSET_SECS, period_month};
use crate::domain::forms::PublishedForms;

/// Agency, form key, form version, month, channel.
type BucketKey = (Uuid, String, i32, String, String);

/// Agencies per `IN (…)` list.
const AGENCY_CHUNK: usize = 500;
/// Buckets per statement when applying a batch (6 parameters each).
const BUCKET_CHUNK: usize = 256;

fn corrupt(key: &BucketKey) -> DbErr {
    DbErr::Type(format!(
        "score bucket {} {} v{} {} {} does not fit its form version",
        key.0, key.1, key.2, key.3, key.4
    ))
}

/// What one response adds to its score bucket: the bucket's key, the layout of its form
/// version's buckets and the counts it adds.
#[derive(Debug, Clone, Copy)]
pub struct Counted<'a> {
    pub agency_id: Uuid,
    pub form_key: &'a str,
    pub form_version: i32,
    pub period_month: &'a str,
    pub channel: &'a str,
    pub score: &'a Arc<ScoreShape>,
    pub contribution: &'a Contribution,
}

/// Adds responses published in this transaction to their buckets — late entries of closed
/// months as they are stored, a month's answers when it closes (`app::months`) — in three
/// statements whatever the number of buckets: create the missing ones (`INSERT … ON CONFLICT
/// DO NOTHING`), read them all (locked on PostgreSQL), write them all (`UPDATE … FROM (VALUES
/// …)`).
pub async fn apply(
    db: &impl ConnectionTrait,
    counted: impl IntoIterator<Item = Counted<'_>>,
) -> Result<(), DbErr> {
    let groups = group(counted);
    if groups.is_empty() {
        return Ok(());
    }
    // Every node inserts in key order and then locks in key order, so two nodes updating the
    // same buckets wait for each other instead of deadlocking (an existing row is not locked
    // by `ON CONFLICT DO NOTHING`).
    create_missing(db, &groups).await?;
    let updated = add_to_stored(db, &groups).await?;
    if updated.len() != groups.len() {
        return Err(DbErr::RecordNotFound(format!(
            "{} of {} score buckets",
            groups.len() - updated.len(),
            groups.len()
        )));
    }
    write_counts(db, &updated).await
}

/// The contributions of a batch by bucket, in key order, each with its form version's shape.
type Groups<'c> = BTreeMap<BucketKey, (Arc<ScoreShape>, Vec<&'c Contribution>)>;

/// Groups the contributions of a batch by bucket.
fn group<'c>(counted: impl IntoIterator<Item = Counted<'c>>) -> Groups<'c> {
    let mut groups: Groups<'c> = BTreeMap::new();
    for r in counted {
        let key = (
            r.agency_id,
            r.form_key.to_owned(),
            r.form_version,
            r.period_month.to_owned(),
            r.channel.to_owned(),
        );
        groups
            .entry(key)
            .or_insert_with(|| (r.score.clone(), Vec::new()))
            .1
            .push(r.contribution);
    }
    groups
}

/// Creates the buckets of `groups` that do not exist yet, empty, in key order.
async fn create_missing(db: &impl ConnectionTrait, groups: &Groups<'_>) -> Result<(), DbErr> {
    let mut empty: HashMap<(String, i32), String> = HashMap::new();
    let fresh: Vec<score_bucket::ActiveModel> = groups
        .iter()
        .map(|(key, (shape, _))| {
            let counts = empty
                .entry((key.1.clone(), key.2))
                .or_insert_with(|| shape.empty().encode())
                .clone();
            bucket_row(key.clone(), counts)
        })
        .collect();
    for chunk in fresh.chunks(BUCKET_CHUNK) {
        score_bucket::Entity::insert_many(chunk.to_vec())
            .on_conflict_do_nothing()
            .exec_without_returning(db)
            .await?;
    }
    Ok(())
}

/// Reads the buckets of `groups` (locked on PostgreSQL, in key order) and adds their
/// contributions: the rows to write, `(key…, counts, revision)` each.
async fn add_to_stored(
    db: &impl ConnectionTrait,
    groups: &Groups<'_>,
) -> Result<Vec<ValueTuple>, DbErr> {
    let keys: Vec<&BucketKey> = groups.keys().collect();
    let mut updated: Vec<ValueTuple> = Vec::with_capacity(keys.len());
    for chunk in keys.chunks(BUCKET_CHUNK) {
        let mut select = score_bucket::Entity::find()
            .filter(chunk.iter().fold(sea_orm::Condition::any(), |any, key| {
                any.add(bucket_filter(key))
            }))
            .order_by_asc(score_bucket::Column::AgencyId)
            .order_by_asc(score_bucket::Column::FormKey)
            .order_by_asc(score_bucket::Column::FormVersion)
            .order_by_asc(score_bucket::Column::PeriodMonth)
            .order_by_asc(score_bucket::Column::Channel);
        if db.get_database_backend() == DatabaseBackend::Postgres {
            select = select.lock_exclusive();
        }
        for row in select.all(db).await? {
            let key = (
                row.agency_id,
                row.form_key,
                row.form_version,
                row.period_month,
                row.channel,
            );
            let Some((shape, contributions)) = groups.get(&key) else {
                continue;
            };
            let mut counts = shape.decode(&row.counts).map_err(|_| corrupt(&key))?;
            for c in contributions {
                counts.add(c);
            }
            updated.push(ValueTuple::Many(vec![
                key.0.into(),
                key.1.into(),
                key.2.into(),
                key.3.into(),
                key.4.into(),
                counts.encode().into(),
                new_revision().into(),
            ]));
        }
    }
    Ok(updated)
}

/// Writes the new counts and revisions of buckets, `BUCKET_CHUNK` per `UPDATE … FROM
/// (VALUES …)`.
async fn write_counts(db: &impl ConnectionTrait, updated: &[ValueTuple]) -> Result<(), DbErr> {
    let v = Alias::new("v");
    let col = |c: &str| Expr::col((v.clone(), Alias::new(c)));
    let t = |c: &str| Expr::col(("score_buckets", Alias::new(c)));
    for chunk in updated.chunks(BUCKET_CHUNK) {
        let mut rows = chunk.to_vec();
        // Padding to a power of two (rows of the nil agency, which match nothing) keeps the
        // number of statement texts small, so they stay prepared.
        rows.resize(
            chunk.len().next_power_of_two(),
            ValueTuple::Many(vec![
                Uuid::nil().into(),
                "".into(),
                0_i32.into(),
                "".into(),
                "".into(),
                "".into(),
                0_i64.into(),
            ]),
        );
        let update = Query::update()
            .table("score_buckets")
            .value("counts", col("column6"))
            .value("revision", col("column7"))
            .from(TableRef::ValuesList(rows, v.clone().into_iden()))
            .and_where(t("agency_id").eq(col("column1")))
            .and_where(t("form_key").eq(col("column2")))
            .and_where(t("form_version").eq(col("column3")))
            .and_where(t("period_month").eq(col("column4")))
            .and_where(t("channel").eq(col("column5")))
            .to_owned();
        db.execute(&update).await?;
    }
    Ok(())
}

/// A new score bucket row.
fn bucket_row(key: BucketKey, counts: String) -> score_bucket::ActiveModel {
    score_bucket::ActiveModel {
        agency_id: Set(key.0),
        form_key: Set(key.1),
        form_version: Set(key.2),
        period_month: Set(key.3),
        channel: Set(key.4),
        counts: Set(counts),
        revision: Set(new_revision()),
    }
}

/// A new dossier count row: `(agency, form key, month, channel)` and the number of dossiers.
fn dossier_count_row(
    (agency, form, month, channel): (Uuid, String, String, String),
    dossiers: i64,
) -> dossier_count::ActiveModel {
    dossier_count::ActiveModel {
        agency_id: Set(agency),
        form_key: Set(form),
        period_month: Set(month),
        channel: Set(channel),
        dossiers: Set(dossiers),
        revision: Set(new_revision()),
    }
}

/// A row's new revision (see the migration `score_bucket_revisions`): random, so that no later
/// write, a rebuild's included, gives a row a revision it had before; one per row, so that rows
/// written together cannot be told apart from rows written apart.
fn new_revision() -> i64 {
    let [a, b, c, d, e, f, g, h, ..] = *Uuid::new_v4().as_bytes();
    i64::from_be_bytes([a, b, c, d, e, f, g, h])
}

fn bucket_filter(key: &BucketKey) -> sea_orm::Condition {
    sea_orm::Condition::all()
        .add(score_bucket::Column::AgencyId.eq(key.0))
        .add(score_bucket::Column::FormKey.eq(key.1.as_str()))
        .add(score_bucket::Column::FormVersion.eq(key.2))
        .add(score_bucket::Column::PeriodMonth.eq(key.3.as_str()))
        .add(score_bucket::Column::Channel.eq(key.4.as_str()))
}

/// Counts newly registered dossiers: `(agency, form key, completion time, channel)` each.
pub async fn count_dossiers<'a>(
    db: &impl ConnectionTrait,
    dossiers: impl IntoIterator<Item = (Uuid, &'a str, DateTime<Utc>, &'a str)>,
) -> Result<(), DbErr> {
    let mut counts: BTreeMap<(Uuid, &str, String, &str), i64> = BTreeMap::new();
    for (agency, form, completed_at, channel) in dossiers {
        *counts
            .entry((agency, form, period_month(completed_at), channel))
            .or_default() += 1;
    }
    let rows: Vec<dossier_count::ActiveModel> = counts
        .into_iter()
        .map(|((agency, form, month, channel), n)| {
            dossier_count_row((agency, form.to_owned(), month, channel.to_owned()), n)
        })
        .collect();
    for chunk in rows.chunks(1_000) {
        dossier_count::Entity::insert_many(chunk.to_vec())
            .on_conflict(
                OnConflict::columns([
                    dossier_count::Column::AgencyId,
                    dossier_count::Column::FormKey,
                    dossier_count::Column::PeriodMonth,
                    dossier_count::Column::Channel,
                ])
                .value(
                    dossier_count::Column::Dossiers,
                    Expr::cust("dossier_counts.dossiers + excluded.dossiers"),
                )
                .update_column(dossier_count::Column::Revision)
                .to_owned(),
            )
            .exec_without_returning(db)
            .await?;
    }
    Ok(())
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
        let rows = score_bucket::Entity::find()
            .filter(score_bucket::Column::AgencyId.is_in(chunk.iter().copied()))
            .filter(score_bucket::Column::FormKey.eq(form_key))
            .filter(score_bucket::Column::FormVersion.eq(version))
            .filter(score_bucket::Column::PeriodMonth.between(from, to))
            .all(db)
            .await?;
        out.extend(rows.into_iter().map(|m| BucketRow {
            agency_id: m.agency_id,
            period_month: m.period_month,
            channel: m.channel,
            revision: m.revision,
            counts: m.counts,
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
        let rows: Vec<(Uuid, String, String, i64)> = score_bucket::Entity::find()
            .select_only()
            .column(score_bucket::Column::AgencyId)
            .column(score_bucket::Column::PeriodMonth)
            .column(score_bucket::Column::Channel)
            .column(score_bucket::Column::Revision)
            .filter(score_bucket::Column::AgencyId.is_in(chunk.iter().copied()))
            .filter(score_bucket::Column::FormKey.eq(form_key))
            .filter(score_bucket::Column::FormVersion.eq(version))
            .filter(score_bucket::Column::PeriodMonth.between(from, to))
            .into_tuple()
            .all(db)
            .await?;
        out.extend(rows);
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
/// `ix_score_buckets_revision` and `ix_dossier_counts_revision` alone (no counts are read), so
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
        let rows: Vec<(Uuid, i32, i64, i64, i64)> = score_bucket::Entity::find()
            .select_only()
            .column(score_bucket::Column::AgencyId)
            .column(score_bucket::Column::FormVersion)
            .expr_as(Expr::cust(ROWS), "n")
            .expr_as(Expr::cust(SUM_A), "a")
            .expr_as(Expr::cust(SUM_B), "b")
            .filter(score_bucket::Column::AgencyId.is_in(chunk.iter().copied()))
            .filter(score_bucket::Column::FormKey.eq(form_key))
            .filter(score_bucket::Column::PeriodMonth.between(from, to))
            .group_by(score_bucket::Column::AgencyId)
            .group_by(score_bucket::Column::FormVersion)
            .into_tuple()
            .all(db)
            .await?;
        for (agency, version, n, a, b) in rows {
            let sums = RevisionSums::from_sql((n, a, b));
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
        let rows: Vec<i32> = score_bucket::Entity::find()
            .select_only()
            .column(score_bucket::Column::FormVersion)
            .distinct()
            .filter(score_bucket::Column::AgencyId.is_in(chunk.iter().copied()))
            .filter(score_bucket::Column::FormKey.eq(form_key))
            .filter(score_bucket::Column::PeriodMonth.between(from, to))
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

/// What a rebuild found.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct RebuildReport {
    pub responses: u64,
    pub buckets: u64,
    pub dossiers: u64,
    pub dossier_counts: u64,
}

/// Recomputes every bucket and dossier count from the raw rows, in one transaction (readers see
/// the old or the new aggregates, never a mix). Counts are integers, so the result is
/// bit-identical to what the incremental updates produced, whatever order the rows are read in:
/// both tables are read in one pass each, in storage order, only the columns that count (the
/// answers through `ScoreShape::stored_contribution`, which reads just the satisfaction items).
///
/// # Errors
/// A database error, or a response of a form version that is not loaded or whose stored
/// answers cannot be read.
pub async fn rebuild(
    db: &DatabaseConnection,
    forms: &PublishedForms,
) -> Result<RebuildReport, DbErr> {
    let txn = crate::persistence::begin_write(db).await?;
    score_bucket::Entity::delete_many().exec(&txn).await?;
    dossier_count::Entity::delete_many().exec(&txn).await?;
    let (responses, buckets) = count_responses(&txn, forms).await?;
    let buckets = insert_buckets(&txn, buckets).await?;
    let (dossiers, dossier_counts) = rebuild_dossier_counts(&txn).await?;
    txn.commit().await?;
    Ok(RebuildReport {
        responses,
        buckets,
        dossiers,
        dossier_counts,
    })
}

/// Every response's contribution, added up by bucket: the number of responses and the buckets.
async fn count_responses(
    txn: &DatabaseTransaction,
    forms: &PublishedForms,
) -> Result<(u64, HashMap<BucketKey, BucketCounts>), DbErr> {
    let mut responses = 0;
    let mut buckets: HashMap<BucketKey, BucketCounts> = HashMap::new();
    let mut shapes: Vec<(String, i32, Arc<ScoreShape>)> = Vec::new();
    let mut rows = response::Entity::find()
        .select_only()
        .columns([
            response::Column::Id,
            response::Column::AgencyId,
            response::Column::FormKey,
            response::Column::FormVersion,
            response::Column::PeriodMonth,
            response::Column::Channel,
            response::Column::Valid,
            response::Column::Answers,
        ])
        .into_tuple::<(Uuid, Uuid, String, i32, String, String, bool, String)>()
        .stream(txn)
        .await?;
    while let Some((id, agency, form_key, version, month, channel, valid, answers)) =
        rows.try_next().await?
    {
        responses += 1;
        let shape = shape_of(&mut shapes, forms, &form_key, version)?;
        let contribution = shape
            .stored_contribution(&answers, valid)
            .map_err(|e| DbErr::Custom(format!("response {id}: answers: {e}")))?;
        buckets
            .entry((agency, form_key, version, month, channel))
            .or_insert_with(|| shape.empty())
            .add(&contribution);
    }
    Ok((responses, buckets))
}

/// The shape of a form version, from the ones met so far (`shapes`) or the loaded forms.
fn shape_of(
    shapes: &mut Vec<(String, i32, Arc<ScoreShape>)>,
    forms: &PublishedForms,
    form_key: &str,
    version: i32,
) -> Result<Arc<ScoreShape>, DbErr> {
    if let Some((_, _, s)) = shapes
        .iter()
        .find(|(k, v, _)| *k == form_key && *v == version)
    {
        return Ok(s.clone());
    }
    let form = forms
        .version(form_key, u32::try_from(version).unwrap_or_default())
        .ok_or_else(|| {
            DbErr::Custom(format!(
                "responses of {form_key} v{version} exist, but that form \
                 version is not loaded"
            ))
        })?;
    shapes.push((form_key.to_owned(), version, form.score.clone()));
    Ok(form.score.clone())
}

/// Stores rebuilt buckets, 500 per statement; returns how many.
async fn insert_buckets(
    txn: &DatabaseTransaction,
    buckets: HashMap<BucketKey, BucketCounts>,
) -> Result<u64, DbErr> {
    let mut rows: Vec<score_bucket::ActiveModel> = buckets
        .into_iter()
        .map(|(key, counts)| bucket_row(key, counts.encode()))
        .collect();
    let stored = rows.len() as u64;
    while !rows.is_empty() {
        let chunk: Vec<_> = rows.drain(..rows.len().min(500)).collect();
        score_bucket::Entity::insert_many(chunk)
            .exec_without_returning(txn)
            .await?;
    }
    Ok(stored)
}

/// Counts the registered dossiers again, those retention deleted included, and stores the
/// counts: returns the number of dossiers and of count rows.
async fn rebuild_dossier_counts(txn: &DatabaseTransaction) -> Result<(u64, u64), DbErr> {
    let mut counts = dossier_counts_by_month(txn).await?;
    // The dossiers retention deleted are still counted in the published figures.
    for (key, n) in super::retention::retained_counts(txn).await? {
        *counts.entry(key).or_default() += n;
    }
    let dossiers = counts
        .values()
        .map(|n| u64::try_from(*n).unwrap_or_default())
        .sum();
    let rows: Vec<dossier_count::ActiveModel> = counts
        .into_iter()
        .map(|(key, n)| dossier_count_row(key, n))
        .collect();
    for chunk in rows.chunks(1_000) {
        dossier_count::Entity::insert_many(chunk.to_vec())
            .exec_without_returning(txn)
            .await?;
    }
    Ok((dossiers, rows.len() as u64))
}

/// The registered dossiers per agency, form, month (of completion, in Vietnam time) and channel,
/// counted by the database in one `GROUP BY` rather than row by row. The month is computed in
/// SQL the way `domain::dossiers::period_month` computes it — the UTC time shifted by
/// [`VIETNAM_OFFSET_SECS`], formatted `YYYY-MM` — on each backend (tested at month boundaries).
async fn dossier_counts_by_month(
    db: &impl ConnectionTrait,
) -> Result<super::retention::Counts, DbErr> {
    let backend = db.get_database_backend();
    let month = match backend {
        DatabaseBackend::Postgres => format!(
            "to_char((completed_at AT TIME ZONE 'UTC') + INTERVAL '{VIETNAM_OFFSET_SECS} seconds', 'YYYY-MM')"
        ),
        _ => format!("strftime('%Y-%m', completed_at, '+{VIETNAM_OFFSET_SECS} seconds')"),
    };
    let sql = format!(
        "SELECT agency_id, form_key, {month} AS period_month, channel, COUNT(*) AS n \
         FROM dossiers GROUP BY agency_id, form_key, {month}, channel"
    );
    super::retention::query_counts(db, &sql, "n").await
}

/// Every stored bucket and dossier count as text, in key order (for tests and checks that a
/// rebuild changed nothing).
pub async fn snapshot(db: &impl ConnectionTrait) -> Result<Vec<String>, DbErr> {
    let mut out: Vec<String> = score_bucket::Entity::find()
        .all(db)
        .await?
        .into_iter()
        .map(|m| {
            format!(
                "bucket {} {} {} {} {} {}",
                m.agency_id, m.form_key, m.form_version, m.period_month, m.channel, m.counts
            )
        })
        .collect();
    out.extend(
        dossier_count::Entity::find()
            .all(db)
            .await?
            .into_iter()
            .map(|m| {
                format!(
                    "dossiers {} {} {} {} {}",
                    m.agency_id, m.form_key, m.period_month, m.channel, m.dossiers
                )
            }),
    );
    out.sort();
    Ok(out)
}
