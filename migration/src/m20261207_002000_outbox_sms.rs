//! SMS invitations share the outbox: a row carries either an e-mail address or a phone number
//! (`phone`, `+84…`, erased like the address once nothing more will be sent), and the channel
//! it goes through (`channel`, `email` or `sms`), which stays after the contact is erased so
//! that response rates can be counted by channel. Rows written before are e-mail ones.

use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter()
                    .table("outbox")
                    .add_column(ColumnDef::new("phone").string_len(16).null())
                    .to_owned(),
            )
            .await?;
        // SQLite adds one column per ALTER TABLE.
        manager
            .alter_table(
                Table::alter()
                    .table("outbox")
                    .add_column(
                        ColumnDef::new("channel")
                            .string_len(8)
                            .not_null()
                            .default("email")
                            .check(Expr::col("channel").is_in(["email", "sms"])),
                    )
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for column in ["channel", "phone"] {
            manager
                .alter_table(
                    Table::alter()
                        .table("outbox")
                        .drop_column(column)
                        .to_owned(),
                )
                .await?;
        }
        Ok(())
    }
}
