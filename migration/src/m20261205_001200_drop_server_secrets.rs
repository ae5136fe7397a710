//! Drops `server_secrets` (issue 15): the server secret no longer lives in the database, where
//! every copy of the database carried the key to its own tokens and sealed codes. `sipas` moves
//! a secret still kept there into the key file before it migrates (`secret_key` in the
//! application); this migration refuses to drop a table that still holds one, so that running it
//! by other means cannot lose the secret (and with it every survey link already sent).

use sea_orm_migration::sea_orm::Statement;
use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        if !manager.has_table("server_secrets").await? {
            return Ok(());
        }
        let db = manager.get_connection();
        let backend = manager.get_database_backend();
        let kept = db
            .query_one_raw(Statement::from_string(
                backend,
                "SELECT name FROM server_secrets",
            ))
            .await?;
        if kept.is_some() {
            return Err(DbErr::Migration(
                "the table server_secrets still holds the server secret: run `sipas migrate` \
                 (or start `sipas`), which moves it into the key file before migrating"
                    .into(),
            ));
        }
        manager
            .drop_table(Table::drop().table("server_secrets").to_owned())
            .await
    }

    /// The table as `m20261122_000400_create_dossiers` created it, empty: the secret stays in
    /// the key file (an older `sipas` finding the table empty would generate a new one).
    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table("server_secrets")
                    .col(string_len("name", 64).primary_key())
                    .col(text("value"))
                    .col(timestamp_with_time_zone("created_at"))
                    .to_owned(),
            )
            .await
    }
}
