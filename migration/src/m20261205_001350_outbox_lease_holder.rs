//! Who holds an outbox row's lease: a random id per claim (`persistence::outbox`). A worker
//! checks it before each message and renews it while a slow SMTP server takes its time, so a
//! lease that ran out in the middle of a round is noticed instead of sending the message twice.

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
                    .add_column(ColumnDef::new("lease_holder").uuid().null())
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter()
                    .table("outbox")
                    .drop_column("lease_holder")
                    .to_owned(),
            )
            .await
    }
}
