//! `sipas months list|close`: publication by closed month at the command line (`app::months`).

use anyhow::{Context, anyhow};
use chrono::Utc;
use sea_orm::DatabaseConnection;

use crate::app::months::{self, Closed};
use crate::config::Settings;
use crate::domain::periods::Month;
use crate::persistence::months as store;
use crate::startup::publish_forms;

/// The closed months, one line each: month, closed at (RFC 3339), why.
pub async fn list(db: &DatabaseConnection) -> anyhow::Result<String> {
    let mut out = String::new();
    for m in store::closed(db).await? {
        out.push_str(&format!(
            "{}\t{}\t{}\n",
            m.month,
            m.closed_at.to_rfc3339(),
            m.reason
        ));
    }
    Ok(out)
}

/// Closes `month` (`YYYY-MM`) and every earlier open month, as an administrator would through
/// the API; recorded in the audit log without a key.
pub async fn close(
    db: &DatabaseConnection,
    settings: &Settings,
    month: &str,
) -> anyhow::Result<Closed> {
    let through =
        Month::parse(month).ok_or_else(|| anyhow!("`{month}` is not a month: write YYYY-MM"))?;
    let forms = publish_forms(db, settings.forms.dir.as_deref()).await?;
    months::close_by_hand(db, &forms, through, None, Utc::now())
        .await
        .with_context(|| format!("closing {through}"))
}
