//! Reading the CSV files of the import commands (`agencies import`, `responses import`): UTF-8,
//! comma-separated, a header line, cells trimmed, a byte-order mark tolerated. Every row keeps
//! the line it starts on, so errors can name it; a row that cannot be read (not UTF-8, a wrong
//! number of cells) is reported next to the rows that could.

use crate::domain::agencies::RowError;

/// Why an import did not happen.
#[derive(Debug, thiserror::Error)]
pub enum ImportError {
    /// Some rows are bad (each listed, by line); nothing was written.
    #[error("{} row(s) are not valid; nothing was imported", .0.len())]
    Invalid(Vec<RowError>),
    /// The file could not be read, or the database failed; nothing was written.
    #[error(transparent)]
    Other(#[from] anyhow::Error),
}

/// A file's header and rows.
#[derive(Debug)]
pub struct CsvFile {
    /// Column names as written (without a byte-order mark).
    pub header: Vec<String>,
    /// The rows that could be read, each with as many cells as the header.
    pub rows: Vec<CsvRow>,
    /// The rows that could not.
    pub errors: Vec<RowError>,
}

/// One row of a [`CsvFile`].
#[derive(Debug)]
pub struct CsvRow {
    /// The line the row starts on (the header is line 1).
    pub line: u64,
    pub cells: Vec<String>,
}

/// The line a record starts on. The csv crate reports where the previous record ended, which is
/// earlier when blank lines (skipped by the parser) come in between; count those.
fn start_line(input: &[u8], pos: &csv::Position) -> u64 {
    let from = usize::try_from(pos.byte()).unwrap_or(usize::MAX);
    let blank = input
        .get(from..)
        .unwrap_or_default()
        .iter()
        .take_while(|b| matches!(b, b'\n' | b'\r'))
        .filter(|b| **b == b'\n')
        .count();
    pos.line() + blank as u64
}

/// Reads a whole file (see the module documentation). A header that is not UTF-8 fails the
/// file.
pub fn read_csv(input: &[u8]) -> Result<CsvFile, ImportError> {
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(true)
        .flexible(true)
        .trim(csv::Trim::All)
        .from_reader(input);
    let header: Vec<String> = match reader.headers() {
        Ok(h) => h
            .iter()
            .enumerate()
            // Spreadsheets often save UTF-8 with a byte-order mark.
            .map(|(i, name)| {
                if i == 0 {
                    name.trim_start_matches('\u{feff}').to_owned()
                } else {
                    name.to_owned()
                }
            })
            .collect(),
        Err(e) if matches!(e.kind(), csv::ErrorKind::Utf8 { .. }) => {
            return Err(ImportError::Invalid(vec![RowError::new(
                1,
                "header",
                "is not valid UTF-8",
            )]));
        }
        Err(e) => return Err(anyhow::Error::new(e).context("reading the header").into()),
    };

    let mut rows = Vec::new();
    let mut errors = Vec::new();
    for record in reader.records() {
        let record = match record {
            Ok(r) => r,
            Err(e) => match e.kind() {
                csv::ErrorKind::Utf8 { pos, .. } => {
                    let line = pos
                        .as_ref()
                        .map(|p| start_line(input, p))
                        .unwrap_or_default();
                    errors.push(RowError::new(line, "row", "is not valid UTF-8"));
                    continue;
                }
                _ => return Err(anyhow::Error::new(e).context("reading the file").into()),
            },
        };
        let line = record
            .position()
            .map(|p| start_line(input, p))
            .unwrap_or_default();
        if record.len() != header.len() {
            errors.push(RowError::new(
                line,
                "row",
                format!(
                    "has {} cells where the header has {}",
                    record.len(),
                    header.len()
                ),
            ));
            continue;
        }
        rows.push(CsvRow {
            line,
            cells: record.iter().map(str::to_owned).collect(),
        });
    }
    Ok(CsvFile {
        header,
        rows,
        errors,
    })
}
