//! The hidden developer commands end to end: unknown to everyone else, each behind the developer
//! code (deleted from the chat, three wrong ones lock the command for an hour), and what each
//! sends or deletes: the log ring, the database as CSV in a zip with secrets masked, a category's
//! devices, and all equipment data after an export.

use std::io::Read;
use std::sync::Arc;

use chrono::{TimeZone, Utc};
use sea_orm::{ActiveModelTrait, EntityTrait, QueryOrder, Set};
use shared::clock::ManualClock;
use shared::crypto::Encrypted;
use shared::entities::{audit, device, person, user};
use shared::equipment::device::DeviceFields;
use shared::equipment::loans::{self, Rules, Take};

use crate::fake_telegram::{TgUser, Upload};
use crate::helpers::{TestApp, test_options};

const CODE: &str = "open-sesame-42";
const DEV: i64 = 4500;
const PROMPT: &str = "send the developer code";

/// An app whose clock reads `now`, where anyone may register and `DEV` is a developer; the
/// developer and Ann (a member) have started the bot.
async fn spawn(clock: &ManualClock) -> (TestApp, TgUser, TgUser) {
    let mut options = test_options();
    options.clock = Arc::new(clock.clone());
    let extra =
        [("TELEOPS_OPEN_REGISTRATION", "true"), ("TELEOPS_DEVELOPERS", "4500"), ("TELEOPS_DEVELOPER_CODE", CODE)];
    let app = TestApp::spawn_with(&extra, options).await;
    let (dev, ann) = (TgUser::new(DEV, "Dana"), TgUser::new(4501, "Ann"));
    for user in [&dev, &ann] {
        app.telegram.send_text(user, "/start");
        app.telegram.wait_for_text(user.id, "Welcome").await;
    }
    (app, dev, ann)
}

/// Messages to `chat` so far that contain `needle`.
fn count(app: &TestApp, chat: i64, needle: &str) -> usize {
    app.telegram.messages_to(chat).iter().filter(|c| c.text().contains(needle)).count()
}

/// Waits until `n` messages to `chat` contain `needle`.
async fn wait_count(app: &TestApp, chat: i64, needle: &str, n: usize) {
    app.telegram
        .wait_for_n(&format!("{n} messages to {chat} with {needle:?}"), n, |c| {
            c.method == "sendmessage" && c.chat_id() == Some(chat) && c.text().contains(needle)
        })
        .await;
}

/// Sends `command`, waits for the code prompt and answers it with `code`.
async fn answer(app: &TestApp, dev: &TgUser, command: &str, code: &str) {
    let prompts = count(app, dev.id, PROMPT);
    app.telegram.send_text(dev, command);
    wait_count(app, dev.id, PROMPT, prompts + 1).await;
    app.telegram.send_text(dev, code);
}

async fn a_device(app: &TestApp, inventory_no: &str, category: &str) -> i64 {
    let fields = DeviceFields {
        name: format!("Terminal {inventory_no}"),
        category: category.into(),
        inventory_no: inventory_no.into(),
        ..Default::default()
    };
    device::new_row(&fields, Utc::now()).insert(&app.db).await.unwrap().id
}

/// The files of a zip, by name.
fn unzip(upload: &Upload) -> Vec<(String, String)> {
    let mut archive = zip::ZipArchive::new(std::io::Cursor::new(upload.bytes.clone())).expect("a zip");
    (0..archive.len())
        .map(|i| {
            let mut file = archive.by_index(i).unwrap();
            let mut text = String::new();
            file.read_to_string(&mut text).unwrap();
            (file.name().unwrap().into_owned(), text)
        })
        .collect()
}

fn file<'a>(files: &'a [(String, String)], name: &str) -> &'a str {
    &files.iter().find(|(n, _)| n == name).unwrap_or_else(|| panic!("{name} in the zip")).1
}

#[tokio::test]
async fn developer_commands_are_hidden_from_others_and_three_wrong_codes_lock_one_for_an_hour() {
    // Arrange
    let clock = ManualClock::new(Utc.with_ymd_and_hms(2026, 7, 1, 10, 0, 0).unwrap());
    let (app, dev, ann) = spawn(&clock).await;

    // Act + Assert: to Ann the commands do not exist, and /help does not name them.
    app.telegram.send_text(&ann, "/dev_wipe");
    app.telegram.wait_for_text(ann.id, "I don't know that command").await;
    app.telegram.send_text(&ann, "/help");
    let help = app.telegram.wait_for_text(ann.id, "Commands:").await;
    assert!(!help.text().contains("dev_"), "{}", help.text());
    app.telegram.send_text(&dev, "/help");
    let help = app.telegram.wait_for_text(dev.id, "/dev_export").await;
    assert!(help.text().contains("/dev_logs") && help.text().contains("/dev_purge"), "{}", help.text());

    // Two wrong codes: each deleted from the chat, each answered with the tries left.
    answer(&app, &dev, "/dev_export", "guess-1").await;
    app.telegram.wait_for_text(dev.id, "Wrong code. 2 more wrong codes and /dev_export is locked").await;
    app.telegram.send_text(&dev, "guess-2");
    app.telegram.wait_for_text(dev.id, "Wrong code. 1 more wrong code and /dev_export is locked").await;
    // The third locks it for an hour from now, shown in the developer's zone.
    clock.advance(chrono::Duration::minutes(5));
    app.telegram.send_text(&dev, "guess-3");
    let locked = "/dev_export is locked after three wrong codes, until 2026-07-01 11:05 UTC";
    app.telegram.wait_for_text(dev.id, locked).await;
    let deleted =
        app.telegram.calls().into_iter().filter(|c| c.method == "deletemessage" && c.chat_id() == Some(DEV)).count();
    assert_eq!(deleted, 3, "every message holding a code is deleted");

    // Locked: refused before asking, the right code is never asked for; other commands still ask.
    let prompts = count(&app, dev.id, PROMPT);
    app.telegram.send_text(&dev, "/dev_export");
    wait_count(&app, dev.id, locked, 2).await;
    assert_eq!(count(&app, dev.id, PROMPT), prompts, "a locked command does not ask");
    answer(&app, &dev, "/dev_logs", CODE).await;
    app.telegram.wait_for_documents(dev.id, 1).await;

    // An hour after the third wrong code, the right code runs the export.
    clock.advance(chrono::Duration::minutes(60));
    answer(&app, &dev, "/dev_export", CODE).await;
    let docs = app.telegram.wait_for_documents(dev.id, 2).await;
    assert_eq!(docs[1].file_name, "teleops-export-2026-07-01.zip");
    let attempts = shared::entities::developer_attempt::Entity::find().all(&app.db).await.unwrap();
    let oks: Vec<(&str, bool)> = attempts.iter().map(|a| (a.command.as_str(), a.ok)).collect();
    assert_eq!(
        oks,
        [("dev_export", false), ("dev_export", false), ("dev_export", false), ("dev_logs", true), ("dev_export", true)]
    );
    app.stop().await;
}

#[tokio::test]
async fn logs_and_the_export_are_documents_and_the_export_keeps_secrets_masked() {
    // Arrange: a device, a phone and an outbox message, both encrypted at rest.
    let clock = ManualClock::new(Utc.with_ymd_and_hms(2026, 7, 1, 10, 0, 0).unwrap());
    let (app, dev, ann) = spawn(&clock).await;
    a_device(&app, "INV-7701", "Terminals").await;
    let mut row: user::ActiveModel = user::Entity::find_by_id(ann.id).one(&app.db).await.unwrap().unwrap().into();
    row.phone = Set(Some(Encrypted::new("+79005550101".to_owned()).unwrap()));
    row.update(&app.db).await.unwrap();
    shared::outbox::write(&app.db, 999, "outbox words 5150".into(), None).await.unwrap();
    tracing::info!(marker = "dev-logs-3e9c", "a line logged during the test");

    // Act
    answer(&app, &dev, "/dev_logs", CODE).await;
    let logs = app.telegram.wait_for_documents(dev.id, 1).await.remove(0);
    answer(&app, &dev, "/dev_export", CODE).await;
    let export = app.telegram.wait_for_documents(dev.id, 2).await.remove(1);

    // Assert: the log line is there, and never the code.
    assert_eq!(logs.file_name, "logs.txt");
    let text = String::from_utf8(logs.bytes).unwrap();
    assert!(text.contains("dev-logs-3e9c"), "{} bytes of logs", text.len());
    assert!(!text.contains(CODE));
    // Every table is a CSV; the device is there, secrets only masked.
    let files = unzip(&export);
    for table in ["devices", "loans", "device_waits", "people", "imports", "users", "outbox", "audit_log", "monitors"] {
        assert!(files.iter().any(|(n, _)| *n == format!("{table}.csv")), "{table}.csv");
    }
    // The search index is not data: neither its FTS5 table nor the tables behind it.
    assert!(
        !files.iter().any(|(n, _)| n.starts_with("devices_search")),
        "{:?}",
        files.iter().map(|f| &f.0).collect::<Vec<_>>()
    );
    let devices = file(&files, "devices.csv");
    assert!(devices.starts_with("id,name,category,inventory_no"), "{devices}");
    assert!(devices.contains("Terminal INV-7701,Terminals,INV-7701"), "{devices}");
    assert!(file(&files, "users.csv").contains("[encrypted]"));
    assert!(file(&files, "outbox.csv").contains("[encrypted]"));
    for (name, text) in &files {
        for secret in ["+79005550101", "outbox words 5150", "v1:"] {
            assert!(!text.contains(secret), "{name} holds {secret:?}");
        }
    }
    let actions: Vec<String> = audit::Entity::find()
        .order_by_asc(audit::Column::Id)
        .all(&app.db)
        .await
        .unwrap()
        .into_iter()
        .filter(|a| a.actor_id == Some(DEV) && a.action.starts_with("developer."))
        .map(|a| a.action)
        .collect();
    assert_eq!(actions, ["developer.logs", "developer.export"]);
    app.stop().await;
}

#[tokio::test]
async fn purge_deletes_only_its_category_and_never_a_taken_device_and_wipe_exports_first() {
    // Arrange: two terminals (one taken by Ann, with an old loan on the other) and a phone.
    let clock = ManualClock::new(Utc.with_ymd_and_hms(2026, 7, 1, 10, 0, 0).unwrap());
    let (app, dev, ann) = spawn(&clock).await;
    let (t1, t2) = (a_device(&app, "T-1", "Terminals").await, a_device(&app, "T-2", "Terminals").await);
    let phone = a_device(&app, "P-1", "Phones").await;
    let now = Utc::now();
    let take = |device_id| Take { device_id, holder_id: ann.id, due_on: None, assigned_by: None };
    let rules = Rules { hold: std::time::Duration::from_secs(3600), default_zone: shared::tz::Tz::UTC };
    loans::take(&app.db, take(t2), now).await.unwrap();
    loans::give_back(&app.db, &app.queue, t2, ann.id, false, rules, now).await.unwrap();
    loans::take(&app.db, take(t1), now).await.unwrap();

    // Act + Assert: refused while T-1 is taken, naming it and its holder.
    answer(&app, &dev, "/dev_purge Terminals", CODE).await;
    let refused = app.telegram.wait_for_text(dev.id, "Nothing was deleted").await;
    assert!(refused.text().contains(&format!("#{t1} Terminal T-1 (T-1) — held by Ann")), "{}", refused.text());
    assert_eq!(device::Entity::find().all(&app.db).await.unwrap().len(), 3);

    // Returned, the category goes with its loans; the phone stays.
    loans::give_back(&app.db, &app.queue, t1, ann.id, false, rules, now).await.unwrap();
    answer(&app, &dev, "/dev_purge Terminals", CODE).await;
    app.telegram.wait_for_text(dev.id, "Category «Terminals» purged: 2 devices, 2 loans, 0 waitlist entries").await;
    let left: Vec<i64> = device::Entity::find().all(&app.db).await.unwrap().into_iter().map(|d| d.id).collect();
    assert_eq!(left, [phone]);
    assert!(shared::entities::loan::Entity::find().all(&app.db).await.unwrap().is_empty());

    // Wipe: the export first, holding the phone; then no equipment is left.
    person::ActiveModel {
        name: Set("Ann Lee".into()),
        department: Set(String::new()),
        comment: Set(String::new()),
        search: Set("ann lee".into()),
        created_at: Set(now),
        updated_at: Set(now),
        ..Default::default()
    }
    .insert(&app.db)
    .await
    .unwrap();
    answer(&app, &dev, "/dev_wipe", CODE).await;
    let export = app.telegram.wait_for_documents(dev.id, 1).await.remove(0);
    assert!(file(&unzip(&export), "devices.csv").contains("P-1"));
    app.telegram.wait_for_text(dev.id, "Equipment data wiped: 1 device, 0 loans, 0 waitlist entries, 1 person").await;
    assert!(device::Entity::find().all(&app.db).await.unwrap().is_empty());
    assert!(person::Entity::find().all(&app.db).await.unwrap().is_empty());
    app.stop().await;
}

#[tokio::test]
async fn the_dump_reads_the_postgres_catalogue_and_masks_secrets_there_too() {
    use migrations::MigratorTrait;
    let Some(pg) = crate::postgres::PgServer::start().await else { return };
    crate::helpers::install_test_key();
    let db = shared::db::connect(&pg.url).await.unwrap();
    migrations::Migrator::up(&db, None).await.unwrap();
    let fields = DeviceFields { name: "Move/5000".into(), inventory_no: "PG-1".into(), ..Default::default() };
    device::new_row(&fields, Utc::now()).insert(&db).await.unwrap();
    shared::outbox::write(&db, 999, "outbox words 5150".into(), None).await.unwrap();

    let dump = shared::dump::dump(&db).await.unwrap();

    let upload = Upload { chat_id: None, file_name: "dump.zip".into(), caption: None, bytes: dump.zip.clone() };
    let files = unzip(&upload);
    assert_eq!(files.len(), dump.tables.len());
    assert!(file(&files, "devices.csv").contains("Move/5000,,PG-1"), "{}", file(&files, "devices.csv"));
    assert!(file(&files, "outbox.csv").contains("[encrypted]"));
    assert!(files.iter().all(|(_, text)| !text.contains("outbox words 5150") && !text.contains("v1:")));
    assert!(dump.tables.iter().any(|(name, rows)| name == "seaql_migrations" && *rows > 10), "{:?}", dump.tables);
    db.close().await.unwrap();
}
