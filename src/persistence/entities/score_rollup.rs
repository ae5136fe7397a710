//! `score_rollups`: the counts of one agency × form version × span × channel (the closed months
//! of a month, quarter, half or year; `domain::spans`), packed (`BucketCounts::pack`).

use sea_orm::entity::prelude::*;

#[sea_orm::model]
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "score_rollups")]
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
    pub counts: Vec<u8>,
}

impl ActiveModelBehavior for ActiveModel {}
