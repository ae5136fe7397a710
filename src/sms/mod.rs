//! SMS: the [`SmsSender`] (an HTTP gateway, `.sms.txt` files, or an in-memory stub for tests).
//! The outbox worker (`email::worker`) sends through it the rows whose channel is `sms`, with
//! the same retries, leases and reminder as e-mail.
//!
//! Numbers never reach a log: a failure is reported with the HTTP status only (a gateway's
//! reply often quotes the number), and the request's headers are marked sensitive.

use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use reqwest::StatusCode;
use reqwest::header::{CONTENT_TYPE, HeaderMap, HeaderName, HeaderValue};
use secrecy::ExposeSecret;

use crate::config::{SmsSettings, SmsTransport, render_body};
use crate::domain::phone::PhoneNumber;
use crate::email::SendError;

/// Where SMS go.
#[derive(Clone)]
pub enum SmsSender {
    Http(Arc<Gateway>),
    File(PathBuf),
    /// Keeps `(number, text)` of each message in memory (tests).
    Stub(Arc<Mutex<Vec<(String, String)>>>),
}

/// An HTTP gateway: one POST per message.
pub struct Gateway {
    client: reqwest::Client,
    url: String,
    headers: HeaderMap,
    body_template: String,
}

impl SmsSender {
    /// The configured transport: the file transport creates its folder; the HTTP one reads its
    /// headers' secrets from the environment.
    pub fn from_settings(settings: &SmsSettings) -> anyhow::Result<Self> {
        Ok(match settings.transport {
            SmsTransport::Stub => SmsSender::Stub(Arc::default()),
            SmsTransport::File => {
                std::fs::create_dir_all(&settings.file_dir).map_err(|e| {
                    anyhow::anyhow!(
                        "cannot create the SMS folder {}: {e}",
                        settings.file_dir.display()
                    )
                })?;
                SmsSender::File(settings.file_dir.clone())
            }
            SmsTransport::Http => {
                let mut headers = HeaderMap::new();
                for (name, value) in settings.resolved_headers(|n| std::env::var(n).ok())? {
                    let name = HeaderName::try_from(name.as_str())
                        .map_err(|_| anyhow::anyhow!("sms.headers: `{name}` is not a header"))?;
                    let mut value = HeaderValue::try_from(value.expose_secret())
                        .map_err(|_| anyhow::anyhow!("sms.headers: `{name}` has a bad value"))?;
                    value.set_sensitive(true);
                    headers.insert(name, value);
                }
                headers.insert(CONTENT_TYPE, HeaderValue::from_static("application/json"));
                let client = gateway_client(settings)?;
                SmsSender::Http(Arc::new(Gateway {
                    client,
                    url: settings.url.clone(),
                    headers,
                    body_template: settings.body_template.clone(),
                }))
            }
        })
    }

    /// Sends `text` to `to`.
    pub async fn send(&self, to: &PhoneNumber, text: &str) -> Result<(), SendError> {
        match self {
            SmsSender::Http(gateway) => gateway.send(to, text).await,
            SmsSender::File(dir) => {
                let path = dir.join(format!("{}.sms.txt", uuid::Uuid::now_v7()));
                let content = format!("To: {}\n\n{text}\n", to.expose());
                tokio::fs::write(path, content)
                    .await
                    .map_err(|_| SendError::Transient { code: None })
            }
            SmsSender::Stub(sent) => {
                sent.lock()
                    .unwrap_or_else(|e| e.into_inner())
                    .push((to.expose().to_owned(), text.to_owned()));
                Ok(())
            }
        }
    }
}

/// Makes *ring* the process's TLS crypto provider. reqwest is built without one of its own
/// (Cargo.toml) and panics when a client is built before one is installed; a second call is
/// harmless.
pub fn install_crypto_provider() {
    let _ = rustls::crypto::ring::default_provider().install_default();
}

/// The gateway's client: TLS through rustls with *ring* (see Cargo.toml), the system's roots
/// plus `sms.ca_file`'s, no redirects (a 307 could resend the number elsewhere, or in clear).
fn gateway_client(settings: &SmsSettings) -> anyhow::Result<reqwest::Client> {
    install_crypto_provider();
    let mut builder = reqwest::Client::builder()
        .timeout(Duration::from_secs(settings.timeout_secs))
        .redirect(reqwest::redirect::Policy::none());
    if !settings.ca_file.is_empty() {
        let pem = std::fs::read(&settings.ca_file)
            .map_err(|e| anyhow::anyhow!("sms.ca_file: cannot read {}: {e}", settings.ca_file))?;
        let roots = reqwest::Certificate::from_pem_bundle(&pem)
            .map_err(|e| anyhow::anyhow!("sms.ca_file: {} is not PEM: {e}", settings.ca_file))?;
        if roots.is_empty() {
            anyhow::bail!("sms.ca_file: {} holds no certificate", settings.ca_file);
        }
        for root in roots {
            builder = builder.add_root_certificate(root);
        }
    }
    Ok(builder.build()?)
}

impl Gateway {
    async fn send(&self, to: &PhoneNumber, text: &str) -> Result<(), SendError> {
        let body = render_body(&self.body_template, to.expose(), text);
        let sent = self
            .client
            .post(&self.url)
            .headers(self.headers.clone())
            .body(body)
            .send()
            .await;
        // The error itself is not kept: it may quote the request.
        let status = sent
            .map_err(|_| SendError::Transient { code: None })?
            .status();
        classify(status)
    }
}

/// A 2xx is sent; a refusal of the request itself (bad number, no such endpoint) is permanent;
/// anything else may pass later (gateway down or busy, credentials being fixed).
fn classify(status: StatusCode) -> Result<(), SendError> {
    if status.is_success() {
        return Ok(());
    }
    let code = Some(format!("HTTP {}", status.as_u16()));
    match status.as_u16() {
        400 | 404 | 410 | 413 | 422 => Err(SendError::Permanent { code }),
        _ => Err(SendError::Transient { code }),
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;

    #[test]
    fn statuses_are_sent_permanent_or_worth_retrying() {
        assert!(classify(StatusCode::OK).is_ok());
        assert!(classify(StatusCode::ACCEPTED).is_ok());
        for permanent in [400, 404, 422] {
            let status = StatusCode::from_u16(permanent).unwrap();
            assert!(matches!(classify(status), Err(SendError::Permanent { .. })));
        }
        for transient in [401, 403, 429, 500, 502, 503] {
            let status = StatusCode::from_u16(transient).unwrap();
            let err = classify(status).unwrap_err();
            assert!(matches!(err, SendError::Transient { .. }));
            assert_eq!(
                err.to_string(),
                format!("transient failure (HTTP {transient})")
            );
        }
    }
}
