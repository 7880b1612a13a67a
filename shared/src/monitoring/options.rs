//! Per-monitor options set with `/set <id> <option> <value>`: parsing and limits, pure.
//!
//! Option names are the same in every language; what went wrong is an [`OptionError`] the bot
//! turns into a reply with an example.

use std::ops::RangeInclusive;
use std::time::Duration;

use sea_orm::ActiveEnum;
use sea_orm::entity::prelude::{DeriveActiveEnum, EnumIter, StringLen};

use super::schedule::{DurationError, Interval, parse_duration};
use super::target::CheckKind as Kind;

/// The request an HTTP check sends. It is also the `monitors.http_method` column, and the stored
/// text (`GET`, `HEAD`) is the word `/set <id> method` takes and shows.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, EnumIter, DeriveActiveEnum)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::N(8))")]
pub enum HttpMethod {
    #[default]
    #[sea_orm(string_value = "GET")]
    Get,
    /// Cheaper for the target; never checks keywords since there is no body.
    #[sea_orm(string_value = "HEAD")]
    Head,
}

/// One option and its new value.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Setting {
    Method(HttpMethod),
    /// The HTTP statuses that count as up.
    Expect(RangeInclusive<u16>),
    /// Text the body must contain (`must_contain`) or must not contain; `None` removes it.
    Keyword {
        text: Option<String>,
        must_contain: bool,
    },
    Timeout(Duration),
    /// Warn this many days before the certificate expires; 0 turns the warning off.
    CertWarnDays(u32),
    DownAfter(u32),
    UpAfter(u32),
    /// Remind every so often while down; `None` turns reminders off.
    Repeat(Option<Duration>),
    Interval(Interval),
}

/// The option names, in the order `/set` lists them, with an example value.
pub const OPTIONS: &[(&str, &str)] = &[
    ("interval", "5m"),
    ("timeout", "5s"),
    ("down_after", "3"),
    ("up_after", "2"),
    ("repeat", "30m | off"),
    ("method", "HEAD"),
    ("expect", "200-299"),
    ("keyword", "Welcome | off"),
    ("absent", "Error"),
    ("cert_warn", "30 | off"),
];

/// The option `name` stands for (case and `-` for `_` do not matter), with its example value.
pub fn lookup(name: &str) -> Option<(&'static str, &'static str)> {
    let name = name.to_ascii_lowercase().replace('-', "_");
    OPTIONS.iter().copied().find(|(n, _)| *n == name)
}

/// Why an option was refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum OptionError {
    Unknown,
    /// Only HTTP(S) monitors have it.
    HttpOnly,
    /// The value is not acceptable; says why.
    Bad(BadValue),
}

/// What is wrong with an option's value; the catalogue puts it into words
/// (`texts::Text::BadOptionValue`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum BadValue {
    Missing,
    /// Not a duration, or one outside the interval's limits.
    Duration(DurationError),
    /// Outside [`TIMEOUT_LIMITS`] or not whole seconds.
    TimeoutRange,
    /// Not shorter than the monitor's interval.
    TimeoutNotShorter,
    NotWholeNumber,
    /// Outside [`STREAK_LIMITS`].
    StreakRange,
    /// Outside [`REPEAT_LIMITS`].
    RepeatRange,
    /// Not GET or HEAD.
    Method,
    /// Not `200`, `200-299` or `2xx` within 100-599.
    StatusRange,
    /// Over [`KEYWORD_MAX_CHARS`].
    KeywordTooLong,
    /// Not a whole number within [`CERT_WARN_LIMITS`].
    CertDays,
}

pub const TIMEOUT_LIMITS: RangeInclusive<u64> = 1..=60;
pub const STREAK_LIMITS: RangeInclusive<u32> = 1..=10;
pub const REPEAT_LIMITS: RangeInclusive<u64> = 5 * 60..=7 * 86_400;
pub const CERT_WARN_LIMITS: RangeInclusive<u32> = 1..=365;
pub const KEYWORD_MAX_CHARS: usize = 200;

/// Parses `value` for option `name` of a monitor of `kind` that runs every `interval`.
pub fn parse(name: &str, value: &str, kind: Kind, interval: Interval) -> Result<Setting, OptionError> {
    let Some((name, _)) = lookup(name) else { return Err(OptionError::Unknown) };
    let value = value.trim();
    let http_only = matches!(name, "method" | "expect" | "keyword" | "absent" | "cert_warn");
    if http_only && kind != Kind::Http {
        return Err(OptionError::HttpOnly);
    }
    if value.is_empty() {
        return Err(OptionError::Bad(BadValue::Missing));
    }
    let off = value.eq_ignore_ascii_case("off") || value.eq_ignore_ascii_case("none");
    match name {
        "interval" => {
            Interval::parse(value).map(Setting::Interval).map_err(|e| OptionError::Bad(BadValue::Duration(e)))
        }
        "timeout" => {
            let d = parse_duration(value).map_err(|e| OptionError::Bad(BadValue::Duration(e)))?;
            if !TIMEOUT_LIMITS.contains(&d.as_secs()) || d.subsec_nanos() != 0 {
                return Err(OptionError::Bad(BadValue::TimeoutRange));
            }
            if d >= interval.duration() {
                return Err(OptionError::Bad(BadValue::TimeoutNotShorter));
            }
            Ok(Setting::Timeout(d))
        }
        "down_after" | "up_after" => {
            let n: u32 = value.parse().map_err(|_| OptionError::Bad(BadValue::NotWholeNumber))?;
            if !STREAK_LIMITS.contains(&n) {
                return Err(OptionError::Bad(BadValue::StreakRange));
            }
            Ok(if name == "down_after" { Setting::DownAfter(n) } else { Setting::UpAfter(n) })
        }
        "repeat" if off => Ok(Setting::Repeat(None)),
        "repeat" => {
            let d = parse_duration(value).map_err(|e| OptionError::Bad(BadValue::Duration(e)))?;
            if !REPEAT_LIMITS.contains(&d.as_secs()) {
                return Err(OptionError::Bad(BadValue::RepeatRange));
            }
            Ok(Setting::Repeat(Some(d)))
        }
        "method" => HttpMethod::try_from_value(&value.to_ascii_uppercase())
            .map(Setting::Method)
            .map_err(|_| OptionError::Bad(BadValue::Method)),
        "expect" => parse_status_range(value).map(Setting::Expect),
        "keyword" if off => Ok(Setting::Keyword { text: None, must_contain: true }),
        "keyword" | "absent" => {
            if value.chars().count() > KEYWORD_MAX_CHARS {
                return Err(OptionError::Bad(BadValue::KeywordTooLong));
            }
            Ok(Setting::Keyword { text: Some(value.to_owned()), must_contain: name == "keyword" })
        }
        "cert_warn" if off => Ok(Setting::CertWarnDays(0)),
        "cert_warn" => {
            let days: u32 = value.parse().map_err(|_| OptionError::Bad(BadValue::CertDays))?;
            if !CERT_WARN_LIMITS.contains(&days) {
                return Err(OptionError::Bad(BadValue::CertDays));
            }
            Ok(Setting::CertWarnDays(days))
        }
        _ => Err(OptionError::Unknown),
    }
}

/// `200`, `200-299` or `2xx`: statuses between 100 and 599.
fn parse_status_range(value: &str) -> Result<RangeInclusive<u16>, OptionError> {
    let bad = || OptionError::Bad(BadValue::StatusRange);
    let code = |s: &str| s.trim().parse::<u16>().ok().filter(|c| (100..=599).contains(c));
    let range = if let Some(class) = value.strip_suffix("xx").or_else(|| value.strip_suffix("XX")) {
        let first: u16 = class.parse().ok().filter(|c| (1..=5).contains(c)).ok_or_else(bad)?;
        first * 100..=first * 100 + 99
    } else if let Some((lo, hi)) = value.split_once('-') {
        code(lo).ok_or_else(bad)?..=code(hi).ok_or_else(bad)?
    } else {
        let c = code(value).ok_or_else(bad)?;
        c..=c
    };
    if range.is_empty() {
        return Err(bad());
    }
    Ok(range)
}

/// How a setting reads back to the user, e.g. `expect 200-299`.
pub fn describe(setting: &Setting) -> String {
    describe_in(crate::i18n::Lang::En, setting)
}

/// [`describe`] with durations in `lang` (`timeout 5 с`); option names stay as `/set` takes them.
pub fn describe_in(lang: crate::i18n::Lang, setting: &Setting) -> String {
    let format_duration = |d: Duration| crate::duration::format(lang, d);
    match setting {
        Setting::Method(m) => format!("method {}", m.to_value()),
        Setting::Expect(r) if r.start() == r.end() => format!("expect {}", r.start()),
        Setting::Expect(r) => format!("expect {}-{}", r.start(), r.end()),
        Setting::Keyword { text: None, .. } => "keyword off".into(),
        Setting::Keyword { text: Some(t), must_contain: true } => format!("keyword \"{t}\""),
        Setting::Keyword { text: Some(t), must_contain: false } => format!("absent \"{t}\""),
        Setting::Timeout(d) => format!("timeout {}", format_duration(*d)),
        Setting::CertWarnDays(0) => "cert_warn off".into(),
        Setting::CertWarnDays(n) => format!("cert_warn {n}"),
        Setting::DownAfter(n) => format!("down_after {n}"),
        Setting::UpAfter(n) => format!("up_after {n}"),
        Setting::Repeat(None) => "repeat off".into(),
        Setting::Repeat(Some(d)) => format!("repeat {}", format_duration(*d)),
        Setting::Interval(i) => format!("interval {}", format_duration(i.duration())),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn http(name: &str, value: &str) -> Result<Setting, OptionError> {
        parse(name, value, Kind::Http, Interval::DEFAULT)
    }

    #[test]
    fn http_options_parse_with_their_limits() {
        assert_eq!(http("method", "head"), Ok(Setting::Method(HttpMethod::Head)));
        assert!(matches!(http("method", "POST"), Err(OptionError::Bad(_))));
        assert_eq!(http("expect", "200-299"), Ok(Setting::Expect(200..=299)));
        assert_eq!(http("expect", "2xx"), Ok(Setting::Expect(200..=299)));
        assert_eq!(http("expect", "204"), Ok(Setting::Expect(204..=204)));
        for bad in ["299-200", "600", "99", "6xx", "abc", "200-"] {
            assert!(matches!(http("expect", bad), Err(OptionError::Bad(_))), "{bad}");
        }
        assert_eq!(
            http("keyword", "Welcome home"),
            Ok(Setting::Keyword { text: Some("Welcome home".into()), must_contain: true })
        );
        assert_eq!(http("absent", "Error"), Ok(Setting::Keyword { text: Some("Error".into()), must_contain: false }));
        assert_eq!(http("keyword", "off"), Ok(Setting::Keyword { text: None, must_contain: true }));
        assert!(matches!(http("keyword", &"x".repeat(201)), Err(OptionError::Bad(_))));
        assert_eq!(http("cert_warn", "30"), Ok(Setting::CertWarnDays(30)));
        assert_eq!(http("cert-warn", "off"), Ok(Setting::CertWarnDays(0)));
        assert!(matches!(http("cert_warn", "0"), Err(OptionError::Bad(_))));
    }

    #[test]
    fn http_only_options_are_refused_for_other_kinds() {
        for name in ["method", "expect", "keyword", "absent", "cert_warn"] {
            assert_eq!(parse(name, "x", Kind::Ping, Interval::DEFAULT), Err(OptionError::HttpOnly), "{name}");
            assert_eq!(parse(name, "x", Kind::Tcp, Interval::DEFAULT), Err(OptionError::HttpOnly), "{name}");
        }
        assert_eq!(parse("down_after", "3", Kind::Ping, Interval::DEFAULT), Ok(Setting::DownAfter(3)));
    }

    #[test]
    fn timing_options_respect_the_interval_and_limits() {
        assert_eq!(http("timeout", "5s"), Ok(Setting::Timeout(Duration::from_secs(5))));
        let ten = Interval::parse("10s").unwrap();
        assert!(matches!(parse("timeout", "10s", Kind::Http, ten), Err(OptionError::Bad(_))));
        assert!(matches!(http("timeout", "0s"), Err(OptionError::Bad(_))));
        assert!(matches!(http("timeout", "2m"), Err(OptionError::Bad(_))));
        assert_eq!(http("interval", "5m"), Ok(Setting::Interval(Interval::parse("5m").unwrap())));
        assert!(matches!(http("interval", "5s"), Err(OptionError::Bad(_))));
        assert_eq!(http("repeat", "30m"), Ok(Setting::Repeat(Some(Duration::from_secs(1800)))));
        assert_eq!(http("repeat", "off"), Ok(Setting::Repeat(None)));
        assert!(matches!(http("repeat", "1m"), Err(OptionError::Bad(_))));
        assert_eq!(http("up_after", "2"), Ok(Setting::UpAfter(2)));
        for bad in ["0", "11", "-1", "two"] {
            assert!(matches!(http("down_after", bad), Err(OptionError::Bad(_))), "{bad}");
        }
    }

    #[test]
    fn unknown_options_and_missing_values_are_named() {
        assert_eq!(http("colour", "red"), Err(OptionError::Unknown));
        assert!(matches!(http("timeout", " "), Err(OptionError::Bad(_))));
    }

    #[test]
    fn settings_read_back_as_they_are_typed() {
        assert_eq!(describe(&Setting::Expect(200..=299)), "expect 200-299");
        assert_eq!(describe(&Setting::Repeat(Some(Duration::from_secs(1800)))), "repeat 30m");
        assert_eq!(describe(&Setting::CertWarnDays(0)), "cert_warn off");
        let ru = crate::i18n::Lang::Ru;
        assert_eq!(describe_in(ru, &Setting::Repeat(Some(Duration::from_secs(1800)))), "repeat 30 мин");
    }

    #[test]
    fn bad_values_say_why_in_both_languages() {
        use crate::i18n::Lang;
        use crate::monitoring::texts::{Text, t};
        let why = |lang, value| match http("timeout", value) {
            Err(OptionError::Bad(error)) => t(lang, Text::BadOptionValue { error: &error }),
            other => panic!("{other:?}"),
        };
        assert_eq!(why(Lang::En, "2m"), "a timeout is 1s to 1m, in whole seconds");
        assert_eq!(why(Lang::Ru, "2m"), "таймаут — от 1 с до 1 мин, в целых секундах");
        assert!(why(Lang::Ru, "скоро").contains("не длительность"), "{}", why(Lang::Ru, "скоро"));
        let streak = t(Lang::Ru, Text::BadOptionValue { error: &BadValue::StreakRange });
        assert_eq!(streak, "от 1 до 10 проверок");
    }
}
