//! E-mail: the [`Mailer`] (SMTP, `.eml` files, or an in-memory stub for tests), the bilingual
//! invitation and reminder messages (askama templates under `templates/email/`), and the
//! background [`worker`] that sends what the outbox holds.
//!
//! Addresses never reach a log: errors are logged with the outbox row's id and the SMTP status
//! code only (a server's reply text often quotes the address).

pub mod worker;

use std::sync::{Arc, Mutex};
use std::time::Duration;

use askama::Template;
use chrono::{DateTime, Utc};
use lettre::message::header::ContentTransferEncoding;
use lettre::message::{Body, Mailbox, MultiPart, SinglePart};
use lettre::transport::smtp::authentication::Credentials;
use lettre::transport::smtp::client::{Tls, TlsParameters};
use lettre::{AsyncFileTransport, AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};
use secrecy::ExposeSecret;

use crate::config::{EmailSettings, EmailTransport, SmtpTls};
use crate::domain::dossiers::EmailAddress;
use crate::domain::invitations::MessageKind;

/// Where messages go.
#[derive(Clone)]
pub enum Mailer {
    Smtp(AsyncSmtpTransport<Tokio1Executor>),
    File(AsyncFileTransport<Tokio1Executor>),
    /// Keeps the formatted messages in memory (tests).
    Stub(Arc<Mutex<Vec<String>>>),
}

/// Why a message (e-mail or SMS) was not sent. `code` is the server's status, e.g. `SMTP 421`
/// or `HTTP 503`.
#[derive(Debug, thiserror::Error)]
pub enum SendError {
    /// Worth retrying later (connection refused, 4xx, timeout).
    #[error("transient failure{}", code.as_ref().map(|c| format!(" ({c})")).unwrap_or_default())]
    Transient { code: Option<String> },
    /// Will never succeed (5xx: no such mailbox, policy).
    #[error("permanent failure{}", code.as_ref().map(|c| format!(" ({c})")).unwrap_or_default())]
    Permanent { code: Option<String> },
    /// Abandoned: another claim took the message's row while this one was sending it, and
    /// sends it itself.
    #[error("abandoned: the lease passed to another claim")]
    LeaseLost,
}

impl Mailer {
    /// The configured transport. The file transport creates its folder.
    pub fn from_settings(settings: &EmailSettings) -> anyhow::Result<Self> {
        Ok(match settings.transport {
            EmailTransport::Stub => Mailer::Stub(Arc::default()),
            EmailTransport::File => {
                std::fs::create_dir_all(&settings.file_dir).map_err(|e| {
                    anyhow::anyhow!(
                        "cannot create the e-mail folder {}: {e}",
                        settings.file_dir.display()
                    )
                })?;
                Mailer::File(AsyncFileTransport::new(&settings.file_dir))
            }
            EmailTransport::Smtp => {
                let host = settings.smtp_host.as_str();
                let tls = match settings.smtp_tls {
                    SmtpTls::None => Tls::None,
                    SmtpTls::Starttls => Tls::Required(TlsParameters::new(host.to_owned())?),
                    SmtpTls::Tls => Tls::Wrapper(TlsParameters::new(host.to_owned())?),
                };
                let mut builder = AsyncSmtpTransport::<Tokio1Executor>::builder_dangerous(host)
                    .port(settings.smtp_port)
                    .tls(tls)
                    .timeout(Some(Duration::from_secs(settings.smtp_timeout_secs)));
                if let (Some(user), Some(password)) =
                    (&settings.smtp_username, &settings.smtp_password)
                {
                    builder = builder.credentials(Credentials::new(
                        user.clone(),
                        password.expose_secret().to_owned(),
                    ));
                }
                Mailer::Smtp(builder.build())
            }
        })
    }

    /// Sends one message.
    pub async fn send(&self, message: Message) -> Result<(), SendError> {
        match self {
            Mailer::Smtp(smtp) => smtp.send(message).await.map(drop).map_err(|e| {
                let code = e.status().map(|c| format!("SMTP {c}"));
                if e.is_permanent() {
                    SendError::Permanent { code }
                } else {
                    SendError::Transient { code }
                }
            }),
            Mailer::File(file) => file
                .send(message)
                .await
                .map(drop)
                .map_err(|_| SendError::Transient { code: None }),
            Mailer::Stub(sent) => {
                let text = String::from_utf8_lossy(&message.formatted()).into_owned();
                sent.lock().unwrap_or_else(|e| e.into_inner()).push(text);
                Ok(())
            }
        }
    }
}

/// The text of an invitation or reminder.
#[derive(Template)]
#[template(path = "email/invitation.txt")]
struct InvitationText<'a> {
    reminder: bool,
    agency_vi: &'a str,
    agency_en: &'a str,
    url: &'a str,
    expires_vi: &'a str,
    expires_en: &'a str,
}

/// The HTML alternative of the same message.
#[derive(Template)]
#[template(path = "email/invitation.html")]
struct InvitationHtml<'a> {
    reminder: bool,
    agency_vi: &'a str,
    agency_en: &'a str,
    url: &'a str,
    expires_vi: &'a str,
    expires_en: &'a str,
}

/// What an invitation says.
#[derive(Debug, Clone)]
pub struct Invitation<'a> {
    pub kind: MessageKind,
    pub to: &'a EmailAddress,
    pub agency_vi: &'a str,
    pub agency_en: Option<&'a str>,
    pub url: &'a str,
    pub expires_at: DateTime<Utc>,
}

/// Vietnam's time zone (UTC+7, no daylight saving), for dates shown to citizens.
fn vietnam_date(t: DateTime<Utc>) -> (String, String) {
    let local = t + chrono::TimeDelta::hours(7);
    (
        local.format("%d/%m/%Y").to_string(),
        local.format("%-d %B %Y").to_string(),
    )
}

/// Builds the bilingual (Vietnamese first) plain-text + HTML message.
pub fn build_message(from: &Mailbox, inv: &Invitation<'_>) -> anyhow::Result<Message> {
    let reminder = inv.kind == MessageKind::Reminder;
    let agency_en = inv.agency_en.unwrap_or(inv.agency_vi);
    let (expires_vi, expires_en) = vietnam_date(inv.expires_at);
    let text = InvitationText {
        reminder,
        agency_vi: inv.agency_vi,
        agency_en,
        url: inv.url,
        expires_vi: &expires_vi,
        expires_en: &expires_en,
    }
    .render()?;
    let html = InvitationHtml {
        reminder,
        agency_vi: inv.agency_vi,
        agency_en,
        url: inv.url,
        expires_vi: &expires_vi,
        expires_en: &expires_en,
    }
    .render()?;
    let subject = format!(
        "{}Đánh giá sự phục vụ của {} / {}How were you served?",
        if reminder { "Nhắc lại: " } else { "" },
        inv.agency_vi,
        if reminder { "Reminder: " } else { "" },
    );
    let to: Mailbox = inv
        .to
        .expose()
        .parse()
        .map_err(|_| anyhow::anyhow!("the stored address does not parse"))?;
    Ok(Message::builder()
        .from(from.clone())
        .to(to)
        .subject(subject)
        .date_now()
        .message_id(None)
        .multipart(
            MultiPart::alternative()
                .singlepart(SinglePart::plain(quoted_printable(text)?))
                .singlepart(SinglePart::html(quoted_printable(html)?)),
        )?)
}

/// Quoted-printable rather than lettre's choice (base64 for Vietnamese text): the link stays
/// readable in the raw message, in `.eml` files and for plain mail readers.
fn quoted_printable(text: String) -> anyhow::Result<Body> {
    Body::new_with_encoding(text, ContentTransferEncoding::QuotedPrintable)
        .map_err(|_| anyhow::anyhow!("the message cannot be encoded"))
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;

    #[test]
    fn the_message_is_bilingual_with_link_expiry_and_anonymity() {
        let to = EmailAddress::parse("citizen@example.vn").unwrap();
        let expires = DateTime::parse_from_rfc3339("2026-03-31T20:00:00Z")
            .unwrap()
            .with_timezone(&Utc);
        let inv = Invitation {
            kind: MessageKind::Invitation,
            to: &to,
            agency_vi: "Sở Nội vụ <Hà Giang>",
            agency_en: None,
            url: "https://sipas.example.vn/s/abc",
            expires_at: expires,
        };
        let from: Mailbox = "SIPAS <no-reply@sipas.example.vn>".parse().unwrap();
        let formatted = String::from_utf8(build_message(&from, &inv).unwrap().formatted()).unwrap();
        assert!(formatted.contains("multipart/alternative"));
        assert!(formatted.contains("text/plain") && formatted.contains("text/html"));
        assert!(formatted.contains("To: citizen@example.vn"));
        let reminder = Invitation {
            kind: MessageKind::Reminder,
            ..inv.clone()
        };
        let text = InvitationText {
            reminder: false,
            agency_vi: inv.agency_vi,
            agency_en: "Department",
            url: inv.url,
            expires_vi: "01/04/2026",
            expires_en: "1 April 2026",
        }
        .render()
        .unwrap();
        assert!(text.contains("https://sipas.example.vn/s/abc"));
        assert!(text.contains("ẩn danh") && text.contains("anonymously"));
        assert!(text.contains("01/04/2026"));
        assert!(
            text.contains("Sở Nội vụ <Hà Giang>"),
            "plain text is not escaped"
        );
        let html = InvitationHtml {
            reminder: true,
            agency_vi: inv.agency_vi,
            agency_en: "Department",
            url: inv.url,
            expires_vi: "01/04/2026",
            expires_en: "1 April 2026",
        }
        .render()
        .unwrap();
        assert!(
            html.contains("Hà Giang") && !html.contains("<Hà Giang>"),
            "HTML is escaped"
        );
        assert!(html.contains("We have not heard from you yet"));
        assert_eq!(vietnam_date(expires).0, "01/04/2026");
        assert!(build_message(&from, &reminder).is_ok());
    }
}
