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
    /// An agency was renamed or moved from a month, closed, or merged into another (issue 21):
    /// codes and months only, never the names.
    AgencyChanged {
        code: String,
        effective_from: Option<String>,
        renamed: bool,
        /// The new parent when it moved (`Some(None)`: to the top level).
        parent_code: Option<Option<String>>,
        closed_from: Option<String>,
        merged_into: Option<String>,
    },
    /// A reorganisation file was applied (`sipas agencies reorganise`): how many of each change.
    AgenciesReorganised {
        effective_from: String,
        created: usize,
        renamed: usize,
        moved: usize,
        closed: usize,
        merged: usize,
    },
    /// An API key was created.
    KeyCreated {
        key_id: Uuid,
        role: Role,
        agency_code: Option<String>,
    },
    /// An API key was revoked.
    KeyRevoked { key_id: Uuid },
    /// An officer account was created (its e-mail address is not recorded: the id names it).
    UserCreated {
        user_id: Uuid,
        role: Role,
        agency_code: Option<String>,
    },
    /// An officer account was disabled, ending its open sessions.
    UserDisabled { user_id: Uuid, sessions_ended: u64 },
    /// Months were closed by hand (their answers published, their open links ended).
    MonthsClosed {
        through: String,
        months: usize,
        links_ended: u64,
    },
    /// Months closed by themselves, every link of them having expired (the maintenance task or
    /// a start); recorded as `months.closed` with the reason `expired`.
    MonthsExpired {
        through: String,
        months: usize,
        links_ended: u64,
    },
    /// A form version was retired: by `sipas forms retire`, or by a definition file saying
    /// `retired = true` at a start.
    FormRetired {
        key: String,
        version: u32,
        by_file: bool,
    },
    /// `sipas scores rebuild` recomputed the aggregates (the counts it found).
    ScoresRebuilt {
        responses: u64,
        buckets: u64,
        dossiers: u64,
        dossier_counts: u64,
    },
    /// Questionnaires were imported from a file (`sipas responses import`).
    ResponsesImported {
        agency_code: String,
        form_key: String,
        mode: &'static str,
        stored: u64,
        invalid_returns: u64,
        skipped: usize,
    },
    /// Sealed dossiers of months up to `through` were deleted by retention (their counts kept).
    RetentionApplied { through: String, dossiers: u64 },
    /// Anonymous answers were exported: what was asked for and how many rows were sent (never
    /// an answer). `user_id`: the officer who downloaded them (no key acted then).
    ResponsesExported {
        agency_code: String,
        subtree: bool,
        form_key: String,
        form_version: u32,
        from: String,
        to: String,
        format: &'static str,
        part: &'static str,
        rows: u64,
        user_id: Option<Uuid>,
    },
}

impl AuditEvent {
    /// The stable action name, `noun.verb`.
    pub fn action(&self) -> &'static str {
        match self {
            AuditEvent::AgencyCreated { .. } => "agency.created",
            AuditEvent::AgenciesImported { .. } => "agencies.imported",
            AuditEvent::AgencyChanged { .. } => "agency.changed",
            AuditEvent::AgenciesReorganised { .. } => "agencies.reorganised",
            AuditEvent::KeyCreated { .. } => "key.created",
            AuditEvent::KeyRevoked { .. } => "key.revoked",
            AuditEvent::UserCreated { .. } => "user.created",
            AuditEvent::UserDisabled { .. } => "user.disabled",
            AuditEvent::MonthsClosed { .. } | AuditEvent::MonthsExpired { .. } => "months.closed",
            AuditEvent::FormRetired { .. } => "form.retired",
            AuditEvent::ScoresRebuilt { .. } => "scores.rebuilt",
            AuditEvent::ResponsesImported { .. } => "responses.imported",
            AuditEvent::RetentionApplied { .. } => "retention.applied",
            AuditEvent::ResponsesExported { .. } => "responses.exported",
        }
    }

    /// What the action was done to: an agency code or a key id.
    pub fn subject(&self) -> Option<String> {
        match self {
            AuditEvent::AgencyCreated { code, .. } => Some(code.clone()),
            AuditEvent::AgenciesImported { .. } => None,
            AuditEvent::AgencyChanged { code, .. } => Some(code.clone()),
            AuditEvent::AgenciesReorganised { effective_from, .. } => Some(effective_from.clone()),
            AuditEvent::KeyCreated { key_id, .. } | AuditEvent::KeyRevoked { key_id } => {
                Some(key_id.to_string())
            }
            AuditEvent::UserCreated { user_id, .. } | AuditEvent::UserDisabled { user_id, .. } => {
                Some(user_id.to_string())
            }
            AuditEvent::MonthsClosed { through, .. }
            | AuditEvent::MonthsExpired { through, .. }
            | AuditEvent::RetentionApplied { through, .. } => Some(through.clone()),
            AuditEvent::FormRetired { key, version, .. } => Some(format!("{key} v{version}")),
            AuditEvent::ScoresRebuilt { .. } => None,
            AuditEvent::ResponsesImported { agency_code, .. } => Some(agency_code.clone()),
            AuditEvent::ResponsesExported { agency_code, .. } => Some(agency_code.clone()),
        }
    }

    /// The details of an agency change or a reorganisation (issue 21): codes, months and counts
    /// (what [`AuditEvent::details`] leaves to its last arm).
    fn agency_change_details(&self) -> serde_json::Value {
        match self {
            AuditEvent::AgencyChanged {
                effective_from,
                renamed,
                parent_code,
                closed_from,
                merged_into,
                ..
            } => json!({
                "effective_from": effective_from,
                "renamed": renamed,
                "moved": parent_code.is_some(),
                "parent_code": parent_code.clone().flatten(),
                "closed_from": closed_from,
                "merged_into": merged_into,
            }),
            AuditEvent::AgenciesReorganised {
                created,
                renamed,
                moved,
                closed,
                merged,
                ..
            } => json!({
                "created": created,
                "renamed": renamed,
                "moved": moved,
                "closed": closed,
                "merged": merged,
            }),
            _ => json!({}),
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
            AuditEvent::UserCreated {
                role, agency_code, ..
            } => json!({"role": role.as_str(), "agency_code": agency_code}),
            AuditEvent::UserDisabled { sessions_ended, .. } => {
                json!({"sessions_ended": sessions_ended})
            }
            AuditEvent::MonthsClosed {
                months,
                links_ended,
                ..
            } => json!({"months": months, "links_ended": links_ended, "reason": "admin"}),
            AuditEvent::MonthsExpired {
                months,
                links_ended,
                ..
            } => json!({"months": months, "links_ended": links_ended, "reason": "expired"}),
            AuditEvent::FormRetired {
                key,
                version,
                by_file,
            } => json!({
                "key": key,
                "version": version,
                "by": if *by_file { "form_file" } else { "command" },
            }),
            AuditEvent::ScoresRebuilt {
                responses,
                buckets,
                dossiers,
                dossier_counts,
            } => json!({
                "responses": responses,
                "buckets": buckets,
                "dossiers": dossiers,
                "dossier_counts": dossier_counts,
            }),
            AuditEvent::ResponsesImported {
                form_key,
                mode,
                stored,
                invalid_returns,
                skipped,
                ..
            } => json!({
                "form_key": form_key,
                "mode": mode,
                "stored": stored,
                "invalid_returns": invalid_returns,
                "skipped": skipped,
            }),
            AuditEvent::RetentionApplied { dossiers, .. } => json!({"dossiers": dossiers}),
            AuditEvent::ResponsesExported {
                subtree,
                form_key,
                form_version,
                from,
                to,
                format,
                part,
                rows,
                user_id,
                ..
            } => json!({
                "subtree": subtree, "form_key": form_key, "form_version": form_version,
                "from": from, "to": to, "format": format, "part": part, "rows": rows,
                "user_id": user_id,
            }),
            _ => self.agency_change_details(),
        }
    }
}
