//! `score_buckets`: the sufficient statistics of one agency × form version × month × channel.

use sea_orm::entity::prelude::*;

#[sea_orm::model]
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "score_buckets")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub agency_id: Uuid,
    #[sea_orm(primary_key, auto_increment = false)]
    pub form_key: String,
    #[sea_orm(primary_key, auto_increment = false)]
    pub form_version: i32,
    #[sea_orm(primary_key, auto_increment = false)]
    pub period_month: String,
    #[sea_orm(primary_key, auto_increment = false)]
    pub channel: String,
    pub counts: String,
    /// Random, new at every write: a result computed from the same revisions is still valid.
    pub revision: i64,
}

impl ActiveModelBehavior for ActiveModel {}
