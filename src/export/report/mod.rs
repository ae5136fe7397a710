//! The XLSX report of one agency, form and period (issue 7, downloads): a summary sheet, an
//! item sheet and a trend sheet, each with native Excel charts, and a sheet of the perception
//! and needs indicators (methodology §3.3), built from the views the results API produces
//! ([`ResultView`], [`TrendView`]). It never sees a response, so it carries
//! exactly the published numbers: a suppressed number is an empty cell beside its status text
//! ("bị ẩn (n nhỏ)"), never a value; a low-reliability one is shaded and flagged.
//!
//! The views hold percentages (0–100); cells hold fractions formatted `0.0%`, so Excel shows,
//! sums and charts them as percentages. Labels (agency, nodes, criteria) come from the views,
//! which the domain builds in the requested language; the report's own words come from
//! `text.rs`.
//!
//! The files: `cells.rs` (how a number's cell looks: flags, number kinds, formats),
//! `sheet.rs` (what every sheet writes: title, headers, figures, notes), `chart.rs` (the charts'
//! shared pieces), one file per sheet (`summary.rs`, `items.rs`, `trend.rs`, `indicators.rs`),
//! and the words (`text.rs`, the method note `method.rs`).

mod cells;
mod chart;
mod indicators;
mod items;
mod method;
mod sheet;
mod summary;
mod text;
mod trend;

use chrono::{Datelike, NaiveDate};
use rust_xlsxwriter::{DocProperties, ExcelDateTime, Workbook, XlsxError};

use self::cells::Formats;
use self::sheet::Ctx;
use crate::domain::lang::Lang;
use crate::domain::results::{ResultView, TrendView};

/// The media type of the report.
pub const CONTENT_TYPE: &str = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet";

/// The summary, item, trend and perception-and-needs sheets' names in `lang`.
pub fn sheet_names(lang: Lang) -> [&'static str; 4] {
    let t = text::of(lang);
    [
        t.sheet_summary,
        t.sheet_items,
        t.sheet_trend,
        t.sheet_indicators,
    ]
}

/// Why a report could not be built. Neither is the reader's fault: the HTTP layer answers 500.
#[derive(Debug, thiserror::Error)]
pub enum ReportError {
    /// rust_xlsxwriter refused the workbook (a value beyond Excel's limits, a bad range).
    #[error("the XLSX writer failed")]
    Xlsx(#[from] XlsxError),
    /// The trend is not of the result's agency, scope and form version.
    #[error("the trend ({trend}) is not of the result's agency and form ({result})")]
    Mismatch { result: String, trend: String },
}

/// The file name of a result's report: `sipas-{agency}-{form}-v{version}-{period}.xlsx`, with
/// anything but ASCII letters, digits, `-`, `_` and `.` replaced by `_` (a range period's `/`).
pub fn file_name(result: &ResultView) -> String {
    let clean = |s: &str| -> String {
        s.chars()
            .map(|c| {
                if c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.') {
                    c
                } else {
                    '_'
                }
            })
            .collect()
    };
    format!(
        "sipas-{}-{}-v{}-{}.xlsx",
        clean(&result.agency),
        clean(&result.form.key),
        result.form.version,
        clean(&result.period)
    )
}

/// The workbook of `result` (its summary and items) and `trend` (the steps up to it), in
/// `lang`, dated `generated_on`: the `.xlsx` bytes.
///
/// # Errors
/// [`ReportError::Mismatch`] when the trend is of another agency, scope or form version;
/// [`ReportError::Xlsx`] when the writer fails.
pub fn agency_report(
    result: &ResultView,
    trend: &TrendView,
    lang: Lang,
    generated_on: NaiveDate,
) -> Result<Vec<u8>, ReportError> {
    same_subject(result, trend)?;
    let t = text::of(lang);
    let formats = Formats::new(t);
    let date = ExcelDateTime::from_ymd(
        u16::try_from(generated_on.year()).unwrap_or(1900),
        u8::try_from(generated_on.month()).unwrap_or(1),
        u8::try_from(generated_on.day()).unwrap_or(1),
    )?;
    let footer = format!(
        "&L{} · {}&R&P / &N",
        result.agency.replace('&', "&&"),
        result.period.replace('&', "&&")
    );
    let ctx = Ctx {
        lang,
        t,
        f: &formats,
        footer: &footer,
        suppress_below: result.method.thresholds.suppress_below,
    };

    let mut workbook = Workbook::new();
    workbook.set_properties(
        &DocProperties::new()
            .set_title(format!(
                "{} — {} — {}",
                t.title_summary, result.agency_name, result.period
            ))
            .set_subject(format!("{} v{}", result.form.key, result.form.version))
            .set_author("sipas")
            .set_creation_datetime(&date),
    );
    workbook.push_worksheet(summary::sheet(&ctx, result, &date)?);
    workbook.push_worksheet(items::sheet(&ctx, result)?);
    workbook.push_worksheet(trend::sheet(&ctx, result, trend)?);
    workbook.push_worksheet(indicators::sheet(&ctx, result)?);
    Ok(workbook.save_to_buffer()?)
}

/// Refuses a trend of another agency, scope or form version than the result's.
fn same_subject(result: &ResultView, trend: &TrendView) -> Result<(), ReportError> {
    let key = |agency: &str, subtree: bool, form: &str, version: u32| {
        format!(
            "{agency}{} {form} v{version}",
            if subtree { " +subtree" } else { "" }
        )
    };
    let of_result = key(
        &result.agency,
        result.subtree,
        &result.form.key,
        result.form.version,
    );
    let of_trend = key(
        &trend.agency,
        trend.subtree,
        &trend.form.key,
        trend.form.version,
    );
    if of_result == of_trend {
        Ok(())
    } else {
        Err(ReportError::Mismatch {
            result: of_result,
            trend: of_trend,
        })
    }
}

#[allow(clippy::unwrap_used, clippy::expect_used)]
#[cfg(test)]
mod tests;
