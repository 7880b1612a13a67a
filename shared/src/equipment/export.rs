//! Devices out as files: [`to_csv`] and [`to_xlsx`] write every [`DeviceColumn`] under its English
//! header, the state as its English word, so that [`crate::equipment::import::plan`] reads an
//! export back as all unchanged.
//!
//! The CSV is UTF-8 with a BOM and `;` between fields. Without the BOM, Excel reads UTF-8 as the
//! machine's ANSI code page and garbles Cyrillic. `;` is the list separator of Russian and most
//! European Excel installations, so a double-click there opens the file in columns; a `,` file
//! opens as one column there, while a `;` file needs Data > From Text only in English-locale
//! Excel. Our own import detects either.
//!
//! A CSV cell that starts with `=`, `+`, `-`, `@`, a tab or a carriage return would run as a
//! formula when a spreadsheet opens the file (a device named `=HYPERLINK(...)` is data, not a
//! formula): such a cell is written with a leading `'`, the spreadsheet convention for "text",
//! and the import drops that apostrophe again ([`crate::equipment::field::trimmed`]). The XLSX
//! export writes every value as a string cell, which no spreadsheet evaluates.

use rust_xlsxwriter::{Format, Workbook, XlsxError};

use crate::equipment::device::{DeviceColumn, DeviceFields};
use crate::equipment::field::Column;

/// Why a workbook could not be written.
#[derive(Debug, thiserror::Error)]
pub enum ExportError {
    /// The XLSX writer refused (a sheet over Excel's row limit, a cell over its 32,767 characters).
    #[error("the workbook cannot be written: {0}")]
    Xlsx(#[from] XlsxError),
}

const UTF8_BOM: &[u8] = b"\xEF\xBB\xBF";

/// Every device as CSV: UTF-8 with a BOM, `;`-separated, a header row of English column names.
pub fn to_csv(devices: &[DeviceFields]) -> Vec<u8> {
    let mut out = UTF8_BOM.to_vec();
    let mut writer = csv::WriterBuilder::new().delimiter(b';').from_writer(&mut out);
    // Writing to a Vec cannot fail: the csv writer's only errors are those of its sink.
    writer.write_record(DeviceColumn::ALL.iter().map(|c| c.english())).expect("writing to memory");
    for device in devices {
        writer
            .write_record(DeviceColumn::ALL.iter().map(|c| inert(device.value(*c)).into_owned()))
            .expect("writing to memory");
    }
    writer.flush().expect("writing to memory");
    drop(writer);
    out
}

/// `value` as a CSV cell no spreadsheet evaluates (see the module doc).
fn inert(value: &str) -> std::borrow::Cow<'_, str> {
    if value.starts_with(crate::equipment::field::FORMULA_STARTS) {
        std::borrow::Cow::Owned(format!("'{value}"))
    } else {
        std::borrow::Cow::Borrowed(value)
    }
}

/// Every device as an XLSX workbook with one sheet, "Devices": a bold header row of English
/// column names, frozen, and every value written as text (an inventory number "007" stays "007").
pub fn to_xlsx(devices: &[DeviceFields]) -> Result<Vec<u8>, ExportError> {
    let mut workbook = Workbook::new();
    let sheet = workbook.add_worksheet();
    sheet.set_name("Devices")?;
    let bold = Format::new().set_bold();
    for (col, column) in (0u16..).zip(DeviceColumn::ALL) {
        sheet.write_string_with_format(0, col, column.english(), &bold)?;
        sheet.set_column_width(col, if *column == DeviceColumn::Description { 40 } else { 18 })?;
    }
    sheet.set_freeze_panes(1, 0)?;
    for (row, device) in (1u32..).zip(devices) {
        for (col, column) in (0u16..).zip(DeviceColumn::ALL) {
            sheet.write_string(row, col, device.value(*column))?;
        }
    }
    Ok(workbook.save_to_buffer()?)
}
