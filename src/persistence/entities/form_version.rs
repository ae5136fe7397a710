//! `form_versions`: one published survey-form version (see the migration for the rules).

use sea_orm::entity::prelude::*;

#[sea_orm::model]
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "form_versions")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub form_key: String,
    #[sea_orm(primary_key, auto_increment = false)]
    pub version: i32,
    pub checksum: String,
    pub source: String,
    pub file_name: String,
    pub edition: String,
    pub status: String,
    pub published_at: DateTimeWithTimeZone,
}

impl ActiveModelBehavior for ActiveModel {}
