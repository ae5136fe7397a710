//! `retained_dossier_counts` (issue 16): per agency × form × month × channel, how many sealed
//! dossiers retention (`retention.dossier_months`) deleted. `dossier_counts` keeps counting them
//! for the published figures; this table is what lets `sipas scores rebuild`, which recounts the
//! `dossiers` table, find them again. Its greatest month also tells registration which months
//! were emptied (a dossier registered there could be one already deleted).

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table("retained_dossier_counts")
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
                            .name("fk_retained_dossier_counts_agency")
                            .from("retained_dossier_counts", "agency_id")
                            .to("agencies", "id")
                            .on_delete(ForeignKeyAction::Restrict),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("ix_retained_dossier_counts_month")
                    .table("retained_dossier_counts")
                    .col("period_month")
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table("retained_dossier_counts").to_owned())
            .await
    }
}
