//! `score_buckets` goes (issue 19, "Fast from nothing"): results read the roll-ups
//! (`score_rollups`, `m20261206_001400_create_rollups`), which closing a month and late entries
//! keep. A database upgraded from before has published answers and no roll-up yet: the server
//! rebuilds them from the responses at its first start (`persistence::aggregates::
//! rebuild_if_missing`), so nothing is copied here. `dossier_counts` stays (open months too); its
//! `revision` column stays, no longer written (the caches that read it are gone).

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_index(
                Index::drop()
                    .name("ix_score_buckets_revision")
                    .table("score_buckets")
                    .to_owned(),
            )
            .await?;
        manager
            .drop_table(Table::drop().table("score_buckets").to_owned())
            .await
    }

    /// The table as it was, empty (`sipas scores rebuild` of the older version refills it).
    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table("score_buckets")
                    .col(uuid("agency_id"))
                    .col(string_len("form_key", 64))
                    .col(integer("form_version"))
                    .col(char_len("period_month", 7))
                    .col(string_len("channel", 16))
                    .col(text("counts"))
                    .col(big_integer("revision").default(0))
                    .primary_key(
                        Index::create()
                            .col("agency_id")
                            .col("form_key")
                            .col("form_version")
                            .col("period_month")
                            .col("channel"),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_score_buckets_agency")
                            .from("score_buckets", "agency_id")
                            .to("agencies", "id")
                            .on_delete(ForeignKeyAction::Restrict),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("ix_score_buckets_revision")
                    .table("score_buckets")
                    .col("agency_id")
                    .col("form_key")
                    .col("period_month")
                    .col("form_version")
                    .col("channel")
                    .col("revision")
                    .to_owned(),
            )
            .await
    }
}
