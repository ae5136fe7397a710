//! `integrity_counts` (issue 20): per agency and month, how many answers arrived and how many of
//! them showed each sign of self-answering (quick, burst, straight-lined, top-box only) and in
//! which mode — counts only, added to in the response writer's transaction
//! (`persistence::integrity`). No address, no time, nothing per response.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

/// The count columns (`domain::integrity::COLUMNS`).
const COUNTS: [&str; 11] = [
    "answers",
    "web_link",
    "quick",
    "burst",
    "patterned",
    "straight_lined",
    "top_box_only",
    "mode_web",
    "mode_kiosk",
    "mode_phone",
    "mode_paper",
];

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let mut table = Table::create();
        table
            .table("integrity_counts")
            .col(uuid("agency_id"))
            .col(char_len("period_month", 7));
        for count in COUNTS {
            table.col(big_integer(count).default(0));
        }
        manager
            .create_table(
                table
                    .primary_key(Index::create().col("agency_id").col("period_month"))
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_integrity_counts_agency")
                            .from("integrity_counts", "agency_id")
                            .to("agencies", "id")
                            .on_delete(ForeignKeyAction::Restrict),
                    )
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table("integrity_counts").to_owned())
            .await
    }
}
