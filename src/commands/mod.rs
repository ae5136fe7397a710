//! The CLI subcommands other than `serve`. Each prints data on standard output and diagnostics
//! on standard error, and returns an error for a non-zero exit. `main.rs` only parses and prints.

pub mod admin;
pub mod agencies;
pub mod backup;
pub mod demo;
pub mod forms;
pub mod import_file;
pub mod months;
pub mod responses;
pub mod retention;
pub mod scores;
pub mod users;

pub use admin::{
    CreatedKey, create_key, format_keys, import_agencies, list_keys, read_import, revoke_key,
};
pub use import_file::ImportError;

use migration::MigratorTrait;

use crate::cli::MigrateAction;
use crate::config::Settings;
use crate::persistence;

/// `sipas migrate …`.
pub async fn migrate(settings: &Settings, action: MigrateAction) -> anyhow::Result<()> {
    let db = persistence::connect(&settings.database).await?;
    match action {
        MigrateAction::Up => persistence::migrate_up(&db, settings).await?,
        MigrateAction::Down { steps } => migration::Migrator::down(&db, Some(steps)).await?,
        MigrateAction::Status => {
            for m in migration::Migrator::get_migration_with_status(&db).await? {
                println!("{}\t{:?}", m.name(), m.status());
            }
        }
    }
    db.close().await?;
    Ok(())
}
