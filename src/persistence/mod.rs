//! The database: connecting (SQLite or PostgreSQL from one URL), migrations, and one module per
//! aggregate with free async functions over `&impl ConnectionTrait`, so the same function runs on
//! the pool or inside a transaction. Entities stay in here; handlers never see them.

pub mod agencies;
pub mod aggregates;
pub mod api_keys;
pub mod audit;
pub mod breakdowns;
pub mod dossiers;
mod entities;
pub mod forms;
pub mod outbox;
pub mod responses;
pub mod secrets;
pub mod sessions;
pub mod users;

use std::time::Duration;

use migration::{Migrator, MigratorTrait};
use sea_orm::sqlx::sqlite::{SqliteJournalMode, SqliteSynchronous};
use sea_orm::{ConnectOptions, Database, DatabaseConnection, DbErr};
use secrecy::ExposeSecret;

use crate::config::{DatabaseSettings, sqlite_file};

/// Opens a pool for `settings.url`. For a SQLite file it first creates the folder, then opens the
/// database in WAL mode with `synchronous = FULL` (an acknowledged write survives a power cut) and
/// foreign keys on. An in-memory SQLite database lives only as long as its single connection, so
/// that pool keeps exactly one connection open.
pub async fn connect(settings: &DatabaseSettings) -> anyhow::Result<DatabaseConnection> {
    let url = settings.url.expose_secret();
    let mut options = ConnectOptions::new(url.to_owned());
    options
        .sqlx_logging(false)
        .acquire_timeout(Duration::from_secs(settings.acquire_timeout_secs))
        .max_connections(settings.max_connections);
    if url.starts_with("sqlite:") {
        match sqlite_file(url) {
            Some(file) => {
                if let Some(dir) = file.parent().filter(|d| !d.as_os_str().is_empty()) {
                    std::fs::create_dir_all(dir).map_err(|e| {
                        anyhow::anyhow!("cannot create the database folder {}: {e}", dir.display())
                    })?;
                }
            }
            None => {
                options.max_connections(1).min_connections(1);
            }
        }
        options.map_sqlx_sqlite_opts(|o| {
            o.journal_mode(SqliteJournalMode::Wal)
                .synchronous(SqliteSynchronous::Full)
                .foreign_keys(true)
                .busy_timeout(Duration::from_secs(10))
        });
    }
    Database::connect(options).await.map_err(|e| {
        anyhow::anyhow!(
            "cannot open the database {}: {e}",
            crate::config::redact_url(url)
        )
    })
}

/// Applies every pending migration.
pub async fn migrate_up(db: &DatabaseConnection) -> Result<(), DbErr> {
    Migrator::up(db, None).await
}

/// Whether the database answers and has every migration this binary knows applied.
pub async fn readiness(db: &DatabaseConnection) -> Result<(), String> {
    db.ping()
        .await
        .map_err(|_| "The database does not answer.".to_owned())?;
    let pending = Migrator::get_pending_migrations(db)
        .await
        .map_err(|_| "The migration state cannot be read.".to_owned())?;
    if pending.is_empty() {
        Ok(())
    } else {
        Err(format!(
            "{} database migration(s) are not applied; run `sipas migrate up`.",
            pending.len()
        ))
    }
}
