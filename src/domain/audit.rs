//! The audit log's vocabulary: which administrative actions are recorded and what is kept of
//! each. Events are typed so an entry can only ever hold codes, ids, roles and counts — never a
//! key, a survey token, an e-mail address or free text such as a key's label.

use serde_json::json;
use uuid::Uuid;

use crate::domain::agencies::AgencyKind;
use crate::domain::auth::Role;

/// One administrative action.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AuditEvent {
    /// An agency was created through the API.
    AgencyCreated {
        code: String,
        kind: AgencyKind,
        parent_code: Option<String>,
    },
    /// A CSV file of agencies was imported.
    AgenciesImported { count: usize },
    /// An API key was created.
    KeyCreated {
        key_id: Uuid,
        role: Role,
        agency_code: Option<String>,
    },
    /// An API key was revoked.
    KeyRevoked { key_id: Uuid },
}

impl AuditEvent {
    /// The stable action name, `noun.verb`.
    pub fn action(&self) -> &'static str {
        match self {
            AuditEvent::AgencyCreated { .. } => "agency.created",
            AuditEvent::AgenciesImported { .. } => "agencies.imported",
            AuditEvent::KeyCreated { .. } => "key.created",
            AuditEvent::KeyRevoked { .. } => "key.revoked",
        }
    }

    /// What the action was done to: an agency code or a key id.
    pub fn subject(&self) -> Option<String> {
        match self {
            AuditEvent::AgencyCreated { code, .. } => Some(code.clone()),
            AuditEvent::AgenciesImported { .. } => None,
            AuditEvent::KeyCreated { key_id, .. } | AuditEvent::KeyRevoked { key_id } => {
                Some(key_id.to_string())
            }
        }
    }

    /// Further facts worth keeping, as a JSON object.
    pub fn details(&self) -> serde_json::Value {
        match self {
            AuditEvent::AgencyCreated {
                kind, parent_code, ..
            } => json!({"kind": kind.as_str(), "parent_code": parent_code}),
            AuditEvent::AgenciesImported { count } => json!({"count": count}),
            AuditEvent::KeyCreated {
                role, agency_code, ..
            } => json!({"role": role.as_str(), "agency_code": agency_code}),
            AuditEvent::KeyRevoked { .. } => json!({}),
        }
    }
}
