//! The monitoring slice's texts, in English and Russian: what `/watch`, `/monitors`, `/status`,
//! `/set`, `/probes`, `/add` and the alerts say. The `match` makes a missing translation a compile
//! error; counted words take their CLDR plural form through [`crate::i18n::count`].

use crate::duration;
use crate::i18n::{Forms, Lang, count};
use crate::monitoring::alerts::{Health, Reason};
use crate::monitoring::options::BadValue;
use crate::monitoring::policy::ProbeAction;
use crate::monitoring::target::{CheckKind, MAX_CHARS, TargetError};

const MONITORS: [Forms; 2] = [Forms::en("monitor", "monitors"), Forms::ru("монитор", "монитора", "мониторов")];
const CHECKS: [Forms; 2] = [Forms::en("check", "checks"), Forms::ru("проверка", "проверки", "проверок")];
const DAYS: [Forms; 2] = [Forms::en("day", "days"), Forms::ru("день", "дня", "дней")];
const FAILURES: [Forms; 2] = [Forms::en("failure", "failures"), Forms::ru("неудача", "неудачи", "неудач")];

/// Every text of the slice, with the values it mentions.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Text<'a> {
    CmdWatch,
    CmdUnwatch,
    CmdMonitors,
    CmdStatus,
    CmdMute,
    CmdNotifyHere,
    WatchUsage,
    WatchBadTarget { problem: &'a str },
    WatchBadInterval { problem: &'a str },
    WatchQuota { quota: usize },
    WatchAdded { id: i64, target: &'a str, every: &'a str },
    NeedsMonitorId { usage: &'a str },
    MonitorNotFound { id: &'a str },
    Unwatched { id: i64 },
    NoMonitors,
    MuteUsage,
    Muted { id: i64, until: &'a str },
    Unmuted { id: i64 },
    NotifyHereGroupsOnly,
    NotifyHereSet { id: i64 },
    Paused { id: i64 },
    Resumed { id: i64 },
    CmdProbes,
    MonitorsHeader { total: u64, page: u64, pages: u64 },
    UptimeAndLast { uptimes: &'a str, zone: &'a str },
    HealthBadge { health: Health },
    PausedBadge,
    UnavailableBadge,
    KindName { kind: CheckKind },
    RowUnreadable { id: i64 },
    NoChecksYet,
    ChartCaption { id: i64, target: &'a str, count: u32, p50: &'a str, p95: &'a str, max: &'a str, failures: u32 },
    ConfirmDelete { id: i64, target: &'a str },
    YesRemove,
    KindWebsite,
    KindPort,
    KindHost,
    AlertDown { id: i64, target: &'a str, reason: &'a str },
    AlertStillDown { id: i64, target: &'a str, reason: &'a str, down_for: &'a str },
    AlertUp { id: i64, target: &'a str, down_for: &'a str },
    CertExpiring { id: i64, target: &'a str, days: i64 },
    CertExpired { id: i64, target: &'a str },
    AlertGroupHeader { count: usize },
    AlertGroupMore { rest: usize },
    AddPickKind,
    AddMonitorLabel,
    AddMonitorForm,
    AddAskTarget { kind: CheckKind },
    AddPickInterval,
    AddPickThreshold,
    ProbesUsage,
    ProbeRuleAdded { id: i64, action: ProbeAction, network: &'a str },
    ProbeRule { id: i64, action: ProbeAction, network: &'a str },
    ProbeRuleRemoved { id: i64 },
    ProbeRuleNotFound { id: &'a str },
    NoProbeRules,
    ProbeRulesHeader,
    IcmpNotPermittedAdmin,
    CmdSet,
    SetUsage { options: &'a str },
    SetUnknownOption { option: &'a str, options: &'a str },
    SetHttpOnly { option: &'a str },
    SetBadValue { option: &'a str, problem: &'a str, example: &'a str },
    SetDone { id: i64, setting: &'a str },
    MonitorOptions { id: i64, target: &'a str, options: &'a str },
    // The probe policy's built-in denies and the "blocked by policy" state (issue 8).
    BlockedBadge,
    BlockedReason { address: &'a str },
    AlertBlocked { id: i64, target: &'a str, address: &'a str },
    ProbeRuleEffect { blocked: u64, unblocked: u64 },
    BuiltInDenies,
    // Reasons, input errors and uptime windows in the reader's language (issue 8).
    FailureReason { reason: &'a Reason },
    BadTarget { error: &'a TargetError },
    BadOptionValue { error: &'a BadValue },
    NotANetwork { input: &'a str },
    UptimeWindow { window: &'a str, shown: &'a str, since: Option<&'a str> },
    Millis { ms: i64 },
    Hours { n: i64 },
    // The words drawn on the `/status` chart.
    ChartTitle { id: i64, target: &'a str, zone: &'a str },
    ChartUnitMs,
    // The /add dialogue, /monitors cards, /mute and /watch replies (issue 8).
    // A finished dialogue step's prompt is edited to "✅ Website: https://example.com/".
    StepDone { label: &'a str, value: &'a str },
    StepKindLabel,
    StepTargetLabel { kind: CheckKind },
    StepIntervalLabel,
    StepThresholdLabel,
    FailuresInARow { n: u32 },
    AddTypeKind,
    AddBadTarget { problem: &'a str, example: &'a str },
    AddBadInterval { problem: &'a str },
    AddTypeThreshold,
    AddSchemeAssumed { target: &'a str },
    AddHostPort { input: &'a str, tcp: &'a str },
    AddAlreadyWatched { id: i64 },
    DialogueEnded,
    WatchHostPort { input: &'a str, tcp: &'a str },
    WatchPingNote { host: &'a str },
    WatchDuplicate { id: i64, target: &'a str },
    YesAddAnother,
    NotAdded { id: i64 },
    NotMuted { id: i64 },
    UnmutedWhileDown { id: i64, reason: &'a str },
    ListHint,
    Owner { name: &'a str },
    Card { id: i64, badge: &'a str, target: &'a str, kind: CheckKind, last: &'a str, options: &'a str },
    CardMuted { until: &'a str },
    ButtonPause,
    ButtonResume,
    ButtonInterval,
    ButtonStatus,
    ButtonDelete,
    ButtonBack,
    OwnerPaused { id: i64, target: &'a str },
    OwnerResumed { id: i64, target: &'a str },
    OwnerRemoved { id: i64, target: &'a str },
}

/// `text` in `lang`.
pub fn t(lang: Lang, text: Text<'_>) -> String {
    use Text::*;
    match (lang, text) {
        (Lang::En, CmdWatch) => "watch a site, host or port: /watch <target> [interval]".into(),
        (Lang::Ru, CmdWatch) => "следить за сайтом, хостом или портом: /watch <цель> [интервал]".into(),
        (Lang::En, CmdUnwatch) => "stop watching: /unwatch <id>".into(),
        (Lang::Ru, CmdUnwatch) => "перестать следить: /unwatch <id>".into(),
        (Lang::En, CmdMonitors) => "your monitors and their state".into(),
        (Lang::Ru, CmdMonitors) => "ваши мониторы и их состояние".into(),
        (Lang::En, CmdStatus) => "last results and uptime: /status <id>".into(),
        (Lang::Ru, CmdStatus) => "последние результаты и доступность: /status <id>".into(),
        (Lang::En, CmdMute) => "silence alerts for maintenance (dropped, not sent later): /mute <id> <duration>".into(),
        (Lang::Ru, CmdMute) => "заглушить оповещения на время работ (не придут и позже): /mute <id> <длительность>".into(),
        (Lang::En, CmdNotifyHere) => "in a group: send a monitor's alerts here too".into(),
        (Lang::Ru, CmdNotifyHere) => "в группе: присылать сюда оповещения монитора".into(),
        (Lang::En, WatchUsage) => "Usage: /watch <target> [interval]\nExamples:\n/watch https://example.com\n/watch https://example.com/health 30s\n/watch tcp://db.example.com:5432 5m\n/watch 192.0.2.10 1h\nInterval: 10s to 24h, default 1m.".into(),
        (Lang::Ru, WatchUsage) => "Использование: /watch <цель> [интервал]\nПримеры:\n/watch https://example.com\n/watch https://example.com/health 30 с\n/watch tcp://db.example.com:5432 5 мин\n/watch 192.0.2.10 1 ч\nИнтервал: от 10 с до 24 ч, по умолчанию 1 мин.".into(),
        (Lang::En, WatchBadTarget { problem }) => format!("Cannot watch that: {problem}.\nExample: /watch https://example.com 5m"),
        (Lang::Ru, WatchBadTarget { problem }) => format!("Не могу следить за этим: {problem}.\nПример: /watch https://example.com 5 мин"),
        (Lang::En, WatchBadInterval { problem }) => format!("Bad interval: {problem}.\nExample: /watch https://example.com 5m (10s to 24h)"),
        (Lang::Ru, WatchBadInterval { problem }) => format!("Неверный интервал: {problem}.\nПример: /watch https://example.com 5 мин (от 10 с до 24 ч)"),
        (Lang::En, WatchQuota { quota }) => format!("You already have {}, the most allowed. Remove one with /unwatch <id> first.", count(lang, quota as u64, MONITORS)),
        (Lang::Ru, WatchQuota { quota }) => format!("У вас уже {} — это предел. Сначала удалите один: /unwatch <id>.", count(lang, quota as u64, MONITORS)),
        (Lang::En, WatchAdded { id, target, every }) => format!("Monitor #{id} added: {target}, checked every {every}. The first check runs within 10 seconds; alerts come to this chat."),
        (Lang::Ru, WatchAdded { id, target, every }) => format!("Монитор #{id} добавлен: {target}, проверка каждые {every}. Первая проверка — в течение 10 секунд; оповещения придут в этот чат."),
        (Lang::En, NeedsMonitorId { usage }) => format!("Give the monitor's number, like {usage}. /monitors lists them."),
        (Lang::Ru, NeedsMonitorId { usage }) => format!("Укажите номер монитора, например {usage}. Список — /monitors."),
        (Lang::En, MonitorNotFound { id }) => format!("Monitor #{id} not found. /monitors lists yours."),
        (Lang::Ru, MonitorNotFound { id }) => format!("Монитор #{id} не найден. Ваши мониторы — /monitors."),
        (Lang::En, Unwatched { id }) => format!("Monitor #{id} removed."),
        (Lang::Ru, Unwatched { id }) => format!("Монитор #{id} удалён."),
        (Lang::En, NoMonitors) => "You have no monitors yet. Add one with /watch https://example.com".into(),
        (Lang::Ru, NoMonitors) => "У вас пока нет мониторов. Добавьте: /watch https://example.com".into(),
        (Lang::En, MuteUsage) => "Usage: /mute <id> <duration>, like /mute 3 2h (up to 7d); /mute 3 off ends it.".into(),
        (Lang::Ru, MuteUsage) => "Использование: /mute <id> <длительность>, например /mute 3 2 ч (до 7 д); /mute 3 off — отменить.".into(),
        (Lang::En, Muted { id, until }) => format!("Monitor #{id} is muted until {until}: checks run, alerts in that time are dropped, not sent later. If it is DOWN when the mute ends, the DOWN alert comes then."),
        (Lang::Ru, Muted { id, until }) => format!("Монитор #{id} заглушён до {until}: проверки идут, оповещения за это время не отправляются и позже не придут. Если к концу заглушения он DOWN, тогда придёт оповещение DOWN."),
        (Lang::En, Unmuted { id }) => format!("Monitor #{id} is no longer muted."),
        (Lang::Ru, Unmuted { id }) => format!("Монитор #{id} больше не заглушён."),
        (Lang::En, NotifyHereGroupsOnly) => "Use /notify_here <id> in the group chat that should get the alerts.".into(),
        (Lang::Ru, NotifyHereGroupsOnly) => "Отправьте /notify_here <id> в групповом чате, куда нужно присылать оповещения.".into(),
        (Lang::En, NotifyHereSet { id }) => format!("Alerts of monitor #{id} will also come to this chat."),
        (Lang::Ru, NotifyHereSet { id }) => format!("Оповещения монитора #{id} будут приходить и в этот чат."),
        (Lang::En, MonitorsHeader { total, page, pages }) => format!("Monitors ({total}), page {page}/{pages}:"),
        (Lang::Ru, MonitorsHeader { total, page, pages }) => format!("Мониторы ({total}), страница {page}/{pages}:"),
        (Lang::En, UptimeAndLast { uptimes, zone }) => format!("Uptime: {uptimes}\nLast results ({zone}):"),
        (Lang::Ru, UptimeAndLast { uptimes, zone }) => format!("Доступность: {uptimes}\nПоследние результаты ({zone}):"),
        (Lang::En, NoChecksYet) => "no checks yet".into(),
        (Lang::Ru, NoChecksYet) => "проверок ещё не было".into(),
        (Lang::En, ChartCaption { id, target, count: n, p50, p95, max, failures }) => format!("#{id} {target} — response time, last 24 h ({}): p50 {p50} · p95 {p95} · max {max} · {failures} failed (red). Grey lines: 25/50/75/100% of the max.", count(lang, n, CHECKS)),
        (Lang::Ru, ChartCaption { id, target, count: n, p50, p95, max, failures }) => format!("#{id} {target} — время ответа за 24 ч ({}): p50 {p50} · p95 {p95} · макс {max} · неудачных {failures} (красным). Серые линии: 25/50/75/100% от макс.", count(lang, n, CHECKS)),
        (Lang::En, ConfirmDelete { id, target }) => format!("Remove monitor #{id} ({target})? Its history goes too."),
        (Lang::Ru, ConfirmDelete { id, target }) => format!("Удалить монитор #{id} ({target})? Его история тоже удалится."),
        (Lang::En, YesRemove) => "Yes, remove".into(),
        (Lang::Ru, YesRemove) => "Да, удалить".into(),
        (Lang::En, KindWebsite) => "🌐 Website (HTTP)".into(),
        (Lang::Ru, KindWebsite) => "🌐 Сайт (HTTP)".into(),
        (Lang::En, KindPort) => "🔌 TCP port".into(),
        (Lang::Ru, KindPort) => "🔌 TCP-порт".into(),
        (Lang::En, KindHost) => "📶 Host (ping)".into(),
        (Lang::Ru, KindHost) => "📶 Хост (ping)".into(),
        // Alerts open with the state's word in the reader's language after a fixed emoji (🔴, 🟢),
        // so they can be searched and filtered by the emoji in any language.
        (Lang::En, AlertDown { id, target, reason }) => format!("🔴 DOWN #{id} {target} — {reason}"),
        (Lang::Ru, AlertDown { id, target, reason }) => format!("🔴 НЕДОСТУПЕН #{id} {target} — {reason}"),
        (Lang::En, AlertStillDown { id, target, reason, down_for }) => format!("🔴 DOWN #{id} {target} — {reason} (down for {down_for})"),
        (Lang::Ru, AlertStillDown { id, target, reason, down_for }) => format!("🔴 НЕДОСТУПЕН #{id} {target} — {reason} (уже {down_for})"),
        (Lang::En, AlertUp { id, target, down_for }) => format!("🟢 UP #{id} {target} — was down for {down_for}"),
        (Lang::Ru, AlertUp { id, target, down_for }) => format!("🟢 РАБОТАЕТ #{id} {target} — был недоступен {down_for}"),
        (Lang::En, CertExpiring { id, target, days }) => format!("⚠️ #{id} {target}: the TLS certificate expires in {}", count(lang, days.max(0) as u64, DAYS)),
        (Lang::Ru, CertExpiring { id, target, days }) => format!("⚠️ #{id} {target}: TLS-сертификат истекает через {}", count(lang, days.max(0) as u64, DAYS)),
        (Lang::En, CertExpired { id, target }) => format!("⚠️ #{id} {target}: the TLS certificate has expired"),
        (Lang::Ru, CertExpired { id, target }) => format!("⚠️ #{id} {target}: срок TLS-сертификата истёк"),
        // The state in lists and /status, in the reader's language (the alerts keep DOWN and UP
        // as search words); the unavailable badge quotes the reason the admins' notice names.
        (Lang::En, HealthBadge { health: Health::Up }) => "🟢 UP".into(),
        (Lang::Ru, HealthBadge { health: Health::Up }) => "🟢 работает".into(),
        (Lang::En, HealthBadge { health: Health::Down }) => "🔴 DOWN".into(),
        (Lang::Ru, HealthBadge { health: Health::Down }) => "🔴 недоступен".into(),
        (Lang::En, HealthBadge { health: Health::Pending }) => "⏳ PENDING".into(),
        (Lang::Ru, HealthBadge { health: Health::Pending }) => "⏳ ждёт проверки".into(),
        (Lang::En, PausedBadge) => "⏸ PAUSED".into(),
        (Lang::Ru, PausedBadge) => "⏸ приостановлен".into(),
        (lang, UnavailableBadge) => format!("🚫 {}", Reason::IcmpUnavailable.render(lang)),
        // Kinds by their short technical names, the same in every language.
        (_, KindName { kind: CheckKind::Http }) => "http".into(),
        (_, KindName { kind: CheckKind::Tcp }) => "tcp".into(),
        (_, KindName { kind: CheckKind::Ping }) => "ping".into(),
        (Lang::En, RowUnreadable { id }) => format!("#{id} ⚠️ cannot be read from the database (see the log)"),
        (Lang::Ru, RowUnreadable { id }) => format!("#{id} ⚠️ не читается из базы данных (см. журнал)"),
        (Lang::En, AlertGroupHeader { count }) => format!("{count} monitors changed state:"),
        (Lang::Ru, AlertGroupHeader { count }) => format!("Изменилось состояние мониторов: {count}"),
        (Lang::En, AlertGroupMore { rest }) => format!("…and {rest} more (see /monitors)"),
        (Lang::Ru, AlertGroupMore { rest }) => format!("…и ещё {rest} (см. /monitors)"),
        (Lang::En, AddMonitorLabel) => "📡 Monitor".into(),
        (Lang::Ru, AddMonitorLabel) => "📡 Монитор".into(),
        (Lang::En, AddMonitorForm) => "/add <target> [interval] — a monitor, like /watch".into(),
        (Lang::Ru, AddMonitorForm) => "/add <цель> [интервал] — монитор, как /watch".into(),
        (Lang::En, AddPickKind) => "What should I watch? (/cancel stops)".into(),
        (Lang::Ru, AddPickKind) => "За чем следить? (/cancel — отмена)".into(),
        (Lang::En, AddAskTarget { kind: CheckKind::Http }) => "Send the address, like https://example.com/health".into(),
        (Lang::Ru, AddAskTarget { kind: CheckKind::Http }) => "Пришлите адрес, например https://example.com/health".into(),
        (Lang::En, AddAskTarget { kind: CheckKind::Tcp }) => "Send host and port, like db.example.com:5432".into(),
        (Lang::Ru, AddAskTarget { kind: CheckKind::Tcp }) => "Пришлите хост и порт, например db.example.com:5432".into(),
        (Lang::En, AddAskTarget { kind: CheckKind::Ping }) => "Send the host name or IP address, like 192.0.2.10".into(),
        (Lang::Ru, AddAskTarget { kind: CheckKind::Ping }) => "Пришлите имя хоста или IP-адрес, например 192.0.2.10".into(),
        (Lang::En, AddPickInterval) => "How often should I check? Tap one or send a duration like 2m (10s to 24h).".into(),
        (Lang::Ru, AddPickInterval) => "Как часто проверять? Нажмите кнопку или пришлите длительность, например 2 мин (от 10 с до 24 ч).".into(),
        (Lang::En, AddPickThreshold) => "Alert after how many failed checks in a row?".into(),
        (Lang::Ru, AddPickThreshold) => "Оповещать после скольких неудачных проверок подряд?".into(),
        (Lang::En, CmdProbes) => "which networks monitors may probe: /probes [allow|deny <network> | remove <id>]".into(),
        (Lang::Ru, CmdProbes) => "какие сети можно проверять: /probes [allow|deny <сеть> | remove <id>]".into(),
        (Lang::En, ProbesUsage) => "Usage:\n/probes — list the rules\n/probes allow 10.0.0.0/8 — only allowed networks may be probed\n/probes deny 169.254.169.254 — never probe this (deny wins)\n/probes remove 3 — delete rule 3".into(),
        (Lang::Ru, ProbesUsage) => "Использование:\n/probes — список правил\n/probes allow 10.0.0.0/8 — проверять только разрешённые сети\n/probes deny 169.254.169.254 — никогда не проверять (запрет важнее)\n/probes remove 3 — удалить правило 3".into(),
        (Lang::En, ProbeRuleAdded { id, action, network }) => format!("Rule #{id} added: {} {network}. It applies from the next checks.", action_word(action)),
        (Lang::Ru, ProbeRuleAdded { id, action, network }) => format!("Правило #{id} добавлено: {} {network}. Действует со следующих проверок.", action_word(action)),
        (_, ProbeRule { id, action, network }) => format!("#{id} {} {network}", action_word(action)),
        (Lang::En, ProbeRuleRemoved { id }) => format!("Rule #{id} removed."),
        (Lang::Ru, ProbeRuleRemoved { id }) => format!("Правило #{id} удалено."),
        (Lang::En, ProbeRuleNotFound { id }) => format!("Rule #{id} not found. /probes lists them."),
        (Lang::Ru, ProbeRuleNotFound { id }) => format!("Правило #{id} не найдено. Список — /probes."),
        (Lang::En, NoProbeRules) => "No probe rules: monitors may probe any address but the built-in denies. /probes allow|deny <network> adds one.".into(),
        (Lang::Ru, NoProbeRules) => "Правил нет: мониторы могут проверять любой адрес, кроме встроенных запретов. Добавить: /probes allow|deny <сеть>.".into(),
        (Lang::En, ProbeRulesHeader) => "Probe rules (deny wins; with any allow rule, only allowed networks are probed):".into(),
        (Lang::Ru, ProbeRulesHeader) => "Правила проверок (запрет важнее; если есть разрешения, проверяются только разрешённые сети):".into(),
        (Lang::En, IcmpNotPermittedAdmin) => "Ping monitors cannot run: this teleops process may not open ICMP sockets, so they show \"ICMP not permitted here\". Grant it one of: run it as root; `setcap cap_net_raw+ep $(which teleops)`; or allow ICMP datagram sockets with `sysctl -w net.ipv4.ping_group_range=\"0 2147483647\"`. HTTP and TCP monitors are not affected.".into(),
        (Lang::Ru, IcmpNotPermittedAdmin) => "Ping-мониторы не могут работать: этому процессу teleops запрещено открывать ICMP-сокеты, поэтому они показывают «ICMP здесь запрещён». Разрешите одно из: запуск от root; `setcap cap_net_raw+ep $(which teleops)`; или ICMP datagram-сокеты: `sysctl -w net.ipv4.ping_group_range=\"0 2147483647\"`. HTTP- и TCP-мониторы это не затрагивает.".into(),
        (Lang::En, CmdSet) => "Show or change a monitor's options".into(),
        (Lang::Ru, CmdSet) => "Показать или изменить настройки монитора".into(),
        (Lang::En, SetUsage { options }) => format!("Usage: /set <id> <option> <value>\n/set <id> alone shows the monitor's options.\nOptions (with an example value):\n{options}\nExample: /set 3 timeout 5s"),
        (Lang::Ru, SetUsage { options }) => format!("Использование: /set <id> <параметр> <значение>\n/set <id> без параметра покажет настройки монитора.\nПараметры (с примером значения):\n{options}\nПример: /set 3 timeout 5 с"),
        (Lang::En, SetUnknownOption { option, options }) => format!("There is no option \"{option}\". Options (with an example value):\n{options}"),
        (Lang::Ru, SetUnknownOption { option, options }) => format!("Нет параметра «{option}». Параметры (с примером значения):\n{options}"),
        (Lang::En, SetHttpOnly { option }) => format!("\"{option}\" applies to website (HTTP) monitors only."),
        (Lang::Ru, SetHttpOnly { option }) => format!("«{option}» есть только у мониторов сайтов (HTTP)."),
        (Lang::En, SetBadValue { option, problem, example }) => format!("That value does not work for {option}: {problem}.\nExample: /set 3 {option} {example}"),
        (Lang::Ru, SetBadValue { option, problem, example }) => format!("Это значение не подходит для {option}: {problem}.\nПример: /set 3 {option} {example}"),
        (Lang::En, SetDone { id, setting }) => format!("Monitor #{id}: {setting}. It applies from the next check."),
        (Lang::Ru, SetDone { id, setting }) => format!("Монитор #{id}: {setting}. Действует со следующей проверки."),
        (Lang::En, MonitorOptions { id, target, options }) => format!("Options of #{id} {target}:\n{options}\nChange one with /set {id} <option> <value>."),
        (Lang::Ru, MonitorOptions { id, target, options }) => format!("Настройки #{id} {target}:\n{options}\nИзменить: /set {id} <параметр> <значение>."),
        (Lang::En, Paused { id }) => format!("Monitor #{id} paused."),
        (Lang::Ru, Paused { id }) => format!("Монитор #{id} приостановлен."),
        (Lang::En, Resumed { id }) => format!("Monitor #{id} resumed."),
        (Lang::Ru, Resumed { id }) => format!("Монитор #{id} возобновлён."),
        (Lang::En, BlockedBadge) => "⛔ blocked by the admins' probe policy".into(),
        (Lang::Ru, BlockedBadge) => "⛔ заблокирован правилами проверок".into(),
        (Lang::En, BlockedReason { address }) => format!("The probe policy forbids {address}: the monitor is not probed, and this time counts as neither up nor down."),
        (Lang::Ru, BlockedReason { address }) => format!("Правила проверок запрещают адрес {address}: монитор не проверяется, и это время не считается ни доступностью, ни простоем."),
        (Lang::En, AlertBlocked { id, target, address }) => format!("⛔ #{id} {target} is blocked by the admins' probe policy ({address} may not be probed). It is not checked and not counted as down until an admin allows it."),
        (Lang::Ru, AlertBlocked { id, target, address }) => format!("⛔ #{id} {target} заблокирован правилами проверок администраторов (адрес {address} проверять нельзя). Он не проверяется и не считается недоступным, пока администратор не разрешит адрес."),
        (Lang::En, ProbeRuleEffect { blocked, unblocked }) => format!("By their last checked address, this blocks {} and unblocks {}; blocked monitors show ⛔ and do not count as down.", count(lang, blocked, MONITORS), count(lang, unblocked, MONITORS)),
        (Lang::Ru, ProbeRuleEffect { blocked, unblocked }) => format!("По последнему проверенному адресу это блокирует {} и разблокирует {}; заблокированные показаны с ⛔ и не считаются недоступными.", count(lang, blocked, MONITORS), count(lang, unblocked, MONITORS)),
        (Lang::En, BuiltInDenies) => "Built in, without any rule: denied are this machine and link-local addresses — 127.0.0.0/8, 0.0.0.0/8, ::, ::1, 169.254.0.0/16 (cloud metadata 169.254.169.254), fe80::/10 — in every IPv6 form (::ffff:127.0.0.1, ::127.0.0.1). Private networks (10/8, 172.16/12, 192.168/16) are allowed; deny them with a rule. An allow rule at least as narrow lifts a built-in deny: /probes allow 127.0.0.0/8 (it also switches to allow-list mode).".into(),
        (Lang::Ru, BuiltInDenies) => "Встроено, без правил: запрещены этот компьютер и link-local-адреса — 127.0.0.0/8, 0.0.0.0/8, ::, ::1, 169.254.0.0/16 (метаданные облака 169.254.169.254), fe80::/10 — в любой IPv6-форме (::ffff:127.0.0.1, ::127.0.0.1). Частные сети (10/8, 172.16/12, 192.168/16) разрешены; запретить их можно правилом. Разрешение не шире встроенного запрета снимает его: /probes allow 127.0.0.0/8 (оно же включает режим «только разрешённые»).".into(),
        (lang, FailureReason { reason }) => reason_words(lang, reason),
        (Lang::En, BadTarget { error: TargetError::Empty }) => "no target given".into(),
        (Lang::Ru, BadTarget { error: TargetError::Empty }) => "цель не указана".into(),
        (Lang::En, BadTarget { error: TargetError::BadUrl(input) }) => format!("\"{input}\" is not a valid URL"),
        (Lang::Ru, BadTarget { error: TargetError::BadUrl(input) }) => format!("«{input}» — неправильный адрес (URL)"),
        (Lang::En, BadTarget { error: TargetError::Scheme(scheme) }) => format!("{scheme}:// targets are not supported (use http://, https://, tcp:// or a host name)"),
        (Lang::Ru, BadTarget { error: TargetError::Scheme(scheme) }) => format!("адреса {scheme}:// не поддерживаются (используйте http://, https://, tcp:// или имя хоста)"),
        (Lang::En, BadTarget { error: TargetError::TcpPort(input) }) => format!("\"{input}\" needs a port from 1 to 65535, like tcp://db.example.com:5432"),
        (Lang::Ru, BadTarget { error: TargetError::TcpPort(input) }) => format!("для «{input}» нужен порт от 1 до 65535, например tcp://db.example.com:5432"),
        (Lang::En, BadTarget { error: TargetError::BadHost(input) }) => format!("\"{input}\" is not a host name or IP address"),
        (Lang::Ru, BadTarget { error: TargetError::BadHost(input) }) => format!("«{input}» — не имя хоста и не IP-адрес"),
        (Lang::En, BadTarget { error: TargetError::WrongKind { input, kind } }) => format!("\"{input}\" is not a {} target", t(lang, KindName { kind: *kind })),
        (Lang::Ru, BadTarget { error: TargetError::WrongKind { input, kind } }) => format!("«{input}» — не цель для {}", t(lang, KindName { kind: *kind })),
        (Lang::En, BadTarget { error: TargetError::TooLong(n) }) => format!("the target is {n} characters long; at most {MAX_CHARS} are accepted"),
        (Lang::Ru, BadTarget { error: TargetError::TooLong(n) }) => format!("длина цели — {n}, а допускается не больше {MAX_CHARS} символов"),
        (lang, BadOptionValue { error }) => bad_value_words(lang, error),
        (Lang::En, NotANetwork { input }) => format!("\"{input}\" is not a network like 10.0.0.0/8, 2001:db8::/32 or 192.0.2.7."),
        (Lang::Ru, NotANetwork { input }) => format!("«{input}» — не сеть; пример: 10.0.0.0/8, 2001:db8::/32 или 192.0.2.7."),
        (_, UptimeWindow { window, shown, since: None }) => format!("{window} {shown}"),
        (Lang::En, UptimeWindow { window, shown, since: Some(since) }) => format!("{window} {shown} (since {since})"),
        (Lang::Ru, UptimeWindow { window, shown, since: Some(since) }) => format!("{window} {shown} (с {since})"),
        (Lang::En, Millis { ms }) => format!("{ms} ms"),
        (Lang::Ru, Millis { ms }) => format!("{ms} мс"),
        (Lang::En, Hours { n }) => format!("{n}h"),
        (Lang::Ru, Hours { n }) => format!("{n} ч"),
        // The /add dialogue, /monitors cards, /mute and /watch replies (issue 8).
        (_, StepDone { label, value }) => format!("✅ {label}: {value}"),
        (Lang::En, StepKindLabel) => "Check".into(),
        (Lang::Ru, StepKindLabel) => "Проверка".into(),
        (Lang::En, StepTargetLabel { kind: CheckKind::Http }) => "Website".into(),
        (Lang::Ru, StepTargetLabel { kind: CheckKind::Http }) => "Сайт".into(),
        (Lang::En, StepTargetLabel { kind: CheckKind::Tcp }) => "Port".into(),
        (Lang::Ru, StepTargetLabel { kind: CheckKind::Tcp }) => "Порт".into(),
        (Lang::En, StepTargetLabel { kind: CheckKind::Ping }) => "Host".into(),
        (Lang::Ru, StepTargetLabel { kind: CheckKind::Ping }) => "Хост".into(),
        (Lang::En, StepIntervalLabel) => "Every".into(),
        (Lang::Ru, StepIntervalLabel) => "Интервал".into(),
        (Lang::En, StepThresholdLabel) => "DOWN after".into(),
        (Lang::Ru, StepThresholdLabel) => "Недоступен после".into(),
        (Lang::En, FailuresInARow { n }) => format!("{} in a row", count(lang, n, FAILURES)),
        (Lang::Ru, FailuresInARow { n }) => format!("{} подряд", count(lang, n, FAILURES)),
        (Lang::En, AddTypeKind) => "Tap a button above, or send website, port or host. /cancel stops.".into(),
        (Lang::Ru, AddTypeKind) => "Нажмите кнопку выше или пришлите: сайт, порт или хост. /cancel — отмена.".into(),
        (Lang::En, AddBadTarget { problem, example }) => format!("That does not work: {problem}.\nSend one like {example}, or /cancel to stop."),
        (Lang::Ru, AddBadTarget { problem, example }) => format!("Так не получится: {problem}.\nПришлите, например, {example}, или /cancel — отмена."),
        (Lang::En, AddBadInterval { problem }) => format!("Bad interval: {problem}.\nTap a button above or send a duration like 2m (10s to 24h). /cancel stops."),
        (Lang::Ru, AddBadInterval { problem }) => format!("Неверный интервал: {problem}.\nНажмите кнопку выше или пришлите длительность, например 2 мин (от 10 с до 24 ч). /cancel — отмена."),
        (Lang::En, AddTypeThreshold) => "Tap a button above, or send a number from 1 to 10. /cancel stops.".into(),
        (Lang::Ru, AddTypeThreshold) => "Нажмите кнопку выше или пришлите число от 1 до 10. /cancel — отмена.".into(),
        (Lang::En, AddSchemeAssumed { target }) => format!("No http:// or https:// given, so I will check {target} (send http://… for a site without TLS)."),
        (Lang::Ru, AddSchemeAssumed { target }) => format!("Схема http:// или https:// не указана, поэтому проверяю {target} (для сайта без TLS пришлите http://…)."),
        (Lang::En, AddHostPort { input, tcp }) => format!("{input} is a host and port without a scheme. For the website send http://{input} or https://{input}. To check only that the port accepts connections ({tcp}), /cancel and pick \"TCP port\" in /add."),
        (Lang::Ru, AddHostPort { input, tcp }) => format!("{input} — хост и порт без схемы. Для сайта пришлите http://{input} или https://{input}. Чтобы проверять только, что порт принимает соединения ({tcp}), нажмите /cancel и выберите «TCP-порт» в /add."),
        (Lang::En, AddAlreadyWatched { id }) => format!("You already watch this as #{id}: finishing adds a second monitor (/cancel stops)."),
        (Lang::Ru, AddAlreadyWatched { id }) => format!("Вы уже следите за этим: #{id}. Если продолжить, появится второй монитор (/cancel — отмена)."),
        (Lang::En, DialogueEnded) => "This dialogue has ended. Send /add to start again.".into(),
        (Lang::Ru, DialogueEnded) => "Этот диалог уже завершён. Чтобы начать заново, отправьте /add.".into(),
        (Lang::En, WatchHostPort { input, tcp }) => format!("{input} is a host and port without a scheme, so I did not add it. To check the port: /watch {tcp}\nFor a website: /watch http://{input} (or https://)"),
        (Lang::Ru, WatchHostPort { input, tcp }) => format!("{input} — хост и порт без схемы, поэтому монитор не добавлен. Проверять порт: /watch {tcp}\nПроверять сайт: /watch http://{input} (или https://)"),
        (Lang::En, WatchPingNote { host }) => format!("This is a ping (ICMP) check of the host. For a website use /watch https://{host}, for a port /watch tcp://{host}:<port>."),
        (Lang::Ru, WatchPingNote { host }) => format!("Это ping-проверка (ICMP) хоста. Для сайта: /watch https://{host}, для порта: /watch tcp://{host}:<порт>."),
        (Lang::En, WatchDuplicate { id, target }) => format!("You already watch {target} as #{id}. Add a second monitor anyway?"),
        (Lang::Ru, WatchDuplicate { id, target }) => format!("Вы уже следите за {target}: монитор #{id}. Всё равно добавить второй?"),
        (Lang::En, YesAddAnother) => "Yes, add another".into(),
        (Lang::Ru, YesAddAnother) => "Да, добавить ещё".into(),
        (Lang::En, NotAdded { id }) => format!("Not added: #{id} keeps watching it."),
        (Lang::Ru, NotAdded { id }) => format!("Не добавлен: за этим по-прежнему следит #{id}."),
        (Lang::En, NotMuted { id }) => format!("Monitor #{id} is not muted, so there is nothing to end."),
        (Lang::Ru, NotMuted { id }) => format!("Монитор #{id} не заглушён — отменять нечего."),
        (Lang::En, UnmutedWhileDown { id, reason }) => format!("Monitor #{id} is no longer muted. It is 🔴 DOWN ({reason}); the DOWN alert goes out with its next check."),
        (Lang::Ru, UnmutedWhileDown { id, reason }) => format!("Монитор #{id} больше не заглушён. Он 🔴 недоступен ({reason}); оповещение о недоступности придёт со следующей проверкой."),
        (Lang::En, ListHint) => "Tap a monitor to open its card.".into(),
        (Lang::Ru, ListHint) => "Нажмите на монитор, чтобы открыть его карточку.".into(),
        (_, Owner { name }) => format!("👤 {name}"),
        (Lang::En, Card { id, badge, target, kind, last, options }) => format!("#{id} {badge}\n{target}\n{} check · last: {last}\nOptions:\n{options}", t(lang, KindName { kind })),
        (Lang::Ru, Card { id, badge, target, kind, last, options }) => format!("#{id} {badge}\n{target}\nпроверка {} · последняя: {last}\nНастройки:\n{options}", t(lang, KindName { kind })),
        (Lang::En, CardMuted { until }) => format!("🔕 Muted until {until}: alerts are dropped."),
        (Lang::Ru, CardMuted { until }) => format!("🔕 Заглушён до {until}: оповещения не отправляются."),
        (Lang::En, ButtonPause) => "⏸ Pause".into(),
        (Lang::Ru, ButtonPause) => "⏸ Пауза".into(),
        (Lang::En, ButtonResume) => "▶ Resume".into(),
        (Lang::Ru, ButtonResume) => "▶ Возобновить".into(),
        (Lang::En, ButtonInterval) => "⏱ Interval".into(),
        (Lang::Ru, ButtonInterval) => "⏱ Интервал".into(),
        (Lang::En, ButtonStatus) => "📈 Status".into(),
        (Lang::Ru, ButtonStatus) => "📈 Статус".into(),
        (Lang::En, ButtonDelete) => "🗑 Delete".into(),
        (Lang::Ru, ButtonDelete) => "🗑 Удалить".into(),
        (Lang::En, ButtonBack) => "« Back to the list".into(),
        (Lang::Ru, ButtonBack) => "« К списку".into(),
        (Lang::En, OwnerPaused { id, target }) => format!("An admin paused your monitor #{id} {target}. /monitors shows it."),
        (Lang::Ru, OwnerPaused { id, target }) => format!("Администратор приостановил ваш монитор #{id} {target}. Он есть в /monitors."),
        (Lang::En, OwnerResumed { id, target }) => format!("An admin resumed your monitor #{id} {target}."),
        (Lang::Ru, OwnerResumed { id, target }) => format!("Администратор возобновил ваш монитор #{id} {target}."),
        (Lang::En, OwnerRemoved { id, target }) => format!("An admin removed your monitor #{id} {target} with its history."),
        (Lang::Ru, OwnerRemoved { id, target }) => format!("Администратор удалил ваш монитор #{id} {target} вместе с историей."),
        // The words drawn on the `/status` chart.
        (Lang::En, ChartTitle { id, target, zone }) => format!("#{id} {target} — response time ({zone})"),
        (Lang::Ru, ChartTitle { id, target, zone }) => format!("#{id} {target} — время ответа ({zone})"),
        (Lang::En, ChartUnitMs) => "ms".into(),
        (Lang::Ru, ChartUnitMs) => "мс".into(),
    }
}

/// Why a check failed, in words: codes, numbers, addresses and the keyword as they are, the rest
/// in `lang`. TLS and other failures carry the failing library's own (English) words as detail.
fn reason_words(lang: Lang, reason: &Reason) -> String {
    let ru = lang == Lang::Ru;
    match reason {
        Reason::HttpStatus(code) if ru => format!("ответ HTTP {code}"),
        Reason::HttpStatus(code) => format!("HTTP {code}"),
        Reason::Timeout(d) if ru => format!("нет ответа за {}", duration::format(lang, *d)),
        Reason::Timeout(d) => format!("timeout after {}", duration::format(lang, *d)),
        Reason::KeywordMissing(k) if ru => format!("на странице нет «{k}»"),
        Reason::KeywordMissing(k) => format!("keyword {k:?} missing"),
        Reason::KeywordPresent(k) if ru => format!("на странице есть «{k}»"),
        Reason::KeywordPresent(k) => format!("keyword {k:?} present"),
        Reason::PingLoss { received, sent } if ru => {
            format!("ping: потеряно пакетов — {} из {sent}", sent.saturating_sub(*received))
        }
        Reason::PingLoss { received, sent } => format!("ping loss {}/{sent}", sent.saturating_sub(*received)),
        Reason::Refused if ru => "соединение отклонено".into(),
        Reason::Refused => "connection refused".into(),
        Reason::Unresolvable(host) if ru => format!("DNS: адрес {host} не найден"),
        Reason::Unresolvable(host) => format!("DNS: no address for {host}"),
        Reason::Tls(detail) if ru => format!("ошибка TLS: {detail}"),
        Reason::Tls(detail) => format!("TLS: {detail}"),
        Reason::CertExpired if ru => "срок TLS-сертификата истёк".into(),
        Reason::CertExpired => "the TLS certificate has expired".into(),
        Reason::NotPermitted(ip) if ru => format!("адрес {ip} запрещён правилами проверок"),
        Reason::NotPermitted(ip) => format!("{ip} is not permitted by the probe policy"),
        Reason::IcmpUnavailable if ru => "ICMP здесь запрещён".into(),
        Reason::IcmpUnavailable => "ICMP not permitted here".into(),
        Reason::TooManyRedirects if ru => "слишком много перенаправлений".into(),
        Reason::TooManyRedirects => "too many redirects".into(),
        Reason::Other(detail) if ru => format!("ошибка: {detail}"),
        Reason::Other(detail) => detail.clone(),
    }
}

/// What is wrong with a `/set` value, in `lang`.
fn bad_value_words(lang: Lang, error: &BadValue) -> String {
    use crate::monitoring::options::{
        CERT_WARN_LIMITS, KEYWORD_MAX_CHARS, REPEAT_LIMITS, STREAK_LIMITS, TIMEOUT_LIMITS,
    };
    let ru = lang == Lang::Ru;
    let secs = |s: u64| duration::format(lang, std::time::Duration::from_secs(s));
    match error {
        BadValue::Missing if ru => "не указано значение".into(),
        BadValue::Missing => "a value is missing".into(),
        BadValue::Duration(e) => e.render(lang),
        BadValue::TimeoutRange if ru => format!(
            "таймаут — от {} до {}, в целых секундах",
            secs(*TIMEOUT_LIMITS.start()),
            secs(*TIMEOUT_LIMITS.end())
        ),
        BadValue::TimeoutRange => format!(
            "a timeout is {} to {}, in whole seconds",
            secs(*TIMEOUT_LIMITS.start()),
            secs(*TIMEOUT_LIMITS.end())
        ),
        BadValue::TimeoutNotShorter if ru => "таймаут должен быть короче интервала".into(),
        BadValue::TimeoutNotShorter => "the timeout must be shorter than the interval".into(),
        BadValue::NotWholeNumber if ru => "нужно целое число".into(),
        BadValue::NotWholeNumber => "not a whole number".into(),
        BadValue::StreakRange => {
            format!("{} {}", if ru { "от 1 до" } else { "1 to" }, count(lang, u64::from(*STREAK_LIMITS.end()), CHECKS))
        }
        BadValue::RepeatRange if ru => {
            format!("напоминания — раз в {}…{}", secs(*REPEAT_LIMITS.start()), secs(*REPEAT_LIMITS.end()))
        }
        BadValue::RepeatRange => {
            format!("reminders repeat every {} to {}", secs(*REPEAT_LIMITS.start()), secs(*REPEAT_LIMITS.end()))
        }
        BadValue::Method if ru => "метод — GET или HEAD".into(),
        BadValue::Method => "the method is GET or HEAD".into(),
        BadValue::StatusRange if ru => "код ответа — от 100 до 599: 200, 200-299 или 2xx".into(),
        BadValue::StatusRange => "a status is 100-599: 200, 200-299 or 2xx".into(),
        BadValue::KeywordTooLong if ru => format!("не больше {KEYWORD_MAX_CHARS} символов"),
        BadValue::KeywordTooLong => format!("at most {KEYWORD_MAX_CHARS} characters"),
        BadValue::CertDays if ru => format!(
            "от {} до {}, или off",
            CERT_WARN_LIMITS.start(),
            count(lang, u64::from(*CERT_WARN_LIMITS.end()), DAYS)
        ),
        BadValue::CertDays => {
            format!("{} to {}, or off", CERT_WARN_LIMITS.start(), count(lang, u64::from(*CERT_WARN_LIMITS.end()), DAYS))
        }
    }
}

/// A probe rule's action as `/probes` takes it, the same in every language.
fn action_word(action: ProbeAction) -> &'static str {
    match action {
        ProbeAction::Allow => "allow",
        ProbeAction::Deny => "deny",
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::i18n::counted;

    #[test]
    fn the_durations_in_russian_examples_are_accepted_as_typed() {
        for (typed, secs) in [("30 с", 30), ("5 мин", 300), ("1 ч", 3600), ("2 ч", 7200), ("7 д", 604_800), ("5 с", 5)]
        {
            assert_eq!(crate::duration::parse(typed).map(|d| d.as_secs()), Ok(secs), "{typed}");
        }
        assert!(t(Lang::Ru, Text::WatchUsage).contains("30 с") && !t(Lang::Ru, Text::WatchUsage).contains("30s"));
    }

    #[test]
    fn counted_monitors_take_the_cldr_plural_form() {
        let ru: Vec<String> = [1, 2, 5, 11, 21, 22, 25].iter().map(|n| counted(Lang::Ru, *n, MONITORS[1])).collect();
        assert_eq!(
            ru,
            ["1 монитор", "2 монитора", "5 мониторов", "11 мониторов", "21 монитор", "22 монитора", "25 мониторов"]
        );
        let en: Vec<String> = [1, 2, 5, 11, 21, 22, 25].iter().map(|n| counted(Lang::En, *n, MONITORS[0])).collect();
        assert_eq!(
            en,
            ["1 monitor", "2 monitors", "5 monitors", "11 monitors", "21 monitors", "22 monitors", "25 monitors"]
        );
        // See: issue 7 — the quota of 1 read "1 мониторов".
        assert!(t(Lang::Ru, Text::WatchQuota { quota: 1 }).contains("У вас уже 1 монитор —"));
        let caption = |count| Text::ChartCaption { id: 1, target: "x", count, p50: "", p95: "", max: "", failures: 0 };
        assert!(t(Lang::Ru, caption(2)).contains("(2 проверки)") && t(Lang::Ru, caption(21)).contains("(21 проверка)"));
    }
}
