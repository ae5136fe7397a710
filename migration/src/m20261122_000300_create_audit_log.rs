//! The audit log of administrative actions. Ids are UUID v7, so id order is time order.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table("audit_log")
                    .col(pk_uuid("id"))
                    .col(timestamp_with_time_zone("at"))
                    // NULL: done at the command line, not with a key.
                    .col(uuid_null("actor_key_id"))
                    .col(string_len("action", 64))
                    .col(string_len_null("subject", 255))
                    .col(json_null("details"))
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_audit_log_actor_key")
                            .from("audit_log", "actor_key_id")
                            .to("api_keys", "id")
                            .on_delete(ForeignKeyAction::Restrict),
                    )
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table("audit_log").to_owned())
            .await
    }
}
