//! API keys and roles: what a key looks like, how it is generated and hashed, who a caller is
//! once their key is known ([`Principal`]) and what each role may do.
//!
//! A key is `sipas_` followed by 64 lowercase hex digits (256 bits from the operating system's
//! random number generator). Only its SHA-256 hash is stored; the key itself is shown once.

use crate::domain::digest::to_hex;
use chrono::{DateTime, TimeDelta, Utc};
use secrecy::{ExposeSecret, SecretString};
use sha2::{Digest, Sha256};
use uuid::Uuid;

use crate::domain::agencies::AgencyPath;

/// The fixed start of every key, so a leaked key is recognisable (secret scanners, logs).
pub const KEY_PREFIX: &str = "sipas_";
/// Random bytes in a key.
const KEY_BYTES: usize = 32;

/// `last_used_at` is written at most this often per key, so using a key is not a write per
/// request.
pub const TOUCH_INTERVAL: TimeDelta = TimeDelta::seconds(60);

/// What a key may do.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Role {
    /// Everything.
    Admin,
    /// Acts on its agency and every agency below it.
    Agency,
    /// Reads the scores (and agencies) of every agency; writes nothing.
    Pipeline,
}

impl Role {
    pub const ALL: [Role; 3] = [Role::Admin, Role::Agency, Role::Pipeline];

    pub fn as_str(self) -> &'static str {
        match self {
            Role::Admin => "admin",
            Role::Agency => "agency",
            Role::Pipeline => "pipeline",
        }
    }

    pub fn parse(raw: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|r| r.as_str() == raw)
    }
}

impl std::fmt::Display for Role {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A freshly generated key, to be shown once. `Debug` does not reveal it.
pub struct ApiKeySecret(SecretString);

impl ApiKeySecret {
    /// Generates a new key from the operating system's random number generator.
    pub fn generate() -> Result<Self, getrandom::Error> {
        let mut bytes = [0u8; KEY_BYTES];
        getrandom::fill(&mut bytes)?;
        let key = format!("{KEY_PREFIX}{}", to_hex(&bytes));
        Ok(Self(SecretString::from(key)))
    }

    /// The key as the client must send it.
    pub fn expose(&self) -> &str {
        self.0.expose_secret()
    }

    /// The hash to store.
    pub fn hash(&self) -> KeyHash {
        KeyHash::digest(self.expose())
    }
}

impl std::fmt::Debug for ApiKeySecret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("ApiKeySecret(REDACTED)")
    }
}

/// The SHA-256 hash of a key: what is stored and looked up. A plain hash suffices because a key
/// has 256 random bits; there is nothing to guess.
#[derive(Clone, Copy, PartialEq, Eq)]
pub struct KeyHash([u8; 32]);

impl KeyHash {
    fn digest(key: &str) -> Self {
        Self(Sha256::digest(key.as_bytes()).into())
    }

    /// The hash of a key presented by a client, or `None` when it does not even have the shape
    /// of a key (no lookup needed).
    pub fn of_presented(key: &str) -> Option<Self> {
        let hex = key.strip_prefix(KEY_PREFIX)?;
        let well_formed = hex.len() == KEY_BYTES * 2
            && hex
                .bytes()
                .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b));
        well_formed.then(|| Self::digest(key))
    }

    /// The stored form: 64 lowercase hex digits.
    pub fn to_hex(&self) -> String {
        to_hex(&self.0)
    }

    /// Reads the stored form back.
    pub fn from_hex(stored: &str) -> Option<Self> {
        let bytes: [u8; 32] = crate::domain::digest::from_hex(stored)?.try_into().ok()?;
        Some(Self(bytes))
    }

    /// Equality that takes the same time wherever the hashes differ.
    pub fn ct_eq(&self, other: &KeyHash) -> bool {
        let diff = self
            .0
            .iter()
            .zip(other.0.iter())
            .fold(0u8, |acc, (a, b)| acc | (a ^ b));
        std::hint::black_box(diff) == 0
    }
}

impl std::fmt::Debug for KeyHash {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "KeyHash({})", self.to_hex())
    }
}

/// Whether a key last used at `last_used` should have its `last_used_at` written at `now`.
pub fn needs_touch(last_used: Option<DateTime<Utc>>, now: DateTime<Utc>) -> bool {
    last_used.is_none_or(|t| now - t >= TOUCH_INTERVAL)
}

/// The agency an agency key is bound to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AgencyScope {
    pub id: Uuid,
}

/// Who is calling: an active key and what it is bound to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Principal {
    pub key_id: Uuid,
    pub role: Role,
    /// Set for (and only for) [`Role::Agency`].
    pub scope: Option<AgencyScope>,
}

impl Principal {
    /// Administrative actions: creating agencies, reading the audit log.
    pub fn may_administer(&self) -> bool {
        self.role == Role::Admin
    }

    /// Whether the key reads every agency, so telling it that an agency does not exist reveals
    /// nothing it could not list anyway. Agency keys are never told: they get "forbidden" for
    /// anything outside their subtree, existing or not.
    pub fn reads_every_agency(&self) -> bool {
        matches!(self.role, Role::Admin | Role::Pipeline)
    }

    /// Reading the agency at `target`: admins and the pipeline read every agency, an agency key
    /// its own subtree.
    pub fn may_read_agency(&self, target: &AgencyPath) -> bool {
        match self.role {
            Role::Admin | Role::Pipeline => true,
            Role::Agency => self.within_scope(target),
        }
    }

    /// Acting for the agency at `target` (registering dossiers, entering responses): admins, and
    /// agency keys inside their subtree. The pipeline only reads.
    pub fn may_act_for_agency(&self, target: &AgencyPath) -> bool {
        match self.role {
            Role::Admin => true,
            Role::Agency => self.within_scope(target),
            Role::Pipeline => false,
        }
    }

    fn within_scope(&self, target: &AgencyPath) -> bool {
        self.scope.as_ref().is_some_and(|s| target.is_within(s.id))
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;

    #[test]
    fn generated_keys_are_recognisable_random_and_hash_to_what_is_presented() {
        let a = ApiKeySecret::generate().unwrap();
        let b = ApiKeySecret::generate().unwrap();
        assert_ne!(a.expose(), b.expose());
        assert!(a.expose().starts_with("sipas_"));
        assert_eq!(a.expose().len(), 6 + 64);
        assert_eq!(KeyHash::of_presented(a.expose()), Some(a.hash()));
        assert!(!format!("{a:?}").contains(&a.expose()[6..]));
        let stored = a.hash().to_hex();
        assert_eq!(KeyHash::from_hex(&stored), Some(a.hash()));
        assert!(a.hash().ct_eq(&KeyHash::from_hex(&stored).unwrap()));
        assert!(!a.hash().ct_eq(&b.hash()));
    }

    #[test]
    fn sha256_matches_the_reference() {
        // SHA-256("abc"), FIPS 180-2 appendix B.1.
        assert_eq!(
            KeyHash::digest("abc").to_hex(),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
    }

    #[test]
    fn malformed_keys_are_refused_without_a_lookup() {
        let good = format!("sipas_{}", "ab".repeat(32));
        assert!(KeyHash::of_presented(&good).is_some());
        for bad in [
            "",
            "sipas_",
            &format!("sipas_{}", "AB".repeat(32)),
            &format!("sipas_{}", "ab".repeat(31)),
            &format!("other_{}", "ab".repeat(32)),
            &format!("sipas_{}g", "ab".repeat(31)),
        ] {
            assert!(KeyHash::of_presented(bad).is_none(), "{bad}");
        }
        assert!(KeyHash::from_hex("zz").is_none());
    }

    #[test]
    fn last_use_is_written_at_most_once_a_minute() {
        let now = Utc::now();
        assert!(needs_touch(None, now));
        assert!(!needs_touch(Some(now - TimeDelta::seconds(59)), now));
        assert!(needs_touch(Some(now - TimeDelta::seconds(60)), now));
    }

    #[test]
    fn roles_decide_by_subtree() {
        let (province, department, other) = (Uuid::now_v7(), Uuid::now_v7(), Uuid::now_v7());
        let province_path = AgencyPath::root(province);
        let department_path = province_path.child(department);
        let other_path = AgencyPath::root(other);
        let key = |role, scope: Option<Uuid>| Principal {
            key_id: Uuid::now_v7(),
            role,
            scope: scope.map(|id| AgencyScope { id }),
        };
        let admin = key(Role::Admin, None);
        let pipeline = key(Role::Pipeline, None);
        let at_province = key(Role::Agency, Some(province));
        let at_department = key(Role::Agency, Some(department));

        assert!(admin.may_administer());
        assert!(admin.reads_every_agency() && pipeline.reads_every_agency());
        assert!(!at_province.reads_every_agency());
        assert!(!pipeline.may_administer() && !at_province.may_administer());

        assert!(at_province.may_read_agency(&province_path));
        assert!(at_province.may_read_agency(&department_path));
        assert!(!at_province.may_read_agency(&other_path));
        assert!(at_department.may_read_agency(&department_path));
        assert!(!at_department.may_read_agency(&province_path));
        assert!(pipeline.may_read_agency(&other_path));

        assert!(at_province.may_act_for_agency(&department_path));
        assert!(!at_department.may_act_for_agency(&province_path));
        assert!(!pipeline.may_act_for_agency(&department_path));
        assert!(admin.may_act_for_agency(&other_path));
        // An agency key without a scope (cannot be stored) is denied, not allowed.
        assert!(!key(Role::Agency, None).may_read_agency(&province_path));
    }
}
