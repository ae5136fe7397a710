//! The e-mail outbox: one row per dossier registered with a contact address, written in the
//! same transaction as the dossier. It carries the invitation and then the reminder; the
//! address is set to NULL once no longer needed. Rows are claimed with a lease column
//! (`lease_until`), which works the same on SQLite and PostgreSQL.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table("outbox")
                    .col(pk_uuid("id"))
                    .col(uuid_uniq("dossier_id"))
                    .col(string_len_null("email", 254))
                    // `invitation`, `reminder`, or NULL when nothing is left to send.
                    .col(
                        string_len_null("next_kind", 16)
                            .check(Expr::col("next_kind").is_in(["invitation", "reminder"])),
                    )
                    .col(timestamp_with_time_zone_null("next_attempt_at"))
                    .col(integer("attempts").default(0))
                    .col(timestamp_with_time_zone_null("lease_until"))
                    .col(timestamp_with_time_zone_null("invited_at"))
                    .col(timestamp_with_time_zone_null("reminded_at"))
                    .col(timestamp_with_time_zone("expires_at"))
                    .col(timestamp_with_time_zone("created_at"))
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_outbox_dossier")
                            .from("outbox", "dossier_id")
                            .to("dossiers", "id")
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_outbox_due")
                    .table("outbox")
                    .col("next_attempt_at")
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table("outbox").to_owned())
            .await
    }
}
