//! The rebuild of a SQLite file on synchronous connections (`rusqlite`), without the per-row
//! hand-off of the async driver: one connection writes, in a `BEGIN IMMEDIATE` transaction
//! taken first; two more read the responses in parallel — by ranges of ids handed out one
//! at a time — each parsing the answers of its rows on its own thread (`std::thread::scope`).
//!
//! The readers see exactly what the writing transaction sees: they start their read
//! transactions after it took the database's write lock (WAL mode), so no other connection can
//! commit anything until it commits, and they read only `responses`, which it does not change.

use std::collections::BTreeMap;
use std::path::Path;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use rusqlite::{Connection, OpenFlags, Transaction, TransactionBehavior};
use sea_orm::{DatabaseBackend, DbErr};
use uuid::Uuid;

use super::tally::{MonthBuckets, Months, RebuildReport, dossier_month_sql, span_rows};
use super::{DossierKey, add_dossiers_to_spans, new_revision};
use crate::domain::forms::PublishedForms;

/// Parallel readers.
const READERS: usize = 2;
/// Ranges of ids the responses are split into (handed out one at a time, so that both readers
/// finish together).
const RANGES: usize = 64;

fn db_err(e: rusqlite::Error) -> DbErr {
    DbErr::Custom(format!("rebuild: {e}"))
}

fn open(file: &Path, flags: OpenFlags) -> Result<Connection, DbErr> {
    let conn = Connection::open_with_flags(file, flags | OpenFlags::SQLITE_OPEN_NO_MUTEX)
        .map_err(db_err)?;
    conn.busy_timeout(Duration::from_secs(10)).map_err(db_err)?;
    Ok(conn)
}

/// `rebuild` on the SQLite file `file` (see the module header).
pub(super) fn rebuild(file: &Path, forms: &PublishedForms) -> Result<RebuildReport, DbErr> {
    let mut conn = open(file, OpenFlags::SQLITE_OPEN_READ_WRITE)?;
    for (pragma, value) in [
        ("foreign_keys", "ON"),
        ("synchronous", "FULL"),
        ("secure_delete", "ON"),
    ] {
        conn.pragma_update(None, pragma, value).map_err(db_err)?;
    }
    let txn = conn
        .transaction_with_behavior(TransactionBehavior::Immediate)
        .map_err(db_err)?;
    let (responses, months) = count_responses(&txn, file, forms)?;
    let mut report = RebuildReport {
        responses,
        ..RebuildReport::default()
    };
    txn.execute_batch(
        "DELETE FROM score_rollups; DELETE FROM dossier_rollups; DELETE FROM dossier_counts;",
    )
    .map_err(db_err)?;
    report.buckets = insert_rollups(&txn, months)?;
    (report.dossiers, report.dossier_counts) = rebuild_dossier_counts(&txn)?;
    report.dossier_rollups = insert_dossier_rollups(&txn)?;
    txn.commit().map_err(db_err)?;
    Ok(report)
}

/// The responses' ids split into [`RANGES`] ranges `[from, to)` (the ids are random, so the
/// ranges hold about as many rows each; the table is `WITHOUT ROWID`, in the order of its ids,
/// which are 16-byte blobs: a 17-byte blob of `ff` sorts after every one of them).
fn id_ranges() -> Vec<(Vec<u8>, Vec<u8>)> {
    let bound = |k: usize| match u8::try_from(k * 256 / RANGES) {
        Ok(first) => [vec![first], vec![0; 15]].concat(),
        Err(_) => vec![0xff; 17],
    };
    (0..RANGES).map(|k| (bound(k), bound(k + 1))).collect()
}

/// Every response added up by month bucket, read and parsed by [`READERS`] threads. The
/// writing transaction `_txn` holds the write lock meanwhile (see the module header).
fn count_responses(
    _txn: &Transaction<'_>,
    file: &Path,
    forms: &PublishedForms,
) -> Result<(u64, Months), DbErr> {
    let ranges = id_ranges();
    let next = AtomicUsize::new(0);
    let shares = std::thread::scope(|scope| {
        let readers: Vec<_> = (0..READERS)
            .map(|_| scope.spawn(|| read_ranges(file, forms, &ranges, &next)))
            .collect();
        readers
            .into_iter()
            .map(|r| {
                r.join()
                    .map_err(|_| DbErr::Custom("a rebuild reader panicked".into()))?
            })
            .collect::<Result<Vec<_>, DbErr>>()
    })?;
    let mut all = MonthBuckets::new(forms);
    for share in shares {
        all.merge(share)?;
    }
    Ok(all.into_months())
}

/// One reader: takes ranges of ids until none is left, in one read transaction.
fn read_ranges<'f>(
    file: &Path,
    forms: &'f PublishedForms,
    ranges: &[(Vec<u8>, Vec<u8>)],
    next: &AtomicUsize,
) -> Result<MonthBuckets<'f>, DbErr> {
    let mut conn = open(file, OpenFlags::SQLITE_OPEN_READ_ONLY)?;
    let txn = conn.transaction().map_err(db_err)?;
    let mut select = txn
        .prepare(
            "SELECT agency_id, form_key, form_version, period_month, channel, valid, answers \
             FROM responses WHERE id >= ?1 AND id < ?2",
        )
        .map_err(db_err)?;
    let mut months = MonthBuckets::new(forms);
    while let Some((from, to)) = ranges.get(next.fetch_add(1, Ordering::Relaxed)) {
        let mut rows = select.query([from, to]).map_err(db_err)?;
        while let Some(row) = rows.next().map_err(db_err)? {
            let text = |i: usize| -> Result<&str, DbErr> {
                row.get_ref(i)
                    .map_err(db_err)?
                    .as_str()
                    .map_err(|e| DbErr::Custom(format!("rebuild: column {i}: {e}")))
            };
            let agency = row
                .get_ref(0)
                .map_err(db_err)?
                .as_blob()
                .ok()
                .and_then(|b| Uuid::from_slice(b).ok())
                .ok_or_else(|| DbErr::Custom("rebuild: a response's agency id".into()))?;
            let version: i32 = row.get(2).map_err(db_err)?;
            let valid: bool = row.get(5).map_err(db_err)?;
            let key = (agency, text(1)?, version, text(3)?, text(4)?);
            months.add(key, valid, text(6)?)?;
        }
    }
    Ok(months)
}

/// Stores the roll-ups of the month buckets; returns how many.
fn insert_rollups(txn: &Transaction<'_>, months: Months) -> Result<u64, DbErr> {
    let mut insert = txn
        .prepare(
            "INSERT INTO score_rollups \
             (agency_id, form_key, form_version, span, channel, counts) \
             VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
        )
        .map_err(db_err)?;
    let mut stored = 0;
    for row in span_rows(months) {
        let ((agency, form, version, span, channel), counts) = row?;
        insert
            .execute(rusqlite::params![
                agency.as_bytes().as_slice(),
                form,
                version,
                span,
                channel,
                counts
            ])
            .map_err(db_err)?;
        stored += 1;
    }
    Ok(stored)
}

/// Counts the registered dossiers again (retention's counts included, as
/// `rebuild::rebuild_dossier_counts` does) and stores them: the dossiers and the rows.
fn rebuild_dossier_counts(txn: &Transaction<'_>) -> Result<(u64, u64), DbErr> {
    let sql = format!(
        "SELECT agency_id, form_key, {month} AS period_month, channel, COUNT(*) \
         FROM dossiers GROUP BY agency_id, form_key, {month}, channel \
         UNION ALL \
         SELECT agency_id, form_key, period_month, channel, dossiers \
         FROM retained_dossier_counts",
        month = dossier_month_sql(DatabaseBackend::Sqlite)
    );
    let counts = dossier_rows(txn, &sql, [])?;
    let mut insert = txn
        .prepare(
            "INSERT INTO dossier_counts \
             (agency_id, form_key, period_month, channel, dossiers, revision) \
             VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
        )
        .map_err(db_err)?;
    let mut dossiers = 0;
    for ((agency, form, month, channel), n) in &counts {
        insert
            .execute(rusqlite::params![
                agency.as_bytes().as_slice(),
                form,
                month,
                channel,
                n,
                new_revision()
            ])
            .map_err(db_err)?;
        dossiers += u64::try_from(*n).unwrap_or_default();
    }
    Ok((dossiers, counts.len() as u64))
}

/// The rows of `sql` (agency, form, month, channel, count) added up by key.
fn dossier_rows(
    txn: &Transaction<'_>,
    sql: &str,
    params: impl rusqlite::Params,
) -> Result<BTreeMap<DossierKey, i64>, DbErr> {
    let mut select = txn.prepare(sql).map_err(db_err)?;
    let mut rows = select.query(params).map_err(db_err)?;
    let mut counts = BTreeMap::new();
    while let Some(row) = rows.next().map_err(db_err)? {
        let agency: Vec<u8> = row.get(0).map_err(db_err)?;
        let agency = Uuid::from_slice(&agency)
            .map_err(|e| DbErr::Custom(format!("rebuild: a dossier's agency id: {e}")))?;
        let key = (
            agency,
            row.get(1).map_err(db_err)?,
            row.get(2).map_err(db_err)?,
            row.get(3).map_err(db_err)?,
        );
        *counts.entry(key).or_default() += row.get::<_, i64>(4).map_err(db_err)?;
    }
    Ok(counts)
}

/// Stores the dossier roll-ups of the closed months from the dossier counts just rebuilt.
fn insert_dossier_rollups(txn: &Transaction<'_>) -> Result<u64, DbErr> {
    let closed: Option<String> = txn
        .query_row("SELECT MAX(month) FROM closed_months", [], |r| r.get(0))
        .map_err(db_err)?;
    let Some(closed) = closed else {
        return Ok(0);
    };
    let counts = dossier_rows(
        txn,
        "SELECT agency_id, form_key, period_month, channel, dossiers FROM dossier_counts \
         WHERE period_month <= ?1",
        [&closed],
    )?;
    let mut rollups = BTreeMap::new();
    for (key, n) in &counts {
        add_dossiers_to_spans(&mut rollups, key, *n)?;
    }
    let mut insert = txn
        .prepare(
            "INSERT INTO dossier_rollups (agency_id, form_key, span, channel, dossiers) \
             VALUES (?1, ?2, ?3, ?4, ?5)",
        )
        .map_err(db_err)?;
    for ((agency, form, span, channel), n) in &rollups {
        insert
            .execute(rusqlite::params![
                agency.as_bytes().as_slice(),
                form,
                span,
                channel,
                n
            ])
            .map_err(db_err)?;
    }
    Ok(rollups.len() as u64)
}
