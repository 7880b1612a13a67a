//! The digests' texts and buttons: one line and one Return button per device, capped, in the
//! reader's language, within Telegram's limits.

use chrono::{NaiveDate, TimeZone, Utc};
use shared::equipment::calendar::Kind;
use shared::equipment::device::DeviceState;

use super::*;

fn day(d: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(2026, 12, d).unwrap()
}

fn a_device(id: i64, name: &str) -> device::Model {
    let at = Utc.with_ymd_and_hms(2026, 1, 1, 0, 0, 0).unwrap();
    device::Model {
        id,
        name: name.into(),
        category: String::new(),
        inventory_no: format!("INV-{id}"),
        serial_no: String::new(),
        model: String::new(),
        location: String::new(),
        description: String::new(),
        condition: String::new(),
        state: DeviceState::Taken,
        search: String::new(),
        created_at: at,
        updated_at: at,
    }
}

fn item(id: i64, due: NaiveDate, kind: Kind) -> Item {
    Item { loan_id: id, device_id: id, due, kind }
}

#[test]
fn a_digest_lists_each_device_with_its_return_button() {
    let devices: HashMap<i64, device::Model> =
        [a_device(1, "Move/5000"), a_device(2, "iPhone 15")].into_iter().map(|d| (d.id, d)).collect();
    let items = [item(1, day(20), Kind::Overdue { days: 4 }), item(2, day(25), Kind::DueTomorrow)];
    let (text, buttons) = digest(Lang::En, &items, &devices);
    assert_eq!(
        text,
        "⏰ Equipment to return:\n\
         • #1 Move/5000 (INV-1): overdue by 4 days (due 20 Dec 2026)\n\
         • #2 iPhone 15 (INV-2): due tomorrow, 25 Dec 2026"
    );
    assert_eq!(buttons.len(), 2);
    assert_eq!(buttons[0][0].text, "↩️ Return #1 Move/5000");
    assert_eq!(buttons[0][0].data, Press::Device(DevicePress::Return(1)).data());
    assert_eq!(buttons[1][0].data, Press::Device(DevicePress::Return(2)).data());

    let (text, buttons) = digest(Lang::Ru, &items[..1], &HashMap::new());
    assert_eq!(text, "⏰ Пора вернуть технику:\n• #1: просрочено на 4 дня (срок 20 дек. 2026)");
    assert_eq!(buttons[0][0].text, "↩️ Вернуть #1");
}

#[test]
fn a_long_digest_is_capped_and_points_to_mine() {
    let long = "Ж".repeat(300);
    let devices: HashMap<i64, device::Model> = (1..=45).map(|id| (id, a_device(id, &long))).collect();
    let items: Vec<Item> = (1..=45).map(|id| item(id, day(24), Kind::DueToday)).collect();
    let (text, buttons) = digest(Lang::Ru, &items, &devices);
    assert_eq!(buttons.len(), LISTED);
    assert!(text.ends_with("…и ещё 25 устройств: /mine"), "{text}");
    assert!(shared::text::utf16_len(&text) <= shared::text::MESSAGE_MAX);
    assert!(buttons.iter().all(|row| shared::text::utf16_len(&row[0].text) <= 48));
}

#[test]
fn the_admins_digest_names_holders_and_counts_what_it_leaves_out() {
    let devices: HashMap<i64, device::Model> = [a_device(1, "Move/5000")].into_iter().map(|d| (d.id, d)).collect();
    let holders: HashMap<i64, String> = [(7, "Ivan Petrov (@ivan)".to_owned())].into();
    let items = [
        Overdue { loan_id: 1, device_id: 1, holder_id: 7, due: day(20), days: 4 },
        Overdue { loan_id: 2, device_id: 2, holder_id: 8, due: day(21), days: 3 },
    ];
    assert_eq!(
        escalation_text(Lang::En, 3, &items, 0, &devices, &holders),
        "⚠️ Equipment overdue by 3 days or more:\n\
         • #1 Move/5000 (INV-1): Ivan Petrov (@ivan), overdue by 4 days (due 20 Dec 2026)\n\
         • #2: user 8, overdue by 3 days (due 21 Dec 2026)"
    );
    let many: Vec<Overdue> =
        (0..50).map(|id| Overdue { loan_id: id, device_id: id, holder_id: 8, due: day(1), days: 23 }).collect();
    let text = escalation_text(Lang::Ru, 3, &many, 2, &devices, &holders);
    assert_eq!(text.lines().count(), 1 + ESCALATION_LISTED + 1);
    assert!(text.ends_with("…и ещё 12 устройств."), "{text}");
    assert!(text.contains("пользователь 8, просрочено на 23 дня"), "{text}");
}
