//! The loans texts of the equipment slice (see `super`): taking, returning and the waitlist.

use crate::i18n::Lang;

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
    /// The hold on a device lapsed: it went to the next in line, or back on the shelf.
    HoldLapsed {
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
        (Lang::En, HoldLapsed { title }) => format!("⌛ The hold on {title} lapsed, so it went to the next in line."),
        (Lang::Ru, HoldLapsed { title }) => {
            format!("⌛ Бронь на {title} истекла, устройство ушло следующему в очереди.")
        }
    }
}
