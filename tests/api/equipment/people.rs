//! The people directory end to end: a staff list imported before anyone pressed /start, a person
//! linked when they share their contact, `/users` finding them by name and by phone, and the
//! card's unlink, link by hand and delete (refused while they hold a device).

use chrono::Utc;
use sea_orm::{ActiveModelTrait, ColumnTrait, EntityTrait, QueryFilter};
use shared::entities::{device, person};
use shared::equipment::device::DeviceFields;

use super::import::button;
use crate::fake_telegram::TgUser;
use crate::helpers::{ADMIN, TestApp, eventually};

async fn person_named(app: &TestApp, name: &str) -> person::Model {
    person::Entity::find().filter(person::Column::Name.eq(name)).one(&app.db).await.unwrap().expect(name)
}

#[tokio::test]
async fn a_staff_list_makes_a_directory_that_links_people_who_share_their_contact() {
    // Arrange: phone verification on, so users share their contact at /start.
    let app = TestApp::spawn(&[("TELEOPS_REQUIRE_PHONE", "true"), ("TELEOPS_OPEN_REGISTRATION", "true")]).await;
    let admin = TgUser::new(ADMIN, "Ann");
    app.telegram.send_text(&admin, "/start");
    app.telegram.wait_for_text(ADMIN, "verified phone number").await;
    app.telegram.send_contact(&admin, ADMIN, "+15550000000");
    app.telegram.wait_for_text(ADMIN, "Welcome, Ann").await;
    let staff = "ФИО;Эл. почта;Телефон;Отдел\n\
                 Иван Петров;Ivan@Example.com;+7 912 345-67-89;Склад\n\
                 Мария Сидорова;maria@example.com;;Бухгалтерия\n\
                 Без контакта;;;Склад\n";

    // Act: the staff list, dry run and Apply.
    app.telegram.send_document(&admin, "staff.csv", staff.as_bytes(), Some("/import"));
    let report = app.telegram.wait_for_text(ADMIN, "staff.csv (staff list)").await;
    let text = report.text();
    assert!(text.contains("2 to add, 0 to update, 0 unchanged, 1 rejected"), "{text}");
    assert!(
        text.contains("Row 4: neither an email address, a phone number nor a Telegram username is given"),
        "{text}"
    );
    app.telegram.press_button(&admin, &button(&report, "Apply"));
    app.telegram.wait_for_text(ADMIN, "Imported: 2 added, 0 updated").await;

    // Assert: the directory exists, the phone in its stored form, nobody linked yet.
    let ivan = person_named(&app, "Иван Петров").await;
    assert_eq!(ivan.email.as_deref(), Some("ivan@example.com"));
    assert_eq!(ivan.phone.as_ref().map(|p| p.expose().as_str()), Some("+79123456789"));
    assert_eq!((ivan.department.as_str(), ivan.user_id), ("Склад", None));

    // Act: Иван starts the bot and shares his contact, written the way Telegram sends it.
    let ivan_tg = TgUser::new(2001, "Ivan").russian();
    app.telegram.send_text(&ivan_tg, "/start");
    app.telegram.wait_for_text(ivan_tg.id, "номер").await;
    app.telegram.send_contact(&ivan_tg, ivan_tg.id, "79123456789");

    // Assert: linked by the phone.
    eventually("Иван linked to his Telegram user", || async {
        (person_named(&app, "Иван Петров").await.user_id == Some(2001)).then_some(())
    })
    .await;

    // Act + Assert: /users finds him by name, by phone digits and by his Telegram name.
    app.telegram.send_text(&admin, "/users петров");
    let by_name = app.telegram.wait_for_text(ADMIN, "Directory: 1 person").await;
    assert!(by_name.text().contains("Иван Петров — ivan@example.com"), "{}", by_name.text());
    app.telegram.send_text(&admin, "/users 912 345");
    let found = |c: &crate::fake_telegram::Call| c.method == "sendmessage" && c.text().contains("Directory: 1 person");
    let both = app.telegram.wait_for_n("the phone search's answer", 2, found).await;
    assert!(both[1].text().contains("Иван Петров"), "{}", both[1].text());
    app.telegram.send_text(&admin, "/users ivan");
    let by_user = app.telegram.wait_for_text(ADMIN, "Telegram: 1 user").await;
    assert!(by_user.text().contains("• Ivan (id 2001) — Иван Петров"), "{}", by_user.text());

    // The card shows the link; unlink, then link again by hand with the user id.
    app.telegram.press_button(&admin, &button(&by_name, "Иван Петров"));
    let card = app.telegram.wait_for_text(ADMIN, "Telegram: Ivan (id 2001)").await;
    app.telegram.press_button(&admin, &button(&card, "Unlink"));
    app.telegram.wait_for_text(ADMIN, "is no longer linked").await;
    assert_eq!(person_named(&app, "Иван Петров").await.user_id, None);
    let unlinked_card = app.telegram.wait_for_text(ADMIN, "Telegram: not linked").await;
    app.telegram.press_button(&admin, &button(&unlinked_card, "Link"));
    app.telegram.wait_for_text(ADMIN, "Who is Иван Петров in Telegram?").await;
    app.telegram.send_text(&admin, "2001");
    app.telegram.wait_for_text(ADMIN, "Иван Петров is now linked to Ivan").await;
    assert_eq!(person_named(&app, "Иван Петров").await.user_id, Some(2001));

    // Deleting is refused while he holds a device.
    let laptop = DeviceFields { name: "Laptop".into(), inventory_no: "L-1".into(), ..Default::default() };
    let laptop = device::new_row(&laptop, Utc::now()).insert(&app.db).await.unwrap();
    let take =
        shared::equipment::loans::Take { device_id: laptop.id, holder_id: 2001, due_on: None, assigned_by: None };
    shared::equipment::loans::take(&app.db, take, Utc::now()).await.unwrap();
    app.telegram.press_button(&admin, &button(&card, "Delete"));
    let confirm = app.telegram.wait_for_text(ADMIN, "Delete Иван Петров from the directory?").await;
    app.telegram.press_button(&admin, &button(&confirm, "Yes, delete"));
    app.telegram.wait_for_text(ADMIN, "Иван Петров still holds 1 device").await;
    assert!(person::Entity::find_by_id(ivan.id).one(&app.db).await.unwrap().is_some());
    app.stop().await;
}

#[tokio::test]
async fn a_staff_list_with_usernames_links_people_who_started_before_and_after_it() {
    // Arrange: Пётр has started the bot as @Petya_S; Ольга has not yet.
    let app = TestApp::spawn(&[("TELEOPS_OPEN_REGISTRATION", "true")]).await;
    let admin = TgUser::new(ADMIN, "Ann");
    app.telegram.send_text(&admin, "/start");
    app.telegram.wait_for_text(ADMIN, "Welcome, Ann").await;
    let petya = TgUser::new(2101, "Petya").with_username("Petya_S");
    app.telegram.send_text(&petya, "/start");
    app.telegram.wait_for_text(petya.id, "Welcome, Petya").await;
    let staff = "ФИО;Telegram;Отдел\n\
                 Пётр Сергеев;@petya_s;Склад\n\
                 Ольга Ким;https://t.me/Olga_Kim;Склад\n\
                 Некто;@no;\n";

    // Act: the staff list, dry run and Apply.
    app.telegram.send_document(&admin, "staff.csv", staff.as_bytes(), Some("/import"));
    let report = app.telegram.wait_for_text(ADMIN, "staff.csv (staff list)").await;
    assert!(report.text().contains("2 to add, 0 to update, 0 unchanged, 1 rejected"), "{}", report.text());
    assert!(report.text().contains("Row 4: “@no” is not a Telegram username"), "{}", report.text());
    app.telegram.press_button(&admin, &button(&report, "Apply"));
    app.telegram.wait_for_text(ADMIN, "Imported: 2 added, 0 updated").await;

    // Assert: Пётр is linked by his username at once, Ольга is not linked yet.
    let petr = person_named(&app, "Пётр Сергеев").await;
    assert_eq!((petr.username.as_deref(), petr.user_id), (Some("petya_s"), Some(petya.id)));
    let olga = person_named(&app, "Ольга Ким").await;
    assert_eq!((olga.username.as_deref(), olga.user_id), (Some("olga_kim"), None));

    // Act: Ольга starts the bot.
    let olga_tg = TgUser::new(2102, "Olga").russian().with_username("olga_kim");
    app.telegram.send_text(&olga_tg, "/start");
    app.telegram.wait_for_text(olga_tg.id, "Olga").await;

    // Assert: linked by her username; /users finds her by it, and her card shows it.
    eventually("Ольга linked to her Telegram user", || async {
        (person_named(&app, "Ольга Ким").await.user_id == Some(2102)).then_some(())
    })
    .await;
    app.telegram.send_text(&admin, "/users olga_k");
    let found = app.telegram.wait_for_text(ADMIN, "Directory: 1 person").await;
    app.telegram.press_button(&admin, &button(&found, "Ольга Ким"));
    let card = app.telegram.wait_for_text(ADMIN, "👤 Ольга Ким").await;
    assert!(card.text().contains("Username: @olga_kim"), "{}", card.text());
    assert!(card.text().contains("Telegram: Olga"), "{}", card.text());
    app.stop().await;
}
