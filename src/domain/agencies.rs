//! Agencies (cơ quan): the hierarchy of ministries, provinces, departments (sở), districts and
//! communes whose services citizens rate. What lives here: the value types an agency is made of
//! (code, names, kind), its materialised path in the hierarchy, and the planning of a CSV import
//! (validation of every row, duplicate and cycle detection, parents before children).

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use unicode_normalization::UnicodeNormalization;
use uuid::Uuid;

/// Longest agency code, in characters.
pub const MAX_CODE_LEN: usize = 64;
/// Longest agency name, in characters (after NFC normalisation).
pub const MAX_NAME_LEN: usize = 255;
/// The form an agency's dossiers are surveyed with unless it says otherwise.
pub const DEFAULT_FORM: &str = "sipas-2017";

/// Why one field was rejected. [`FieldProblem::code`] is the stable reason clients see.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum FieldProblem {
    /// Empty (or only white space, for names).
    #[error("must not be empty")]
    Empty,
    /// Longer than the limit (in characters).
    #[error("must be at most {0} characters long")]
    TooLong(usize),
    /// A code or key with a character outside `[A-Za-z0-9._-]`.
    #[error("may contain only the letters A-Z and a-z, the digits 0-9, '.', '_' and '-'")]
    InvalidFormat,
    /// A name with a control character (line break, tab, NUL, …).
    #[error("must not contain control characters")]
    ControlCharacter,
    /// A kind that is not one of [`AgencyKind::ALL`].
    #[error("must be one of ministry, province, department, district, commune, other")]
    UnknownKind,
}

impl FieldProblem {
    /// The stable snake_case code of this problem.
    pub fn code(&self) -> &'static str {
        match self {
            FieldProblem::Empty => "required",
            FieldProblem::TooLong(_) => "too_long",
            FieldProblem::InvalidFormat => "invalid_format",
            FieldProblem::ControlCharacter => "control_character",
            FieldProblem::UnknownKind => "invalid_choice",
        }
    }
}

/// Checks the shape shared by agency codes and form keys: 1–64 characters of `[A-Za-z0-9._-]`.
fn check_code_shape(raw: &str) -> Result<(), FieldProblem> {
    if raw.is_empty() {
        return Err(FieldProblem::Empty);
    }
    if !raw
        .bytes()
        .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b'-'))
    {
        return Err(FieldProblem::InvalidFormat);
    }
    // Only ASCII is left, so bytes are characters.
    if raw.len() > MAX_CODE_LEN {
        return Err(FieldProblem::TooLong(MAX_CODE_LEN));
    }
    Ok(())
}

/// An agency's code: 1–64 characters of `[A-Za-z0-9._-]`, unique, never changed. Case matters.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct AgencyCode(String);

impl AgencyCode {
    pub fn parse(raw: &str) -> Result<Self, FieldProblem> {
        check_code_shape(raw)?;
        Ok(Self(raw.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Display for AgencyCode {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

/// The key of a survey form (such as `sipas-2017`); same shape as an agency code. Whether such a
/// form exists is checked where forms are known, not here.
pub fn parse_form_key(raw: &str) -> Result<String, FieldProblem> {
    check_code_shape(raw)?;
    Ok(raw.to_owned())
}

/// A display name: NFC-normalised, trimmed, non-empty, at most 255 characters, no control
/// characters.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AgencyName(String);

impl AgencyName {
    pub fn parse(raw: &str) -> Result<Self, FieldProblem> {
        // Normalise first: the same name typed on different keyboards (precomposed "ộ" or "o" +
        // two combining marks) must compare and count equal.
        let name: String = raw.trim().nfc().collect();
        if name.is_empty() {
            return Err(FieldProblem::Empty);
        }
        if name.chars().any(char::is_control) {
            return Err(FieldProblem::ControlCharacter);
        }
        if name.chars().count() > MAX_NAME_LEN {
            return Err(FieldProblem::TooLong(MAX_NAME_LEN));
        }
        Ok(Self(name))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    pub fn into_string(self) -> String {
        self.0
    }
}

/// What level of government an agency is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum AgencyKind {
    /// Bộ, cơ quan ngang bộ.
    Ministry,
    /// Tỉnh, thành phố trực thuộc trung ương.
    Province,
    /// Sở, ban, ngành.
    Department,
    /// Quận, huyện, thị xã, thành phố thuộc tỉnh.
    District,
    /// Xã, phường, thị trấn.
    Commune,
    Other,
}

impl AgencyKind {
    /// Every kind, in the order of the hierarchy.
    pub const ALL: [AgencyKind; 6] = [
        AgencyKind::Ministry,
        AgencyKind::Province,
        AgencyKind::Department,
        AgencyKind::District,
        AgencyKind::Commune,
        AgencyKind::Other,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            AgencyKind::Ministry => "ministry",
            AgencyKind::Province => "province",
            AgencyKind::Department => "department",
            AgencyKind::District => "district",
            AgencyKind::Commune => "commune",
            AgencyKind::Other => "other",
        }
    }

    pub fn parse(raw: &str) -> Result<Self, FieldProblem> {
        Self::ALL
            .into_iter()
            .find(|k| k.as_str() == raw)
            .ok_or(FieldProblem::UnknownKind)
    }
}

/// Where an agency sits in the hierarchy: the ids from the root down to the agency itself.
/// Stored as `/<id>/<id>/…/` so that "is X inside Y's subtree" is a check on one row (Y's id is
/// a segment of X's path) and "Y's subtree" is a prefix match, both without recursion.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AgencyPath(Vec<Uuid>);

impl AgencyPath {
    /// The path of a top-level agency.
    pub fn root(id: Uuid) -> Self {
        Self(vec![id])
    }

    /// The path of a child of the agency at `self`.
    pub fn child(&self, id: Uuid) -> Self {
        let mut ids = self.0.clone();
        ids.push(id);
        Self(ids)
    }

    /// The agency's own id (the last segment).
    pub fn id(&self) -> Option<Uuid> {
        self.0.last().copied()
    }

    /// The parent's id, for an agency that has one.
    pub fn parent_id(&self) -> Option<Uuid> {
        self.0.len().checked_sub(2).map(|i| self.0[i])
    }

    /// Whether the agency `ancestor` is this agency or one of its ancestors.
    pub fn is_within(&self, ancestor: Uuid) -> bool {
        self.0.contains(&ancestor)
    }

    /// The stored form, `/<simple uuid>/…/` (hex only, so it can be used in a SQL `LIKE` prefix
    /// without escaping).
    pub fn encode(&self) -> String {
        let mut out = String::with_capacity(1 + self.0.len() * 33);
        out.push('/');
        for id in &self.0 {
            out.push_str(&id.simple().to_string());
            out.push('/');
        }
        out
    }

    /// Reads the stored form back; `None` if it is not one.
    pub fn decode(stored: &str) -> Option<Self> {
        let inner = stored.strip_prefix('/')?.strip_suffix('/')?;
        let ids = inner
            .split('/')
            .map(Uuid::try_parse)
            .collect::<Result<Vec<_>, _>>()
            .ok()?;
        (!ids.is_empty()).then_some(Self(ids))
    }
}

/// A stored agency.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Agency {
    pub id: Uuid,
    pub code: String,
    pub name_vi: String,
    pub name_en: Option<String>,
    pub kind: AgencyKind,
    pub parent_code: Option<String>,
    pub default_form: String,
    pub path: AgencyPath,
    pub created_at: DateTime<Utc>,
}

/// A valid agency to be created.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewAgency {
    pub code: AgencyCode,
    pub name_vi: AgencyName,
    pub name_en: Option<AgencyName>,
    pub kind: AgencyKind,
    pub parent_code: Option<AgencyCode>,
    pub default_form: String,
}

/// One row of an import file as read, before validation. Empty optional cells are `""`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ImportRow {
    /// The line of the file the row starts on (the header is line 1).
    pub line: u64,
    pub code: String,
    pub name_vi: String,
    pub name_en: String,
    pub kind: String,
    pub parent_code: String,
    pub default_form: String,
}

/// Why one row of an import cannot be imported.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RowError {
    pub line: u64,
    /// The column at fault, or `"row"` for the row as a whole.
    pub field: String,
    pub message: String,
}

impl RowError {
    pub fn new(line: u64, field: impl Into<String>, message: impl Into<String>) -> Self {
        Self {
            line,
            field: field.into(),
            message: message.into(),
        }
    }
}

impl std::fmt::Display for RowError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "line {}: {}: {}", self.line, self.field, self.message)
    }
}

fn parse_row(row: &ImportRow, errors: &mut Vec<RowError>) -> Option<NewAgency> {
    let mut bad = |field: &str, problem: FieldProblem| {
        errors.push(RowError::new(row.line, field, problem.to_string()));
    };
    let code = AgencyCode::parse(&row.code)
        .map_err(|p| bad("code", p))
        .ok();
    let name_vi = AgencyName::parse(&row.name_vi)
        .map_err(|p| bad("name_vi", p))
        .ok();
    let name_en = match row.name_en.trim() {
        "" => Some(None),
        raw => AgencyName::parse(raw)
            .map(Some)
            .map_err(|p| bad("name_en", p))
            .ok(),
    };
    let kind = AgencyKind::parse(&row.kind)
        .map_err(|p| bad("kind", p))
        .ok();
    let parent_code = match row.parent_code.as_str() {
        "" => Some(None),
        raw => AgencyCode::parse(raw)
            .map(Some)
            .map_err(|p| bad("parent_code", p))
            .ok(),
    };
    let default_form = match row.default_form.as_str() {
        "" => Some(DEFAULT_FORM.to_owned()),
        raw => parse_form_key(raw).map_err(|p| bad("default_form", p)).ok(),
    };
    Some(NewAgency {
        code: code?,
        name_vi: name_vi?,
        name_en: name_en?,
        kind: kind?,
        parent_code: parent_code?,
        default_form: default_form?,
    })
}

/// Validates a whole import and orders it so that every parent comes before its children.
///
/// `exists` says whether a code is already stored. A row is rejected when a field is invalid, its
/// code is already stored or repeats an earlier row, its parent is neither stored nor in the file,
/// or its parent chain loops. A row whose only fault is that its parent row is rejected is not
/// reported again. Returns every error, ordered by line, or the rows to insert in order.
pub fn plan_import(
    rows: &[ImportRow],
    exists: impl Fn(&str) -> bool,
) -> Result<Vec<NewAgency>, Vec<RowError>> {
    let mut plan = Plan::parse(rows, &exists);
    plan.link_parents(&exists);
    let order = plan.parents_first();
    let Plan {
        mut parsed,
        mut errors,
        ..
    } = plan;
    if !errors.is_empty() {
        errors.sort_by(|a, b| a.line.cmp(&b.line).then_with(|| a.field.cmp(&b.field)));
        return Err(errors);
    }
    Ok(order.into_iter().filter_map(|i| parsed[i].take()).collect())
}

/// An import being planned: its rows, what each parsed to, how they hang together, and the
/// errors found so far.
struct Plan<'r> {
    rows: &'r [ImportRow],
    /// Each row's agency; `None` for a rejected row.
    parsed: Vec<Option<NewAgency>>,
    /// Codes named by the file, valid or not, so a child of a bad row is not also "unknown
    /// parent": the line of the first row naming each.
    first_line: HashMap<&'r str, u64>,
    /// The in-file parent of each valid row (None: top level, stored parent, or an invalid row).
    parent_of: Vec<Option<usize>>,
    /// Rows left out because their parent is missing or left out, or their chain loops.
    blocked: Vec<bool>,
    errors: Vec<RowError>,
}

/// A row's state in the walk up the parent chains.
#[derive(Clone, Copy, PartialEq)]
enum Mark {
    New,
    OnChain,
    Done,
}

impl<'r> Plan<'r> {
    /// Parses each row, rejecting a code that repeats an earlier row or is already stored.
    fn parse(rows: &'r [ImportRow], exists: &impl Fn(&str) -> bool) -> Self {
        let mut errors = Vec::new();
        let mut first_line: HashMap<&str, u64> = HashMap::new();
        let mut parsed: Vec<Option<NewAgency>> = Vec::with_capacity(rows.len());
        for row in rows {
            let mut agency = parse_row(row, &mut errors);
            if let Some(&line) = first_line.get(row.code.as_str()) {
                errors.push(RowError::new(
                    row.line,
                    "code",
                    format!("`{}` is already used on line {line}", row.code),
                ));
                agency = None;
            } else {
                first_line.insert(row.code.as_str(), row.line);
                if agency.is_some() && exists(&row.code) {
                    errors.push(RowError::new(
                        row.line,
                        "code",
                        format!("an agency `{}` already exists", row.code),
                    ));
                    agency = None;
                }
            }
            parsed.push(agency);
        }
        Plan {
            rows,
            parent_of: vec![None; parsed.len()],
            blocked: vec![false; parsed.len()],
            parsed,
            first_line,
            errors,
        }
    }

    /// Finds the in-file parent of each valid row; blocks a row whose parent row is rejected,
    /// and reports one whose parent is neither stored nor in the file.
    fn link_parents(&mut self, exists: &impl Fn(&str) -> bool) {
        // Index of the valid row defining each code.
        let index: HashMap<&str, usize> = self
            .parsed
            .iter()
            .enumerate()
            .filter_map(|(i, a)| a.as_ref().map(|a| (a.code.as_str(), i)))
            .collect();
        for (i, agency) in self.parsed.iter().enumerate() {
            let Some(agency) = agency else { continue };
            let Some(parent) = &agency.parent_code else {
                continue;
            };
            if let Some(&p) = index.get(parent.as_str()) {
                self.parent_of[i] = Some(p);
            } else if self.first_line.contains_key(parent.as_str()) {
                self.blocked[i] = true;
            } else if !exists(parent.as_str()) {
                self.errors.push(RowError::new(
                    self.rows[i].line,
                    "parent_code",
                    format!("no agency `{parent}` exists or is defined in the file"),
                ));
                self.blocked[i] = true;
            }
        }
    }

    /// The rows to insert, parents first: walks each chain up to a root; a chain that meets
    /// itself loops.
    fn parents_first(&mut self) -> Vec<usize> {
        let mut mark = vec![Mark::New; self.parsed.len()];
        let mut order = Vec::with_capacity(self.parsed.len());
        for start in 0..self.parsed.len() {
            if self.parsed[start].is_none() || mark[start] != Mark::New {
                continue;
            }
            let chain = self.chain(start, &mut mark);
            // Parents are at the end of `chain`; a child is blocked when its parent is.
            for &i in chain.iter().rev() {
                mark[i] = Mark::Done;
                if let Some(p) = self.parent_of[i]
                    && self.blocked[p]
                {
                    self.blocked[i] = true;
                }
                if !self.blocked[i] {
                    order.push(i);
                }
            }
        }
        order
    }

    /// The rows from `start` up its parent chain to a row already placed, a root, or a loop
    /// (reported and blocked).
    fn chain(&mut self, start: usize, mark: &mut [Mark]) -> Vec<usize> {
        let mut chain: Vec<usize> = Vec::new();
        let mut at = Some(start);
        while let Some(i) = at {
            match mark[i] {
                Mark::Done => break,
                Mark::OnChain => {
                    if let Some(pos) = chain.iter().position(|&c| c == i) {
                        self.report_loop(&chain[pos..]);
                    }
                    break;
                }
                Mark::New => {
                    mark[i] = Mark::OnChain;
                    chain.push(i);
                    at = self.parent_of[i];
                }
            }
        }
        chain
    }

    /// Reports and blocks every row of a parent chain that loops.
    fn report_loop(&mut self, cycle: &[usize]) {
        let mut names: Vec<&str> = cycle
            .iter()
            .filter_map(|&c| self.parsed[c].as_ref().map(|a| a.code.as_str()))
            .collect();
        names.push(names.first().copied().unwrap_or_default());
        let shown = names.join(" → ");
        for &c in cycle {
            self.errors.push(RowError::new(
                self.rows[c].line,
                "parent_code",
                format!("the parent chain loops: {shown}"),
            ));
            self.blocked[c] = true;
        }
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;

    fn row(line: u64, code: &str, parent: &str) -> ImportRow {
        ImportRow {
            line,
            code: code.into(),
            name_vi: format!("Cơ quan {code}"),
            kind: "department".into(),
            parent_code: parent.into(),
            ..ImportRow::default()
        }
    }

    #[test]
    fn codes_have_a_strict_shape() {
        for ok in ["HN", "SNV.HN", "a-b_c.9", &"x".repeat(64)] {
            assert!(AgencyCode::parse(ok).is_ok(), "{ok}");
        }
        let cases = [
            ("", FieldProblem::Empty),
            (&*"x".repeat(65), FieldProblem::TooLong(64)),
            ("a b", FieldProblem::InvalidFormat),
            ("a/b", FieldProblem::InvalidFormat),
            ("HN\u{0}", FieldProblem::InvalidFormat),
            ("HN\n", FieldProblem::InvalidFormat),
            ("Hà", FieldProblem::InvalidFormat),
            ("a%", FieldProblem::InvalidFormat),
        ];
        for (raw, problem) in cases {
            assert_eq!(AgencyCode::parse(raw), Err(problem), "{raw:?}");
        }
    }

    #[test]
    fn names_are_nfc_trimmed_and_bounded() {
        // "Hà Nội" typed with combining marks becomes the precomposed form.
        let decomposed = "  Ha\u{0300} No\u{0323}\u{0302}i ";
        let name = AgencyName::parse(decomposed).unwrap();
        assert_eq!(name.as_str(), "Hà Nội");
        assert_eq!(name.as_str().chars().count(), 6);
        assert_eq!(AgencyName::parse("   "), Err(FieldProblem::Empty));
        assert_eq!(
            AgencyName::parse("a\tb"),
            Err(FieldProblem::ControlCharacter)
        );
        // 255 precomposed characters fit even though they are 510 UTF-8 bytes.
        assert!(AgencyName::parse(&"ộ".repeat(255)).is_ok());
        assert_eq!(
            AgencyName::parse(&"o\u{0323}\u{0302}".repeat(256)),
            Err(FieldProblem::TooLong(255))
        );
    }

    #[test]
    fn kinds_round_trip() {
        for kind in AgencyKind::ALL {
            assert_eq!(AgencyKind::parse(kind.as_str()), Ok(kind));
        }
        assert_eq!(
            AgencyKind::parse("Province"),
            Err(FieldProblem::UnknownKind)
        );
    }

    #[test]
    fn paths_encode_and_answer_subtree_questions() {
        let (a, b, c, d) = (
            Uuid::now_v7(),
            Uuid::now_v7(),
            Uuid::now_v7(),
            Uuid::now_v7(),
        );
        let path = AgencyPath::root(a).child(b).child(c);
        assert!(path.is_within(a) && path.is_within(b) && path.is_within(c));
        assert!(!path.is_within(d));
        assert_eq!(path.id(), Some(c));
        assert_eq!(path.parent_id(), Some(b));
        assert_eq!(AgencyPath::root(a).parent_id(), None);
        let stored = path.encode();
        assert!(stored.starts_with(&AgencyPath::root(a).child(b).encode()));
        assert_eq!(AgencyPath::decode(&stored), Some(path));
        assert_eq!(AgencyPath::decode("//"), None);
        assert_eq!(AgencyPath::decode("/nope/"), None);
    }

    #[test]
    fn import_orders_parents_first_even_when_they_come_later() {
        let rows = [
            row(2, "XA", "HUYEN"),
            row(3, "HUYEN", "TINH"),
            row(4, "TINH", ""),
            row(5, "SO", "BO"),
        ];
        let plan = plan_import(&rows, |c| c == "BO").unwrap();
        let codes: Vec<&str> = plan.iter().map(|a| a.code.as_str()).collect();
        let pos = |c: &str| codes.iter().position(|x| *x == c).unwrap();
        assert_eq!(codes.len(), 4);
        assert!(pos("TINH") < pos("HUYEN") && pos("HUYEN") < pos("XA"));
        assert_eq!(plan[pos("XA")].default_form, DEFAULT_FORM);
    }

    #[test]
    fn import_reports_every_bad_row_by_line() {
        let mut bad_kind = row(3, "B", "");
        bad_kind.kind = "city".into();
        let mut no_name = row(4, "C", "");
        no_name.name_vi = " ".into();
        let rows = [
            row(2, "A", ""),
            bad_kind,
            no_name,
            row(5, "A", ""),
            row(6, "D", "NOWHERE"),
            row(7, "OLD", ""),
            row(8, "E", "B"),
            row(9, "bad code", ""),
        ];
        let errors = plan_import(&rows, |c| c == "OLD").unwrap_err();
        let got: Vec<(u64, &str)> = errors.iter().map(|e| (e.line, e.field.as_str())).collect();
        assert_eq!(
            got,
            [
                (3, "kind"),
                (4, "name_vi"),
                (5, "code"),
                (6, "parent_code"),
                (7, "code"),
                (9, "code"),
            ],
            "{errors:?}"
        );
        assert!(errors[2].message.contains("line 2"), "{errors:?}");
    }

    #[test]
    fn import_rejects_a_parent_chain_that_loops() {
        let rows = [
            row(2, "A", "C"),
            row(3, "B", "A"),
            row(4, "C", "B"),
            row(5, "SELF", "SELF"),
            row(6, "CHILD", "A"),
            row(7, "FINE", ""),
        ];
        let errors = plan_import(&rows, |_| false).unwrap_err();
        let lines: Vec<u64> = errors.iter().map(|e| e.line).collect();
        assert_eq!(lines, [2, 3, 4, 5], "{errors:?}");
        assert!(errors.iter().all(|e| e.message.contains("loops")));
        assert!(errors[3].message.contains("SELF → SELF"), "{errors:?}");
    }
}
