//! `sipas scores rebuild`.

use sea_orm::DatabaseConnection;

use crate::config::Settings;
use crate::domain::audit::AuditEvent;
use crate::persistence::aggregates::{self, RebuildReport};
use crate::persistence::audit;
use crate::startup::publish_forms;

/// Recomputes the aggregates; the forms are loaded (and published) as `serve` does. Recorded in
/// the audit log (`scores.rebuilt`) without a key.
pub async fn rebuild(
    db: &DatabaseConnection,
    settings: &Settings,
) -> anyhow::Result<RebuildReport> {
    let forms = publish_forms(db, settings.forms.dir.as_deref()).await?;
    let report = aggregates::rebuild(db, &forms).await?;
    let event = AuditEvent::ScoresRebuilt {
        responses: report.responses,
        buckets: report.buckets,
        dossiers: report.dossiers,
        dossier_counts: report.dossier_counts,
    };
    audit::record(db, None, &event).await?;
    Ok(report)
}
