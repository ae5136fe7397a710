//! The rule that no question asks for a direct identifier — a name, a phone number or an e-mail
//! address (methodology §2.0, anonymity).

use std::collections::BTreeMap;

use super::super::definition::QuestionKind;

/// Id tokens and phrases that reveal a question collecting direct identifiers (§2.0 anonymity).
const PII_ID_TOKENS: [&str; 7] = ["name", "hoten", "phone", "sdt", "tel", "email", "mail"];
const PII_PHRASES: [&str; 12] = [
    "họ và tên",
    "họ tên",
    "số điện thoại",
    "điện thoại",
    "thư điện tử",
    "sđt",
    "email",
    "e-mail",
    "your name",
    "full name",
    "phone",
    "địa chỉ nhà",
];

/// What gives the question away as asking for personal data, if anything does.
pub(super) fn personal_data(
    id: &str,
    kind: QuestionKind,
    text: &BTreeMap<String, String>,
) -> Option<String> {
    if let Some(t) = id.split('_').find(|t| PII_ID_TOKENS.contains(t)) {
        return Some(format!("id contains `{t}`"));
    }
    // Only free-entry kinds can capture an identifier; a choice question may mention e-mail.
    if matches!(kind, QuestionKind::Text | QuestionKind::Number) {
        for t in text.values() {
            let lower = t.to_lowercase();
            if let Some(p) = PII_PHRASES.iter().find(|p| lower.contains(*p)) {
                return Some(format!("text contains \"{p}\""));
            }
        }
    }
    None
}
