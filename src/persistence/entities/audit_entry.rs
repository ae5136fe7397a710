//! The `audit_log` table.

use sea_orm::entity::prelude::*;

#[sea_orm::model]
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "audit_log")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub at: DateTimeUtc,
    pub actor_key_id: Option<Uuid>,
    pub action: String,
    pub subject: Option<String>,
    pub details: Option<Json>,
}

impl ActiveModelBehavior for ActiveModel {}
