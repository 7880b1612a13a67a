//! Durations as people type and read them, in English and Russian: [`parse`] takes `90s`, `5m`,
//! `1h30m`, `2w`, `5 minutes`, `7 минут`, `2 часа`, `3 дня` or `1 нед` (units and words with their
//! plural forms, spaces optional); [`format`] shows the two largest units in the reader's language
//! (`5m 29s`, `5 мин 29 с`). Monitoring intervals, mutes and reminders use it, and so can any slice
//! that takes a duration. What went wrong is a [`DurationError`], rendered per language by
//! [`DurationError::render`].

use std::time::Duration;

use crate::i18n::{Lang, Text, t};

/// A duration the user typed that teleops cannot use.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DurationError {
    /// Not a number with a unit.
    #[error("{0:?} is not a duration like 30s, 5m, 1h or 1d")]
    Malformed(String),
    /// Zero or below the minimum.
    #[error("must be at least {}", format(Lang::En, *min))]
    TooShort { min: Duration },
    /// Above the maximum.
    #[error("must be at most {}", format(Lang::En, *max))]
    TooLong { max: Duration },
}

impl DurationError {
    /// What is wrong, in the reader's language (the `Display` text is for logs).
    pub fn render(&self, lang: Lang) -> String {
        match self {
            DurationError::Malformed(input) => t(lang, Text::DurationMalformed { input }),
            DurationError::TooShort { min } => t(lang, Text::DurationTooShort { min: &format(lang, *min) }),
            DurationError::TooLong { max } => t(lang, Text::DurationTooLong { max: &format(lang, *max) }),
        }
    }
}

const MINUTE: u64 = 60;
const HOUR: u64 = 3600;
const DAY: u64 = 86_400;
const WEEK: u64 = 7 * DAY;

/// Every unit word teleops accepts, lowercase, with its length in seconds. Russian words come in
/// all their plural forms (1 минута, 2 минуты, 5 минут) and the accusative (на 1 минуту).
const UNITS: &[(&str, u64)] = &[
    ("s", 1),
    ("sec", 1),
    ("secs", 1),
    ("second", 1),
    ("seconds", 1),
    ("с", 1),
    ("сек", 1),
    ("секунда", 1),
    ("секунды", 1),
    ("секунд", 1),
    ("секунду", 1),
    ("m", MINUTE),
    ("min", MINUTE),
    ("mins", MINUTE),
    ("minute", MINUTE),
    ("minutes", MINUTE),
    ("м", MINUTE),
    ("мин", MINUTE),
    ("минута", MINUTE),
    ("минуты", MINUTE),
    ("минут", MINUTE),
    ("минуту", MINUTE),
    ("h", HOUR),
    ("hr", HOUR),
    ("hrs", HOUR),
    ("hour", HOUR),
    ("hours", HOUR),
    ("ч", HOUR),
    ("час", HOUR),
    ("часа", HOUR),
    ("часов", HOUR),
    ("d", DAY),
    ("day", DAY),
    ("days", DAY),
    ("д", DAY),
    ("дн", DAY),
    ("день", DAY),
    ("дня", DAY),
    ("дней", DAY),
    ("w", WEEK),
    ("wk", WEEK),
    ("week", WEEK),
    ("weeks", WEEK),
    ("н", WEEK),
    ("нед", WEEK),
    ("неделя", WEEK),
    ("недели", WEEK),
    ("недель", WEEK),
    ("неделю", WEEK),
];

/// Parses one or more `<number><unit>` pairs, with or without spaces between them: `30s`,
/// `1h30m`, `1 час 30 минут`, `2 д`. Case does not matter and a unit may end with a dot (`мин.`).
/// A number without a unit, a unit without a number and anything else is [`DurationError::Malformed`].
pub fn parse(input: &str) -> Result<Duration, DurationError> {
    let trimmed = input.trim();
    let malformed = || DurationError::Malformed(trimmed.to_owned());
    let text = trimmed.to_lowercase();
    let mut chars = text.chars().peekable();
    let mut total: u64 = 0;
    let mut pairs = 0;
    loop {
        while chars.next_if(|c| c.is_whitespace()).is_some() {}
        if chars.peek().is_none() {
            break;
        }
        let mut digits = String::new();
        while let Some(c) = chars.next_if(char::is_ascii_digit) {
            digits.push(c);
        }
        while chars.next_if(|c| c.is_whitespace()).is_some() {}
        let mut word = String::new();
        while let Some(c) = chars.next_if(|c| c.is_alphabetic()) {
            word.push(c);
        }
        chars.next_if_eq(&'.');
        let n: u64 = digits.parse().map_err(|_| malformed())?;
        let unit = UNITS.iter().find(|(name, _)| *name == word).map(|(_, secs)| *secs).ok_or_else(malformed)?;
        total = n.checked_mul(unit).and_then(|v| total.checked_add(v)).ok_or_else(malformed)?;
        pairs += 1;
    }
    if pairs == 0 {
        return Err(malformed());
    }
    Ok(Duration::from_secs(total))
}

/// The two largest units, in whole seconds: `1d 2h`, `5m 3s`, `45s` in English; `1 д 2 ч`,
/// `5 мин 3 с`, `45 с` in Russian (abbreviations, so no plural forms are needed).
pub fn format(lang: Lang, d: Duration) -> String {
    let secs = d.as_secs();
    let [day, hour, minute, second] = match lang {
        Lang::En => ["d", "h", "m", "s"],
        Lang::Ru => [" д", " ч", " мин", " с"],
    };
    let parts = [(secs / DAY, day), ((secs % DAY) / HOUR, hour), ((secs % HOUR) / MINUTE, minute), (secs % 60, second)];
    let shown: Vec<String> = parts
        .iter()
        .skip_while(|(n, _)| *n == 0)
        .take(2)
        .filter(|(n, _)| *n > 0)
        .map(|(n, u)| format!("{n}{u}"))
        .collect();
    if shown.is_empty() { format!("0{second}") } else { shown.join(" ") }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check(input: &str, secs: u64) {
        assert_eq!(parse(input), Ok(Duration::from_secs(secs)), "{input}");
    }

    #[test]
    fn english_units_and_words_parse() {
        check("90s", 90);
        check("5m", 300);
        check("1h30m", 5400);
        check(" 10S ", 10);
        check("3d", 3 * DAY);
        check("2w", 2 * WEEK);
        check("5 minutes", 300);
        check("1 hour", HOUR);
        check("2 hours 15 min", 2 * HOUR + 15 * MINUTE);
        check("10 sec", 10);
        check("1 day", DAY);
        check("0s", 0);
    }

    #[test]
    fn russian_units_and_words_parse_in_every_plural_form() {
        check("7 минут", 7 * MINUTE);
        check("1 минута", MINUTE);
        check("2 минуты", 2 * MINUTE);
        check("1 час", HOUR);
        check("2 часа", 2 * HOUR);
        check("5 часов", 5 * HOUR);
        check("2 д", 2 * DAY);
        check("1 день", DAY);
        check("3 дня", 3 * DAY);
        check("7 дней", 7 * DAY);
        check("1 нед", WEEK);
        check("2 недели", 2 * WEEK);
        check("10 сек", 10);
        check("30 с", 30);
        check("5 мин.", 5 * MINUTE);
        check("1 ч 30 мин", 90 * MINUTE);
        check("1ч30м", 90 * MINUTE);
        check("24 Ч", DAY);
    }

    #[test]
    fn nonsense_is_malformed() {
        for bad in ["", "  ", "60", "-5m", "m", "5x", "5 minutes ago", "минут", "1.5h", "99999999999999999999s"] {
            assert!(matches!(parse(bad), Err(DurationError::Malformed(_))), "{bad}");
        }
        assert_eq!(parse(" 5 лет "), Err(DurationError::Malformed("5 лет".into())));
    }

    #[test]
    fn durations_format_with_two_units_in_the_readers_language() {
        let en = |s| format(Lang::En, Duration::from_secs(s));
        let ru = |s| format(Lang::Ru, Duration::from_secs(s));
        assert_eq!([en(10), en(329), en(7200), en(93_784), en(0)], ["10s", "5m 29s", "2h", "1d 2h", "0s"]);
        assert_eq!([ru(10), ru(329), ru(DAY), ru(2 * DAY), ru(0)], ["10 с", "5 мин 29 с", "1 д", "2 д", "0 с"]);
        assert_eq!(ru(HOUR * 24 - 1), "23 ч 59 мин");
    }

    #[test]
    fn errors_render_in_both_languages() {
        let short = DurationError::TooShort { min: Duration::from_secs(10) };
        assert_eq!(short.to_string(), "must be at least 10s");
        assert!(short.render(Lang::En).contains("10s"));
        assert!(short.render(Lang::Ru).contains("10 с"), "{}", short.render(Lang::Ru));
        let bad = DurationError::Malformed("скоро".into());
        assert!(bad.render(Lang::Ru).contains("«скоро»") && bad.render(Lang::Ru).contains("7 минут"));
        assert!(DurationError::TooLong { max: Duration::from_secs(DAY) }.render(Lang::Ru).contains("1 д"));
    }
}
