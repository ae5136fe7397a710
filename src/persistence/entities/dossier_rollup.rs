//! `dossier_rollups`: dossiers registered per agency × form version × span × channel, over the
//! closed months of the span (`domain::spans`).

use sea_orm::entity::prelude::*;

#[sea_orm::model]
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "dossier_rollups")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub agency_id: Uuid,
    #[sea_orm(primary_key, auto_increment = false)]
    pub form_key: String,
    #[sea_orm(primary_key, auto_increment = false)]
    pub form_version: i32,
    #[sea_orm(primary_key, auto_increment = false)]
    pub span: String,
    #[sea_orm(primary_key, auto_increment = false)]
    pub channel: String,
    pub dossiers: i64,
}

impl ActiveModelBehavior for ActiveModel {}
