//! Incremental aggregates for scoring (issue "Scoring"), so results never scan responses:
//!
//! - `score_buckets`: per agency × form version × month × channel, the sufficient statistics of
//!   the valid responses (counts per item and level, pairwise co-occurrence counts, respondents
//!   with data per index node, Decision 766 counts) and the number of invalid returns, as one
//!   JSON text of integers (`domain::aggregates`). Updated in the transaction that stores each
//!   response; `sipas scores rebuild` recomputes it from the responses.
//! - `dossier_counts`: per agency × form × month × channel, the completed dossiers registered
//!   (the population N for the fpc, the "invited" figure and D of Decision 766). Updated in the
//!   transaction that registers the dossiers.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
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
            .create_table(
                Table::create()
                    .table("dossier_counts")
                    .col(uuid("agency_id"))
                    .col(string_len("form_key", 64))
                    .col(char_len("period_month", 7))
                    .col(string_len("channel", 16))
                    .col(big_integer("dossiers"))
                    .primary_key(
                        Index::create()
                            .col("agency_id")
                            .col("form_key")
                            .col("period_month")
                            .col("channel"),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_dossier_counts_agency")
                            .from("dossier_counts", "agency_id")
                            .to("agencies", "id")
                            .on_delete(ForeignKeyAction::Restrict),
                    )
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table("dossier_counts").to_owned())
            .await?;
        manager
            .drop_table(Table::drop().table("score_buckets").to_owned())
            .await
    }
}
