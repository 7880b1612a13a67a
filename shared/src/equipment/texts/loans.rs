//! The loans texts of the equipment slice (see `super`): taking, returning and the waitlist.
//! Russian sentences name the device as «устройство {title}» wherever a verb or adjective must
//! agree with it, and never decline a person's name (a holder is «держатель — Иван»).

use crate::equipment::device::DeviceState;
use crate::i18n::{Forms, Lang, count};

/// "device" counted, in English and Russian.
pub const DEVICES: [Forms; 2] = [Forms::en("device", "devices"), Forms::ru("устройство", "устройства", "устройств")];

/// A text of taking, returning and the waitlist.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Text<'a> {
    /// A returned device offered to the first in its waitlist.
    OfferReady {
        title: &'a str,
        until: &'a str,
    },
    ClaimButton,
    PassButton,
    /// The hold on a device lapsed: it went to the next in line, or back on the shelf (the text
    /// does not say which, so it stays true either way).
    HoldLapsed {
        title: &'a str,
    },
    /// An admin (`by`, their first name when they have started the bot) gave the reader a device.
    AssignedToYou {
        title: &'a str,
        by: Option<&'a str>,
        due: Option<&'a str>,
    },
    /// The device held for the reader was marked broken or retired.
    HoldWithdrawn {
        title: &'a str,
    },
    // Commands: help lines and usage.
    CmdTake,
    CmdReturn,
    CmdMine,
    CmdWishlist,
    TakeUsage,
    ReturnUsage,
    WishlistUsage,
    NoDevice {
        id: i64,
    },
    // A due date that cannot be used (`equipment::due`).
    DueMalformed {
        input: &'a str,
    },
    DuePast {
        day: &'a str,
    },
    DueTooFar {
        latest: &'a str,
    },
    // Taking.
    TakenDue {
        title: &'a str,
        due: &'a str,
    },
    TakenNoDue {
        title: &'a str,
    },
    /// Someone else holds it: their name, since when, and until when (None: no due date).
    TakenBy {
        title: &'a str,
        name: &'a str,
        since: &'a str,
        until: Option<&'a str>,
    },
    YouHoldIt {
        title: &'a str,
        since: &'a str,
    },
    /// Returned and held for the first in its waitlist.
    HeldForNext {
        title: &'a str,
        until: &'a str,
    },
    Unavailable {
        title: &'a str,
        state: DeviceState,
    },
    IsAvailable {
        title: &'a str,
        id: i64,
    },
    TakeButton,
    ReturnButton,
    JoinButton,
    LeaveButton,
    // Returning.
    Returned {
        title: &'a str,
    },
    NextInLineTold,
    /// To the holder, when an admin returned their device.
    ReturnedForYou {
        title: &'a str,
        admin: &'a str,
    },
    NotHolder {
        title: &'a str,
    },
    NotTaken {
        title: &'a str,
    },
    // `/mine`.
    MineEmpty,
    MineHeader {
        count: u64,
    },
    MineOverdue {
        title: &'a str,
        due: &'a str,
    },
    MineDue {
        title: &'a str,
        due: &'a str,
    },
    MineNoDue {
        title: &'a str,
    },
    MinePage {
        page: u64,
        pages: u64,
    },
    // The waitlist.
    Joined {
        title: &'a str,
        place: u64,
    },
    OwnDevice {
        title: &'a str,
    },
    WishlistEmpty,
    WishlistHeader,
    WishlistPlace {
        title: &'a str,
        place: u64,
    },
    WishlistHeld {
        title: &'a str,
        until: &'a str,
    },
    WishlistMore {
        more: u64,
    },
    Left {
        title: &'a str,
    },
    NotInLine {
        title: &'a str,
    },
    Claimed {
        title: &'a str,
    },
    Passed {
        title: &'a str,
    },
    /// A Claim or Pass press after the offer moved on.
    OfferGone {
        title: &'a str,
    },
}

pub fn t(lang: Lang, text: Text<'_>) -> String {
    use Text::*;
    match (lang, text) {
        (Lang::En, OfferReady { title, until }) => format!(
            "📦 {title} was returned and is held for you until {until}. Claim it, or pass it to the next in line."
        ),
        (Lang::Ru, OfferReady { title, until }) => format!(
            "📦 {title} вернули, и оно закреплено за вами до {until}. Заберите его или уступите следующему в очереди."
        ),
        (Lang::En, ClaimButton) => "✅ Claim".into(),
        (Lang::Ru, ClaimButton) => "✅ Забрать".into(),
        (Lang::En, PassButton) => "↪️ Pass".into(),
        (Lang::Ru, PassButton) => "↪️ Уступить".into(),
        (Lang::En, HoldLapsed { title }) => format!("⌛ Your hold on {title} lapsed, so it was passed on."),
        (Lang::Ru, HoldLapsed { title }) => {
            format!("⌛ Ваша бронь на устройство {title} истекла, и оно передано дальше.")
        }
        (Lang::En, AssignedToYou { title, by, due }) => {
            let due = due.map_or_else(|| "no due date".to_owned(), |d| format!("due back on {d}"));
            format!("📦 {} gave you {title}, {due}. /mine lists what you hold.", by.unwrap_or("An admin"))
        }
        (Lang::Ru, AssignedToYou { title, by, due }) => {
            let due = due.map_or_else(|| "без срока возврата".to_owned(), |d| format!("вернуть до {d}"));
            let by = by.map(|b| format!(" {b}")).unwrap_or_default();
            format!("📦 Вам выдано: {title} (выдал администратор{by}), {due}. Ваши устройства — /mine.")
        }
        (Lang::En, HoldWithdrawn { title }) => {
            format!("⚠️ {title} is out of service for now, so its hold for you is withdrawn. You stay first in line.")
        }
        (Lang::Ru, HoldWithdrawn { title }) => {
            format!("⚠️ Устройство {title} пока не работает, поэтому бронь для вас снята. Ваше первое место в очереди сохраняется.")
        }
        (Lang::En, CmdTake) => "/take <id> [until] — take a device; until is a date (2026-12-24) or a span (3d, 2w)".into(),
        (Lang::Ru, CmdTake) => "/take <номер> [срок] — взять устройство; срок — дата (24.12.2026) или период (3д, 2н)".into(),
        (Lang::En, CmdReturn) => "/return <id> — return a device".into(),
        (Lang::Ru, CmdReturn) => "/return <номер> — вернуть устройство".into(),
        (Lang::En, CmdMine) => "/mine — the devices you hold".into(),
        (Lang::Ru, CmdMine) => "/mine — устройства, которые у вас".into(),
        (Lang::En, CmdWishlist) => "/wishlist [id] — join a device's waitlist, or see your places in line".into(),
        (Lang::Ru, CmdWishlist) => "/wishlist [номер] — встать в очередь за устройством или посмотреть свои очереди".into(),
        (Lang::En, TakeUsage) => "Send /take <id> [until], for example /take 12, /take 12 2w or /take 12 2026-12-24.".into(),
        (Lang::Ru, TakeUsage) => "Отправьте /take <номер> [срок], например /take 12, /take 12 2н или /take 12 24.12.2026.".into(),
        (Lang::En, ReturnUsage) => "Send /return <id>, for example /return 12. /mine lists what you hold.".into(),
        (Lang::Ru, ReturnUsage) => "Отправьте /return <номер>, например /return 12. Ваши устройства — /mine.".into(),
        (Lang::En, WishlistUsage) => {
            "Send /wishlist <id> to join a device's waitlist, or /wishlist alone to see your places in line.".into()
        }
        (Lang::Ru, WishlistUsage) => {
            "Отправьте /wishlist <номер>, чтобы встать в очередь за устройством, или просто /wishlist, чтобы увидеть свои очереди.".into()
        }
        (Lang::En, NoDevice { id }) => format!("There is no device #{id}."),
        (Lang::Ru, NoDevice { id }) => format!("Устройства #{id} нет."),
        (Lang::En, DueMalformed { input }) => {
            format!("\"{input}\" is not a date like 2026-12-24 or 24.12.2026, or a span like 3d or 2w.")
        }
        (Lang::Ru, DueMalformed { input }) => {
            format!("«{input}» — не дата вида 24.12.2026 или 2026-12-24 и не период вида 3д или 2н.")
        }
        (Lang::En, DuePast { day }) => format!("{day} is in the past: pick today or a later day."),
        (Lang::Ru, DuePast { day }) => format!("Дата {day} уже прошла: выберите сегодняшнюю или более позднюю."),
        (Lang::En, DueTooFar { latest }) => format!("A loan lasts a year at most: pick a day up to {latest}."),
        (Lang::Ru, DueTooFar { latest }) => format!("Срок не может превышать год: выберите дату не позже {latest}."),
        (Lang::En, TakenDue { title, due }) => format!("✅ {title} is yours. Please return it by {due}."),
        (Lang::Ru, TakenDue { title, due }) => format!("✅ Устройство {title} выдано вам. Верните его до {due} включительно."),
        (Lang::En, TakenNoDue { title }) => format!("✅ {title} is yours, with no due date."),
        (Lang::Ru, TakenNoDue { title }) => format!("✅ Устройство {title} выдано вам без срока возврата."),
        (Lang::En, TakenBy { title, name, since, until }) => format!(
            "🔴 {title} is taken by {name} since {since}, {}. Join the waitlist to be told when it is back.",
            until.map_or_else(|| "with no due date".to_owned(), |u| format!("until {u}"))
        ),
        (Lang::Ru, TakenBy { title, name, since, until }) => format!(
            "🔴 Устройство {title} занято: держатель — {name}, с {since}, {}. Встаньте в очередь, и вам напишут, когда его вернут.",
            until.map_or_else(|| "без срока".to_owned(), |u| format!("срок — до {u}"))
        ),
        (Lang::En, YouHoldIt { title, since }) => format!("You already hold {title}, since {since}. /mine lists what you hold."),
        (Lang::Ru, YouHoldIt { title, since }) => format!("Устройство {title} уже у вас, с {since}. Ваши устройства — /mine."),
        (Lang::En, HeldForNext { title, until }) => format!(
            "⏳ {title} was returned and is held for the next in line until {until}. Join the waitlist to be told if it comes to you."
        ),
        (Lang::Ru, HeldForNext { title, until }) => format!(
            "⏳ Устройство {title} вернули, и оно закреплено за следующим в очереди до {until}. Встаньте в очередь, и вам напишут, если оно достанется вам."
        ),
        (Lang::En, Unavailable { title, state }) => match state {
            DeviceState::Retired => format!("⚫ {title} is retired: it cannot be taken."),
            _ => format!("🛠 {title} is broken: it cannot be taken until it is repaired."),
        },
        (Lang::Ru, Unavailable { title, state }) => match state {
            DeviceState::Retired => format!("⚫ Устройство {title} списано, взять его нельзя."),
            _ => format!("🛠 Устройство {title} неисправно, взять его можно будет после ремонта."),
        },
        (Lang::En, IsAvailable { title, id }) => format!("🟢 {title} is available: no need to wait, take it with /take {id}."),
        (Lang::Ru, IsAvailable { title, id }) => format!("🟢 Устройство {title} свободно, ждать не нужно: возьмите его — /take {id}."),
        (Lang::En, TakeButton) => "📥 Take".into(),
        (Lang::Ru, TakeButton) => "📥 Взять".into(),
        (Lang::En, ReturnButton) => "↩️ Return".into(),
        (Lang::Ru, ReturnButton) => "↩️ Вернуть".into(),
        (Lang::En, JoinButton) => "🔔 Join the waitlist".into(),
        (Lang::Ru, JoinButton) => "🔔 Встать в очередь".into(),
        (Lang::En, LeaveButton) => "🚪 Leave".into(),
        (Lang::Ru, LeaveButton) => "🚪 Выйти".into(),
        (Lang::En, Returned { title }) => format!("↩️ {title} is returned. Thank you!"),
        (Lang::Ru, Returned { title }) => format!("↩️ Устройство {title} возвращено. Спасибо!"),
        (Lang::En, NextInLineTold) => "It is held for the next in line, who has been told.".into(),
        (Lang::Ru, NextInLineTold) => "Оно закреплено за следующим в очереди, ему уже написали.".into(),
        (Lang::En, ReturnedForYou { title, admin }) => format!("↩️ {admin} (admin) returned {title} on your behalf."),
        (Lang::Ru, ReturnedForYou { title, admin }) => {
            format!("↩️ Возврат устройства {title} оформлен за вас администратором: {admin}.")
        }
        (Lang::En, NotHolder { title }) => format!("Only the one who holds {title}, or an admin, can return it."),
        (Lang::Ru, NotHolder { title }) => format!("Вернуть устройство {title} может только его держатель или администратор."),
        (Lang::En, NotTaken { title }) => format!("{title} is not taken, so there is nothing to return."),
        (Lang::Ru, NotTaken { title }) => format!("Устройство {title} никому не выдано, возвращать нечего."),
        (Lang::En, MineEmpty) => "You hold no devices.".into(),
        (Lang::Ru, MineEmpty) => "У вас нет устройств.".into(),
        (Lang::En, MineHeader { count: n }) => format!("You hold {}:", count(lang, n, DEVICES)),
        (Lang::Ru, MineHeader { count: n }) => format!("У вас {}:", count(lang, n, DEVICES)),
        (Lang::En, MineOverdue { title, due }) => format!("⚠️ {title} — overdue, was due {due}"),
        (Lang::Ru, MineOverdue { title, due }) => format!("⚠️ {title} — просрочено, срок был до {due}"),
        (Lang::En, MineDue { title, due }) => format!("{title} — due {due}"),
        (Lang::Ru, MineDue { title, due }) => format!("{title} — вернуть до {due}"),
        (Lang::En, MineNoDue { title }) => format!("{title} — no due date"),
        (Lang::Ru, MineNoDue { title }) => format!("{title} — без срока"),
        (Lang::En, MinePage { page, pages }) => format!("Page {page} of {pages}: /mine {} shows the next.", page % pages + 1),
        (Lang::Ru, MinePage { page, pages }) => format!("Страница {page} из {pages}, следующая — /mine {}.", page % pages + 1),
        (Lang::En, Joined { title, place }) => {
            format!("🔔 You are in line for {title}, place {place}. You'll be told when it is yours to claim.")
        }
        (Lang::Ru, Joined { title, place }) => {
            format!("🔔 Вы в очереди за устройством {title}, место {place}. Вам напишут, когда его можно будет забрать.")
        }
        (Lang::En, OwnDevice { title }) => format!("You hold {title} yourself."),
        (Lang::Ru, OwnDevice { title }) => format!("Устройство {title} и так у вас."),
        (Lang::En, WishlistEmpty) => "You are in no waitlist. /wishlist <id> joins the line for a taken device.".into(),
        (Lang::Ru, WishlistEmpty) => "Вы не стоите ни в одной очереди. /wishlist <номер> — встать в очередь за занятым устройством.".into(),
        (Lang::En, WishlistHeader) => "Your places in line:".into(),
        (Lang::Ru, WishlistHeader) => "Ваши места в очередях:".into(),
        (Lang::En, WishlistPlace { title, place }) => format!("{title} — place {place}"),
        (Lang::Ru, WishlistPlace { title, place }) => format!("{title} — место {place}"),
        (Lang::En, WishlistHeld { title, until }) => format!("📦 {title} — held for you until {until}"),
        (Lang::Ru, WishlistHeld { title, until }) => format!("📦 {title} — закреплено за вами до {until}"),
        (Lang::En, WishlistMore { more }) => format!("…and {more} more."),
        (Lang::Ru, WishlistMore { more }) => format!("…и ещё {more}."),
        (Lang::En, Left { title }) => format!("🚪 You left the line for {title}."),
        (Lang::Ru, Left { title }) => format!("🚪 Вы вышли из очереди за устройством {title}."),
        (Lang::En, NotInLine { title }) => format!("You are not in the line for {title}."),
        (Lang::Ru, NotInLine { title }) => format!("Вас нет в очереди за устройством {title}."),
        (Lang::En, Claimed { title }) => format!("✅ {title} is yours now. /mine lists what you hold."),
        (Lang::Ru, Claimed { title }) => format!("✅ Устройство {title} теперь у вас. Ваши устройства — /mine."),
        (Lang::En, Passed { title }) => format!("↪️ You passed {title} on to the next in line."),
        (Lang::Ru, Passed { title }) => format!("↪️ Вы уступили устройство {title} следующему в очереди."),
        (Lang::En, OfferGone { title }) => {
            format!("This offer of {title} no longer stands: it was passed on, taken or its hold lapsed.")
        }
        (Lang::Ru, OfferGone { title }) => {
            format!("Это предложение больше не действует: устройство {title} уже уступили, забрали или бронь истекла.")
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn devices_are_counted_with_the_cldr_plural_form() {
        let ru: Vec<String> = [1, 2, 5, 21].iter().map(|n| t(Lang::Ru, Text::MineHeader { count: *n })).collect();
        assert_eq!(ru, ["У вас 1 устройство:", "У вас 2 устройства:", "У вас 5 устройств:", "У вас 21 устройство:"]);
        assert_eq!(t(Lang::En, Text::MineHeader { count: 1 }), "You hold 1 device:");
        assert_eq!(t(Lang::En, Text::MinePage { page: 3, pages: 3 }), "Page 3 of 3: /mine 1 shows the next.");
    }

    #[test]
    fn a_holder_without_a_due_date_reads_naturally() {
        let text = |lang, until| t(lang, Text::TakenBy { title: "#1 X (I)", name: "Ann", since: "s", until });
        assert!(text(Lang::En, None).contains("since s, with no due date."));
        assert!(text(Lang::Ru, Some("9 мая 2026")).contains("держатель — Ann, с s, срок — до 9 мая 2026."));
    }

    #[test]
    fn an_assignment_names_the_admin_when_known() {
        let text = |lang, by, due| t(lang, Text::AssignedToYou { title: "#1 X (I)", by, due });
        assert!(text(Lang::En, None, None).starts_with("📦 An admin gave you #1 X (I), no due date."));
        assert!(
            text(Lang::Ru, Some("Анна"), Some("9 мая 2026"))
                .starts_with("📦 Вам выдано: #1 X (I) (выдал администратор Анна), вернуть до 9 мая 2026.")
        );
        assert!(text(Lang::Ru, None, None).starts_with("📦 Вам выдано: #1 X (I) (выдал администратор), без срока"));
    }
}
