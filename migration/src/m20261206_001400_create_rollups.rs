//! Roll-ups (issue 19, "Fast from nothing"): what results read instead of one score bucket per
//! month. `score_rollups` holds, per agency × form version × span × channel, the counts of the
//! closed months of the span (`span`: `2025-03`, `2025-Q1`, `2025-H1` or `2025`; `counts`: the
//! packed varints of `BucketCounts::pack`, bytes rather than text to parse); `dossier_rollups`
//! the registered dossiers of the same spans per agency × form × channel. A closed month's
//! counts are in the four spans that contain it (`domain::spans`). A primary key's order is the
//! order results read in: the agencies, then one form (version), then the spans.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table("score_rollups")
                    .col(uuid("agency_id"))
                    .col(string_len("form_key", 64))
                    .col(integer("form_version"))
                    .col(string_len("span", 7))
                    .col(string_len("channel", 16))
                    .col(blob("counts"))
                    .primary_key(
                        Index::create()
                            .col("agency_id")
                            .col("form_key")
                            .col("form_version")
                            .col("span")
                            .col("channel"),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_score_rollups_agency")
                            .from("score_rollups", "agency_id")
                            .to("agencies", "id")
                            .on_delete(ForeignKeyAction::Restrict),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table("dossier_rollups")
                    .col(uuid("agency_id"))
                    .col(string_len("form_key", 64))
                    .col(string_len("span", 7))
                    .col(string_len("channel", 16))
                    .col(big_integer("dossiers"))
                    .primary_key(
                        Index::create()
                            .col("agency_id")
                            .col("form_key")
                            .col("span")
                            .col("channel"),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_dossier_rollups_agency")
                            .from("dossier_rollups", "agency_id")
                            .to("agencies", "id")
                            .on_delete(ForeignKeyAction::Restrict),
                    )
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table("dossier_rollups").to_owned())
            .await?;
        manager
            .drop_table(Table::drop().table("score_rollups").to_owned())
            .await
    }
}
