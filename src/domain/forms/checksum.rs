//! The canonical checksum of a form definition: SHA-256 over the canonical JSON of the parsed file.
//!
//! Canonical JSON: the parsed [`FormFile`] (spans dropped, absent optional keys and defaulted keys
//! omitted, `retired` left out) serialized with object keys sorted by byte order at every level,
//! no whitespace, and serde_json's number and string formatting. Comments, whitespace, key order,
//! inline-table versus dotted-key spelling and `required = false` versus no `required` therefore do
//! not change the checksum; any change of content does. The server refuses to start when a
//! published key+version's checksum differs from the one it recorded.
//!
//! Keys are sorted here explicitly rather than relying on `serde_json::Map` ordering, so that a
//! dependency enabling serde_json's `preserve_order` feature cannot change checksums.

use serde_json::Value;

use super::definition::FormFile;

/// Lowercase hex SHA-256 of the canonical JSON of `file`.
pub fn checksum(file: &FormFile) -> String {
    crate::domain::digest::sha256_hex(canonical_json(file).as_bytes())
}

/// The canonical JSON text of `file` (see the module documentation).
pub fn canonical_json(file: &FormFile) -> String {
    // Serializing plain data structs to a Value cannot fail (all map keys are strings; f64 NaN
    // becomes null), so a failure is folded into a distinct, stable marker rather than a panic.
    let value = serde_json::to_value(file).unwrap_or(Value::Null);
    let mut out = String::new();
    write_canonical(&value, &mut out);
    out
}

fn write_canonical(v: &Value, out: &mut String) {
    match v {
        Value::Null => out.push_str("null"),
        Value::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
        Value::Number(n) => out.push_str(&n.to_string()),
        Value::String(s) => write_string(s, out),
        Value::Array(items) => {
            out.push('[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                write_canonical(item, out);
            }
            out.push(']');
        }
        Value::Object(map) => {
            let mut entries: Vec<(&String, &Value)> = map.iter().collect();
            entries.sort_by(|a, b| a.0.cmp(b.0));
            out.push('{');
            for (i, (k, val)) in entries.into_iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                write_string(k, out);
                out.push(':');
                write_canonical(val, out);
            }
            out.push('}');
        }
    }
}

fn write_string(s: &str, out: &mut String) {
    // serde_json's string escaping is deterministic and cannot fail for a &str.
    match serde_json::to_string(s) {
        Ok(quoted) => out.push_str(&quoted),
        Err(_) => out.push_str("\"\""),
    }
}
