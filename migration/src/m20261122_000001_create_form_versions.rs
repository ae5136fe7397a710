//! Published survey-form versions. A row is written once, when a `key` + `version` is first
//! published, and its content never changes afterwards (responses bind to it); only `status`
//! moves from `published` to `retired`.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum FormVersions {
    Table,
    FormKey,
    Version,
    Checksum,
    Source,
    FileName,
    Edition,
    Status,
    PublishedAt,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(FormVersions::Table)
                    .if_not_exists()
                    .col(string_len(FormVersions::FormKey, 64))
                    .col(integer(FormVersions::Version))
                    // SHA-256 (hex) of the definition file as published.
                    .col(char_len(FormVersions::Checksum, 64))
                    // The definition file itself (TOML), so every version stays retrievable
                    // even after its file has left survey-forms/.
                    .col(text(FormVersions::Source))
                    .col(string_len(FormVersions::FileName, 255))
                    .col(string_len(FormVersions::Edition, 128))
                    .col(string_len(FormVersions::Status, 16).default("published"))
                    .col(timestamp_with_time_zone(FormVersions::PublishedAt))
                    .primary_key(
                        Index::create()
                            .col(FormVersions::FormKey)
                            .col(FormVersions::Version),
                    )
                    .check(Expr::col(FormVersions::Status).is_in(["published", "retired"]))
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(FormVersions::Table).to_owned())
            .await
    }
}
