//! Dossiers (hồ sơ): the completed dossiers that one-stop-shop systems register so that their
//! holders can be surveyed. What lives here: the checks of one registration's fields (codes,
//! completion time, channel, e-mail), when a survey link expires, and what "the same
//! registration again" means for idempotency.
//!
//! Checks return every problem of a registration at once, each naming its field and a stable
//! code, so a batch can report them per item.

use chrono::{DateTime, NaiveDate, TimeDelta, Utc};
use unicode_normalization::UnicodeNormalization;
use uuid::Uuid;

use crate::domain::agencies::{AgencyCode, parse_form_key};
use crate::domain::phone::PhoneNumber;
use crate::domain::problem_code::ProblemCode;

/// Longest dossier or procedure code, in characters.
pub const MAX_CODE_LEN: usize = 128;
/// Longest procedure field (lĩnh vực), in characters.
pub const MAX_FIELD_LEN: usize = 255;
/// A completion time may be this far ahead of the server's clock (the registering system's
/// clock may run a little fast); anything later is "in the future".
pub const CLOCK_SKEW: TimeDelta = TimeDelta::minutes(2);
/// The language of the survey when the registration names none.
pub const DEFAULT_LANGUAGE: &str = "vi";
/// Languages a survey can be offered in (the form must have it too).
pub const LANGUAGES: [&str; 2] = ["vi", "en"];

/// How the dossier was handled (trực tiếp, trực tuyến, bưu chính).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Channel {
    InPerson,
    Online,
    Postal,
}

impl Channel {
    pub const ALL: [Channel; 3] = [Channel::InPerson, Channel::Online, Channel::Postal];

    pub fn as_str(self) -> &'static str {
        match self {
            Channel::InPerson => "in_person",
            Channel::Online => "online",
            Channel::Postal => "postal",
        }
    }

    pub fn parse(raw: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|c| c.as_str() == raw)
    }
}

/// One rejected field of a registration.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DossierProblem {
    /// The request field, e.g. `contact.email`.
    pub field: &'static str,
    /// Stable snake_case reason.
    pub code: &'static str,
    pub message: String,
}

impl DossierProblem {
    pub fn new(field: &'static str, code: &'static str, message: impl Into<String>) -> Self {
        Self {
            field,
            code,
            message: message.into(),
        }
    }

    /// The problem code of the rule this breaks (the field's reason is that code), or `None`
    /// for a field of the wrong shape (reported as `validation_failed`).
    pub fn rule(&self) -> Option<ProblemCode> {
        RULE_CODES.into_iter().find(|c| c.as_str() == self.code)
    }

    /// Whether this is a broken rule rather than a field of the wrong shape.
    pub fn is_rule(&self) -> bool {
        self.rule().is_some()
    }
}

/// Codes that name a broken rule and become the problem's own `code`.
pub const RULE_CODES: [ProblemCode; 7] = [
    ProblemCode::InvalidEmail,
    ProblemCode::InvalidPhone,
    ProblemCode::CompletedInFuture,
    ProblemCode::CompletedBeforeRetention,
    ProblemCode::UnknownAgency,
    ProblemCode::UnknownForm,
    ProblemCode::UnsupportedLanguage,
];

/// An e-mail address for the invitation. `Debug` does not reveal it (addresses are never
/// logged).
#[derive(Clone, PartialEq, Eq)]
pub struct EmailAddress(String);

impl EmailAddress {
    /// A deliberately plain check (`local@domain.tld`, no spaces or control characters, lengths
    /// per RFC 5321): it catches typing mistakes, not every address RFC 5322 allows.
    pub fn parse(raw: &str) -> Option<Self> {
        if raw.chars().any(char::is_control) {
            return None;
        }
        let raw = raw.trim();
        if raw.len() > 254 || raw.chars().any(char::is_whitespace) {
            return None;
        }
        let (local, domain) = raw.rsplit_once('@')?;
        let local_ok = !local.is_empty()
            && local.len() <= 64
            && !local.contains('@')
            && !local.starts_with('.')
            && !local.ends_with('.')
            && !local.contains("..")
            && !local.contains(['<', '>', '(', ')', '[', ']', ',', ';', ':', '\\', '"']);
        let labels: Vec<&str> = domain.split('.').collect();
        let domain_ok = labels.len() >= 2
            && labels.iter().all(|l| {
                !l.is_empty()
                    && l.len() <= 63
                    && !l.starts_with('-')
                    && !l.ends_with('-')
                    && l.chars().all(|c| c.is_alphanumeric() || c == '-')
            });
        (local_ok && domain_ok).then(|| Self(raw.to_owned()))
    }

    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Debug for EmailAddress {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("EmailAddress(REDACTED)")
    }
}

/// A registration as received, before any check.
#[derive(Debug, Clone, Default)]
pub struct RawDossier {
    pub dossier_code: String,
    pub agency_code: String,
    pub completed_at: String,
    pub channel: String,
    pub form_key: Option<String>,
    pub procedure_code: Option<String>,
    pub procedure_field: Option<String>,
    pub email: Option<String>,
    pub phone: Option<String>,
    pub language: Option<String>,
}

/// A registration whose fields are each valid. Whether its agency and form exist is decided
/// later, against the database and the published forms.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ValidDossier {
    /// NFC-normalised, as stored.
    pub dossier_code: String,
    pub agency_code: AgencyCode,
    /// UTC, truncated to microseconds (what PostgreSQL keeps), so a re-registration of the
    /// same instant compares equal whatever the offset or precision it is written with.
    pub completed_at: DateTime<Utc>,
    pub channel: Channel,
    pub form_key: Option<String>,
    pub procedure_code: Option<String>,
    pub procedure_field: Option<String>,
    pub email: Option<EmailAddress>,
    pub phone: Option<PhoneNumber>,
    pub language: Option<String>,
}

/// A code (dossier or procedure): NFC-normalised, 1–128 characters, no control characters, no
/// white space at either end, not starting with `sealed:` (which marks a code replaced by its
/// keyed hash). Any other Unicode is allowed: codes come from many systems.
/// Also how a code is read back for a lookup (agency entry, `sipas responses import`), so that
/// it matches what registration stored. The error is a stable code and a message.
pub fn check_code(raw: &str) -> Result<String, (&'static str, String)> {
    let code: String = raw.nfc().collect();
    if code.is_empty() {
        return Err(("required", "must not be empty".into()));
    }
    if code.starts_with(crate::domain::tokens::SEALED_CODE_PREFIX) {
        return Err((
            "invalid_format",
            format!(
                "must not start with `{}`",
                crate::domain::tokens::SEALED_CODE_PREFIX
            ),
        ));
    }
    if code.chars().any(char::is_control) {
        return Err((
            "control_character",
            "must not contain control characters".into(),
        ));
    }
    if code.trim() != code {
        return Err((
            "invalid_format",
            "must not start or end with white space".into(),
        ));
    }
    if code.chars().count() > MAX_CODE_LEN {
        return Err((
            "too_long",
            format!("must be at most {MAX_CODE_LEN} characters long"),
        ));
    }
    Ok(code)
}

fn check_text(raw: &str, max: usize) -> Result<String, (&'static str, String)> {
    let text: String = raw.trim().nfc().collect();
    if text.is_empty() {
        return Err(("required", "must not be empty".into()));
    }
    if text.chars().any(char::is_control) {
        return Err((
            "control_character",
            "must not contain control characters".into(),
        ));
    }
    if text.chars().count() > max {
        return Err(("too_long", format!("must be at most {max} characters long")));
    }
    Ok(text)
}

/// Drops the nanoseconds below a microsecond.
fn to_micros(t: DateTime<Utc>) -> DateTime<Utc> {
    let nanos = t.timestamp_subsec_nanos();
    t - TimeDelta::nanoseconds(i64::from(nanos % 1_000))
}

/// Checks every field of `raw` at time `now`; returns all problems found.
pub fn validate(raw: RawDossier, now: DateTime<Utc>) -> Result<ValidDossier, Vec<DossierProblem>> {
    let mut problems = Problems::default();
    let dossier_code = problems.take(field("dossier_code", check_code(&raw.dossier_code)));
    let procedure_code = problems.take(optional(raw.procedure_code.as_deref(), |c| {
        field("procedure_code", check_code(c))
    }));
    let procedure_field = problems.take(optional(raw.procedure_field.as_deref(), |c| {
        field("procedure_field", check_text(c, MAX_FIELD_LEN))
    }));
    let agency_code = problems.take(
        AgencyCode::parse(&raw.agency_code)
            .map_err(|p| DossierProblem::new("agency_code", p.code(), p.to_string())),
    );
    let form_key = problems.take(optional(raw.form_key.as_deref(), |k| {
        parse_form_key(k).map_err(|p| DossierProblem::new("form_key", p.code(), p.to_string()))
    }));
    let completed_at = problems.take(check_completed_at(&raw.completed_at, now));
    let channel = problems.take(check_channel(&raw.channel));
    let email = problems.take(optional(raw.email.as_deref(), check_email));
    let phone = problems.take(optional(raw.phone.as_deref(), check_phone));
    let language = problems.take(optional(raw.language.as_deref(), check_language));
    let (
        Some(dossier_code),
        Some(procedure_code),
        Some(procedure_field),
        Some(agency_code),
        Some(form_key),
        Some(completed_at),
        Some(channel),
        Some(email),
        Some(phone),
        Some(language),
    ) = (
        dossier_code,
        procedure_code,
        procedure_field,
        agency_code,
        form_key,
        completed_at,
        channel,
        email,
        phone,
        language,
    )
    else {
        return Err(problems.sorted());
    };
    Ok(ValidDossier {
        dossier_code,
        agency_code,
        completed_at,
        channel,
        form_key,
        procedure_code,
        procedure_field,
        email,
        phone,
        language,
    })
}

/// The problems found so far in a registration.
#[derive(Default)]
struct Problems(Vec<DossierProblem>);

impl Problems {
    /// The value of a checked field, or `None` with its problem kept.
    fn take<T>(&mut self, r: Result<T, DossierProblem>) -> Option<T> {
        r.map_err(|p| self.0.push(p)).ok()
    }

    /// Every problem, by field.
    fn sorted(mut self) -> Vec<DossierProblem> {
        self.0.sort_by(|a, b| a.field.cmp(b.field));
        self.0
    }
}

/// A check's `(code, message)` as a problem of `name`.
fn field<T>(name: &'static str, r: Result<T, (&'static str, String)>) -> Result<T, DossierProblem> {
    r.map_err(|(code, message)| DossierProblem::new(name, code, message))
}

/// An optional field: absent is fine, present must pass `check`.
fn optional<'a, T>(
    raw: Option<&'a str>,
    check: impl FnOnce(&'a str) -> Result<T, DossierProblem>,
) -> Result<Option<T>, DossierProblem> {
    raw.map(check).transpose()
}

/// The completion time: RFC 3339 with an offset, not in the future (beyond [`CLOCK_SKEW`]),
/// in UTC truncated to microseconds.
fn check_completed_at(raw: &str, now: DateTime<Utc>) -> Result<DateTime<Utc>, DossierProblem> {
    let Ok(t) = DateTime::parse_from_rfc3339(raw.trim()) else {
        return Err(DossierProblem::new(
            "completed_at",
            "invalid_datetime",
            "must be an RFC 3339 date and time with an offset, e.g. 2026-03-01T09:30:00+07:00",
        ));
    };
    let t = to_micros(t.with_timezone(&Utc));
    if t > now + CLOCK_SKEW {
        return Err(DossierProblem::new(
            "completed_at",
            "completed_in_future",
            "the completion time is in the future",
        ));
    }
    Ok(t)
}

/// The channel: one of [`Channel::ALL`].
fn check_channel(raw: &str) -> Result<Channel, DossierProblem> {
    Channel::parse(raw).ok_or_else(|| {
        DossierProblem::new(
            "channel",
            "invalid_choice",
            "must be one of in_person, online, postal",
        )
    })
}

/// The contact phone number, when given.
fn check_phone(raw: &str) -> Result<PhoneNumber, DossierProblem> {
    PhoneNumber::parse(raw).ok_or_else(|| {
        DossierProblem::new(
            "contact.phone",
            "invalid_phone",
            "is not a Vietnamese mobile number (0… or +84…)",
        )
    })
}

/// The contact address, when given.
fn check_email(raw: &str) -> Result<EmailAddress, DossierProblem> {
    EmailAddress::parse(raw).ok_or_else(|| {
        DossierProblem::new("contact.email", "invalid_email", "is not an e-mail address")
    })
}

/// The survey language, when given: one of [`LANGUAGES`].
fn check_language(raw: &str) -> Result<String, DossierProblem> {
    if LANGUAGES.contains(&raw) {
        Ok(raw.to_owned())
    } else {
        Err(DossierProblem::new(
            "language",
            "unsupported_language",
            "must be vi or en",
        ))
    }
}

/// `YYYY-MM` of an instant in Vietnam time (a dossier completed at 20:00 UTC on 31 March is
/// an April dossier).
pub fn period_month(at: DateTime<Utc>) -> String {
    vietnam_date(at).format("%Y-%m").to_string()
}

/// The calendar date of an instant in Vietnam time.
pub fn vietnam_date(at: DateTime<Utc>) -> NaiveDate {
    (at.naive_utc() + TimeDelta::seconds(i64::from(VIETNAM_OFFSET_SECS))).date()
}

/// When the survey link of a dossier completed at `completed_at` stops working.
pub fn expires_at(completed_at: DateTime<Utc>, ttl_days: u32) -> DateTime<Utc> {
    completed_at + TimeDelta::days(i64::from(ttl_days))
}

/// A dossier as stored (the parts idempotency compares, and what a survey needs).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Dossier {
    pub id: Uuid,
    pub agency_id: Uuid,
    pub dossier_code: String,
    pub form_key: String,
    pub form_version: u32,
    pub completed_at: DateTime<Utc>,
    pub channel: Channel,
    pub procedure_code: Option<String>,
    pub procedure_field: Option<String>,
    pub language: String,
    pub expires_at: DateTime<Utc>,
    pub answered: bool,
    /// Keyed digest of the stored answers, while the survey link is valid (see
    /// `TokenKey::answers_digest`).
    pub answer_digest: Option<String>,
}

/// Vietnam's offset from UTC (UTC+7, no daylight saving): periods are Vietnamese months.
pub const VIETNAM_OFFSET_SECS: i32 = 7 * 3600;

impl Dossier {
    /// `YYYY-MM` of the completion, in Vietnam time: the only time a response keeps.
    pub fn period_month(&self) -> String {
        period_month(self.completed_at)
    }

    /// Whether `new` registers this dossier again with the same content (→ the same answer)
    /// rather than different content (→ conflict). The contact is not compared: the address
    /// is erased after use, and a re-sent dossier with another address must not fail. A
    /// registration without `form_key` or `language` means "the default", which was fixed when
    /// the dossier was first registered, so it matches whatever was stored.
    pub fn same_registration(&self, new: &ValidDossier) -> bool {
        self.dossier_code == new.dossier_code
            && self.completed_at == new.completed_at
            && self.channel == new.channel
            && new.form_key.as_ref().is_none_or(|k| *k == self.form_key)
            && new.language.as_ref().is_none_or(|l| *l == self.language)
            && self.procedure_code == new.procedure_code
            && self.procedure_field == new.procedure_field
    }

    /// Whether a survey can still be answered at `now`.
    pub fn is_open(&self, now: DateTime<Utc>) -> bool {
        !self.answered && now < self.expires_at
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;

    fn raw() -> RawDossier {
        RawDossier {
            dossier_code: "000.00.19.H26-250101-0001".into(),
            agency_code: "SNV.HG".into(),
            completed_at: "2026-03-01T09:30:00.123456789+07:00".into(),
            channel: "in_person".into(),
            ..Default::default()
        }
    }

    fn now() -> DateTime<Utc> {
        DateTime::parse_from_rfc3339("2026-03-02T00:00:00Z")
            .unwrap()
            .with_timezone(&Utc)
    }

    fn codes(r: RawDossier) -> Vec<(&'static str, &'static str)> {
        validate(r, now())
            .unwrap_err()
            .into_iter()
            .map(|p| (p.field, p.code))
            .collect()
    }

    #[test]
    fn a_plain_registration_is_valid_and_normalised() {
        let v = validate(raw(), now()).unwrap();
        assert_eq!(v.channel, Channel::InPerson);
        assert_eq!(
            v.completed_at.to_rfc3339(),
            "2026-03-01T02:30:00.123456+00:00"
        );
        assert_eq!(v.form_key, None);
        assert_eq!(v.email, None);
        let decomposed = RawDossier {
            dossier_code: "Ho\u{0302}\u{0323}-1".into(),
            ..raw()
        };
        assert_eq!(validate(decomposed, now()).unwrap().dossier_code, "Hộ-1");
    }

    #[test]
    fn every_bad_field_is_reported_with_its_code() {
        let bad = RawDossier {
            dossier_code: "a\u{0}b".into(),
            agency_code: "bad code".into(),
            completed_at: "yesterday".into(),
            channel: "fax".into(),
            form_key: Some("".into()),
            procedure_code: Some(" x".into()),
            procedure_field: Some("x".repeat(256)),
            email: Some("not-an-address".into()),
            phone: Some("0212345678".into()),
            language: Some("fr".into()),
        };
        assert_eq!(
            codes(bad),
            [
                ("agency_code", "invalid_format"),
                ("channel", "invalid_choice"),
                ("completed_at", "invalid_datetime"),
                ("contact.email", "invalid_email"),
                ("contact.phone", "invalid_phone"),
                ("dossier_code", "control_character"),
                ("form_key", "required"),
                ("language", "unsupported_language"),
                ("procedure_code", "invalid_format"),
                ("procedure_field", "too_long"),
            ]
        );
        assert_eq!(
            codes(RawDossier {
                dossier_code: "x".repeat(129),
                ..raw()
            }),
            [("dossier_code", "too_long")]
        );
    }

    #[test]
    fn completion_in_the_future_is_refused_beyond_clock_skew() {
        let at = |s: &str| RawDossier {
            completed_at: s.into(),
            ..raw()
        };
        assert!(validate(at("2026-03-02T00:01:59Z"), now()).is_ok());
        assert_eq!(
            codes(at("2026-03-02T00:02:01Z")),
            [("completed_at", "completed_in_future")]
        );
        assert!(DossierProblem::new("completed_at", "completed_in_future", "").is_rule());
        assert!(!DossierProblem::new("channel", "invalid_choice", "").is_rule());
    }

    #[test]
    fn e_mail_addresses() {
        for good in [
            "a@b.vn",
            "nguyen.van.a+sipas@mail.gov.vn",
            "x@xn--b-8ga.vn",
            "tên@ví-dụ.vn",
        ] {
            assert!(EmailAddress::parse(good).is_some(), "{good}");
        }
        for bad in [
            "",
            "a",
            "a@b",
            "@b.vn",
            "a@.vn",
            "a@b..vn",
            "a b@c.vn",
            "a@b.vn\n",
            "a@-b.vn",
            ".a@b.vn",
            "a..b@c.vn",
            "<a@b.vn>",
        ] {
            assert!(EmailAddress::parse(bad).is_none(), "{bad:?}");
        }
        let addr = EmailAddress::parse("secret@b.vn").unwrap();
        assert!(!format!("{addr:?}").contains("secret"));
    }

    #[test]
    fn idempotency_compares_content_but_not_contact_or_defaults() {
        let v = validate(raw(), now()).unwrap();
        let stored = Dossier {
            id: Uuid::now_v7(),
            agency_id: Uuid::now_v7(),
            dossier_code: v.dossier_code.clone(),
            form_key: "sipas-2017".into(),
            form_version: 1,
            completed_at: v.completed_at,
            channel: v.channel,
            procedure_code: None,
            procedure_field: None,
            language: "vi".into(),
            expires_at: expires_at(v.completed_at, 30),
            answered: false,
            answer_digest: None,
        };
        assert!(stored.same_registration(&v));
        let same_instant = validate(
            RawDossier {
                completed_at: "2026-03-01T02:30:00.123456Z".into(),
                email: Some("a@b.vn".into()),
                form_key: Some("sipas-2017".into()),
                language: Some("vi".into()),
                ..raw()
            },
            now(),
        )
        .unwrap();
        assert!(stored.same_registration(&same_instant));
        for different in [
            RawDossier {
                channel: "online".into(),
                ..raw()
            },
            RawDossier {
                form_key: Some("sipas-2023".into()),
                ..raw()
            },
            RawDossier {
                procedure_code: Some("1.0001".into()),
                ..raw()
            },
            RawDossier {
                completed_at: "2026-03-01T09:30:01+07:00".into(),
                ..raw()
            },
        ] {
            assert!(!stored.same_registration(&validate(different, now()).unwrap()));
        }
    }

    #[test]
    fn surveys_close_at_expiry_or_once_answered() {
        let t = now();
        let mut d = Dossier {
            id: Uuid::now_v7(),
            agency_id: Uuid::now_v7(),
            dossier_code: "x".into(),
            form_key: "k".into(),
            form_version: 1,
            completed_at: t,
            channel: Channel::Postal,
            procedure_code: None,
            procedure_field: None,
            language: "vi".into(),
            expires_at: expires_at(t, 30),
            answered: false,
            answer_digest: None,
        };
        assert_eq!(d.expires_at - t, TimeDelta::days(30));
        assert!(d.is_open(t + TimeDelta::days(29)));
        assert!(!d.is_open(t + TimeDelta::days(30)));
        d.answered = true;
        assert!(!d.is_open(t));
    }

    #[test]
    fn periods_are_vietnamese_months() {
        let at = |s: &str| DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc);
        assert_eq!(period_month(at("2026-03-31T16:59:59Z")), "2026-03");
        assert_eq!(period_month(at("2026-03-31T17:00:00Z")), "2026-04");
        assert_eq!(period_month(at("2026-12-31T20:00:00+00:00")), "2027-01");
        assert_eq!(period_month(at("2026-01-01T00:30:00+07:00")), "2026-01");
        assert_eq!(period_month(at("2025-12-31T23:59:00+07:00")), "2025-12");
    }
}
