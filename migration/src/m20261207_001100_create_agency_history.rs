//! Agencies in time (issue 21). `agency_revisions`: each recorded change of an agency's names or
//! parent, keeping what it replaced (the `agencies` row holds the latest), so the placement of
//! any month can be told (`domain::agency_history`). `agency_lifetimes`: the months an agency is
//! in force (opened from, closed from; `NULL`: no bound) and the agency it was merged into.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

fn to_agencies(name: &str, table: &'static str, column: &'static str) -> ForeignKeyCreateStatement {
    ForeignKey::create()
        .name(name)
        .from(table, column)
        .to("agencies", "id")
        .on_delete(ForeignKeyAction::Restrict)
        .to_owned()
}

/// `agency_revisions`: one row per agency and month its names or parent changed in.
fn revisions() -> TableCreateStatement {
    Table::create()
        .table("agency_revisions")
        .col(uuid("agency_id"))
        // `YYYY-MM`: from this month on, the placement below no longer holds.
        .col(char_len("effective_from", 7))
        .col(string_len("before_name_vi", 255))
        .col(string_len_null("before_name_en", 255))
        .col(uuid_null("before_parent_id"))
        .col(timestamp_with_time_zone("recorded_at"))
        .primary_key(Index::create().col("agency_id").col("effective_from"))
        .foreign_key(&mut to_agencies(
            "fk_agency_revisions_agency",
            "agency_revisions",
            "agency_id",
        ))
        .foreign_key(&mut to_agencies(
            "fk_agency_revisions_parent",
            "agency_revisions",
            "before_parent_id",
        ))
        .to_owned()
}

/// `agency_lifetimes`: at most one row per agency.
fn lifetimes() -> TableCreateStatement {
    Table::create()
        .table("agency_lifetimes")
        .col(pk_uuid("agency_id"))
        .col(char_len_null("opened_from", 7))
        .col(char_len_null("closed_from", 7))
        .col(uuid_null("successor_id"))
        .col(timestamp_with_time_zone("recorded_at"))
        .foreign_key(&mut to_agencies(
            "fk_agency_lifetimes_agency",
            "agency_lifetimes",
            "agency_id",
        ))
        .foreign_key(&mut to_agencies(
            "fk_agency_lifetimes_successor",
            "agency_lifetimes",
            "successor_id",
        ))
        .to_owned()
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for table in [revisions(), lifetimes()] {
            manager.create_table(table).await?;
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for table in ["agency_lifetimes", "agency_revisions"] {
            let drop = Table::drop().table(table).to_owned();
            manager.drop_table(drop).await?;
        }
        Ok(())
    }
}
