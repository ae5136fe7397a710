//! The `dossiers` table.

use sea_orm::entity::prelude::*;

#[sea_orm::model]
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "dossiers")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub agency_id: Uuid,
    pub dossier_code: String,
    pub form_key: String,
    pub form_version: i32,
    pub completed_at: DateTimeUtc,
    pub channel: String,
    pub procedure_code: Option<String>,
    pub procedure_field: Option<String>,
    pub language: String,
    #[sea_orm(unique)]
    pub token_hash: String,
    pub expires_at: DateTimeUtc,
    pub answered: bool,
    pub response_digest: Option<String>,
    pub created_at: DateTimeUtc,
}

impl ActiveModelBehavior for ActiveModel {}
