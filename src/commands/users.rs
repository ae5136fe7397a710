//! `sipas users create|list|disable`: officer accounts for the web pages. Like the key
//! commands, each change is written with its audit entry in one transaction (the actor is the
//! command line); the audit entry names the account by id, never by e-mail address.

use anyhow::{Context, anyhow, bail};
use chrono::{DateTime, Utc};
use sea_orm::{DatabaseConnection, DbErr, SqlErr};
use uuid::Uuid;

use crate::domain::accounts::{Email, EmailProblem, Password, hash_password};
use crate::domain::audit::AuditEvent;
use crate::domain::auth::Role;
use crate::persistence::users::{self, Disabled, NewUser, UserInfo};
use crate::persistence::{agencies, audit};

/// An account just created: its id, and the generated password to show once (`None` when the
/// password was given).
#[derive(Debug)]
pub struct CreatedUser {
    pub id: Uuid,
    pub generated: Option<Password>,
}

/// Creates an account with `password`, or a generated one. An `agency` account needs the code
/// of an existing agency; other roles take none.
pub async fn create_user(
    db: &DatabaseConnection,
    role: Role,
    agency: Option<&str>,
    email: &str,
    password: Option<Password>,
) -> anyhow::Result<CreatedUser> {
    let email = Email::parse(email).map_err(|p| match p {
        EmailProblem::Missing => anyhow!("the e-mail address is empty"),
        EmailProblem::Invalid => anyhow!("`{}` is not an e-mail address", email.trim()),
    })?;
    match (role, agency) {
        (Role::Agency, None) => bail!("an agency account needs --agency CODE"),
        (Role::Admin | Role::Pipeline, Some(_)) => bail!("--agency is only for --role agency"),
        _ => {}
    }
    let (password, generated) = match password {
        Some(given) => (given, false),
        None => (
            Password::generate().context("the operating system's random generator")?,
            true,
        ),
    };
    // Argon2 takes tens of milliseconds of CPU: off the runtime's threads.
    let (password, hash) = tokio::task::spawn_blocking(move || {
        let hash = hash_password(&password);
        (password, hash)
    })
    .await
    .context("hashing the password")?;
    let hash = hash?;

    let txn = crate::persistence::begin_write(db).await?;
    let agency = match agency {
        Some(code) => Some(
            agencies::find_by_code(&txn, code)
                .await?
                .ok_or_else(|| anyhow!("there is no agency with the code `{code}`"))?,
        ),
        None => None,
    };
    if users::find_by_email(&txn, &email).await?.is_some() {
        bail!("there is already an account with the e-mail address {email}");
    }
    let inserted = users::insert(
        &txn,
        NewUser {
            email: email.clone(),
            role,
            agency_id: agency.as_ref().map(|a| a.id),
            password_hash: hash,
        },
    )
    .await;
    let id = match inserted {
        Ok(id) => id,
        Err(e) if is_unique_violation(&e) => {
            bail!("there is already an account with the e-mail address {email}")
        }
        Err(e) => return Err(e.into()),
    };
    audit::record(
        &txn,
        None,
        &AuditEvent::UserCreated {
            user_id: id,
            role,
            agency_code: agency.map(|a| a.code),
        },
    )
    .await?;
    txn.commit().await?;
    Ok(CreatedUser {
        id,
        generated: generated.then_some(password),
    })
}

fn is_unique_violation(e: &DbErr) -> bool {
    matches!(e.sql_err(), Some(SqlErr::UniqueConstraintViolation(_)))
}

/// Reads the password of `users create --password-stdin`: everything on standard input but one
/// trailing line break, at least [`crate::domain::accounts::MIN_PASSWORD_CHARS`] characters.
pub fn password_from(input: &str) -> anyhow::Result<Password> {
    let raw = input
        .strip_suffix("\r\n")
        .or_else(|| input.strip_suffix('\n'))
        .unwrap_or(input);
    Password::new(raw).map_err(|p| anyhow!("the password on standard input is refused: {p}"))
}

/// Every account, oldest first.
pub async fn list_users(db: &DatabaseConnection) -> anyhow::Result<Vec<UserInfo>> {
    Ok(users::list(db).await?)
}

/// The account list as tab-separated lines with a header (`-` for an empty cell). `locked_until`
/// is shown only while the lock lasts at `now`.
pub fn format_users(list: &[UserInfo], now: DateTime<Utc>) -> String {
    fn time(t: Option<DateTime<Utc>>) -> String {
        t.map(|t| t.to_rfc3339_opts(chrono::SecondsFormat::Secs, true))
            .unwrap_or_else(|| "-".into())
    }
    let mut out =
        String::from("id\temail\trole\tagency\tcreated\tlast_sign_in\tdisabled\tlocked_until\n");
    for u in list {
        out.push_str(&format!(
            "{}\t{}\t{}\t{}\t{}\t{}\t{}\t{}\n",
            u.id,
            u.email,
            u.role,
            u.agency_code.as_deref().unwrap_or("-"),
            time(Some(u.created_at)),
            time(u.last_sign_in_at),
            time(u.disabled_at),
            time(u.locked_until.filter(|t| *t > now)),
        ));
    }
    out
}

/// Disables the account named by id or e-mail address and ends its sessions (auditing it when
/// it was enabled). Returns the account's id and what happened.
pub async fn disable_user(db: &DatabaseConnection, who: &str) -> anyhow::Result<(Uuid, Disabled)> {
    let txn = crate::persistence::begin_write(db).await?;
    let id = match Uuid::try_parse(who.trim()) {
        Ok(id) => id,
        Err(_) => {
            let email = Email::parse(who).map_err(|_| {
                anyhow!(
                    "`{}` is neither an account id nor an e-mail address",
                    who.trim()
                )
            })?;
            match users::find_by_email(&txn, &email).await? {
                Some(account) => account.id,
                None => return Ok((Uuid::nil(), Disabled::NoSuchUser)),
            }
        }
    };
    let outcome = users::disable(&txn, id, Utc::now()).await?;
    if let Disabled::Now { sessions_ended } = outcome {
        audit::record(
            &txn,
            None,
            &AuditEvent::UserDisabled {
                user_id: id,
                sessions_ended,
            },
        )
        .await?;
    }
    txn.commit().await?;
    Ok((id, outcome))
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;

    #[test]
    fn stdin_passwords_lose_one_line_break_and_need_twelve_characters() {
        assert_eq!(
            password_from("twelve chars\n").unwrap().expose(),
            "twelve chars"
        );
        assert_eq!(
            password_from("twelve chars\r\n").unwrap().expose(),
            "twelve chars"
        );
        assert_eq!(
            password_from(" twelve chars \n\n").unwrap().expose(),
            " twelve chars \n"
        );
        assert!(password_from("eleven char\n").is_err());
        assert!(password_from("").is_err());
    }
}
