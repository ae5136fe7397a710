//! A revision on every score bucket and dossier count, and indexes that read the revisions
//! alone.
//!
//! Every write of a bucket or a dossier count (`persistence::aggregates::apply`,
//! `count_dossiers` and `rebuild`) gives it a new random revision. A result first sums the
//! revisions of its rows — from these indexes, without touching the counts — and serves the view
//! it computed earlier when the sums are the same (`persistence::aggregates::fingerprint`,
//! `http::results_service`). Random rather than incremented: a rebuild recreates every row, and
//! a counter restarting at 0 could match a revision computed before it.

use sea_orm_migration::prelude::*;

const INDEX: &str = "ix_score_buckets_revision";
const COUNTS_INDEX: &str = "ix_dossier_counts_revision";

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
            .await?;
        manager
            .alter_table(
                Table::alter()
                    .table("dossier_counts")
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
                    .name(COUNTS_INDEX)
                    .table("dossier_counts")
                    .col("agency_id")
                    .col("form_key")
                    .col("period_month")
                    .col("revision")
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_index(
                Index::drop()
                    .name(COUNTS_INDEX)
                    .table("dossier_counts")
                    .to_owned(),
            )
            .await?;
        manager
            .alter_table(
                Table::alter()
                    .table("dossier_counts")
                    .drop_column("revision")
                    .to_owned(),
            )
            .await?;
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
