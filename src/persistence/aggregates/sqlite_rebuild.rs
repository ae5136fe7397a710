//! The rebuild of a SQLite file on synchronous connections (`rusqlite`), without the per-row
//! hand-off of the async driver: one connection writes, in a `BEGIN IMMEDIATE` transaction
//! taken first; two more read the responses and the dossiers in parallel, each on its own
//! thread (`sqlite_read`), parsing and counting as they read.
//!
//! The readers see exactly what the writing transaction sees: they start their read
//! transactions after it took the database's write lock (WAL mode), so no other connection can
//! commit anything until it commits, and they read only `responses` and `dossiers`, which it
//! does not change (it rewrites the aggregates, after they are done).

use std::collections::BTreeMap;
use std::path::Path;
use std::time::Duration;

use rusqlite::{Connection, OpenFlags, Transaction, TransactionBehavior};
use sea_orm::DbErr;
use uuid::Uuid;

use super::sqlite_read::{db_err, read_all};
use super::tally::{Months, RebuildReport, span_rows};
use super::{DossierKey, add_dossiers_to_spans};
use crate::domain::forms::PublishedForms;

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
    let dossier_rows: (Option<i64>, Option<i64>) = txn
        .query_row("SELECT MIN(rowid), MAX(rowid) FROM dossiers", [], |r| {
            Ok((r.get(0)?, r.get(1)?))
        })
        .map_err(db_err)?;
    let read = read_all(file, forms, dossier_rows.0.zip(dossier_rows.1))?;
    let mut report = RebuildReport {
        responses: read.responses,
        ..RebuildReport::default()
    };
    txn.execute_batch(
        "DELETE FROM score_rollups; DELETE FROM dossier_rollups; DELETE FROM dossier_counts;",
    )
    .map_err(db_err)?;
    report.buckets = insert_rollups(&txn, read.months)?;
    (report.dossiers, report.dossier_counts) = rebuild_dossier_counts(&txn, read.dossiers)?;
    report.dossier_rollups = insert_dossier_rollups(&txn)?;
    txn.commit().map_err(db_err)?;
    Ok(report)
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

/// Stores the dossiers counted by the readers, with retention's counts (as
/// `rebuild::rebuild_dossier_counts` does): returns the dossiers and the rows.
fn rebuild_dossier_counts(
    txn: &Transaction<'_>,
    mut counts: BTreeMap<DossierKey, i64>,
) -> Result<(u64, u64), DbErr> {
    let retained = dossier_rows(
        txn,
        "SELECT agency_id, form_key, form_version, period_month, channel, dossiers \
         FROM retained_dossier_counts",
        [],
    )?;
    for (key, n) in retained {
        *counts.entry(key).or_default() += n;
    }
    let mut insert = txn
        .prepare(
            "INSERT INTO dossier_counts \
             (agency_id, form_key, form_version, period_month, channel, dossiers) \
             VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
        )
        .map_err(db_err)?;
    let mut dossiers = 0;
    for ((agency, form, version, month, channel), n) in &counts {
        insert
            .execute(rusqlite::params![
                agency.as_bytes().as_slice(),
                form,
                version,
                month,
                channel,
                n,
            ])
            .map_err(db_err)?;
        dossiers += u64::try_from(*n).unwrap_or_default();
    }
    Ok((dossiers, counts.len() as u64))
}

/// The rows of `sql` (agency, form, version, month, channel, count) added up by key.
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
            row.get(4).map_err(db_err)?,
        );
        *counts.entry(key).or_default() += row.get::<_, i64>(5).map_err(db_err)?;
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
        "SELECT agency_id, form_key, form_version, period_month, channel, dossiers \
         FROM dossier_counts WHERE period_month <= ?1",
        [&closed],
    )?;
    let mut rollups = BTreeMap::new();
    for (key, n) in &counts {
        add_dossiers_to_spans(&mut rollups, key, *n)?;
    }
    let mut insert = txn
        .prepare(
            "INSERT INTO dossier_rollups \
             (agency_id, form_key, form_version, span, channel, dossiers) \
             VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
        )
        .map_err(db_err)?;
    for ((agency, form, version, span, channel), n) in &rollups {
        insert
            .execute(rusqlite::params![
                agency.as_bytes().as_slice(),
                form,
                version,
                span,
                channel,
                n
            ])
            .map_err(db_err)?;
    }
    Ok(rollups.len() as u64)
}
