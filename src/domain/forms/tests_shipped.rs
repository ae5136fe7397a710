//! Tests of the shipped form files in `survey-forms/` against the methodology (§1.2, §2, §3.7,
//! §3.8): structure, scales, index trees, gates, texts (NFC, both languages) and anonymity.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::path::PathBuf;

use serde_json::{Value, json};
use unicode_normalization::is_nfc;

use super::*;

fn dir() -> PathBuf {
    PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/survey-forms"))
}

fn catalog() -> FormCatalog {
    crate::persistence::form_files::load_dir(&dir()).unwrap_or_else(|e| panic!("{e}"))
}

fn form(key: &str) -> FormDefinition {
    catalog().get(key, 1).unwrap().clone()
}

fn answers(v: Value) -> serde_json::Map<String, Value> {
    match v {
        Value::Object(m) => m,
        _ => panic!("answers must be an object"),
    }
}

/// `prefix1`…`prefixN`.
fn ids(prefix: &str, range: std::ops::RangeInclusive<usize>) -> Vec<String> {
    range.map(|i| format!("{prefix}{i}")).collect()
}

/// (node id, items) of the nodes under `parent`.
fn factors<'a>(f: &'a FormDefinition, parent: &str) -> Vec<(&'a str, Vec<&'a str>)> {
    f.index()
        .find(parent)
        .unwrap()
        .children()
        .iter()
        .map(|n| (n.id(), n.items().iter().map(String::as_str).collect()))
        .collect()
}

fn vi_labels(f: &FormDefinition, scale: &str) -> Vec<String> {
    f.scale(scale)
        .unwrap()
        .levels()
        .iter()
        .map(|l| l.label().vi().to_string())
        .collect()
}

fn option_ids(f: &FormDefinition, q: &str) -> Vec<String> {
    f.question(q)
        .unwrap()
        .options()
        .iter()
        .map(|o| o.id().to_string())
        .collect()
}

const SAT5_VI: [&str; 5] = [
    "Rất không hài lòng",
    "Không hài lòng",
    "Bình thường",
    "Hài lòng",
    "Rất hài lòng",
];

// ── every shipped form ──────────────────────────────────────────────────────────────────────

#[test]
fn the_four_forms_load_without_error() {
    let c = catalog();
    let keys: Vec<(&str, u32)> = c.iter().map(|f| (f.key(), f.version())).collect();
    assert_eq!(
        keys,
        [
            ("sipas-2017", 1),
            ("sipas-2023", 1),
            ("sipas-2024", 1),
            ("sipas-quick", 1)
        ]
    );
    for f in c.iter() {
        assert_eq!(f.status(), FormStatus::Published);
        assert_eq!(f.languages(), ["vi", "en"]);
        assert!(c.latest(f.key()).is_some());
    }
}

#[test]
fn published_checksums_do_not_change() {
    // A published key+version never changes (api.md): the server refuses to start if one does.
    // If this fails, revert the edit and publish it as a new version file instead.
    let expected = [
        (
            "sipas-2017",
            "3d59d1748614dcb418d3ae6bfaf338867f6cc835da592850c0a5e96a6e5b202c",
        ),
        (
            "sipas-2023",
            "90b89e88901894e9230e0a1903e1505ab4322cfd5cdfef7c2e041f8e45a613ce",
        ),
        (
            "sipas-2024",
            "292dc0df9d52c71fbe840ee6ff72fd520dccf3ba68031c9098f8f38292702d30",
        ),
        (
            "sipas-quick",
            "7b4fbf8fb26f362f949bbb12df08a34b00ff6bf9f47daa9810cd361f12e03111",
        ),
    ];
    let c = catalog();
    for (key, sum) in expected {
        assert_eq!(c.get(key, 1).unwrap().checksum(), sum, "{key}.v1 changed");
    }
}

#[test]
fn checksum_survives_stripping_comments() {
    for f in catalog().iter() {
        let name = file_name_for(f.key(), f.version());
        let src = std::fs::read_to_string(dir().join(&name)).unwrap();
        let stripped: String = src
            .lines()
            .filter(|l| !l.trim_start().starts_with('#') && !l.trim().is_empty())
            .map(|l| match l.find("   # ") {
                Some(i) => l[..i].trim_end(),
                None => l,
            })
            .collect::<Vec<_>>()
            .join("\n");
        let again = parse_form_str(&name, &stripped).unwrap();
        assert_eq!(again.checksum(), f.checksum(), "{name}");
    }
}

#[test]
fn files_are_nfc_and_every_text_has_both_languages() {
    for entry in std::fs::read_dir(dir()).unwrap() {
        let path = entry.unwrap().path();
        let src = std::fs::read_to_string(&path).unwrap();
        assert!(is_nfc(&src), "{} is not NFC", path.display());
    }
    fn walk(v: &Value, path: &str) {
        match v {
            Value::String(s) => assert!(is_nfc(s), "{path} not NFC"),
            Value::Array(a) => a
                .iter()
                .enumerate()
                .for_each(|(i, x)| walk(x, &format!("{path}[{i}]"))),
            Value::Object(m) => {
                // A text object: exactly vi and en, both non-empty.
                let keys: Vec<&String> = m.keys().collect();
                if keys.iter().any(|k| *k == "vi") {
                    assert_eq!(keys, ["en", "vi"], "{path}");
                    assert!(
                        m.values()
                            .all(|t| t.as_str().is_some_and(|t| !t.trim().is_empty())),
                        "{path}"
                    );
                }
                m.iter().for_each(|(k, x)| walk(x, &format!("{path}.{k}")));
            }
            _ => {}
        }
    }
    for f in catalog().iter() {
        walk(&serde_json::to_value(f).unwrap(), f.key());
    }
}

#[test]
fn vietnamese_texts_carry_diacritics() {
    // Guards against ASCII-folded text: every form uses these words with their diacritics.
    for f in catalog().iter() {
        assert_eq!(vi_labels(f, "sat5"), SAT5_VI, "{}", f.key());
        let all_vi: String = f
            .questions()
            .map(|q| q.text().vi())
            .collect::<Vec<_>>()
            .join(" ");
        assert!(
            all_vi.contains("Ông/Bà") || all_vi.contains("Công chức"),
            "{}",
            f.key()
        );
        assert!(
            !all_vi.contains("Ong/Ba") && !all_vi.contains("hai long"),
            "{}",
            f.key()
        );
    }
}

#[test]
fn no_question_asks_for_name_phone_or_email() {
    let forbidden = [
        "họ và tên",
        "họ tên",
        "điện thoại",
        "sđt",
        "email",
        "e-mail",
        "thư điện tử",
        "name",
        "phone",
    ];
    for f in catalog().iter() {
        for q in f.questions() {
            let tokens: Vec<&str> = q.id().split('_').collect();
            for bad in ["name", "phone", "email", "mail", "sdt", "hoten", "tel"] {
                assert!(!tokens.contains(&bad), "{}: {}", f.key(), q.id());
            }
            for (_, t) in q.text().iter() {
                let t = t.to_lowercase();
                for bad in forbidden {
                    assert!(!t.contains(bad), "{}: {} mentions {bad}", f.key(), q.id());
                }
            }
        }
        // No interviewer name either (§2.0).
        assert!(f.question("interviewer").is_none());
    }
}

#[test]
fn satisfaction_items_are_not_required() {
    for f in catalog().iter() {
        for id in f.satisfaction_items() {
            let q = f.question(id).unwrap();
            assert!(!q.required(), "{}: {id}", f.key());
            assert_eq!(q.kind(), QuestionKind::Scale);
            assert_eq!(q.scale_id(), Some("sat5"));
        }
    }
}

#[test]
fn par_link() {
    for f in catalog().iter() {
        assert_eq!(f.par().edition(), "par-province");
        assert_eq!(f.par().max_points(), Some(10.0));
        assert_eq!(f.par_eligible(), f.key() != "sipas-quick", "{}", f.key());
    }
}

#[test]
fn api_shape_of_a_shipped_form() {
    let v = serde_json::to_value(form("sipas-2017")).unwrap();
    assert_eq!(v["key"], "sipas-2017");
    assert_eq!(v["edition"], "2640");
    assert_eq!(v["languages"], json!(["vi", "en"]));
    assert_eq!(v["scales"][0]["id"], "sat5");
    assert_eq!(v["scales"][0]["satisfied"], json!([4, 5]));
    assert_eq!(v["index"]["id"], "sipas");
    assert_eq!(
        v["index"]["children"][0]["items"],
        json!(["s1", "s2", "s3", "s4"])
    );
    assert_eq!(
        v["par"],
        json!({"edition": "par-province", "max_points": 10.0})
    );
    let s1 = &v["sections"][2]["questions"][0];
    assert_eq!(s1["id"], "s1");
    assert_eq!(s1["kind"], "scale");
    assert_eq!(s1["scale"], "sat5");
    assert_eq!(s1["required"], false);
    assert_eq!(s1["wording_status"], "draft");
    assert_eq!(
        s1["text"]["vi"],
        "Nơi ngồi chờ tại cơ quan/Bộ phận tiếp nhận và trả kết quả có đủ chỗ ngồi"
    );
}

// ── sipas-2017 (§2.1) ───────────────────────────────────────────────────────────────────────

#[test]
fn sipas_2017_structure() {
    let f = form("sipas-2017");
    assert_eq!(f.edition(), "2640");
    assert_eq!(f.legal_basis().instrument(), "2640/QĐ-BNV");
    assert_eq!(f.legal_basis().date(), Some("2017-10-10"));
    assert_eq!(f.satisfaction_items(), ids("s", 1..=22));
    assert_eq!(f.index().id(), "sipas");
    let fs = factors(&f, "sipas");
    let names: Vec<&str> = fs.iter().map(|(n, _)| *n).collect();
    assert_eq!(
        names,
        ["access", "procedure", "civil_servant", "result", "feedback"]
    );
    let counts: Vec<usize> = fs.iter().map(|(_, i)| i.len()).collect();
    assert_eq!(counts, [4, 5, 6, 3, 4]);
    assert_eq!(fs[2].1, ids("s", 10..=15));
    assert_eq!(
        f.index().label().vi(),
        "Chỉ số hài lòng về sự phục vụ hành chính (SIPAS)"
    );

    // No gate: the dossier is the experience (§3.8); no eligibility test.
    assert!(f.questions().all(|q| q.condition().is_none()));
    assert!(f.eligibility().is_none());
    assert!(f.questions().all(|q| !q.required()));

    let g1 = f.question("g1").unwrap();
    assert_eq!(
        (g1.kind(), g1.max_length(), g1.prefill()),
        (QuestionKind::Text, Some(500), Some(Prefill::ProcedureField))
    );
    for (q, n) in [("p1", 4), ("p2", 3), ("p3", 2)] {
        assert_eq!(f.question(q).unwrap().kind(), QuestionKind::SingleChoice);
        assert_eq!(f.question(q).unwrap().options().len(), n, "{q}");
    }
    let o1 = f.question("o1").unwrap();
    assert_eq!(o1.scale_id(), Some("sat5"));
    assert!(
        f.node_of_item("o1").is_none(),
        "o1 is outside the index tree"
    );
    let e1 = f.question("e1").unwrap();
    assert_eq!(e1.kind(), QuestionKind::MultipleChoice);
    assert_eq!(e1.options().len(), 9);
    assert_eq!(option_ids(&f, "d_gender").len(), 2);
    assert_eq!(option_ids(&f, "d_age").len(), 5);
    assert_eq!(option_ids(&f, "d_education").len(), 6);
    assert_eq!(
        f.question("comment").unwrap().text().vi(),
        "Ý kiến khác (xin ghi cụ thể)"
    );

    let order: Vec<&str> = f.questions().map(Question::id).collect();
    let mut want = vec!["g1", "p1", "p2", "p3"];
    let s = ids("s", 1..=22);
    want.extend(s.iter().map(String::as_str));
    want.extend(["o1", "e1", "d_gender", "d_age", "d_education", "comment"]);
    assert_eq!(order, want);

    // [reproduced] exactly where the ward form repeats the wording (§2.1); the rest is [draft].
    let reproduced: Vec<&str> = f
        .questions()
        .filter(|q| q.wording_status() == WordingStatus::Reproduced)
        .map(Question::id)
        .collect();
    assert_eq!(
        reproduced,
        [
            "g1",
            "s10",
            "s15",
            "s16",
            "s19",
            "s20",
            "s21",
            "s22",
            "d_gender",
            "d_age",
            "d_education"
        ]
    );
    assert!(
        f.questions()
            .all(|q| q.wording_status() != WordingStatus::Official)
    );
}

// ── sipas-2023 (§2.2) ───────────────────────────────────────────────────────────────────────

#[test]
fn sipas_2023_structure() {
    let f = form("sipas-2023");
    assert_eq!(f.edition(), "1001");
    assert_eq!(f.legal_basis().instrument(), "1001/QĐ-BNV");
    assert_eq!(f.legal_basis().date(), Some("2023-12-11"));
    assert_eq!(f.satisfaction_items(), ids("q9_", 1..=33));
    assert_eq!(
        factors(&f, "sipas")
            .iter()
            .map(|(n, _)| *n)
            .collect::<Vec<_>>(),
        ["policy", "pas"]
    );
    let policy = factors(&f, "policy");
    assert_eq!(
        policy
            .iter()
            .map(|(n, i)| (*n, i.len()))
            .collect::<Vec<_>>(),
        [
            ("policy.accountability", 2),
            ("policy.participation", 2),
            ("policy.quality", 8),
            ("policy.impact", 2)
        ]
    );
    let pas = factors(&f, "pas");
    assert_eq!(
        pas.iter().map(|(n, i)| (*n, i.len())).collect::<Vec<_>>(),
        [
            ("pas.access", 4),
            ("pas.procedure", 4),
            ("pas.civil_servant", 5),
            ("pas.result", 3),
            ("pas.petition", 3)
        ]
    );
    assert_eq!(pas[0].1, ids("q9_", 15..=18));
    // 12 nodes.
    assert_eq!(f.index().descendants().len(), 12);

    assert!(f.question("q1_9").is_none());
    for q in ids("q1_", 1..=8) {
        assert_eq!(f.scale_of(&q).unwrap().id(), "interest3");
    }
    for q in ids("q8_", 1..=7) {
        let q = f.question(&q).unwrap();
        assert_eq!(q.scale_id(), Some("exp2"));
        assert!(q.required(), "Q8 drives the gates and is required online");
    }
    for q in ids("q10_", 1..=10) {
        assert_eq!(f.scale_of(&q).unwrap().id(), "priority3");
    }
    // q10_8 is reserved: hidden, never applicable, absent from the JSON.
    assert!(f.question("q10_8").unwrap().hidden());
    assert!(!f.is_applicable("q10_8", &answers(json!({}))));
    assert!(!serde_json::to_string(&f).unwrap().contains("\"q10_8\""));

    assert_eq!(
        f.question("q2").unwrap().kind(),
        QuestionKind::MultipleChoice
    );
    assert_eq!(f.question("q2").unwrap().options().len(), 7);
    assert_eq!(option_ids(&f, "q3").len(), 5);
    for q in ["q4", "q5", "q6", "q7"] {
        assert_eq!(option_ids(&f, q).len(), 3, "{q}");
    }
    // q5 correction: the stray "Qua loa phát thanh xã" option is dropped.
    assert!(
        f.question("q5")
            .unwrap()
            .options()
            .iter()
            .all(|o| !o.label().vi().contains("loa"))
    );
    // d_age correction: non-overlapping bands.
    assert_eq!(
        f.question("d_age").unwrap().options()[0].label().vi(),
        "18 - 24 tuổi"
    );
    assert_eq!(
        f.question("l_district").unwrap().visible_until(),
        Some("2025-06-30")
    );
    assert!(f.question("l_district").unwrap().visible_on("2025-06-30"));
    assert!(!f.question("l_district").unwrap().visible_on("2025-07-01"));
    assert!(f.eligibility().is_none());
    assert_eq!(
        f.question("comment").unwrap().text().vi(),
        "Ý kiến khác (xin ghi cụ thể)"
    );
    assert_eq!(f.closing().unwrap().vi(), "XIN TRÂN TRỌNG CẢM ƠN ÔNG/BÀ!");

    for (q, other) in [
        ("d_ethnicity", "d_ethnicity_other"),
        ("d_education", "d_education_other"),
        ("d_occupation", "d_occupation_other"),
        ("q2", "q2_other"),
    ] {
        let o = f.question(other).unwrap();
        assert_eq!(o.kind(), QuestionKind::Text);
        assert_eq!(
            serde_json::to_value(o.condition()).unwrap(),
            json!({"question": q, "in": ["other"]})
        );
        assert!(option_ids(&f, q).contains(&"other".to_string()));
    }
}

#[test]
fn sipas_2023_gate_q8_4_makes_pas_missing() {
    let f = form("sipas-2023");
    let never = answers(json!({"q8_4": 2}));
    let yes = answers(json!({"q8_4": 1}));
    let blank = answers(json!({"q8_4": null}));
    for id in ids("q9_", 15..=33) {
        assert!(!f.is_applicable(&id, &never), "{id}");
        assert!(f.is_applicable(&id, &yes), "{id}");
        assert!(
            f.is_applicable(&id, &blank),
            "{id}: a blank gate gates nothing"
        );
    }
    for id in ids("q9_", 1..=14) {
        assert!(f.is_applicable(&id, &never), "policy is never gated: {id}");
    }
    assert_eq!(f.applicable_satisfaction_items(&never), ids("q9_", 1..=14));
    // Other rows of Q8 gate nothing by default.
    let others = answers(json!({"q8_1": 2, "q8_2": 2, "q8_3": 2, "q8_5": 2, "q8_6": 2, "q8_7": 2}));
    assert_eq!(f.applicable_satisfaction_items(&others).len(), 33);
}

#[test]
fn sipas_2023_scales() {
    let f = form("sipas-2023");
    let ids: Vec<&str> = f.scales().iter().map(Scale::id).collect();
    assert_eq!(ids, ["sat5", "interest3", "priority3", "exp2"]);
    assert_eq!(f.scale("sat5").unwrap().satisfied_levels(), [4, 5]);
    assert_eq!(
        vi_labels(&f, "interest3"),
        ["Không quan tâm", "Quan tâm một chút", "Rất quan tâm"]
    );
    assert_eq!(f.scale("interest3").unwrap().counted_levels(), [2, 3]);
    assert_eq!(vi_labels(&f, "priority3"), ["Ít", "Nhiều", "Rất nhiều"]);
    assert_eq!(f.scale("priority3").unwrap().counted_levels(), [2, 3]);
    assert_eq!(
        f.scale("priority3").unwrap().display_order(),
        DisplayOrder::Descending
    );
    assert_eq!(vi_labels(&f, "exp2"), ["Đã từng/Có", "Chưa từng/Không có"]);
    assert!(f.scale("exp2").unwrap().counted_levels().is_empty());
}

// ── sipas-2024 (§2.3) ───────────────────────────────────────────────────────────────────────

#[test]
fn sipas_2024_structure() {
    let f = form("sipas-2024");
    assert_eq!(f.edition(), "1001");
    assert_eq!(f.satisfaction_items(), ids("q9_", 1..=39));
    let policy = factors(&f, "policy");
    assert_eq!(
        policy
            .iter()
            .map(|(n, i)| (*n, i.len()))
            .collect::<Vec<_>>(),
        [
            ("policy.accountability", 2),
            ("policy.participation", 2),
            ("policy.quality", 9),
            ("policy.impact", 10)
        ]
    );
    let pas = factors(&f, "pas");
    assert_eq!(
        pas.iter().map(|(n, i)| (*n, i.len())).collect::<Vec<_>>(),
        [
            ("pas.access", 3),
            ("pas.procedure", 4),
            ("pas.civil_servant", 3),
            ("pas.result", 3),
            ("pas.petition", 3)
        ]
    );
    // 39 items + 12 aggregates = 51 satisfaction indicators (§2.3).
    assert_eq!(
        f.index().descendants().len() + f.satisfaction_items().len(),
        51
    );

    for q in ids("q1_", 1..=9) {
        assert_eq!(f.scale_of(&q).unwrap().id(), "interest4");
    }
    assert_eq!(
        f.question("q1_9").unwrap().text().vi(),
        "Chính sách cải cách hành chính ở địa phương"
    );
    for q in ids("q3_", 1..=7).into_iter().chain(ids("q7_", 1..=3)) {
        assert_eq!(f.scale_of(&q).unwrap().id(), "fit4");
    }
    for q in ids("q8_", 1..=7) {
        assert_eq!(f.scale_of(&q).unwrap().id(), "yesno");
        assert!(f.question(&q).unwrap().required());
    }
    // The 10 Q10 needs indicators.
    for q in ids("q10_", 1..=10) {
        assert_eq!(f.scale_of(&q).unwrap().id(), "wish4");
        assert!(!f.question(&q).unwrap().hidden());
    }
    assert_eq!(option_ids(&f, "q2").len(), 7);
    assert_eq!(
        f.question("q2").unwrap().kind(),
        QuestionKind::MultipleChoice
    );
    assert_eq!(option_ids(&f, "q4").len(), 4);
    assert_eq!(option_ids(&f, "q5"), ["none", "some", "many"]);
    assert_eq!(option_ids(&f, "q6"), ["none", "some", "many"]);
    assert!(f.question("l_district").is_none());
    assert_eq!(f.question("comment").unwrap().text().vi(), "Ý kiến khác");

    let age = f.question("d_age").unwrap();
    assert_eq!(age.kind(), QuestionKind::Number);
    assert!(age.integer_only());
    assert_eq!(age.bounds(), (Some(0), Some(120)));

    let scales: Vec<(&str, Vec<String>, &[i64])> = ["interest4", "fit4", "wish4", "yesno"]
        .iter()
        .map(|s| (*s, vi_labels(&f, s), f.scale(s).unwrap().counted_levels()))
        .collect();
    assert_eq!(
        scales[0].1,
        [
            "Không quan tâm theo dõi",
            "Khá quan tâm theo dõi",
            "Quan tâm theo dõi",
            "Rất quan tâm theo dõi"
        ]
    );
    assert_eq!(
        scales[1].1,
        ["Không phù hợp", "Khá phù hợp", "Phù hợp", "Rất phù hợp"]
    );
    assert_eq!(
        scales[2].1,
        [
            "Không mong muốn",
            "Khá mong muốn",
            "Mong muốn",
            "Rất mong muốn"
        ]
    );
    assert_eq!(scales[3].1, ["Có", "Không"]);
    for (s, _, counted) in &scales[..3] {
        assert_eq!(*counted, [3, 4], "{s}");
    }
    assert!(scales[3].2.is_empty());
}

#[test]
fn sipas_2024_gate_needs_both_q8_3_and_q8_4_no() {
    let f = form("sipas-2024");
    // (q8_3, q8_4) → PAS applicable? Gated only when both are answered Không (2).
    let cases = [
        (json!(2), json!(2), false),
        (json!(1), json!(2), true),
        (json!(2), json!(1), true),
        (json!(1), json!(1), true),
        (json!(2), Value::Null, true),
        (Value::Null, json!(2), true),
        (Value::Null, Value::Null, true),
    ];
    for (a, b, expected) in cases {
        let ans = answers(json!({"q8_3": a, "q8_4": b}));
        for id in ids("q9_", 24..=39) {
            assert_eq!(
                f.is_applicable(&id, &ans),
                expected,
                "{id} with q8_3={a}, q8_4={b}"
            );
        }
        assert_eq!(
            f.applicable_satisfaction_items(&ans).len(),
            if expected { 39 } else { 23 }
        );
    }
}

#[test]
fn sipas_2024_eligibility_is_age_18() {
    let f = form("sipas-2024");
    assert!(!f.is_eligible(&answers(json!({"d_age": 17}))));
    assert!(f.is_eligible(&answers(json!({"d_age": 18}))));
    assert!(f.is_eligible(&answers(json!({}))));
    assert!(form("sipas-2017").is_eligible(&answers(json!({"d_age": "18_24"}))));
}

// ── sipas-quick (§2.4) ──────────────────────────────────────────────────────────────────────

#[test]
fn sipas_quick_structure() {
    let f = form("sipas-quick");
    assert_eq!(f.satisfaction_items(), ids("s", 1..=9));
    assert_eq!(f.index().id(), "index");
    assert_eq!(f.index().label().vi(), "Chỉ số hài lòng (mẫu rút gọn)");
    let fs = factors(&f, "index");
    assert_eq!(
        fs.iter().map(|(n, i)| (*n, i.len())).collect::<Vec<_>>(),
        [("civil_servant", 3), ("result", 2), ("feedback", 4)]
    );
    assert!(!f.par_eligible());
    assert_eq!(
        f.scale("sat5").unwrap().display_order(),
        DisplayOrder::Descending
    );
    assert_eq!(
        option_ids(&f, "d_education"),
        [
            "primary",
            "lower_secondary",
            "upper_secondary",
            "university",
            "vocational",
            "postgraduate"
        ]
    );
    let order: Vec<&str> = f.questions().map(Question::id).collect();
    let mut want = vec!["g1"];
    let s = ids("s", 1..=9);
    want.extend(s.iter().map(String::as_str));
    want.extend(["d_gender", "d_age", "d_education", "comment"]);
    assert_eq!(order, want);
    assert!(
        f.questions()
            .all(|q| !q.required() && q.condition().is_none())
    );
    assert_eq!(f.closing().unwrap().vi(), "Trân trọng cảm ơn Ông/Bà!");
    // Same wording as the 2640 criteria it reuses.
    let f17 = form("sipas-2017");
    for (quick, full) in [
        ("s1", "s10"),
        ("s3", "s15"),
        ("s4", "s16"),
        ("s6", "s19"),
        ("s7", "s20"),
        ("s8", "s21"),
        ("s9", "s22"),
    ] {
        assert_eq!(
            f.question(quick).unwrap().text().vi(),
            f17.question(full).unwrap().text().vi()
        );
    }
}

#[test]
fn non_official_wordings_are_listed() {
    for f in catalog().iter() {
        let listed = f.non_official_wordings();
        // No wording is official yet (§0): every question is listed.
        let questions = f.questions().count();
        assert!(listed.len() >= questions, "{}", f.key());
    }
}

#[test]
fn openapi_schemas_build() {
    #[derive(utoipa::OpenApi)]
    #[openapi(components(schemas(FormDefinition, FormSummary)))]
    struct Doc;
    let doc = <Doc as utoipa::OpenApi>::openapi();
    let json = serde_json::to_value(&doc).unwrap();
    let schemas = &json["components"]["schemas"];
    for name in [
        "FormDefinition",
        "FormSummary",
        "Question",
        "Scale",
        "IndexNode",
        "Condition",
        "Text",
    ] {
        assert!(schemas.get(name).is_some(), "no schema {name}: {schemas}");
    }
}

#[test]
fn readme_example_is_valid() {
    let readme = std::fs::read_to_string(dir().join("README.md")).unwrap();
    let from = readme.find("## A complete annotated example").unwrap();
    let rest = &readme[from..];
    let start = rest.find("```toml\n").unwrap() + "```toml\n".len();
    let end = rest[start..].find("```").unwrap();
    let f = parse_form_str("example.v1.toml", &rest[start..start + end])
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(f.satisfaction_items(), ["s1", "s2"]);
    assert!(!f.is_applicable("s1", &answers(json!({"q8_4": 2}))));
    assert!(f.is_applicable(
        "d_ethnicity_other",
        &answers(json!({"d_ethnicity": "other"}))
    ));
    assert!(!f.is_applicable(
        "d_ethnicity_other",
        &answers(json!({"d_ethnicity": "kinh"}))
    ));
    assert!(!f.is_eligible(&answers(json!({"d_age": 16}))));
}

#[test]
fn the_binary_carries_every_shipped_form_unchanged() {
    let built_in = FormCatalog::official().unwrap_or_else(|e| panic!("{e}"));
    let on_disk = catalog();
    assert_eq!(built_in.len(), on_disk.len());
    assert_eq!(built_in.len(), 4);
    for form in on_disk.iter() {
        let other = built_in.get(form.key(), form.version()).unwrap();
        assert_eq!(other.checksum(), form.checksum());
        assert_eq!(
            built_in.source(form.key(), form.version()),
            on_disk.source(form.key(), form.version())
        );
    }
}

#[test]
fn a_folder_adds_versions_but_cannot_change_a_built_in_one() {
    let quick = std::fs::read_to_string(dir().join("sipas-quick.v1.toml")).unwrap();
    let folder = |files: Vec<(&str, String)>| {
        FormCatalog::from_sources(files.into_iter().map(|(n, t)| (n.to_owned(), t)).collect())
            .unwrap()
    };
    // The same version again (a comment is not content): accepted, the built-in text is kept.
    let same = folder(vec![(
        "sipas-quick.v1.toml",
        format!("# local copy\n{quick}"),
    )]);
    let merged = FormCatalog::official().unwrap().with_added(same).unwrap();
    assert_eq!(merged.len(), 4);
    assert_eq!(merged.source("sipas-quick", 1), Some(quick.as_str()));
    assert_eq!(
        merged.get("sipas-quick", 1).unwrap().status(),
        FormStatus::Published
    );
    // A copy that says `retired = true` retires the built-in version.
    let retired = quick.replacen("version = 1", "version = 1\nretired = true", 1);
    let merged = FormCatalog::official()
        .unwrap()
        .with_added(folder(vec![("sipas-quick.v1.toml", retired)]))
        .unwrap();
    assert_eq!(
        merged.get("sipas-quick", 1).unwrap().status(),
        FormStatus::Retired
    );
    // A new version joins the built-in ones.
    let v2 = quick.replacen("version = 1", "version = 2", 1);
    let merged = FormCatalog::official()
        .unwrap()
        .with_added(folder(vec![("sipas-quick.v2.toml", v2)]))
        .unwrap();
    assert_eq!(merged.latest("sipas-quick").unwrap().version(), 2);
    assert!(merged.get("sipas-quick", 1).is_some());
    // Other content under a built-in key + version: refused, naming the file.
    let edited = quick.replacen(
        "Công chức có thái độ giao tiếp lịch sự",
        "Công chức lịch sự",
        1,
    );
    assert_ne!(edited, quick);
    let errs = FormCatalog::official()
        .unwrap()
        .with_added(folder(vec![("sipas-quick.v1.toml", edited)]))
        .unwrap_err();
    let text = errs.to_string();
    assert!(
        text.contains("sipas-quick.v1.toml") && text.contains("already published"),
        "{text}"
    );
    assert!(matches!(
        errs.errors()[0].kind,
        FormErrorKind::ChangesBuiltIn { .. }
    ));
}
