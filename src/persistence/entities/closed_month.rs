//! `closed_months`: the months of dossier completion whose answers are published.

use sea_orm::entity::prelude::*;

#[sea_orm::model]
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "closed_months")]
pub struct Model {
    /// `YYYY-MM`, Vietnam time.
    #[sea_orm(primary_key, auto_increment = false)]
    pub month: String,
    pub closed_at: DateTimeUtc,
    /// `expired` (every link of the month had expired) or `admin` (closed early by hand).
    pub reason: String,
}

impl ActiveModelBehavior for ActiveModel {}
