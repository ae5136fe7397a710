//! Anonymous responses (docs/privacy.md). A row holds the answers and the coarse facts results
//! are broken down by — agency, form version, month of completion, channel, mode, procedure
//! field — and nothing that leads back to a dossier or a person: no dossier id or code, no token,
//! no contact, no IP, no submission time. Ids are random (v4), not time-ordered.
//!
//! Also `dossiers.response_digest`: a keyed digest of the submitted answers, kept only while the
//! token is valid, so an identical retry gets the same receipt and a different one a conflict.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table("responses")
                    .col(pk_uuid("id"))
                    .col(uuid("agency_id"))
                    .col(string_len("form_key", 64))
                    .col(integer("form_version"))
                    // YYYY-MM of the dossier's completion: the only time a response keeps.
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
                    // false: an invalid return (counted, kept out of the indices).
                    .col(boolean("valid"))
                    .col(string_len_null("invalid_reason", 32))
                    .col(text("answers"))
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_responses_agency")
                            .from("responses", "agency_id")
                            .to("agencies", "id")
                            .on_delete(ForeignKeyAction::Restrict),
                    )
                    .to_owned(),
            )
            .await?;
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
            .alter_table(
                Table::alter()
                    .table("dossiers")
                    .add_column(string_len_null("response_digest", 64))
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter()
                    .table("dossiers")
                    .drop_column("response_digest")
                    .to_owned(),
            )
            .await?;
        manager
            .drop_table(Table::drop().table("responses").to_owned())
            .await
    }
}
