//! `dossier_counts`: completed dossiers registered per agency × form × month × channel.

use sea_orm::entity::prelude::*;

#[sea_orm::model]
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "dossier_counts")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub agency_id: Uuid,
    #[sea_orm(primary_key, auto_increment = false)]
    pub form_key: String,
    #[sea_orm(primary_key, auto_increment = false)]
    pub period_month: String,
    #[sea_orm(primary_key, auto_increment = false)]
    pub channel: String,
    pub dossiers: i64,
    /// Was random, new at every write, for the results caches (migration
    /// `score_bucket_revisions`); no longer written (0) nor read. The column stays.
    pub revision: i64,
}

impl ActiveModelBehavior for ActiveModel {}
