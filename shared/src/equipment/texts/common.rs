//! Words every part of the equipment slice shows: a device's state, its title in lists, and a
//! date in the reader's language.

use chrono::NaiveDate;

use crate::equipment::device::DeviceState;
use crate::i18n::Lang;

/// A state as a word, with its badge: "🟢 available", "🔴 выдано".
pub fn state(lang: Lang, state: DeviceState) -> &'static str {
    match (lang, state) {
        (Lang::En, DeviceState::Available) => "🟢 available",
        (Lang::Ru, DeviceState::Available) => "🟢 доступно",
        (Lang::En, DeviceState::Taken) => "🔴 taken",
        (Lang::Ru, DeviceState::Taken) => "🔴 выдано",
        (Lang::En, DeviceState::Broken) => "🛠 broken",
        (Lang::Ru, DeviceState::Broken) => "🛠 неисправно",
        (Lang::En, DeviceState::Retired) => "⚫ retired",
        (Lang::Ru, DeviceState::Retired) => "⚫ списано",
    }
}

/// How a device is named in lists and messages: `#12 Ingenico Move/5000 (INV-0042)`.
pub fn title(id: i64, name: &str, inventory_no: &str) -> String {
    format!("#{id} {} ({})", crate::text::shorten(name, 60), crate::text::shorten(inventory_no, 30))
}

/// A date as readers of the language write it: `24 Dec 2026`, `24 дек. 2026`.
pub fn date(lang: Lang, day: NaiveDate) -> String {
    use chrono::Datelike;
    const EN: [&str; 12] = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];
    const RU: [&str; 12] =
        ["янв.", "февр.", "мар.", "апр.", "мая", "июн.", "июл.", "авг.", "сент.", "окт.", "нояб.", "дек."];
    let month = day.month0() as usize;
    match lang {
        Lang::En => format!("{} {} {}", day.day(), EN[month], day.year()),
        Lang::Ru => format!("{} {} {}", day.day(), RU[month], day.year()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_and_titles_read_naturally() {
        let day = NaiveDate::from_ymd_opt(2026, 5, 9).unwrap();
        assert_eq!(date(Lang::En, day), "9 May 2026");
        assert_eq!(date(Lang::Ru, day), "9 мая 2026");
        assert_eq!(title(12, "Move/5000", "INV-1"), "#12 Move/5000 (INV-1)");
        assert_eq!(state(Lang::Ru, DeviceState::Taken), "🔴 выдано");
    }
}
