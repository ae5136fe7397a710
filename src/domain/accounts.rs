//! Officer accounts: e-mail addresses and passwords as valid values, argon2id hashing, the
//! random session token of the sign-in cookie and the CSRF token derived from it, the lockout
//! after repeated failed sign-ins, session lifetimes, and where a sign-in may send the browser
//! next. Pure rules; storage is in `persistence::users`, the pages in `http::pages::accounts`.
//!
//! - **E-mail**: trimmed, NFC-normalised, lower-cased (then NFC again: lower-casing can undo it),
//!   so `Cán.Bộ@…` typed with a composing or a precomposing Vietnamese keyboard is one account.
//! - **Passwords** are NFKC-normalised before hashing and before checking (NIST SP 800-63B
//!   §5.1.1.2), for the same reason: Vietnamese input methods differ in how they encode
//!   diacritics. A new password has at least [`MIN_PASSWORD_CHARS`] characters.
//! - **Hashes**: argon2id, m = 19 MiB, t = 2, p = 1 (OWASP's first recommendation), as PHC
//!   strings with a 16-byte random salt. Checking a password for an e-mail without an account
//!   runs the same computation against [`DUMMY_HASH`], so the answer takes as long either way.
//! - **Session tokens**: 32 bytes from the operating system's random generator, sent as 64 hex
//!   digits in the cookie; only their SHA-256 is stored. The CSRF token of a session is
//!   HMAC-SHA-256(session token, context): bound to the session, never stored, and not derivable
//!   from the database.

use std::fmt;

use argon2::password_hash::{PasswordHasher, PasswordVerifier};
use argon2::{Algorithm, Argon2, Params, PasswordHash, Version};
use chrono::{DateTime, TimeDelta, Utc};
use secrecy::{ExposeSecret, SecretString};
use unicode_normalization::UnicodeNormalization;

use crate::domain::digest::{sha256_hex, to_hex};
use crate::domain::tokens::hmac_sha256;

/// Fewest characters of a new password.
pub const MIN_PASSWORD_CHARS: usize = 12;
/// Most bytes of a password (new or presented): long enough for any passphrase, short enough
/// that nobody makes the server hash megabytes.
pub const MAX_PASSWORD_BYTES: usize = 1024;
/// Longest e-mail address (RFC 5321's path limit).
pub const MAX_EMAIL_BYTES: usize = 254;

/// Argon2id memory cost in KiB (19 MiB), time cost and parallelism: OWASP's recommendation.
pub const ARGON2_M_COST: u32 = 19 * 1024;
pub const ARGON2_T_COST: u32 = 2;
pub const ARGON2_P_COST: u32 = 1;

/// What a password is checked against when the e-mail has no account, so that the check costs
/// the same: a PHC string with the current parameters whose salt and output are random bytes
/// (no known password produces it).
pub const DUMMY_HASH: &str = "$argon2id$v=19$m=19456,t=2,p=1$PETHsSMWBhD9jB4/Rpwt6Q$7msIB1rAK/aIO03fYC8nT/edMaRUHFZ8YRB9KOeYNpQ";

/// Context of the CSRF token derived from a session token.
const CSRF_CONTEXT: &[u8] = b"sipas-csrf/v1";
/// Random bytes in a session token.
const SESSION_TOKEN_BYTES: usize = 32;
/// `last_seen_at` of a session is written at most this often (or a quarter of the idle
/// lifetime, if shorter), so an active officer does not cost a write per page.
const SESSION_TOUCH_INTERVAL: TimeDelta = TimeDelta::seconds(60);
/// Longest `next` address a sign-in redirects to.
const MAX_NEXT_BYTES: usize = 2048;

/// A normalised e-mail address: what the `users` table stores and is looked up by.
#[derive(Clone, PartialEq, Eq)]
pub struct Email(String);

/// Why an e-mail address was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EmailProblem {
    Missing,
    Invalid,
}

impl Email {
    /// Normalises (see the module documentation) and checks the shape: one `@` with something
    /// on either side, no spaces or control characters, at most [`MAX_EMAIL_BYTES`].
    pub fn parse(raw: &str) -> Result<Self, EmailProblem> {
        let nfc: String = raw.trim().nfc().collect();
        let email: String = nfc.to_lowercase().nfc().collect();
        if email.is_empty() {
            return Err(EmailProblem::Missing);
        }
        let well_formed = email.len() <= MAX_EMAIL_BYTES
            && !email
                .chars()
                .any(|c| c.is_whitespace() || c.is_control() || matches!(c, '<' | '>' | ','))
            && email.split_once('@').is_some_and(|(local, domain)| {
                !local.is_empty()
                    && !domain.is_empty()
                    && !domain.contains('@')
                    && !domain.starts_with('.')
                    && !domain.ends_with('.')
            });
        if well_formed {
            Ok(Self(email))
        } else {
            Err(EmailProblem::Invalid)
        }
    }

    /// A stored address (already normalised).
    pub fn from_stored(stored: String) -> Self {
        Self(stored)
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for Email {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// Addresses are personal data: `Debug` (and so logs) never show them.
impl fmt::Debug for Email {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Email(REDACTED)")
    }
}

/// A password, NFKC-normalised. `Debug` does not reveal it.
pub struct Password(SecretString);

/// Why a new password was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum PasswordProblem {
    #[error("a password needs at least {MIN_PASSWORD_CHARS} characters")]
    TooShort,
    #[error("a password may have at most {MAX_PASSWORD_BYTES} bytes")]
    TooLong,
}

impl Password {
    /// A password to set: at least [`MIN_PASSWORD_CHARS`] characters, at most
    /// [`MAX_PASSWORD_BYTES`] bytes.
    pub fn new(raw: &str) -> Result<Self, PasswordProblem> {
        let password = Self::presented(raw);
        let text = password.expose();
        if text.len() > MAX_PASSWORD_BYTES {
            Err(PasswordProblem::TooLong)
        } else if text.chars().count() < MIN_PASSWORD_CHARS {
            Err(PasswordProblem::TooShort)
        } else {
            Ok(password)
        }
    }

    /// A password typed at sign-in, to be checked (any length; the form body is bounded).
    pub fn presented(raw: &str) -> Self {
        Self(SecretString::from(raw.nfkc().collect::<String>()))
    }

    /// A new random password to hand out once: 24 characters of lower-case Crockford base32
    /// (120 bits) in groups of four, e.g. `7qk2-…`, easy to type and to read aloud.
    pub fn generate() -> Result<Self, getrandom::Error> {
        const ALPHABET: &[u8; 32] = b"0123456789abcdefghjkmnpqrstvwxyz";
        let mut bytes = [0u8; 24];
        getrandom::fill(&mut bytes)?;
        let mut out = String::with_capacity(29);
        for (i, b) in bytes.iter().enumerate() {
            if i > 0 && i % 4 == 0 {
                out.push('-');
            }
            out.push(char::from(ALPHABET[usize::from(b & 31)]));
        }
        Ok(Self(SecretString::from(out)))
    }

    pub fn expose(&self) -> &str {
        self.0.expose_secret()
    }
}

impl fmt::Debug for Password {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Password(REDACTED)")
    }
}

/// Hashing failed (parameters or the random generator; not a wrong password).
#[derive(Debug, thiserror::Error)]
#[error("cannot hash the password: {0}")]
pub struct HashError(String);

fn argon2() -> Result<Argon2<'static>, HashError> {
    let params = Params::new(ARGON2_M_COST, ARGON2_T_COST, ARGON2_P_COST, None)
        .map_err(|e| HashError(e.to_string()))?;
    Ok(Argon2::new(Algorithm::Argon2id, Version::V0x13, params))
}

/// The PHC string to store for `password` (argon2id, fresh random salt). Slow on purpose
/// (tens of milliseconds): call it off the async runtime.
pub fn hash_password(password: &Password) -> Result<String, HashError> {
    let hash = argon2()?
        .hash_password(password.expose().as_bytes())
        .map_err(|e| HashError(e.to_string()))?;
    Ok(hash.to_string())
}

/// Whether `password` matches the stored PHC string. With no stored hash (no such account) the
/// same work is done against [`DUMMY_HASH`] and the answer is `false`. Slow on purpose: call it
/// off the async runtime.
pub fn verify_password(password: &Password, stored: Option<&str>) -> bool {
    let parsed = stored.and_then(|s| PasswordHash::new(s).ok());
    let (hash, real) = match parsed {
        Some(hash) => (hash, true),
        None => match PasswordHash::new(DUMMY_HASH) {
            Ok(dummy) => (dummy, false),
            Err(_) => return false,
        },
    };
    let Ok(argon2) = argon2() else { return false };
    let matches = argon2
        .verify_password(password.expose().as_bytes(), &hash)
        .is_ok();
    matches && real
}

/// The random secret of a cookie: the session cookie, and the sign-in form's own cookie that
/// its CSRF token is bound to. `Debug` does not reveal it.
pub struct SessionToken(SecretString);

impl SessionToken {
    /// 32 fresh bytes from the operating system's random generator.
    pub fn generate() -> Result<Self, getrandom::Error> {
        let mut bytes = [0u8; SESSION_TOKEN_BYTES];
        getrandom::fill(&mut bytes)?;
        Ok(Self(SecretString::from(to_hex(&bytes))))
    }

    /// The token in a cookie, or `None` if it cannot be one (wrong length or alphabet), which
    /// needs no lookup.
    pub fn from_cookie(raw: &str) -> Option<Self> {
        let well_formed = raw.len() == SESSION_TOKEN_BYTES * 2
            && raw
                .bytes()
                .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b));
        well_formed.then(|| Self(SecretString::from(raw.to_owned())))
    }

    /// The value to put in the cookie.
    pub fn expose(&self) -> &str {
        self.0.expose_secret()
    }

    /// What the `sessions` table stores and is looked up by.
    pub fn id(&self) -> SessionId {
        SessionId(sha256_hex(self.expose().as_bytes()))
    }

    /// The CSRF token of forms shown with this cookie.
    pub fn csrf(&self) -> CsrfToken {
        CsrfToken(to_hex(&hmac_sha256(
            self.expose().as_bytes(),
            &[CSRF_CONTEXT],
        )))
    }
}

impl fmt::Debug for SessionToken {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("SessionToken(REDACTED)")
    }
}

/// SHA-256 (hex) of a session token: the primary key of `sessions`.
#[derive(Clone, PartialEq, Eq)]
pub struct SessionId(String);

impl SessionId {
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for SessionId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // Not a secret, but not worth a log line either.
        f.write_str("SessionId(..)")
    }
}

/// The synchronizer token put in a hidden field of every officer form.
#[derive(Clone, PartialEq, Eq)]
pub struct CsrfToken(String);

impl CsrfToken {
    /// The value of the hidden field.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// Whether a posted value is this token, in time independent of where they differ.
    pub fn matches(&self, presented: &str) -> bool {
        let (a, b) = (self.0.as_bytes(), presented.as_bytes());
        if a.len() != b.len() {
            return false;
        }
        let diff = a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y));
        std::hint::black_box(diff) == 0
    }
}

impl fmt::Display for CsrfToken {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl fmt::Debug for CsrfToken {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("CsrfToken(REDACTED)")
    }
}

/// When repeated failures lock sign-in, and for how long.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LockoutPolicy {
    /// Consecutive failures, each within `duration` of the previous one, that lock.
    pub max_failures: u32,
    /// How long a lock lasts; also how long a failure is remembered.
    pub duration: TimeDelta,
}

/// The failed sign-ins of one e-mail address (an account's, or one without an account: the
/// rules are the same, so the two cannot be told apart).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Lockout {
    pub failed_attempts: u32,
    pub last_failed_at: Option<DateTime<Utc>>,
    pub locked_until: Option<DateTime<Utc>>,
}

impl Lockout {
    /// Until when sign-in is locked, if it is at `now`.
    pub fn locked_until(&self, now: DateTime<Utc>) -> Option<DateTime<Utc>> {
        self.locked_until.filter(|until| *until > now)
    }

    /// The state after one more failure at `now`. A failure more than `duration` after the
    /// previous one starts counting again; reaching `max_failures` locks for `duration` and
    /// resets the count. Attempts while locked change nothing (the lock is not extended).
    pub fn after_failure(&self, now: DateTime<Utc>, policy: &LockoutPolicy) -> Lockout {
        if self.locked_until(now).is_some() {
            return *self;
        }
        let recent = self
            .last_failed_at
            .is_some_and(|t| now - t < policy.duration);
        let count = if recent {
            self.failed_attempts.saturating_add(1)
        } else {
            1
        };
        if count >= policy.max_failures {
            Lockout {
                failed_attempts: 0,
                last_failed_at: Some(now),
                locked_until: Some(now + policy.duration),
            }
        } else {
            Lockout {
                failed_attempts: count,
                last_failed_at: Some(now),
                locked_until: None,
            }
        }
    }

    /// Whether the state no longer matters at `now` (not locked, last failure forgotten): a
    /// row of `sign_in_throttle` in this state can be deleted.
    pub fn is_forgotten(&self, now: DateTime<Utc>, policy: &LockoutPolicy) -> bool {
        self.locked_until(now).is_none()
            && self
                .last_failed_at
                .is_none_or(|t| now - t >= policy.duration)
    }
}

/// How long a session lives.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SessionPolicy {
    /// Ends after this long without a request.
    pub idle: TimeDelta,
    /// Ends this long after sign-in, however active.
    pub absolute: TimeDelta,
}

impl SessionPolicy {
    /// Whether a session created with `expires_at` and last seen at `last_seen` is still good.
    pub fn is_live(
        &self,
        expires_at: DateTime<Utc>,
        last_seen: DateTime<Utc>,
        now: DateTime<Utc>,
    ) -> bool {
        now < expires_at && now - last_seen < self.idle
    }

    /// Whether `last_seen_at` should be written at `now`.
    pub fn touch_due(&self, last_seen: DateTime<Utc>, now: DateTime<Utc>) -> bool {
        now - last_seen >= SESSION_TOUCH_INTERVAL.min(self.idle / 4)
    }
}

/// `next` when it is an address on this site that a sign-in may redirect to: a path starting
/// with a single `/` (not `//`, which is another host), printable ASCII only (browsers drop
/// tabs and newlines, turning `/\t/evil` into `//evil`), no backslash (`/\evil` is `//evil` to
/// a browser), at most 2 KiB. Anything else is ignored: an open redirect would let a phishing
/// link send an officer from the real sign-in page to a look-alike.
pub fn safe_next(raw: &str) -> Option<&str> {
    let ok = raw.len() <= MAX_NEXT_BYTES
        && raw.starts_with('/')
        && !raw.starts_with("//")
        && raw
            .bytes()
            .all(|b| (0x21..=0x7e).contains(&b) && b != b'\\');
    ok.then_some(raw)
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;

    #[test]
    fn emails_are_normalised_and_checked() {
        let decomposed = "Ca\u{301}n.Bo\u{302}\u{323}@Example.GOV.vn ";
        let e = Email::parse(decomposed).unwrap();
        assert_eq!(e.as_str(), "cán.bộ@example.gov.vn");
        assert_eq!(Email::parse("CÁN.BỘ@example.gov.vn").unwrap(), e);
        assert_eq!(Email::parse("  "), Err(EmailProblem::Missing));
        for bad in [
            "no-at",
            "@example.vn",
            "a@",
            "a@b@c",
            "a b@c.vn",
            "a@.vn",
            "a@vn.",
            "a\n@b.vn",
            "<a@b.vn>",
        ] {
            assert_eq!(Email::parse(bad), Err(EmailProblem::Invalid), "{bad}");
        }
        let long = format!("{}@example.vn", "a".repeat(250));
        assert_eq!(Email::parse(&long), Err(EmailProblem::Invalid));
        assert!(!format!("{e:?}").contains("example"));
    }

    #[test]
    fn new_passwords_have_a_minimum_length_and_are_normalised() {
        assert_eq!(
            Password::new("short-pass1").unwrap_err(),
            PasswordProblem::TooShort
        );
        // 12 characters, 17 bytes: characters count, not bytes.
        assert!(Password::new("mật-khẩu-đẹp").is_ok());
        assert_eq!(
            Password::new(&"x".repeat(MAX_PASSWORD_BYTES + 1)).unwrap_err(),
            PasswordProblem::TooLong
        );
        // Decomposed and precomposed Vietnamese are the same password.
        let a = Password::presented("Ma\u{323}\u{302}t-kha\u{302}\u{309}u");
        let b = Password::presented("Mật-khẩu");
        assert_eq!(a.expose(), b.expose());
        assert!(!format!("{a:?}").contains("kh"));
    }

    #[test]
    fn generated_passwords_are_long_random_and_typable() {
        let a = Password::generate().unwrap();
        let b = Password::generate().unwrap();
        assert_ne!(a.expose(), b.expose());
        assert_eq!(a.expose().len(), 29);
        assert!(Password::new(a.expose()).is_ok());
        assert!(
            a.expose()
                .chars()
                .all(|c| c == '-' || c.is_ascii_digit() || c.is_ascii_lowercase())
        );
    }

    #[test]
    fn hashes_are_argon2id_phc_strings_that_verify() {
        let pw = Password::new("correct horse battery").unwrap();
        let stored = hash_password(&pw).unwrap();
        assert!(
            stored.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"),
            "{stored}"
        );
        assert_ne!(stored, hash_password(&pw).unwrap(), "salted");
        assert!(verify_password(&pw, Some(&stored)));
        assert!(!verify_password(
            &Password::presented("correct horse battery!"),
            Some(&stored)
        ));
        assert!(!verify_password(&pw, None));
        assert!(!verify_password(&pw, Some("not a hash")));
    }

    #[test]
    fn the_dummy_hash_costs_what_a_real_one_does() {
        let dummy = PasswordHash::new(DUMMY_HASH).unwrap();
        let params = Params::try_from(&dummy).unwrap();
        assert_eq!(dummy.algorithm.as_str(), "argon2id");
        assert_eq!(dummy.version, Some(19));
        assert_eq!(
            (params.m_cost(), params.t_cost(), params.p_cost()),
            (ARGON2_M_COST, ARGON2_T_COST, ARGON2_P_COST)
        );
        let real = hash_password(&Password::new("another password").unwrap()).unwrap();
        let real = PasswordHash::new(&real).unwrap();
        assert_eq!(real.params, dummy.params);
        assert_eq!(
            real.salt.map(|s| s.len()),
            dummy.salt.map(|s| s.len()),
            "same salt length"
        );
    }

    #[test]
    fn session_tokens_hash_and_derive_their_csrf_token() {
        let a = SessionToken::generate().unwrap();
        let b = SessionToken::generate().unwrap();
        assert_ne!(a.expose(), b.expose());
        assert_eq!(a.expose().len(), 64);
        let again = SessionToken::from_cookie(a.expose()).unwrap();
        assert_eq!(again.id(), a.id());
        assert_eq!(a.id().as_str(), sha256_hex(a.expose().as_bytes()));
        assert_ne!(a.id().as_str(), a.expose());
        let csrf = a.csrf();
        assert_eq!(csrf, again.csrf());
        assert_ne!(csrf, b.csrf());
        assert_ne!(csrf.as_str(), a.id().as_str());
        assert!(csrf.matches(csrf.as_str()));
        assert!(!csrf.matches(b.csrf().as_str()));
        assert!(!csrf.matches(""));
        assert!(!csrf.matches(&csrf.as_str()[1..]));
        for bad in ["", "abc", &"A".repeat(64), &"g".repeat(64), &"a".repeat(65)] {
            assert!(SessionToken::from_cookie(bad).is_none(), "{bad}");
        }
        assert!(!format!("{a:?}").contains(&a.expose()[..8]));
    }

    #[test]
    fn lockout_after_consecutive_failures_for_a_while() {
        let policy = LockoutPolicy {
            max_failures: 3,
            duration: TimeDelta::minutes(15),
        };
        let t0 = Utc::now();
        let minute = TimeDelta::minutes(1);
        let mut s = Lockout::default();
        s = s.after_failure(t0, &policy);
        s = s.after_failure(t0 + minute, &policy);
        assert_eq!(s.failed_attempts, 2);
        assert_eq!(s.locked_until(t0 + minute), None);
        s = s.after_failure(t0 + minute * 2, &policy);
        let until = t0 + minute * 17;
        assert_eq!(s.locked_until(t0 + minute * 2), Some(until));
        // Attempts while locked neither count nor extend the lock.
        assert_eq!(s.after_failure(t0 + minute * 3, &policy), s);
        assert!(!s.is_forgotten(t0 + minute * 16, &policy));
        // After the lock: counting starts again from one.
        assert_eq!(s.locked_until(until), None);
        assert!(s.is_forgotten(until, &policy));
        let after = s.after_failure(until, &policy);
        assert_eq!((after.failed_attempts, after.locked_until), (1, None));
        // Failures far apart are not consecutive.
        let slow = Lockout::default()
            .after_failure(t0, &policy)
            .after_failure(t0 + minute * 20, &policy)
            .after_failure(t0 + minute * 40, &policy);
        assert_eq!((slow.failed_attempts, slow.locked_until), (1, None));
    }

    #[test]
    fn sessions_end_when_idle_or_old() {
        let policy = SessionPolicy {
            idle: TimeDelta::minutes(30),
            absolute: TimeDelta::hours(8),
        };
        let t0 = Utc::now();
        let expires = t0 + policy.absolute;
        assert!(policy.is_live(expires, t0, t0 + TimeDelta::minutes(29)));
        assert!(!policy.is_live(expires, t0, t0 + TimeDelta::minutes(30)));
        let late = expires - TimeDelta::minutes(1);
        assert!(policy.is_live(expires, late, late));
        assert!(!policy.is_live(expires, late, expires));
        assert!(!policy.touch_due(t0, t0 + TimeDelta::seconds(59)));
        assert!(policy.touch_due(t0, t0 + TimeDelta::seconds(60)));
        let short = SessionPolicy {
            idle: TimeDelta::minutes(1),
            ..policy
        };
        assert!(short.touch_due(t0, t0 + TimeDelta::seconds(15)));
    }

    #[test]
    fn only_local_paths_are_followed_after_sign_in() {
        for good in ["/dashboard", "/dashboard?lang=en", "/a/b%2F%2Fc"] {
            assert_eq!(safe_next(good), Some(good));
        }
        for bad in [
            "https://evil.example",
            "//evil.example",
            "/\\evil.example",
            "/\t/evil.example",
            "/ /x",
            "dashboard",
            "",
            "javascript:alert(1)",
            "/é",
        ] {
            assert_eq!(safe_next(bad), None, "{bad:?}");
        }
        assert_eq!(safe_next(&format!("/{}", "a".repeat(3000))), None);
    }
}
