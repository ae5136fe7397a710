//! The `outbox` table.

use sea_orm::entity::prelude::*;

#[sea_orm::model]
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "outbox")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    #[sea_orm(unique)]
    pub dossier_id: Uuid,
    pub email: Option<String>,
    pub next_kind: Option<String>,
    pub next_attempt_at: Option<DateTimeUtc>,
    pub attempts: i32,
    pub lease_until: Option<DateTimeUtc>,
    pub lease_holder: Option<Uuid>,
    pub invited_at: Option<DateTimeUtc>,
    pub reminded_at: Option<DateTimeUtc>,
    pub expires_at: DateTimeUtc,
    pub created_at: DateTimeUtc,
    pub phone: Option<String>,
    pub channel: String,
}

impl ActiveModelBehavior for ActiveModel {}
