//! One node at a time through the start: moving an old secret out of the database, applying
//! migrations, publishing the forms and closing the months that are due. Two nodes started at
//! the same moment on one database would otherwise both apply the same migration (the second
//! fails on a table that now exists) or race on the forms.
//!
//! - PostgreSQL: a session-level advisory lock, held on a connection of its own; a node that dies
//!   holding it releases it with its session.
//! - A SQLite file: an exclusive `flock` on a file beside the database (`<file>-startup.lock`).
//!   SQLite's own locks cannot serve: a migration runs on several pooled connections, and a
//!   write lock held on one of them would block the others of the same node. The kernel drops
//!   the lock when the process dies.
//! - An in-memory database belongs to one process: nothing to do.

use std::fs::{File, OpenOptions};
use std::path::PathBuf;

use sea_orm::{ConnectionTrait, DatabaseBackend, DatabaseConnection, Statement};

/// The advisory-lock key on PostgreSQL ("sipas" in ASCII, then "start").
const PG_KEY: i64 = 0x7369_7061_7300_0001;

/// Held while starting; `release` lets the next node through.
pub struct StartupLock {
    held: Held,
}

enum Held {
    Nothing,
    File(File),
    Postgres(DatabaseConnection),
}

impl StartupLock {
    /// Waits until no other process is starting on `db`, then holds the lock.
    pub async fn acquire(db: &DatabaseConnection) -> anyhow::Result<Self> {
        let held = match db.get_database_backend() {
            DatabaseBackend::Postgres => Held::Postgres(lock_postgres(db).await?),
            DatabaseBackend::Sqlite => match lock_path(db) {
                Some(path) => Held::File(lock_file(path).await?),
                None => Held::Nothing,
            },
            _ => Held::Nothing,
        };
        Ok(Self { held })
    }

    /// Lets the next node start (dropping the lock does too, a little later on PostgreSQL).
    pub async fn release(self) {
        match self.held {
            Held::Postgres(conn) => {
                let unlock = Statement::from_string(
                    DatabaseBackend::Postgres,
                    format!("SELECT pg_advisory_unlock({PG_KEY})"),
                );
                if let Err(err) = conn.execute_raw(unlock).await {
                    tracing::warn!(error = %err, "releasing the start lock failed; closing its session");
                }
                let _ = conn.close().await;
            }
            Held::File(file) => drop(file),
            Held::Nothing => {}
        }
    }
}

async fn lock_postgres(db: &DatabaseConnection) -> anyhow::Result<DatabaseConnection> {
    let conn = super::dedicated(db).await?;
    let lock = Statement::from_string(
        DatabaseBackend::Postgres,
        format!("SELECT pg_advisory_lock({PG_KEY})"),
    );
    conn.execute_raw(lock)
        .await
        .map_err(|e| anyhow::anyhow!("cannot take the start lock: {e}"))?;
    Ok(conn)
}

/// `<database file>-startup.lock`, or nothing for an in-memory database.
fn lock_path(db: &DatabaseConnection) -> Option<PathBuf> {
    let mut path = super::sqlite_file_of(db)?.into_os_string();
    path.push("-startup.lock");
    Some(PathBuf::from(path))
}

async fn lock_file(path: PathBuf) -> anyhow::Result<File> {
    tokio::task::spawn_blocking(move || {
        let file = OpenOptions::new()
            .create(true)
            .truncate(false)
            .write(true)
            .open(&path)
            .map_err(|e| anyhow::anyhow!("cannot open the start lock {}: {e}", path.display()))?;
        file.lock()
            .map_err(|e| anyhow::anyhow!("cannot lock {}: {e}", path.display()))?;
        Ok(file)
    })
    .await?
}
