//! The server secret stays out of the database (issue 15): no table holds it; a SQLite file
//! database gets an owner-only key file beside it that a restart reuses; PostgreSQL refuses to
//! start without one; and a secret that an older version kept in the database moves into the
//! key file, so the tokens it derived keep working.

use std::os::unix::fs::PermissionsExt;
use std::path::Path;

use migration::MigratorTrait;
use sea_orm::{ConnectionTrait, DatabaseBackend, DatabaseConnection, Statement};
use sipas::config::Settings;
use sipas::domain::digest;
use sipas::domain::tokens::TokenKey;
use sipas::startup::Application;
use uuid::Uuid;

use crate::dossiers::{dossier, register, setup};
use crate::helpers::{
    TestDatabase, on_postgres, spawn_app_for_process, spawn_app_for_process_with, spawn_app_on_db,
    spawn_node, test_settings,
};
use crate::process::{sipas, workdir};

/// The first column of every row of `sql`, as text.
async fn strings(db: &DatabaseConnection, sql: &str) -> Vec<String> {
    db.query_all_raw(Statement::from_string(
        db.get_database_backend(),
        sql.to_owned(),
    ))
    .await
    .unwrap()
    .iter()
    .map(|row| row.try_get_by_index::<String>(0).unwrap())
    .collect()
}

async fn tables(db: &DatabaseConnection) -> Vec<String> {
    let sql = match db.get_database_backend() {
        DatabaseBackend::Sqlite => "SELECT name FROM sqlite_master WHERE type = 'table'",
        _ => {
            "SELECT table_name::text FROM information_schema.tables \
             WHERE table_schema = current_schema()"
        }
    };
    strings(db, sql).await
}

/// Every value of every table, lowercased: on SQLite the hex of each column's bytes (text and
/// blobs alike), on PostgreSQL each row as JSON (bytea shows as `\x` and hex).
async fn every_value(db: &DatabaseConnection) -> Vec<String> {
    let mut values = Vec::new();
    for table in tables(db).await {
        match db.get_database_backend() {
            DatabaseBackend::Sqlite => {
                let columns = strings(
                    db,
                    &format!("SELECT name FROM pragma_table_info('{table}')"),
                )
                .await;
                for column in columns {
                    values.extend(
                        strings(
                            db,
                            &format!("SELECT lower(hex(\"{column}\")) FROM \"{table}\""),
                        )
                        .await,
                    );
                }
            }
            _ => values.extend(
                strings(
                    db,
                    &format!("SELECT lower(row_to_json(t)::text) FROM \"{table}\" t"),
                )
                .await,
            ),
        }
    }
    values
}

/// Whether `text` is stored anywhere in `values` (from [`every_value`]) as text or as bytes.
fn stored_in(values: &[String], backend: DatabaseBackend, text: &str) -> bool {
    let needle = match backend {
        DatabaseBackend::Sqlite => digest::to_hex(text.as_bytes()),
        _ => text.to_lowercase(),
    };
    values.iter().any(|v| v.contains(&needle))
}

fn mode(path: &Path) -> u32 {
    std::fs::metadata(path).unwrap().permissions().mode() & 0o777
}

#[tokio::test]
async fn no_table_of_the_database_holds_the_server_secret() {
    let dir = tempfile::tempdir().unwrap();
    let key_file = dir.path().join("secret.key");
    if on_postgres() {
        // PostgreSQL must be given one; the key file a SQLite start makes for itself.
        let secret = digest::to_hex(&TokenKey::generate_secret().unwrap());
        std::fs::write(&key_file, format!("{secret}\n")).unwrap();
    }
    let (app, _url) = spawn_app_for_process_with(dir.path(), |s| {
        s.security.token_secret = None;
        s.security.key_file = on_postgres().then(|| key_file.clone());
    })
    .await;
    let admin = setup(&app).await;
    register(&app, &admin, &dossier("SO", "SECRET-CHECK-1"), 201).await;

    let secret = std::fs::read_to_string(&key_file).unwrap();
    let secret = secret.trim();
    assert_eq!(secret.len(), 64, "64 hex characters");
    let values = every_value(&app.db).await;
    let backend = app.db.get_database_backend();
    assert!(
        stored_in(&values, backend, "SECRET-CHECK-1"),
        "the search finds what is stored"
    );
    // The secret's text, and the bytes its hex digits stand for (the form the database used to
    // keep: the hex of those bytes is the text itself).
    assert!(!stored_in(&values, backend, secret), "the secret is stored");
    let raw = digest::from_hex(secret).unwrap();
    assert!(
        !values.iter().any(|v| v.contains(&digest::to_hex(&raw))),
        "the secret's bytes are stored"
    );
}

#[tokio::test]
async fn a_sqlite_file_gets_an_owner_only_key_file_that_a_restart_reuses() {
    if on_postgres() {
        // PostgreSQL never makes one: see the test below.
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let (app, url) = spawn_app_for_process(dir.path()).await;
    let key_file = dir.path().join("secret.key");
    assert_eq!(mode(&key_file), 0o600);
    let secret = std::fs::read_to_string(&key_file).unwrap();
    assert!(
        secret.len() == 65 && secret.ends_with('\n') && digest::from_hex(secret.trim()).is_some(),
        "one line of 64 hex digits"
    );
    let admin = setup(&app).await;
    let first = register(&app, &admin, &dossier("SO", "K-1"), 201).await;

    let again = spawn_node(&url, |_| {}).await;
    let second = register(&again, &admin, &dossier("SO", "K-1"), 200).await;
    assert_eq!(first["survey_token"], second["survey_token"]);
    assert_eq!(std::fs::read_to_string(&key_file).unwrap(), secret);
}

#[tokio::test]
async fn without_a_secret_postgres_refuses_to_start_and_sqlite_makes_one() {
    let database = TestDatabase::create().await;
    let dir = tempfile::tempdir().unwrap();
    let key_file = dir.path().join("secret.key");
    let mut settings = test_settings(&database.url);
    settings.security.token_secret = None;
    settings.security.key_file = Some(key_file.clone());
    let built = Application::build(settings).await;
    if database.is_postgres() {
        let message = match built {
            Ok(_) => panic!("started on PostgreSQL without a secret"),
            Err(e) => format!("{e:#}"),
        };
        assert!(
            message.contains("every node needs the same secret")
                && message.contains("APP_SECURITY__TOKEN_SECRET")
                && message.contains("security.key_file"),
            "{message}"
        );
        assert!(!key_file.exists(), "none generated");
        // Refused before migrating: the database is as it was.
        let db = sea_orm::Database::connect(&database.url).await.unwrap();
        assert_eq!(tables(&db).await, Vec::<String>::new());
        db.close().await.unwrap();
    } else {
        let app = built.expect("SQLite makes its own secret");
        assert_eq!(mode(&key_file), 0o600);
        drop(app);
    }
}

/// The database of a version before issue 15: the schema up to the migration that drops
/// `server_secrets`, and a generated secret in that table. Returns the secret's bytes.
async fn database_with_a_stored_secret(db: &DatabaseConnection) -> Vec<u8> {
    let before = migration::Migrator::migrations()
        .iter()
        .position(|m| m.name() == "m20261205_001200_drop_server_secrets")
        .unwrap();
    migration::Migrator::up(db, Some(u32::try_from(before).unwrap()))
        .await
        .unwrap();
    let secret = TokenKey::generate_secret().unwrap();
    db.execute_raw(Statement::from_string(
        db.get_database_backend(),
        format!(
            "INSERT INTO server_secrets (name, value, created_at) \
             VALUES ('survey_token_secret', '{}', CURRENT_TIMESTAMP)",
            digest::to_hex(&secret)
        ),
    ))
    .await
    .unwrap();
    secret
}

/// Settings without a secret and with the key file `key_file`.
fn settings_with_key_file(database: &TestDatabase, key_file: &Path) -> Settings {
    let mut settings = test_settings(&database.url);
    settings.security.token_secret = None;
    settings.security.key_file = Some(key_file.to_owned());
    settings
}

#[tokio::test]
async fn a_secret_kept_in_the_database_moves_to_the_key_file_and_its_tokens_still_work() {
    let database = TestDatabase::create().await;
    let dir = tempfile::tempdir().unwrap();
    let key_file = dir.path().join("keys/secret.key");
    let settings = settings_with_key_file(&database, &key_file);
    let db = sipas::persistence::connect(&settings.database)
        .await
        .unwrap();
    let secret = database_with_a_stored_secret(&db).await;
    let before = TokenKey::new(secret.clone()).unwrap();

    let app = spawn_app_on_db(database, db, settings).await;
    assert_eq!(
        sipas::secret_key::read_key_file(&key_file)
            .unwrap()
            .unwrap(),
        secret
    );
    assert_eq!(mode(&key_file), 0o600);
    assert!(!tables(&app.db).await.contains(&"server_secrets".to_owned()));
    let admin = setup(&app).await;
    let reg = register(&app, &admin, &dossier("SO", "U-1"), 201).await;
    let id: Uuid = reg["dossier_id"].as_str().unwrap().parse().unwrap();
    assert_eq!(before.derive(id).expose(), reg["survey_token"]);
}

#[tokio::test]
async fn a_configured_secret_wins_over_one_kept_in_the_database_which_is_deleted() {
    let database = TestDatabase::create().await;
    let dir = tempfile::tempdir().unwrap();
    let key_file = dir.path().join("secret.key");
    let mut settings = settings_with_key_file(&database, &key_file);
    let configured = "a-configured-secret-of-forty-characters!";
    settings.security.token_secret = Some(configured.into());
    let db = sipas::persistence::connect(&settings.database)
        .await
        .unwrap();
    database_with_a_stored_secret(&db).await;

    let app = spawn_app_on_db(database, db, settings).await;
    assert!(!key_file.exists(), "nothing written");
    assert!(!tables(&app.db).await.contains(&"server_secrets".to_owned()));
    let admin = setup(&app).await;
    let reg = register(&app, &admin, &dossier("SO", "U-2"), 201).await;
    let id: Uuid = reg["dossier_id"].as_str().unwrap().parse().unwrap();
    let key = TokenKey::new(configured.as_bytes().to_vec()).unwrap();
    assert_eq!(key.derive(id).expose(), reg["survey_token"]);
}

#[tokio::test]
async fn sipas_migrate_moves_a_stored_secret_into_the_key_file_first() {
    let database = TestDatabase::create().await;
    let dir = workdir();
    let url = database.url_for_process(&dir);
    let db = sea_orm::Database::connect(&url).await.unwrap();
    let secret = database_with_a_stored_secret(&db).await;
    db.close().await.unwrap();

    let key_file = dir.join("secret.key");
    let out = sipas(&dir)
        .arg("migrate")
        .env("DATABASE_URL", &url)
        .env_remove("APP_SECURITY__TOKEN_SECRET")
        .env("APP_SECURITY__KEY_FILE", &key_file)
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{stderr}");
    assert_eq!(
        std::fs::read_to_string(&key_file).unwrap(),
        format!("hex:{}\n", digest::to_hex(&secret))
    );
    if database.is_postgres() {
        assert!(
            stderr.contains("every node must be given this file"),
            "{stderr}"
        );
    }
    let db = sea_orm::Database::connect(&url).await.unwrap();
    assert!(!tables(&db).await.contains(&"server_secrets".to_owned()));
    db.close().await.unwrap();
    std::fs::remove_dir_all(dir).ok();
}
