//! Unit tests of every validation rule (one small bad definition each, asserting the error kind,
//! the id and the line), of gating, of the checksum and of the JSON shape.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::collections::HashMap;

use serde_json::{Value, json};

use super::*;

/// A small valid form; tests break it with `replace`.
const BASE: &str = r#"# test form
key = "t"
version = 1
edition = "test"
languages = ["vi", "en"]
wording_source = "tests"
par_eligible = true
title = { vi = "Tiêu đề", en = "Title" }

[legal_basis]
instrument = "1/QĐ-BNV"
date = "2023-12-11"

[par]
edition = "par-province"
max_points = 10

[[scales]]
id = "sat5"
satisfied_levels = [4, 5]
levels = [
  { value = 1, label = { vi = "Rất không hài lòng", en = "Very dissatisfied" } },
  { value = 2, label = { vi = "Không hài lòng", en = "Dissatisfied" } },
  { value = 3, label = { vi = "Bình thường", en = "Neutral" } },
  { value = 4, label = { vi = "Hài lòng", en = "Satisfied" } },
  { value = 5, label = { vi = "Rất hài lòng", en = "Very satisfied" } },
]

[[scales]]
id = "yn"
levels = [
  { value = 1, label = { vi = "Có", en = "Yes" } },
  { value = 2, label = { vi = "Không", en = "No" } },
]

[[sections]]
id = "first"
title = { vi = "Phần một", en = "Part one" }

[[sections.questions]]
id = "gate"
kind = "scale"
scale = "yn"
wording_status = "draft"
text = { vi = "Đã từng giải quyết thủ tục?", en = "Ever carried out a procedure?" }

[[sections.questions]]
id = "choice"
kind = "single_choice"
wording_status = "reproduced"
text = { vi = "Chọn một", en = "Choose one" }
options = [
  { id = "a", label = { vi = "Lựa chọn A", en = "Option A" } },
  { id = "b", label = { vi = "Lựa chọn B", en = "Option B" } },
]

[[sections.questions]]
id = "note"
kind = "text"
max_length = 100
wording_status = "draft"
text = { vi = "Ghi chú", en = "Note" }

[[sections]]
id = "second"
title = { vi = "Phần hai", en = "Part two" }

[[sections.questions]]
id = "q1"
kind = "scale"
scale = "sat5"
wording_status = "draft"
text = { vi = "Mục một", en = "Item one" }

[[sections.questions]]
id = "q2"
kind = "scale"
scale = "sat5"
wording_status = "draft"
text = { vi = "Mục hai", en = "Item two" }

[index]
root = "root"

[[index.nodes]]
id = "root"
label = { vi = "Gốc", en = "Root" }
children = ["n1"]

[[index.nodes]]
id = "n1"
label = { vi = "Nút một", en = "Node one" }
items = ["q1", "q2"]
"#;

fn with(from: &str, to: &str) -> String {
    assert!(BASE.contains(from), "fixture has no `{from}`");
    BASE.replacen(from, to, 1)
}

fn errors(src: &str) -> Vec<FormError> {
    match parse_form_str("t.v1.toml", src) {
        Ok(_) => panic!("expected errors, got a valid form"),
        Err(e) => e.0,
    }
}

/// 1-based line of the first occurrence of `marker` in `src`.
fn line(src: &str, marker: &str) -> usize {
    let at = src
        .find(marker)
        .unwrap_or_else(|| panic!("no `{marker}` in source"));
    src[..at].matches('\n').count() + 1
}

/// Asserts that `src` yields an error matching `kind`, with `id`, on the line of `marker`.
#[track_caller]
fn expect(src: &str, marker: &str, id: Option<&str>, kind: impl Fn(&FormErrorKind) -> bool) {
    let errs = errors(src);
    let want = line(src, marker);
    let found = errs.iter().any(|e| {
        kind(&e.kind) && e.id.as_deref() == id && e.line == Some(want) && e.file == "t.v1.toml"
    });
    assert!(
        found,
        "no matching error for id {id:?} on line {want}; got:\n{}",
        errs.iter()
            .map(|e| format!("  {e}"))
            .collect::<Vec<_>>()
            .join("\n")
    );
}

#[test]
fn base_fixture_is_valid() {
    let form = parse_form_str("t.v1.toml", BASE).unwrap();
    assert_eq!(form.satisfaction_items(), ["q1", "q2"]);
    assert_eq!(form.checksum().len(), 64);
}

// ── file-level: syntax, schema ──────────────────────────────────────────────────────────────

#[test]
fn malformed_toml_gives_file_and_line() {
    let src = with("id = \"note\"", "id = \"note");
    let errs = errors(&src);
    assert_eq!(errs.len(), 1);
    assert!(
        matches!(errs[0].kind, FormErrorKind::Syntax { .. }),
        "{errs:?}"
    );
    assert_eq!(errs[0].line, Some(line(&src, "id = \"note")));
    assert!(errs[0].to_string().starts_with("t.v1.toml:"));
}

#[test]
fn unknown_key_is_rejected_with_line() {
    let src = with("max_length = 100", "max_length = 100\ncolour = \"red\"");
    expect(
        &src,
        "colour",
        None,
        |k| matches!(k, FormErrorKind::Schema { message } if message.contains("unknown field `colour`")),
    );
}

#[test]
fn wrong_type_is_rejected_with_line() {
    let src = with("max_length = 100", "max_length = \"long\"");
    expect(
        &src,
        "max_length = \"long\"",
        None,
        |k| matches!(k, FormErrorKind::Schema { message } if message.contains("invalid type")),
    );
}

#[test]
fn unknown_kind_is_rejected_with_line() {
    let src = with("kind = \"text\"", "kind = \"essay\"");
    expect(
        &src,
        "kind = \"essay\"",
        None,
        |k| matches!(k, FormErrorKind::Schema { message } if message.contains("essay")),
    );
}

#[test]
fn missing_key_is_rejected() {
    let src = with("wording_status = \"reproduced\"\n", "");
    let errs = errors(&src);
    assert!(
        matches!(&errs[0].kind, FormErrorKind::Schema { message } if message.contains("missing field `wording_status`")),
        "{errs:?}"
    );
    assert!(errs[0].line.is_some());
}

#[test]
fn garbage_never_panics() {
    for src in [
        "",
        "\u{0}",
        "[[[",
        "key = 1",
        "sections = 3",
        "[index]\nroot = 5",
    ] {
        assert!(parse_form_str("x.toml", src).is_err());
    }
    // Every prefix of the fixture parses or fails cleanly.
    for (i, _) in BASE.char_indices().step_by(7) {
        let _ = parse_form_str("x.toml", &BASE[..i]);
    }
}

#[test]
fn deeply_nested_conditions_do_not_overflow() {
    let nest = |depth: usize| {
        let mut c = "{ question = \"gate\", in = [1] }".to_string();
        for _ in 0..depth {
            c = format!("{{ any = [{c}] }}");
        }
        q2_condition(&c)
    };
    let form = parse_form_str("t.v1.toml", &nest(30)).unwrap();
    let a: serde_json::Map<String, Value> = serde_json::Map::new();
    assert!(form.is_applicable("q2", &a));
    // Beyond the TOML parser's nesting limit: a clean error, not a crash.
    assert!(parse_form_str("t.v1.toml", &nest(500)).is_err());
}

#[test]
fn all_errors_of_a_file_are_reported() {
    let src = BASE
        .replacen("scale = \"sat5\"", "scale = \"sat7\"", 1)
        .replacen("{ id = \"b\",", "{ id = \"a\",", 1)
        .replacen(
            "items = [\"q1\", \"q2\"]",
            "items = [\"q1\", \"q2\", \"q3\"]",
            1,
        );
    let errs = errors(&src);
    assert_eq!(errs.len(), 3, "{errs:?}");
    // Sorted by line.
    assert!(errs.windows(2).all(|w| w[0].line <= w[1].line));
    assert!(errs.iter().all(|e| !e.hint().is_empty()));
}

// ── header ──────────────────────────────────────────────────────────────────────────────────

#[test]
fn invalid_key() {
    let src = with("key = \"t\"", "key = \"T 1\"");
    expect(&src, "key = \"T 1\"", None, |k| {
        matches!(k, FormErrorKind::InvalidKey { .. })
    });
}

#[test]
fn version_zero() {
    let src = with("version = 1", "version = 0");
    expect(&src, "version = 0", None, |k| {
        matches!(k, FormErrorKind::InvalidVersion)
    });
}

#[test]
fn empty_edition() {
    let src = with("edition = \"test\"", "edition = \" \"");
    expect(&src, "edition = \" \"", None, |k| {
        matches!(k, FormErrorKind::EmptyValue { field: "edition" })
    });
}

#[test]
fn languages_rules() {
    let src = with(
        "languages = [\"vi\", \"en\"]",
        "languages = [\"en\", \"EN\", \"en\"]",
    );
    let at = "languages = ";
    expect(&src, at, None, |k| {
        matches!(k, FormErrorKind::MissingVietnamese)
    });
    expect(
        &src,
        at,
        None,
        |k| matches!(k, FormErrorKind::InvalidLanguage { language } if language == "EN"),
    );
    expect(
        &src,
        at,
        None,
        |k| matches!(k, FormErrorKind::DuplicateLanguage { language } if language == "en"),
    );
}

#[test]
fn invalid_date() {
    let src = with("date = \"2023-12-11\"", "date = \"2023-02-30\"");
    expect(&src, "date = ", None, |k| {
        matches!(k, FormErrorKind::InvalidDate { .. })
    });
}

#[test]
fn invalid_max_points() {
    let src = with("max_points = 10", "max_points = -1");
    expect(&src, "max_points", None, |k| {
        matches!(k, FormErrorKind::InvalidMaxPoints)
    });
}

// ── texts ───────────────────────────────────────────────────────────────────────────────────

#[test]
fn missing_translation() {
    let src = with(
        "text = { vi = \"Ghi chú\", en = \"Note\" }",
        "text = { vi = \"Ghi chú\" }",
    );
    expect(
        &src,
        "text = { vi = \"Ghi chú\" }",
        Some("note"),
        |k| matches!(k, FormErrorKind::MissingTranslation { field, language } if field == "text" && language == "en"),
    );
}

#[test]
fn missing_translation_in_option_label_and_node_label() {
    let src = with(
        "label = { vi = \"Lựa chọn B\", en = \"Option B\" }",
        "label = { vi = \"Lựa chọn B\" }",
    )
    .replacen(
        "label = { vi = \"Nút một\", en = \"Node one\" }",
        "label = { en = \"Node one\" }",
        1,
    );
    expect(
        &src,
        "{ id = \"b\"",
        Some("choice"),
        |k| matches!(k, FormErrorKind::MissingTranslation { field, .. } if field == "options.b.label"),
    );
    expect(
        &src,
        "label = { en = \"Node one\" }",
        Some("n1"),
        |k| matches!(k, FormErrorKind::MissingTranslation { language, .. } if language == "vi"),
    );
}

#[test]
fn undeclared_language() {
    let src = with(
        "text = { vi = \"Ghi chú\", en = \"Note\" }",
        "text = { vi = \"Ghi chú\", en = \"Note\", fr = \"Note\" }",
    );
    expect(
        &src,
        "fr = ",
        Some("note"),
        |k| matches!(k, FormErrorKind::UndeclaredLanguage { language, .. } if language == "fr"),
    );
}

#[test]
fn empty_text() {
    let src = with(
        "text = { vi = \"Ghi chú\", en = \"Note\" }",
        "text = { vi = \"  \", en = \"Note\" }",
    );
    expect(&src, "vi = \"  \"", Some("note"), |k| {
        matches!(k, FormErrorKind::EmptyText { .. })
    });
}

#[test]
fn text_not_in_nfc() {
    // "Ghi chú" with a combining acute accent instead of the precomposed "ú".
    let decomposed = "Ghi chu\u{0301}";
    assert!(!unicode_normalization::is_nfc(decomposed));
    let src = with(
        "text = { vi = \"Ghi chú\"",
        &format!("text = {{ vi = \"{decomposed}\""),
    );
    expect(
        &src,
        decomposed,
        Some("note"),
        |k| matches!(k, FormErrorKind::NotNfc { language, .. } if language == "vi"),
    );
}

// ── scales ──────────────────────────────────────────────────────────────────────────────────

#[test]
fn duplicate_scale() {
    let src = with("id = \"yn\"", "id = \"sat5\"");
    // The second definition is the one reported.
    let errs = errors(&src);
    let e = errs
        .iter()
        .find(|e| matches!(e.kind, FormErrorKind::DuplicateScale))
        .unwrap();
    assert_eq!(e.id.as_deref(), Some("sat5"));
    assert_eq!(e.line, Some(line(&src, "id = \"sat5\"\nlevels")));
}

#[test]
fn too_few_levels() {
    let src = with(
        "  { value = 2, label = { vi = \"Không\", en = \"No\" } },\n",
        "",
    );
    let errs = errors(&src);
    let e = errs
        .iter()
        .find(|e| matches!(e.kind, FormErrorKind::TooFewLevels))
        .unwrap();
    assert_eq!(e.id.as_deref(), Some("yn"));
}

#[test]
fn duplicate_and_unordered_levels() {
    let src = with(
        "{ value = 2, label = { vi = \"Không\"",
        "{ value = 1, label = { vi = \"Không\"",
    );
    expect(
        &src,
        "{ value = 1, label = { vi = \"Không\"",
        Some("yn"),
        |k| matches!(k, FormErrorKind::DuplicateLevel { value: 1 }),
    );
    let src = with(
        "{ value = 2, label = { vi = \"Không\"",
        "{ value = 0, label = { vi = \"Không\"",
    );
    expect(&src, "{ value = 0,", Some("yn"), |k| {
        matches!(k, FormErrorKind::LevelsNotAscending { value: 0 })
    });
}

#[test]
fn satisfied_levels_rules() {
    let src = with("satisfied_levels = [4, 5]", "satisfied_levels = [4, 6]");
    expect(&src, "satisfied_levels", Some("sat5"), |k| {
        matches!(
            k,
            FormErrorKind::CountedLevelOutsideScale {
                field: "satisfied_levels",
                value: 6
            }
        )
    });
    let src = with("satisfied_levels = [4, 5]", "satisfied_levels = [5, 5]");
    expect(&src, "satisfied_levels", Some("sat5"), |k| {
        matches!(k, FormErrorKind::DuplicateCountedLevel { value: 5, .. })
    });
    let src = with("satisfied_levels = [4, 5]", "satisfied_levels = []");
    expect(&src, "satisfied_levels", Some("sat5"), |k| {
        matches!(k, FormErrorKind::EmptyCountedLevels { .. })
    });
    let src = with(
        "satisfied_levels = [4, 5]",
        "satisfied_levels = [4, 5]\npositive_levels = [4, 5]",
    );
    expect(&src, "[[scales]]", Some("sat5"), |k| {
        matches!(k, FormErrorKind::BothSatisfiedAndPositive)
    });
    let src = with("id = \"yn\"", "id = \"yn\"\npositive_levels = [3]");
    expect(&src, "positive_levels", Some("yn"), |k| {
        matches!(
            k,
            FormErrorKind::CountedLevelOutsideScale {
                field: "positive_levels",
                value: 3
            }
        )
    });
}

// ── sections and questions ──────────────────────────────────────────────────────────────────

#[test]
fn duplicate_section() {
    let src = with("id = \"second\"", "id = \"first\"");
    let errs = errors(&src);
    let e = errs
        .iter()
        .find(|e| matches!(e.kind, FormErrorKind::DuplicateSection))
        .unwrap();
    assert_eq!(e.id.as_deref(), Some("first"));
    assert_eq!(
        e.line,
        Some(line(&src, "id = \"first\"\ntitle = { vi = \"Phần hai\""))
    );
}

#[test]
fn empty_section() {
    let src = with(
        "[[sections]]\nid = \"second\"",
        "[[sections]]\nid = \"empty\"\ntitle = { vi = \"Trống\", en = \"Empty\" }\nquestions = []\n\n[[sections]]\nid = \"second\"",
    );
    expect(&src, "[[sections]]\nid = \"empty\"", Some("empty"), |k| {
        matches!(k, FormErrorKind::EmptySection)
    });
}

#[test]
fn duplicate_question_across_sections() {
    let src = with("id = \"q2\"", "id = \"gate\"");
    let errs = errors(&src);
    let e = errs
        .iter()
        .find(|e| matches!(e.kind, FormErrorKind::DuplicateQuestion { .. }))
        .unwrap();
    assert_eq!(e.id.as_deref(), Some("gate"));
    let second = src.rfind("id = \"gate\"").unwrap();
    assert_eq!(e.line, Some(src[..second].matches('\n').count() + 1));
    assert!(
        matches!(e.kind, FormErrorKind::DuplicateQuestion { first_line } if first_line == line(&src, "id = \"gate\""))
    );
}

#[test]
fn invalid_question_id() {
    let src = with("id = \"note\"", "id = \"Note-1\"");
    expect(&src, "id = \"Note-1\"", Some("Note-1"), |k| {
        matches!(
            k,
            FormErrorKind::InvalidId {
                what: "question",
                ..
            }
        )
    });
}

#[test]
fn unknown_scale() {
    let src = with("scale = \"sat5\"", "scale = \"sat7\"");
    expect(
        &src,
        "scale = \"sat7\"",
        Some("q1"),
        |k| matches!(k, FormErrorKind::UnknownScale { scale } if scale == "sat7"),
    );
}

#[test]
fn missing_kind_fields() {
    let src = with("scale = \"sat5\"\n", "");
    expect(
        &src,
        "kind = \"scale\"\nwording_status = \"draft\"\ntext = { vi = \"Mục một\"",
        Some("q1"),
        |k| {
            matches!(
                k,
                FormErrorKind::MissingField {
                    field: "scale",
                    kind: "scale"
                }
            )
        },
    );
    let src = with("max_length = 100\n", "");
    expect(&src, "kind = \"text\"", Some("note"), |k| {
        matches!(
            k,
            FormErrorKind::MissingField {
                field: "max_length",
                ..
            }
        )
    });
    let src = with("kind = \"text\"", "kind = \"multiple_choice\"");
    expect(&src, "kind = \"multiple_choice\"", Some("note"), |k| {
        matches!(
            k,
            FormErrorKind::MissingField {
                field: "options",
                ..
            }
        )
    });
}

#[test]
fn field_not_allowed_for_kind() {
    let src = with("max_length = 100", "max_length = 100\nscale = \"sat5\"");
    expect(
        &src,
        "scale = \"sat5\"\nwording_status = \"draft\"\ntext = { vi = \"Ghi chú\"",
        Some("note"),
        |k| {
            matches!(
                k,
                FormErrorKind::FieldNotAllowed {
                    field: "scale",
                    kind: "text"
                }
            )
        },
    );
    let src = with("kind = \"text\"", "kind = \"yes_no\"");
    expect(&src, "max_length = 100", Some("note"), |k| {
        matches!(
            k,
            FormErrorKind::FieldNotAllowed {
                field: "max_length",
                kind: "yes_no"
            }
        )
    });
}

#[test]
fn options_rules() {
    let src = with(
        "  { id = \"b\", label = { vi = \"Lựa chọn B\", en = \"Option B\" } },\n",
        "",
    );
    expect(&src, "options = [", Some("choice"), |k| {
        matches!(k, FormErrorKind::TooFewOptions)
    });
    let src = with("{ id = \"b\",", "{ id = \"a\",");
    let second = "{ id = \"a\", label = { vi = \"Lựa chọn B\"";
    expect(
        &src,
        second,
        Some("choice"),
        |k| matches!(k, FormErrorKind::DuplicateOption { option } if option == "a"),
    );
    let src = with("{ id = \"b\",", "{ id = \"B!\",");
    expect(&src, "{ id = \"B!\"", Some("choice"), |k| {
        matches!(k, FormErrorKind::InvalidId { what: "option", .. })
    });
}

#[test]
fn ranges() {
    let src = with("max_length = 100", "max_length = 0");
    expect(&src, "max_length = 0", Some("note"), |k| {
        matches!(k, FormErrorKind::InvalidRange { .. })
    });
    let src = with(
        "kind = \"text\"\nmax_length = 100",
        "kind = \"number\"\nmin = 5\nmax = 1",
    );
    expect(&src, "min = 5", Some("note"), |k| {
        matches!(k, FormErrorKind::InvalidRange { .. })
    });
}

#[test]
fn hidden_required() {
    let src = with(
        "max_length = 100",
        "max_length = 100\nhidden = true\nrequired = true",
    );
    expect(
        &src,
        "[[sections.questions]]\nid = \"note\"",
        Some("note"),
        |k| matches!(k, FormErrorKind::HiddenRequired),
    );
}

#[test]
fn section_text_needs_wording_status() {
    let src = with(
        "title = { vi = \"Phần hai\", en = \"Part two\" }",
        "title = { vi = \"Phần hai\", en = \"Part two\" }\ntext = { vi = \"Câu hỏi\", en = \"Question\" }",
    );
    expect(&src, "text = { vi = \"Câu hỏi\"", Some("second"), |k| {
        matches!(k, FormErrorKind::MissingWordingStatus)
    });
}

#[test]
fn visible_until_must_be_a_date() {
    let src = with(
        "max_length = 100",
        "max_length = 100\nvisible_until = \"30/6/2025\"",
    );
    expect(&src, "visible_until", Some("note"), |k| {
        matches!(
            k,
            FormErrorKind::InvalidDate {
                field: "visible_until",
                ..
            }
        )
    });
}

#[test]
fn personal_data_is_refused() {
    let src = with("id = \"note\"", "id = \"d_phone\"");
    expect(&src, "id = \"d_phone\"", Some("d_phone"), |k| {
        matches!(k, FormErrorKind::PersonalData { .. })
    });
    let src = with(
        "text = { vi = \"Ghi chú\", en = \"Note\" }",
        "text = { vi = \"Họ và tên\", en = \"Full name\" }",
    );
    expect(&src, "id = \"note\"", Some("note"), |k| {
        matches!(k, FormErrorKind::PersonalData { .. })
    });
    let src = with(
        "text = { vi = \"Ghi chú\", en = \"Note\" }",
        "text = { vi = \"Địa chỉ Email\", en = \"E-mail address\" }",
    );
    expect(&src, "id = \"note\"", Some("note"), |k| {
        matches!(k, FormErrorKind::PersonalData { .. })
    });
}

// ── conditions ──────────────────────────────────────────────────────────────────────────────

/// Puts `cond` on question q2 (after gate, choice, note, q1).
fn q2_condition(cond: &str) -> String {
    with("id = \"q2\"", &format!("id = \"q2\"\ncondition = {cond}"))
}

#[test]
fn condition_unknown_question() {
    let src = q2_condition("{ question = \"nope\", in = [1] }");
    expect(
        &src,
        "condition = ",
        Some("q2"),
        |k| matches!(k, FormErrorKind::ConditionUnknownQuestion { question } if question == "nope"),
    );
}

#[test]
fn condition_forward_and_self_reference() {
    // q1 gated on the later q2.
    let src = with(
        "id = \"q1\"",
        "id = \"q1\"\ncondition = { question = \"q2\", in = [4] }",
    );
    expect(
        &src,
        "condition = ",
        Some("q1"),
        |k| matches!(k, FormErrorKind::ConditionForwardReference { question } if question == "q2"),
    );
    let src = q2_condition("{ question = \"q2\", in = [4] }");
    expect(&src, "condition = ", Some("q2"), |k| {
        matches!(k, FormErrorKind::ConditionForwardReference { .. })
    });
    // A section's condition may not test a question of the section itself.
    let src = with(
        "title = { vi = \"Phần hai\", en = \"Part two\" }",
        "title = { vi = \"Phần hai\", en = \"Part two\" }\ncondition = { question = \"q1\", in = [5] }",
    );
    expect(
        &src,
        "condition = ",
        Some("second"),
        |k| matches!(k, FormErrorKind::ConditionForwardReference { question } if question == "q1"),
    );
}

#[test]
fn condition_unknown_option_or_level() {
    let src = q2_condition("{ question = \"choice\", in = [\"c\"] }");
    expect(
        &src,
        "condition = ",
        Some("q2"),
        |k| matches!(k, FormErrorKind::ConditionUnknownValue { question, value } if question == "choice" && value == "\"c\""),
    );
    let src = q2_condition("{ question = \"gate\", in = [3] }");
    expect(
        &src,
        "condition = ",
        Some("q2"),
        |k| matches!(k, FormErrorKind::ConditionUnknownValue { value, .. } if value == "3"),
    );
}

#[test]
fn condition_value_type() {
    let src = q2_condition("{ question = \"gate\", in = [\"1\"] }");
    expect(&src, "condition = ", Some("q2"), |k| {
        matches!(k, FormErrorKind::ConditionValueType { .. })
    });
    let src = q2_condition("{ question = \"choice\", in = [true] }");
    expect(&src, "condition = ", Some("q2"), |k| {
        matches!(k, FormErrorKind::ConditionValueType { .. })
    });
}

#[test]
fn condition_unsupported_kind() {
    let src = q2_condition("{ question = \"note\", in = [\"x\"] }");
    expect(&src, "condition = ", Some("q2"), |k| {
        matches!(
            k,
            FormErrorKind::ConditionUnsupportedKind { kind: "text", .. }
        )
    });
    let src = q2_condition("{ question = \"choice\", min = 1 }");
    expect(&src, "condition = ", Some("q2"), |k| {
        matches!(
            k,
            FormErrorKind::ConditionUnsupportedKind {
                kind: "single_choice",
                ..
            }
        )
    });
}

#[test]
fn condition_hidden_question() {
    let src = with("max_length = 100", "max_length = 100\nhidden = true");
    let src = src.replacen(
        "id = \"q2\"",
        "id = \"q2\"\ncondition = { question = \"note\", in = [\"x\"] }",
        1,
    );
    expect(&src, "condition = ", Some("q2"), |k| {
        matches!(k, FormErrorKind::ConditionHiddenQuestion { .. })
    });
}

#[test]
fn condition_shapes() {
    for (cond, needle) in [
        (
            "{ question = \"gate\", in = [1], any = [{ question = \"gate\", in = [1] }] }",
            "only one",
        ),
        ("{ any = [] }", "`any` is empty"),
        ("{ question = \"gate\" }", "needs `in`"),
        ("{ question = \"gate\", in = [1], min = 1 }", "not both"),
        ("{ question = \"gate\", in = [] }", "`in` is empty"),
        (
            "{ all = [{ question = \"gate\", in = [1] }], in = [1] }",
            "go with `question`",
        ),
        ("{ }", "give `question`"),
    ] {
        let src = q2_condition(cond);
        expect(
            &src,
            "condition = ",
            Some("q2"),
            |k| matches!(k, FormErrorKind::ConditionShape { problem } if problem.contains(needle)),
        );
    }
}

#[test]
fn nested_condition_errors_are_found() {
    let src = q2_condition(
        "{ any = [{ question = \"gate\", in = [1] }, { all = [{ question = \"choice\", in = [\"z\"] }] }] }",
    );
    expect(&src, "condition = ", Some("q2"), |k| {
        matches!(k, FormErrorKind::ConditionUnknownValue { .. })
    });
}

#[test]
fn eligibility_condition_is_checked() {
    let src = with(
        "par_eligible = true",
        "par_eligible = true\neligibility = { question = \"age\", min = 18 }",
    );
    expect(&src, "eligibility", Some("eligibility"), |k| {
        matches!(k, FormErrorKind::ConditionUnknownQuestion { .. })
    });
}

// ── index tree ──────────────────────────────────────────────────────────────────────────────

#[test]
fn unknown_root() {
    let src = with("root = \"root\"", "root = \"top\"");
    expect(&src, "root = \"top\"", Some("top"), |k| {
        matches!(k, FormErrorKind::UnknownRoot { .. })
    });
}

#[test]
fn duplicate_node() {
    let src = with("id = \"n1\"", "id = \"root\"");
    let errs = errors(&src);
    let e = errs
        .iter()
        .find(|e| matches!(e.kind, FormErrorKind::DuplicateNode))
        .unwrap();
    assert_eq!(e.id.as_deref(), Some("root"));
    let second = src.rfind("id = \"root\"").unwrap();
    assert_eq!(e.line, Some(src[..second].matches('\n').count() + 1));
}

#[test]
fn unknown_child_node() {
    let src = with("children = [\"n1\"]", "children = [\"n1\", \"n9\"]");
    expect(
        &src,
        "children = ",
        Some("root"),
        |k| matches!(k, FormErrorKind::UnknownNode { child } if child == "n9"),
    );
}

#[test]
fn empty_node() {
    let src =
        format!("{BASE}\n[[index.nodes]]\nid = \"n2\"\nlabel = {{ vi = \"Hai\", en = \"Two\" }}\n");
    let src = src.replacen("children = [\"n1\"]", "children = [\"n1\", \"n2\"]", 1);
    expect(&src, "[[index.nodes]]\nid = \"n2\"", Some("n2"), |k| {
        matches!(k, FormErrorKind::EmptyNode)
    });
}

#[test]
fn node_with_two_parents() {
    let src = format!(
        "{BASE}\n[[index.nodes]]\nid = \"n2\"\nlabel = {{ vi = \"Hai\", en = \"Two\" }}\nchildren = [\"n1\"]\n"
    );
    let src = src.replacen("children = [\"n1\"]", "children = [\"n1\", \"n2\"]", 1);
    let marker = "children = [\"n1\"]\n";
    expect(
        &src,
        marker,
        Some("n1"),
        |k| matches!(k, FormErrorKind::NodeInTwoParents { first_parent } if first_parent == "root"),
    );
}

#[test]
fn cycle_between_nodes() {
    let src = format!(
        "{BASE}\n[[index.nodes]]\nid = \"a\"\nlabel = {{ vi = \"A\", en = \"A\" }}\nchildren = [\"b\"]\n\n[[index.nodes]]\nid = \"b\"\nlabel = {{ vi = \"B\", en = \"B\" }}\nchildren = [\"a\"]\n"
    );
    expect(
        &src,
        "children = [\"a\"]",
        Some("b"),
        |k| matches!(k, FormErrorKind::Cycle { path } if path == "a → b → a"),
    );
    // Nodes on a cycle are not also reported as unreachable.
    assert!(
        !errors(&src)
            .iter()
            .any(|e| matches!(e.kind, FormErrorKind::UnreachableNode))
    );
}

#[test]
fn root_in_a_cycle() {
    let src = with(
        "items = [\"q1\", \"q2\"]",
        "items = [\"q1\", \"q2\"]\nchildren = [\"root\"]",
    );
    expect(
        &src,
        "children = [\"root\"]",
        Some("n1"),
        |k| matches!(k, FormErrorKind::Cycle { path } if path == "root → n1 → root"),
    );
}

#[test]
fn unreachable_node() {
    let src = format!(
        "{BASE}\n[[index.nodes]]\nid = \"lost\"\nlabel = {{ vi = \"Lạc\", en = \"Lost\" }}\nitems = [\"gate\"]\n"
    );
    expect(&src, "id = \"lost\"", Some("lost"), |k| {
        matches!(k, FormErrorKind::UnreachableNode)
    });
}

#[test]
fn invalid_node_id() {
    let src = with("id = \"n1\"", "id = \"N 1\"").replacen(
        "children = [\"n1\"]",
        "children = [\"N 1\"]",
        1,
    );
    expect(&src, "id = \"N 1\"", Some("N 1"), |k| {
        matches!(k, FormErrorKind::InvalidId { what: "node", .. })
    });
}

#[test]
fn index_items_rules() {
    let src = with(
        "items = [\"q1\", \"q2\"]",
        "items = [\"q1\", \"q2\", \"q9\"]",
    );
    expect(
        &src,
        "items = ",
        Some("n1"),
        |k| matches!(k, FormErrorKind::UnknownItem { item } if item == "q9"),
    );
    let src = with(
        "items = [\"q1\", \"q2\"]",
        "items = [\"q1\", \"q2\", \"choice\"]",
    );
    expect(
        &src,
        "items = ",
        Some("n1"),
        |k| matches!(k, FormErrorKind::ItemNotScale { item } if item == "choice"),
    );
    let src = with(
        "items = [\"q1\", \"q2\"]",
        "items = [\"q1\", \"q2\", \"gate\"]",
    );
    expect(
        &src,
        "items = ",
        Some("n1"),
        |k| matches!(k, FormErrorKind::ItemNotSatisfaction { item, scale } if item == "gate" && scale == "yn"),
    );
    let src = with(
        "items = [\"q1\", \"q2\"]",
        "items = [\"q1\", \"q2\", \"q1\"]",
    );
    expect(
        &src,
        "items = ",
        Some("n1"),
        |k| matches!(k, FormErrorKind::ItemInTwoNodes { item, first_node } if item == "q1" && first_node == "n1"),
    );
    let src = with("id = \"q2\"", "id = \"q2\"\nhidden = true");
    expect(&src, "items = ", Some("n1"), |k| {
        matches!(k, FormErrorKind::HiddenItem { .. })
    });
}

#[test]
fn item_in_two_nodes() {
    let src = format!(
        "{BASE}\n[[index.nodes]]\nid = \"n2\"\nlabel = {{ vi = \"Hai\", en = \"Two\" }}\nitems = [\n  \"q2\",\n]\n"
    );
    let src = src.replacen("children = [\"n1\"]", "children = [\"n1\", \"n2\"]", 1);
    expect(
        &src,
        "  \"q2\",\n]",
        Some("n2"),
        |k| matches!(k, FormErrorKind::ItemInTwoNodes { item, first_node } if item == "q2" && first_node == "n1"),
    );
}

#[test]
fn index_too_deep() {
    let mut src = with(
        "items = [\"q1\", \"q2\"]",
        "items = [\"q1\", \"q2\"]\nchildren = [\"d1\"]",
    );
    for i in 1..=validate::MAX_INDEX_DEPTH {
        src.push_str(&format!(
            "\n[[index.nodes]]\nid = \"d{i}\"\nlabel = {{ vi = \"Sâu\", en = \"Deep\" }}\n{}\n",
            if i == validate::MAX_INDEX_DEPTH {
                "items = [\"q2\"]".to_string()
            } else {
                format!("children = [\"d{}\"]", i + 1)
            }
        ));
    }
    src = src.replacen("items = [\"q1\", \"q2\"]", "items = [\"q1\"]", 1);
    expect(&src, "root = \"root\"", Some("root"), |k| {
        matches!(k, FormErrorKind::IndexTooDeep { .. })
    });
}

// ── catalog ─────────────────────────────────────────────────────────────────────────────────

fn temp_dir(name: &str) -> std::path::PathBuf {
    let dir = std::env::temp_dir().join(format!("sipas-forms-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

#[test]
fn catalog_checks_file_names_and_duplicates() {
    let dir = temp_dir("names");
    std::fs::write(dir.join("t.v1.toml"), BASE).unwrap();
    std::fs::write(dir.join("copy.toml"), BASE).unwrap();
    std::fs::write(dir.join("README.md"), "not a form").unwrap();
    let errs = crate::persistence::form_files::load_dir(&dir)
        .unwrap_err()
        .0;
    assert!(errs.iter().any(|e| e.file == "copy.toml"
        && matches!(&e.kind, FormErrorKind::FileName { expected } if expected == "t.v1.toml")));
    assert!(
        errs.iter()
            .any(|e| matches!(&e.kind, FormErrorKind::DuplicateForm { .. }))
    );
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn catalog_reports_errors_of_every_file() {
    let dir = temp_dir("all");
    std::fs::write(
        dir.join("a.v1.toml"),
        with("key = \"t\"", "key = \"a\"").replacen("scale = \"sat5\"", "scale = \"x\"", 1),
    )
    .unwrap();
    std::fs::write(
        dir.join("b.v1.toml"),
        with("key = \"t\"", "key = \"b\"").replacen("id = \"q2\"", "id = \"q1\"", 1),
    )
    .unwrap();
    std::fs::write(dir.join("c.v1.toml"), "key = ").unwrap();
    let errs = crate::persistence::form_files::load_dir(&dir)
        .unwrap_err()
        .0;
    let files: Vec<&str> = errs.iter().map(|e| e.file.as_str()).collect();
    assert!(
        files.contains(&"a.v1.toml")
            && files.contains(&"b.v1.toml")
            && files.contains(&"c.v1.toml"),
        "{files:?}"
    );
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn catalog_versions_and_status() {
    let dir = temp_dir("versions");
    std::fs::write(dir.join("t.v1.toml"), BASE).unwrap();
    std::fs::write(dir.join("t.v2.toml"), with("version = 1", "version = 2")).unwrap();
    std::fs::write(
        dir.join("t.v3.toml"),
        with("version = 1", "version = 3\nretired = true"),
    )
    .unwrap();
    let catalog = crate::persistence::form_files::load_dir(&dir).unwrap();
    assert_eq!(catalog.len(), 3);
    assert_eq!(catalog.latest("t").unwrap().version(), 2);
    assert_eq!(catalog.get("t", 3).unwrap().status(), FormStatus::Retired);
    assert_eq!(catalog.latest_published().len(), 1);
    assert!(catalog.get("t", 4).is_none());
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn catalog_from_stored_sources_keeps_name_and_text() {
    let catalog = FormCatalog::from_sources(vec![("t.v1.toml".into(), BASE.into())]).unwrap();
    assert_eq!(catalog.file_name("t", 1), Some("t.v1.toml"));
    assert_eq!(catalog.source("t", 1), Some(BASE));
    let errs = FormCatalog::from_sources(vec![("wrong.toml".into(), BASE.into())])
        .unwrap_err()
        .0;
    assert_eq!(errs.len(), 1);
    assert_eq!(errs[0].line, Some(1));
    assert_eq!(errs[0].id.as_deref(), Some("t"));
}

#[test]
fn missing_directory_is_an_io_error() {
    let errs =
        crate::persistence::form_files::load_dir(std::path::Path::new("/nonexistent/sipas-forms"))
            .unwrap_err()
            .0;
    assert!(matches!(errs[0].kind, FormErrorKind::Io { .. }));
}

// ── checksum ────────────────────────────────────────────────────────────────────────────────

fn sum(src: &str) -> String {
    parse_form_str("t.v1.toml", src)
        .unwrap()
        .checksum()
        .to_string()
}

#[test]
fn checksum_ignores_formatting_but_not_content() {
    let base = sum(BASE);
    // Comments, blank lines, spacing.
    let reformatted = BASE
        .replace("# test form\n", "")
        .replace(" = ", "   =   ")
        .replace("\n\n", "\n\n# note\n\n");
    assert_eq!(sum(&reformatted), base);
    // Key order inside a table and dotted keys versus an inline table.
    let reordered = with(
        "id = \"note\"\nkind = \"text\"\nmax_length = 100\nwording_status = \"draft\"\ntext = { vi = \"Ghi chú\", en = \"Note\" }",
        "text.en = \"Note\"\ntext.vi = \"Ghi chú\"\nwording_status = \"draft\"\nmax_length = 100\nkind = \"text\"\nid = \"note\"",
    );
    assert_eq!(sum(&reordered), base);
    // Explicit defaults and lifecycle state.
    assert_eq!(
        sum(&with(
            "max_length = 100",
            "max_length = 100\nrequired = false\nhidden = false"
        )),
        base
    );
    assert_eq!(
        sum(&with("version = 1", "version = 1\nretired = true")),
        base
    );
    // Any content change counts.
    assert_ne!(sum(&with("Ghi chú", "Ghi chú thêm")), base);
    assert_ne!(sum(&with("max_length = 100", "max_length = 101")), base);
    assert_ne!(
        sum(&with(
            "max_length = 100",
            "max_length = 100\nrequired = true"
        )),
        base
    );
    assert_ne!(sum(&with("version = 1", "version = 2")), base);
    assert_ne!(
        sum(&with("satisfied_levels = [4, 5]", "satisfied_levels = [5]")),
        base
    );
}

#[test]
fn canonical_json_sorts_keys() {
    let file = parse_file("t.v1.toml", BASE).unwrap();
    let json = checksum::canonical_json(&file);
    assert!(
        json.starts_with("{\"edition\":\"test\",\"index\":"),
        "{}",
        &json[..60]
    );
    assert!(!json.contains("retired"));
    assert!(!json.contains(": "));
}

// ── gating ──────────────────────────────────────────────────────────────────────────────────

fn answers(v: Value) -> serde_json::Map<String, Value> {
    match v {
        Value::Object(m) => m,
        _ => panic!("answers must be an object"),
    }
}

fn gated(cond: &str) -> FormDefinition {
    let src = with(
        "title = { vi = \"Phần hai\", en = \"Part two\" }",
        &format!("title = {{ vi = \"Phần hai\", en = \"Part two\" }}\ncondition = {cond}"),
    );
    parse_form_str("t.v1.toml", &src).unwrap()
}

#[test]
fn gate_on_scale_blank_gates_nothing() {
    let form = gated("{ question = \"gate\", in = [1] }");
    let yes = answers(json!({"gate": 1}));
    let no = answers(json!({"gate": 2}));
    let blank = answers(json!({"gate": null}));
    let absent = answers(json!({}));
    for q in ["q1", "q2"] {
        assert!(form.is_applicable(q, &yes));
        assert!(!form.is_applicable(q, &no));
        assert!(form.is_applicable(q, &blank));
        assert!(form.is_applicable(q, &absent));
    }
    // Questions outside the gated section are never gated.
    assert!(form.is_applicable("note", &no));
    assert!(!form.is_applicable("nope", &yes));
    assert_eq!(form.applicable_satisfaction_items(&no), Vec::<&str>::new());
    assert_eq!(form.applicable_satisfaction_items(&yes), ["q1", "q2"]);
    // The section's condition is exposed on each question.
    assert_eq!(
        serde_json::to_value(form.question("q1").unwrap().condition()).unwrap(),
        json!({"question": "gate", "in": [1]})
    );
}

#[test]
fn any_and_all_use_three_valued_logic() {
    let src = with("id = \"q2\"", "id = \"q2b\"");
    let src = src.replacen("items = [\"q1\", \"q2\"]", "items = [\"q1\", \"q2b\"]", 1);
    // Add a second gate after `gate`.
    let src = src.replacen(
        "[[sections.questions]]\nid = \"choice\"",
        "[[sections.questions]]\nid = \"gate2\"\nkind = \"scale\"\nscale = \"yn\"\nwording_status = \"draft\"\ntext = { vi = \"Cổng hai\", en = \"Gate two\" }\n\n[[sections.questions]]\nid = \"choice\"",
        1,
    );
    let any = src.replacen(
        "title = { vi = \"Phần hai\", en = \"Part two\" }",
        "title = { vi = \"Phần hai\", en = \"Part two\" }\ncondition = { any = [{ question = \"gate\", in = [1] }, { question = \"gate2\", in = [1] }] }",
        1,
    );
    let form = parse_form_str("t.v1.toml", &any).unwrap();
    let cases = [
        (json!({"gate": 2, "gate2": 2}), false),
        (json!({"gate": 2, "gate2": 1}), true),
        (json!({"gate": 1, "gate2": 2}), true),
        (json!({"gate": 2}), true),
        (json!({"gate2": 2}), true),
        (json!({}), true),
    ];
    for (a, expected) in cases {
        assert_eq!(
            form.is_applicable("q1", &answers(a.clone())),
            expected,
            "any, {a}"
        );
    }
    let all = any.replacen("condition = { any", "condition = { all", 1);
    let form = parse_form_str("t.v1.toml", &all).unwrap();
    let cases = [
        (json!({"gate": 1, "gate2": 1}), true),
        (json!({"gate": 1, "gate2": 2}), false),
        (json!({"gate": 2}), false),
        (json!({"gate": 1}), true),
        (json!({}), true),
    ];
    for (a, expected) in cases {
        assert_eq!(
            form.is_applicable("q1", &answers(a.clone())),
            expected,
            "all, {a}"
        );
    }
}

#[test]
fn gate_on_choices_and_wrong_types() {
    let form = gated("{ question = \"choice\", in = [\"a\"] }");
    assert!(form.is_applicable("q1", &answers(json!({"choice": "a"}))));
    assert!(!form.is_applicable("q1", &answers(json!({"choice": "b"}))));
    // A malformed answer is treated as unanswered.
    assert!(form.is_applicable("q1", &answers(json!({"choice": 7}))));

    let src = with("kind = \"single_choice\"", "kind = \"multiple_choice\"").replacen(
        "id = \"q2\"",
        "id = \"q2\"\ncondition = { question = \"choice\", in = [\"b\"] }",
        1,
    );
    let form = parse_form_str("t.v1.toml", &src).unwrap();
    assert!(form.is_applicable("q2", &answers(json!({"choice": ["a", "b"]}))));
    assert!(!form.is_applicable("q2", &answers(json!({"choice": ["a"]}))));
    assert!(form.is_applicable("q2", &answers(json!({"choice": []}))));
}

#[test]
fn gate_on_yes_no_and_number_range() {
    let src = with("kind = \"text\"\nmax_length = 100", "kind = \"yes_no\"").replacen(
        "id = \"q2\"",
        "id = \"q2\"\ncondition = { question = \"note\", in = [true] }",
        1,
    );
    let form = parse_form_str("t.v1.toml", &src).unwrap();
    assert!(form.is_applicable("q2", &answers(json!({"note": true}))));
    assert!(!form.is_applicable("q2", &answers(json!({"note": false}))));

    let src = with(
        "kind = \"text\"\nmax_length = 100",
        "kind = \"number\"\ninteger = true\nmin = 0\nmax = 120",
    )
    .replacen(
        "par_eligible = true",
        "par_eligible = true\neligibility = { question = \"note\", min = 18 }",
        1,
    );
    let form = parse_form_str("t.v1.toml", &src).unwrap();
    assert!(!form.is_eligible(&answers(json!({"note": 17}))));
    assert!(form.is_eligible(&answers(json!({"note": 18}))));
    assert!(form.is_eligible(&answers(json!({}))));
    assert_eq!(
        form.question("note").unwrap().bounds(),
        (Some(0), Some(120))
    );
    assert!(form.question("note").unwrap().integer_only());
}

#[test]
fn a_gate_that_is_itself_gated_out_gates_nothing() {
    // choice is gated on gate; q2 is gated on choice.
    let src = with(
        "id = \"choice\"",
        "id = \"choice\"\ncondition = { question = \"gate\", in = [1] }",
    )
    .replacen(
        "id = \"q2\"",
        "id = \"q2\"\ncondition = { question = \"choice\", in = [\"a\"] }",
        1,
    );
    let form = parse_form_str("t.v1.toml", &src).unwrap();
    // choice = b would gate q2, but choice does not apply when gate = 2: its answer is ignored.
    assert!(!form.is_applicable("choice", &answers(json!({"gate": 2, "choice": "b"}))));
    assert!(form.is_applicable("q2", &answers(json!({"gate": 2, "choice": "b"}))));
    assert!(!form.is_applicable("q2", &answers(json!({"gate": 1, "choice": "b"}))));
}

#[test]
fn hidden_questions_are_never_applicable_nor_serialized() {
    let src = with("max_length = 100", "max_length = 100\nhidden = true");
    let form = parse_form_str("t.v1.toml", &src).unwrap();
    assert!(!form.is_applicable("note", &HashMap::<String, Value>::new()));
    assert!(form.question("note").is_some());
    let json = serde_json::to_value(&form).unwrap();
    let ids: Vec<&str> = json["sections"][0]["questions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|q| q["id"].as_str().unwrap())
        .collect();
    assert_eq!(ids, ["gate", "choice"]);
}

// ── JSON shape (api.md "Forms") ─────────────────────────────────────────────────────────────

#[test]
fn serializes_to_the_api_shape() {
    let form = gated("{ question = \"gate\", in = [1] }");
    let v = serde_json::to_value(&form).unwrap();
    for key in [
        "key",
        "version",
        "edition",
        "languages",
        "title",
        "scales",
        "sections",
        "index",
        "par",
        "status",
        "checksum",
    ] {
        assert!(v.get(key).is_some(), "missing {key}");
    }
    assert_eq!(v["key"], "t");
    assert_eq!(v["version"], 1);
    assert_eq!(v["languages"], json!(["vi", "en"]));
    assert_eq!(v["title"], json!({"vi": "Tiêu đề", "en": "Title"}));
    assert_eq!(v["scales"][0]["satisfied"], json!([4, 5]));
    assert_eq!(
        v["scales"][0]["levels"][0],
        json!({"value": 1, "label": {"vi": "Rất không hài lòng", "en": "Very dissatisfied"}})
    );
    assert_eq!(v["scales"][1]["satisfied"], json!([]));
    let choice = &v["sections"][0]["questions"][1];
    assert_eq!(choice["kind"], "single_choice");
    assert_eq!(
        choice["options"][0],
        json!({"id": "a", "label": {"vi": "Lựa chọn A", "en": "Option A"}})
    );
    assert_eq!(choice["required"], false);
    assert_eq!(choice["wording_status"], "reproduced");
    assert!(choice.get("scale").is_none() && choice.get("condition").is_none());
    let note = &v["sections"][0]["questions"][2];
    assert_eq!(note["max_length"], 100);
    let q1 = &v["sections"][1]["questions"][0];
    assert_eq!(q1["scale"], "sat5");
    assert_eq!(q1["condition"], json!({"question": "gate", "in": [1]}));
    assert_eq!(
        v["index"],
        json!({"id": "root", "label": {"vi": "Gốc", "en": "Root"},
               "children": [{"id": "n1", "label": {"vi": "Nút một", "en": "Node one"}, "items": ["q1", "q2"]}]})
    );
    assert_eq!(
        v["par"],
        json!({"edition": "par-province", "max_points": 10.0})
    );
    assert_eq!(v["status"], "published");
    let summary = serde_json::to_value(form.summary()).unwrap();
    assert_eq!(
        summary,
        json!({"key": "t", "version": 1, "title": {"vi": "Tiêu đề", "en": "Title"},
        "languages": ["vi", "en"], "edition": "test", "status": "published"})
    );
}

#[test]
fn english_is_optional() {
    // Build a Vietnamese-only form by dropping every `en` text.
    let vi_only: String = BASE
        .lines()
        .map(|l| {
            let mut l = l.to_string();
            while let Some(start) = l.find(", en = \"") {
                let rest = &l[start + 8..];
                let end = rest.find('"').unwrap();
                l = format!("{}{}", &l[..start], &rest[end + 1..]);
            }
            l.replace("[\"vi\", \"en\"]", "[\"vi\"]")
        })
        .collect::<Vec<_>>()
        .join("\n");
    let form = parse_form_str("t.v1.toml", &vi_only).unwrap();
    assert_eq!(form.languages(), ["vi"]);
    assert_eq!(form.title().localized("en"), "Tiêu đề");
}

#[test]
fn error_display_names_file_line_id_and_fix() {
    let src = with("scale = \"sat5\"", "scale = \"sat7\"");
    let e = &errors(&src)[0];
    let shown = e.to_string();
    let want = format!(
        "t.v1.toml:{}: [q1] unknown scale `sat7` (fix: ",
        line(&src, "sat7")
    );
    assert!(shown.starts_with(&want), "{shown}");
}
