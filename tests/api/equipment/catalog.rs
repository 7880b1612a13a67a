//! The catalog through the fake Bot API: adding devices (the dialogue and the one-message form),
//! cards and history, the lists and search, and `/edit`.

use chrono::{DateTime, NaiveDate, Utc};
use sea_orm::{EntityTrait, PaginatorTrait};
use shared::entities::device;
use shared::equipment::device::DeviceFields;
use shared::equipment::loans::{self, Rules, Take};
use shared::equipment::press::{DevicePress, EditPress, Press};

use crate::fake_telegram::{Call, TgUser};
use crate::helpers::{ADMIN, TestApp};

/// The `/add` chooser's device entry: monitoring's adder registers first.
const DEVICE_CHOICE: u8 = 1;

fn edited(chat: i64, needle: &'static str) -> impl Fn(&Call) -> bool {
    move |c: &Call| c.method == "editmessagetext" && c.chat_id() == Some(chat) && c.text().contains(needle)
}

fn answered(needle: &'static str) -> impl Fn(&Call) -> bool {
    move |c: &Call| c.method == "answercallbackquery" && c.body["text"].as_str().is_some_and(|t| t.contains(needle))
}

/// The callback data of every button of a message, in order.
fn buttons(call: &Call) -> Vec<(String, String)> {
    let rows = call.body["reply_markup"]["inline_keyboard"].as_array().cloned().unwrap_or_default();
    rows.iter()
        .flat_map(|row| row.as_array().cloned().unwrap_or_default())
        .map(|b| (b["text"].as_str().unwrap_or("").to_owned(), b["callback_data"].as_str().unwrap_or("").to_owned()))
        .collect()
}

fn has_button(call: &Call, press: Press) -> bool {
    buttons(call).iter().any(|(_, data)| *data == press.data())
}

/// The id in "✅ Device #12 added."
fn added_id(text: &str) -> i64 {
    let rest = text.split("Device #").nth(1).expect("an added device");
    rest.split(|c: char| !c.is_ascii_digit()).next().unwrap().parse().unwrap()
}

/// Adds a device as the admin in one message; returns its id.
pub(crate) async fn add_device(app: &TestApp, name: &str, category: &str, inventory_no: &str) -> i64 {
    let admin = TgUser::new(ADMIN, "Boss");
    app.telegram.send_text(&admin, &format!("/add {name} | {category} | {inventory_no}"));
    let reply = app
        .telegram
        .wait_for(&format!("{inventory_no} added"), |c| {
            c.method == "sendmessage" && c.text().contains("added.") && c.text().contains(&format!("({inventory_no})"))
        })
        .await;
    added_id(reply.text())
}

async fn registered(app: &TestApp, user: &TgUser) {
    app.telegram.send_text(user, "/start");
    let welcome = if user.language_code == "ru" { "Добро пожаловать" } else { "Welcome" };
    app.telegram.wait_for_text(user.id, welcome).await;
}

async fn devices(app: &TestApp) -> u64 {
    device::Entity::find().count(&app.db).await.unwrap()
}

#[tokio::test]
async fn an_admin_adds_a_device_step_by_step_re_asked_on_bad_answers() {
    // Arrange: one device already, so its category has a button and its number is taken.
    let app = TestApp::spawn(&[]).await;
    let admin = TgUser::new(ADMIN, "Boss");
    let first = add_device(&app, "Old terminal", "Terminals", "INV-1").await;

    // Act: /add offers the chooser; the device entry starts the dialogue.
    app.telegram.send_text(&admin, "/add");
    let chooser = app.telegram.wait_for_text(ADMIN, "What do you want to add?").await;
    assert!(buttons(&chooser).iter().any(|(label, _)| label == "🖥 Device"), "{:?}", buttons(&chooser));
    app.telegram.press_button(&admin, &bot::callback::data(bot::core::NAME, &bot::core::Press::Add(DEVICE_CHOICE)));
    app.telegram.wait_for_text(ADMIN, "What is it called?").await;
    app.telegram.send_text(&admin, "   ");
    app.telegram.wait_for_text(ADMIN, "The name cannot be empty. Send it again, or /cancel.").await;
    app.telegram.send_text(&admin, " Move/5000 ");
    app.telegram.wait_for("the name step closed", edited(ADMIN, "✅ Name: Move/5000")).await;
    let ask = app.telegram.wait_for_text(ADMIN, "Its category? Press one").await;
    let terminals = Press::Edit(EditPress::AddCategory { of: first });
    assert!(has_button(&ask, terminals), "{:?}", buttons(&ask));
    app.telegram.press_button(&admin, &terminals.data());
    app.telegram.wait_for("the category step closed", edited(ADMIN, "✅ Category: Terminals")).await;
    app.telegram.wait_for_text(ADMIN, "Its inventory number?").await;
    app.telegram.send_text(&admin, "INV-1");
    app.telegram
        .wait_for_text(ADMIN, &format!("Inventory number INV-1 is already #{first} Old terminal (INV-1)"))
        .await;
    app.telegram.send_text(&admin, "INV-2");
    app.telegram.wait_for_text(ADMIN, "Serial number? Type it, or press Skip.").await;
    app.telegram.send_text(&admin, "SN-9");
    app.telegram.wait_for_text(ADMIN, "Model? Type it").await;
    app.telegram.press_button(&admin, &Press::Edit(EditPress::AddSkip).data());
    app.telegram.wait_for("the skipped step closed", edited(ADMIN, "✅ Model: —")).await;
    app.telegram.wait_for_text(ADMIN, "Location? Type it").await;
    app.telegram.press_button(&admin, &Press::Edit(EditPress::AddFinish).data());

    // Assert: the reply names the id and shows the card; the row holds what was said.
    let added = app.telegram.wait_for_text(ADMIN, "Move/5000 (INV-2)").await;
    let id = added_id(added.text());
    assert!(added.text().contains("Serial number: SN-9") && added.text().contains("Category: Terminals"));
    let row = device::Entity::find_by_id(id).one(&app.db).await.unwrap().expect("added");
    assert_eq!(
        (
            row.name.as_str(),
            row.category.as_str(),
            row.inventory_no.as_str(),
            row.serial_no.as_str(),
            row.model.as_str()
        ),
        ("Move/5000", "Terminals", "INV-2", "SN-9", "")
    );
    // The dialogue is over.
    app.telegram.send_text(&admin, "hello");
    app.telegram.wait_for_text(ADMIN, "I understand commands").await;
    app.stop().await;
}

#[tokio::test]
async fn cancel_leaves_the_device_dialogue_and_adds_nothing() {
    let app = TestApp::spawn(&[]).await;
    let admin = TgUser::new(ADMIN, "Boss");
    app.telegram.send_text(&admin, "/add");
    app.telegram.wait_for_text(ADMIN, "What do you want to add?").await;
    app.telegram.press_button(&admin, &bot::callback::data(bot::core::NAME, &bot::core::Press::Add(DEVICE_CHOICE)));
    app.telegram.wait_for_text(ADMIN, "What is it called?").await;
    app.telegram.send_text(&admin, "Printer");
    app.telegram.wait_for_text(ADMIN, "Its category?").await;
    app.telegram.send_text(&admin, "/cancel");
    app.telegram.wait_for_text(ADMIN, "Cancelled").await;
    // A stale Skip changes nothing, text is no answer any more.
    app.telegram.press_button(&admin, &Press::Edit(EditPress::AddSkip).data());
    app.telegram.wait_for("the stale press answered", answered("This button has expired")).await;
    app.telegram.send_text(&admin, "Printers");
    app.telegram.wait_for_text(ADMIN, "I understand commands").await;
    assert_eq!(devices(&app).await, 0);
    app.stop().await;
}

#[tokio::test]
async fn one_message_add_names_the_new_id_and_refuses_what_is_not_a_device() {
    let app = TestApp::spawn(&[("TELEOPS_OPEN_REGISTRATION", "true")]).await;
    let admin = TgUser::new(ADMIN, "Boss");
    let id = add_device(&app, "Pixel 8", "Phones", "INV-7").await;
    let row = device::Entity::find_by_id(id).one(&app.db).await.unwrap().expect("added");
    assert_eq!((row.name.as_str(), row.category.as_str(), row.serial_no.as_str()), ("Pixel 8", "Phones", ""));

    app.telegram.send_text(&admin, "/add  | Phones | INV-8");
    app.telegram.wait_for_text(ADMIN, "The name cannot be empty.").await;
    app.telegram.send_text(&admin, "/add Pixel 9 | Phones |  INV-7 ");
    app.telegram.wait_for_text(ADMIN, &format!("Inventory number INV-7 is already #{id}")).await;
    app.telegram.send_text(&admin, "/add Pixel 9 | Phones");
    app.telegram.wait_for_text(ADMIN, "/add <name> | <category> | <inventory number> — a device").await;
    assert_eq!(devices(&app).await, 1);

    // A member adds monitors only: their /add starts that at once, the device form is not theirs.
    let ann = TgUser::new(4900, "Ann");
    registered(&app, &ann).await;
    app.telegram.send_text(&ann, "/add");
    app.telegram.wait_for_text(ann.id, "What should I watch?").await;
    app.telegram.send_text(&ann, "/cancel");
    app.telegram.wait_for_text(ann.id, "Cancelled").await;
    app.telegram.send_text(&ann, "/add Laptop | Laptops | INV-9");
    let refused = app.telegram.wait_for_text(ann.id, "I could not tell what to add").await;
    assert!(!refused.text().contains("a device"), "{}", refused.text());
    assert_eq!(devices(&app).await, 1);
    app.stop().await;
}

/// A device straight into the table (lists need many).
pub(crate) async fn insert_device(app: &TestApp, name: &str, category: &str, inventory_no: &str) -> i64 {
    use sea_orm::ActiveModelTrait;
    let fields = DeviceFields {
        name: name.into(),
        category: category.into(),
        inventory_no: inventory_no.into(),
        ..Default::default()
    };
    device::new_row(&fields, Utc::now()).insert(&app.db).await.unwrap().id
}

fn noon(day: &str) -> DateTime<Utc> {
    format!("{day}T12:00:00Z").parse().unwrap()
}

fn take(device_id: i64, holder_id: i64, due_on: Option<NaiveDate>) -> Take {
    Take { device_id, holder_id, due_on, assigned_by: None }
}

/// Sends `/device <id>` (or a deep link) as `user` and returns the `n`th card sent to them.
async fn card(app: &TestApp, user: &TgUser, command: &str, n: usize) -> Call {
    app.telegram.send_text(user, command);
    let cards = app
        .telegram
        .wait_for_n(&format!("card {n} for {}", user.id), n, |c| {
            c.method == "sendmessage" && c.chat_id() == Some(user.id) && c.text().starts_with("🖥 #")
        })
        .await;
    cards[n - 1].clone()
}

#[tokio::test]
async fn a_card_shows_who_has_it_and_the_buttons_that_fit_the_caller() {
    // Arrange
    let app = TestApp::spawn(&[("TELEOPS_OPEN_REGISTRATION", "true")]).await;
    let (ann, bob, admin) = (TgUser::new(4910, "Ann"), TgUser::new(4911, "Bob"), TgUser::new(ADMIN, "Boss"));
    registered(&app, &ann).await;
    registered(&app, &bob).await;
    let id = insert_device(&app, "Move/5000", "Terminals", "INV-1").await;
    let dev = |p: DevicePress| Press::Device(p);

    // Available: Ann may take it.
    let free = card(&app, &ann, &format!("/device {id}"), 1).await;
    assert!(free.text().contains("State: 🟢 available") && free.text().contains("Category: Terminals"));
    assert!(has_button(&free, dev(DevicePress::Take(id))) && has_button(&free, dev(DevicePress::History(id))));
    assert!(!has_button(&free, dev(DevicePress::Return(id))) && !has_button(&free, Press::Edit(EditPress::Menu(id))));

    // Ann has it until a date: she may return it, Bob may join the line (by the label's link).
    let due = NaiveDate::from_ymd_opt(2031, 5, 31).unwrap();
    loans::take(&app.db, take(id, ann.id, Some(due)), Utc::now()).await.unwrap();
    let hers = card(&app, &ann, &format!("/device #{id}"), 2).await;
    assert!(
        hers.text().contains("👤 Ann has it since") && hers.text().contains("until 31 May 2031"),
        "{}",
        hers.text()
    );
    assert!(has_button(&hers, dev(DevicePress::Return(id))));
    assert!(!has_button(&hers, dev(DevicePress::Take(id))) && !has_button(&hers, dev(DevicePress::JoinWaitlist(id))));
    let his = card(&app, &bob, &format!("/start dev_{id}"), 1).await;
    assert!(has_button(&his, dev(DevicePress::JoinWaitlist(id))));
    assert!(!has_button(&his, dev(DevicePress::Return(id))) && !has_button(&his, dev(DevicePress::Take(id))));

    // In line, Bob may leave it; everyone sees the line's length.
    loans::join(&app.db, id, bob.id, Utc::now()).await.unwrap();
    let waiting = card(&app, &bob, &format!("/device {id}"), 2).await;
    assert!(waiting.text().contains("⏳ Waitlist: 1 person"), "{}", waiting.text());
    assert!(has_button(&waiting, dev(DevicePress::LeaveWaitlist(id))));
    assert!(!has_button(&waiting, dev(DevicePress::JoinWaitlist(id))));

    // An admin may return anyone's device and edit it.
    let boss = card(&app, &admin, &format!("/device {id}"), 1).await;
    assert!(has_button(&boss, dev(DevicePress::Return(id))) && has_button(&boss, Press::Edit(EditPress::Menu(id))));

    // A list's Open button sends the card too.
    app.telegram.press_button(&ann, &dev(DevicePress::Open(id)).data());
    app.telegram.wait_for_n("the opened card", 3, |c| c.chat_id() == Some(ann.id) && c.text().starts_with("🖥 #")).await;

    app.telegram.send_text(&ann, "/device 999999");
    app.telegram.wait_for_text(ann.id, "There is no device #999999.").await;
    app.telegram.send_text(&ann, "/device x");
    app.telegram.wait_for_text(ann.id, "Send /device <id>").await;
    app.stop().await;
}

#[tokio::test]
async fn history_lists_who_had_it_from_when_to_when_newest_first() {
    let app = TestApp::spawn(&[("TELEOPS_OPEN_REGISTRATION", "true")]).await;
    let (ann, bob) = (TgUser::new(4920, "Ann"), TgUser::new(4921, "Bob").russian());
    registered(&app, &ann).await;
    registered(&app, &bob).await;
    let id = insert_device(&app, "Pixel 8", "Phones", "INV-2").await;

    app.telegram.send_text(&ann, &format!("/history {id}"));
    app.telegram.wait_for_text(ann.id, "Nobody has had it yet.").await;

    let rules = Rules { hold: std::time::Duration::from_secs(3600), default_zone: shared::tz::Tz::UTC };
    loans::take(&app.db, take(id, ann.id, None), noon("2026-03-01")).await.unwrap();
    loans::give_back(&app.db, &app.queue, id, ann.id, false, rules, noon("2026-03-05")).await.unwrap();
    loans::take(&app.db, take(id, bob.id, None), noon("2026-03-10")).await.unwrap();

    app.telegram.press_button(&ann, &Press::Device(DevicePress::History(id)).data());
    let history = app.telegram.wait_for_text(ann.id, "• Bob").await;
    assert!(history.text().starts_with(&format!("📜 Who had #{id} Pixel 8 (INV-2):")), "{}", history.text());
    let text = history.text();
    let (bob_at, ann_at) =
        (text.find("• Bob: since 10 Mar 2026, has it now"), text.find("• Ann: 1 Mar 2026 – 5 Mar 2026"));
    assert!(bob_at.is_some() && ann_at.is_some() && bob_at < ann_at, "{text}");

    // In Russian, with Russian dates.
    app.telegram.send_text(&bob, &format!("/history {id}"));
    let russian = app.telegram.wait_for_text(bob.id, "📜 У кого было").await;
    assert!(russian.text().contains("• Ann: 1 мар. 2026 – 5 мар. 2026"), "{}", russian.text());
    app.stop().await;
}

#[tokio::test]
async fn all_and_categories_page_in_place_and_show_holders() {
    // Arrange: twelve devices in two categories, one of them taken.
    let app = TestApp::spawn(&[("TELEOPS_OPEN_REGISTRATION", "true")]).await;
    let ann = TgUser::new(4930, "Ann");
    registered(&app, &ann).await;
    let mut ids = Vec::new();
    for n in 1..=12 {
        let category = if n % 2 == 0 { "Phones" } else { "Laptops" };
        ids.push(insert_device(&app, &format!("Device {n}"), category, &format!("INV-{n:02}")).await);
    }
    loans::take(&app.db, take(ids[2], ann.id, None), Utc::now()).await.unwrap();

    // /all: ten a page, a button each, the holder of the taken one.
    app.telegram.send_text(&ann, "/all");
    let page1 = app.telegram.wait_for_text(ann.id, "📋 12 devices · page 1/2").await;
    let line = page1.text().lines().find(|l| l.contains("(INV-03)")).expect("the taken device's line").to_owned();
    assert!(line.contains("🔴 taken · Ann"), "{line}");
    let opens = buttons(&page1).iter().filter(|(_, d)| d.starts_with("equipment:")).count();
    assert_eq!(opens, 10 + 3, "ten devices and ‹ 1/2 ›");
    assert!(has_button(&page1, Press::Device(DevicePress::Open(ids[0]))));
    let next = Press::Device(DevicePress::Page { category_of: None, page: 2 });
    assert!(has_button(&page1, next));
    app.telegram.press_button(&ann, &next.data());
    let page2 = app.telegram.wait_for("page 2 in place", edited(ann.id, "📋 12 devices · page 2/2")).await;
    assert!(has_button(&page2, Press::Device(DevicePress::Open(ids[11]))));
    assert!(!has_button(&page2, Press::Device(DevicePress::Open(ids[0]))));

    // /categories: a button per category opens its devices.
    app.telegram.send_text(&ann, "/categories");
    let list = app.telegram.wait_for_text(ann.id, "🗂 Categories: 2").await;
    assert!(
        list.text().contains("Laptops · 6 devices") && list.text().contains("Phones · 6 devices"),
        "{}",
        list.text()
    );
    let laptops = Press::Device(DevicePress::Page { category_of: Some(ids[0]), page: 1 });
    assert!(has_button(&list, laptops), "{:?}", buttons(&list));
    app.telegram.press_button(&ann, &laptops.data());
    let shown = app.telegram.wait_for("Laptops in place", edited(ann.id, "🗂 Laptops: 6 devices · page 1/1")).await;
    assert!(has_button(&shown, Press::Device(DevicePress::Open(ids[0]))));
    assert!(!has_button(&shown, Press::Device(DevicePress::Open(ids[1]))), "a phone is not a laptop");
    assert!(has_button(&shown, Press::Device(DevicePress::Categories(1))));
    app.stop().await;
}

#[tokio::test]
async fn find_matches_names_and_numbers_literally_and_answers_who_is() {
    use sea_orm::ActiveModelTrait;
    let app = TestApp::spawn(&[("TELEOPS_OPEN_REGISTRATION", "true")]).await;
    let ann = TgUser::new(4940, "Ann");
    registered(&app, &ann).await;
    let percent = insert_device(&app, "Battery 50%", "Power", "INV-1").await;
    let plain = insert_device(&app, "Battery 500", "Power", "INV-2").await;
    let phone = insert_device(&app, "Телефон Pixel", "Phones", "SN_1").await;
    loans::take(&app.db, take(phone, ann.id, None), Utc::now()).await.unwrap();
    let now = Utc::now();
    shared::entities::person::ActiveModel {
        name: sea_orm::Set("Анна Иванова".into()),
        department: sea_orm::Set("Sales".into()),
        comment: sea_orm::Set(String::new()),
        user_id: sea_orm::Set(Some(ann.id)),
        username: sea_orm::Set(None),
        search: sea_orm::Set(shared::entities::person::search_text("Анна Иванова", None, None)),
        created_at: sea_orm::Set(now),
        updated_at: sea_orm::Set(now),
        ..Default::default()
    }
    .insert(&app.db)
    .await
    .unwrap();

    // % and _ are letters to /find, not wildcards.
    app.telegram.send_text(&ann, "/find 50%");
    let found = app.telegram.wait_for_text(ann.id, "🔎 1 device:").await;
    assert!(found.text().contains("Battery 50%") && !found.text().contains("Battery 500"), "{}", found.text());
    assert!(has_button(&found, Press::Device(DevicePress::Open(percent))));
    app.telegram.send_text(&ann, "/find BATTERY");
    let both = app.telegram.wait_for_text(ann.id, "🔎 2 devices:").await;
    assert!(has_button(&both, Press::Device(DevicePress::Open(plain))));
    app.telegram.send_text(&ann, "/find inv_1");
    app.telegram.wait_for_text(ann.id, "Nothing matches “inv_1”.").await;
    app.telegram.send_text(&ann, "/find sn_1");
    app.telegram.wait_for_text(ann.id, "Телефон Pixel (SN_1) · 🔴 taken · Ann").await;

    // "Who is": the person and what their Telegram user holds.
    app.telegram.send_text(&ann, "/find who is АННА");
    let who = app.telegram.wait_for_text(ann.id, "👥 1 person:").await;
    assert!(who.text().contains(&format!("• Анна Иванова has: #{phone} Телефон Pixel (SN_1)")), "{}", who.text());
    app.telegram.send_text(&ann, "/find");
    app.telegram.wait_for_text(ann.id, "Send /find <text>").await;
    app.stop().await;
}

#[tokio::test]
async fn edit_changes_fields_assigns_marks_and_deletes_only_what_is_free() {
    use sea_orm::{ColumnTrait, QueryFilter};
    use shared::entities::{audit, device_wait, loan};
    use shared::equipment::device::DeviceState;
    use shared::equipment::press::EditField;
    // Arrange
    let app = TestApp::spawn(&[("TELEOPS_OPEN_REGISTRATION", "true")]).await;
    let (ann, bob, admin) = (TgUser::new(4950, "Ann"), TgUser::new(4951, "Bob"), TgUser::new(ADMIN, "Boss"));
    registered(&app, &ann).await;
    registered(&app, &bob).await;
    let id = insert_device(&app, "Move/5000", "Terminals", "INV-1").await;
    let other = insert_device(&app, "Move/3500", "Terminals", "INV-2").await;
    let edit = |p: EditPress| Press::Edit(p).data();
    let row = || async { device::Entity::find_by_id(id).one(&app.db).await.unwrap() };

    // Members get the one refusal, for the command and for its buttons.
    app.telegram.send_text(&ann, &format!("/edit {id}"));
    app.telegram.wait_for_text(ann.id, "This command is for admins only.").await;
    app.telegram.press_button(&ann, &edit(EditPress::Delete(id)));
    app.telegram.wait_for("a member's press refused", answered("for admins only")).await;

    // A field: typed, validated, re-asked on a taken inventory number.
    app.telegram.send_text(&admin, &format!("/edit {id}"));
    let menu = app.telegram.wait_for_text(ADMIN, "✏️ Editing").await;
    assert!(has_button(&menu, Press::Edit(EditPress::Field(id, EditField::Location))));
    assert!(
        has_button(&menu, Press::Edit(EditPress::Assign(id))) && has_button(&menu, Press::Edit(EditPress::Delete(id)))
    );
    app.telegram.press_button(&admin, &edit(EditPress::Field(id, EditField::Location)));
    app.telegram.wait_for_text(ADMIN, "Location now: —").await;
    app.telegram.send_text(&admin, "Shelf 3");
    app.telegram.wait_for_text(ADMIN, "✅ Location: Shelf 3").await;
    assert_eq!(row().await.unwrap().location, "Shelf 3");
    app.telegram.press_button(&admin, &edit(EditPress::Field(id, EditField::InventoryNo)));
    app.telegram.wait_for_text(ADMIN, "Inventory number now: INV-1").await;
    app.telegram.send_text(&admin, "INV-2");
    app.telegram.wait_for_text(ADMIN, &format!("Inventory number INV-2 is already #{other}")).await;
    app.telegram.send_text(&admin, "INV-9");
    app.telegram.wait_for_text(ADMIN, "✅ Inventory number: INV-9").await;
    let changed = row().await.unwrap();
    assert_eq!((changed.inventory_no.as_str(), changed.search.contains("inv-9")), ("INV-9", true));

    // Assign to Ann by her id, with a due date re-asked when it has passed.
    app.telegram.press_button(&admin, &edit(EditPress::Assign(id)));
    app.telegram.wait_for_text(ADMIN, "Who gets it?").await;
    app.telegram.send_text(&admin, "Nobody Known");
    app.telegram.wait_for_text(ADMIN, "Nobody who has started the bot matches").await;
    app.telegram.send_text(&admin, &ann.id.to_string());
    let due = app.telegram.wait_for_text(ADMIN, "Until when does Ann keep it?").await;
    assert!(has_button(&due, Press::Edit(EditPress::NoDueDate(id))));
    app.telegram.send_text(&admin, "01.01.2020");
    app.telegram.wait_for_text(ADMIN, "That day has passed").await;
    app.telegram.send_text(&admin, "2031-05-31");
    app.telegram.wait_for_text(ADMIN, "is now with Ann until 31 May 2031.").await;
    // The admin has not started the bot, so Ann reads "an admin".
    let told = app.telegram.wait_for_text(ann.id, "📦 An admin gave you").await;
    assert!(told.text().contains("(INV-9), due back on 31 May 2031."), "{}", told.text());
    let open = loans::open_loan(&app.db, id).await.unwrap().expect("assigned");
    assert_eq!(
        (open.holder_id, open.assigned_by, open.due_on),
        (ann.id, Some(ADMIN), NaiveDate::from_ymd_opt(2031, 5, 31))
    );
    loans::join(&app.db, id, bob.id, Utc::now()).await.unwrap();

    // Taken: not retired, not deleted.
    app.telegram.press_button(&admin, &edit(EditPress::Mark(id, DeviceState::Retired)));
    app.telegram.wait_for("retiring refused", answered("is taken: unassign it first.")).await;
    app.telegram.press_button(&admin, &edit(EditPress::Delete(id)));
    app.telegram.wait_for_n("deleting refused", 2, answered("is taken: unassign it first.")).await;
    assert_eq!(row().await.unwrap().state, DeviceState::Taken);

    // Unassigned, it can be marked broken, and deleted after a confirmation.
    app.telegram.press_button(&admin, &edit(EditPress::Unassign(id)));
    app.telegram.wait_for("unassigned", answered("is back.")).await;
    assert!(loans::open_loan(&app.db, id).await.unwrap().is_none());
    app.telegram.press_button(&admin, &edit(EditPress::Mark(id, DeviceState::Broken)));
    app.telegram.wait_for("marked", answered("🛠 broken")).await;
    assert_eq!(row().await.unwrap().state, DeviceState::Broken);
    app.telegram.press_button(&admin, &edit(EditPress::Delete(id)));
    app.telegram.wait_for("asked to confirm", edited(ADMIN, "Its waitlist and its loan history are deleted")).await;
    assert!(row().await.is_some(), "not before confirming");
    app.telegram.press_button(&admin, &edit(EditPress::DeleteConfirmed(id)));
    app.telegram.wait_for("deleted", edited(ADMIN, "deleted.")).await;
    assert!(row().await.is_none());
    let left = |n: u64| n == 0;
    assert!(left(
        device_wait::Entity::find().filter(device_wait::Column::DeviceId.eq(id)).count(&app.db).await.unwrap()
    ));
    assert!(left(loan::Entity::find().filter(loan::Column::DeviceId.eq(id)).count(&app.db).await.unwrap()));
    let actions: Vec<String> = audit::Entity::find()
        .filter(audit::Column::ObjectId.eq(id.to_string()))
        .all(&app.db)
        .await
        .unwrap()
        .into_iter()
        .map(|a| a.action)
        .collect();
    for action in ["device.edit", "device.assign", "device.unassign", "device.mark", "device.delete"] {
        assert!(actions.iter().any(|a| a == action), "{action} audited: {actions:?}");
    }
    app.stop().await;
}

#[tokio::test]
async fn lists_and_search_page_a_hundred_thousand_devices() {
    use sea_orm::{ConnectionTrait, Statement};
    let app = TestApp::spawn(&[]).await;
    let admin = TgUser::new(ADMIN, "Boss");
    let backend = app.db.get_database_backend();
    let (numbers, newline, at) = match backend {
        sea_orm::DatabaseBackend::Postgres => {
            ("generate_series(1, 100000) AS n(i)", "chr(10)", "TIMESTAMPTZ '2026-01-01 00:00:00+00:00'")
        }
        _ => (
            "(WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 100000) SELECT i FROM n)",
            "char(10)",
            "'2026-01-01 00:00:00+00:00'",
        ),
    };
    let sql = format!(
        "INSERT INTO devices (name, category, inventory_no, serial_no, model, location, description, condition, \
         state, search, created_at, updated_at) \
         SELECT 'Device ' || i, 'Category ' || (i % 100), 'INV-' || i, 'SN-' || i, '', '', '', '', 'available', \
         'device ' || i || {newline} || 'inv-' || i || {newline} || 'sn-' || i, \
         {at}, {at} FROM {numbers}"
    );
    app.db.execute_raw(Statement::from_string(backend, sql)).await.unwrap();

    // Speed is the bench's (`teleops bench equipment`); here: the right page of a large catalog.
    for (command, needle) in [
        ("/all 10000", "📋 100000 devices · page 10000/10000"),
        ("/categories 10", "🗂 Categories: 100 · page 10/10"),
        ("/find inv-99999", "🔎 1 device:"),
        ("/find inv-999", "🔎 111 devices, the first 20:"),
        ("/find device 9", "🔎 More than 1000 devices, the first 20:"),
    ] {
        app.telegram.send_text(&admin, command);
        app.telegram.wait_for_text(ADMIN, needle).await;
    }
    // A page past the end of a category's list shows its last page.
    app.telegram
        .press_button(&admin, &Press::Device(DevicePress::Page { category_of: Some(100_000), page: 1000 }).data());
    app.telegram.wait_for("a category's last page", edited(ADMIN, "🗂 Category 0: 1000 devices · page 100/100")).await;
    app.stop().await;
}
