//! The `sign_in_throttle` table.

use sea_orm::entity::prelude::*;

#[sea_orm::model]
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "sign_in_throttle")]
pub struct Model {
    /// Keyed hash (hex) of the normalised e-mail address.
    #[sea_orm(primary_key, auto_increment = false)]
    pub email_key: String,
    pub failed_attempts: i32,
    pub last_failed_at: DateTimeUtc,
    pub locked_until: Option<DateTimeUtc>,
}

impl ActiveModelBehavior for ActiveModel {}
