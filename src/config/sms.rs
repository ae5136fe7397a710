//! `[sms]`: how SMS invitations leave the server (an HTTP gateway, or files to try it out).
//! Retries, leases and the reminder follow `[email]`: both channels share one outbox.

use std::collections::BTreeMap;
use std::path::PathBuf;

use secrecy::SecretString;
use serde::Deserialize;

use super::error::{ConfigError, at_least_one, invalid};

/// How SMS leave the server.
#[derive(Debug, Clone, Copy, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
pub enum SmsTransport {
    /// `.sms.txt` files in `sms.file_dir` (the zero-config default; nothing leaves the machine).
    File,
    /// A POST of `sms.body_template` to `sms.url`.
    Http,
    /// Kept in memory and dropped (tests).
    Stub,
}

/// The SMS transport.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SmsSettings {
    pub transport: SmsTransport,
    /// Folder of the file transport.
    pub file_dir: PathBuf,
    /// The gateway's endpoint: `https://…`, or `http://` to this machine only (a local proxy).
    pub url: String,
    /// A PEM file of extra root certificates the gateway's certificate may chain to (a private
    /// CA); empty: the system's roots only.
    pub ca_file: String,
    /// Headers of every request. `${NAME}` in a value is replaced by the environment variable
    /// `NAME` when the server starts, so a token never sits in a file or the database.
    #[serde(default)]
    pub headers: BTreeMap<String, String>,
    /// The JSON body, with `{phone}` and `{text}` where the number and the message go (inside
    /// JSON strings; they are escaped).
    pub body_template: String,
    /// Seconds a request to the gateway may take.
    pub timeout_secs: u64,
}

impl SmsSettings {
    /// A body template that becomes JSON and names both placeholders; for the HTTP transport,
    /// a URL that keeps numbers off the network in clear, and headers whose variables are set.
    pub(super) fn validate(&self) -> Result<(), ConfigError> {
        if !self.body_template.contains("{phone}") || !self.body_template.contains("{text}") {
            return invalid("sms.body_template", "must contain {phone} and {text}");
        }
        let sample = render_body(&self.body_template, "+84912345678", "Moi \"ong/ba\"");
        if serde_json::from_str::<serde_json::Value>(&sample).is_err() {
            return invalid(
                "sms.body_template",
                "must be JSON once {phone} and {text} are filled in, e.g. \
                 {\"to\":\"{phone}\",\"text\":\"{text}\"}",
            );
        }
        at_least_one("sms.timeout_secs", self.timeout_secs)?;
        if self.transport == SmsTransport::Http {
            check_url(&self.url)?;
            self.resolved_headers(|name| std::env::var(name).ok())?;
        }
        Ok(())
    }

    /// The headers with every `${NAME}` replaced by `env(NAME)`; a variable that is not set
    /// stops the server (a request without its token would only be refused).
    pub fn resolved_headers(
        &self,
        env: impl Fn(&str) -> Option<String>,
    ) -> Result<Vec<(String, SecretString)>, ConfigError> {
        self.headers
            .iter()
            .map(|(name, value)| {
                let value = expand(value, &env).map_err(|var| ConfigError::Invalid {
                    key: "sms.headers",
                    reason: format!("header `{name}` needs the environment variable `{var}`"),
                })?;
                Ok((name.clone(), SecretString::from(value)))
            })
            .collect()
    }
}

/// `https://…`, or `http://` to a loopback address: every request carries a phone number and
/// the token, which must not cross a network in clear (a local TLS proxy is the exception). The
/// URL is read by the parser of the client that will connect to it, so the host checked is the
/// host reached.
fn check_url(url: &str) -> Result<(), ConfigError> {
    let parsed = reqwest::Url::parse(url).ok();
    let host = parsed.as_ref().and_then(reqwest::Url::host_str);
    match (parsed.as_ref().map(reqwest::Url::scheme), host) {
        (Some("https"), Some(_)) => Ok(()),
        (Some("http"), Some(host)) if is_loopback(host) => Ok(()),
        (Some("http"), Some(_)) => invalid(
            "sms.url",
            format!(
                "http:// only reaches this machine (localhost, 127.0.0.1, [::1]); a gateway \
                 elsewhere needs https:// (got `{url}`)"
            ),
        ),
        _ => invalid(
            "sms.url",
            format!("must be an https:// URL such as https://sms.example.vn/send (got `{url}`)"),
        ),
    }
}

/// `localhost` or a loopback address (an IPv6 one in brackets, as a URL writes it).
fn is_loopback(host: &str) -> bool {
    let ip = host.trim_start_matches('[').trim_end_matches(']');
    host.eq_ignore_ascii_case("localhost")
        || ip
            .parse::<std::net::IpAddr>()
            .is_ok_and(|ip| ip.is_loopback())
}

/// `value` with each `${NAME}` replaced by `env(NAME)`; the name of the first variable not set.
fn expand(value: &str, env: &impl Fn(&str) -> Option<String>) -> Result<String, String> {
    let mut out = String::with_capacity(value.len());
    let mut rest = value;
    while let Some(start) = rest.find("${") {
        out.push_str(&rest[..start]);
        let after = &rest[start + 2..];
        let Some(end) = after.find('}') else {
            out.push_str(&rest[start..]);
            return Ok(out);
        };
        let name = &after[..end];
        out.push_str(&env(name).ok_or_else(|| name.to_owned())?);
        rest = &after[end + 1..];
    }
    out.push_str(rest);
    Ok(out)
}

/// The request body: `template` with `{phone}` and `{text}` replaced by the JSON-escaped
/// values (without quotes: the template puts them inside its own strings).
pub fn render_body(template: &str, phone: &str, text: &str) -> String {
    let escape = |s: &str| {
        let quoted = serde_json::Value::from(s).to_string();
        quoted[1..quoted.len() - 1].to_owned()
    };
    template
        .replace("{phone}", &escape(phone))
        .replace("{text}", &escape(text))
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use secrecy::ExposeSecret;

    use super::*;

    #[test]
    fn headers_take_their_secrets_from_the_environment() {
        let mut s = crate::config::Settings::defaults().unwrap().sms;
        s.headers
            .insert("Authorization".into(), "Bearer ${SMS_TOKEN}".into());
        s.headers.insert("X-Plain".into(), "a${b".into());
        let env = |name: &str| (name == "SMS_TOKEN").then(|| "s3cret".to_owned());
        let headers = s.resolved_headers(env).unwrap();
        assert_eq!(headers[0].0, "Authorization");
        assert_eq!(headers[0].1.expose_secret(), "Bearer s3cret");
        assert_eq!(headers[1].1.expose_secret(), "a${b");
        let err = s.resolved_headers(|_| None).unwrap_err().to_string();
        assert!(
            err.contains("sms.headers") && err.contains("SMS_TOKEN"),
            "{err}"
        );
        s.transport = SmsTransport::Http;
        s.headers.clear();
        for ok in [
            "https://gateway.example.vn/send",
            "https://10.0.0.7:8443/api?x=1",
            "http://127.0.0.1:9/send",
            "http://localhost/send",
            "http://[::1]:8080/send",
        ] {
            s.url = ok.into();
            s.validate().unwrap_or_else(|e| panic!("{ok}: {e}"));
        }
        for refused in [
            "",
            "https://",
            "ftp://gateway.example.vn",
            "http://gateway.example.vn/send",
            "http://10.0.0.7/send",
            "http://127.0.0.1.example.vn/send",
            "http://user@gateway.example.vn/send",
            "http://127.0.0.1@gateway.example.vn/send",
            "http://localhost.example.vn/send",
        ] {
            s.url = refused.into();
            let err = s.validate().unwrap_err().to_string();
            assert!(err.contains("sms.url"), "{refused}: {err}");
        }
        s.url = "http://127.0.0.1:9/send".into();
        s.body_template = "{\"to\":{phone},\"text\":\"{text}\"}".into();
        assert!(s.validate().is_err(), "the phone outside a JSON string");
    }

    #[test]
    fn the_body_escapes_what_it_fills_in() {
        let body = render_body(
            "{\"to\":\"{phone}\",\"text\":\"{text}\"}",
            "+84912345678",
            "a \"b\"\\",
        );
        let v: serde_json::Value = serde_json::from_str(&body).unwrap();
        assert_eq!(v["to"], "+84912345678");
        assert_eq!(v["text"], "a \"b\"\\");
    }
}
