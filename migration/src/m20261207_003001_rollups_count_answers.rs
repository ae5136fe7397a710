//! The score roll-ups also count the answers to the perception and needs questions
//! (methodology §3.3): per indicator question, its respondents and the count of each option or
//! level, packed after the satisfaction counts in `score_rollups.counts`. Roll-ups stored
//! before do not have them, and cannot get them without the answers: they are deleted here, and
//! the server rebuilds every roll-up from the stored responses at its next start
//! (`persistence::aggregates::rebuild_if_missing`: answers and no roll-up), bit for bit as
//! `sipas scores rebuild` would.

use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .get_connection()
            .execute_unprepared("DELETE FROM score_rollups")
            .await?;
        Ok(())
    }

    /// The older version does not read the longer counts: it gets none, and rebuilds them at
    /// its start as well.
    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        self.up(manager).await
    }
}
