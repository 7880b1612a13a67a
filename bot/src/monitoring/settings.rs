//! `/set <id> [<option> <value>]`: shows a monitor's options, or changes one. Parsing and limits
//! live in `shared::monitoring::options`; this module only applies a parsed setting to the row.

use std::time::Duration;

use sea_orm::{ActiveModelTrait, IntoActiveModel, Set};
use shared::entities::monitor;
use shared::i18n::Lang;
use shared::monitoring::model::timeout_for_interval;
use shared::monitoring::options::{self, OPTIONS, OptionError, Setting, describe, describe_in};
use shared::monitoring::schedule::Interval;
use shared::monitoring::target::{CheckKind, SHOWN_MAX};
use shared::monitoring::texts::{Text, t};

use super::find_own;
use crate::cx::Cx;
use crate::{HandlerResult, reply};
use shared::audit::Entry;

pub async fn set(cx: Cx, args: String) -> HandlerResult {
    let (bot, deps, caller, args) = (&cx.bot, &cx.deps, &cx.caller, args.as_str());
    let lang = caller.lang;
    let option_list = option_list();
    let mut words = args.trim().splitn(3, char::is_whitespace);
    let Some(id) = words.next().filter(|w| !w.is_empty()) else {
        return reply::text(bot, deps, caller.chat, t(lang, Text::SetUsage { options: &option_list })).await;
    };
    let Some(row) = find_own(bot, deps, caller, id, "/set 3 timeout 5s").await? else { return Ok(()) };
    let Some(name) = words.next() else {
        let text = t(
            lang,
            Text::MonitorOptions { id: row.id, target: &row.shown_target(SHOWN_MAX), options: &current(lang, &row) },
        );
        return reply::text(bot, deps, caller.chat, text).await;
    };
    let value = words.next().unwrap_or("");
    let kind = row.kind;
    let interval = Interval::from_secs(i64::from(row.interval_secs)).unwrap_or(Interval::DEFAULT);
    let text = match options::parse(name, value, kind, interval) {
        Err(OptionError::Unknown) => t(lang, Text::SetUnknownOption { option: name, options: &option_list }),
        Err(OptionError::HttpOnly) => t(lang, Text::SetHttpOnly { option: name }),
        Err(OptionError::Bad(error)) => {
            let problem = t(lang, Text::BadOptionValue { error: &error });
            let (option, example) = options::lookup(name).unwrap_or((name, ""));
            t(lang, Text::SetBadValue { option, problem: &problem, example })
        }
        Ok(setting) => {
            let id = row.id;
            apply(row, &setting).update(&deps.db).await?;
            let described = describe(&setting);
            cx.audit(Entry::new("monitor.set", "monitor", id).detail(described)).await?;
            t(lang, Text::SetDone { id, setting: &describe_in(lang, &setting) })
        }
    };
    reply::text(bot, deps, caller.chat, text).await
}

/// `name example` per line.
fn option_list() -> String {
    OPTIONS.iter().map(|(name, example)| format!("{name} {example}")).collect::<Vec<_>>().join("\n")
}

/// Only the columns of the setting change; the worker's state columns are left alone.
fn apply(row: monitor::Model, setting: &Setting) -> monitor::ActiveModel {
    let current_timeout = row.timeout_ms;
    let mut a = row.into_active_model();
    match setting {
        Setting::Method(m) => a.http_method = Set(*m),
        Setting::Expect(r) => {
            a.expect_min = Set(i32::from(*r.start()));
            a.expect_max = Set(i32::from(*r.end()));
        }
        Setting::Keyword { text, must_contain } => {
            a.keyword = Set(text.clone());
            a.keyword_must_contain = Set(*must_contain);
        }
        Setting::Timeout(d) => a.timeout_ms = Set(d.as_millis() as i32),
        Setting::CertWarnDays(days) => {
            a.cert_warn_days = Set(*days as i32);
            a.cert_warned_days = Set(None); // warn afresh against the new threshold
        }
        Setting::DownAfter(n) => a.down_after = Set(*n as i32),
        Setting::UpAfter(n) => a.up_after = Set(*n as i32),
        Setting::Repeat(every) => a.repeat_secs = Set(every.map(|d| d.as_secs() as i32)),
        Setting::Interval(interval) => {
            a.interval_secs = Set(interval.secs() as i32);
            a.timeout_ms = Set(timeout_for_interval(current_timeout, *interval));
        }
    }
    a
}

/// The monitor's options as `/set` names them, one per line.
pub(crate) fn current(lang: Lang, m: &monitor::Model) -> String {
    let secs = |s: i64| Duration::from_secs(s.max(0) as u64);
    let describe = |setting: &Setting| describe_in(lang, setting);
    let mut lines = vec![
        describe(&Setting::Interval(Interval::from_secs(i64::from(m.interval_secs)).unwrap_or(Interval::DEFAULT))),
        describe(&Setting::Timeout(Duration::from_millis(m.timeout_ms.max(0) as u64))),
        describe(&Setting::DownAfter(m.down_after.max(1) as u32)),
        describe(&Setting::UpAfter(m.up_after.max(1) as u32)),
        describe(&Setting::Repeat(m.repeat_secs.filter(|s| *s > 0).map(|s| secs(i64::from(s))))),
    ];
    if m.kind == CheckKind::Http {
        lines.push(describe(&Setting::Method(m.http_method)));
        let (lo, hi) = (m.expect_min.clamp(100, 599) as u16, m.expect_max.clamp(100, 599) as u16);
        lines.push(describe(&Setting::Expect(lo..=hi)));
        lines.push(describe(&Setting::Keyword { text: m.keyword.clone(), must_contain: m.keyword_must_contain }));
        lines.push(describe(&Setting::CertWarnDays(m.cert_warn_days.max(0) as u32)));
    }
    lines.join("\n")
}
