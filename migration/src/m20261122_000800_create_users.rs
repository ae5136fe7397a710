//! Officer accounts and their web sessions (issue 7, item 1):
//!
//! - `users`: one row per person who signs in to the officer pages. The e-mail address is stored
//!   NFC-normalised and lower-cased (unique); the password only as an argon2id PHC string. The
//!   role and agency follow the rules of API keys. `disabled_at` set: the account can no longer
//!   sign in. `failed_attempts`, `last_failed_at`, `locked_until`: the lockout after repeated
//!   failed sign-ins.
//! - `sessions`: the id is the SHA-256 (hex) of the random token in the session cookie; the
//!   token itself is never stored. A session ends at `expires_at` (absolute lifetime) or when
//!   `last_seen_at` is older than the idle lifetime.
//! - `sign_in_throttle`: the same lockout counters for e-mail addresses that have no account,
//!   keyed by a keyed hash of the address, so that a locked-out sign-in looks the same whether
//!   the account exists or not.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager.create_table(users()).await?;
        manager.create_table(sessions()).await?;
        for (name, col) in [
            ("ix_sessions_user", "user_id"),
            ("ix_sessions_expires_at", "expires_at"),
        ] {
            manager
                .create_index(
                    Index::create()
                        .name(name)
                        .table("sessions")
                        .col(col)
                        .to_owned(),
                )
                .await?;
        }
        manager.create_table(sign_in_throttle()).await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for table in ["sign_in_throttle", "sessions", "users"] {
            manager
                .drop_table(Table::drop().table(table).to_owned())
                .await?;
        }
        Ok(())
    }
}

/// `users`: one row per officer account.
fn users() -> TableCreateStatement {
    Table::create()
        .table("users")
        .col(pk_uuid("id"))
        .col(string_len_uniq("email", 254))
        .col(string_len("role", 16).check(Expr::col("role").is_in(["admin", "agency", "pipeline"])))
        .col(uuid_null("agency_id"))
        .col(string_len("password_hash", 255))
        .col(timestamp_with_time_zone_null("disabled_at"))
        .col(integer("failed_attempts").default(0))
        .col(timestamp_with_time_zone_null("last_failed_at"))
        .col(timestamp_with_time_zone_null("locked_until"))
        .col(timestamp_with_time_zone("created_at"))
        .col(timestamp_with_time_zone_null("last_sign_in_at"))
        // An agency officer has an agency; nobody else has one (as for API keys).
        .check(
            Expr::col("role")
                .eq("agency")
                .and(Expr::col("agency_id").is_not_null())
                .or(Expr::col("role")
                    .ne("agency")
                    .and(Expr::col("agency_id").is_null())),
        )
        .foreign_key(
            ForeignKey::create()
                .name("fk_users_agency")
                .from("users", "agency_id")
                .to("agencies", "id")
                .on_delete(ForeignKeyAction::Restrict),
        )
        .to_owned()
}

/// `sessions`: the signed-in web sessions, by the hash of their cookie's token.
fn sessions() -> TableCreateStatement {
    Table::create()
        .table("sessions")
        .col(char_len("id", 64).primary_key())
        .col(uuid("user_id"))
        .col(timestamp_with_time_zone("created_at"))
        .col(timestamp_with_time_zone("expires_at"))
        .col(timestamp_with_time_zone("last_seen_at"))
        .foreign_key(
            ForeignKey::create()
                .name("fk_sessions_user")
                .from("sessions", "user_id")
                .to("users", "id")
                .on_delete(ForeignKeyAction::Cascade),
        )
        .to_owned()
}

/// `sign_in_throttle`: the lockout counters of addresses without an account.
fn sign_in_throttle() -> TableCreateStatement {
    Table::create()
        .table("sign_in_throttle")
        .col(char_len("email_key", 64).primary_key())
        .col(integer("failed_attempts"))
        .col(timestamp_with_time_zone("last_failed_at"))
        .col(timestamp_with_time_zone_null("locked_until"))
        .to_owned()
}
