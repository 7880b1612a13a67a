//! Between the `monitors` row and the domain rules: the alert state and thresholds a row holds,
//! and the words of an alert line.

use std::time::Duration;

use chrono::{DateTime, Utc};

use crate::crypto::CryptoError;
use crate::duration;
use crate::entities::monitor;
use crate::i18n::Lang;
use crate::monitoring::alerts::{Alert, Health, State, Thresholds};
use crate::monitoring::options::HttpMethod;
use crate::monitoring::schedule::Interval;
use crate::monitoring::target::Target;
use crate::monitoring::texts::{Text, t};

/// HTTP statuses that count as up unless a monitor says otherwise: success and redirects.
pub const DEFAULT_EXPECT: std::ops::RangeInclusive<u16> = 200..=399;

/// A new monitor row with teleops' defaults (GET, status 200-399, no keyword, pending), checked
/// every `interval` from `next_run_at` (a whole second). A password in the target's URL is stored
/// apart, encrypted; that needs the process's keyring, hence the error.
pub fn new_row(
    owner_id: i64,
    chat_id: i64,
    target: &Target,
    interval: Interval,
    th: &Thresholds,
    next_run_at: DateTime<Utc>,
    now: DateTime<Utc>,
) -> Result<monitor::ActiveModel, CryptoError> {
    use sea_orm::Set;
    let mut target = target.clone();
    let password = target.seal_password()?;
    Ok(monitor::ActiveModel {
        owner_id: Set(owner_id),
        chat_id: Set(chat_id),
        notify_chat_id: Set(None),
        kind: Set(target.kind()),
        target: Set(target.to_string()),
        password: Set(password),
        interval_secs: Set(interval.secs() as i32),
        timeout_ms: Set(default_timeout_ms(interval)),
        http_method: Set(HttpMethod::Get),
        expect_min: Set(i32::from(*DEFAULT_EXPECT.start())),
        expect_max: Set(i32::from(*DEFAULT_EXPECT.end())),
        keyword: Set(None),
        keyword_must_contain: Set(true),
        down_after: Set(th.down_after as i32),
        up_after: Set(th.up_after as i32),
        repeat_secs: Set(th.repeat_every.map(|d| d.as_secs() as i32)),
        cert_warn_days: Set(th.cert_warn_days as i32),
        paused: Set(false),
        muted_until: Set(None),
        health: Set(Health::Pending),
        fail_streak: Set(0),
        ok_streak: Set(0),
        failing_since: Set(None),
        last_alert_at: Set(None),
        cert_warned_days: Set(None),
        last_checked_at: Set(None),
        last_latency_ms: Set(None),
        last_reason: Set(None),
        last_status: Set(None),
        next_run_at: Set(next_run_at),
        skipped_slots: Set(0),
        last_slot: Set(None),
        created_at: Set(now),
        ..Default::default()
    })
}

/// A check must end well before the next one starts: at most 10 s, at most half the interval.
pub fn default_timeout_ms(interval: Interval) -> i32 {
    (interval.secs() * 500).min(10_000) as i32
}

/// The timeout after the interval changes: kept while it is shorter than the new interval,
/// otherwise the default for the new interval.
pub fn timeout_for_interval(current_ms: i32, interval: Interval) -> i32 {
    if i64::from(current_ms) > 0 && i64::from(current_ms) < interval.secs() * 1000 {
        current_ms
    } else {
        default_timeout_ms(interval)
    }
}

/// The alert state stored in a row.
pub fn state_of(m: &monitor::Model) -> State {
    State {
        health: m.health,
        fail_streak: m.fail_streak.max(0) as u32,
        ok_streak: m.ok_streak.max(0) as u32,
        failing_since: m.failing_since,
        last_alert_at: m.last_alert_at,
        cert_warned_days: m.cert_warned_days.map(|d| d.max(0) as u32),
    }
}

/// The thresholds stored in a row.
pub fn thresholds_of(m: &monitor::Model) -> Thresholds {
    Thresholds {
        down_after: m.down_after.max(1) as u32,
        up_after: m.up_after.max(1) as u32,
        repeat_every: m.repeat_secs.filter(|s| *s > 0).map(|s| Duration::from_secs(s as u64)),
        cert_warn_days: m.cert_warn_days.max(0) as u32,
    }
}

/// One line of an alert message, from the message catalogue.
pub fn alert_line(lang: Lang, id: i64, target: &str, alert: &Alert) -> String {
    match alert {
        Alert::Down { reason } => t(lang, Text::AlertDown { id, target, reason: &reason.render(lang) }),
        Alert::StillDown { reason, down_for } => t(
            lang,
            Text::AlertStillDown {
                id,
                target,
                reason: &reason.render(lang),
                down_for: &duration::format(lang, *down_for),
            },
        ),
        Alert::Up { down_for } => t(lang, Text::AlertUp { id, target, down_for: &duration::format(lang, *down_for) }),
        Alert::CertExpiring { days_left } if *days_left < 0 => t(lang, Text::CertExpired { id, target }),
        Alert::CertExpiring { days_left } => t(lang, Text::CertExpiring { id, target, days: *days_left }),
        Alert::Blocked { address } => t(lang, Text::AlertBlocked { id, target, address }),
    }
}

/// Joins alert lines into one message under Telegram's limit (4,096 UTF-16 units).
pub fn group_lines(lang: Lang, lines: &[String]) -> String {
    use crate::text::utf16_len;
    // Room for the "… more" line.
    const LIMIT: usize = crate::text::MESSAGE_MAX - 96;
    if lines.len() == 1 {
        return lines[0].clone();
    }
    let mut out = t(lang, Text::AlertGroupHeader { count: lines.len() });
    for (i, line) in lines.iter().enumerate() {
        if utf16_len(&out) + utf16_len(line) + 1 > LIMIT {
            out.push('\n');
            out.push_str(&t(lang, Text::AlertGroupMore { rest: lines.len() - i }));
            break;
        }
        out.push('\n');
        out.push_str(line);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::monitoring::alerts::Reason;

    #[test]
    fn lines_name_the_target_the_state_and_the_reason() {
        let down = alert_line(Lang::Ru, 3, "https://x", &Alert::Down { reason: Reason::HttpStatus(502) });
        assert_eq!(down, "🔴 НЕДОСТУПЕН #3 https://x — ответ HTTP 502");
        let up = alert_line(Lang::En, 3, "https://x", &Alert::Up { down_for: Duration::from_secs(125) });
        assert_eq!(up, "🟢 UP #3 https://x — was down for 2m 5s");
        // See: issue 8 — "был недоступен 5m 29s", "— connection refused".
        let up = alert_line(Lang::Ru, 3, "https://x", &Alert::Up { down_for: Duration::from_secs(329) });
        assert_eq!(up, "🟢 РАБОТАЕТ #3 https://x — был недоступен 5 мин 29 с");
        let refused = alert_line(Lang::Ru, 3, "tcp://x:1", &Alert::Down { reason: Reason::Refused });
        assert_eq!(refused, "🔴 НЕДОСТУПЕН #3 tcp://x:1 — соединение отклонено");
    }

    #[test]
    fn a_thousand_alerts_make_one_readable_message() {
        let lines: Vec<String> =
            (0..1000).map(|i| format!("🔴 DOWN #{i} host{i}.example.com — ping loss 3/3")).collect();
        let text = group_lines(Lang::En, &lines);
        assert!(text.starts_with("1000 monitors changed state:"));
        assert!(crate::text::utf16_len(&text) <= crate::text::MESSAGE_MAX);
        assert!(text.contains("more (see /monitors)"));
        assert_eq!(group_lines(Lang::En, &lines[..1]), lines[0]);
    }
}
