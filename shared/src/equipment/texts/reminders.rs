//! The reminders texts of the equipment slice (see `super`): a holder's daily digest of devices
//! due tomorrow, today or overdue, and the admins' digest of overdue loans. Days are counted
//! words ([`crate::i18n::count`]): "overdue by 1 day", "просрочено на 2 дня", "на 5 дней".

use crate::equipment::calendar::Kind;
use crate::i18n::{Forms, Lang, count};

const DAYS: [Forms; 2] = [Forms::en("day", "days"), Forms::ru("день", "дня", "дней")];
const DEVICES: [Forms; 2] = [Forms::en("device", "devices"), Forms::ru("устройство", "устройства", "устройств")];

/// A text of the reminder digests.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Text<'a> {
    /// The first line of a holder's digest.
    DigestHeader,
    /// One device in a holder's digest: its title, due date (already in the reader's words) and
    /// how it stands today.
    DigestLine { title: &'a str, due: &'a str, kind: Kind },
    /// The digest lists only so many devices; the rest are in `/mine`.
    DigestMore { rest: usize },
    /// The Return button under a holder's digest, one per device.
    ReturnButton { title: &'a str },
    /// The first line of the admins' digest: loans overdue by `days` days or more.
    EscalationHeader { days: u32 },
    /// One loan in the admins' digest.
    EscalationLine { title: &'a str, holder: &'a str, due: &'a str, days: u32 },
    /// Loans left out of the admins' digest.
    EscalationMore { rest: u64 },
    /// A holder the bot has no name for.
    UnknownHolder { id: i64 },
}

/// `text` in `lang`.
pub fn t(lang: Lang, text: Text<'_>) -> String {
    use Text::*;
    match (lang, text) {
        (Lang::En, DigestHeader) => "⏰ Equipment to return:".into(),
        (Lang::Ru, DigestHeader) => "⏰ Пора вернуть технику:".into(),
        (Lang::En, DigestLine { title, due, kind: Kind::DueTomorrow }) => format!("• {title}: due tomorrow, {due}"),
        (Lang::Ru, DigestLine { title, due, kind: Kind::DueTomorrow }) => format!("• {title}: вернуть завтра, {due}"),
        (Lang::En, DigestLine { title, due, kind: Kind::DueToday }) => format!("• {title}: due today, {due}"),
        (Lang::Ru, DigestLine { title, due, kind: Kind::DueToday }) => format!("• {title}: вернуть сегодня, {due}"),
        (Lang::En, DigestLine { title, due, kind: Kind::Overdue { days } }) => {
            format!("• {title}: overdue by {} (due {due})", count(lang, days, DAYS))
        }
        (Lang::Ru, DigestLine { title, due, kind: Kind::Overdue { days } }) => {
            format!("• {title}: просрочено на {} (срок {due})", count(lang, days, DAYS))
        }
        (Lang::En, DigestMore { rest }) => format!("…and {} more: /mine", count(lang, rest as u64, DEVICES)),
        (Lang::Ru, DigestMore { rest }) => format!("…и ещё {}: /mine", count(lang, rest as u64, DEVICES)),
        (Lang::En, ReturnButton { title }) => format!("↩️ Return {title}"),
        (Lang::Ru, ReturnButton { title }) => format!("↩️ Вернуть {title}"),
        (Lang::En, EscalationHeader { days }) => {
            format!("⚠️ Equipment overdue by {} or more:", count(lang, days, DAYS))
        }
        (Lang::Ru, EscalationHeader { days }) => {
            format!("⚠️ Техника, просроченная на {} и больше:", count(lang, days, DAYS))
        }
        (Lang::En, EscalationLine { title, holder, due, days }) => {
            format!("• {title}: {holder}, overdue by {} (due {due})", count(lang, days, DAYS))
        }
        (Lang::Ru, EscalationLine { title, holder, due, days }) => {
            format!("• {title}: {holder}, просрочено на {} (срок {due})", count(lang, days, DAYS))
        }
        (Lang::En, EscalationMore { rest }) => format!("…and {} more.", count(lang, rest, DEVICES)),
        (Lang::Ru, EscalationMore { rest }) => format!("…и ещё {}.", count(lang, rest, DEVICES)),
        (Lang::En, UnknownHolder { id }) => format!("user {id}"),
        (Lang::Ru, UnknownHolder { id }) => format!("пользователь {id}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn line(lang: Lang, days: u32) -> String {
        t(lang, Text::DigestLine { title: "#1 Move/5000 (INV-1)", due: "d", kind: Kind::Overdue { days } })
    }

    #[test]
    fn days_overdue_take_their_plural_form() {
        assert_eq!(line(Lang::En, 1), "• #1 Move/5000 (INV-1): overdue by 1 day (due d)");
        assert_eq!(line(Lang::En, 3), "• #1 Move/5000 (INV-1): overdue by 3 days (due d)");
        for (days, words) in
            [(1, "1 день"), (2, "2 дня"), (5, "5 дней"), (11, "11 дней"), (21, "21 день"), (22, "22 дня")]
        {
            assert_eq!(line(Lang::Ru, days), format!("• #1 Move/5000 (INV-1): просрочено на {words} (срок d)"));
        }
        assert_eq!(t(Lang::Ru, Text::EscalationHeader { days: 3 }), "⚠️ Техника, просроченная на 3 дня и больше:");
        assert_eq!(t(Lang::Ru, Text::DigestMore { rest: 1 }), "…и ещё 1 устройство: /mine");
        assert_eq!(t(Lang::Ru, Text::EscalationMore { rest: 25 }), "…и ещё 25 устройств.");
    }
}
