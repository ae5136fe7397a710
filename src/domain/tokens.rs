//! Survey tokens: the credential in a citizen's survey link (`{public_base_url}/s/{token}`).
//!
//! A token is not random per registration but **derived**: the first 24 bytes of
//! HMAC-SHA-256(server secret, `"sipas-survey-token/v1" ‖ dossier id`), written in unpadded
//! base64url (32 characters, 192 bits). The server secret is 256 bits from the operating system's
//! random number generator (or configured); it lives in the configuration or a key file, never in
//! the database (`crate::secret_key`). So tokens are as unguessable as random ones, yet:
//! - an idempotent re-registration returns the same token without the token being stored;
//! - the database holds only SHA-256(token) ([`TokenHash`]) for lookups, so a copy of the
//!   database does not contain a single working survey link.
//!
//! Rotating the secret invalidates every outstanding link (their hashes no longer match).

use secrecy::{ExposeSecret, SecretSlice};
use sha2::{Digest, Sha256};
use uuid::Uuid;

/// Bytes of MAC output kept in a token (192 bits; the contract asks for at least 128).
const TOKEN_BYTES: usize = 24;
/// Characters of a token: unpadded base64url of [`TOKEN_BYTES`].
pub const TOKEN_LEN: usize = TOKEN_BYTES * 4 / 3;
/// Shortest accepted server secret, in bytes.
pub const MIN_SECRET_BYTES: usize = 32;
/// Marks a configured secret written as the hex of its bytes.
pub const HEX_PREFIX: &str = "hex:";
/// Domain separation: one secret derives several unrelated values.
const CONTEXT: &[u8] = b"sipas-survey-token/v1";

/// The secret bytes a configured text (setting or key file) stands for, or why it cannot be one
/// (the reason never contains the text).
pub fn secret_from_text(text: &str) -> Result<Vec<u8>, String> {
    let bytes = match text.strip_prefix(HEX_PREFIX) {
        Some(hex) => super::digest::from_hex(hex).ok_or_else(|| {
            format!("after `{HEX_PREFIX}` only an even number of hexadecimal digits may follow")
        })?,
        None => text.as_bytes().to_vec(),
    };
    if bytes.len() < MIN_SECRET_BYTES {
        return Err(format!(
            "must be at least {MIN_SECRET_BYTES} characters long (e.g. `openssl rand -hex 32`)"
        ));
    }
    Ok(bytes)
}
const RECEIPT_CONTEXT: &[u8] = b"sipas-receipt/v1";
const ANSWERS_CONTEXT: &[u8] = b"sipas-answers/v2";
const SEALED_CODE_CONTEXT: &[u8] = b"sipas-sealed-dossier-code/v1";
const SIGN_IN_CONTEXT: &[u8] = b"sipas-sign-in-throttle/v1";
/// Prefix of a dossier code replaced by its keyed hash ([`TokenKey::seal_code`]).
pub const SEALED_CODE_PREFIX: &str = "sealed:";
/// Bytes of MAC output in a receipt (80 bits: 16 base32 characters).
const RECEIPT_BYTES: usize = 10;

/// The server secret tokens are derived with. `Debug` does not reveal it.
#[derive(Clone)]
pub struct TokenKey(SecretSlice<u8>);

/// A secret that is too short to derive tokens with.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("the survey-token secret must be at least {MIN_SECRET_BYTES} bytes long")]
pub struct SecretTooShort;

impl TokenKey {
    /// A key from secret bytes (at least [`MIN_SECRET_BYTES`]).
    pub fn new(secret: Vec<u8>) -> Result<Self, SecretTooShort> {
        if secret.len() < MIN_SECRET_BYTES {
            return Err(SecretTooShort);
        }
        Ok(Self(SecretSlice::from(secret)))
    }

    /// 32 fresh bytes from the operating system's random number generator.
    pub fn generate_secret() -> Result<Vec<u8>, getrandom::Error> {
        let mut bytes = vec![0u8; MIN_SECRET_BYTES];
        getrandom::fill(&mut bytes)?;
        Ok(bytes)
    }

    /// The token of the dossier with this id.
    pub fn derive(&self, dossier_id: Uuid) -> SurveyToken {
        let mac = hmac_sha256(self.0.expose_secret(), &[CONTEXT, dossier_id.as_bytes()]);
        SurveyToken(base64url(&mac[..TOKEN_BYTES]))
    }

    /// The receipt shown to the citizen who answered the survey of this dossier: 16 characters
    /// of Crockford base32 in groups of four (`7QK2-…`). Derived, never stored, so a response row
    /// cannot be found from it; the same dossier always gets the same receipt (retries).
    pub fn receipt(&self, dossier_id: Uuid) -> String {
        let mac = hmac_sha256(
            self.0.expose_secret(),
            &[RECEIPT_CONTEXT, dossier_id.as_bytes()],
        );
        let code = crockford_base32(&mac[..RECEIPT_BYTES]);
        let groups: Vec<&str> = (0..code.len())
            .step_by(4)
            .filter_map(|i| code.get(i..i + 4))
            .collect();
        groups.join("-")
    }

    /// Keyed digest (hex) of the canonical answers submitted for a dossier with the submission key
    /// the citizen's client made for that attempt, kept on the dossier while its link is valid
    /// so that a retry of that very attempt gets the same receipt. The submission key is a secret
    /// of the citizen's client: without it, whoever holds the link (the agency prints it) cannot
    /// test a guess at the answers, because the digest never matches answers alone. Keyed with
    /// the server secret too, so a database reader cannot test guesses either.
    pub fn answers_digest(
        &self,
        dossier_id: Uuid,
        submission_key: &str,
        canonical_answers: &[u8],
    ) -> String {
        let key_len = u8::try_from(submission_key.len()).unwrap_or(u8::MAX);
        let mac = hmac_sha256(
            self.0.expose_secret(),
            &[
                ANSWERS_CONTEXT,
                dossier_id.as_bytes(),
                &[key_len],
                submission_key.as_bytes(),
                canonical_answers,
            ],
        );
        crate::domain::digest::to_hex(&mac)
    }

    /// What replaces a dossier code once its survey is answered or expired: a keyed hash of the
    /// agency and the code, so a re-registration of the same code is still recognised while the
    /// stored code no longer names the citizen's dossier in the one-stop system.
    pub fn seal_code(&self, agency_id: Uuid, dossier_code: &str) -> String {
        let mac = hmac_sha256(
            self.0.expose_secret(),
            &[
                SEALED_CODE_CONTEXT,
                agency_id.as_bytes(),
                dossier_code.as_bytes(),
            ],
        );
        format!(
            "{SEALED_CODE_PREFIX}{}",
            crate::domain::digest::to_hex(&mac)
        )
    }
}

impl TokenKey {
    /// Keyed digest (hex) of a normalised e-mail address that failed to sign in without having
    /// an account: the key of its lockout counters (`sign_in_throttle`). Keyed, so the table
    /// does not hold the addresses people mistyped in a form a database reader could reverse.
    pub fn sign_in_key(&self, email: &str) -> String {
        let mac = hmac_sha256(self.0.expose_secret(), &[SIGN_IN_CONTEXT, email.as_bytes()]);
        crate::domain::digest::to_hex(&mac)
    }
}

/// Crockford base32 (no padding): digits and capitals without I, L, O, U, so a receipt read
/// aloud over the phone or copied by hand is unambiguous.
fn crockford_base32(bytes: &[u8]) -> String {
    const ALPHABET: &[u8; 32] = b"0123456789ABCDEFGHJKMNPQRSTVWXYZ";
    let mut out = String::with_capacity(bytes.len().div_ceil(5) * 8);
    let (mut buffer, mut bits) = (0u32, 0u32);
    for &b in bytes {
        buffer = (buffer << 8) | u32::from(b);
        bits += 8;
        while bits >= 5 {
            bits -= 5;
            out.push(char::from(ALPHABET[((buffer >> bits) & 31) as usize]));
        }
    }
    if bits > 0 {
        out.push(char::from(ALPHABET[((buffer << (5 - bits)) & 31) as usize]));
    }
    out
}

impl std::fmt::Debug for TokenKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("TokenKey(REDACTED)")
    }
}

/// HMAC-SHA-256 (RFC 2104) of the concatenation of `parts`. Written out with `sha2` rather
/// than taken from the `hmac` crate: it is ten lines, and the RFC 4231 vectors below pin it.
pub(crate) fn hmac_sha256(key: &[u8], parts: &[&[u8]]) -> [u8; 32] {
    const BLOCK: usize = 64;
    let mut block = [0u8; BLOCK];
    if key.len() > BLOCK {
        block[..32].copy_from_slice(&Sha256::digest(key));
    } else {
        block[..key.len()].copy_from_slice(key);
    }
    let mut inner = Sha256::new();
    inner.update(block.map(|b| b ^ 0x36));
    for part in parts {
        inner.update(part);
    }
    let mut outer = Sha256::new();
    outer.update(block.map(|b| b ^ 0x5c));
    outer.update(inner.finalize());
    outer.finalize().into()
}

/// A survey token, as put in links. `Debug` does not reveal it (tokens must never be logged).
#[derive(Clone, PartialEq, Eq)]
pub struct SurveyToken(String);

impl SurveyToken {
    /// The token as it appears in the link.
    pub fn expose(&self) -> &str {
        &self.0
    }

    /// The hash to store and look up.
    pub fn hash(&self) -> TokenHash {
        TokenHash::digest(&self.0)
    }
}

impl std::fmt::Debug for SurveyToken {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("SurveyToken(REDACTED)")
    }
}

/// SHA-256 of a token, as lowercase hex: what the database stores. A plain hash suffices because
/// a token carries 192 unguessable bits.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct TokenHash(String);

impl TokenHash {
    fn digest(token: &str) -> Self {
        Self(crate::domain::digest::sha256_hex(token.as_bytes()))
    }

    /// The hash of a token presented by a client, or `None` when it cannot be a token at all
    /// (wrong length or alphabet), which needs no lookup.
    pub fn of_presented(raw: &str) -> Option<Self> {
        let well_formed = raw.len() == TOKEN_LEN
            && raw
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_');
        well_formed.then(|| Self::digest(raw))
    }

    /// Reads a stored hash back (trusted input).
    pub fn from_stored(hex: String) -> Self {
        Self(hex)
    }

    /// The stored form.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// Unpadded base64url (RFC 4648 §5).
/// A fresh submission key for one attempt at answering (the citizen page's hidden field): 24
/// random bytes, 32 base64url characters (`submissions::is_submission_key`).
pub fn fresh_submission_key() -> Result<String, getrandom::Error> {
    let mut bytes = [0u8; 24];
    getrandom::fill(&mut bytes)?;
    Ok(base64url(&bytes))
}

pub fn base64url(bytes: &[u8]) -> String {
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    let mut out = String::with_capacity(bytes.len().div_ceil(3) * 4);
    for chunk in bytes.chunks(3) {
        let b = [
            chunk[0],
            chunk.get(1).copied().unwrap_or(0),
            chunk.get(2).copied().unwrap_or(0),
        ];
        let n = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
        let chars = chunk.len() + 1;
        for i in 0..chars {
            let index = (n >> (18 - 6 * i)) & 0x3f;
            out.push(char::from(ALPHABET[index as usize]));
        }
    }
    out
}

/// SHA-256 of bytes (exposed for tests that compare with what is stored).
pub fn sha256(bytes: &[u8]) -> [u8; 32] {
    Sha256::digest(bytes).into()
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;
    use crate::domain::digest::{from_hex, to_hex};

    fn hex(s: &str) -> Vec<u8> {
        from_hex(s).unwrap()
    }

    #[test]
    fn hmac_sha256_matches_rfc_4231() {
        // Test case 1.
        assert_eq!(
            to_hex(&hmac_sha256(&[0x0b; 20], &[b"Hi There"])),
            "b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7"
        );
        // Test case 2, with the message split in two parts.
        assert_eq!(
            to_hex(&hmac_sha256(
                b"Jefe",
                &[b"what do ya want ", b"for nothing?"]
            )),
            "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"
        );
        // Test case 6: a key longer than the block size is hashed first.
        assert_eq!(
            to_hex(&hmac_sha256(
                &[0xaa; 131],
                &[b"Test Using Larger Than Block-Size Key - Hash Key First"]
            )),
            "60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54"
        );
        // Test case 4.
        assert_eq!(
            to_hex(&hmac_sha256(
                &hex("0102030405060708090a0b0c0d0e0f10111213141516171819"),
                &[&[0xcd; 50]]
            )),
            "82558a389a443c0ea4cc819899f2083a85f0faa3e578f8077a2e3ff46729665b"
        );
    }

    #[test]
    fn base64url_matches_rfc_4648() {
        for (input, expected) in [
            ("", ""),
            ("f", "Zg"),
            ("fo", "Zm8"),
            ("foo", "Zm9v"),
            ("foob", "Zm9vYg"),
            ("fooba", "Zm9vYmE"),
            ("foobar", "Zm9vYmFy"),
        ] {
            assert_eq!(base64url(input.as_bytes()), expected);
        }
        assert_eq!(base64url(&[0xfb, 0xff]), "-_8");
    }

    #[test]
    fn tokens_are_stable_per_dossier_and_secret_and_well_formed() {
        let key = TokenKey::new(vec![7; 32]).unwrap();
        let other = TokenKey::new(vec![8; 32]).unwrap();
        let (a, b) = (Uuid::now_v7(), Uuid::now_v7());
        let token = key.derive(a);
        assert_eq!(token, key.derive(a));
        assert_ne!(token, key.derive(b));
        assert_ne!(token, other.derive(a));
        assert_eq!(token.expose().len(), TOKEN_LEN);
        assert_eq!(TokenHash::of_presented(token.expose()), Some(token.hash()));
        assert_eq!(
            token.hash().as_str(),
            to_hex(&sha256(token.expose().as_bytes()))
        );
        assert!(!format!("{token:?}").contains(token.expose()));
        assert!(!format!("{key:?}").contains("07"));
    }

    #[test]
    fn receipts_digests_and_sealed_codes_are_keyed_and_stable() {
        let key = TokenKey::new(vec![7; 32]).unwrap();
        let other = TokenKey::new(vec![8; 32]).unwrap();
        let (a, b) = (Uuid::now_v7(), Uuid::now_v7());
        let receipt = key.receipt(a);
        assert_eq!(receipt, key.receipt(a));
        assert_ne!(receipt, key.receipt(b));
        assert_ne!(receipt, other.receipt(a));
        assert_eq!(receipt.len(), 19);
        assert!(receipt.split('-').all(|g| {
            g.len() == 4
                && g.bytes()
                    .all(|c| c.is_ascii_digit() || c.is_ascii_uppercase())
        }));
        assert!(!receipt.contains(['I', 'L', 'O', 'U']));

        let k = "0123456789abcdef";
        let d = key.answers_digest(a, k, b"{}");
        assert_eq!(d.len(), 64);
        assert_eq!(d, key.answers_digest(a, k, b"{}"));
        assert_ne!(d, key.answers_digest(a, k, b"{ }"));
        assert_ne!(d, key.answers_digest(a, "0123456789abcdeF", b"{}"));
        assert_ne!(d, key.answers_digest(b, k, b"{}"));
        assert_ne!(d, other.answers_digest(a, k, b"{}"));
        // The key's length is framed: moving a byte from the key into the answers changes it.
        assert_ne!(
            key.answers_digest(a, "0123456789abcdef{", b"}"),
            key.answers_digest(a, "0123456789abcdef", b"{}")
        );

        let sealed = key.seal_code(a, "HS-001");
        assert!(sealed.starts_with(SEALED_CODE_PREFIX));
        assert!(!sealed.contains("HS-001"));
        assert_eq!(sealed, key.seal_code(a, "HS-001"));
        assert_ne!(sealed, key.seal_code(b, "HS-001"));
        assert_ne!(sealed, key.seal_code(a, "HS-002"));
        assert!(sealed.chars().count() <= 128);
    }

    #[test]
    fn crockford_base32_matches_known_values() {
        assert_eq!(crockford_base32(b""), "");
        assert_eq!(crockford_base32(&[0xff; 5]), "ZZZZZZZZ");
        assert_eq!(crockford_base32(&[0; 5]), "00000000");
        // "f" = 0b01100110 → 01100 110(00) → C, R.
        assert_eq!(crockford_base32(b"f"), "CR");
        assert_eq!(crockford_base32(b"foobar"), "CSQPYRK1E8");
    }

    #[test]
    fn malformed_tokens_need_no_lookup_and_short_secrets_are_refused() {
        assert!(TokenHash::of_presented("").is_none());
        assert!(TokenHash::of_presented(&"a".repeat(TOKEN_LEN - 1)).is_none());
        assert!(TokenHash::of_presented(&format!("{}=", "a".repeat(TOKEN_LEN - 1))).is_none());
        assert!(TokenHash::of_presented(&"a".repeat(TOKEN_LEN)).is_some());
        assert_eq!(TokenKey::new(vec![1; 31]).unwrap_err(), SecretTooShort);
        assert_eq!(TokenKey::generate_secret().unwrap().len(), 32);
    }
}
