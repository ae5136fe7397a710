//! Dossiers (hồ sơ): one row per completed dossier registered for a survey, unique per agency
//! and dossier code. The survey token itself is never stored, only its SHA-256 hash for lookup
//! (the token is re-derived from the dossier id with the server secret when it is needed again).
//! Also the `server_secrets` table that keeps the generated token secret when none is configured.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table("server_secrets")
                    .col(string_len("name", 64).primary_key())
                    .col(text("value"))
                    .col(timestamp_with_time_zone("created_at"))
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table("dossiers")
                    .col(pk_uuid("id"))
                    .col(uuid("agency_id"))
                    .col(string_len("dossier_code", 128))
                    .col(string_len("form_key", 64))
                    .col(integer("form_version"))
                    .col(timestamp_with_time_zone("completed_at"))
                    .col(string_len("channel", 16).check(Expr::col("channel").is_in([
                        "in_person",
                        "online",
                        "postal",
                    ])))
                    .col(string_len_null("procedure_code", 128))
                    .col(string_len_null("procedure_field", 255))
                    .col(string_len("language", 8))
                    // Lowercase hex SHA-256 of the survey token.
                    .col(string_len_uniq("token_hash", 64))
                    .col(timestamp_with_time_zone("expires_at"))
                    .col(boolean("answered").default(false))
                    .col(timestamp_with_time_zone("created_at"))
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_dossiers_agency")
                            .from("dossiers", "agency_id")
                            .to("agencies", "id")
                            .on_delete(ForeignKeyAction::Restrict),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("uq_dossiers_agency_code")
                    .table("dossiers")
                    .col("agency_id")
                    .col("dossier_code")
                    .unique()
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table("dossiers").to_owned())
            .await?;
        manager
            .drop_table(Table::drop().table("server_secrets").to_owned())
            .await
    }
}
