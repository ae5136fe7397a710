//! The database schema, as an ordered list of migrations (one file each, named
//! `mYYYYMMDD_HHMMSS_verb_noun.rs`). A released migration is never edited: add a new one.
//! Migrations use table and column names, never the application's entity types.

pub use sea_orm_migration::prelude::*;

mod m20261122_000001_create_form_versions;
mod m20261122_000100_create_agencies;
mod m20261122_000200_create_api_keys;
mod m20261122_000300_create_audit_log;
mod m20261122_000400_create_dossiers;
mod m20261122_000500_create_outbox;
mod m20261122_000600_create_responses;
mod m20261122_000700_create_score_buckets;
mod m20261122_000800_create_users;
mod m20261203_000900_index_responses_for_export;
mod m20261203_001000_score_bucket_revisions;
mod m20261205_001100_publish_by_closed_month;
mod m20261205_001200_drop_server_secrets;
mod m20261205_001350_outbox_lease_holder;
mod m20261206_001300_create_retained_dossier_counts;
mod m20261206_001400_create_rollups;
mod m20261206_001500_drop_score_buckets;
mod m20261207_001100_create_agency_history;
mod m20261207_002000_outbox_sms;
mod m20261207_002100_create_integrity_counts;
mod m20261207_003001_rollups_count_answers;
mod m20261208_003001_dossier_counts_by_version;

/// Every migration in a transaction of its own, also on SQLite (sea-orm-migration's default
/// there is none): a migration either happens entirely or not at all, and all its statements
/// run on one connection. Without it a migration's statements spread over the pool's
/// connections, and one of them could still see the schema from before the previous statement
/// (a `CREATE INDEX` failed now and then with "index already exists" right after its table had
/// been dropped and created again).
struct Atomic<M>(M);

fn atomic<M: MigrationTrait + 'static>(migration: M) -> Box<dyn MigrationTrait> {
    Box::new(Atomic(migration))
}

impl<M: MigrationName> MigrationName for Atomic<M> {
    fn name(&self) -> &str {
        self.0.name()
    }
}

#[async_trait::async_trait]
impl<M: MigrationTrait> MigrationTrait for Atomic<M> {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        self.0.up(manager).await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        self.0.down(manager).await
    }

    fn use_transaction(&self) -> Option<bool> {
        Some(true)
    }
}

/// Every migration, oldest first.
pub struct Migrator;

#[async_trait::async_trait]
impl MigratorTrait for Migrator {
    fn migrations() -> Vec<Box<dyn MigrationTrait>> {
        vec![
            atomic(m20261122_000001_create_form_versions::Migration),
            atomic(m20261122_000100_create_agencies::Migration),
            atomic(m20261122_000200_create_api_keys::Migration),
            atomic(m20261122_000300_create_audit_log::Migration),
            atomic(m20261122_000400_create_dossiers::Migration),
            atomic(m20261122_000500_create_outbox::Migration),
            atomic(m20261122_000600_create_responses::Migration),
            atomic(m20261122_000700_create_score_buckets::Migration),
            atomic(m20261122_000800_create_users::Migration),
            atomic(m20261203_000900_index_responses_for_export::Migration),
            atomic(m20261203_001000_score_bucket_revisions::Migration),
            atomic(m20261205_001100_publish_by_closed_month::Migration),
            atomic(m20261205_001200_drop_server_secrets::Migration),
            atomic(m20261205_001350_outbox_lease_holder::Migration),
            atomic(m20261206_001300_create_retained_dossier_counts::Migration),
            atomic(m20261206_001400_create_rollups::Migration),
            atomic(m20261206_001500_drop_score_buckets::Migration),
            atomic(m20261207_001100_create_agency_history::Migration),
            atomic(m20261207_002000_outbox_sms::Migration),
            atomic(m20261207_002100_create_integrity_counts::Migration),
            atomic(m20261207_003001_rollups_count_answers::Migration),
            atomic(m20261208_003001_dossier_counts_by_version::Migration),
        ]
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_migration_runs_in_a_transaction_of_its_own() {
        for migration in Migrator::migrations() {
            assert_eq!(
                migration.use_transaction(),
                Some(true),
                "{}",
                migration.name()
            );
        }
    }
}
