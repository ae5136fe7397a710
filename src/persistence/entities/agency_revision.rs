//! `agency_revisions`: each recorded change of an agency's names or parent, with what it
//! replaced (`domain::agency_history::Revision`).

use sea_orm::entity::prelude::*;

#[sea_orm::model]
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "agency_revisions")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub agency_id: Uuid,
    #[sea_orm(primary_key, auto_increment = false)]
    pub effective_from: String,
    pub before_name_vi: String,
    pub before_name_en: Option<String>,
    pub before_parent_id: Option<Uuid>,
    pub recorded_at: DateTimeUtc,
}

impl ActiveModelBehavior for ActiveModel {}
