//! The incremental updates of the aggregates (see the rule in the parent module): answers
//! published in a transaction ([`apply`]), dossiers registered ([`count_dossiers`]) and the
//! dossiers of months being closed ([`roll_up_closed_dossiers`]).
//!
//! Concurrency: a roll-up is updated read-modify-write. On SQLite the writer already holds the
//! database's write lock (`BEGIN IMMEDIATE`); on PostgreSQL the rows are created if missing and
//! then locked (`SELECT … FOR UPDATE`), in key order, so two nodes updating the same roll-up
//! serialise instead of losing counts. The dossier roll-ups are added to in one statement each
//! (`ON CONFLICT DO UPDATE SET dossiers = dossiers + excluded.dossiers`), which PostgreSQL
//! serialises on the row itself.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::sync::Arc;

use chrono::{DateTime, Utc};
use sea_orm::sea_query::{
    Alias, Expr, ExprTrait, IntoIden, OnConflict, Query, TableRef, ValueTuple,
};
use sea_orm::{
    ActiveValue::Set, ColumnTrait, ConnectionTrait, DatabaseBackend, DbErr, EntityTrait,
    QueryFilter, QueryOrder, QuerySelect, Statement,
};
use uuid::Uuid;

use super::{BucketKey, DossierKey, Rollups, add_dossiers_to_spans, add_to_spans};
use crate::domain::aggregates::{BucketCounts, Contribution, ScoreShape};
use crate::domain::dossiers::period_month;
use crate::domain::periods::Month;
use crate::domain::spans::Span;
use crate::persistence::entities::{dossier_count, dossier_rollup, score_rollup};
use crate::persistence::months::{self, Locker};

/// Roll-ups per statement when applying a batch (6 parameters each).
const ROLLUP_CHUNK: usize = 256;

/// What one response adds to the roll-ups: its month's key, the layout of its form version's
/// buckets and the counts it adds.
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

/// Adds answers published in this transaction — late entries of closed months as they are
/// stored, a month's answers when it closes (`app::months`) — to the four spans of their
/// month, in three statements whatever the number of roll-ups: create the missing ones (`INSERT
/// … ON CONFLICT DO NOTHING`), read them all (locked on PostgreSQL), write them all (`UPDATE …
/// FROM (VALUES …)`). Each list is padded to a power of two so that the statements' texts stay
/// few, and prepared.
pub async fn apply(
    db: &impl ConnectionTrait,
    counted: impl IntoIterator<Item = Counted<'_>>,
) -> Result<(), DbErr> {
    let mut rollups = Rollups::new();
    for (key, (shape, month)) in by_month(counted) {
        add_to_spans(&mut rollups, &key, &shape, &month)?;
    }
    if rollups.is_empty() {
        return Ok(());
    }
    // Every node inserts in key order and then locks in key order, so two nodes updating the
    // same roll-ups wait for each other instead of deadlocking (an existing row is not locked
    // by `ON CONFLICT DO NOTHING`).
    create_missing(db, &rollups).await?;
    let updated = add_to_stored(db, &rollups).await?;
    if updated.len() != rollups.len() {
        return Err(DbErr::RecordNotFound(format!(
            "{} of {} score roll-ups",
            rollups.len() - updated.len(),
            rollups.len()
        )));
    }
    write_counts(db, &updated).await
}

/// The contributions of a batch added up by month bucket.
fn by_month<'c>(
    counted: impl IntoIterator<Item = Counted<'c>>,
) -> BTreeMap<BucketKey, (Arc<ScoreShape>, BucketCounts)> {
    let mut months: BTreeMap<BucketKey, (Arc<ScoreShape>, BucketCounts)> = BTreeMap::new();
    for r in counted {
        let key = (
            r.agency_id,
            r.form_key.to_owned(),
            r.form_version,
            r.period_month.to_owned(),
            r.channel.to_owned(),
        );
        months
            .entry(key)
            .or_insert_with(|| (r.score.clone(), r.score.empty()))
            .1
            .add(r.contribution);
    }
    months
}

/// `rows` padded to the next power of two with copies of the first (for statements whose
/// repeated rows change nothing).
fn padded<T: Clone>(rows: &[T]) -> Vec<T> {
    let mut out = rows.to_vec();
    if let Some(first) = rows.first() {
        out.resize(rows.len().next_power_of_two(), first.clone());
    }
    out
}

/// Creates the roll-ups that do not exist yet, empty, in key order.
async fn create_missing(db: &impl ConnectionTrait, rollups: &Rollups) -> Result<(), DbErr> {
    let mut empty: HashMap<(&str, i32), Vec<u8>> = HashMap::new();
    let fresh: Vec<score_rollup::ActiveModel> = rollups
        .iter()
        .map(|(key, (shape, _))| {
            let counts = empty
                .entry((key.1.as_str(), key.2))
                .or_insert_with(|| shape.empty().pack())
                .clone();
            rollup_row(key.clone(), counts)
        })
        .collect();
    for chunk in fresh.chunks(ROLLUP_CHUNK) {
        // A repeated row conflicts with its first copy and is skipped.
        score_rollup::Entity::insert_many(padded(chunk))
            .on_conflict_do_nothing()
            .exec_without_returning(db)
            .await?;
    }
    Ok(())
}

/// Reads the roll-ups (locked on PostgreSQL, in key order) and adds the new counts: the rows to
/// write, `(key…, counts)` each.
async fn add_to_stored(
    db: &impl ConnectionTrait,
    rollups: &Rollups,
) -> Result<Vec<ValueTuple>, DbErr> {
    let keys: Vec<&BucketKey> = rollups.keys().collect();
    let mut updated: Vec<ValueTuple> = Vec::with_capacity(keys.len());
    for chunk in keys.chunks(ROLLUP_CHUNK) {
        let mut select = score_rollup::Entity::find()
            .filter(
                padded(chunk)
                    .iter()
                    .fold(sea_orm::Condition::any(), |any, key| {
                        any.add(rollup_filter(key))
                    }),
            )
            .order_by_asc(score_rollup::Column::AgencyId)
            .order_by_asc(score_rollup::Column::FormKey)
            .order_by_asc(score_rollup::Column::FormVersion)
            .order_by_asc(score_rollup::Column::Span)
            .order_by_asc(score_rollup::Column::Channel);
        if db.get_database_backend() == DatabaseBackend::Postgres {
            select = select.lock_exclusive();
        }
        for row in select.all(db).await? {
            let key = (
                row.agency_id,
                row.form_key,
                row.form_version,
                row.span,
                row.channel,
            );
            let Some((shape, new)) = rollups.get(&key) else {
                continue;
            };
            let mut counts = new.clone();
            shape
                .add_packed(&row.counts, &mut counts)
                .map_err(|_| corrupt(&key))?;
            updated.push(ValueTuple::Many(vec![
                key.0.into(),
                key.1.into(),
                key.2.into(),
                key.3.into(),
                key.4.into(),
                counts.pack().into(),
            ]));
        }
    }
    Ok(updated)
}

fn corrupt(key: &BucketKey) -> DbErr {
    DbErr::Type(format!(
        "score roll-up {} {} v{} {} {} does not fit its form version",
        key.0, key.1, key.2, key.3, key.4
    ))
}

/// Writes the new counts of roll-ups, `ROLLUP_CHUNK` per `UPDATE … FROM (VALUES …)`.
async fn write_counts(db: &impl ConnectionTrait, updated: &[ValueTuple]) -> Result<(), DbErr> {
    let v = Alias::new("v");
    let col = |c: &str| Expr::col((v.clone(), Alias::new(c)));
    let t = |c: &str| Expr::col(("score_rollups", Alias::new(c)));
    for chunk in updated.chunks(ROLLUP_CHUNK) {
        let update = Query::update()
            .table("score_rollups")
            .value("counts", col("column6"))
            .from(TableRef::ValuesList(padded(chunk), v.clone().into_iden()))
            .and_where(t("agency_id").eq(col("column1")))
            .and_where(t("form_key").eq(col("column2")))
            .and_where(t("form_version").eq(col("column3")))
            .and_where(t("span").eq(col("column4")))
            .and_where(t("channel").eq(col("column5")))
            .to_owned();
        db.execute(&update).await?;
    }
    Ok(())
}

/// A new score roll-up row.
pub(super) fn rollup_row(key: BucketKey, counts: Vec<u8>) -> score_rollup::ActiveModel {
    score_rollup::ActiveModel {
        agency_id: Set(key.0),
        form_key: Set(key.1),
        form_version: Set(key.2),
        span: Set(key.3),
        channel: Set(key.4),
        counts: Set(counts),
    }
}

fn rollup_filter(key: &BucketKey) -> sea_orm::Condition {
    sea_orm::Condition::all()
        .add(score_rollup::Column::AgencyId.eq(key.0))
        .add(score_rollup::Column::FormKey.eq(key.1.as_str()))
        .add(score_rollup::Column::FormVersion.eq(key.2))
        .add(score_rollup::Column::Span.eq(key.3.as_str()))
        .add(score_rollup::Column::Channel.eq(key.4.as_str()))
}

/// A new dossier count row: `(agency, form key, version, month, channel)` and the number of
/// dossiers.
fn dossier_count_row(
    (agency, form, version, month, channel): DossierKey,
    dossiers: i64,
) -> dossier_count::ActiveModel {
    dossier_count::ActiveModel {
        agency_id: Set(agency),
        form_key: Set(form),
        form_version: Set(version),
        period_month: Set(month),
        channel: Set(channel),
        dossiers: Set(dossiers),
    }
}

/// One registered dossier as it is counted: agency, form key and version (the dossier's own),
/// completion time, channel.
pub type Registered<'a> = (Uuid, &'a str, i32, DateTime<Utc>, &'a str);

/// Counts newly registered dossiers ([`Registered`] each) under their own form version; those
/// of closed months are added to their four spans too. Ordered with closings (`months::lock`):
/// a registration either commits before a closing reads the month's counts, or sees the month
/// closed — never both, never neither.
pub async fn count_dossiers<'a>(
    db: &impl ConnectionTrait,
    dossiers: impl IntoIterator<Item = Registered<'a>>,
) -> Result<(), DbErr> {
    let mut counts: BTreeMap<DossierKey, i64> = BTreeMap::new();
    for (agency, form, version, completed_at, channel) in dossiers {
        *counts
            .entry((
                agency,
                form.to_owned(),
                version,
                period_month(completed_at),
                channel.to_owned(),
            ))
            .or_default() += 1;
    }
    if counts.is_empty() {
        return Ok(());
    }
    // Before reading which months are closed (a no-op on SQLite, whose registration
    // transaction holds the write lock from its start).
    months::lock(db, Locker::Writer).await?;
    let closed = months::published_through(db).await?.map(|m| m.to_string());
    let mut late = BTreeMap::new();
    for (key, n) in &counts {
        if closed.as_deref().is_some_and(|c| key.3.as_str() <= c) {
            add_dossiers_to_spans(&mut late, key, *n)?;
        }
    }
    add_dossier_counts(db, counts).await?;
    add_dossier_rollups(db, late).await
}

/// `ON CONFLICT (the five key columns) DO UPDATE SET count = table.count + excluded.count`.
fn adding<C: sea_orm::sea_query::IntoIden>(keys: [C; 5], count: C, table: &str) -> OnConflict {
    let count = count.into_iden();
    let sum = Expr::cust(format!("{table}.{0} + excluded.{0}", count.to_string()));
    let mut on_conflict = OnConflict::columns(keys);
    on_conflict.value(count, sum);
    on_conflict
}

/// Adds dossiers to their months' counts, creating the missing ones.
pub(super) async fn add_dossier_counts(
    db: &impl ConnectionTrait,
    counts: BTreeMap<DossierKey, i64>,
) -> Result<(), DbErr> {
    use dossier_count::Column as C;
    let rows: Vec<dossier_count::ActiveModel> = counts
        .into_iter()
        .map(|(key, n)| dossier_count_row(key, n))
        .collect();
    for chunk in rows.chunks(1_000) {
        let keys = [
            C::AgencyId,
            C::FormKey,
            C::FormVersion,
            C::PeriodMonth,
            C::Channel,
        ];
        dossier_count::Entity::insert_many(chunk.to_vec())
            .on_conflict(adding(keys, C::Dossiers, "dossier_counts"))
            .exec_without_returning(db)
            .await?;
    }
    Ok(())
}

/// Adds dossiers to their roll-ups, creating the missing ones.
pub(super) async fn add_dossier_rollups(
    db: &impl ConnectionTrait,
    rollups: BTreeMap<DossierKey, i64>,
) -> Result<(), DbErr> {
    use dossier_rollup::Column as C;
    let rows: Vec<dossier_rollup::ActiveModel> = rollups
        .into_iter()
        .map(
            |((agency, form, version, span, channel), n)| dossier_rollup::ActiveModel {
                agency_id: Set(agency),
                form_key: Set(form),
                form_version: Set(version),
                span: Set(span),
                channel: Set(channel),
                dossiers: Set(n),
            },
        )
        .collect();
    for chunk in rows.chunks(1_000) {
        let keys = [C::AgencyId, C::FormKey, C::FormVersion, C::Span, C::Channel];
        dossier_rollup::Entity::insert_many(chunk.to_vec())
            .on_conflict(adding(keys, C::Dossiers, "dossier_rollups"))
            .exec_without_returning(db)
            .await?;
    }
    Ok(())
}

/// Adds the registered dossiers of the months after `previously` (the last closed month before
/// this closing; `None`: every month) up to `through` to the four spans of each, from
/// `dossier_counts`: one `INSERT … SELECT` per month that has any, in the closing's transaction
/// (which holds `months::lock`, so no registration of those months is in flight).
pub async fn roll_up_closed_dossiers(
    txn: &impl ConnectionTrait,
    previously: Option<Month>,
    through: Month,
) -> Result<(), DbErr> {
    let mut select = dossier_count::Entity::find()
        .select_only()
        .column(dossier_count::Column::PeriodMonth)
        .distinct()
        .filter(dossier_count::Column::PeriodMonth.lte(through.to_string()));
    if let Some(p) = previously {
        select = select.filter(dossier_count::Column::PeriodMonth.gt(p.to_string()));
    }
    let months: BTreeSet<String> = select.into_tuple().all(txn).await?.into_iter().collect();
    let backend = txn.get_database_backend();
    let p = |n: usize| match backend {
        DatabaseBackend::Postgres => format!("${n}"),
        _ => "?".to_owned(),
    };
    let sql = format!(
        "INSERT INTO dossier_rollups (agency_id, form_key, form_version, span, channel, dossiers) \
         SELECT d.agency_id, d.form_key, d.form_version, s.column1, d.channel, d.dossiers \
         FROM dossier_counts d, (VALUES ({}), ({}), ({}), ({})) AS s \
         WHERE d.period_month = {} \
         ON CONFLICT (agency_id, form_key, form_version, span, channel) \
         DO UPDATE SET dossiers = dossier_rollups.dossiers + excluded.dossiers",
        p(1),
        p(2),
        p(3),
        p(4),
        p(5)
    );
    for month in months {
        let spans = Span::containing(super::month_of(&month)?);
        let mut values: Vec<sea_orm::Value> = spans.iter().map(|s| s.key().into()).collect();
        values.push(month.into());
        txn.execute_raw(Statement::from_sql_and_values(backend, &sql, values))
            .await?;
    }
    Ok(())
}
