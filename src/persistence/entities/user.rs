//! The `users` table.

use sea_orm::entity::prelude::*;

#[sea_orm::model]
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "users")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    #[sea_orm(unique)]
    pub email: String,
    pub role: String,
    pub agency_id: Option<Uuid>,
    pub password_hash: String,
    pub disabled_at: Option<DateTimeUtc>,
    pub failed_attempts: i32,
    pub last_failed_at: Option<DateTimeUtc>,
    pub locked_until: Option<DateTimeUtc>,
    pub created_at: DateTimeUtc,
    pub last_sign_in_at: Option<DateTimeUtc>,
}

impl ActiveModelBehavior for ActiveModel {}
