//! The SQLite lane of the response writer: a thread of its own holding a synchronous
//! connection (rusqlite) to the database file, storing the answers sent through survey links.
//! It runs the steps of `batch` with the statements built there — the same rules and SQL as the
//! asynchronous writer — without a hop to a driver thread per statement and with every
//! statement prepared once (`prepare_cached`). A batch is one `BEGIN IMMEDIATE … COMMIT`; any
//! error, a failed `COMMIT` included, rolls the whole batch back (rusqlite's `Transaction`
//! rolls back when dropped uncommitted), and no request of it is answered as stored.
//!
//! An agency's entries may be late entries of a closed month, which count their scores at once
//! (`aggregates::apply`, asynchronous): they keep the asynchronous lane. A link answer is never
//! a late entry (a closed month's link is refused), so this lane meets none; should it, the
//! batch fails rather than store it half.

use std::collections::{HashMap, HashSet};
use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use rusqlite::types::Value as Sql;
use rusqlite::{Connection, Transaction, TransactionBehavior};
use sea_orm::sea_query::Value;
use sea_orm::{DbBackend, StatementBuilder};
use tokio::sync::{mpsc, oneshot};
use uuid::Uuid;

use super::batch::{self, Plan};
use super::jobs::{Job, Lane, WriterStats, settle};
use super::{Outcome, published_of};
use crate::domain::responses::{NewResponse, shuffle};
use crate::persistence::{dossiers, integrity, outbox};

/// Prepared statements kept by the writer's connection: the claim, insert and erase statements
/// differ by batch size (claims and erasures are padded to powers of two).
const STATEMENT_CACHE: usize = 256;

/// Starts the thread storing the jobs of `rx` on a connection of its own to the SQLite file
/// `path`; `done` is dropped when it ends. It ends when every sender is gone, or at the first
/// job after `stop` was set.
pub(super) fn spawn(
    path: &Path,
    rx: mpsc::Receiver<Job>,
    (max_batch, stats): (usize, Arc<WriterStats>),
    stop: Arc<AtomicBool>,
    done: oneshot::Sender<()>,
) -> std::io::Result<()> {
    let mut conn = crate::persistence::open_sync(path).map_err(std::io::Error::other)?;
    conn.set_prepared_statement_cache_capacity(STATEMENT_CACHE);
    // A statement journal in memory, not a temporary file created and deleted per batch (the
    // claim is a multi-row update that may have to undo itself).
    conn.execute_batch("PRAGMA temp_store = MEMORY")
        .map_err(std::io::Error::other)?;
    let checkpoints = spawn_checkpointer(path)?;
    // Copying the log into the database file (and its fsync) is the checkpointer's, not the
    // writer's: batches are not held up behind it.
    conn.execute_batch("PRAGMA wal_autocheckpoint = 0")
        .map_err(std::io::Error::other)?;
    std::thread::Builder::new()
        .name("sipas-writer".into())
        .spawn(move || {
            run(&mut conn, rx, (max_batch, &stats), (&stop, &checkpoints));
            drop(done);
        })?;
    Ok(())
}

/// How often, at most, the checkpointer copies the log into the database file while batches
/// are committed.
const CHECKPOINT_EVERY: std::time::Duration = std::time::Duration::from_millis(50);
/// Log pages beyond which the checkpointer, when a passive checkpoint could not finish, waits
/// for the writer (`RESTART`) so that the log starts over instead of growing (about 200 MB).
const RESTART_PAGES: i64 = 50_000;

/// Starts the thread that checkpoints the log of `path` after the writer's commits (the writer
/// wakes it through the returned sender): `PASSIVE` checkpoints, which never wait for the
/// writer, at most every `CHECKPOINT_EVERY`; once idle, the last one copies everything and the
/// next batch starts the log over.
fn spawn_checkpointer(path: &Path) -> std::io::Result<std::sync::mpsc::SyncSender<()>> {
    let conn = crate::persistence::open_sync(path).map_err(std::io::Error::other)?;
    let (wake, woken) = std::sync::mpsc::sync_channel::<()>(1);
    std::thread::Builder::new()
        .name("sipas-checkpoint".into())
        .spawn(move || {
            while woken.recv().is_ok() {
                let pages = conn.query_row("PRAGMA wal_checkpoint(PASSIVE)", [], |row| {
                    Ok((row.get::<_, i64>(1)?, row.get::<_, i64>(2)?))
                });
                match pages {
                    Ok((log, copied)) if log > RESTART_PAGES && copied < log => {
                        if let Err(e) = conn.execute_batch("PRAGMA wal_checkpoint(RESTART)") {
                            tracing::warn!(error = %e, "restarting the SQLite log failed");
                        }
                    }
                    Ok(_) => {}
                    Err(e) => tracing::warn!(error = %e, "a SQLite checkpoint failed"),
                }
                std::thread::sleep(CHECKPOINT_EVERY);
            }
        })?;
    Ok(wake)
}

fn run(
    conn: &mut Connection,
    mut rx: mpsc::Receiver<Job>,
    (max_batch, stats): (usize, &WriterStats),
    (stop, checkpoints): (&AtomicBool, &std::sync::mpsc::SyncSender<()>),
) {
    let mut batch = Vec::with_capacity(max_batch);
    while let Some(job) = rx.blocking_recv() {
        if stop.load(Ordering::Relaxed) {
            return;
        }
        batch.push(job);
        while batch.len() < max_batch {
            match rx.try_recv() {
                Ok(job) => batch.push(job),
                Err(_) => break,
            }
        }
        shuffle(&mut batch);
        let jobs = std::mem::take(&mut batch);
        let timer = stats.begin_batch(Lane::Sqlite, jobs.len());
        // A panic while storing a batch fails that batch's requests (their reply senders are
        // dropped), not the writer.
        let stored =
            std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| store_batch(conn, jobs)));
        if stored.is_err() {
            tracing::error!("the response writer panicked while storing a batch");
        }
        stats.end_batch(timer);
        // Full: the checkpointer is already due.
        let _ = checkpoints.try_send(());
    }
}

fn store_batch(conn: &mut Connection, jobs: Vec<Job>) {
    let responses: Vec<&NewResponse> = jobs.iter().map(|j| &j.response).collect();
    let result = commit(conn, &responses);
    drop(responses);
    for job in settle(jobs, result).unwrap_or_default() {
        let result = commit(conn, &[&job.response]);
        settle(vec![job], result);
    }
}

/// Stores a batch in one transaction on `conn`; one outcome per response, in order.
fn commit(conn: &mut Connection, batch: &[&NewResponse]) -> Result<Vec<Outcome>, String> {
    let txn = conn
        .transaction_with_behavior(TransactionBehavior::Immediate)
        .map_err(|e| e.to_string())?;
    let outcomes = store(&txn, batch)?;
    // Dropped uncommitted (an error above, or a failed COMMIT), `txn` rolls back.
    txn.commit().map_err(|e| e.to_string())?;
    Ok(outcomes)
}

fn store(txn: &Transaction<'_>, batch: &[&NewResponse]) -> Result<Vec<Outcome>, String> {
    let plan = Plan::new(batch);
    let mut claimed = HashSet::with_capacity(batch.len());
    for update in dossiers::claim_statements(&plan.claims()) {
        query(txn, &update, |row| {
            claimed.insert(uuid_of(row.get_ref(0)?)?);
            Ok(())
        })?;
    }
    let mut published = None;
    query(txn, &batch::published_select(), |row| {
        published = row.get::<_, Option<String>>(0)?;
        Ok(())
    })?;
    let mut not_claimed = HashMap::new();
    for id in plan.unclaimed(&claimed) {
        let mut found = (None, None);
        query(txn, &batch::not_claimed_select(id), |row| {
            found = (Some(row.get::<_, bool>(0)?), row.get(1)?);
            Ok(())
        })?;
        not_claimed.insert(id, batch::not_claimed_outcome(found.0, found.1));
    }
    let decision = plan.decide(&claimed, published_of(published).as_deref(), &not_claimed);
    if !decision.late.is_empty() {
        return Err("a late entry reached the SQLite lane of the response writer".into());
    }
    if let Some(update) = dossiers::unclaim_statement(&decision.reopen) {
        execute(txn, &update)?;
    }
    for insert in batch::pending_inserts(&decision.pending) {
        execute(txn, &insert)?;
    }
    for update in outbox::erase_statements(&decision.answered) {
        execute(txn, &update)?;
    }
    for insert in integrity::add_statements(&decision.stored()).map_err(|e| e.to_string())? {
        execute(txn, &insert)?;
    }
    Ok(decision.outcomes)
}

/// Runs `statement` (prepared once per text), calling `each` on every row it returns.
fn query(
    txn: &Transaction<'_>,
    statement: &impl StatementBuilder,
    mut each: impl FnMut(&rusqlite::Row<'_>) -> rusqlite::Result<()>,
) -> Result<(), String> {
    let built = statement.build(&DbBackend::Sqlite);
    let mut run = || -> rusqlite::Result<()> {
        let mut prepared = txn.prepare_cached(&built.sql)?;
        let params = built.values.as_ref().map(sql_values).transpose()?;
        let mut rows = prepared.query(rusqlite::params_from_iter(
            params.unwrap_or_default().iter(),
        ))?;
        while let Some(row) = rows.next()? {
            each(row)?;
        }
        Ok(())
    };
    run().map_err(|e| e.to_string())
}

fn execute(txn: &Transaction<'_>, statement: &impl StatementBuilder) -> Result<(), String> {
    query(txn, statement, |_| Ok(()))
}

/// A UUID as sqlx stores it on SQLite: 16 bytes.
fn uuid_of(value: rusqlite::types::ValueRef<'_>) -> rusqlite::Result<Uuid> {
    Uuid::from_slice(value.as_blob()?)
        .map_err(|e| rusqlite::Error::FromSqlConversionFailure(0, value.data_type(), Box::new(e)))
}

/// The values of a built statement as SQLite stores them through sqlx (`sea-query-sqlx`):
/// booleans as 0/1, UUIDs as 16-byte blobs, instants as RFC 3339 text (`AutoSi`, `+00:00`), so
/// that rows and comparisons are the same whichever connection wrote them. Only the kinds the
/// writer's statements use are accepted.
fn sql_values(values: &sea_orm::sea_query::Values) -> rusqlite::Result<Vec<Sql>> {
    values.0.iter().map(sql_value).collect()
}

fn sql_value(value: &Value) -> rusqlite::Result<Sql> {
    use chrono::SecondsFormat;
    let int = |i: Option<i64>| i.map_or(Sql::Null, Sql::Integer);
    Ok(match value {
        Value::Bool(b) => int(b.map(i64::from)),
        Value::Int(i) => int(i.map(i64::from)),
        Value::BigInt(i) => int(*i),
        Value::Unsigned(i) => int(i.map(i64::from)),
        Value::BigUnsigned(i) => int(i.map(|i| i64::try_from(i).unwrap_or(i64::MAX))),
        Value::String(s) => s.clone().map_or(Sql::Null, Sql::Text),
        Value::Bytes(b) => b.clone().map_or(Sql::Null, Sql::Blob),
        Value::Uuid(u) => u.map_or(Sql::Null, |u| Sql::Blob(u.as_bytes().to_vec())),
        Value::ChronoDateTimeUtc(t) => t.map_or(Sql::Null, |t| {
            Sql::Text(t.to_rfc3339_opts(SecondsFormat::AutoSi, false))
        }),
        other => {
            return Err(rusqlite::Error::ToSqlConversionFailure(
                format!("no SQLite binding for {other:?}").into(),
            ));
        }
    })
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use chrono::{TimeZone, Utc};

    /// The bindings are sqlx's: what the asynchronous writer stored compares equal.
    #[test]
    fn values_are_bound_as_sqlx_binds_them() {
        let t = Utc.with_ymd_and_hms(2026, 3, 4, 5, 6, 7).unwrap();
        let u = Uuid::from_u128(7);
        assert_eq!(
            sql_value(&Value::ChronoDateTimeUtc(Some(t))).unwrap(),
            Sql::Text("2026-03-04T05:06:07+00:00".into())
        );
        assert_eq!(
            sql_value(&Value::Uuid(Some(u))).unwrap(),
            Sql::Blob(u.as_bytes().to_vec())
        );
        assert_eq!(
            sql_value(&Value::Bool(Some(true))).unwrap(),
            Sql::Integer(1)
        );
        assert_eq!(sql_value(&Value::String(None)).unwrap(), Sql::Null);
        // `LIMIT 1`.
        assert_eq!(
            sql_value(&Value::BigUnsigned(Some(1))).unwrap(),
            Sql::Integer(1)
        );
        assert!(sql_value(&Value::Double(Some(1.0))).is_err());
    }
}
