//! The monitoring slice in the bot: add, list, inspect, mute and remove monitors. Handlers parse
//! and validate, write rows and reply; checks run in workers.

use chrono::{DateTime, Utc};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, EntityTrait, IntoActiveModel, PaginatorTrait, QueryFilter, QueryOrder, QuerySelect,
    Set, TransactionTrait,
};
use shared::audit::{self, Actor, Entry};
use shared::duration;
use shared::entities::{check_result, check_rollup, monitor, pending_alert, user};
use shared::i18n::Lang;
use shared::monitoring::alerts::{CheckStatus, Health, Reason, Thresholds};
use shared::monitoring::model::new_row;
use shared::monitoring::rollup::uptime_percent;
use shared::monitoring::schedule::{DurationError, Interval, first_run, parse_duration};
use shared::monitoring::target::{SHOWN_IN_LINE, SHOWN_MAX, Target, TargetError};
use shared::monitoring::texts::{Text, t};
use shared::tz;
use teloxide::prelude::*;

use crate::cx::{Caller, Cx};
use crate::slice::{AdderEntry, Audience, Slice};
use crate::{BotDeps, HandlerResult, reply};

pub mod add;
pub mod buttons;
mod chart;
pub mod list;
pub mod probes;
pub mod settings;

/// The slice's name: the prefix of its buttons and the owner tag of its dialogue state.
pub const NAME: &str = "monitoring";

/// The commands, buttons and `/add` dialogue of monitoring.
pub fn slice() -> Slice {
    Slice::new(NAME)
        .command("watch", Audience::Member, |l| t(l, Text::CmdWatch), watch)
        .command("monitors", Audience::Member, |l| t(l, Text::CmdMonitors), list::list)
        .command("status", Audience::Member, |l| t(l, Text::CmdStatus), status)
        .command("mute", Audience::Member, |l| t(l, Text::CmdMute), mute)
        .command("set", Audience::Member, |l| t(l, Text::CmdSet), settings::set)
        .command("unwatch", Audience::Member, |l| t(l, Text::CmdUnwatch), unwatch)
        .command("notify_here", Audience::Member, |l| t(l, Text::CmdNotifyHere), notify_here)
        .command("probes", Audience::Admin, |l| t(l, Text::CmdProbes), probes::probes)
        .adder(
            AdderEntry {
                audience: Audience::Member,
                label: |l| t(l, Text::AddMonitorLabel),
                usage: |l| t(l, Text::AddMonitorForm),
                // Devices are added in one message as `name | category | inventory number`.
                takes: |args| !args.contains('|'),
            },
            add::start,
        )
        .callbacks(Audience::Member, on_press)
        .dialogue(Audience::Member, add::on_message)
}

/// Every button of the slice: under the list, and during `/add`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub enum Press {
    List(buttons::Action),
    Add(add::Choice),
}

impl Press {
    pub fn data(self) -> String {
        crate::callback::data(NAME, &self)
    }
}

async fn on_press(cx: Cx, press: Press) -> HandlerResult {
    match press {
        Press::List(action) => buttons::on_button(cx, action).await,
        Press::Add(choice) => add::on_choice(cx, choice).await,
    }
}

/// `/watch <target> [interval]`. A bare host is a ping check and the reply says so; a target the
/// caller already watches asks before a second monitor is added.
pub async fn watch(cx: Cx, args: String) -> HandlerResult {
    let (deps, caller) = (&cx.deps, &cx.caller);
    let lang = caller.lang;
    let request = match parse_watch(&args) {
        Ok(r) => r,
        Err(e) => return cx.reply(e.render(lang)).await,
    };
    if !within_quota(deps, caller).await? {
        let quota = deps.settings.monitor_quota;
        return cx.reply(t(lang, Text::WatchQuota { quota })).await;
    }
    if let Some(id) = watched_as(deps, caller, &request.target).await? {
        return add::ask_duplicate(&cx, id, &request.target, request.interval).await;
    }
    let row = create(deps, caller, &request.target, request.interval, Thresholds::default(), cx.now).await?;
    let every = duration::format(lang, request.interval.duration());
    let mut text = t(lang, Text::WatchAdded { id: row.id, target: &row.shown_target(SHOWN_MAX), every: &every });
    if let Target::Ping { host } = &request.target {
        text.push('\n');
        text.push_str(&t(lang, Text::WatchPingNote { host }));
    }
    cx.reply(text).await
}

/// The caller's oldest monitor of exactly `target` (compared as stored: without its password).
pub(crate) async fn watched_as(deps: &BotDeps, caller: &Caller, target: &Target) -> anyhow::Result<Option<i64>> {
    let mut stored = target.clone();
    stored.take_password();
    let id: Option<i64> = monitor::Entity::find()
        .select_only()
        .column(monitor::Column::Id)
        .filter(monitor::Column::OwnerId.eq(caller.user_id))
        .filter(monitor::Column::Target.eq(stored.to_string()))
        .order_by_asc(monitor::Column::Id)
        .into_tuple()
        .one(&deps.db)
        .await?;
    Ok(id)
}

/// Whether the caller may add another monitor (admins always may).
pub(crate) async fn within_quota(deps: &BotDeps, caller: &Caller) -> anyhow::Result<bool> {
    if caller.is_admin() {
        return Ok(true);
    }
    let owned = monitor::Entity::find().filter(monitor::Column::OwnerId.eq(caller.user_id)).count(&deps.db).await?;
    Ok((owned as usize) < deps.settings.monitor_quota)
}

/// Stores a new monitor; its first check comes within 10 s.
pub(crate) async fn create(
    deps: &BotDeps,
    caller: &Caller,
    target: &Target,
    interval: Interval,
    th: Thresholds,
    now: DateTime<Utc>,
) -> anyhow::Result<monitor::Model> {
    // The slot needs the id, so the row is stored first and its first run set just after.
    let row = new_row(caller.user_id, caller.chat.0, target, interval, &th, now, now)?.insert(&deps.db).await?;
    let mut active = row.clone().into_active_model();
    active.next_run_at = Set(first_run(row.id, interval, now));
    let row = active.update(&deps.db).await?;
    tracing::info!(monitor_id = row.id, owner = caller.user_id, kind = ?row.kind, "monitor added");
    let entry = Entry::new("monitor.create", "monitor", row.id).detail(row.target.clone());
    audit::record(&deps.db, Actor::telegram(caller.user_id), now, entry).await?;
    Ok(row)
}

/// A validated `/watch`.
#[derive(Debug, PartialEq, Eq)]
pub struct WatchRequest {
    pub target: Target,
    pub interval: Interval,
}

/// What is wrong with a `/watch`, rendered in the user's language.
#[derive(Debug, PartialEq, Eq)]
pub enum WatchError {
    Usage,
    Target(TargetError),
    Interval(DurationError),
    /// `host:port` without a scheme: the input and the TCP target it most likely means.
    HostPort {
        input: String,
        tcp: String,
    },
}

impl WatchError {
    fn render(&self, lang: Lang) -> String {
        match self {
            WatchError::Usage => t(lang, Text::WatchUsage),
            WatchError::Target(error) => t(lang, Text::WatchBadTarget { problem: &t(lang, Text::BadTarget { error }) }),
            WatchError::Interval(error) => t(lang, Text::WatchBadInterval { problem: &error.render(lang) }),
            WatchError::HostPort { input, tcp } => t(lang, Text::WatchHostPort { input, tcp }),
        }
    }
}

/// `<target> [interval]`; the interval may take words and spaces (`7 минут`, `1 h 30 m`).
pub fn parse_watch(args: &str) -> Result<WatchRequest, WatchError> {
    let args = args.trim();
    let (target, interval) = args.split_once(char::is_whitespace).unwrap_or((args, ""));
    if target.is_empty() {
        return Err(WatchError::Usage);
    }
    let target = Target::parse(target).map_err(|e| match Target::host_and_port(target) {
        Some(tcp) => WatchError::HostPort { input: target.to_owned(), tcp: tcp.to_string() },
        None => WatchError::Target(e),
    })?;
    let interval = match interval.trim() {
        "" => Interval::DEFAULT,
        raw => Interval::parse(raw).map_err(|e| match e {
            // `target 1m extra`: a duration, then more than a duration.
            DurationError::Malformed(_) if raw.split_whitespace().next().is_some_and(|w| parse_duration(w).is_ok()) => {
                WatchError::Usage
            }
            e => WatchError::Interval(e),
        })?,
    };
    Ok(WatchRequest { target, interval })
}

/// `/unwatch <id>`.
pub async fn unwatch(cx: Cx, args: String) -> HandlerResult {
    let (bot, deps, caller, args) = (&cx.bot, &cx.deps, &cx.caller, args.as_str());
    let Some(row) = find_own(bot, deps, caller, args, "/unwatch 3").await? else { return Ok(()) };
    remove(deps, row.id).await?;
    tracing::info!(monitor_id = row.id, by = caller.user_id, "monitor removed");
    cx.audit(Entry::new("monitor.delete", "monitor", row.id)).await?;
    tell_owner(&cx, &row, Change::Removed).await?;
    reply::text(bot, deps, caller.chat, t(caller.lang, Text::Unwatched { id: row.id })).await
}

/// Deletes a monitor with its history (raw results, rollups) and its waiting alert lines, in one
/// transaction: the removal the confirmation promises, never half of it. `/unwatch` and the
/// list's Delete button both come here.
pub(crate) async fn remove(deps: &BotDeps, id: i64) -> Result<(), sea_orm::DbErr> {
    let tx = deps.db.begin().await?;
    check_result::Entity::delete_many().filter(check_result::Column::MonitorId.eq(id)).exec(&tx).await?;
    check_rollup::Entity::delete_many().filter(check_rollup::Column::MonitorId.eq(id)).exec(&tx).await?;
    pending_alert::Entity::delete_many().filter(pending_alert::Column::MonitorId.eq(id)).exec(&tx).await?;
    monitor::Entity::delete_by_id(id).exec(&tx).await?;
    tx.commit().await
}

/// `/mute <id> <duration|off>`.
pub async fn mute(cx: Cx, args: String) -> HandlerResult {
    let (bot, deps, caller, args) = (&cx.bot, &cx.deps, &cx.caller, args.as_str());
    let lang = caller.lang;
    // The duration may take words and spaces: `/mute 3 2 часа`.
    let (id, how_long) = args.trim().split_once(char::is_whitespace).unwrap_or((args.trim(), ""));
    let how_long = how_long.trim();
    if how_long.is_empty() {
        return reply::text(bot, deps, caller.chat, t(lang, Text::MuteUsage)).await;
    }
    let until = if how_long.eq_ignore_ascii_case("off") {
        None
    } else {
        match parse_duration(how_long) {
            Ok(d) if d.as_secs() > 0 && d.as_secs() <= 7 * 86_400 => {
                Some(cx.now + chrono::Duration::seconds(d.as_secs() as i64))
            }
            _ => return reply::text(bot, deps, caller.chat, t(lang, Text::MuteUsage)).await,
        }
    };
    let Some(row) = find_own(bot, deps, caller, id, "/mute 3 2h").await? else { return Ok(()) };
    let id = row.id;
    let was_muted = row.muted_until.is_some_and(|at| at > cx.now);
    if until.is_none() && !was_muted {
        return reply::text(bot, deps, caller.chat, t(lang, Text::NotMuted { id })).await;
    }
    let down_reason = (row.health == Health::Down).then(|| row.last_reason.clone().unwrap_or_default());
    let mut active = row.into_active_model();
    active.muted_until = Set(until);
    active.update(&deps.db).await?;
    let detail = until.map_or("off".to_owned(), |at| at.to_rfc3339());
    cx.audit(Entry::new("monitor.mute", "monitor", id).detail(detail)).await?;
    let text = match until {
        Some(at) => t(lang, Text::Muted { id, until: &tz::minute(at, caller.zone) }),
        None => match down_reason {
            // The alerts dropped while muted: the first failing check from now on tells the DOWN.
            Some(reason) => t(lang, Text::UnmutedWhileDown { id, reason: &Reason::from_stored(&reason).render(lang) }),
            None => t(lang, Text::Unmuted { id }),
        },
    };
    reply::text(bot, deps, caller.chat, text).await
}

/// `/notify_here <id>` in a group: the monitor's alerts also go to this group.
pub async fn notify_here(cx: Cx, args: String) -> HandlerResult {
    let (bot, deps, caller, args) = (&cx.bot, &cx.deps, &cx.caller, args.as_str());
    if !caller.in_group {
        return reply::text(bot, deps, caller.chat, t(caller.lang, Text::NotifyHereGroupsOnly)).await;
    }
    let Some(row) = find_own(bot, deps, caller, args, "/notify_here 3").await? else { return Ok(()) };
    let id = row.id;
    let mut active = row.into_active_model();
    active.notify_chat_id = Set(Some(caller.chat.0));
    active.update(&deps.db).await?;
    cx.audit(Entry::new("monitor.notify_here", "monitor", id).detail(caller.chat.0.to_string())).await?;
    reply::text(bot, deps, caller.chat, t(caller.lang, Text::NotifyHereSet { id })).await
}

/// `/status <id>`: the state, uptime over 24 h / 7 d / 30 d and the last results.
pub async fn status(cx: Cx, args: String) -> HandlerResult {
    let (bot, deps, caller, args) = (&cx.bot, &cx.deps, &cx.caller, args.as_str());
    let Some(row) = find_own(bot, deps, caller, args, "/status 3").await? else { return Ok(()) };
    let text = status_text(deps, &row, caller, cx.now).await?;
    reply::text(bot, deps, caller.chat, text).await?;
    send_chart(bot, deps, caller, &row, cx.now).await
}

/// The last 24 hours of response times as a PNG, labelled in the caller's language and time zone,
/// with the figures in the caption.
pub(crate) async fn send_chart(
    bot: &Bot,
    deps: &BotDeps,
    caller: &Caller,
    row: &monitor::Model,
    now: DateTime<Utc>,
) -> HandlerResult {
    use shared::monitoring::rollup::summarize;
    let lang = caller.lang;
    let from = now - chrono::Duration::hours(24);
    let results: Vec<(i64, bool, Option<i32>)> = check_result::Entity::find()
        .select_only()
        .column(check_result::Column::At)
        .column(check_result::Column::Ok)
        .column(check_result::Column::LatencyMs)
        .filter(check_result::Column::MonitorId.eq(row.id))
        .filter(check_result::Column::At.gte(from.timestamp()))
        .order_by_asc(check_result::Column::At)
        .into_tuple()
        .all(&deps.db)
        .await?;
    if results.len() < 2 {
        return Ok(());
    }
    let points: Vec<chart::Point> =
        results.iter().map(|(at, ok, ms)| (*at, ms.filter(|_| *ok).map(|v| v.max(0) as u32))).collect();
    let labels = chart::Labels::new(
        t(lang, Text::ChartTitle { id: row.id, target: &row.target, zone: caller.zone.name() }),
        t(lang, Text::ChartUnitMs),
        caller.zone,
    );
    // Drawing takes milliseconds of CPU: off the async workers, so it never stalls other updates.
    let (start, end) = (from.timestamp(), now.timestamp());
    let png = tokio::task::spawn_blocking(move || chart::render(&points, start, end, &labels)).await??;
    let r = summarize(results.iter().map(|(_, ok, ms)| (*ok, ms.map(|v| v.max(0) as u32))));
    let ms = |v: Option<u32>| v.map(|v| t(lang, Text::Millis { ms: i64::from(v) })).unwrap_or_else(|| "—".into());
    let caption = t(
        lang,
        Text::ChartCaption {
            id: row.id,
            target: &row.shown_target(SHOWN_IN_LINE),
            count: r.count,
            p50: &ms(r.p50_ms),
            p95: &ms(r.p95_ms),
            max: &ms(r.max_ms),
            failures: r.failures,
        },
    );
    let photo = teloxide::types::InputFile::memory(png).file_name(format!("monitor-{}.png", row.id));
    reply::photo(bot, deps, caller.chat, photo, caption).await
}

pub(crate) async fn status_text(
    deps: &BotDeps,
    row: &monitor::Model,
    caller: &Caller,
    now: DateTime<Utc>,
) -> anyhow::Result<String> {
    let (row, lang) = (row.clone(), caller.lang);
    let mut uptimes = Vec::new();
    for hours in [24, 24 * 7, 24 * 30] {
        let (count, failures) = counts_since(deps, row.id, now - chrono::Duration::hours(hours)).await?;
        let (r_count, r_failures) = rollup_counts_before(
            deps,
            row.id,
            now - chrono::Duration::hours(hours.min(48)),
            now - chrono::Duration::hours(hours),
        )
        .await?;
        let shown = uptime_percent(count + r_count, failures + r_failures)
            .map(|u| format!("{u:.2}%"))
            .unwrap_or_else(|| "—".into());
        // A monitor younger than the window is measured since it was added, and says so.
        let window_start = now - chrono::Duration::hours(hours);
        let since = (row.created_at > window_start).then(|| tz::minute(row.created_at, caller.zone));
        let window = match hours {
            24 => t(lang, Text::Hours { n: 24 }),
            _ => duration::format(lang, std::time::Duration::from_secs(hours as u64 * 3600)),
        };
        uptimes.push(t(lang, Text::UptimeWindow { window: &window, shown: &shown, since: since.as_deref() }));
    }
    let recent = check_result::Entity::find()
        .filter(check_result::Column::MonitorId.eq(row.id))
        .order_by_desc(check_result::Column::At)
        .limit(5)
        .all(&deps.db)
        .await?;
    let mut text = format!(
        "#{} {} {} ({}, {})\n",
        row.id,
        state_badge(&row, lang),
        row.shown_target(SHOWN_MAX),
        t(lang, Text::KindName { kind: row.kind }),
        duration::format(lang, std::time::Duration::from_secs(row.interval_secs as u64))
    );
    let blocked = row.last_status == Some(CheckStatus::Blocked);
    if let Some(reason) = row.last_reason.as_deref().filter(|_| row.health == Health::Down && !blocked) {
        text.push_str(&format!("{}\n", Reason::from_stored(reason).render(lang)));
    }
    if blocked && !row.paused {
        let address = row.last_address.as_deref().unwrap_or("?");
        text.push_str(&t(lang, Text::BlockedReason { address }));
        text.push('\n');
    }
    text.push_str(&t(lang, Text::UptimeAndLast { uptimes: &uptimes.join(" · "), zone: caller.zone.name() }));
    if recent.is_empty() {
        text.push('\n');
        text.push_str(&t(lang, Text::NoChecksYet));
    }
    for r in recent {
        let detail = match (r.ok, r.latency_ms, r.reason) {
            (true, Some(ms), _) => format!("✅ {}", t(lang, Text::Millis { ms: i64::from(ms) })),
            (true, None, _) => "✅".into(),
            (false, _, reason) => {
                format!("❌ {}", Reason::from_stored(reason.as_deref().unwrap_or_default()).render(lang))
            }
        };
        let at = chrono::DateTime::from_timestamp(r.at, 0).unwrap_or_default();
        text.push_str(&format!("\n{} {detail}", tz::short(at, caller.zone)));
    }
    Ok(text)
}

/// What an admin did to someone else's monitor.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Change {
    Paused,
    Resumed,
    Removed,
}

/// Tells a monitor's owner, in their language and through the outbox, that an admin changed it;
/// nothing when the caller is the owner.
pub(crate) async fn tell_owner(cx: &Cx, row: &monitor::Model, change: Change) -> HandlerResult {
    if row.owner_id == cx.caller.user_id {
        return Ok(());
    }
    let owner = user::Entity::find_by_id(row.owner_id).one(&cx.deps.db).await?;
    let lang = owner.map(|u| Lang::from_code(Some(&u.language))).unwrap_or_default();
    let (id, target) = (row.id, &row.shown_target(SHOWN_IN_LINE));
    let text = match change {
        Change::Paused => t(lang, Text::OwnerPaused { id, target }),
        Change::Resumed => t(lang, Text::OwnerResumed { id, target }),
        Change::Removed => t(lang, Text::OwnerRemoved { id, target }),
    };
    // A private chat's id is the user's id.
    shared::outbox::send(&cx.deps.db, &cx.deps.queue, row.owner_id, text, None).await?;
    tracing::info!(
        monitor_id = id,
        owner = row.owner_id,
        by = cx.caller.user_id,
        ?change,
        "owner told of an admin's change"
    );
    Ok(())
}

/// Paused first, then a probe that cannot run here or that the probe policy blocks, then the
/// alert state.
pub(crate) fn state_badge(row: &monitor::Model, lang: Lang) -> String {
    let badge = match (row.paused, row.last_status) {
        (true, _) => Text::PausedBadge,
        (false, Some(CheckStatus::Unavailable)) => Text::UnavailableBadge,
        (false, Some(CheckStatus::Blocked)) => Text::BlockedBadge,
        (false, _) => Text::HealthBadge { health: row.health },
    };
    t(lang, badge)
}

/// The caller's monitor by the id in `args`; anyone else's is "not found" (admins see all).
/// Replies itself and returns None when there is nothing to act on.
async fn find_own(
    bot: &Bot,
    deps: &BotDeps,
    caller: &Caller,
    args: &str,
    usage: &str,
) -> anyhow::Result<Option<monitor::Model>> {
    let raw = args.split_whitespace().next().unwrap_or("").trim_start_matches('#');
    let Ok(id) = raw.parse::<i64>() else {
        reply::text(bot, deps, caller.chat, t(caller.lang, Text::NeedsMonitorId { usage })).await?;
        return Ok(None);
    };
    match monitor::Entity::find_by_id(id).one(&deps.db).await? {
        Some(row) if row.owner_id == caller.user_id || caller.is_admin() => Ok(Some(row)),
        _ => {
            reply::text(bot, deps, caller.chat, t(caller.lang, Text::MonitorNotFound { id: raw })).await?;
            Ok(None)
        }
    }
}

/// Checks and failures in the raw results since `since`.
pub(crate) async fn counts_since(
    deps: &BotDeps,
    monitor_id: i64,
    since: chrono::DateTime<Utc>,
) -> anyhow::Result<(u64, u64)> {
    let base = check_result::Entity::find()
        .filter(check_result::Column::MonitorId.eq(monitor_id))
        .filter(check_result::Column::At.gte(since.timestamp()));
    let count = base.clone().count(&deps.db).await?;
    let failures = base.filter(check_result::Column::Ok.eq(false)).count(&deps.db).await?;
    Ok((count, failures))
}

/// Checks and failures from hourly rollups in `[from, before)`, for windows longer than the raw
/// results are kept.
async fn rollup_counts_before(
    deps: &BotDeps,
    monitor_id: i64,
    before: chrono::DateTime<Utc>,
    from: chrono::DateTime<Utc>,
) -> anyhow::Result<(u64, u64)> {
    if from >= before {
        return Ok((0, 0));
    }
    let rows = check_rollup::Entity::find()
        .filter(check_rollup::Column::MonitorId.eq(monitor_id))
        .filter(check_rollup::Column::Hour.gte(from))
        .filter(check_rollup::Column::Hour.lt(before))
        .all(&deps.db)
        .await?;
    Ok(rows.iter().fold((0, 0), |(c, f), r| (c + r.count.max(0) as u64, f + r.failures.max(0) as u64)))
}

#[cfg(test)]
mod tests {
    use super::*;
    use shared::monitoring::model::default_timeout_ms;

    #[test]
    fn watch_parses_target_and_interval() {
        let r = parse_watch("https://example.com 5m").unwrap();
        assert_eq!((r.target.to_string(), r.interval.secs()), ("https://example.com/".into(), 300));
        assert_eq!(parse_watch("10.0.0.1").unwrap().interval, Interval::DEFAULT);
        assert_eq!(parse_watch("a.com 7 минут").unwrap().interval.secs(), 420);
        assert_eq!(parse_watch("a.com  2 часа ").unwrap().interval.secs(), 7200);
    }

    #[test]
    fn bad_watch_input_says_what_is_wrong() {
        assert_eq!(parse_watch(""), Err(WatchError::Usage));
        assert_eq!(parse_watch("a.com 1m extra"), Err(WatchError::Usage));
        assert_eq!(parse_watch("ftp://x"), Err(WatchError::Target(TargetError::Scheme("ftp".into()))));
        let too_short = parse_watch("a.com 5s").unwrap_err();
        assert!(too_short.render(Lang::En).contains("at least 10s"), "{}", too_short.render(Lang::En));
        assert!(too_short.render(Lang::Ru).contains("не меньше 10 с"), "{}", too_short.render(Lang::Ru));
        assert!(!WatchError::Target(TargetError::BadUrl("http://".into())).render(Lang::Ru).contains("not a valid"));
        assert!(matches!(parse_watch("a.com 0s"), Err(WatchError::Interval(_))));
        assert!(matches!(parse_watch("a.com soon"), Err(WatchError::Interval(_))));
        assert!(WatchError::Usage.render(Lang::En).contains("/watch tcp://db.example.com:5432 5m"));
    }

    #[test]
    fn timeouts_fit_inside_the_interval() {
        assert_eq!(default_timeout_ms(Interval::parse("10s").unwrap()), 5_000);
        assert_eq!(default_timeout_ms(Interval::DEFAULT), 10_000);
    }
}
