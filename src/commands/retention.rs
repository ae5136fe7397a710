//! `sipas retention run`: one retention pass now (`app::retention`), as the maintenance task runs
//! it every hour.

use chrono::Utc;
use sea_orm::DatabaseConnection;

use crate::app::retention::{self, Applied};
use crate::config::Settings;

/// Runs a pass with `retention.dossier_months`; returns what it did and a line saying so.
pub async fn run(db: &DatabaseConnection, settings: &Settings) -> anyhow::Result<String> {
    let months = settings.retention.dossier_months;
    if months == 0 {
        return Ok("retention is off (retention.dossier_months = 0): nothing deleted".into());
    }
    let Applied { through, deleted } = retention::apply(db, months, Utc::now()).await?;
    Ok(match through {
        Some(through) => format!(
            "deleted {deleted} sealed dossier(s) of the months through {through} (their counts \
             are kept); dossiers of the last {months} months are kept"
        ),
        None => "no month is both closed and older than retention.dossier_months: nothing deleted"
            .into(),
    })
}
