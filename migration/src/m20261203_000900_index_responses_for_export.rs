//! The index the raw-answer export reads through (`GET /api/v1/responses/export`,
//! `persistence::responses::export_page` and `export_next_month`).
//!
//! The export walks one agency and one month at a time in keyset order — `WHERE agency_id = ?
//! AND form_key = ? AND form_version = ? AND period_month = ? AND id > ? ORDER BY id LIMIT n` —
//! so that a page costs the same at the start and at the end of a million rows, and finds the
//! next month that has responses with one seek (`… AND period_month > ? ORDER BY period_month
//! LIMIT 1`), so empty months and agencies cost one lookup each. The existing
//! `ix_responses_agency_form_month (agency_id, form_key, period_month)` cannot deliver a
//! month's rows in `id` order (every page would sort all the month's remaining rows): hence
//! `(agency_id, form_key, form_version, period_month, id)`, equality on four columns and a
//! range scan on `id` that already comes out in order.

use sea_orm_migration::prelude::*;

const INDEX: &str = "ix_responses_export";

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_index(
                Index::create()
                    .name(INDEX)
                    .table("responses")
                    .col("agency_id")
                    .col("form_key")
                    .col("form_version")
                    .col("period_month")
                    .col("id")
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_index(Index::drop().name(INDEX).table("responses").to_owned())
            .await
    }
}
