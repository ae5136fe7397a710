//! The invitation outbox (e-mail and SMS): rows written with their dossiers, claimed by the sending worker with a
//! lease (`lease_until`: a conditional UPDATE that only one node can win, on SQLite and
//! PostgreSQL alike), and the erasure of addresses and phone numbers that are no longer needed.
//! A row holds one contact: `email` or `phone`, as its `channel` says.

use chrono::{DateTime, TimeDelta, Utc};
use sea_orm::sea_query::Expr;
use sea_orm::{
    ActiveValue::Set, ColumnTrait, Condition, ConnectionTrait, DbErr, EntityTrait, QueryFilter,
    QueryOrder, QuerySelect, UpdateMany,
};
use uuid::Uuid;

use super::entities::outbox;
use crate::domain::dossiers::EmailAddress;
use crate::domain::invitations::{MessageKind, Recipient};
use crate::domain::phone::PhoneNumber;

/// Rows per multi-row insert.
const INSERT_ROWS: usize = 500;

/// An invitation to queue with its dossier.
#[derive(Debug, Clone)]
pub struct NewInvitation {
    pub dossier_id: Uuid,
    pub to: Recipient,
    pub expires_at: DateTime<Utc>,
}

/// A claimed message: the worker holds its lease until it reports back.
#[derive(Debug, Clone)]
pub struct Claimed {
    pub id: Uuid,
    pub dossier_id: Uuid,
    pub to: Recipient,
    pub kind: MessageKind,
    pub attempts: u32,
    pub expires_at: DateTime<Utc>,
    /// This claim's own id in `lease_holder`: another claim of the row replaces it.
    pub holder: Uuid,
}

/// Queues invitations, due at once. Run it in the dossiers' transaction.
pub async fn insert_many(
    db: &impl ConnectionTrait,
    rows: &[NewInvitation],
    now: DateTime<Utc>,
) -> Result<(), DbErr> {
    for chunk in rows.chunks(INSERT_ROWS) {
        let models = chunk.iter().map(|r| outbox::ActiveModel {
            id: Set(Uuid::now_v7()),
            dossier_id: Set(r.dossier_id),
            email: Set(match &r.to {
                Recipient::Email(e) => Some(e.expose().to_owned()),
                Recipient::Sms(_) => None,
            }),
            phone: Set(match &r.to {
                Recipient::Sms(p) => Some(p.expose().to_owned()),
                Recipient::Email(_) => None,
            }),
            channel: Set(r.to.channel().as_str().to_owned()),
            next_kind: Set(Some(MessageKind::Invitation.as_str().to_owned())),
            next_attempt_at: Set(Some(now)),
            attempts: Set(0),
            lease_until: Set(None),
            lease_holder: Set(None),
            invited_at: Set(None),
            reminded_at: Set(None),
            expires_at: Set(r.expires_at),
            created_at: Set(now),
        });
        outbox::Entity::insert_many(models).exec(db).await?;
    }
    Ok(())
}

/// Erases the addresses and numbers of links that have expired (nothing more will be sent to
/// them).
pub async fn erase_expired(db: &impl ConnectionTrait, now: DateTime<Utc>) -> Result<u64, DbErr> {
    let res = erase_contact(outbox::Entity::update_many())
        .filter(outbox::Column::ExpiresAt.lte(now))
        .filter(has_contact().add(outbox::Column::NextKind.is_not_null()))
        .exec(db)
        .await?;
    Ok(res.rows_affected)
}

/// Claims up to `limit` due messages for `lease`. A row is claimed by a conditional update
/// that succeeds for one claimant only, so several nodes can run the worker.
///
/// The update repeats every condition of the candidate query, not just the lease: between the
/// two another node may have claimed the row, sent it and released it with its next message
/// scheduled (or a retry backed off), and a bare lease check would claim and send that early.
pub async fn claim_due(
    db: &impl ConnectionTrait,
    now: DateTime<Utc>,
    lease: TimeDelta,
    limit: u64,
) -> Result<Vec<Claimed>, DbErr> {
    let claimable = || {
        Condition::all()
            .add(outbox::Column::NextKind.is_not_null())
            .add(outbox::Column::NextAttemptAt.lte(now))
            .add(
                Condition::any()
                    .add(outbox::Column::LeaseUntil.is_null())
                    .add(outbox::Column::LeaseUntil.lt(now)),
            )
    };
    let candidates: Vec<Uuid> = outbox::Entity::find()
        .select_only()
        .column(outbox::Column::Id)
        .filter(claimable())
        .order_by_asc(outbox::Column::NextAttemptAt)
        .limit(limit)
        .into_tuple::<Uuid>()
        .all(db)
        .await?;
    let mut claimed = Vec::with_capacity(candidates.len());
    let holder = Uuid::new_v4();
    for id in candidates {
        let res = outbox::Entity::update_many()
            .col_expr(outbox::Column::LeaseUntil, Expr::value(now + lease))
            .col_expr(outbox::Column::LeaseHolder, Expr::value(holder))
            .filter(outbox::Column::Id.eq(id))
            .filter(claimable())
            .exec(db)
            .await?;
        if res.rows_affected != 1 {
            continue;
        }
        let Some(m) = outbox::Entity::find_by_id(id).one(db).await? else {
            continue;
        };
        let (Some(to), Some(kind)) = (
            recipient(&m),
            m.next_kind.as_deref().and_then(MessageKind::parse),
        ) else {
            finish(db, id).await?;
            continue;
        };
        claimed.push(Claimed {
            id,
            dossier_id: m.dossier_id,
            to,
            kind,
            attempts: u32::try_from(m.attempts).unwrap_or(0),
            expires_at: m.expires_at,
            holder,
        });
    }
    Ok(claimed)
}

/// The contact of a row, as its channel says.
fn recipient(m: &outbox::Model) -> Option<Recipient> {
    if m.channel == crate::domain::invitations::InviteChannel::Sms.as_str() {
        m.phone
            .as_deref()
            .and_then(PhoneNumber::parse)
            .map(Recipient::Sms)
    } else {
        m.email
            .as_deref()
            .and_then(EmailAddress::parse)
            .map(Recipient::Email)
    }
}

/// Rows that still hold an address or a number.
fn has_contact() -> Condition {
    Condition::any()
        .add(outbox::Column::Email.is_not_null())
        .add(outbox::Column::Phone.is_not_null())
}

/// Extends the lease of a claimed row to `until`, if the claim still holds it: `false` when the
/// lease ran out and another claim took the row (its message is that claim's to send). A lease
/// that ran out with nobody else claiming is still this claim's, and is renewed.
pub async fn renew(
    db: &impl ConnectionTrait,
    claimed: &Claimed,
    until: DateTime<Utc>,
) -> Result<bool, DbErr> {
    let res = outbox::Entity::update_many()
        .col_expr(outbox::Column::LeaseUntil, Expr::value(until))
        .filter(outbox::Column::Id.eq(claimed.id))
        .filter(outbox::Column::LeaseHolder.eq(claimed.holder))
        .filter(outbox::Column::NextKind.is_not_null())
        .exec(db)
        .await?;
    Ok(res.rows_affected == 1)
}

/// The invitation went out; the reminder is due at `reminder_at` (or never: then the address is
/// erased now).
pub async fn invitation_sent(
    db: &impl ConnectionTrait,
    id: Uuid,
    now: DateTime<Utc>,
    reminder_at: Option<DateTime<Utc>>,
) -> Result<(), DbErr> {
    let mut update = outbox::Entity::update_many()
        .col_expr(outbox::Column::InvitedAt, Expr::value(now))
        .col_expr(outbox::Column::Attempts, Expr::value(0))
        .col_expr(
            outbox::Column::LeaseUntil,
            Expr::value(Option::<DateTime<Utc>>::None),
        );
    update = match reminder_at {
        Some(at) => update
            .col_expr(
                outbox::Column::NextKind,
                Expr::value(MessageKind::Reminder.as_str()),
            )
            .col_expr(outbox::Column::NextAttemptAt, Expr::value(at)),
        None => erase_contact(update),
    };
    update.filter(outbox::Column::Id.eq(id)).exec(db).await?;
    Ok(())
}

/// The reminder went out: nothing more to send, the address is erased.
pub async fn reminder_sent(
    db: &impl ConnectionTrait,
    id: Uuid,
    now: DateTime<Utc>,
) -> Result<(), DbErr> {
    outbox::Entity::update_many()
        .col_expr(outbox::Column::RemindedAt, Expr::value(now))
        .filter(outbox::Column::Id.eq(id))
        .exec(db)
        .await?;
    finish(db, id).await
}

/// Clears the address or number and anything scheduled: nothing more will be sent to this row.
fn erase_contact(update: UpdateMany<outbox::Entity>) -> UpdateMany<outbox::Entity> {
    update
        .col_expr(outbox::Column::Email, Expr::value(Option::<String>::None))
        .col_expr(outbox::Column::Phone, Expr::value(Option::<String>::None))
        .col_expr(
            outbox::Column::NextKind,
            Expr::value(Option::<String>::None),
        )
        .col_expr(
            outbox::Column::NextAttemptAt,
            Expr::value(Option::<DateTime<Utc>>::None),
        )
}

/// Nothing more will be sent (answered, expired, given up): erases the address.
pub async fn finish(db: &impl ConnectionTrait, id: Uuid) -> Result<(), DbErr> {
    erase_contact(outbox::Entity::update_many())
        .col_expr(
            outbox::Column::LeaseUntil,
            Expr::value(Option::<DateTime<Utc>>::None),
        )
        .filter(outbox::Column::Id.eq(id))
        .exec(db)
        .await?;
    Ok(())
}

/// The surveys of these dossiers were answered: nothing more to send, the addresses are erased.
/// A worker holding a lease on one of the rows may still finish its send.
pub async fn erase_for_dossiers(
    db: &impl ConnectionTrait,
    dossier_ids: &[Uuid],
) -> Result<(), DbErr> {
    for update in erase_statements(dossier_ids) {
        db.execute(&update).await?;
    }
    Ok(())
}

/// The statements of [`erase_for_dossiers`] (the SQLite response writer runs them on its own
/// connection).
pub fn erase_statements(dossier_ids: &[Uuid]) -> Vec<sea_orm::sea_query::UpdateStatement> {
    use sea_orm::QueryTrait;
    dossier_ids
        .chunks(512)
        .map(|chunk| {
            // Repeating the last id up to a power of two keeps the number of statement texts
            // small, so they stay prepared (the response writer calls this for every batch).
            let padded = chunk.len().next_power_of_two();
            let ids = chunk.iter().copied().chain(
                chunk
                    .last()
                    .copied()
                    .into_iter()
                    .cycle()
                    .take(padded - chunk.len()),
            );
            erase_contact(outbox::Entity::update_many())
                .filter(outbox::Column::DossierId.is_in(ids))
                .filter(has_contact())
                .into_query()
        })
        .collect()
}

/// A send failed: try again at `retry_at`.
pub async fn failed(
    db: &impl ConnectionTrait,
    id: Uuid,
    attempts: u32,
    retry_at: DateTime<Utc>,
) -> Result<(), DbErr> {
    outbox::Entity::update_many()
        .col_expr(
            outbox::Column::Attempts,
            Expr::value(i32::try_from(attempts).unwrap_or(i32::MAX)),
        )
        .col_expr(outbox::Column::NextAttemptAt, Expr::value(retry_at))
        .col_expr(
            outbox::Column::LeaseUntil,
            Expr::value(Option::<DateTime<Utc>>::None),
        )
        .filter(outbox::Column::Id.eq(id))
        .exec(db)
        .await?;
    Ok(())
}

/// Addresses and phone numbers still stored (for tests and metrics).
pub async fn stored_addresses(db: &impl ConnectionTrait) -> Result<u64, DbErr> {
    use sea_orm::PaginatorTrait;
    outbox::Entity::find().filter(has_contact()).count(db).await
}

/// Phone numbers still stored (for tests and metrics).
pub async fn stored_phones(db: &impl ConnectionTrait) -> Result<u64, DbErr> {
    use sea_orm::PaginatorTrait;
    outbox::Entity::find()
        .filter(outbox::Column::Phone.is_not_null())
        .count(db)
        .await
}
