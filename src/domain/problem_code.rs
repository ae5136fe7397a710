//! Every problem `code` the API can answer with, in one list.
//!
//! Clients match on these names (`docs/api.md`, "Errors"), so they are part of the contract:
//! the errors (`crate::error`) take a [`ProblemCode`], never a string; the OpenAPI document
//! lists them as the enum of `Problem.code`; the API tests assert them by variant; and a test
//! checks that the table in `docs/api.md` names exactly these codes, each at its status. A
//! field's own reason in `errors[].code` (`too_long`, `invalid_month`, …) is not a problem code.
//!
//! The list is written once, with its status, by the `problem_codes!` table below.

use serde::{Deserialize, Serialize};

macro_rules! problem_codes {
    ($( $(#[$doc:meta])* $variant:ident = $code:literal, $status:expr; )*) => {
        /// A stable snake_case problem code (see the module documentation).
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, utoipa::ToSchema)]
        #[serde(rename_all = "snake_case")]
        pub enum ProblemCode {
            $( $(#[$doc])* $variant, )*
        }

        impl ProblemCode {
            /// Every code, in the order of the table.
            pub const ALL: &'static [ProblemCode] = &[$(ProblemCode::$variant),*];

            /// The code as clients see it.
            pub const fn as_str(self) -> &'static str {
                match self { $(ProblemCode::$variant => $code,)* }
            }

            /// The HTTP status this code is always sent with; `None` for [`ProblemCode::Error`],
            /// which stands for any status the table does not name.
            pub const fn status(self) -> Option<u16> {
                match self { $(ProblemCode::$variant => $status,)* }
            }
        }
    };
}

problem_codes! {
    /// The request (not its body) could not be understood (actix's own 400).
    MalformedRequest = "malformed_request", Some(400);
    /// The body is not JSON.
    MalformedBody = "malformed_body", Some(400);
    /// A path or query parameter cannot be parsed.
    InvalidParameter = "invalid_parameter", Some(400);
    /// No key, or a malformed, unknown or revoked one.
    Unauthorized = "unauthorized", Some(401);
    /// The key's role, or its agency, may not do this.
    Forbidden = "forbidden", Some(403);
    /// Nothing at this address.
    NotFound = "not_found", Some(404);
    /// No such form or version.
    FormNotFound = "form_not_found", Some(404);
    /// No such agency.
    AgencyNotFound = "agency_not_found", Some(404);
    /// No such dossier.
    DossierNotFound = "dossier_not_found", Some(404);
    /// An unknown survey token.
    SurveyNotFound = "survey_not_found", Some(404);
    /// The address exists with other methods.
    MethodNotAllowed = "method_not_allowed", Some(405);
    /// No representation matches `Accept`.
    NotAcceptable = "not_acceptable", Some(406);
    /// The body did not arrive in time.
    RequestTimeout = "request_timeout", Some(408);
    /// A write met a uniqueness rule no more specific code names (a race the checks before it
    /// did not see).
    Conflict = "conflict", Some(409);
    /// The agency code is taken.
    AgencyExists = "agency_exists", Some(409);
    /// A dossier registered again with other content.
    DossierConflict = "dossier_conflict", Some(409);
    /// The same dossier twice in one batch.
    DuplicateInBatch = "duplicate_in_batch", Some(409);
    /// A response is already stored for the dossier.
    AlreadyAnswered = "already_answered", Some(409);
    /// The survey link expired, was answered, or its month is closed.
    SurveyClosed = "survey_closed", Some(410);
    /// The body is over the size limit.
    PayloadTooLarge = "payload_too_large", Some(413);
    /// A batch has more items than allowed.
    BatchTooLarge = "batch_too_large", Some(413);
    /// The address is too long.
    UriTooLong = "uri_too_long", Some(414);
    /// The body is not sent as JSON, or is compressed.
    UnsupportedMediaType = "unsupported_media_type", Some(415);
    /// The body has a field the endpoint does not accept.
    UnknownField = "unknown_field", Some(422);
    /// A field has the wrong shape; `errors` names each.
    ValidationFailed = "validation_failed", Some(422);
    /// The answers break the form's rules; `errors` names each question.
    InvalidAnswers = "invalid_answers", Some(422);
    /// `parent_code` names no agency.
    UnknownParent = "unknown_parent", Some(422);
    /// An entry names a dossier that is not registered.
    UnknownDossier = "unknown_dossier", Some(422);
    /// A registration or query names no registered agency.
    UnknownAgency = "unknown_agency", Some(422);
    /// A registration or query names no form offered for new surveys.
    UnknownForm = "unknown_form", Some(422);
    /// A dossier completed after now.
    CompletedInFuture = "completed_in_future", Some(422);
    /// A dossier completed before the retention period.
    CompletedBeforeRetention = "completed_before_retention", Some(422);
    /// A contact e-mail address that is not one.
    InvalidEmail = "invalid_email", Some(422);
    /// A contact phone number that is not a Vietnamese mobile number.
    InvalidPhone = "invalid_phone", Some(422);
    /// A language the form does not offer.
    UnsupportedLanguage = "unsupported_language", Some(422);
    /// An entry with another form than the dossier's.
    FormMismatch = "form_mismatch", Some(422);
    /// An entry collected after today.
    CollectedInFuture = "collected_in_future", Some(422);
    /// An entry collected before the dossier was completed.
    CollectedBeforeCompletion = "collected_before_completion", Some(422);
    /// A month not written `YYYY-MM`.
    InvalidMonth = "invalid_month", Some(422);
    /// Closing a month that has not ended.
    MonthNotEnded = "month_not_ended", Some(422);
    /// A dossier completed in a month its agency is not in force (closed, merged or not yet
    /// opened), or a change of an agency not in force then.
    AgencyClosed = "agency_closed", Some(422);
    /// An agency change taking effect in a month already published.
    ChangeInPublishedMonth = "change_in_published_month", Some(422);
    /// An agency change taking effect before a change already recorded.
    ChangeOutOfOrder = "change_out_of_order", Some(422);
    /// A new parent that is the agency itself or below it.
    ParentLoop = "parent_loop", Some(422);
    /// Closing an agency that still has agencies in force below it.
    AgencyHasChildren = "agency_has_children", Some(422);
    /// A merge into the agency itself, into no agency, or into one not in force.
    InvalidSuccessor = "invalid_successor", Some(422);
    /// Closing an agency from a month it already has dossiers in.
    AgencyHasDossiers = "agency_has_dossiers", Some(422);
    /// Too many requests from this client.
    RateLimited = "rate_limited", Some(429);
    /// The request headers are too large.
    HeadersTooLarge = "headers_too_large", Some(431);
    /// A bug or an infrastructure failure (the cause is logged, never sent).
    Internal = "internal", Some(500);
    /// Not ready: database unreachable, migrations pending, writer stopped or slow.
    NotReady = "not_ready", Some(503);
    /// Every export place is taken.
    ExportBusy = "export_busy", Some(503);
    /// Any other failure status (a 4xx the server's framework produces that none of the above
    /// names).
    Error = "error", None;
}

/// For places that carry the code as text: a validation error's field reason, which for a
/// broken rule is the problem's own code.
impl From<ProblemCode> for String {
    fn from(code: ProblemCode) -> String {
        code.as_str().to_owned()
    }
}

impl std::fmt::Display for ProblemCode {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;

    #[test]
    fn names_are_unique_and_serialise_as_written_both_ways() {
        let mut seen = std::collections::HashSet::new();
        for code in ProblemCode::ALL {
            assert!(seen.insert(code.as_str()), "{code} twice");
            assert_eq!(serde_json::to_value(code).unwrap(), code.as_str());
            let back: ProblemCode = serde_json::from_value(code.as_str().into()).unwrap();
            assert_eq!(back, *code);
        }
    }

    /// `docs/api.md` lists the codes by status; the list must be this enum, no more, no less.
    #[test]
    fn the_contract_lists_exactly_these_codes() {
        let doc = include_str!("../../docs/api.md");
        let table = doc
            .split("Problem codes, by status:")
            .nth(1)
            .expect("the table of problem codes in docs/api.md");
        let mut documented = std::collections::BTreeMap::new();
        for row in table.lines().skip_while(|l| l.trim().is_empty()) {
            let Some(row) = row.strip_prefix('|') else {
                break;
            };
            let cells: Vec<&str> = row.split('|').map(str::trim).collect();
            let status = cells[0].parse::<u16>().ok();
            for code in cells[1]
                .split(',')
                .filter_map(|c| c.trim().strip_prefix('`'))
            {
                let code = code.trim_end_matches('`');
                documented.insert(code.to_owned(), status);
            }
        }
        documented.retain(|code, _| code != "code");
        let defined: std::collections::BTreeMap<String, Option<u16>> = ProblemCode::ALL
            .iter()
            .map(|c| (c.as_str().to_owned(), c.status()))
            .collect();
        assert_eq!(documented, defined);
    }

    #[test]
    fn statuses_are_errors() {
        for code in ProblemCode::ALL {
            if let Some(status) = code.status() {
                assert!((400..600).contains(&status), "{code}: {status}");
            }
        }
    }
}
