//! API keys: only the SHA-256 hash of each key is stored; an agency key names its agency.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table("api_keys")
                    .col(pk_uuid("id"))
                    .col(string_len_uniq("key_hash", 64))
                    .col(
                        string_len("role", 16)
                            .check(Expr::col("role").is_in(["admin", "agency", "pipeline"])),
                    )
                    .col(uuid_null("agency_id"))
                    .col(string_len_null("label", 255))
                    .col(timestamp_with_time_zone("created_at"))
                    .col(timestamp_with_time_zone_null("last_used_at"))
                    .col(timestamp_with_time_zone_null("revoked_at"))
                    // An agency key has an agency; no other key has one.
                    .check(
                        Expr::col("role")
                            .eq("agency")
                            .and(Expr::col("agency_id").is_not_null())
                            .or(Expr::col("role")
                                .ne("agency")
                                .and(Expr::col("agency_id").is_null())),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_api_keys_agency")
                            .from("api_keys", "agency_id")
                            .to("agencies", "id")
                            .on_delete(ForeignKeyAction::Restrict),
                    )
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table("api_keys").to_owned())
            .await
    }
}
