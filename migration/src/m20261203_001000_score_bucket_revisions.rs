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

/// Each table, its index, and the index's columns (the revision last: read from the index alone).
const TABLES: [(&str, &str, &[&str]); 2] = [
    (
        "score_buckets",
        "ix_score_buckets_revision",
        &[
            "agency_id",
            "form_key",
            "period_month",
            "form_version",
            "channel",
            "revision",
        ],
    ),
    (
        "dossier_counts",
        "ix_dossier_counts_revision",
        &["agency_id", "form_key", "period_month", "revision"],
    ),
];

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for (table, index, columns) in TABLES {
            manager
                .alter_table(
                    Table::alter()
                        .table(table)
                        .add_column(
                            ColumnDef::new("revision")
                                .big_integer()
                                .not_null()
                                .default(0),
                        )
                        .to_owned(),
                )
                .await?;
            let mut create = Index::create();
            create.name(index).table(table);
            for column in columns {
                create.col(*column);
            }
            manager.create_index(create.to_owned()).await?;
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for (table, index, _) in TABLES {
            manager
                .drop_index(Index::drop().name(index).table(table).to_owned())
                .await?;
            manager
                .alter_table(
                    Table::alter()
                        .table(table)
                        .drop_column("revision")
                        .to_owned(),
                )
                .await?;
        }
        Ok(())
    }
}
