//! A reorganisation file (`sipas agencies reorganise FILE.csv`): one line per change, all taking
//! effect in one month. Columns `action,code,name_vi,name_en,parent_code,into,kind`:
//!
//! - `create`: a new agency (`name_vi`, optional `name_en`, `kind`, optional `parent_code`), in
//!   force from the month — the new successor of a merge;
//! - `rename`: new names (`name_vi`, optional `name_en`);
//! - `move`: a new parent (`parent_code`; empty: top level);
//! - `close`: no longer in force;
//! - `merge`: closed and merged `into` another agency (existing, or created in the file).
//!
//! Here: reading each row into a [`ReorgRow`], every bad cell reported by line.

use super::super::agencies::{AgencyCode, AgencyKind, AgencyName, FieldProblem, RowError};

/// One row of a reorganisation file as read. Empty optional cells are `""`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RawReorgRow {
    pub line: u64,
    pub action: String,
    pub code: String,
    pub name_vi: String,
    pub name_en: String,
    pub parent_code: String,
    pub into: String,
    pub kind: String,
}

/// What a valid row does.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ReorgAction {
    Create {
        name_vi: AgencyName,
        name_en: Option<AgencyName>,
        kind: AgencyKind,
        parent: Option<AgencyCode>,
    },
    Rename {
        name_vi: AgencyName,
        name_en: Option<AgencyName>,
    },
    Move {
        parent: Option<AgencyCode>,
    },
    Close,
    Merge {
        into: AgencyCode,
    },
}

/// A valid row.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReorgRow {
    pub line: u64,
    pub code: AgencyCode,
    pub action: ReorgAction,
}

fn optional_code(raw: &str) -> Result<Option<AgencyCode>, FieldProblem> {
    match raw {
        "" => Ok(None),
        raw => AgencyCode::parse(raw).map(Some),
    }
}

fn optional_name(raw: &str) -> Result<Option<AgencyName>, FieldProblem> {
    match raw.trim() {
        "" => Ok(None),
        raw => AgencyName::parse(raw).map(Some),
    }
}

/// Reads one row; every bad cell is added to `errors`.
pub fn parse_reorg_row(row: &RawReorgRow, errors: &mut Vec<RowError>) -> Option<ReorgRow> {
    let before = errors.len();
    let mut bad = |field: &str, problem: FieldProblem| {
        errors.push(RowError::new(row.line, field, problem.to_string()));
    };
    let code = AgencyCode::parse(&row.code)
        .map_err(|p| bad("code", p))
        .ok();
    let names = || -> Result<(AgencyName, Option<AgencyName>), (&str, FieldProblem)> {
        let vi = AgencyName::parse(&row.name_vi).map_err(|p| ("name_vi", p))?;
        let en = optional_name(&row.name_en).map_err(|p| ("name_en", p))?;
        Ok((vi, en))
    };
    let action = match row.action.as_str() {
        "create" => names().and_then(|(name_vi, name_en)| {
            Ok(ReorgAction::Create {
                name_vi,
                name_en,
                kind: AgencyKind::parse(&row.kind).map_err(|p| ("kind", p))?,
                parent: optional_code(&row.parent_code).map_err(|p| ("parent_code", p))?,
            })
        }),
        "rename" => names().map(|(name_vi, name_en)| ReorgAction::Rename { name_vi, name_en }),
        "move" => optional_code(&row.parent_code)
            .map(|parent| ReorgAction::Move { parent })
            .map_err(|p| ("parent_code", p)),
        "close" => Ok(ReorgAction::Close),
        "merge" => AgencyCode::parse(&row.into)
            .map(|into| ReorgAction::Merge { into })
            .map_err(|p| ("into", p)),
        _ => {
            errors.push(RowError::new(
                row.line,
                "action",
                "must be one of create, rename, move, close, merge",
            ));
            return None;
        }
    };
    let action = match action {
        Ok(a) => Some(a),
        Err((field, p)) => {
            errors.push(RowError::new(row.line, field, p.to_string()));
            None
        }
    };
    if errors.len() > before {
        return None;
    }
    Some(ReorgRow {
        line: row.line,
        code: code?,
        action: action?,
    })
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn raw(line: u64, action: &str, code: &str) -> RawReorgRow {
        RawReorgRow {
            line,
            action: action.into(),
            code: code.into(),
            ..RawReorgRow::default()
        }
    }

    #[test]
    fn rows_are_read_and_bad_cells_named_by_line() {
        let mut errors = Vec::new();
        let mut create = raw(2, "create", "XA.MOI");
        create.name_vi = "Xã Mới".into();
        create.kind = "commune".into();
        create.parent_code = "TINH".into();
        let ok = parse_reorg_row(&create, &mut errors).unwrap();
        assert!(matches!(
            ok.action,
            ReorgAction::Create {
                parent: Some(_),
                ..
            }
        ));
        let mut merge = raw(3, "merge", "XA1");
        merge.into = "XA.MOI".into();
        assert!(parse_reorg_row(&merge, &mut errors).is_some());
        assert!(parse_reorg_row(&raw(4, "move", "XA2"), &mut errors).is_some());
        assert!(errors.is_empty());
        assert!(parse_reorg_row(&raw(5, "split", "XA3"), &mut errors).is_none());
        assert!(parse_reorg_row(&raw(6, "rename", "XA3"), &mut errors).is_none());
        assert!(parse_reorg_row(&raw(7, "merge", "XA3"), &mut errors).is_none());
        assert!(parse_reorg_row(&raw(8, "close", "bad code"), &mut errors).is_none());
        let got: Vec<(u64, &str)> = errors.iter().map(|e| (e.line, e.field.as_str())).collect();
        assert_eq!(
            got,
            [(5, "action"), (6, "name_vi"), (7, "into"), (8, "code")]
        );
    }
}
