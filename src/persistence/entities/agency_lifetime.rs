//! `agency_lifetimes`: the months an agency is in force and what it was merged into
//! (`domain::agency_history::Lifetime`); an agency without a row is in force always.

use sea_orm::entity::prelude::*;

#[sea_orm::model]
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "agency_lifetimes")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub agency_id: Uuid,
    pub opened_from: Option<String>,
    pub closed_from: Option<String>,
    pub successor_id: Option<Uuid>,
    pub recorded_at: DateTimeUtc,
}

impl ActiveModelBehavior for ActiveModel {}
