//! Reading a device or staff file the admin sends, pure: bytes in, a dry-run [`ImportPlan`] out.
//!
//! [`read_table`] opens a workbook (XLSX, XLS, ODS; the first sheet) with `calamine`, or else
//! [`decode`]s the bytes as text (a BOM names UTF-8 or UTF-16; otherwise valid UTF-8 is UTF-8 and
//! anything else is guessed by `chardetng`, so cp1251 and cp1252 files keep "München" and Cyrillic)
//! and reads CSV with the delimiter (`,`, `;` or tab) that splits the first lines most
//! consistently. [`plan`] matches the header row to columns in English or Russian and sorts each
//! row into add, update, unchanged or reject against the devices that exist, keyed by inventory
//! number. Row numbers are those the admin sees in the file: the header is row 1, a blank line
//! counts, and a quoted cell spanning lines is one row, as a spreadsheet shows it.
//!
//! A column the file lacks leaves that field of an existing device as it is, and so does an empty
//! state cell; an empty cell in any other column present empties the field.

use std::collections::HashMap;
use std::io::Cursor;

use calamine::{Data, Reader};
use encoding_rs::{Encoding, UTF_8};

use crate::equipment::device::{DeviceColumn, DeviceFields};
use crate::equipment::field::{Column, ColumnName, FieldError, header_key};

/// The most data rows a file may have; far above an office's inventory, well below what would
/// strain a worker.
pub const MAX_ROWS: usize = 100_000;

/// How many lines the delimiter is judged on.
const DELIMITER_SAMPLE: usize = 20;

/// Text decoded from a file's bytes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Decoded {
    pub text: String,
    /// The encoding used, by its WHATWG name ("UTF-8", "UTF-16LE", "windows-1251", ...).
    pub encoding: &'static str,
}

/// A file read into rows of text cells, before any column has a meaning.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Table {
    pub format: TableFormat,
    pub header: Vec<String>,
    /// Rows after the header that have any text, in file order.
    pub rows: Vec<Row>,
}

/// How a [`Table`] was read, for the dry-run report.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TableFormat {
    Csv { encoding: &'static str, delimiter: char },
    Workbook { sheet: String },
}

/// One data row.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Row {
    /// The row's number as the admin sees it in the file (the header is row 1 unless the sheet
    /// starts lower).
    pub number: usize,
    pub cells: Vec<String>,
}

/// What a dry run found: rows to add, rows that change an existing record, rows that match one
/// exactly, and rows rejected with their reason. Applying it is all or nothing.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ImportPlan<A, U = A> {
    /// New records, with their row numbers.
    pub add: Vec<(usize, A)>,
    /// Changed records, with their row numbers.
    pub update: Vec<(usize, U)>,
    /// How many rows match an existing record exactly.
    pub unchanged: usize,
    /// Rows that cannot be imported, with their row numbers and why.
    pub reject: Vec<(usize, RejectReason)>,
    /// Header cells that match no column (their cells are not imported), as written in the file.
    pub ignored_columns: Vec<String>,
}

/// Why a file cannot be read at all. Display is English for logs.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ImportError {
    /// The file has no header row.
    #[error("the file is empty")]
    Empty,
    /// The bytes are not text in the encoding they claim (a BOM) or were guessed to be in.
    #[error("the file is not valid {encoding} text")]
    Malformed { encoding: &'static str },
    /// The file looks like a workbook (by its content or name) that cannot be opened.
    #[error("{file_name:?} is not a readable workbook: {detail}")]
    Workbook { file_name: String, detail: String },
    /// The CSV parser gave up.
    #[error("the CSV cannot be read: {0}")]
    Csv(String),
    /// More data rows than [`MAX_ROWS`].
    #[error("the file has more than {max} rows")]
    TooManyRows { max: usize },
    /// No header matches a column a record cannot do without.
    #[error("no column for {0}")]
    MissingColumn(ColumnName),
    /// Two headers mean the same column.
    #[error("columns {first:?} and {second:?} both mean {column}")]
    DuplicateColumn { column: ColumnName, first: String, second: String },
}

/// Why one row is rejected. Display is English for logs.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RejectReason {
    /// A value breaks a field rule.
    #[error(transparent)]
    Invalid(#[from] FieldError),
    /// An earlier row has the same key (inventory number, email or phone).
    #[error("the same {column} as row {first_row}")]
    DuplicateInFile { column: ColumnName, first_row: usize },
    /// The email belongs to one existing person and the phone number to another.
    #[error("the email address and the phone number belong to two different people")]
    ContactConflict,
    /// The device is taken and the row gives it another state: only returning it does that.
    #[error("the device is taken; return it before changing its state")]
    TakenDevice,
    /// The row makes a device taken that nobody holds: only taking it does that.
    #[error("a device becomes taken only when someone takes it")]
    NotTaken,
}

/// Decodes a text file: a BOM decides (UTF-8, UTF-16LE, UTF-16BE); otherwise valid UTF-8 is
/// UTF-8, and anything else is in the legacy encoding `chardetng` finds most likely (cp1251 for
/// Cyrillic, cp1252 for Western European text, ...). Never replaces a character with `?` or
/// U+FFFD: bytes that do not decode are an error.
pub fn decode(bytes: &[u8]) -> Result<Decoded, ImportError> {
    let (encoding, bom_len) = match Encoding::for_bom(bytes) {
        Some(found) => found,
        None if std::str::from_utf8(bytes).is_ok() => (UTF_8, 0),
        None => {
            let mut detector = chardetng::EncodingDetector::new(chardetng::Iso2022JpDetection::Deny);
            detector.feed(bytes, true);
            (detector.guess(None, chardetng::Utf8Detection::Deny), 0)
        }
    };
    let text = encoding
        .decode_without_bom_handling_and_without_replacement(&bytes[bom_len..])
        .ok_or(ImportError::Malformed { encoding: encoding.name() })?;
    Ok(Decoded { text: text.into_owned(), encoding: encoding.name() })
}

/// Reads a file into a [`Table`]: a workbook when the bytes are a zip (XLSX, ODS) or an OLE file
/// (XLS), else CSV. `file_name` only serves to refuse a file named like a workbook that is not one.
pub fn read_table(bytes: &[u8], file_name: &str) -> Result<Table, ImportError> {
    const ZIP: &[u8] = b"PK\x03\x04";
    const OLE: &[u8] = b"\xD0\xCF\x11\xE0";
    let named_workbook = [".xlsx", ".xlsm", ".xls", ".ods"].iter().any(|ext| file_name.to_lowercase().ends_with(ext));
    if bytes.starts_with(ZIP) || bytes.starts_with(OLE) {
        read_workbook(bytes, file_name)
    } else if named_workbook {
        Err(ImportError::Workbook { file_name: file_name.to_owned(), detail: "not a spreadsheet file".into() })
    } else {
        read_csv(bytes)
    }
}

/// Plans a device import against the devices that exist, keyed by inventory number. A row with
/// an inventory number an earlier row has is rejected, even when the earlier row is rejected
/// too: the file is ambiguous about that device.
pub fn plan(table: &Table, existing: &HashMap<String, DeviceFields>) -> Result<ImportPlan<DeviceFields>, ImportError> {
    let columns = Columns::<DeviceColumn>::match_header(&table.header)?;
    let mut plan = ImportPlan::new(columns.ignored().to_vec());
    let mut first_rows: HashMap<&str, usize> = HashMap::new();
    for row in &table.rows {
        let inventory_no = columns.cell(row, DeviceColumn::InventoryNo).trim();
        if !inventory_no.is_empty() {
            if let Some(&first_row) = first_rows.get(inventory_no) {
                let column = DeviceColumn::InventoryNo.name();
                plan.reject.push((row.number, RejectReason::DuplicateInFile { column, first_row }));
                continue;
            }
            first_rows.insert(inventory_no, row.number);
        }
        let fields = match columns.apply(DeviceFields::default(), row) {
            Ok(fields) => fields,
            Err(e) => {
                plan.reject.push((row.number, e.into()));
                continue;
            }
        };
        match existing.get(&fields.inventory_no) {
            None => plan.add.push((row.number, fields)),
            Some(old) => plan.compare(row.number, old, columns.apply(old.clone(), row), |merged| merged),
        }
    }
    Ok(plan)
}

/// A record a file's row can be read into: devices and people.
pub(crate) trait Record: Clone + PartialEq + Sized {
    type Column: Column;
    /// Sets one column from a cell, unchecked until `validated`.
    fn set(&mut self, column: Self::Column, cell: &str) -> Result<(), FieldError>;
    /// The record trimmed and checked.
    fn validated(self) -> Result<Self, FieldError>;
}

impl Record for DeviceFields {
    type Column = DeviceColumn;

    fn set(&mut self, column: DeviceColumn, cell: &str) -> Result<(), FieldError> {
        DeviceFields::set(self, column, cell)
    }

    fn validated(self) -> Result<Self, FieldError> {
        DeviceFields::validated(self)
    }
}

/// Which cell of a row holds which column.
pub(crate) struct Columns<C> {
    found: Vec<(C, usize)>,
    ignored: Vec<String>,
}

impl<C: Column> Columns<C> {
    /// Matches each header cell to a column by its English or Russian name or a synonym; fails on
    /// a missing required column or two cells meaning the same column.
    pub(crate) fn match_header(header: &[String]) -> Result<Columns<C>, ImportError> {
        let mut found: Vec<(C, usize)> = Vec::new();
        let mut ignored = Vec::new();
        for (idx, text) in header.iter().enumerate() {
            let key = header_key(text);
            if key.is_empty() {
                continue;
            }
            let Some(&column) = C::ALL.iter().find(|c| c.headers().iter().any(|h| header_key(h) == key)) else {
                ignored.push(text.trim().to_owned());
                continue;
            };
            if let Some(&(_, first)) = found.iter().find(|(c, _)| *c == column) {
                let (first, second) = (header[first].trim().to_owned(), text.trim().to_owned());
                return Err(ImportError::DuplicateColumn { column: column.name(), first, second });
            }
            found.push((column, idx));
        }
        if let Some(missing) = C::ALL.iter().find(|c| c.required() && !found.iter().any(|(f, _)| f == *c)) {
            return Err(ImportError::MissingColumn(missing.name()));
        }
        Ok(Columns { found, ignored })
    }

    /// Whether the file has this column.
    pub(crate) fn has(&self, column: C) -> bool {
        self.found.iter().any(|(c, _)| *c == column)
    }

    /// The row's cell in this column; empty when the file lacks the column or the row is short.
    pub(crate) fn cell<'r>(&self, row: &'r Row, column: C) -> &'r str {
        let idx = self.found.iter().find(|(c, _)| *c == column).map(|(_, idx)| *idx);
        idx.and_then(|idx| row.cells.get(idx)).map_or("", String::as_str)
    }

    /// `base` with every column the file has set from the row, then validated.
    pub(crate) fn apply<R: Record<Column = C>>(&self, mut base: R, row: &Row) -> Result<R, FieldError> {
        for &(column, _) in &self.found {
            base.set(column, self.cell(row, column))?;
        }
        base.validated()
    }

    pub(crate) fn ignored(&self) -> &[String] {
        &self.ignored
    }
}

impl<A, U> ImportPlan<A, U> {
    pub(crate) fn new(ignored_columns: Vec<String>) -> ImportPlan<A, U> {
        ImportPlan { add: Vec::new(), update: Vec::new(), unchanged: 0, reject: Vec::new(), ignored_columns }
    }

    /// Files a row that matched `old`: rejected when the merged record is invalid, unchanged
    /// when it equals `old`, else an update made by `update`.
    pub(crate) fn compare<R: PartialEq>(
        &mut self,
        row_no: usize,
        old: &R,
        merged: Result<R, FieldError>,
        update: impl FnOnce(R) -> U,
    ) {
        match merged {
            Err(e) => self.reject.push((row_no, e.into())),
            Ok(merged) if merged == *old => self.unchanged += 1,
            Ok(merged) => self.update.push((row_no, update(merged))),
        }
    }
}

fn read_workbook(bytes: &[u8], file_name: &str) -> Result<Table, ImportError> {
    let unreadable = |detail: String| ImportError::Workbook { file_name: file_name.to_owned(), detail };
    let mut workbook =
        calamine::open_workbook_auto_from_rs(Cursor::new(bytes)).map_err(|e| unreadable(e.to_string()))?;
    let sheet = workbook.sheet_names().into_iter().next().ok_or_else(|| unreadable("it has no sheet".into()))?;
    let range = workbook.worksheet_range(&sheet).map_err(|e| unreadable(e.to_string()))?;
    // The range starts at the first cell with data: its row is the header's row in the sheet.
    let first_row = range.start().map_or(0, |(row, _)| row as usize);
    let mut lines =
        range.rows().enumerate().map(|(idx, cells)| Ok((first_row + idx + 1, cells.iter().map(cell_text).collect())));
    let (_, header) = lines.next().ok_or(ImportError::Empty)??;
    let rows = collect_rows(lines)?;
    Ok(Table { format: TableFormat::Workbook { sheet }, header, rows })
}

/// A cell as text: whole numbers without a fraction (an inventory number typed as a number reads
/// "1001", not "1001.0"), everything else as the sheet shows its value.
fn cell_text(cell: &Data) -> String {
    match cell {
        Data::String(text) => text.clone(),
        Data::Empty => String::new(),
        other => other.to_string(),
    }
}

fn read_csv(bytes: &[u8]) -> Result<Table, ImportError> {
    let decoded = decode(bytes)?;
    let delimiter = detect_delimiter(&decoded.text);
    // The csv crate skips blank lines (a record's position is where the skipped lines began) and
    // counts the lines inside quoted cells; a spreadsheet shows the first as rows and the second
    // as one row, so the row number is the record's own line minus the line breaks inside
    // earlier cells.
    let text = decoded.text.as_str();
    let mut breaks_in_cells = 0;
    let mut lines = csv_reader(text, delimiter).into_records().map(|record| {
        let record = record.map_err(|e| ImportError::Csv(e.to_string()))?;
        let (line, byte) = record.position().map_or((1, 0), |p| (p.line() as usize, p.byte() as usize));
        let blank_lines = text
            .get(byte..)
            .unwrap_or("")
            .chars()
            .take_while(|c| matches!(c, '\r' | '\n'))
            .filter(|c| *c == '\n')
            .count();
        let number = line + blank_lines - breaks_in_cells;
        breaks_in_cells += record.iter().map(|cell| cell.matches('\n').count()).sum::<usize>();
        Ok((number, record.iter().map(str::to_owned).collect::<Vec<_>>()))
    });
    let (_, header) = lines.next().ok_or(ImportError::Empty)??;
    let rows = collect_rows(lines)?;
    let format = TableFormat::Csv { encoding: decoded.encoding, delimiter: char::from(delimiter) };
    Ok(Table { format, header, rows })
}

fn csv_reader(text: &str, delimiter: u8) -> csv::Reader<&[u8]> {
    csv::ReaderBuilder::new().delimiter(delimiter).has_headers(false).flexible(true).from_reader(text.as_bytes())
}

/// The delimiter among tab, `;` and `,` that splits the header into most fields while the
/// first lines have as many fields as the header. On a tie the earlier candidate wins: a tab
/// or `;` rarely appears inside a value, a comma often does.
fn detect_delimiter(text: &str) -> u8 {
    let mut best = (b',', (false, 0, 0));
    for delimiter in [b'\t', b';', b','] {
        let counts: Vec<usize> = csv_reader(text, delimiter)
            .into_records()
            .take(DELIMITER_SAMPLE)
            .map_while(Result::ok)
            .map(|record| record.len())
            .collect();
        let header_fields = counts.first().copied().unwrap_or(0);
        let consistent = counts.iter().filter(|n| **n == header_fields).count();
        let score = (header_fields > 1, consistent, header_fields);
        if score > best.1 {
            best = (delimiter, score);
        }
    }
    best.0
}

/// Keeps the rows with any text, up to [`MAX_ROWS`].
fn collect_rows(
    lines: impl Iterator<Item = Result<(usize, Vec<String>), ImportError>>,
) -> Result<Vec<Row>, ImportError> {
    let mut rows = Vec::new();
    for line in lines {
        let (number, cells) = line?;
        if cells.iter().all(|cell| cell.trim().is_empty()) {
            continue;
        }
        if rows.len() == MAX_ROWS {
            return Err(ImportError::TooManyRows { max: MAX_ROWS });
        }
        rows.push(Row { number, cells });
    }
    Ok(rows)
}
