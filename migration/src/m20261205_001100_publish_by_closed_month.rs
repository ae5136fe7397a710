//! Publication by closed month (docs/privacy.md, "Publication by closed month"):
//!
//! - `closed_months`: one row per month of dossier completion (`YYYY-MM`, Vietnam time) whose
//!   answers are published: every link of it expired, or an administrator closed it early.
//! - `pending_responses`: the answers of months not yet closed, with the columns of `responses`.
//!   The response writer stores an answer here in the transaction that claims its dossier;
//!   closing the month moves its rows into `responses`, shuffled, with fresh random ids.
//! - On SQLite both answer tables are `WITHOUT ROWID`: rows live in the order of their random
//!   keys, with no hidden rowid that counts up in the order rows were written. `responses` is
//!   rebuilt for that.
//! - Every existing response moves to `pending_responses` and the score buckets are emptied:
//!   the first start closes the months whose links have all expired and folds their answers
//!   back (shuffled, with new ids), and the months still open stay unpublished, like new ones.
//!   The answer digests kept for retries are dropped (they were made without a submission key).

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;
use sea_orm_migration::sea_orm::{ConnectionTrait, DatabaseBackend};

#[derive(DeriveMigrationName)]
pub struct Migration;

/// The columns of an answer row, for `responses` and `pending_responses` alike.
fn answer_table(name: &'static str) -> TableCreateStatement {
    Table::create()
        .table(name)
        .col(pk_uuid("id"))
        .col(uuid("agency_id"))
        .col(string_len("form_key", 64))
        .col(integer("form_version"))
        .col(char_len("period_month", 7))
        .col(string_len("channel", 16).check(Expr::col("channel").is_in([
            "in_person",
            "online",
            "postal",
        ])))
        .col(
            string_len("mode", 8)
                .check(Expr::col("mode").is_in(["web", "kiosk", "phone", "paper"])),
        )
        .col(string_len_null("procedure_field", 255))
        .col(boolean("valid"))
        .col(string_len_null("invalid_reason", 32))
        .col(text("answers"))
        .foreign_key(
            ForeignKey::create()
                .name(format!("fk_{name}_agency"))
                .from(name, "agency_id")
                .to("agencies", "id")
                .on_delete(ForeignKeyAction::Restrict),
        )
        .to_owned()
}

const COLUMNS: &str = "id, agency_id, form_key, form_version, period_month, channel, mode, \
                       procedure_field, valid, invalid_reason, answers";

async fn create_answer_table(manager: &SchemaManager<'_>, name: &'static str) -> Result<(), DbErr> {
    let db = manager.get_connection();
    match manager.get_database_backend() {
        DatabaseBackend::Sqlite => {
            let sql = answer_table(name).to_string(SqliteQueryBuilder);
            db.execute_unprepared(&format!("{sql} WITHOUT ROWID"))
                .await?;
            Ok(())
        }
        _ => manager.create_table(answer_table(name)).await,
    }
}

async fn index_responses(manager: &SchemaManager<'_>) -> Result<(), DbErr> {
    manager
        .create_index(
            Index::create()
                .name("ix_responses_agency_form_month")
                .table("responses")
                .col("agency_id")
                .col("form_key")
                .col("period_month")
                .to_owned(),
        )
        .await?;
    manager
        .create_index(
            Index::create()
                .name("ix_responses_export")
                .table("responses")
                .col("agency_id")
                .col("form_key")
                .col("form_version")
                .col("period_month")
                .col("id")
                .to_owned(),
        )
        .await
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table("closed_months")
                    .col(char_len("month", 7).primary_key())
                    .col(timestamp_with_time_zone("closed_at"))
                    .col(
                        string_len("reason", 16)
                            .check(Expr::col("reason").is_in(["expired", "admin"])),
                    )
                    .to_owned(),
            )
            .await?;
        create_answer_table(manager, "pending_responses").await?;
        manager
            .create_index(
                Index::create()
                    .name("ix_pending_responses_month")
                    .table("pending_responses")
                    .col("period_month")
                    .col("agency_id")
                    .to_owned(),
            )
            .await?;
        let db = manager.get_connection();
        db.execute_unprepared(&format!(
            "INSERT INTO pending_responses ({COLUMNS}) SELECT {COLUMNS} FROM responses"
        ))
        .await?;
        if manager.get_database_backend() == DatabaseBackend::Sqlite {
            for index in ["ix_responses_agency_form_month", "ix_responses_export"] {
                db.execute_unprepared(&format!("DROP INDEX IF EXISTS {index}"))
                    .await?;
            }
            db.execute_unprepared("DROP TABLE responses").await?;
            create_answer_table(manager, "responses").await?;
            index_responses(manager).await?;
        } else {
            // Not DELETE: dead row versions would keep the transaction ids that tie each old
            // answer to its dossier's claim; TRUNCATE gives the table a new, empty file.
            db.execute_unprepared("TRUNCATE responses").await?;
        }
        db.execute_unprepared("DELETE FROM score_buckets").await?;
        // Digests of earlier retries hold no submission key: one holding the secret could test
        // guesses against them. Retries of answers stored before the upgrade get 409.
        db.execute_unprepared("UPDATE dossiers SET response_digest = NULL")
            .await?;
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let db = manager.get_connection();
        // Pending answers become plain responses again; `sipas scores rebuild` recounts them.
        db.execute_unprepared(&format!(
            "INSERT INTO responses ({COLUMNS}) SELECT {COLUMNS} FROM pending_responses"
        ))
        .await?;
        manager
            .drop_table(Table::drop().table("pending_responses").to_owned())
            .await?;
        manager
            .drop_table(Table::drop().table("closed_months").to_owned())
            .await
    }
}
