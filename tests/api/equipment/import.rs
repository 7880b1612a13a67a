//! `/import` and `/export` end to end: the file goes in as a Telegram document, the worker reads
//! and plans it, the admin reads the dry run and presses Apply, and the rows are there, once.

use std::time::{Duration, Instant};

use chrono::Utc;
use sea_orm::{ActiveModelTrait, ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter};
use shared::entities::device;
use shared::entities::import::{self, ImportStatus};
use shared::equipment::device::{DeviceFields, DeviceState};

use crate::fake_telegram::{Call, TgUser};
use crate::helpers::{ADMIN, TestApp, eventually, within};

/// `text` in Windows-1251, as Russian Excel saves "CSV (разделители — точка с запятой)".
/// Only ASCII, Russian letters and `№`: enough for a fixture, and no encoding crate in the tests.
pub fn cp1251(text: &str) -> Vec<u8> {
    text.chars()
        .map(|c| match c {
            c if c.is_ascii() => c as u8,
            'Ё' => 0xA8,
            'ё' => 0xB8,
            '№' => 0xB9,
            'А'..='я' => (c as u32 - 'А' as u32 + 0xC0) as u8,
            other => panic!("{other:?} is not in this cp1251 fixture"),
        })
        .collect()
}

/// The callback data of the button labelled with `label` under a message.
pub fn button(call: &Call, label: &str) -> String {
    let rows = call.body["reply_markup"]["inline_keyboard"].as_array().cloned().unwrap_or_default();
    rows.iter()
        .flat_map(|row| row.as_array().cloned().unwrap_or_default())
        .find(|b| b["text"].as_str().is_some_and(|t| t.contains(label)))
        .and_then(|b| b["callback_data"].as_str().map(str::to_owned))
        .unwrap_or_else(|| panic!("no {label:?} button under {:?}", call.body))
}

pub async fn device_by_number(app: &TestApp, inventory_no: &str) -> Option<device::Model> {
    device::Entity::find().filter(device::Column::InventoryNo.eq(inventory_no)).one(&app.db).await.unwrap()
}

/// Waits for the admin's `/start` to be answered, so their language is stored.
pub async fn started(app: &TestApp, admin: &TgUser) {
    app.telegram.send_text(admin, "/start");
    app.telegram.wait_for("the welcome", |c| c.method == "sendmessage" && c.chat_id() == Some(admin.id)).await;
}

#[tokio::test]
async fn a_cp1251_csv_with_a_broken_row_is_reported_then_applied_once() {
    // Arrange: a device the file updates, and a Russian admin.
    let app = TestApp::spawn(&[]).await;
    let admin = TgUser::new(ADMIN, "Анна").russian();
    started(&app, &admin).await;
    let printer = DeviceFields {
        name: "Принтер".into(),
        inventory_no: "INV-3".into(),
        location: "Склад".into(),
        ..Default::default()
    };
    device::new_row(&printer, Utc::now()).insert(&app.db).await.unwrap();
    let file = cp1251(
        "Наименование;Инв. №;Серийный номер;Место;Статус\r\n\
         Ноутбук Lenovo;INV-1;SN-1;Офис 3;доступно\r\n\
         Телефон;INV-2;SN-2;Склад;\r\n\
         Сломанная строка;;SN-X;;\r\n\
         Принтер;INV-3;;Офис 5;\r\n",
    );

    // Act: the file with /import as its caption.
    app.telegram.send_document(&admin, "устройства.csv", &file, Some("/import"));

    // Assert: the dry run names the broken row and its reason, in Russian, and writes nothing.
    app.telegram.wait_for_text(ADMIN, "Читаю устройства.csv").await;
    let report = app.telegram.wait_for_text(ADMIN, "Строка 4").await;
    let text = report.text();
    assert!(text.contains("windows-1251") && text.contains("точка с запятой"), "{text}");
    assert!(text.contains("Добавить: 2, обновить: 1, без изменений: 0, отклонено: 1"), "{text}");
    assert!(text.contains("Строка 4: не указан инвентарный номер"), "{text}");
    assert_eq!(device::Entity::find().count(&app.db).await.unwrap(), 1, "a dry run writes nothing");

    // Act: Apply, pressed twice.
    let apply = button(&report, "Применить");
    app.telegram.press_button(&admin, &apply);
    app.telegram.press_button(&admin, &apply);

    // Assert: applied once, every letter intact, the update kept what the file lacks.
    app.telegram.wait_for_text(ADMIN, "Импорт выполнен: добавлено — 2, обновлено — 1").await;
    app.telegram
        .wait_for_n("both presses answered", 2, |c| c.method == "answercallbackquery" && c.chat_id().is_none())
        .await;
    let laptop = device_by_number(&app, "INV-1").await.expect("INV-1 imported");
    assert_eq!((laptop.name.as_str(), laptop.location.as_str()), ("Ноутбук Lenovo", "Офис 3"));
    assert_eq!(laptop.state, DeviceState::Available);
    assert_eq!(laptop.search, device::search_text("Ноутбук Lenovo", "INV-1", "SN-1"));
    let phone = device_by_number(&app, "INV-2").await.expect("INV-2 imported");
    assert_eq!((phone.name.as_str(), phone.location.as_str()), ("Телефон", "Склад"));
    let printer = device_by_number(&app, "INV-3").await.unwrap();
    assert_eq!((printer.name.as_str(), printer.location.as_str()), ("Принтер", "Офис 5"));
    assert_eq!(device::Entity::find().count(&app.db).await.unwrap(), 3);
    let applied = app.telegram.messages_to(ADMIN).iter().filter(|c| c.text().contains("Импорт выполнен")).count();
    assert_eq!(applied, 1, "the second press applies nothing");
    let row = import::Entity::find().one(&app.db).await.unwrap().unwrap();
    assert_eq!(row.status, ImportStatus::Applied);
    assert!(row.content.is_none(), "the file is not kept once applied");
    app.stop().await;
}

#[tokio::test]
async fn apply_writes_nothing_when_the_data_changed_since_the_dry_run() {
    // Arrange: a dry run that adds INV-1.
    let app = TestApp::spawn(&[]).await;
    let admin = TgUser::new(ADMIN, "Ann");
    started(&app, &admin).await;
    app.telegram.send_text(&admin, "/import");
    app.telegram.wait_for_text(ADMIN, "Send the CSV or XLSX").await;
    app.telegram.send_document(&admin, "d.csv", b"Name,Inventory number\nLaptop,INV-1\nPhone,INV-2\n", None);
    let report = app.telegram.wait_for_text(ADMIN, "2 to add").await;

    // Act: someone adds INV-1 by hand, then Apply.
    let laptop = DeviceFields { name: "Laptop".into(), inventory_no: "INV-1".into(), ..Default::default() };
    device::new_row(&laptop, Utc::now()).insert(&app.db).await.unwrap();
    app.telegram.press_button(&admin, &button(&report, "Apply"));

    // Assert: nothing applied, a fresh report with a fresh Apply that works.
    let fresh = app.telegram.wait_for_text(ADMIN, "The data changed since the dry run").await;
    assert!(fresh.text().contains("1 to add, 0 to update, 1 unchanged"), "{}", fresh.text());
    assert!(device_by_number(&app, "INV-2").await.is_none(), "all or nothing");
    app.telegram.press_button(&admin, &button(&fresh, "Apply"));
    app.telegram.wait_for_text(ADMIN, "Imported: 1 added, 0 updated").await;
    assert!(device_by_number(&app, "INV-2").await.is_some());
    app.stop().await;
}

#[tokio::test]
async fn files_that_cannot_be_imported_are_refused_with_a_reason() {
    let app = TestApp::spawn(&[]).await;
    let admin = TgUser::new(ADMIN, "Ann");
    started(&app, &admin).await;

    app.telegram.send_document(&admin, "photo.png", b"\x89PNG", Some("/import"));
    app.telegram.wait_for_text(ADMIN, "is neither CSV nor XLSX").await;

    app.telegram.send_document(&admin, "list.csv", b"Name;Category\nA;B\n", Some("/import"));
    let refused = app.telegram.wait_for_text(ADMIN, "cannot be imported").await;
    assert!(refused.text().contains("there is no “Inventory number” column"), "{}", refused.text());

    // A taken device keeps its state: the row saying otherwise is rejected, not applied.
    let taken = DeviceFields { name: "Phone".into(), inventory_no: "P-1".into(), ..Default::default() };
    let id = device::new_row(&taken, Utc::now()).insert(&app.db).await.unwrap().id;
    let take = shared::equipment::loans::Take { device_id: id, holder_id: 7, due_on: None, assigned_by: None };
    shared::equipment::loans::take(&app.db, take, Utc::now()).await.unwrap();
    app.telegram.send_document(&admin, "d.csv", b"Name;Inventory number;State\nPhone;P-1;available\n", Some("/import"));
    let report = app.telegram.wait_for_text(ADMIN, "Row 2:").await;
    assert!(report.text().contains("the device is taken"), "{}", report.text());
    assert!(report.text().contains("Nothing to change"), "{}", report.text());
    assert_eq!(device_by_number(&app, "P-1").await.unwrap().state, DeviceState::Taken);
    app.stop().await;
}

#[tokio::test]
async fn ten_thousand_rows_import_in_seconds() {
    let app = TestApp::spawn(&[]).await;
    let admin = TgUser::new(ADMIN, "Ann");
    started(&app, &admin).await;
    let mut csv = String::from("Name;Category;Inventory number;Serial number;Location\n");
    for i in 0..10_000 {
        csv.push_str(&format!("Терминал {i};POS;INV-{i:05};SN{i};Склад {}\n", i % 7));
    }

    let started_at = Instant::now();
    app.telegram.send_document(&admin, "big.csv", csv.as_bytes(), Some("/import"));
    let report = app.telegram.wait_for_text(ADMIN, "10000 to add").await;
    let planned = started_at.elapsed();
    let applying = Instant::now();
    app.telegram.press_button(&admin, &button(&report, "Apply"));
    within(
        Duration::from_secs(60),
        "10,000 devices applied",
        || async {
            let n = device::Entity::find().count(&app.db).await.unwrap();
            (n == 10_000).then_some(())
        },
        String::new,
    )
    .await;
    let applied = applying.elapsed();

    eprintln!("10,000-row import: dry run {planned:.2?} (upload to report), apply {applied:.2?} (press to rows)");
    eventually("the import marked applied", || async {
        let row = import::Entity::find().one(&app.db).await.unwrap()?;
        (row.status == ImportStatus::Applied).then_some(())
    })
    .await;
    app.stop().await;
}

#[tokio::test]
async fn an_export_imported_again_changes_nothing() {
    // Arrange: devices with Cyrillic, umlauts, a would-be formula, a multi-line description, a
    // broken one and a taken one.
    let app = TestApp::spawn(&[]).await;
    let admin = TgUser::new(ADMIN, "Ann");
    started(&app, &admin).await;
    let devices = [
        DeviceFields {
            name: "Ноутбук «Бухгалтерия»".into(), location: "Офис 3".into(), ..numbered("INV-1")
        },
        DeviceFields {
            name: "Drucker München".into(),
            description: "Größe A4;\nzweite Zeile".into(),
            ..numbered("INV-2")
        },
        DeviceFields { name: "=HYPERLINK(\"x\")".into(), state: DeviceState::Broken, ..numbered("007") },
        DeviceFields { name: "Phone".into(), ..numbered("P-1") },
    ];
    for fields in &devices {
        device::new_row(fields, Utc::now()).insert(&app.db).await.unwrap();
    }
    let phone = device_by_number(&app, "P-1").await.unwrap();
    let take = shared::equipment::loans::Take { device_id: phone.id, holder_id: 7, due_on: None, assigned_by: None };
    shared::equipment::loans::take(&app.db, take, Utc::now()).await.unwrap();

    // Act
    app.telegram.send_text(&admin, "/export");

    // Assert: two documents, each with the count.
    let documents = app.telegram.wait_for_documents(ADMIN, 2).await;
    let names: Vec<&str> = documents.iter().map(|d| d.file_name.as_str()).collect();
    assert_eq!(names, ["devices.csv", "devices.xlsx"]);
    for document in &documents {
        assert_eq!(document.caption.as_deref(), Some("📦 4 devices in all."));
    }

    // Act: both files imported again.
    for document in &documents {
        app.telegram.send_document(&admin, &document.file_name, &document.bytes, Some("/import"));
        let header = format!("{} (devices)", document.file_name);
        let report = app.telegram.wait_for_text(ADMIN, &header).await;

        // Assert: nothing to add or update, no button to press.
        let text = report.text();
        assert!(text.contains("0 to add, 0 to update, 4 unchanged, 0 rejected"), "{text}");
        assert!(text.contains("Nothing to change"), "{text}");
        assert!(report.body["reply_markup"].is_null(), "{:?}", report.body);
    }
    assert_eq!(device::Entity::find().count(&app.db).await.unwrap(), 4);
    app.stop().await;
}

fn numbered(inventory_no: &str) -> DeviceFields {
    DeviceFields { inventory_no: inventory_no.into(), ..Default::default() }
}
