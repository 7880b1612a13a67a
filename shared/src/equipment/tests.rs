//! Import and export of devices end to end, from bytes as admins' tools write them (cp1251,
//! cp1252, UTF-8 with a BOM, UTF-16, tabs, XLSX) to the dry-run plan, and export read back.

use std::collections::HashMap;
use std::time::Instant;

use encoding_rs::{Encoding, UTF_16LE, WINDOWS_1251, WINDOWS_1252};

use crate::equipment::device::{DeviceColumn, DeviceFields, DeviceState};
use crate::equipment::export::{to_csv, to_xlsx};
use crate::equipment::field::{Column, ColumnName, FieldError};
use crate::equipment::import::{ImportError, ImportPlan, RejectReason, TableFormat, decode, plan, read_table};

fn device(name: &str, inventory_no: &str) -> DeviceFields {
    DeviceFields { name: name.into(), inventory_no: inventory_no.into(), ..Default::default() }
}

fn encoded(text: &str, encoding: &'static Encoding) -> Vec<u8> {
    let (bytes, _, unmappable) = encoding.encode(text);
    assert!(!unmappable, "{} cannot hold the fixture", encoding.name());
    bytes.into_owned()
}

/// `text` as UTF-16LE with a BOM, as Excel's "Unicode Text" saves it (encoding_rs encodes no UTF-16).
fn utf16le_with_bom(text: &str) -> Vec<u8> {
    let mut bytes = vec![0xFF, 0xFE];
    bytes.extend(text.encode_utf16().flat_map(u16::to_le_bytes));
    bytes
}

/// Reads `bytes` as `file_name` and plans it against no devices.
fn plan_new(bytes: &[u8], file_name: &str) -> ImportPlan<DeviceFields> {
    plan(&read_table(bytes, file_name).unwrap(), &HashMap::new()).unwrap()
}

fn names(plan: &ImportPlan<DeviceFields>) -> Vec<&str> {
    plan.add.iter().map(|(_, d)| d.name.as_str()).collect()
}

#[test]
fn a_cp1251_semicolon_file_keeps_its_cyrillic_exactly() {
    let text = "Наименование;Инв. №;Категория;Расположение\r\n\
                Ноутбук Lenovo;INV-001;Ноутбуки;Склад №2, стеллаж «Б»\r\n\
                Кассовый аппарат Атол;INV-002;Кассы;Магазин на Тверской\r\n\
                Телефон Ёлка;INV-003;Телефоны;Офис\r\n";
    let bytes = encoded(text, WINDOWS_1251);

    let table = read_table(&bytes, "devices.csv").unwrap();
    assert_eq!(table.format, TableFormat::Csv { encoding: "windows-1251", delimiter: ';' });
    let plan = plan(&table, &HashMap::new()).unwrap();

    assert_eq!(names(&plan), ["Ноутбук Lenovo", "Кассовый аппарат Атол", "Телефон Ёлка"]);
    assert_eq!(plan.add[0].1.location, "Склад №2, стеллаж «Б»");
    assert_eq!(plan.add[1].1.category, "Кассы");
}

#[test]
fn a_cp1252_file_keeps_munchen_exactly() {
    // cp1251 has no "ü": a German office's file is cp1252 (Excel's "CSV" on a Western machine).
    let text = "Name,Inventory number,Location\r\nDrucker,INV-1,München Büro\r\nKasse,INV-2,Zürich Straße 5\r\n";
    let bytes = encoded(text, WINDOWS_1252);

    assert_eq!(decode(&bytes).unwrap().encoding, "windows-1252");
    let plan = plan_new(&bytes, "geräte.csv");
    let locations: Vec<&str> = plan.add.iter().map(|(_, d)| d.location.as_str()).collect();
    assert_eq!(locations, ["München Büro", "Zürich Straße 5"]);
}

#[test]
fn utf8_with_a_bom_reads_the_first_header() {
    let bytes = [b"\xEF\xBB\xBF".as_slice(), "Inventory number,Name\nA-1,Принтер\n".as_bytes()].concat();

    let decoded = decode(&bytes).unwrap();
    assert_eq!((decoded.encoding, decoded.text.starts_with('I')), ("UTF-8", true));
    assert_eq!(names(&plan_new(&bytes, "d.csv")), ["Принтер"]);
}

#[test]
fn utf16_with_a_bom_decodes_in_either_byte_order() {
    let text = "Name\tInventory number\nMünchen Принтер\tA-1\n";
    let le = utf16le_with_bom(text);
    let be: Vec<u8> = [0xFE, 0xFF].into_iter().chain(text.encode_utf16().flat_map(u16::to_be_bytes)).collect();

    assert_eq!(
        decode(&le).unwrap(),
        crate::equipment::import::Decoded { text: text.into(), encoding: UTF_16LE.name() }
    );
    assert_eq!(decode(&be).unwrap().text, text);
    let table = read_table(&le, "unicode.txt").unwrap();
    assert_eq!(table.format, TableFormat::Csv { encoding: "UTF-16LE", delimiter: '\t' });
    assert_eq!(names(&plan(&table, &HashMap::new()).unwrap()), ["München Принтер"]);
}

#[test]
fn bytes_that_break_their_bom_are_an_error_not_question_marks() {
    let bytes = b"\xEF\xBB\xBFName;Inventory number\n\xFF\xFE\xFD;1\n";
    assert_eq!(decode(bytes), Err(ImportError::Malformed { encoding: "UTF-8" }));
}

#[test]
fn the_delimiter_is_the_one_that_splits_lines_consistently() {
    let check = |text: &str, expected: char| {
        let table = read_table(text.as_bytes(), "d.csv").unwrap();
        let TableFormat::Csv { delimiter, .. } = table.format else { panic!("not CSV") };
        assert_eq!(delimiter, expected, "{text:?}");
    };
    check("Name\tInventory number\tDescription\nA\t1\tx, y; z\n", '\t');
    check("Name;Inventory number;Description\nA;1;1,5 kg\nB;2;3,0 kg\n", ';');
    check("Name,Inventory number,Description\nA,1,\"a; b\"\nB,2,c\n", ',');
}

#[test]
fn an_xlsx_made_by_to_xlsx_reads_back() {
    let devices = [device("Ноутбук", "007"), DeviceFields { state: DeviceState::Taken, ..device("Phone", "42") }];

    let table = read_table(&to_xlsx(&devices).unwrap(), "export.xlsx").unwrap();

    assert_eq!(table.format, TableFormat::Workbook { sheet: "Devices".into() });
    let english: Vec<&str> = DeviceColumn::ALL.iter().map(|c| c.english()).collect();
    assert_eq!(table.header, english);
    let plan = plan(&table, &HashMap::new()).unwrap();
    assert_eq!(plan.add, vec![(2, devices[0].clone()), (3, devices[1].clone())]);
}

#[test]
fn a_number_typed_into_a_sheet_reads_as_written() {
    let mut workbook = rust_xlsxwriter::Workbook::new();
    let sheet = workbook.add_worksheet();
    sheet.write_string(2, 1, "Инв. №").unwrap().write_string(2, 2, "Название").unwrap();
    sheet.write_number(3, 1, 1001.0).unwrap().write_string(3, 2, "Касса").unwrap();
    let bytes = workbook.save_to_buffer().unwrap();

    let plan = plan_new(&bytes, "book.xlsx");

    // The sheet starts at row 3 with the header; the device is on row 4 as Excel shows it.
    assert_eq!(plan.add, vec![(4, device("Касса", "1001"))]);
}

#[test]
fn russian_headers_and_state_words_are_understood() {
    let text = "Название;Инв. №;Серийный номер;Категория;Место;Модель;Описание;Состояние;Статус\n\
                Ноутбук;И-1;SN-9;Ноутбуки;Склад;X1;Для бухгалтерии;Царапина;выдано\n";

    let plan = plan_new(text.as_bytes(), "устройства.csv");

    let expected = DeviceFields {
        name: "Ноутбук".into(),
        category: "Ноутбуки".into(),
        inventory_no: "И-1".into(),
        serial_no: "SN-9".into(),
        model: "X1".into(),
        location: "Склад".into(),
        description: "Для бухгалтерии".into(),
        condition: "Царапина".into(),
        state: DeviceState::Taken,
    };
    assert_eq!(plan.add, vec![(2, expected)]);
    assert!(plan.ignored_columns.is_empty());
}

#[test]
fn broken_rows_are_rejected_with_their_row_numbers_while_the_rest_plans() {
    // Row 2's description spans two lines and row 4 is blank: a spreadsheet shows both as rows
    // 2 and 4, and so do the reasons, whichever line ending the file has.
    let text = "Name;Inventory number;Description;State;Holder\n\
                Laptop;L-1;\"first line\nsecond line\";available;Ann\n\
                No number;;;;\n\
                \n\
                Same number;L-1;;;\n\
                Lost phone;P-1;;lost;\n\
                Printer;P-2;;broken;\n";
    for text in [text.to_owned(), text.replace('\n', "\r\n")] {
        let plan = plan_new(text.as_bytes(), "d.csv");

        let added: Vec<(usize, &str)> = plan.add.iter().map(|(row, d)| (*row, d.name.as_str())).collect();
        assert_eq!(added, [(2, "Laptop"), (7, "Printer")], "{text:?}");
        assert!(
            plan.add[0].1.description.starts_with("first line") && plan.add[0].1.description.ends_with("second line")
        );
        let column = ColumnName::Device(DeviceColumn::InventoryNo);
        assert_eq!(
            plan.reject,
            vec![
                (3, RejectReason::Invalid(FieldError::MissingInventoryNo)),
                (5, RejectReason::DuplicateInFile { column, first_row: 2 }),
                (6, RejectReason::Invalid(FieldError::UnknownState("lost".into()))),
            ],
            "{text:?}"
        );
        assert_eq!(plan.ignored_columns, ["Holder"]);
    }
    let duplicate =
        RejectReason::DuplicateInFile { column: ColumnName::Device(DeviceColumn::InventoryNo), first_row: 2 };
    assert_eq!(duplicate.to_string(), "the same Inventory number as row 2");
}

#[test]
fn rows_update_existing_devices_and_absent_columns_keep_their_values() {
    let taken = DeviceFields { state: DeviceState::Taken, location: "Склад".into(), ..device("Laptop", "L-1") };
    let existing = HashMap::from([("L-1".to_owned(), taken.clone()), ("L-2".to_owned(), device("Phone", "L-2"))]);
    // No state and no location column: L-1 stays taken and in the warehouse.
    let text = "Inventory number;Name;Model\nL-1;Laptop;;\nL-2;Phone;Pixel\nL-3;Tablet;\n";

    let plan = plan(&read_table(text.as_bytes(), "d.csv").unwrap(), &existing).unwrap();

    assert_eq!(plan.unchanged, 1);
    assert_eq!(plan.update, vec![(3, DeviceFields { model: "Pixel".into(), ..device("Phone", "L-2") })]);
    assert_eq!(plan.add, vec![(4, device("Tablet", "L-3"))]);
}

#[test]
fn a_missing_or_doubled_column_is_named() {
    let table = read_table("Name;Category\nA;B\n".as_bytes(), "d.csv").unwrap();
    let missing = plan(&table, &HashMap::new()).unwrap_err();
    assert_eq!(missing, ImportError::MissingColumn(ColumnName::Device(DeviceColumn::InventoryNo)));
    assert_eq!(missing.to_string(), "no column for Inventory number");

    let table = read_table("Name;Инв. №;Inventory number\nA;1;1\n".as_bytes(), "d.csv").unwrap();
    let doubled = plan(&table, &HashMap::new()).unwrap_err();
    assert_eq!(
        doubled,
        ImportError::DuplicateColumn {
            column: ColumnName::Device(DeviceColumn::InventoryNo),
            first: "Инв. №".into(),
            second: "Inventory number".into()
        }
    );
}

#[test]
fn a_file_named_like_a_workbook_must_be_one() {
    let err = read_table(b"Name;Inventory number\n", "devices.xlsx").unwrap_err();
    assert!(matches!(err, ImportError::Workbook { .. }), "{err:?}");
    assert_eq!(read_table(b"", "empty.csv"), Err(ImportError::Empty));
}

/// 50 devices with what breaks naive CSV: Cyrillic, commas, semicolons, quotes, line breaks,
/// leading zeros, every state.
fn awkward_devices() -> Vec<DeviceFields> {
    (0..50)
        .map(|i| DeviceFields {
            name: format!("Ноутбук \"Про\" №{i}, серия; А"),
            category: if i % 2 == 0 { "Ноутбуки".into() } else { "Phones, mobile".into() },
            inventory_no: format!("{i:05}"),
            serial_no: format!("SN;{i}"),
            model: "ThinkPad \"X1\"".into(),
            location: "München, Büro 3".into(),
            description: format!("Строка 1\nLine 2, \"quoted\"; {i}"),
            condition: if i % 3 == 0 { String::new() } else { "царапина".into() },
            state: DeviceState::ALL[i % 4],
        })
        .map(|d| d.validated().unwrap())
        .collect()
}

#[test]
fn export_then_import_changes_nothing_in_csv_and_xlsx() {
    let devices = awkward_devices();
    let existing: HashMap<String, DeviceFields> = devices.iter().map(|d| (d.inventory_no.clone(), d.clone())).collect();

    for (file_name, bytes) in [("devices.csv", to_csv(&devices)), ("devices.xlsx", to_xlsx(&devices).unwrap())] {
        let table = read_table(&bytes, file_name).unwrap();

        let against_existing = plan(&table, &existing).unwrap();
        assert_eq!(
            (against_existing.add.len(), against_existing.update.len(), against_existing.unchanged),
            (0, 0, 50),
            "{file_name}: {:?}",
            against_existing.reject
        );
        assert!(against_existing.reject.is_empty());
        // Into an empty inventory every device comes back field for field, in order.
        let read_back: Vec<DeviceFields> =
            plan(&table, &HashMap::new()).unwrap().add.into_iter().map(|(_, d)| d).collect();
        assert_eq!(read_back, devices, "{file_name}");
    }
}

#[test]
fn csv_cells_that_look_like_formulas_are_exported_inert_and_read_back_as_typed() {
    let mut risky = device("=HYPERLINK(\"http://x.example\",\"click\")", "7");
    risky.description = "-5 °C storage".into();
    risky.location = "@desk".into();
    let risky = risky.validated().unwrap();
    let csv = String::from_utf8(to_csv(std::slice::from_ref(&risky))).unwrap();
    let row = csv.lines().nth(1).unwrap();
    assert!(row.starts_with("\"'=HYPERLINK("), "{row}");
    assert!(row.contains(";'@desk;") && row.contains("'-5 °C"), "{row}");
    let back = plan(&read_table(csv.as_bytes(), "d.csv").unwrap(), &HashMap::new()).unwrap();
    assert_eq!(back.add.into_iter().map(|(_, d)| d).collect::<Vec<_>>(), vec![risky]);
}

#[test]
fn the_csv_export_is_utf8_with_a_bom_and_semicolons() {
    let csv = to_csv(&[device("Принтер", "1")]);
    assert!(csv.starts_with(b"\xEF\xBB\xBFName;Category;Inventory number;"));
    assert!(String::from_utf8(csv).unwrap().contains("Принтер;;1;"));
}

#[test]
fn ten_thousand_rows_plan() {
    let devices: Vec<DeviceFields> = (0..10_000)
        .map(|i| DeviceFields {
            category: "Кассы".into(),
            description: format!("Касса {i}, зал {}", i % 7),
            ..device(&format!("Касса №{i}"), &format!("INV-{i:06}"))
        })
        .collect();
    let bytes = encoded(std::str::from_utf8(&to_csv(&devices)[3..]).unwrap(), WINDOWS_1251);

    let started = Instant::now();
    let table = read_table(&bytes, "big.csv").unwrap();
    let plan = plan(&table, &HashMap::new()).unwrap();
    let elapsed = started.elapsed();

    assert_eq!((plan.add.len(), plan.reject.len()), (10_000, 0));
    assert_eq!(plan.add[9_999], (10_001, devices[9_999].clone()));
    println!("10,000-row cp1251 CSV read and planned in {elapsed:?}");
}
