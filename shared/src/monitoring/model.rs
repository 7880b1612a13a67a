//! Between the `monitors` row and the domain rules: the alert state and thresholds a row holds,
//! and the words of an alert line.

use std::time::Duration;

use crate::entities::monitor;
use crate::i18n::Lang;
use crate::monitoring::alerts::{Alert, Health, State, Thresholds};
use crate::monitoring::schedule::format_duration;

/// The alert state stored in a row.
pub fn state_of(m: &monitor::Model) -> State {
    State {
        health: Health::parse(&m.health),
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

/// One line of an alert message. The words DOWN and UP are kept in every language, so they can
/// be searched for and filtered on.
pub fn alert_line(lang: Lang, id: i64, target: &str, alert: &Alert) -> String {
    match (lang, alert) {
        (_, Alert::Down { reason }) => format!("🔴 DOWN #{id} {target} — {}", reason.describe()),
        (Lang::En, Alert::StillDown { reason, down_for }) => {
            format!("🔴 DOWN #{id} {target} — {} (down for {})", reason.describe(), format_duration(*down_for))
        }
        (Lang::Ru, Alert::StillDown { reason, down_for }) => {
            format!("🔴 DOWN #{id} {target} — {} (недоступен {})", reason.describe(), format_duration(*down_for))
        }
        (Lang::En, Alert::Up { down_for }) => {
            format!("🟢 UP #{id} {target} — was down for {}", format_duration(*down_for))
        }
        (Lang::Ru, Alert::Up { down_for }) => {
            format!("🟢 UP #{id} {target} — был недоступен {}", format_duration(*down_for))
        }
        (Lang::En, Alert::CertExpiring { days_left }) if *days_left < 0 => {
            format!("⚠️ #{id} {target}: the TLS certificate has expired")
        }
        (Lang::En, Alert::CertExpiring { days_left }) => {
            format!("⚠️ #{id} {target}: the TLS certificate expires in {days_left} day(s)")
        }
        (Lang::Ru, Alert::CertExpiring { days_left }) if *days_left < 0 => {
            format!("⚠️ #{id} {target}: срок TLS-сертификата истёк")
        }
        (Lang::Ru, Alert::CertExpiring { days_left }) => {
            format!("⚠️ #{id} {target}: TLS-сертификат истекает через {days_left} дн.")
        }
    }
}

/// Joins alert lines into one message under Telegram's 4,096-character limit.
pub fn group_lines(lang: Lang, lines: &[String]) -> String {
    const LIMIT: usize = 4000;
    if lines.len() == 1 {
        return lines[0].clone();
    }
    let mut out = match lang {
        Lang::En => format!("{} monitors changed state:", lines.len()),
        Lang::Ru => format!("Изменилось состояние мониторов: {}", lines.len()),
    };
    for (i, line) in lines.iter().enumerate() {
        if out.chars().count() + line.chars().count() + 1 > LIMIT {
            let rest = lines.len() - i;
            out.push_str(&match lang {
                Lang::En => format!("\n…and {rest} more (see /monitors)"),
                Lang::Ru => format!("\n…и ещё {rest} (см. /monitors)"),
            });
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
        assert_eq!(down, "🔴 DOWN #3 https://x — HTTP 502");
        let up = alert_line(Lang::En, 3, "https://x", &Alert::Up { down_for: Duration::from_secs(125) });
        assert_eq!(up, "🟢 UP #3 https://x — was down for 2m 5s");
    }

    #[test]
    fn a_thousand_alerts_make_one_readable_message() {
        let lines: Vec<String> =
            (0..1000).map(|i| format!("🔴 DOWN #{i} host{i}.example.com — ping loss 3/3")).collect();
        let text = group_lines(Lang::En, &lines);
        assert!(text.starts_with("1000 monitors changed state:"));
        assert!(text.chars().count() <= 4096);
        assert!(text.contains("more (see /monitors)"));
        assert_eq!(group_lines(Lang::En, &lines[..1]), lines[0]);
    }
}
