//! The dossiers a follow-up list is drawn from (methodology §5.2): an agency's unanswered
//! dossiers of one form completed in one month whose survey link still works — their codes are
//! still in clear (a code is sealed once answered or once its link ended), so the officer can
//! find them in the one-stop system to call or to hand a paper form.

use chrono::{DateTime, Utc};
use sea_orm::{ColumnTrait, ConnectionTrait, DbErr, EntityTrait, QueryFilter, QueryOrder};
use uuid::Uuid;

use super::entities::dossier;
use crate::domain::tokens::SEALED_CODE_PREFIX;

/// One dossier to follow up: what the officer needs to find it, and nothing about a person.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FollowUpDossier {
    pub dossier_code: String,
    pub completed_at: DateTime<Utc>,
    pub channel: String,
    pub procedure_code: Option<String>,
    /// Until when its survey link works.
    pub expires_at: DateTime<Utc>,
}

/// The unanswered dossiers of `agency` registered with one version of a form, completed in
/// `[from, to)`, whose link is still valid at `now`, in code order (the caller draws from them
/// at random).
pub async fn unanswered(
    db: &impl ConnectionTrait,
    (agency, (form, version)): (Uuid, (&str, u32)),
    (from, to): (DateTime<Utc>, DateTime<Utc>),
    now: DateTime<Utc>,
) -> Result<Vec<FollowUpDossier>, DbErr> {
    let rows = dossier::Entity::find()
        .filter(dossier::Column::AgencyId.eq(agency))
        .filter(dossier::Column::FormKey.eq(form))
        .filter(dossier::Column::FormVersion.eq(i32::try_from(version).unwrap_or(i32::MAX)))
        .filter(dossier::Column::CompletedAt.gte(from))
        .filter(dossier::Column::CompletedAt.lt(to))
        .filter(dossier::Column::Answered.eq(false))
        .filter(dossier::Column::ExpiresAt.gt(now))
        .filter(dossier::Column::DossierCode.not_like(format!("{SEALED_CODE_PREFIX}%")))
        .order_by_asc(dossier::Column::DossierCode)
        .all(db)
        .await?;
    Ok(rows
        .into_iter()
        .map(|d| FollowUpDossier {
            dossier_code: d.dossier_code,
            completed_at: d.completed_at,
            channel: d.channel,
            procedure_code: d.procedure_code,
            expires_at: d.expires_at,
        })
        .collect())
}
