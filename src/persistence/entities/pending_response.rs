//! `pending_responses`: an answer of a month not yet closed, with the columns of `responses`
//! (docs/privacy.md, "Publication by closed month").

use sea_orm::entity::prelude::*;

#[sea_orm::model]
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "pending_responses")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub agency_id: Uuid,
    pub form_key: String,
    pub form_version: i32,
    pub period_month: String,
    pub channel: String,
    pub mode: String,
    pub procedure_field: Option<String>,
    pub valid: bool,
    pub invalid_reason: Option<String>,
    pub answers: String,
}

impl ActiveModelBehavior for ActiveModel {}
