//! Tests of `export::raw`: headers, cells, JSON rows, file names, and workbooks over several sheets.

use super::xlsx::{excel_string, write_xlsx};
use super::*;
use crate::domain::forms::PublishedForms;
use calamine::{Data, Reader, Xlsx};
use serde_json::json;

fn form(key: &str) -> Arc<PublishedForm> {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("survey-forms");
    let catalog = crate::persistence::form_files::load_dir(&dir).unwrap();
    let forms = PublishedForms::new(&catalog, |_, _| false).unwrap();
    forms.current(key).unwrap().clone()
}

fn job(format: Format, language: Lang) -> Job {
    Job::new(RawExport {
        agencies: vec![ExportAgency {
            id: Uuid::nil(),
            code: "SỞ-1".into(),
            months: None,
        }],
        form: form("sipas-2017"),
        months: ("2025-01".into(), "2025-12".into()),
        format,
        language,
        bom: false,
        k: 10,
        part: Part::Rows,
    })
}

fn row(answers: Value) -> ExportRow {
    ExportRow {
        id: Uuid::new_v4(),
        period_month: "2025-03".into(),
        channel: "online".into(),
        mode: "paper".into(),
        procedure_field: Some("Đất đai".into()),
        valid: false,
        invalid_reason: Some("too_many_blanks".into()),
        answers: answers.to_string(),
    }
}

#[test]
fn the_header_is_the_fixed_labels_then_every_visible_question_in_form_order() {
    let f = form("sipas-2017");
    let vi = header(&f.definition, Lang::Vi);
    let en = header(&f.definition, Lang::En);
    assert_eq!(vi[0], "Mã phiếu trả lời");
    assert_eq!(vi[4], "Lĩnh vực thủ tục hành chính");
    assert_eq!(en[7], "Month of completion");
    let questions: Vec<&str> = f
        .definition
        .questions()
        .filter(|q| !q.hidden() && q.kind() != QuestionKind::Text)
        .map(|q| q.id())
        .collect();
    assert_eq!(&vi[10..], &questions[..]);
    assert_eq!(&en[10..], &questions[..]);
    // Free text (g1 and the other text questions) is never a column: `part=comments`.
    assert_eq!(vi[10], "p1");
    assert!(!vi.iter().any(|h| h == "g1"));
    assert_eq!(vi.len(), 10 + questions.len());
}

#[test]
fn cells_are_typed_and_multiple_choice_follows_the_form_order() {
    let job = job(Format::Csv, Lang::Vi);
    let r = row(json!({
        "p1": "=HYPERLINK(\"x\")",
        "s1": 4,
        "e1": ["shorter_time", "info_channels", "facilities"],
    }));
    let values = job.values(0, &r).unwrap();
    assert_eq!(values[0], json!(r.id.to_string()));
    assert_eq!(values[1], json!("sipas-2017"));
    assert_eq!(values[2], json!(1));
    assert_eq!(values[3], json!("SỞ-1"));
    assert_eq!(values[8], json!(false));
    assert_eq!(values[9], json!("too_many_blanks"));
    let at = |id: &str| {
        10 + job
            .layout
            .questions
            .iter()
            .position(|q| q.id == id)
            .unwrap()
    };
    assert_eq!(
        values[at("e1")],
        json!(["info_channels", "facilities", "shorter_time"])
    );
    assert_eq!(values[at("s2")], Value::Null);
    assert_eq!(
        csv_cell(&values[at("e1")]),
        "info_channels;facilities;shorter_time"
    );
    assert_eq!(csv_cell(&values[at("p1")]), "'=HYPERLINK(\"x\")");
    assert_eq!(csv_cell(&values[at("s1")]), "4");
    assert_eq!(csv_cell(&values[at("s2")]), "");
    assert_eq!(csv_cell(&json!(true)), "true");
    assert_eq!(csv_cell(&json!(-2.5)), "-2.5");
    assert_eq!(csv_cell(&json!("-1 điểm")), "'-1 điểm");
    assert_eq!(csv_cell(&json!("Tốt")), "Tốt");
}

#[test]
fn a_json_row_has_the_fixed_keys_and_every_answer_in_form_order() {
    let job = job(Format::Json, Lang::Vi);
    let r = row(json!({"s1": 5, "e1": ["facilities"], "g1": "Cán bộ nhiệt tình"}));
    let values = job.values(0, &r).unwrap();
    let mut out = Vec::new();
    write_json_row(&mut out, &job, &values).unwrap();
    let text = String::from_utf8(out).unwrap();
    let parsed: Value = serde_json::from_str(&text).unwrap();
    let keys: Vec<&str> = parsed
        .as_object()
        .unwrap()
        .keys()
        .map(String::as_str)
        .collect();
    let mut want: Vec<&str> = FIXED_COLUMNS.iter().map(|c| c.0).collect();
    want.push("answers");
    want.sort_unstable();
    assert_eq!(keys, want);
    assert!(parsed["answers"].get("g1").is_none(), "free text stays out");
    assert_eq!(parsed["answers"]["e1"], json!(["facilities"]));
    assert_eq!(parsed["answers"]["s2"], Value::Null);
    assert_eq!(
        parsed["answers"].as_object().unwrap().len(),
        job.layout.questions.len()
    );
    // Written in form order: p1 before s1.
    let (p1, s1) = (text.find("\"p1\"").unwrap(), text.find("\"s1\"").unwrap());
    assert!(p1 < s1, "{text}");
}

#[test]
fn file_names_are_ascii_and_say_what_is_in_them() {
    let f = form("sipas-2017");
    assert_eq!(
        file_name("SNV.HG", false, &f.definition, "2025-Q1", Format::Csv),
        "sipas-responses_SNV.HG_sipas-2017-v1_2025-Q1.csv"
    );
    assert_eq!(
        file_name("SỞ 1", true, &f.definition, "2025-02/2026-01", Format::Xlsx),
        "sipas-responses_S__1-subtree_sipas-2017-v1_2025-02_2026-01.xlsx"
    );
}

#[test]
fn excel_strings_are_cut_at_excels_limit_on_a_character_boundary() {
    let long = "ệ".repeat(XLSX_MAX_STRING + 5);
    assert_eq!(excel_string(&long).chars().count(), XLSX_MAX_STRING);
    assert_eq!(excel_string("ngắn"), "ngắn");
}

#[tokio::test]
async fn a_workbook_longer_than_a_sheet_continues_on_the_next_with_the_header_again() {
    let job = Arc::new(job(Format::Xlsx, Lang::Vi));
    let (tx, rx) = mpsc::channel(2);
    let rows: Vec<ExportRow> = (1..=5)
        .map(|i| row(json!({"s1": i, "g1": format!("Ý kiến số {i}"), "e1": ["lower_fees", "facilities"]})))
        .collect();
    let ids: Vec<String> = rows.iter().map(|r| r.id.to_string()).collect();
    tx.send((0, rows)).await.unwrap();
    drop(tx);
    // 3 rows a sheet: the header and two responses.
    let writer = Arc::clone(&job);
    let (file, length) = tokio::task::spawn_blocking(move || write_xlsx(rx, &writer, 3))
        .await
        .unwrap()
        .unwrap();
    assert!(length > 0);
    let mut book = Xlsx::new(std::io::BufReader::new(file)).unwrap();
    assert_eq!(
        book.sheet_names(),
        vec!["Phiếu trả lời", "Phiếu trả lời (2)", "Phiếu trả lời (3)"]
    );
    let mut seen = Vec::new();
    for name in book.sheet_names() {
        let range = book.worksheet_range(&name).unwrap();
        let mut rows = range.rows();
        let head: Vec<String> = rows.next().unwrap().iter().map(|c| c.to_string()).collect();
        assert_eq!(head, job.header);
        for r in rows {
            seen.push(r[0].to_string());
            assert_eq!(r[2], Data::Float(1.0));
            assert_eq!(r[3], Data::String("SỞ-1".into()));
            assert_eq!(r[4], Data::String("Đất đai".into()));
            assert_eq!(r[8], Data::Bool(false));
            assert!(!r.iter().any(|c| c.to_string().starts_with("Ý kiến số ")));
        }
    }
    assert_eq!(seen, ids);
}
