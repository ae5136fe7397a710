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
mod m20261206_001300_create_retained_dossier_counts;

/// Every migration, oldest first.
pub struct Migrator;

#[async_trait::async_trait]
impl MigratorTrait for Migrator {
    fn migrations() -> Vec<Box<dyn MigrationTrait>> {
        vec![
            Box::new(m20261122_000001_create_form_versions::Migration),
            Box::new(m20261122_000100_create_agencies::Migration),
            Box::new(m20261122_000200_create_api_keys::Migration),
            Box::new(m20261122_000300_create_audit_log::Migration),
            Box::new(m20261122_000400_create_dossiers::Migration),
            Box::new(m20261122_000500_create_outbox::Migration),
            Box::new(m20261122_000600_create_responses::Migration),
            Box::new(m20261122_000700_create_score_buckets::Migration),
            Box::new(m20261122_000800_create_users::Migration),
            Box::new(m20261203_000900_index_responses_for_export::Migration),
            Box::new(m20261203_001000_score_bucket_revisions::Migration),
            Box::new(m20261205_001100_publish_by_closed_month::Migration),
            Box::new(m20261205_001200_drop_server_secrets::Migration),
            Box::new(m20261206_001300_create_retained_dossier_counts::Migration),
        ]
    }
}
