//! Secrets at rest: a phone verified in the bot is on disk only encrypted (in `users` and in the
//! admins' request messages in the outbox); a key rotation keeps
//! every value readable and then needs only the new key; a wrong key is refused naming
//! `TELEOPS_SECRET_KEY`; `teleops rotate-key` as a real process; plaintext from before encryption
//! is sealed by `migrate`, on SQLite and Postgres.

use migrations::MigratorTrait;
use sea_orm::{ActiveModelTrait, ConnectionTrait, DatabaseConnection, EntityTrait, QueryOrder, Set};
use shared::crypto::{Encrypted, Keyring, Rewritten, SecretKey, scoped};
use shared::entities::outbox;
use shared::entities::user::{self, AccessStatus};

use crate::fake_telegram::TgUser;
use crate::helpers::{ADMIN, TEST_KEY, TempDir, TestApp};

const KEY_A: &str = "aa00000000000000000000000000000000000000000000000000000000000000";
const KEY_B: &str = "bb00000000000000000000000000000000000000000000000000000000000000";
const KEY_C: &str = "cc00000000000000000000000000000000000000000000000000000000000000";

fn key(hex: &str) -> SecretKey {
    SecretKey::from_hex(hex).unwrap()
}

fn ring(current: &str, old: Option<&str>) -> Keyring {
    Keyring::new(key(current), old.map(key)).unwrap()
}

#[tokio::test]
async fn a_verified_phone_is_in_neither_the_database_file_nor_its_wal() {
    if crate::setup::setup() != crate::setup::Setup::Sqlite {
        eprintln!("SQLite files only: on Postgres the database is not in the data directory");
        return;
    }
    // Arrange: phone verification on; Ann has a name we can find on disk.
    let app = TestApp::spawn(&[("TELEOPS_REQUIRE_PHONE", "true")]).await;
    let ann = TgUser::new(2101, "Annushka7731");
    app.telegram.send_text(&ann, "/start");
    app.telegram.wait_for_text(ann.id, "verified phone number").await;

    // Act: she shares her own contact; her access request reaches the admin with the phone.
    app.telegram.send_contact(&ann, ann.id, "79001234567");
    app.telegram.wait_for_text(ann.id, "phone number is verified").await;
    app.telegram.wait_for_text(ADMIN, "+79001234567").await;
    // (That request went through the outbox, whose message bodies are encrypted too.)

    // Assert: the entity reads the phone back, sealed under the app's key.
    let row = user::Entity::find_by_id(ann.id).one(&app.db).await.unwrap().unwrap();
    let phone = row.phone.expect("phone saved");
    assert_eq!(phone.expose(), "+79001234567");
    assert_eq!(phone.key_id(), key(TEST_KEY).id());
    assert_eq!(format!("{phone:?}"), "[redacted]");
    let stored = stored_phone(&app.db, ann.id).await;
    assert!(stored.starts_with(&format!("v1:{}:", key(TEST_KEY).id())), "{stored}");

    // The files hold the row (her name and the ciphertext are found), but not the phone.
    let mut bytes = std::fs::read(app.data_dir().join("teleops.db")).unwrap();
    bytes.extend(std::fs::read(app.data_dir().join("teleops.db-wal")).unwrap_or_default());
    assert!(contains(&bytes, b"Annushka7731"), "the search must see the row to mean anything");
    assert!(contains(&bytes, stored.as_bytes()), "the ciphertext is what is on disk");
    for needle in ["79001234567", "+7900", "9001234567"] {
        assert!(!contains(&bytes, needle.as_bytes()), "{needle} found on disk");
    }
    app.stop().await;
}

#[tokio::test]
async fn a_rotation_keeps_every_value_readable_and_then_needs_only_the_new_key() {
    let dir = TempDir::new();
    let db = sqlite(&dir).await;
    migrations::Migrator::up(&db, None).await.unwrap();
    rotation_keeps_values_readable(&db).await;
}

#[tokio::test]
async fn a_rotation_keeps_every_value_readable_on_postgres() {
    let Some(pg) = crate::postgres::PgServer::start().await else { return };
    let db = shared::db::connect(&pg.url).await.unwrap();
    migrations::Migrator::up(&db, None).await.unwrap();
    rotation_keeps_values_readable(&db).await;
    db.close().await.unwrap();
}

async fn rotation_keeps_values_readable(db: &DatabaseConnection) {
    // Arrange: five phones (and one user without) stored under key A.
    let phones: Vec<String> = (1..=5).map(|i| format!("+7900000000{i}")).collect();
    scoped(ring(KEY_A, None), async {
        for (i, phone) in phones.iter().enumerate() {
            insert_user(db, 3000 + i as i64, Some(phone)).await;
        }
        insert_user(db, 3100, None).await;
    })
    .await;

    // Act 1: restart-equivalent with current = B, old = A. Everything reads; still sealed under A.
    let rotating = ring(KEY_B, Some(KEY_A));
    let read = scoped(rotating.clone(), read_phones(db)).await.unwrap();
    assert_eq!(read.iter().map(|(p, _)| p.clone()).collect::<Vec<_>>(), phones);
    assert!(read.iter().all(|(_, id)| *id == key(KEY_A).id()));
    // New values are sealed under B at once.
    scoped(rotating.clone(), insert_user(db, 3006, Some("+79000000006"))).await;

    // Act 2: rotate, two rows a batch so several batches run.
    let done = shared::crypto::rotate(db, &rotating, 2).await.unwrap();

    // Assert: the five A values were re-encrypted; the B one and the empty one were left alone.
    assert_eq!(done, Rewritten { sealed: 5, failed: 0 });
    let only_b = ring(KEY_B, None);
    let read = scoped(only_b.clone(), read_phones(db)).await.unwrap();
    assert_eq!(read.len(), 6);
    assert!(read.iter().all(|(_, id)| *id == key(KEY_B).id()));
    assert_eq!(read[5].0, "+79000000006");
    assert_eq!(shared::crypto::rotate(db, &only_b, 2).await.unwrap(), Rewritten::default(), "nothing left to do");

    // With only the old key, reading fails clearly instead of returning garbage.
    let err = scoped(ring(KEY_A, None), read_phones(db)).await.unwrap_err().to_string();
    assert!(err.contains("which is neither TELEOPS_SECRET_KEY"), "{err}");
    assert!(err.contains(&key(KEY_B).id().to_string()), "names the key the value needs: {err}");
}

#[tokio::test]
async fn a_wrong_key_is_refused_naming_the_variable_and_rotation_leaves_its_values_alone() {
    // Arrange: a phone under key A.
    let dir = TempDir::new();
    let db = sqlite(&dir).await;
    migrations::Migrator::up(&db, None).await.unwrap();
    scoped(ring(KEY_A, None), insert_user(&db, 3200, Some("+79001112233"))).await;
    let before = stored_phone(&db, 3200).await;

    // Act: read and rotate with key C (and B as the "old" key), neither of which sealed it.
    let wrong = ring(KEY_C, Some(KEY_B));
    let err = scoped(wrong.clone(), user::Entity::find_by_id(3200).one(&db)).await.unwrap_err().to_string();
    let done = shared::crypto::rotate(&db, &wrong, 10).await.unwrap();

    // Assert
    assert!(
        err.contains(&format!(
            "cannot decrypt a stored secret: it was encrypted with key {}, which is neither TELEOPS_SECRET_KEY (key {}) \
             nor TELEOPS_SECRET_KEY_OLD (key {})",
            key(KEY_A).id(),
            key(KEY_C).id(),
            key(KEY_B).id()
        )),
        "{err}"
    );
    assert_eq!(done, Rewritten { sealed: 0, failed: 1 });
    assert_eq!(stored_phone(&db, 3200).await, before, "a value no key opens is left as it was");
}

#[tokio::test]
async fn phones_stored_before_encryption_are_sealed_by_migrate_on_sqlite() {
    let dir = TempDir::new();
    let db = sqlite(&dir).await;
    plaintext_phones_are_sealed(&db).await;
}

#[tokio::test]
async fn phones_stored_before_encryption_are_sealed_by_migrate_on_postgres() {
    let Some(pg) = crate::postgres::PgServer::start().await else { return };
    let db = shared::db::connect(&pg.url).await.unwrap();
    plaintext_phones_are_sealed(&db).await;
    db.close().await.unwrap();
}

async fn plaintext_phones_are_sealed(db: &DatabaseConnection) {
    // Arrange: the schema before m0005, with a phone stored as plaintext as that release did.
    migrations::Migrator::up(db, Some(4)).await.unwrap();
    db.execute_unprepared(
        "INSERT INTO users (id, first_name, language, phone, status, created_at)
         VALUES (3300, 'Old', 'en', '+79005556677', 'approved', '2026-01-01 00:00:00+00:00')",
    )
    .await
    .unwrap();

    // Act: what `teleops migrate` does.
    migrations::Migrator::up(db, None).await.unwrap();
    let keyring = ring(KEY_A, None);
    let done = shared::crypto::seal_plaintext(db, &keyring).await.unwrap();

    // Assert
    assert_eq!(done, Rewritten { sealed: 1, failed: 0 });
    let stored = stored_phone(db, 3300).await;
    assert!(stored.starts_with(&format!("v1:{}:", key(KEY_A).id())) && !stored.contains("5556677"), "{stored}");
    let row = scoped(keyring.clone(), user::Entity::find_by_id(3300).one(db)).await.unwrap().unwrap();
    assert_eq!(row.phone.unwrap().expose(), "+79005556677");
    assert_eq!(shared::crypto::seal_plaintext(db, &keyring).await.unwrap(), Rewritten::default());
}

#[test]
fn rotate_key_re_encrypts_everything_so_the_old_key_can_go() {
    // Arrange: `migrate` with key A, then one phone sealed under A, and a phone and an outbox
    // message left in plaintext as an earlier release stored them.
    let dir = TempDir::new();
    let db_path = dir.0.join("data/teleops.db");
    let out = crate::cli::run(&dir, &["migrate"], &[("TELEOPS_SECRET_KEY", KEY_A)]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let url = format!("sqlite://{}", db_path.display());
    runtime.block_on(async {
        let db = shared::db::connect(&url).await.unwrap();
        scoped(ring(KEY_A, None), insert_user(&db, 3400, Some("+79000000400"))).await;
        db.execute_unprepared(
            "INSERT INTO users (id, first_name, language, phone, status, created_at)
             VALUES (3401, 'Legacy', 'en', '+79000000401', 'approved', '2026-01-01 00:00:00+00:00')",
        )
        .await
        .unwrap();
        db.execute_unprepared(
            "INSERT INTO outbox (chat_id, text, status, created_at)
             VALUES (3401, 'Access request from Legacy +79000000401', 'sent', '2026-01-01 00:00:00+00:00')",
        )
        .await
        .unwrap();
        db.close().await.unwrap();
    });

    // Act 1: `migrate` again seals the plaintext under A.
    let out = crate::cli::run(&dir, &["migrate"], &[("TELEOPS_SECRET_KEY", KEY_A)]);
    assert_eq!(out.code, 0, "{}", out.stderr);

    // Act 2: without the old key, rotate-key cannot read the A values and says what to set.
    let out = crate::cli::run(&dir, &["rotate-key"], &[("TELEOPS_SECRET_KEY", KEY_B)]);
    assert_eq!(out.code, 2, "{}", out.stderr);
    assert!(out.stderr.contains("3 could not be decrypted with TELEOPS_SECRET_KEY"), "{}", out.stderr);
    assert!(out.stderr.contains("Set TELEOPS_SECRET_KEY_OLD"), "{}", out.stderr);

    // Act 3: with B current and A old, it re-encrypts all three.
    let rotating = [("TELEOPS_SECRET_KEY", KEY_B), ("TELEOPS_SECRET_KEY_OLD", KEY_A)];
    let out = crate::cli::run(&dir, &["rotate-key"], &rotating);
    assert_eq!(out.code, 0, "{}", out.stderr);
    let b = key(KEY_B).id();
    assert_eq!(out.stdout.trim(), format!("re-encrypted 3 secret value(s) under key {b}"));

    // Assert: nothing is left for the old key; B alone reads everything; A alone is refused.
    let out = crate::cli::run(&dir, &["rotate-key"], &[("TELEOPS_SECRET_KEY", KEY_B)]);
    assert_eq!((out.code, out.stdout.trim()), (0, format!("re-encrypted 0 secret value(s) under key {b}").as_str()));
    let out = crate::cli::run(&dir, &["rotate-key"], &[("TELEOPS_SECRET_KEY", KEY_A)]);
    assert_eq!(out.code, 2, "{}", out.stderr);
    assert!(out.stderr.contains("TELEOPS_SECRET_KEY"), "{}", out.stderr);
    runtime.block_on(async {
        let db = shared::db::connect(&url).await.unwrap();
        let read = scoped(ring(KEY_B, None), read_phones(&db)).await.unwrap();
        assert_eq!(read, vec![("+79000000400".to_owned(), b), ("+79000000401".to_owned(), b)]);
        let message = scoped(ring(KEY_B, None), outbox::Entity::find().one(&db)).await.unwrap().unwrap();
        assert_eq!(message.text.expose(), "Access request from Legacy +79000000401");
        assert_eq!(message.text.key_id(), b);
        db.close().await.unwrap();
    });
}

#[test]
fn the_old_key_must_be_another_key() {
    let dir = TempDir::new();
    let out = crate::cli::run(&dir, &["migrate"], &[("TELEOPS_SECRET_KEY", KEY_A), ("TELEOPS_SECRET_KEY_OLD", KEY_A)]);
    assert_eq!(out.code, 2, "{}", out.stderr);
    assert!(out.stderr.contains("TELEOPS_SECRET_KEY_OLD is the same key as TELEOPS_SECRET_KEY"), "{}", out.stderr);
}

#[test]
fn the_secret_key_can_come_from_a_file_but_not_from_both() {
    let dir = TempDir::new();
    let key_file = dir.0.join("key");
    std::fs::write(&key_file, format!("{KEY_A}\n")).unwrap();
    let key_file = key_file.display().to_string();

    let out = crate::cli::run(&dir, &["migrate"], &[("TELEOPS_SECRET_KEY_FILE", &key_file)]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert!(!dir.0.join("data/secret.key").exists(), "the key from the file is used; none is generated");

    let both = [("TELEOPS_SECRET_KEY_FILE", key_file.as_str()), ("TELEOPS_SECRET_KEY", KEY_B)];
    let out = crate::cli::run(&dir, &["migrate"], &both);
    assert_eq!(out.code, 2, "{}", out.stderr);
    assert!(out.stderr.contains("TELEOPS_SECRET_KEY_FILE: TELEOPS_SECRET_KEY is set too"), "{}", out.stderr);
}

async fn sqlite(dir: &TempDir) -> DatabaseConnection {
    shared::db::connect(&format!("sqlite://{}?mode=rwc", dir.0.join("t.db").display())).await.unwrap()
}

async fn insert_user(db: &DatabaseConnection, id: i64, phone: Option<&str>) {
    user::ActiveModel {
        id: Set(id),
        first_name: Set(format!("User {id}")),
        last_name: Set(None),
        username: Set(None),
        language: Set("en".into()),
        phone: Set(phone.map(|p| Encrypted::new(p.to_owned()).expect("a keyring is in scope"))),
        status: Set(AccessStatus::Approved),
        created_at: Set(chrono::Utc::now()),
        decided_by: Set(None),
        decided_at: Set(None),
        time_zone: Set(None),
    }
    .insert(db)
    .await
    .unwrap();
}

/// Every stored phone in user order, read through the entity, with the key that sealed it.
async fn read_phones(db: &DatabaseConnection) -> Result<Vec<(String, shared::crypto::KeyId)>, sea_orm::DbErr> {
    let rows = user::Entity::find().order_by_asc(user::Column::Id).all(db).await?;
    Ok(rows.into_iter().filter_map(|r| r.phone).map(|p| (p.expose().clone(), p.key_id())).collect())
}

/// The phone column as stored, bypassing the entity.
async fn stored_phone(db: &DatabaseConnection, id: i64) -> String {
    let row = db
        .query_one_raw(sea_orm::Statement::from_string(
            db.get_database_backend(),
            format!("SELECT phone FROM users WHERE id = {id}"),
        ))
        .await
        .unwrap()
        .unwrap();
    row.try_get("", "phone").unwrap()
}

fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    haystack.windows(needle.len()).any(|w| w == needle)
}

// See: issue 8 — the data directory was 0755 and the databases and their WAL files 0644.
#[cfg(unix)]
#[tokio::test]
async fn the_data_directory_and_every_database_file_are_private() {
    use std::os::unix::fs::PermissionsExt;
    let app = TestApp::spawn(&[("TELEOPS_OPEN_REGISTRATION", "true")]).await;
    let ann = crate::fake_telegram::TgUser::new(5300, "Ann");
    app.telegram.send_text(&ann, "/start");
    app.telegram.wait_for_text(ann.id, "Welcome").await;

    let mode = |name: &str| {
        let path = app.data_dir().join(name);
        std::fs::metadata(&path).map(|m| m.permissions().mode() & 0o777).unwrap_or_else(|e| panic!("{name}: {e}"))
    };
    assert_eq!(mode(""), 0o700, "the data directory");
    let files: &[&str] = match crate::setup::setup() {
        crate::setup::Setup::Sqlite => &["teleops.db", "teleops.db-wal", "queue.db", "queue.db-wal"],
        // Postgres and Redis keep their files elsewhere; the data directory holds the key.
        crate::setup::Setup::PostgresRedis => &[],
    };
    for file in files {
        assert_eq!(mode(file), 0o600, "{file}");
    }
    app.stop().await;
}
