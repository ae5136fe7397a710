//! A revision on every score bucket, and an index that reads the revisions alone.
//!
//! Every write of a bucket (`persistence::aggregates::apply` and `rebuild`) gives it a new
//! random revision. A result reads the revisions of its buckets first — from the index, without
//! touching the counts — and serves the view it computed earlier when none of them (nor the
//! dossier counts, nor the agencies) changed since (`http::results_service`). Random rather
//! than incremented: a rebuild recreates every row, and a counter restarting at 0 could match a
//! revision computed before it.

use sea_orm_migration::prelude::*;

const INDEX: &str = "ix_score_buckets_revision";

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter()
                    .table("score_buckets")
                    .add_column(
                        ColumnDef::new("revision")
                            .big_integer()
                            .not_null()
                            .default(0),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name(INDEX)
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

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_index(Index::drop().name(INDEX).table("score_buckets").to_owned())
            .await?;
        manager
            .alter_table(
                Table::alter()
                    .table("score_buckets")
                    .drop_column("revision")
                    .to_owned(),
            )
            .await
    }
}
