//! The server secret: survey tokens, receipts, answer digests, sealed dossier codes and the
//! sign-in throttle are all derived from it (`domain::tokens`). It is kept **outside the
//! database**, so that a copy of the database — a backup, a dump handed over for analysis — does
//! not carry the key that makes its own hashes and sealed codes meaningful.
//!
//! Where it comes from, first match wins:
//! 1. `security.token_secret` (`APP_SECURITY__TOKEN_SECRET`);
//! 2. the key file: `security.key_file` (`APP_SECURITY__KEY_FILE`), by default `secret.key` in
//!    the folder of the SQLite database file (`data/secret.key` with the default URL, and on
//!    PostgreSQL);
//! 3. nothing configured: on a SQLite file database 32 random bytes are written to the key file
//!    (mode 0600, created only if absent, so two processes starting together end up with the
//!    same one); on in-memory SQLite a random secret lives as long as the process (and so does
//!    the database); on PostgreSQL the start is refused, because several nodes share the
//!    database and each must be given the same secret.
//!
//! Either source is the secret's text taken as it is (a key file without its surrounding
//! whitespace), unless it starts with `hex:`: then the hex digits after it are the secret's
//! bytes. That form exists for secrets moved out of the database (below), which were always
//! used as the bytes of their hex text.
//!
//! Installations from before issue 15 kept a generated secret in the table `server_secrets`.
//! [`move_out_of_database`] runs before the migrations (the last of which drops that table) and
//! before the secret is read: it writes the stored secret to the key file, unless a secret is
//! configured, and deletes the row. A secret lost there would break every link already sent,
//! so the migration refuses to drop a table that still holds one.

use std::fs::{File, OpenOptions};
use std::io::{ErrorKind, Write};
use std::os::unix::fs::{OpenOptionsExt, PermissionsExt};
use std::path::{Path, PathBuf};
use std::sync::OnceLock;
use std::time::Duration;

use anyhow::{Context, anyhow};
use sea_orm::{ConnectionTrait, DatabaseBackend, DbErr, Statement};
use secrecy::ExposeSecret;

use crate::config::Settings;
use crate::domain::digest;
pub use crate::domain::tokens::{HEX_PREFIX, secret_from_text};
use crate::domain::tokens::{MIN_SECRET_BYTES, TokenKey};

/// The name of the key file beside the SQLite database file.
pub const KEY_FILE_NAME: &str = "secret.key";
/// Where the key file is on PostgreSQL when `security.key_file` is not set: the folder the
/// default configuration keeps its data in.
const POSTGRES_DEFAULT_KEY_FILE: &str = "data/secret.key";
/// The row in which installations before issue 15 kept the generated secret.
const LEGACY_ROW: &str = "survey_token_secret";

/// Whether the configured database is PostgreSQL (the one backend shared by several nodes).
fn is_postgres(settings: &Settings) -> bool {
    let url = settings.database.url.expose_secret();
    url.starts_with("postgres://") || url.starts_with("postgresql://")
}

/// The key file: `security.key_file`, else `secret.key` beside the SQLite database file, else
/// (PostgreSQL) `data/secret.key`; `None` for an in-memory SQLite database without a setting.
pub fn key_file_path(settings: &Settings) -> Option<PathBuf> {
    if let Some(path) = &settings.security.key_file {
        return Some(path.clone());
    }
    if let Some(db) = settings.sqlite_file() {
        let dir = db.parent().unwrap_or(Path::new(""));
        return Some(dir.join(KEY_FILE_NAME));
    }
    is_postgres(settings).then(|| PathBuf::from(POSTGRES_DEFAULT_KEY_FILE))
}

/// What happens when neither `security.token_secret` nor an existing key file gives a secret.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum WhenMissing {
    /// Generate one and write it to this key file (SQLite).
    Create(PathBuf),
    /// Generate one for this process only (in-memory SQLite: the database dies with it).
    ForThisProcess,
    /// Refuse to start (PostgreSQL: every node must be given the same secret).
    Refuse,
}

/// See [`WhenMissing`].
pub fn when_missing(settings: &Settings) -> WhenMissing {
    if is_postgres(settings) {
        return WhenMissing::Refuse;
    }
    match key_file_path(settings) {
        Some(path) => WhenMissing::Create(path),
        None => WhenMissing::ForThisProcess,
    }
}

/// The refusal on PostgreSQL, naming both ways to give the secret.
fn refusal(settings: &Settings) -> anyhow::Error {
    let path = key_file_path(settings).unwrap_or_else(|| PathBuf::from(POSTGRES_DEFAULT_KEY_FILE));
    anyhow!(
        "on PostgreSQL every node needs the same secret: set security.token_secret \
         (APP_SECURITY__TOKEN_SECRET, e.g. the output of `openssl rand -hex 32`) or \
         security.key_file (APP_SECURITY__KEY_FILE) to a file holding it (there is none at {})",
        path.display()
    )
}

/// A secret found in the configuration, and where.
struct Configured {
    bytes: Vec<u8>,
    source: String,
}

/// The configured secret: the setting, else the key file if it exists.
fn configured(settings: &Settings) -> anyhow::Result<Option<Configured>> {
    if let Some(text) = &settings.security.token_secret {
        let bytes = secret_from_text(text.expose_secret())
            .map_err(|reason| anyhow!("security.token_secret {reason}"))?;
        return Ok(Some(Configured {
            bytes,
            source: "security.token_secret".into(),
        }));
    }
    let Some(path) = key_file_path(settings) else {
        return Ok(None);
    };
    Ok(read_key_file(&path)?.map(|bytes| Configured {
        bytes,
        source: path.display().to_string(),
    }))
}

/// The secret in the key file at `path`; `None` if there is no such file. Warns when the file
/// is readable or writable by anyone but its owner.
pub fn read_key_file(path: &Path) -> anyhow::Result<Option<Vec<u8>>> {
    let cannot = |e: std::io::Error| anyhow!("cannot read the key file {}: {e}", path.display());
    let metadata = match std::fs::metadata(path) {
        Ok(metadata) => metadata,
        Err(e) if e.kind() == ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(cannot(e)),
    };
    let mode = metadata.permissions().mode() & 0o777;
    if mode & 0o077 != 0 {
        tracing::warn!(
            path = %path.display(),
            mode = format!("{mode:o}"),
            "the key file can be read by other users than its owner; restrict it with `chmod 600`"
        );
    }
    // A file that another process has just created may not hold its line yet: wait a little
    // for it rather than take the empty file for a bad secret.
    let mut text = String::new();
    for _ in 0..20 {
        text = std::fs::read_to_string(path).map_err(cannot)?;
        if !text.trim().is_empty() {
            break;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    let bytes = secret_from_text(text.trim())
        .map_err(|reason| anyhow!("the key file {}: the secret {reason}", path.display()))?;
    Ok(Some(bytes))
}

/// Writes `text` and a newline to a new key file that only its owner can read. `Ok(false)`
/// when the file exists already (another process created it first): nothing is overwritten.
fn create_key_file(path: &Path, text: &str) -> anyhow::Result<bool> {
    let dir = path.parent().filter(|d| !d.as_os_str().is_empty());
    if let Some(dir) = dir {
        std::fs::create_dir_all(dir).with_context(|| {
            format!("cannot create the folder of the key file {}", dir.display())
        })?;
    }
    let cannot = |e: std::io::Error| anyhow!("cannot write the key file {}: {e}", path.display());
    let mut file = match OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(path)
    {
        Ok(file) => file,
        Err(e) if e.kind() == ErrorKind::AlreadyExists => return Ok(false),
        Err(e) => return Err(cannot(e)),
    };
    file.write_all(format!("{text}\n").as_bytes())
        .map_err(cannot)?;
    file.sync_all().map_err(cannot)?;
    // The new directory entry must survive a power cut as well as the database's writes do.
    if let Some(dir) = dir
        && let Ok(dir) = File::open(dir)
    {
        dir.sync_all().ok();
    }
    Ok(true)
}

/// The random secret of this process (in-memory SQLite without a configured secret): the same
/// for every caller, so that commands and the server in one process agree.
fn process_secret() -> anyhow::Result<Vec<u8>> {
    static SECRET: OnceLock<Vec<u8>> = OnceLock::new();
    if let Some(secret) = SECRET.get() {
        return Ok(secret.clone());
    }
    let fresh = TokenKey::generate_secret()
        .map_err(|e| anyhow!("cannot generate the server secret: {e}"))?;
    Ok(SECRET.get_or_init(|| fresh).clone())
}

/// The server secret as a key (see the module documentation), after moving a secret that an
/// older version kept in the database out of it.
///
/// # Errors
/// A bad or unreadable secret, a key file that cannot be written, a database error, and on
/// PostgreSQL no secret at all.
pub async fn token_key(db: &impl ConnectionTrait, settings: &Settings) -> anyhow::Result<TokenKey> {
    move_out_of_database(db, settings).await?;
    let bytes = match configured(settings)? {
        Some(found) => found.bytes,
        None => match when_missing(settings) {
            WhenMissing::Refuse => return Err(refusal(settings)),
            WhenMissing::ForThisProcess => process_secret()?,
            WhenMissing::Create(path) => {
                let fresh = TokenKey::generate_secret()
                    .map_err(|e| anyhow!("cannot generate the server secret: {e}"))?;
                let text = digest::to_hex(&fresh);
                if create_key_file(&path, &text)? {
                    tracing::info!(path = %path.display(), "generated the server secret into a new key file; keep it with the backups, apart from the database");
                }
                // Read back either way: when another process won the race, its secret counts.
                read_key_file(&path)?.ok_or_else(|| {
                    anyhow!("the key file {} vanished while starting", path.display())
                })?
            }
        },
    };
    TokenKey::new(bytes).context("security.token_secret")
}

/// Moves a secret that an installation from before issue 15 kept in the table `server_secrets`
/// out of the database: into the key file, unless a secret is configured; then deletes the row
/// (the migration `m20261205_001200_drop_server_secrets` drops the table afterwards). Does
/// nothing when there is no such table or row. Call it before the migrations.
///
/// # Errors
/// A database error, a stored value that is not hexadecimal, a key file that cannot be written.
pub async fn move_out_of_database(
    db: &impl ConnectionTrait,
    settings: &Settings,
) -> anyhow::Result<()> {
    let Some(stored) = stored_secret(db)
        .await
        .context("reading the table server_secrets")?
    else {
        return Ok(());
    };
    let old = digest::from_hex(stored.trim())
        .filter(|bytes| bytes.len() >= MIN_SECRET_BYTES)
        .ok_or_else(|| anyhow!("the secret kept in the table server_secrets is not 32 bytes of hex; delete the row once a secret is configured"))?;
    match configured(settings)? {
        Some(found) if found.bytes == old => {
            tracing::info!(
                source = found.source,
                "the server secret kept in the database is the configured one: deleting it from the database"
            );
        }
        Some(found) => {
            tracing::warn!(
                source = found.source,
                "the database kept another server secret than the configured one, which is used: \
                 survey links, receipts and sealed dossier codes issued with the old secret no \
                 longer match; deleting the old secret from the database"
            );
        }
        // Without a key file (in-memory SQLite) there is nothing to keep: the database, and
        // with it every token, dies with the process.
        None => {
            if let Some(path) = key_file_path(settings) {
                keep_in_key_file(&path, &old, is_postgres(settings))?;
            }
        }
    }
    forget_stored_secret(db)
        .await
        .context("deleting the secret from the table server_secrets")?;
    Ok(())
}

/// Writes a secret moved out of the database to the key file at `path` (as `hex:`, because it
/// was always used as the bytes of its hex).
fn keep_in_key_file(path: &Path, secret: &[u8], postgres: bool) -> anyhow::Result<()> {
    let text = format!("{HEX_PREFIX}{}", digest::to_hex(secret));
    let written = create_key_file(path, &text)?;
    // Not written: another process moved it in the same instant (the same secret), or created
    // a key file with another secret just now.
    if !written && read_key_file(path)?.as_deref() != Some(secret) {
        tracing::warn!(
            path = %path.display(),
            "a key file with another secret appeared while moving the secret out of the database; the key file's is used"
        );
    }
    if postgres {
        tracing::warn!(
            path = %path.display(),
            "moved the server secret out of the database into the key file: every node must be \
             given this file (security.key_file) or its content as APP_SECURITY__TOKEN_SECRET, \
             or it refuses to start"
        );
    } else {
        tracing::info!(
            path = %path.display(),
            "moved the server secret out of the database into the key file; keep it with the backups, apart from the database"
        );
    }
    Ok(())
}

/// The hex secret in `server_secrets`, if that table still exists and holds it.
async fn stored_secret(db: &impl ConnectionTrait) -> Result<Option<String>, DbErr> {
    let backend = db.get_database_backend();
    let exists = match backend {
        DatabaseBackend::Sqlite => {
            "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'server_secrets'"
        }
        DatabaseBackend::Postgres => {
            "SELECT 1 FROM information_schema.tables \
             WHERE table_schema = current_schema() AND table_name = 'server_secrets'"
        }
        _ => return Ok(None),
    };
    if db
        .query_one_raw(Statement::from_string(backend, exists))
        .await?
        .is_none()
    {
        return Ok(None);
    }
    let row = db
        .query_one_raw(Statement::from_string(
            backend,
            format!("SELECT value FROM server_secrets WHERE name = '{LEGACY_ROW}'"),
        ))
        .await?;
    row.map(|row| row.try_get::<String>("", "value"))
        .transpose()
}

async fn forget_stored_secret(db: &impl ConnectionTrait) -> Result<(), DbErr> {
    let backend = db.get_database_backend();
    db.execute_raw(Statement::from_string(
        backend,
        format!("DELETE FROM server_secrets WHERE name = '{LEGACY_ROW}'"),
    ))
    .await?;
    Ok(())
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;

    fn settings(url: &str) -> Settings {
        let mut s = Settings::defaults().unwrap();
        s.database.url = url.to_owned().into();
        s
    }

    #[test]
    fn the_key_file_sits_beside_the_sqlite_file_unless_configured() {
        let s = settings("sqlite://data/sipas.db?mode=rwc");
        assert_eq!(key_file_path(&s), Some(PathBuf::from("data/secret.key")));
        assert_eq!(
            when_missing(&s),
            WhenMissing::Create("data/secret.key".into())
        );
        let s = settings("sqlite:///var/lib/sipas/x.db");
        assert_eq!(
            key_file_path(&s),
            Some(PathBuf::from("/var/lib/sipas/secret.key"))
        );
        let s = settings("sqlite://x.db?mode=rwc");
        assert_eq!(key_file_path(&s), Some(PathBuf::from("secret.key")));
        let mut s = settings("sqlite::memory:");
        assert_eq!(key_file_path(&s), None);
        assert_eq!(when_missing(&s), WhenMissing::ForThisProcess);
        s.security.key_file = Some("/etc/sipas/key".into());
        assert_eq!(key_file_path(&s), Some(PathBuf::from("/etc/sipas/key")));
        assert_eq!(
            when_missing(&s),
            WhenMissing::Create("/etc/sipas/key".into())
        );
    }

    #[test]
    fn postgres_never_generates_one() {
        let mut s = settings("postgres://u:p@db/sipas");
        assert_eq!(key_file_path(&s), Some(PathBuf::from("data/secret.key")));
        assert_eq!(when_missing(&s), WhenMissing::Refuse);
        s.security.key_file = Some("/etc/sipas/key".into());
        assert_eq!(when_missing(&s), WhenMissing::Refuse);
        let message = refusal(&s).to_string();
        assert!(
            message.contains("APP_SECURITY__TOKEN_SECRET")
                && message.contains("security.key_file")
                && message.contains("/etc/sipas/key"),
            "{message}"
        );
    }

    #[test]
    fn a_text_is_the_secret_unless_it_says_hex() {
        let plain = "0123456789abcdef".repeat(4);
        assert_eq!(secret_from_text(&plain).unwrap(), plain.as_bytes());
        let hex = format!("{HEX_PREFIX}{plain}");
        assert_eq!(
            secret_from_text(&hex).unwrap(),
            digest::from_hex(&plain).unwrap()
        );
        let short = secret_from_text("short-secret").unwrap_err();
        assert!(!short.contains("short-secret"), "{short}");
        assert!(secret_from_text("hex:zz").is_err());
        // 16 bytes of hex are too short even though the text is 36 characters long.
        assert!(secret_from_text(&format!("{HEX_PREFIX}{}", "ab".repeat(16))).is_err());
    }

    #[test]
    fn a_key_file_is_created_once_owner_only_and_read_back() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("sub/secret.key");
        let text = "ab".repeat(32);
        assert!(create_key_file(&path, &text).unwrap());
        assert!(!create_key_file(&path, "something else entirely, long enough").unwrap());
        let mode = std::fs::metadata(&path).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o600);
        assert_eq!(read_key_file(&path).unwrap().unwrap(), text.as_bytes());
        assert_eq!(read_key_file(&dir.path().join("none")).unwrap(), None);
        std::fs::write(&path, "too short\n").unwrap();
        let e = read_key_file(&path).unwrap_err().to_string();
        assert!(e.contains("secret.key") && !e.contains("too short"), "{e}");
    }

    #[test]
    fn the_process_secret_stays_the_same() {
        assert_eq!(process_secret().unwrap(), process_secret().unwrap());
        assert_eq!(process_secret().unwrap().len(), MIN_SECRET_BYTES);
    }
}
