//! `sipas backup FILE`: a consistent copy of a SQLite installation, taken while the server runs.
//!
//! `VACUUM INTO` reads the database in one read transaction (WAL mode lets the server go on
//! writing meanwhile) and writes a compact, self-contained file: no `-wal` file to forget, and
//! no free pages holding deleted rows. On PostgreSQL there is nothing to copy from here:
//! `pg_dump -Fc` is the tool (the README has the recipe), so the command says so and fails.
//!
//! The server secret is never in the database (`secret_key`): a backup without the key file (or
//! `security.token_secret`) cannot derive survey links or check sealed codes. It must be kept,
//! apart from the backups.

use std::path::{Path, PathBuf};

use anyhow::{Context, anyhow, bail};
use sea_orm::{ConnectionTrait, DatabaseBackend, Statement};
use secrecy::ExposeSecret;

use crate::config::{Settings, redact_url};
use crate::persistence;

/// A copy that was written.
#[derive(Debug)]
pub struct Written {
    pub path: PathBuf,
    pub bytes: u64,
    /// Where the secret is kept, which the copy does not hold.
    pub key_file: Option<PathBuf>,
    pub secret_in_settings: bool,
}

/// The database is PostgreSQL, which `sipas backup` does not copy: its `Display` is the
/// `pg_dump` recipe, and `main` exits with status 2.
#[derive(Debug, thiserror::Error)]
#[error(
    "sipas backup copies SQLite databases only; this one is PostgreSQL ({url}). Use pg_dump, \
     which takes a consistent snapshot while sipas runs:\n  \
     pg_dump -Fc -f sipas-$(date +%F).dump \"$DATABASE_URL\"\n\
     and to restore into an empty database:\n  \
     pg_restore --no-owner -d \"$DATABASE_URL\" sipas-YYYY-MM-DD.dump\n\
     The server secret is not in the database: keep APP_SECURITY__TOKEN_SECRET (or the key \
     file) apart from the dumps. See README.md, \"Backup\".\n"
)]
pub struct OnPostgres {
    /// The database URL, password hidden.
    pub url: String,
}

/// Copies the configured SQLite database to `target`, which must not exist yet.
///
/// # Errors
/// [`OnPostgres`] on PostgreSQL; an in-memory or missing database, an existing `target`, or a
/// failed copy.
pub async fn backup(settings: &Settings, target: &Path) -> anyhow::Result<Written> {
    let url = settings.database.url.expose_secret();
    if url.starts_with("postgres://") || url.starts_with("postgresql://") {
        return Err(OnPostgres {
            url: redact_url(url),
        }
        .into());
    }
    let source = settings.sqlite_file().ok_or_else(|| {
        anyhow!("the database is in memory (database.url = {url}): there is nothing to back up")
    })?;
    // Connecting with mode=rwc would create an empty database where there is none.
    if !source.is_file() {
        bail!("there is no database at {}", source.display());
    }
    reserve(target)?;
    let text = target
        .to_str()
        .ok_or_else(|| anyhow!("{} is not a UTF-8 path", target.display()))?;
    let db = persistence::connect(&settings.database).await?;
    let copied = db
        .execute_raw(Statement::from_sql_and_values(
            DatabaseBackend::Sqlite,
            "VACUUM INTO ?",
            [text.into()],
        ))
        .await
        .with_context(|| format!("copying {} to {}", source.display(), target.display()));
    db.close().await?;
    if copied.is_err() {
        let _ = std::fs::remove_file(target);
    }
    copied?;
    let bytes = std::fs::metadata(target)
        .with_context(|| format!("reading the size of {}", target.display()))?
        .len();
    Ok(Written {
        path: target.to_owned(),
        bytes,
        key_file: crate::secret_key::key_file_path(settings),
        secret_in_settings: settings.security.token_secret.is_some(),
    })
}

/// What `sipas backup` prints: the file and its size (tab-separated) for standard output, and
/// the reminder about the secret for standard error.
pub fn report(written: &Written) -> (String, String) {
    let Written {
        path,
        bytes,
        key_file,
        secret_in_settings,
    } = written;
    let secret = match (secret_in_settings, key_file) {
        (true, _) => "security.token_secret (APP_SECURITY__TOKEN_SECRET)".to_owned(),
        (false, Some(file)) => format!("the key file {}", file.display()),
        (false, None) => "the server secret".to_owned(),
    };
    (
        format!("{}\t{bytes}\n", path.display()),
        format!(
            "backed up the database to {} ({bytes} bytes). The server secret is NOT in it: keep \
             {secret} too, apart from the backups; without it the copy cannot serve the survey \
             links already sent.\n",
            path.display()
        ),
    )
}

/// Creates `target` empty and readable by its owner only, before SQLite writes into it (`VACUUM
/// INTO` accepts an empty file): the copy holds officers' password hashes, citizens' pending
/// e-mail addresses and the answers, so it must not be created with the umask's 0644; and
/// `create_new` refuses a file or a symlink someone placed there meanwhile.
fn reserve(target: &Path) -> anyhow::Result<()> {
    use std::os::unix::fs::OpenOptionsExt;
    std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(target)
        .map(drop)
        .map_err(|e| match e.kind() {
            std::io::ErrorKind::AlreadyExists => {
                anyhow!("{} exists already: give a new file name", target.display())
            }
            _ => anyhow!("cannot create {}: {e}", target.display()),
        })
}
