//! Agencies: a hierarchy with unique codes and a materialised path of ids for subtree checks.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table("agencies")
                    .col(pk_uuid("id"))
                    .col(string_len_uniq("code", 64))
                    .col(string_len("name_vi", 255))
                    .col(string_len_null("name_en", 255))
                    .col(string_len("kind", 16).check(Expr::col("kind").is_in([
                        "ministry",
                        "province",
                        "department",
                        "district",
                        "commune",
                        "other",
                    ])))
                    .col(uuid_null("parent_id"))
                    // `/<id>/…/<own id>/`, root first: see `domain::agencies::AgencyPath`.
                    .col(text("path"))
                    .col(string_len("default_form", 64).default("sipas-2017"))
                    .col(timestamp_with_time_zone("created_at"))
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_agencies_parent")
                            .from("agencies", "parent_id")
                            .to("agencies", "id")
                            .on_delete(ForeignKeyAction::Restrict),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_agencies_parent_id")
                    .table("agencies")
                    .col("parent_id")
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table("agencies").to_owned())
            .await
    }
}
