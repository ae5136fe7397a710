//! `sipas scores rebuild`.

use sea_orm::DatabaseConnection;

use crate::config::Settings;
use crate::persistence::aggregates::{self, RebuildReport};
use crate::startup::publish_forms;

/// Recomputes the aggregates; the forms are loaded (and published) as `serve` does.
pub async fn rebuild(
    db: &DatabaseConnection,
    settings: &Settings,
) -> anyhow::Result<RebuildReport> {
    let forms = publish_forms(db, &settings.forms.dir).await?;
    Ok(aggregates::rebuild(db, &forms).await?)
}
