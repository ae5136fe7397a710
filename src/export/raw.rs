//! The raw anonymous answers of one form version, one row per response, as CSV, XLSX or JSON
//! — written a page at a time to a temporary file ([`materialise`]), then sent from it:
//! whatever the number of responses, the process holds one page of rows at a time, and the
//! database is done with before the client gets the first byte.
//!
//! **What a row holds** is exactly what a stored response holds (docs/privacy.md), in this
//! order: [`FIXED_COLUMNS`] (response id, form key and version, agency code, procedure field,
//! channel, mode, month of completion, validity and the reason of an invalid return), then one
//! column per question of the form version, in form order (reserved, hidden ids left out).
//! Never a token, dossier code, contact or time finer than the month: the row has none to give.
//!
//! **Cells.** Unanswered: empty (JSON `null`). Scale levels and numbers are numbers, yes/no is
//! `true`/`false` (XLSX booleans), single choice the option id, free text as stored (NFC,
//! contacts masked). Multiple choice is the option ids **in the form's option order** — not
//! the order they were ticked, so the same answer always reads the same — joined with `;` in
//! CSV and XLSX (what `sipas responses import` reads back) and an array in JSON. Channel, mode
//! and invalid reason are their codes (`in_person`, `paper`, `too_many_blanks`).
//!
//! **Formats.**
//! - CSV (RFC 4180, `,`, quoted when needed): a header line of the fixed columns' labels in
//!   the requested language (Vietnamese by default, diacritics intact) and the question ids.
//!   A text cell that a spreadsheet would run as a formula (starting with `= + - @`, tab or
//!   carriage return) gets a leading `'`. Optionally a UTF-8 byte-order mark first: Excel
//!   reads a CSV as UTF-8 (and shows "Lĩnh vực" rather than mojibake) only with one, while most
//!   programs would take it as part of the first header, so it is opt-in (`bom`).
//! - XLSX (rust_xlsxwriter in constant-memory mode: each finished row goes to a temporary
//!   file, strings inline): the same header in bold, frozen; typed cells. A sheet holds at most
//!   1,048,576 rows, so a longer export continues on "… (2)" with the header again. ZIP64 is
//!   switched on only when a sheet may pass 4 GiB.
//! - JSON: one array, written as it goes, of objects `{"response_id", "form_key",
//!   "form_version", "agency_code", "procedure_field", "channel", "mode", "month", "valid",
//!   "invalid_reason", "answers": {"<question id>": value|null, …}}` (answers in form order).
//!
//! **Order and memory.** Agencies in the order given (the callers: by code), within each month
//! by month, within each by response id (random, so no order of submission shows), given a page
//! at a time by a [`RowSource`] — `app::export`, which reads them in keyset order in one
//! read-only transaction (one consistent snapshot, one warm page cache) and generalises their
//! quasi-identifiers as planned. CSV and JSON encode each page as it is given; XLSX hands pages
//! to a blocking writer thread through a channel of two pages. Nothing here reads a database.
//!
//! **The file.** An anonymous temporary file in `TMPDIR`, gone when the last client sent it is
//! done. The export is written completely before it is sent, so an error is still an error
//! response and the length is known (`Content-Length`); the client then reads at its own pace
//! without holding a database connection, and clients asking for the same export at once are
//! sent one file ([`Materialised::chunks`]).
//!
//! Callers: `app::export`, for the API (`GET /api/v1/responses/export`, `http::export`) and the
//! officer pages; each checks who may read which agencies before building a [`RawExport`].

use std::collections::HashMap;
use std::io::{BufWriter, Seek, SeekFrom, Write};
use std::sync::Arc;

use bytes::Bytes;
use futures_util::Stream;
use rust_xlsxwriter::{Format as CellFormat, Workbook, XlsxError};
use serde_json::Value;
use tokio::sync::mpsc;
use uuid::Uuid;

use crate::domain::forms::{FormDefinition, PublishedForm, QuestionKind};
use crate::domain::lang::Lang;
use crate::domain::responses::{ExportRow, shuffle};

mod xlsx;
use xlsx::xlsx_file;

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests;

/// Responses read per query.
pub const PAGE_ROWS: u64 = 1_000;
/// Rows of an XLSX sheet, header included (Excel's limit).
pub const XLSX_SHEET_ROWS: u32 = 1_048_576;
/// Excel's longest string in a cell, in characters.
const XLSX_MAX_STRING: usize = 32_767;
/// Above this estimate of a sheet's XML, the workbook is written with ZIP64 (the plain ZIP
/// limit is 4 GiB per member).
const ZIP64_ABOVE_BYTES: u64 = 3 << 30;
/// Bytes of the XLSX file sent per chunk.
const FILE_CHUNK: usize = 64 * 1024;
/// What separates the option ids of a multiple-choice answer in CSV and XLSX.
pub const OPTION_SEPARATOR: &str = ";";
/// The UTF-8 byte-order mark.
const BOM: &[u8] = b"\xEF\xBB\xBF";

/// The columns before the questions: JSON key, Vietnamese header, English header.
pub const FIXED_COLUMNS: [(&str, &str, &str); 10] = [
    ("response_id", "Mã phiếu trả lời", "Response id"),
    ("form_key", "Mẫu phiếu", "Form"),
    ("form_version", "Phiên bản mẫu phiếu", "Form version"),
    ("agency_code", "Mã cơ quan", "Agency code"),
    (
        "procedure_field",
        "Lĩnh vực thủ tục hành chính",
        "Procedure field",
    ),
    ("channel", "Kênh nộp hồ sơ", "Channel"),
    ("mode", "Hình thức trả lời", "Response mode"),
    ("month", "Tháng hoàn thành hồ sơ", "Month of completion"),
    ("valid", "Phiếu hợp lệ", "Valid"),
    (
        "invalid_reason",
        "Lý do không hợp lệ",
        "Reason it is invalid",
    ),
];

/// A file format of the export.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Csv,
    Xlsx,
    Json,
}

impl Format {
    /// `csv`, `xlsx` or `json`.
    pub fn parse(raw: &str) -> Option<Self> {
        match raw {
            "csv" => Some(Self::Csv),
            "xlsx" => Some(Self::Xlsx),
            "json" => Some(Self::Json),
            _ => None,
        }
    }

    /// The name, also the file extension.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Csv => "csv",
            Self::Xlsx => "xlsx",
            Self::Json => "json",
        }
    }

    /// The media type of the body.
    pub fn content_type(self) -> &'static str {
        match self {
            Self::Csv => "text/csv; charset=utf-8; header=present",
            Self::Xlsx => "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
            Self::Json => "application/json",
        }
    }
}

/// The name of the XLSX file's sheet `number` (from 1) in `language`: one sheet holds at most
/// Excel's row limit, so a long export continues on "Responses (2)", …
fn sheet_name(language: Lang, number: usize) -> String {
    let base = match language {
        Lang::Vi => "Phiếu trả lời",
        Lang::En => "Responses",
    };
    if number <= 1 {
        base.to_owned()
    } else {
        format!("{base} ({number})")
    }
}

/// An agency whose responses are exported.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct ExportAgency {
    pub id: Uuid,
    pub code: String,
    /// The runs of months (`YYYY-MM`, inclusive) of the export whose responses are written: an
    /// agency below the exported agency for part of the period only (issue 21); `None`: every
    /// month of the export.
    pub months: Option<Vec<(String, String)>>,
}

impl ExportAgency {
    /// Whether its responses of `month` (`YYYY-MM`) are written.
    pub fn exports(&self, month: &str) -> bool {
        (self.months.as_ref()).is_none_or(|runs| {
            (runs.iter()).any(|(a, b)| a.as_str() <= month && month <= b.as_str())
        })
    }
}

/// What to export: checked and scoped by the caller (who may read these agencies is not
/// looked at here).
#[derive(Debug, Clone)]
pub struct RawExport {
    /// The agencies, in the order their rows are written.
    pub agencies: Vec<ExportAgency>,
    /// The one form version exported.
    pub form: Arc<PublishedForm>,
    /// First and last month, `YYYY-MM`, inclusive.
    pub months: (String, String),
    pub format: Format,
    /// The language of the fixed columns' headers and the sheet's name.
    pub language: Lang,
    /// CSV only: start with a UTF-8 byte-order mark (for Excel).
    pub bom: bool,
    /// Every combination of month, channel, mode and procedure field written appears in at
    /// least this many rows of its agency (`results.suppress_below`; `domain::anonymity`).
    pub k: u64,
    /// The rows (without free text), or the free-text answers apart ([`comments`]).
    pub part: Part,
}

/// Which part of the answers an export holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Part {
    /// One row per response, every answer but free text.
    #[default]
    Rows,
    /// The free-text answers alone, one per line (agency, month, question, text), shuffled:
    /// never joined to the rows, whose other answers and quasi-identifiers would name whoever
    /// wrote them.
    Comments,
}

/// An export written out: a temporary file (anonymous: gone when the last holder drops it)
/// that any number of clients can be sent, each from its own offset ([`Materialised::chunks`]).
pub struct Materialised {
    /// The media type.
    pub content_type: &'static str,
    /// The length in bytes.
    pub length: u64,
    /// Rows written (`Part::Comments`: comments written).
    pub rows: u64,
    /// Values left blank so that every combination of quasi-identifiers is common enough.
    pub generalised_values: u64,
    /// Rows left out: their combination was rare even with every value blank (a month with
    /// fewer answers than `k`).
    pub withheld_rows: u64,
    file: std::fs::File,
}

impl std::fmt::Debug for Materialised {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Materialised")
            .field("content_type", &self.content_type)
            .field("length", &self.length)
            .field("rows", &self.rows)
            .field("generalised_values", &self.generalised_values)
            .field("withheld_rows", &self.withheld_rows)
            .finish_non_exhaustive()
    }
}

impl Materialised {
    /// The file's bytes from the start, [`FILE_CHUNK`] at a time, read at an offset of this
    /// stream's own (positional reads on the blocking pool), so clients sent the same file at
    /// once do not disturb each other.
    pub fn chunks(self: Arc<Self>) -> impl Stream<Item = Result<Bytes, ExportError>> + Send {
        futures_util::stream::try_unfold((self, 0u64), |(file, at)| async move {
            if at >= file.length {
                return Ok(None);
            }
            let reader = Arc::clone(&file);
            let chunk = tokio::task::spawn_blocking(move || {
                use std::os::unix::fs::FileExt;
                let mut buf = vec![0u8; FILE_CHUNK];
                let n = reader.file.read_at(&mut buf, at)?;
                buf.truncate(n);
                Ok::<_, std::io::Error>(buf)
            })
            .await
            .map_err(|e| ExportError::Writer(e.to_string()))??;
            if chunk.is_empty() {
                return Err(ExportError::Io(std::io::ErrorKind::UnexpectedEof.into()));
            }
            let next = at + chunk.len() as u64;
            Ok(Some((Bytes::from(chunk), (file, next))))
        })
    }
}

/// Why an export failed.
#[derive(Debug, thiserror::Error)]
pub enum ExportError {
    #[error("reading the responses failed: {0}")]
    Database(String),
    #[error("a stored response has answers that are not a JSON object: {0}")]
    Answers(#[source] serde_json::Error),
    #[error("writing CSV failed: {0}")]
    Csv(#[from] csv::Error),
    #[error("writing the workbook failed: {0}")]
    Xlsx(#[from] XlsxError),
    #[error("a temporary file failed: {0}")]
    Io(#[from] std::io::Error),
    #[error("the workbook writer stopped: {0}")]
    Writer(String),
}

/// The download's file name: `sipas-responses_{agency}[-subtree]_{form}-v{n}_{period}.{ext}`,
/// reduced to ASCII letters, digits, `.`, `-` and `_` (a period range's `/` becomes `_`).
pub fn file_name(
    agency_code: &str,
    subtree: bool,
    form: &FormDefinition,
    period_label: &str,
    format: Format,
) -> String {
    let raw = format!(
        "sipas-responses_{agency_code}{}_{}-v{}_{period_label}",
        if subtree { "-subtree" } else { "" },
        form.key(),
        form.version()
    );
    let safe: String = raw
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '_') {
                c
            } else {
                '_'
            }
        })
        .collect();
    format!("{safe}.{}", format.as_str())
}

/// The header row of CSV and XLSX: the fixed columns' labels in `language`, then the question
/// ids in form order.
pub fn header(form: &FormDefinition, language: Lang) -> Vec<String> {
    FIXED_COLUMNS
        .iter()
        .map(|(_, vi, en)| match language {
            Lang::Vi => (*vi).to_owned(),
            Lang::En => (*en).to_owned(),
        })
        .chain(Layout::of(form).questions.into_iter().map(|q| q.id))
        .collect()
}

/// Where an export's rows come from (`app::export` reads them from the database in one
/// snapshot): a page of one agency's rows at a time, in the order they are written, their
/// quasi-identifiers already generalised as planned (`domain::anonymity`).
pub trait RowSource: Send {
    /// The next non-empty page with the index of its agency in [`RawExport::agencies`]; `None`
    /// at the end.
    fn next_page(
        &mut self,
    ) -> impl Future<Output = Result<Option<(usize, Vec<ExportRow>)>, ExportError>> + Send;
    /// Done reading (the source lets its snapshot go).
    fn finish(&mut self) -> impl Future<Output = Result<(), ExportError>> + Send;
    /// Values generalised and rows withheld in the whole export.
    fn totals(&self) -> (u64, u64);
}

/// Writes `export`, its rows read from `pages`, to a temporary file. Rows are read a page at a
/// time and written as they come, so memory holds one page whatever the size; the source is
/// done with before the first byte is sent, so a client that reads slowly holds no connection.
pub async fn materialise(
    pages: impl RowSource,
    export: RawExport,
) -> Result<Materialised, ExportError> {
    if export.part == Part::Comments {
        return comments(pages, export).await;
    }
    let job = Arc::new(Job::new(export));
    let content_type = job.export.format.content_type();
    let (generalised_values, withheld_rows) = pages.totals();
    let (file, length, rows) = match job.export.format {
        Format::Csv | Format::Json => text_file(pages, Arc::clone(&job)).await?,
        Format::Xlsx => xlsx_file(pages, &job, XLSX_SHEET_ROWS).await?,
    };
    Ok(Materialised {
        content_type,
        length,
        rows,
        generalised_values,
        withheld_rows,
        file,
    })
}

/// One question column.
#[derive(Debug, Clone)]
struct QuestionColumn {
    id: String,
    kind: QuestionKind,
    /// Option id → its place in the form (multiple choice).
    option_rank: HashMap<String, usize>,
}

/// The question columns of a form version.
#[derive(Debug, Clone)]
struct Layout {
    questions: Vec<QuestionColumn>,
}

impl Layout {
    fn of(form: &FormDefinition) -> Self {
        // Free text is never in a row: a sentence can name its writer (`&part=comments`).
        let questions = form
            .questions()
            .filter(|q| !q.hidden() && q.kind() != QuestionKind::Text)
            .map(|q| QuestionColumn {
                id: q.id().to_owned(),
                kind: q.kind(),
                option_rank: q
                    .options()
                    .iter()
                    .enumerate()
                    .map(|(i, o)| (o.id().to_owned(), i))
                    .collect(),
            })
            .collect();
        Self { questions }
    }
}

/// An export being produced.
struct Job {
    export: RawExport,
    layout: Layout,
    header: Vec<String>,
}

impl Job {
    fn new(export: RawExport) -> Self {
        let layout = Layout::of(&export.form.definition);
        let header = header(&export.form.definition, export.language);
        Self {
            export,
            layout,
            header,
        }
    }

    /// Every cell of a row: the fixed columns, then the answers in column order.
    fn values(&self, agency: usize, row: &ExportRow) -> Result<Vec<Value>, ExportError> {
        let form = &self.export.form.definition;
        let code = self
            .export
            .agencies
            .get(agency)
            .map(|a| a.code.as_str())
            .unwrap_or_default();
        let mut values = Vec::with_capacity(FIXED_COLUMNS.len() + self.layout.questions.len());
        values.extend([
            Value::from(row.id.to_string()),
            Value::from(form.key()),
            Value::from(form.version()),
            Value::from(code),
            row.procedure_field.clone().map_or(Value::Null, Value::from),
            blank_as_null(&row.channel),
            blank_as_null(&row.mode),
            Value::from(row.period_month.as_str()),
            Value::from(row.valid),
            row.invalid_reason.clone().map_or(Value::Null, Value::from),
        ]);
        let mut answers: HashMap<String, Value> =
            serde_json::from_str(&row.answers).map_err(ExportError::Answers)?;
        for q in &self.layout.questions {
            let value = answers.remove(&q.id).unwrap_or(Value::Null);
            values.push(normalise(q, value));
        }
        Ok(values)
    }
}

/// A generalised (blank) channel or mode is `null`, like an absent procedure field.
fn blank_as_null(value: &str) -> Value {
    if value.is_empty() {
        Value::Null
    } else {
        Value::from(value)
    }
}

/// A multiple-choice answer in the form's option order (unknown ids, which validation never
/// lets in, last, by id); anything else as stored.
fn normalise(q: &QuestionColumn, value: Value) -> Value {
    match (q.kind, value) {
        (QuestionKind::MultipleChoice, Value::Array(mut items)) => {
            items.sort_by_key(|v| {
                let id = v.as_str().unwrap_or_default().to_owned();
                (q.option_rank.get(&id).copied().unwrap_or(usize::MAX), id)
            });
            Value::Array(items)
        }
        (_, value) => value,
    }
}

/// A cell as text (CSV): empty for unanswered, `true`/`false`, numbers as JSON writes them,
/// option lists joined, strings that could be formulas neutralised.
fn csv_cell(value: &Value) -> String {
    match value {
        Value::Null => String::new(),
        Value::Bool(b) => b.to_string(),
        Value::Number(n) => n.to_string(),
        Value::String(s) => not_a_formula(s),
        Value::Array(items) => not_a_formula(&joined(items)),
        Value::Object(_) => not_a_formula(&value.to_string()),
    }
}

fn joined(items: &[Value]) -> String {
    items
        .iter()
        .map(|v| match v {
            Value::String(s) => s.clone(),
            other => other.to_string(),
        })
        .collect::<Vec<_>>()
        .join(OPTION_SEPARATOR)
}

/// A spreadsheet runs a cell starting with `= + - @` (or tab, carriage return) as a formula;
/// free text is the citizen's, so it is made text with a leading `'` (OWASP's advice).
fn not_a_formula(s: &str) -> String {
    if s.starts_with(['=', '+', '-', '@', '\t', '\r']) {
        format!("'{s}")
    } else {
        s.to_owned()
    }
}

/// The free-text answers of `export`, apart from their rows: every text question's answer of
/// every row the row export would write (a withheld row's comments are withheld too), as
/// (agency code, month, question id, text), shuffled, so neither their order nor a row id ties
/// them to a row. CSV, or JSON (an array of objects); the caller refuses XLSX.
/// Held in memory: free text is a small part of the answers.
async fn comments(
    mut pages: impl RowSource,
    export: RawExport,
) -> Result<Materialised, ExportError> {
    let text: Vec<String> = export
        .form
        .definition
        .questions()
        .filter(|q| !q.hidden() && q.kind() == QuestionKind::Text)
        .map(|q| q.id().to_owned())
        .collect();
    let job = Arc::new(Job::new(export));
    let (generalised_values, withheld_rows) = pages.totals();
    let mut lines: Vec<[String; 4]> = Vec::new();
    while let Some((agency, rows)) = pages.next_page().await? {
        let code = job.export.agencies.get(agency).map(|a| a.code.clone());
        for row in rows {
            let answers: HashMap<String, Value> =
                serde_json::from_str(&row.answers).map_err(ExportError::Answers)?;
            for id in &text {
                if let Some(Value::String(t)) = answers.get(id).filter(|v| v.is_string()) {
                    let code = code.clone().unwrap_or_default();
                    lines.push([code, row.period_month.clone(), id.clone(), t.clone()]);
                }
            }
        }
    }
    pages.finish().await?;
    shuffle(&mut lines);
    let body =
        match job.export.format {
            Format::Json => {
                let objects: Vec<Value> = lines
                .iter()
                .map(|[a, m, q, t]| {
                    serde_json::json!({"agency_code": a, "month": m, "question_id": q, "text": t})
                })
                .collect();
                serde_json::to_vec(&objects).map_err(ExportError::Answers)?
            }
            _ => {
                let mut out = Vec::new();
                if job.export.bom {
                    out.extend_from_slice(BOM);
                }
                let mut w = csv::Writer::from_writer(out);
                w.write_record(COMMENT_COLUMNS.iter().map(
                    |(_, vi, en)| match job.export.language {
                        Lang::Vi => *vi,
                        Lang::En => *en,
                    },
                ))?;
                for [a, m, q, t] in &lines {
                    w.write_record([a.as_str(), m, q, &not_a_formula(t)])?;
                }
                w.into_inner().map_err(|e| e.into_error())?
            }
        };
    let mut file = tempfile::tempfile()?;
    file.write_all(&body)?;
    Ok(Materialised {
        content_type: match job.export.format {
            Format::Json => Format::Json.content_type(),
            _ => Format::Csv.content_type(),
        },
        length: body.len() as u64,
        rows: lines.len() as u64,
        generalised_values,
        withheld_rows,
        file,
    })
}

/// The columns of the free-text export: JSON key, Vietnamese header, English header.
pub const COMMENT_COLUMNS: [(&str, &str, &str); 4] = [
    ("agency_code", "Mã cơ quan", "Agency code"),
    ("month", "Tháng hoàn thành hồ sơ", "Month of completion"),
    ("question_id", "Mã câu hỏi", "Question id"),
    ("text", "Ý kiến", "Comment"),
];

/// Where a CSV or JSON stream stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Stage {
    Head,
    Rows,
    Done,
}

struct TextExport<S> {
    pages: S,
    job: Arc<Job>,
    stage: Stage,
    written: u64,
}

impl<S: RowSource> TextExport<S> {
    /// The next chunk of the body; `None` at the end.
    async fn next_chunk(&mut self) -> Result<Option<Bytes>, ExportError> {
        let job = Arc::clone(&self.job);
        let format = job.export.format;
        match self.stage {
            Stage::Head => {
                self.stage = Stage::Rows;
                let mut out = Vec::new();
                match format {
                    Format::Json => out.extend_from_slice(b"["),
                    _ => {
                        if job.export.bom {
                            out.extend_from_slice(BOM);
                        }
                        let mut w = csv::Writer::from_writer(out);
                        w.write_record(&job.header)?;
                        out = w.into_inner().map_err(|e| e.into_error())?;
                    }
                }
                Ok(Some(Bytes::from(out)))
            }
            Stage::Rows => match self.pages.next_page().await? {
                Some((agency, rows)) => {
                    let out = match format {
                        Format::Json => self.json_rows(&job, agency, &rows)?,
                        _ => csv_rows(&job, agency, &rows)?,
                    };
                    self.written += rows.len() as u64;
                    Ok(Some(Bytes::from(out)))
                }
                None => {
                    self.stage = Stage::Done;
                    self.pages.finish().await?;
                    Ok(match format {
                        Format::Json if self.written == 0 => Some(Bytes::from_static(b"]\n")),
                        Format::Json => Some(Bytes::from_static(b"\n]\n")),
                        _ => None,
                    })
                }
            },
            Stage::Done => Ok(None),
        }
    }

    fn json_rows(
        &self,
        job: &Job,
        agency: usize,
        rows: &[ExportRow],
    ) -> Result<Vec<u8>, ExportError> {
        let mut out = Vec::with_capacity(rows.len() * 512);
        for (i, row) in rows.iter().enumerate() {
            out.extend_from_slice(if self.written == 0 && i == 0 {
                b"\n"
            } else {
                b",\n"
            });
            let values = job.values(agency, row)?;
            write_json_row(&mut out, job, &values).map_err(ExportError::Answers)?;
        }
        Ok(out)
    }
}

fn csv_rows(job: &Job, agency: usize, rows: &[ExportRow]) -> Result<Vec<u8>, ExportError> {
    let mut w = csv::Writer::from_writer(Vec::with_capacity(rows.len() * 256));
    for row in rows {
        let values = job.values(agency, row)?;
        w.write_record(values.iter().map(csv_cell))?;
    }
    Ok(w.into_inner().map_err(|e| e.into_error())?)
}

/// `{"response_id": …, …, "answers": {"q": …}}` with keys in column order.
fn write_json_row(out: &mut Vec<u8>, job: &Job, values: &[Value]) -> serde_json::Result<()> {
    out.push(b'{');
    for ((key, _, _), value) in FIXED_COLUMNS.iter().zip(values) {
        serde_json::to_writer(&mut *out, key)?;
        out.push(b':');
        serde_json::to_writer(&mut *out, value)?;
        out.push(b',');
    }
    out.extend_from_slice(b"\"answers\":{");
    let answers = values.get(FIXED_COLUMNS.len()..).unwrap_or_default();
    for (i, (q, value)) in job.layout.questions.iter().zip(answers).enumerate() {
        if i > 0 {
            out.push(b',');
        }
        serde_json::to_writer(&mut *out, &q.id)?;
        out.push(b':');
        serde_json::to_writer(&mut *out, value)?;
    }
    out.extend_from_slice(b"}}");
    Ok(())
}

/// Writes a CSV or JSON export to a temporary file; returns it, its length and the rows written.
async fn text_file(
    pages: impl RowSource,
    job: Arc<Job>,
) -> Result<(std::fs::File, u64, u64), ExportError> {
    use tokio::io::AsyncWriteExt;
    let mut text = TextExport {
        pages,
        job,
        stage: Stage::Head,
        written: 0,
    };
    let mut out = tokio::io::BufWriter::new(tokio::fs::File::from_std(tempfile::tempfile()?));
    let mut length = 0u64;
    while let Some(chunk) = text.next_chunk().await? {
        out.write_all(&chunk).await?;
        length += chunk.len() as u64;
    }
    out.flush().await?;
    let file = out.into_inner().into_std().await;
    Ok((file, length, text.written))
}
