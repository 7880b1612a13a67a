//! `/labels`: the rendered PDF sheet carries, for each device, a QR code that decodes to the
//! device's `t.me/<bot>?start=dev_<id>` link (read back out of the PDF's images with `lopdf`
//! and decoded with `rqrr`).

use lopdf::{Document, Object};

use super::catalog::insert_device;
use crate::fake_telegram::{BOT_USERNAME, TgUser};
use crate::helpers::{ADMIN, TestApp};

/// The text of every QR code among the images of `pdf`, in the order the PDF stores them.
fn decode_qr_codes(pdf: &[u8]) -> Vec<String> {
    let doc = Document::load_mem(pdf).expect("a PDF");
    let mut found = Vec::new();
    for object in doc.objects.values() {
        let Object::Stream(stream) = object else { continue };
        let is_image = stream.dict.get(b"Subtype").and_then(Object::as_name).is_ok_and(|n| n == b"Image");
        if !is_image {
            continue;
        }
        let width = stream.dict.get(b"Width").and_then(Object::as_i64).unwrap() as usize;
        let height = stream.dict.get(b"Height").and_then(Object::as_i64).unwrap() as usize;
        let bits = stream.dict.get(b"BitsPerComponent").and_then(Object::as_i64).unwrap();
        let data = stream.decompressed_content().unwrap_or_else(|_| stream.content.clone());
        let pixels: Vec<u8> = match bits {
            8 => data,
            // A set bit is white; rows are padded to whole bytes.
            1 => {
                let row = width.div_ceil(8);
                (0..width * height)
                    .map(|i| {
                        let (x, y) = (i % width, i / width);
                        if data[y * row + x / 8] & (0x80 >> (x % 8)) != 0 { 255 } else { 0 }
                    })
                    .collect()
            }
            other => panic!("{other} bits a pixel"),
        };
        assert_eq!(pixels.len(), width * height);
        // One pixel a module is too small to scan: enlarge it as a printer would.
        let scale = 8;
        let mut image = rqrr::PreparedImage::prepare_from_greyscale(width * scale, height * scale, |x, y| {
            pixels[(y / scale) * width + x / scale]
        });
        for grid in image.detect_grids() {
            let (_, text) = grid.decode().expect("a readable code");
            found.push(text);
        }
    }
    found
}

#[tokio::test]
async fn a_label_sheet_carries_a_scannable_deep_link_per_device() {
    // Arrange
    let app = TestApp::spawn(&[("TELEOPS_OPEN_REGISTRATION", "true")]).await;
    let admin = TgUser::new(ADMIN, "Boss");
    let phone = insert_device(&app, "Телефон Pixel 8 с длинным названием", "Phones", "ИНВ-1").await;
    let tablet = insert_device(&app, "Tablet", "Phones", "INV-2").await;
    let laptop = insert_device(&app, "Laptop", "Laptops", "INV-3").await;

    // Act
    app.telegram.send_text(&admin, "/labels");
    let sheet = app.telegram.wait_for_documents(ADMIN, 1).await.remove(0);

    // Assert: a PDF whose codes are the devices' links.
    assert_eq!(sheet.file_name, "labels.pdf");
    assert!(sheet.caption.as_deref().is_some_and(|c| c.contains("3 labels")), "{:?}", sheet.caption);
    let mut links = decode_qr_codes(&sheet.bytes);
    links.sort();
    let mut expected: Vec<String> =
        [phone, tablet, laptop].iter().map(|id| format!("https://t.me/{BOT_USERNAME}?start=dev_{id}")).collect();
    expected.sort();
    assert_eq!(links, expected);

    // A category narrows the sheet.
    app.telegram.send_text(&admin, "/labels Laptops");
    let laptops = app.telegram.wait_for_documents(ADMIN, 2).await.remove(1);
    assert_eq!(decode_qr_codes(&laptops.bytes), [format!("https://t.me/{BOT_USERNAME}?start=dev_{laptop}")]);
    app.telegram.send_text(&admin, "/labels Nothing here");
    app.telegram.wait_for_text(ADMIN, "No devices to label.").await;

    // Labels are an admin's job.
    let ann = TgUser::new(4960, "Ann");
    app.telegram.send_text(&ann, "/start");
    app.telegram.wait_for_text(ann.id, "Welcome").await;
    app.telegram.send_text(&ann, "/labels");
    app.telegram.wait_for_text(ann.id, "This command is for admins only.").await;
    assert!(app.telegram.documents_to(ann.id).is_empty());
    app.stop().await;
}

#[tokio::test]
async fn a_thousand_labels_render_in_the_handler_within_seconds() {
    use sea_orm::{ConnectionTrait, Statement};
    let app = TestApp::spawn(&[]).await;
    let admin = TgUser::new(ADMIN, "Boss");
    // 1,000 devices in one statement.
    let sql = "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 1000) \
               INSERT INTO devices (name, category, inventory_no, serial_no, model, location, description, condition, \
               state, search, created_at, updated_at) \
               SELECT 'Device ' || i, 'Bulk', 'INV-' || i, '', '', '', '', '', 'available', 'device ' || i, \
               '2026-01-01 00:00:00+00:00', '2026-01-01 00:00:00+00:00' FROM n";
    app.db.execute_raw(Statement::from_string(app.db.get_database_backend(), sql)).await.unwrap();

    let started = std::time::Instant::now();
    app.telegram.send_text(&admin, "/labels");
    let sheet = app.telegram.wait_for_documents(ADMIN, 1).await.remove(0);
    let took = started.elapsed();
    let doc = Document::load_mem(&sheet.bytes).unwrap();
    assert_eq!(doc.get_pages().len(), 1000usize.div_ceil(24));
    println!(
        "1000 labels: {} pages, {} bytes, {took:?} from command to document",
        doc.get_pages().len(),
        sheet.bytes.len()
    );
    assert!(took < std::time::Duration::from_secs(20), "{took:?}");
    app.stop().await;
}
