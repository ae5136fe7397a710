//! Recomputing every aggregate from the raw rows (`sipas scores rebuild`): `dossier_counts` from
//! the dossiers (and retention's counts), `score_rollups` from every published response and
//! `dossier_rollups` from the dossier counts of the closed months — in one transaction, so that
//! readers see the old or the new aggregates, never a mix.
//!
//! Fast because the answers are parsed on a thread of their own while rows are read: on a
//! SQLite file the whole rebuild runs on synchronous connections (`sqlite_rebuild`: two readers
//! parsing in parallel, no per-row hand-off between threads); otherwise (PostgreSQL, or an
//! in-memory SQLite database, which nothing can open beside its pool) the rows are streamed
//! through the pool and parsed on a blocking thread. Either way the responses are added up by
//! month bucket first, and each month's bucket then into its four spans (`add_to_spans`, as the
//! incremental updates do), one agency × form version × channel × year at a time.

use std::collections::BTreeMap;

use futures_util::TryStreamExt;
use sea_orm::{
    ColumnTrait, ConnectionTrait, DatabaseBackend, DatabaseConnection, DatabaseTransaction, DbErr,
    EntityTrait, QueryFilter, QuerySelect,
};
use uuid::Uuid;

use super::tally::{MonthBuckets, Months, RebuildReport, dossier_month_sql, span_rows};
use super::write::{add_dossier_counts, add_dossier_rollups, rollup_row};
use super::{DossierKey, add_dossiers_to_spans};
use crate::domain::forms::PublishedForms;
use crate::persistence::entities::{dossier_count, dossier_rollup, response, score_rollup};

/// Recomputes every roll-up and dossier count from the raw rows, in one transaction. Counts
/// are integers, so the result is bit-identical to what the incremental updates produced,
/// whatever order the rows are read in.
///
/// # Errors
/// A database error, or a response of a form version that is not loaded or whose stored
/// answers cannot be read.
pub async fn rebuild(
    db: &DatabaseConnection,
    forms: &PublishedForms,
) -> Result<RebuildReport, DbErr> {
    if db.get_database_backend() == DatabaseBackend::Sqlite
        && let Some(file) = crate::persistence::sqlite_file_of(db)
    {
        let forms = forms.clone();
        return tokio::task::spawn_blocking(move || super::sqlite_rebuild::rebuild(&file, &forms))
            .await
            .map_err(|e| DbErr::Custom(format!("the rebuild stopped: {e}")))?;
    }
    let txn = crate::persistence::begin_write(db).await?;
    score_rollup::Entity::delete_many().exec(&txn).await?;
    dossier_rollup::Entity::delete_many().exec(&txn).await?;
    dossier_count::Entity::delete_many().exec(&txn).await?;
    let (responses, months) = count_responses(&txn, forms).await?;
    let buckets = insert_rollups(&txn, months).await?;
    let (dossiers, dossier_counts) = rebuild_dossier_counts(&txn).await?;
    let dossier_rollups = insert_dossier_rollups(&txn).await?;
    txn.commit().await?;
    Ok(RebuildReport {
        responses,
        buckets,
        dossiers,
        dossier_counts,
        dossier_rollups,
    })
}

/// Rebuilds the aggregates when published answers exist but no score roll-up does, or dossiers
/// of closed months but no dossier roll-up — a database from before the roll-ups, whose buckets
/// the upgrade dropped — and says so in the log. Returns whether it rebuilt. (After a rebuild
/// neither holds: every response is in a score roll-up, every closed month's dossiers in theirs.)
pub async fn rebuild_if_missing(
    db: &DatabaseConnection,
    forms: &PublishedForms,
) -> Result<bool, DbErr> {
    let scores_missing = !exists(db, score_rollup::Entity::find()).await?
        && exists(db, response::Entity::find()).await?;
    let dossiers_missing = match crate::persistence::months::published_through(db).await? {
        Some(closed) => {
            let counted = dossier_count::Entity::find()
                .filter(dossier_count::Column::PeriodMonth.lte(closed.to_string()));
            !exists(db, dossier_rollup::Entity::find()).await? && exists(db, counted).await?
        }
        None => false,
    };
    if !scores_missing && !dossiers_missing {
        return Ok(false);
    }
    tracing::warn!("published figures without roll-ups (an upgrade): rebuilding the aggregates");
    let started = std::time::Instant::now();
    let report = rebuild(db, forms).await?;
    tracing::warn!(
        responses = report.responses,
        rollups = report.buckets,
        seconds = started.elapsed().as_secs_f64(),
        "aggregates rebuilt"
    );
    Ok(true)
}

/// Whether `select` finds a row.
async fn exists<E: EntityTrait>(
    db: &DatabaseConnection,
    select: sea_orm::Select<E>,
) -> Result<bool, DbErr> {
    Ok(select.limit(1).one(db).await?.is_some())
}

/// One response as read: agency, form key, version, month, channel, valid, answers.
type ResponseRow = (Uuid, String, i32, String, String, bool, String);

/// Rows handed to the parsing thread at a time.
const BATCH: usize = 1024;

/// Every response's contribution, added up by month bucket: streamed here, parsed on a blocking
/// thread. Returns the number of responses and the buckets.
async fn count_responses(
    txn: &DatabaseTransaction,
    forms: &PublishedForms,
) -> Result<(u64, Months), DbErr> {
    let (send, mut receive) = tokio::sync::mpsc::channel::<Vec<ResponseRow>>(4);
    let forms = forms.clone();
    let parser = tokio::task::spawn_blocking(move || {
        let mut months = MonthBuckets::new(&forms);
        while let Some(batch) = receive.blocking_recv() {
            for (agency, form, version, month, channel, valid, answers) in batch {
                months.add((agency, &form, version, &month, &channel), valid, &answers)?;
            }
        }
        Ok::<_, DbErr>(months.into_months())
    });
    let mut rows = response::Entity::find()
        .select_only()
        .columns([
            response::Column::AgencyId,
            response::Column::FormKey,
            response::Column::FormVersion,
            response::Column::PeriodMonth,
            response::Column::Channel,
            response::Column::Valid,
            response::Column::Answers,
        ])
        .into_tuple::<ResponseRow>()
        .stream(txn)
        .await?;
    let mut batch = Vec::with_capacity(BATCH);
    while let Some(row) = rows.try_next().await? {
        batch.push(row);
        if batch.len() == BATCH && send.send(std::mem::take(&mut batch)).await.is_err() {
            break; // The parser stopped on an error, reported below.
        }
    }
    if !batch.is_empty() {
        let _ = send.send(batch).await;
    }
    drop(send);
    drop(rows);
    parser
        .await
        .map_err(|e| DbErr::Custom(format!("the rebuild stopped: {e}")))?
}

/// Stores the roll-ups of the month buckets, 500 per statement; returns how many.
async fn insert_rollups(txn: &DatabaseTransaction, months: Months) -> Result<u64, DbErr> {
    let mut stored = 0;
    let mut rows = span_rows(months).peekable();
    while rows.peek().is_some() {
        let chunk = rows
            .by_ref()
            .take(500)
            .map(|r| r.map(|(key, counts)| rollup_row(key, counts)))
            .collect::<Result<Vec<_>, DbErr>>()?;
        stored += chunk.len() as u64;
        score_rollup::Entity::insert_many(chunk)
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
    for (key, n) in crate::persistence::retention::retained_counts(txn).await? {
        *counts.entry(key).or_default() += n;
    }
    let dossiers = counts
        .values()
        .map(|n| u64::try_from(*n).unwrap_or_default())
        .sum();
    let rows = counts.len() as u64;
    // Into the emptied table: adding is storing.
    add_dossier_counts(txn, counts).await?;
    Ok((dossiers, rows))
}

/// The registered dossiers per agency, form, version (the dossier's own), month (of completion,
/// in Vietnam time) and channel,
/// counted by the database in one `GROUP BY` rather than row by row. The month is computed in
/// SQL the way `domain::dossiers::period_month` computes it — the UTC time shifted by
/// [`VIETNAM_OFFSET_SECS`], formatted `YYYY-MM` — on each backend (tested at month boundaries).
async fn dossier_counts_by_month(
    db: &impl ConnectionTrait,
) -> Result<crate::persistence::retention::Counts, DbErr> {
    let sql = format!(
        "SELECT agency_id, form_key, form_version, {month} AS period_month, channel, \
         COUNT(*) AS n FROM dossiers \
         GROUP BY agency_id, form_key, form_version, {month}, channel",
        month = dossier_month_sql(db.get_database_backend())
    );
    crate::persistence::retention::query_counts(db, &sql, "n").await
}

/// Stores the dossier roll-ups of the closed months (up to `months::published_through`) from
/// the dossier counts just rebuilt; returns how many.
async fn insert_dossier_rollups(txn: &DatabaseTransaction) -> Result<u64, DbErr> {
    let Some(closed) = crate::persistence::months::published_through(txn).await? else {
        return Ok(0);
    };
    let rows: Vec<(Uuid, String, i32, String, String, i64)> = dossier_count::Entity::find()
        .select_only()
        .columns([
            dossier_count::Column::AgencyId,
            dossier_count::Column::FormKey,
            dossier_count::Column::FormVersion,
            dossier_count::Column::PeriodMonth,
            dossier_count::Column::Channel,
            dossier_count::Column::Dossiers,
        ])
        .filter(dossier_count::Column::PeriodMonth.lte(closed.to_string()))
        .into_tuple()
        .all(txn)
        .await?;
    let mut rollups: BTreeMap<DossierKey, i64> = BTreeMap::new();
    for (agency, form, version, month, channel, n) in rows {
        add_dossiers_to_spans(&mut rollups, &(agency, form, version, month, channel), n)?;
    }
    let stored = rollups.len() as u64;
    add_dossier_rollups(txn, rollups).await?;
    Ok(stored)
}
