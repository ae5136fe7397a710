//! SeaORM entities, one per table. They mirror the migrations and never leave `persistence`.

pub mod agency;
pub mod agency_lifetime;
pub mod agency_revision;
pub mod api_key;
pub mod audit_entry;
pub mod closed_month;
pub mod dossier;
pub mod dossier_count;
pub mod dossier_rollup;
pub mod form_version;
pub mod outbox;
pub mod pending_response;
pub mod response;
pub mod score_rollup;
pub mod session;
pub mod sign_in_throttle;
pub mod user;
