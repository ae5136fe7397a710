//! The XLSX writer of `export::raw`: pages handed to a blocking thread that writes a
//! constant-memory workbook, a new sheet (with the header again) every `XLSX_SHEET_ROWS` rows,
//! ZIP64 only when a sheet may pass 4 GiB.

use super::*;

/// Reads every page into a workbook written by a blocking thread; returns the saved file, its
/// length and the rows written.
pub(super) async fn xlsx_file(
    mut pages: impl RowSource,
    job: &Arc<Job>,
    rows_per_sheet: u32,
) -> Result<(std::fs::File, u64, u64), ExportError> {
    let job = Arc::clone(job);
    let (tx, rx) = mpsc::channel(2);
    let writer = tokio::task::spawn_blocking(move || write_xlsx(rx, &job, rows_per_sheet));
    let mut rows = 0u64;
    let read = async {
        while let Some(page) = pages.next_page().await? {
            rows += page.1.len() as u64;
            if tx.send(page).await.is_err() {
                // The writer has failed; its error is the one to report.
                break;
            }
        }
        pages.finish().await?;
        Ok::<(), ExportError>(())
    }
    .await;
    drop(tx);
    let (file, length) = writer
        .await
        .map_err(|e| ExportError::Writer(e.to_string()))??;
    read?;
    Ok((file, length, rows))
}

/// Adds sheet number `number` (constant memory) with its header row; returns its index.
fn add_sheet(
    workbook: &mut Workbook,
    job: &Job,
    number: usize,
    bold: &CellFormat,
) -> Result<usize, ExportError> {
    let sheet = workbook.add_worksheet_with_constant_memory()?;
    sheet.set_name(sheet_name(job.export.language, number))?;
    // Column looks are set before any row: constant-memory sheets write rows as they go.
    sheet.set_freeze_panes(1, 0)?;
    sheet.set_column_width(0, 38)?;
    for col in 1..FIXED_COLUMNS.len() {
        sheet.set_column_width(col_num(col), 16)?;
    }
    for (col, title) in job.header.iter().enumerate() {
        sheet.write_string_with_format(0, col_num(col), title, bold)?;
    }
    Ok(number - 1)
}

fn col_num(col: usize) -> u16 {
    u16::try_from(col).unwrap_or(u16::MAX)
}

pub(super) fn write_xlsx(
    mut rx: mpsc::Receiver<(usize, Vec<ExportRow>)>,
    job: &Job,
    rows_per_sheet: u32,
) -> Result<(std::fs::File, u64), ExportError> {
    let mut workbook = Workbook::new();
    let bold = CellFormat::new().set_bold();
    let mut sheets = 1;
    let mut sheet = add_sheet(&mut workbook, job, sheets, &bold)?;
    let mut row: u32 = 1;
    // A rough size of the current sheet's XML, to decide on ZIP64.
    let mut xml_bytes: u64 = 0;
    let mut largest_sheet: u64 = 0;
    while let Some((agency, page)) = rx.blocking_recv() {
        for response in &page {
            if row >= rows_per_sheet {
                sheets += 1;
                sheet = add_sheet(&mut workbook, job, sheets, &bold)?;
                row = 1;
                largest_sheet = largest_sheet.max(xml_bytes);
                xml_bytes = 0;
            }
            let values = job.values(agency, response)?;
            let ws = workbook.worksheet_from_index(sheet)?;
            for (col, value) in values.iter().enumerate() {
                let col = col_num(col);
                xml_bytes += 48;
                match value {
                    Value::Null => {}
                    Value::Bool(b) => {
                        ws.write_boolean(row, col, *b)?;
                    }
                    Value::Number(n) => {
                        ws.write_number(row, col, n.as_f64().unwrap_or(f64::NAN))?;
                    }
                    Value::String(s) => {
                        xml_bytes += 2 * s.len() as u64;
                        ws.write_string(row, col, excel_string(s))?;
                    }
                    Value::Array(items) => {
                        let s = joined(items);
                        xml_bytes += 2 * s.len() as u64;
                        ws.write_string(row, col, excel_string(&s))?;
                    }
                    Value::Object(_) => {
                        ws.write_string(row, col, excel_string(&value.to_string()))?;
                    }
                }
            }
            row += 1;
        }
    }
    largest_sheet = largest_sheet.max(xml_bytes);
    workbook.use_zip_large_file(largest_sheet > ZIP64_ABOVE_BYTES);
    let mut file = tempfile::tempfile()?;
    {
        let mut out = BufWriter::with_capacity(FILE_CHUNK, &mut file);
        workbook.save_to_writer(&mut out)?;
        out.flush()?;
    }
    let length = file.seek(SeekFrom::End(0))?;
    file.seek(SeekFrom::Start(0))?;
    Ok((file, length))
}

/// Excel refuses strings over 32,767 characters; no form allows one, but a stored row must not
/// stop an export.
pub(super) fn excel_string(s: &str) -> String {
    match s.char_indices().nth(XLSX_MAX_STRING) {
        Some((at, _)) => s[..at].to_owned(),
        None => s.to_owned(),
    }
}
