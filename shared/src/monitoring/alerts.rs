//! The alert state machine: check outcomes in, state changes and alerts out.
//!
//! N consecutive failures make a monitor DOWN (default 2), M successes UP again (default 1);
//! exactly one alert per change, an optional reminder while down, mute drops alerts (checks still
//! run and the state still moves; a DOWN dropped by a mute is told by the first failing check after
//! it), and a certificate warning once per threshold.

use std::time::Duration;

use chrono::{DateTime, Utc};
use sea_orm::entity::prelude::{DeriveActiveEnum, EnumIter, StringLen};

/// Where a monitor stands. It is also the `monitors.health` column (`pending`, `up`, `down`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, EnumIter, DeriveActiveEnum)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::N(8))")]
pub enum Health {
    /// No verdict yet.
    #[default]
    #[sea_orm(string_value = "pending")]
    Pending,
    #[sea_orm(string_value = "up")]
    Up,
    #[sea_orm(string_value = "down")]
    Down,
}

/// How the last check ended, as the `monitors.last_status` column remembers it. Unlike
/// [`Health`], it follows every check: one failure is `Down` here while the monitor is still UP.
#[derive(Debug, Clone, Copy, PartialEq, Eq, EnumIter, DeriveActiveEnum)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::N(16))")]
pub enum CheckStatus {
    #[sea_orm(string_value = "up")]
    Up,
    #[sea_orm(string_value = "down")]
    Down,
    /// The probe cannot run in this process (ICMP not permitted): not the host's fault.
    #[sea_orm(string_value = "unavailable")]
    Unavailable,
    /// The admins' probe policy (or a built-in deny) forbids the target's address: the monitor is
    /// not probed, and the time is neither uptime nor downtime.
    #[sea_orm(string_value = "blocked")]
    Blocked,
}

/// When alerts fire. By default: DOWN after 2 failures, UP after 1 success, no reminders, and a
/// certificate warning from 14 days before expiry.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Thresholds {
    pub down_after: u32,
    pub up_after: u32,
    pub repeat_every: Option<Duration>,
    pub cert_warn_days: u32,
}

impl Default for Thresholds {
    fn default() -> Self {
        Self { down_after: 2, up_after: 1, repeat_every: None, cert_warn_days: 14 }
    }
}

/// The remembered part of a monitor between checks.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct State {
    pub health: Health,
    pub fail_streak: u32,
    pub ok_streak: u32,
    /// When the current run of failures began.
    pub failing_since: Option<DateTime<Utc>>,
    /// When the last DOWN or reminder alert went out.
    pub last_alert_at: Option<DateTime<Utc>>,
    /// The smallest certificate threshold (in days) already warned about.
    pub cert_warned_days: Option<u32>,
}

/// Why a check failed. It is stored as a short stable text ([`Reason::stored`], read back by
/// [`Reason::from_stored`]) in `check_results.reason` and `monitors.last_reason`, and put into
/// words in the reader's language only when shown ([`Reason::render`]). A new variant takes a new
/// code in `reason.rs`; the codes of existing variants never change.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Reason {
    HttpStatus(u16),
    Timeout(Duration),
    KeywordMissing(String),
    KeywordPresent(String),
    PingLoss {
        received: u32,
        sent: u32,
    },
    Refused,
    /// The host name (no address found for it).
    Unresolvable(String),
    /// The TLS library's own words.
    Tls(String),
    /// The server's certificate has expired.
    CertExpired,
    /// The admins' probe policy forbids the resolved address.
    NotPermitted(String),
    /// Neither raw nor datagram ICMP sockets are allowed in this process.
    IcmpUnavailable,
    TooManyRedirects,
    /// Anything else, in the words of whatever failed; also every free-text reason stored before
    /// reasons were typed.
    Other(String),
}

impl Reason {
    /// In English, for logs.
    pub fn describe(&self) -> String {
        self.render(crate::i18n::Lang::En)
    }
}

/// One check's result.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    Up { latency_ms: u32, cert_days_left: Option<i64> },
    Down { reason: Reason },
}

impl Outcome {
    pub fn is_up(&self) -> bool {
        matches!(self, Outcome::Up { .. })
    }

    /// The outcome in one word; the one place that tells "could not run here" from "down".
    pub fn status(&self) -> CheckStatus {
        match self {
            Outcome::Up { .. } => CheckStatus::Up,
            Outcome::Down { reason: Reason::IcmpUnavailable } => CheckStatus::Unavailable,
            Outcome::Down { reason: Reason::NotPermitted(_) } => CheckStatus::Blocked,
            Outcome::Down { .. } => CheckStatus::Down,
        }
    }
}

/// What to tell people.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Alert {
    Down {
        reason: Reason,
    },
    StillDown {
        reason: Reason,
        down_for: Duration,
    },
    Up {
        down_for: Duration,
    },
    CertExpiring {
        days_left: i64,
    },
    /// The probe policy newly forbids the monitor's address (sent once, when it becomes blocked;
    /// never made by [`step`], which blocked checks do not reach).
    Blocked {
        address: String,
    },
}

/// The result of one step.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Step {
    pub state: State,
    pub alerts: Vec<Alert>,
    /// True when alerts were due but held by a mute.
    pub held: bool,
}

/// Applies one outcome at `now`.
pub fn step(state: &State, outcome: &Outcome, th: &Thresholds, now: DateTime<Utc>, muted: bool) -> Step {
    let mut next = state.clone();
    let mut alerts = Vec::new();
    match outcome {
        Outcome::Up { cert_days_left, .. } => {
            next.ok_streak = state.ok_streak.saturating_add(1);
            next.fail_streak = 0;
            if state.health != Health::Up && next.ok_streak >= th.up_after.max(1) {
                if state.health == Health::Down {
                    let since = state.failing_since.unwrap_or(now);
                    alerts.push(Alert::Up { down_for: (now - since).to_std().unwrap_or_default() });
                }
                next.health = Health::Up;
                next.failing_since = None;
            }
            if let Some(days) = *cert_days_left {
                match cert_threshold(days, th.cert_warn_days) {
                    Some(t) if state.cert_warned_days.is_none_or(|warned| t < warned) => {
                        alerts.push(Alert::CertExpiring { days_left: days });
                        next.cert_warned_days = Some(t);
                    }
                    Some(_) => {}
                    // Renewed: warn again next time it nears expiry.
                    None => next.cert_warned_days = None,
                }
            }
        }
        Outcome::Down { reason } => {
            next.fail_streak = state.fail_streak.saturating_add(1);
            next.ok_streak = 0;
            if state.fail_streak == 0 {
                next.failing_since = Some(now);
            }
            if state.health != Health::Down && next.fail_streak >= th.down_after.max(1) {
                next.health = Health::Down;
                alerts.push(Alert::Down { reason: reason.clone() });
            } else if state.health == Health::Down && !muted && down_untold(state) {
                // The DOWN fell inside a mute that has ended (or was ended) since: its alert was
                // dropped, so the first failing check after the mute tells the state now.
                alerts.push(Alert::Down { reason: reason.clone() });
            } else if state.health == Health::Down
                && let Some(every) = th.repeat_every
                && state.last_alert_at.is_none_or(|at| (now - at).to_std().unwrap_or_default() >= every)
            {
                let since = state.failing_since.unwrap_or(now);
                alerts.push(Alert::StillDown {
                    reason: reason.clone(),
                    down_for: (now - since).to_std().unwrap_or_default(),
                });
            }
        }
    }
    let held = muted && !alerts.is_empty();
    if held {
        alerts.clear();
    } else if alerts.iter().any(|a| matches!(a, Alert::Down { .. } | Alert::StillDown { .. })) {
        next.last_alert_at = Some(now);
    }
    Step { state: next, alerts, held }
}

/// Whether the current DOWN was never alerted: no DOWN or reminder went out since the failures
/// began (a mute dropped it).
fn down_untold(state: &State) -> bool {
    match (state.last_alert_at, state.failing_since) {
        (None, _) => true,
        (Some(told), Some(since)) => told < since,
        (Some(_), None) => false,
    }
}

/// The warning threshold `days_left` falls under: the configured one, then 7, 3, 1 and 0 days.
fn cert_threshold(days_left: i64, warn_days: u32) -> Option<u32> {
    let mut thresholds = vec![warn_days, 7, 3, 1, 0];
    thresholds.retain(|t| *t <= warn_days);
    thresholds.sort_unstable();
    thresholds.dedup();
    thresholds.into_iter().find(|t| days_left <= i64::from(*t))
}

#[cfg(test)]
mod tests {
    use chrono::TimeZone;

    use super::*;

    const OK: Outcome = Outcome::Up { latency_ms: 12, cert_days_left: None };

    fn fail() -> Outcome {
        Outcome::Down { reason: Reason::HttpStatus(500) }
    }

    fn at(secs: i64) -> DateTime<Utc> {
        Utc.timestamp_opt(1_800_000_000 + secs, 0).unwrap()
    }

    /// Runs outcomes one per minute and returns every alert with the minute it fired in.
    fn check(th: Thresholds, outcomes: &[Outcome], muted_minutes: &[usize]) -> (Vec<(usize, Alert)>, State) {
        let mut state = State::default();
        let mut fired = Vec::new();
        for (i, outcome) in outcomes.iter().enumerate() {
            let s = step(&state, outcome, &th, at(60 * i as i64), muted_minutes.contains(&i));
            fired.extend(s.alerts.into_iter().map(|a| (i, a)));
            state = s.state;
        }
        (fired, state)
    }

    #[test]
    fn two_failures_make_down_one_success_makes_up_with_one_alert_each() {
        let (fired, state) =
            check(Thresholds::default(), &[OK.clone(), fail(), fail(), fail(), fail(), OK.clone(), OK.clone()], &[]);
        assert_eq!(
            fired,
            vec![
                (2, Alert::Down { reason: Reason::HttpStatus(500) }),
                (5, Alert::Up { down_for: Duration::from_secs(240) }),
            ]
        );
        assert_eq!(state.health, Health::Up);
    }

    #[test]
    fn a_single_blip_is_not_an_alert() {
        let (fired, state) = check(Thresholds::default(), &[OK.clone(), fail(), OK.clone(), fail(), OK.clone()], &[]);
        assert!(fired.is_empty(), "{fired:?}");
        assert_eq!(state.health, Health::Up);
    }

    #[test]
    fn a_new_monitor_that_is_down_alerts_and_its_first_success_is_silent() {
        let (fired, _) = check(Thresholds::default(), &[fail(), fail()], &[]);
        assert_eq!(fired, vec![(1, Alert::Down { reason: Reason::HttpStatus(500) })]);
        let (fired, state) = check(Thresholds::default(), std::slice::from_ref(&OK), &[]);
        assert!(fired.is_empty());
        assert_eq!(state.health, Health::Up);
    }

    #[test]
    fn thresholds_are_configurable() {
        let th = Thresholds { down_after: 3, up_after: 2, ..Default::default() };
        let (fired, _) = check(th, &[fail(), fail(), fail(), OK.clone(), OK.clone()], &[]);
        assert_eq!(fired.iter().map(|(i, _)| *i).collect::<Vec<_>>(), vec![2, 4]);
    }

    #[test]
    fn reminders_repeat_while_down() {
        let th = Thresholds { repeat_every: Some(Duration::from_secs(120)), ..Default::default() };
        let (fired, _) = check(th, &[fail(), fail(), fail(), fail(), fail(), fail()], &[]);
        let minutes: Vec<usize> = fired.iter().map(|(i, _)| *i).collect();
        assert_eq!(minutes, vec![1, 3, 5]);
        assert!(matches!(fired[1].1, Alert::StillDown { down_for, .. } if down_for == Duration::from_secs(180)));
    }

    #[test]
    fn mute_drops_alerts_but_the_state_moves() {
        let (fired, state) = check(Thresholds::default(), &[OK.clone(), fail(), fail(), fail()], &[1, 2, 3]);
        assert!(fired.is_empty(), "the DOWN fell inside the mute: {fired:?}");
        assert_eq!(state.health, Health::Down);
        // Recovery after the mute is reported, with the whole downtime.
        let s = step(&state, &OK, &Thresholds::default(), at(240), false);
        assert_eq!(s.alerts, vec![Alert::Up { down_for: Duration::from_secs(180) }]);
    }

    #[test]
    fn a_down_dropped_by_a_mute_is_told_once_the_mute_is_over() {
        // DOWN at minute 2 falls inside the mute (minutes 1-3); minute 4 is the first check after it.
        let (fired, state) =
            check(Thresholds::default(), &[OK.clone(), fail(), fail(), fail(), fail(), fail()], &[1, 2, 3]);
        assert_eq!(fired, vec![(4, Alert::Down { reason: Reason::HttpStatus(500) })], "told once, when the mute ended");
        assert_eq!(state.last_alert_at, Some(at(240)));
        // A DOWN that was told before a mute is not told again after it.
        let (fired, _) = check(Thresholds::default(), &[fail(), fail(), fail(), fail(), fail()], &[2, 3]);
        assert_eq!(fired, vec![(1, Alert::Down { reason: Reason::HttpStatus(500) })]);
    }

    #[test]
    fn certificate_warnings_fire_once_per_threshold_and_rearm_after_renewal() {
        let cert = |days| Outcome::Up { latency_ms: 5, cert_days_left: Some(days) };
        let (fired, state) = check(
            Thresholds::default(),
            &[cert(30), cert(14), cert(13), cert(7), cert(6), cert(2), cert(90), cert(10)],
            &[],
        );
        let days: Vec<(usize, i64)> = fired
            .into_iter()
            .map(|(i, a)| match a {
                Alert::CertExpiring { days_left } => (i, days_left),
                other => panic!("unexpected {other:?}"),
            })
            .collect();
        assert_eq!(days, vec![(1, 14), (3, 7), (5, 2), (7, 10)]);
        assert_eq!(state.cert_warned_days, Some(14));
    }

    #[test]
    fn only_a_probe_that_cannot_run_here_is_unavailable() {
        assert_eq!(OK.status(), CheckStatus::Up);
        assert_eq!(fail().status(), CheckStatus::Down);
        assert_eq!(Outcome::Down { reason: Reason::IcmpUnavailable }.status(), CheckStatus::Unavailable);
        let loss = Outcome::Down { reason: Reason::PingLoss { received: 0, sent: 3 } };
        assert_eq!(loss.status(), CheckStatus::Down, "a host that does not answer is down");
        let blocked = Outcome::Down { reason: Reason::NotPermitted("127.0.0.1".into()) };
        assert_eq!(blocked.status(), CheckStatus::Blocked, "a forbidden address is blocked, not down");
    }

    #[test]
    fn reasons_read_well() {
        assert_eq!(Reason::HttpStatus(503).describe(), "HTTP 503");
        assert_eq!(Reason::PingLoss { received: 0, sent: 3 }.describe(), "ping loss 3/3");
        assert_eq!(Reason::Timeout(Duration::from_secs(10)).describe(), "timeout after 10s");
        assert_eq!(Reason::KeywordMissing("ok".into()).describe(), "keyword \"ok\" missing");
    }
}
