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
pub mod follow_up;
pub mod form_files;
pub mod forms;
pub mod months;
pub mod outbox;
pub mod responses;
pub mod retention;
pub mod rollups;
pub mod sessions;
pub mod startup_lock;
pub mod users;

use std::time::Duration;

use migration::{Migrator, MigratorTrait};
use sea_orm::sqlx::sqlite::{SqliteJournalMode, SqliteSynchronous};
use sea_orm::{
    ConnectOptions, Database, DatabaseConnection, DatabaseTransaction, DbErr,
    SqliteTransactionMode, TransactionOptions, TransactionTrait,
};
use secrecy::ExposeSecret;

use crate::config::{DatabaseSettings, Settings, sqlite_file};
use startup_lock::StartupLock;

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
        .max_connections(settings.max_connections)
        // Not a ping before every statement (a round trip each; on SQLite a hop to the
        // connection's thread), only on connections idle for a while.
        .test_before_acquire_if_idle_for(IDLE_PING);
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
                // Deleted content is overwritten, not left in free pages: the answers of a
                // month leave `pending_responses` when it closes (docs/privacy.md).
                .pragma("secure_delete", "ON")
        });
    }
    open_waiting(options).await.map_err(|e| {
        anyhow::anyhow!(
            "cannot open the database {}: {e}",
            crate::config::redact_url(url)
        )
    })
}

/// Opens the pool, trying again while SQLite reports the file locked: switching a new file to
/// WAL takes an exclusive lock that does not wait through the busy timeout, so two nodes
/// creating one database at the same moment would see "database is locked" at once.
async fn open_waiting(options: ConnectOptions) -> Result<DatabaseConnection, DbErr> {
    let deadline = std::time::Instant::now() + Duration::from_secs(10);
    loop {
        match Database::connect(options.clone()).await {
            Err(err) if is_locked(&err) && std::time::Instant::now() < deadline => {
                tokio::time::sleep(Duration::from_millis(50)).await;
            }
            other => return other,
        }
    }
}

/// SQLite's SQLITE_BUSY ("database is locked").
fn is_locked(err: &DbErr) -> bool {
    err.to_string().contains("database is locked")
}

/// Begins a transaction that writes. On SQLite it is `BEGIN IMMEDIATE`: the write lock is taken
/// at the start, waiting (busy timeout) for another writer to finish. A deferred transaction that
/// reads first and writes later cannot wait when another connection committed in between: its
/// snapshot is stale and SQLite fails it at once with "database is locked". PostgreSQL ignores
/// the mode.
pub async fn begin_write(db: &DatabaseConnection) -> Result<DatabaseTransaction, DbErr> {
    db.begin_with_options(TransactionOptions {
        sqlite_transaction_mode: Some(SqliteTransactionMode::Immediate),
        ..TransactionOptions::default()
    })
    .await
}

/// A pooled connection idle for this long is pinged before use; busy ones are not.
const IDLE_PING: Duration = Duration::from_secs(30);

/// Prepared statements kept by a dedicated connection (sqlx's default is 100): the writer's
/// statements differ by batch size.
const STATEMENT_CACHE: usize = 512;

/// A connection of its own for a task that writes all the time (the response writer), so that
/// it never waits behind requests for a pooled connection and its prepared statements stay
/// cached on one connection: a pool of exactly one connection with the same options as `db`'s
/// (same file or server, same pragmas). An in-memory SQLite database exists only inside its
/// one pool, so there the writer shares `db`.
pub async fn dedicated(db: &DatabaseConnection) -> Result<DatabaseConnection, DbErr> {
    use sea_orm::sqlx::pool::PoolOptions;
    use sea_orm::{SqlxPostgresConnector, SqlxSqliteConnector};
    // A busy connection is not pinged before each transaction (a round trip each); one idle
    // for a while is, in case the server dropped it.
    fn one<DB: sea_orm::sqlx::Database>() -> PoolOptions<DB> {
        PoolOptions::new()
            .min_connections(1)
            .max_connections(1)
            .test_before_acquire(false)
            .before_acquire(|conn, meta| {
                Box::pin(async move {
                    if meta.idle_for >= IDLE_PING {
                        sea_orm::sqlx::Connection::ping(conn).await?;
                    }
                    Ok(true)
                })
            })
    }
    match db.get_database_backend() {
        sea_orm::DatabaseBackend::Sqlite => {
            if sqlite_file_of(db).is_none() {
                return Ok(db.clone());
            }
            let options = db.get_sqlite_connection_pool().connect_options();
            let pool = one()
                .connect_with((*options).clone().statement_cache_capacity(STATEMENT_CACHE))
                .await
                .map_err(|e| DbErr::Conn(sea_orm::RuntimeErr::SqlxError(e.into())))?;
            Ok(SqlxSqliteConnector::from_sqlx_sqlite_pool(pool))
        }
        sea_orm::DatabaseBackend::Postgres => {
            let options = db.get_postgres_connection_pool().connect_options();
            let pool = one()
                .connect_with((*options).clone().statement_cache_capacity(STATEMENT_CACHE))
                .await
                .map_err(|e| DbErr::Conn(sea_orm::RuntimeErr::SqlxError(e.into())))?;
            Ok(SqlxPostgresConnector::from_sqlx_postgres_pool(pool))
        }
        _ => Ok(db.clone()),
    }
}

/// A synchronous connection (rusqlite) to the SQLite file `path`, with the pool's settings: WAL,
/// `synchronous = FULL` (a commit is on disk when it returns), foreign keys, a busy timeout of
/// 10 s and `secure_delete` (see [`connect`]). For a thread that must not hop to a driver
/// thread per statement (the response writer's SQLite lane).
pub fn open_sync(path: &std::path::Path) -> rusqlite::Result<rusqlite::Connection> {
    let conn = rusqlite::Connection::open(path)?;
    conn.busy_timeout(Duration::from_secs(10))?;
    conn.execute_batch(
        "PRAGMA journal_mode = WAL; PRAGMA synchronous = FULL; PRAGMA foreign_keys = ON; \
         PRAGMA secure_delete = ON;",
    )?;
    Ok(conn)
}

/// The file of an open SQLite database; `None` for an in-memory one (it exists only inside its
/// one pool, so nothing can be opened beside it).
pub fn sqlite_file_of(db: &DatabaseConnection) -> Option<std::path::PathBuf> {
    let options = db.get_sqlite_connection_pool().connect_options();
    let file = options.get_filename();
    let name = file.to_string_lossy();
    let in_memory =
        name.is_empty() || name == ":memory:" || name.starts_with("file:sqlx-in-memory");
    (!in_memory).then(|| file.to_path_buf())
}

/// Applies every pending migration, after moving a server secret that an older version kept in
/// the database out of it (a migration drops its table; `secret_key`), holding the start lock
/// so that nodes starting together migrate one after the other.
pub async fn migrate_up(db: &DatabaseConnection, settings: &Settings) -> anyhow::Result<()> {
    let lock = StartupLock::acquire(db).await?;
    let applied = migrate_up_locked(db, settings, &lock).await;
    lock.release().await;
    applied
}

/// `migrate_up` for a caller that already holds the start lock (the server's start).
pub async fn migrate_up_locked(
    db: &DatabaseConnection,
    settings: &Settings,
    _held: &StartupLock,
) -> anyhow::Result<()> {
    crate::secret_key::move_out_of_database(db, settings).await?;
    Migrator::up(db, None).await?;
    Ok(())
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
