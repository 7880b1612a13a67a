//! The message catalogue: every text the bot says, in English and Russian.
//!
//! A user's language comes from Telegram's `language_code`: Russian for `ru`, English otherwise.
//! Add a text by adding a [`Text`] variant; the `match` makes a missing translation a compile error.

/// A supported language.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Lang {
    #[default]
    En,
    Ru,
}

impl Lang {
    pub fn from_code(code: Option<&str>) -> Self {
        match code.map(|c| c.split(['-', '_']).next().unwrap_or(c).to_ascii_lowercase()) {
            Some(c) if c == "ru" => Lang::Ru,
            _ => Lang::En,
        }
    }

    pub fn code(self) -> &'static str {
        match self {
            Lang::En => "en",
            Lang::Ru => "ru",
        }
    }
}

/// Every text, with the values it mentions.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Text<'a> {
    Welcome { name: &'a str },
    WelcomeBack { name: &'a str },
    AskPhone,
    SharePhoneButton,
    NotOwnContact,
    SendContactPlease,
    PhoneSaved,
    AccessRequested,
    AccessStillPending,
    AccessRejectedBefore,
    RegistrationClosed,
    WaitingForApproval,
    NotRegistered,
    NewAccessRequest { name: &'a str, username: &'a str, user_id: i64 },
    ApproveButton,
    RejectButton,
    AccessApproved,
    AccessRejected,
    RequestApprovedBy { name: &'a str, admin: &'a str },
    RequestRejectedBy { name: &'a str, admin: &'a str },
    RequestAlreadyDecided,
    NoPendingRequests,
    PendingRequestsHeader { count: usize },
    AdminsOnly,
    HelpHeader,
    HelpAdminHeader,
    UnknownCommand,
    NotACommand,
    SlowDown,
    Cancelled,
    NothingToCancel,
    InternalError,
    CmdStart,
    CmdHelp,
    CmdCancel,
    CmdRequests,
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
    ProbesUsage,
    BadNetwork { problem: &'a str },
    ProbeRuleAdded { id: i64, action: &'a str, network: &'a str },
    ProbeRuleRemoved { id: i64 },
    ProbeRuleNotFound { id: &'a str },
    NoProbeRules,
    ProbeRulesHeader,
}

/// The text in the given language.
pub fn t(lang: Lang, text: Text<'_>) -> String {
    use Text::*;
    match (lang, text) {
        (Lang::En, Welcome { name }) => format!("Welcome, {name}! You're registered. Send /help to see what I can do."),
        (Lang::Ru, Welcome { name }) => format!("Добро пожаловать, {name}! Вы зарегистрированы. Отправьте /help, чтобы увидеть команды."),
        (Lang::En, WelcomeBack { name }) => format!("Welcome back, {name}. Send /help for the commands."),
        (Lang::Ru, WelcomeBack { name }) => format!("С возвращением, {name}. Команды — /help."),
        (Lang::En, AskPhone) => "This organisation requires a verified phone number. Tap the button below to share your own contact, or /cancel.".into(),
        (Lang::Ru, AskPhone) => "Эта организация требует подтверждённый номер телефона. Нажмите кнопку ниже, чтобы отправить свой контакт, или /cancel.".into(),
        (Lang::En, SharePhoneButton) => "Share my phone number".into(),
        (Lang::Ru, SharePhoneButton) => "Отправить мой номер".into(),
        (Lang::En, NotOwnContact) => "That is not your own contact. Please tap the button to share your own number.".into(),
        (Lang::Ru, NotOwnContact) => "Это не ваш контакт. Нажмите кнопку, чтобы отправить свой номер.".into(),
        (Lang::En, SendContactPlease) => "Please tap the \"Share my phone number\" button, or /cancel.".into(),
        (Lang::Ru, SendContactPlease) => "Пожалуйста, нажмите кнопку «Отправить мой номер» или /cancel.".into(),
        (Lang::En, PhoneSaved) => "Thank you, your phone number is verified.".into(),
        (Lang::Ru, PhoneSaved) => "Спасибо, номер телефона подтверждён.".into(),
        (Lang::En, AccessRequested) => "Your access request was sent to the admins. I'll message you when it is decided.".into(),
        (Lang::Ru, AccessRequested) => "Запрос на доступ отправлен администраторам. Я напишу, когда его рассмотрят.".into(),
        (Lang::En, AccessStillPending) => "Your access request is still waiting for an admin. I'll message you when it is decided.".into(),
        (Lang::Ru, AccessStillPending) => "Ваш запрос на доступ ещё ждёт администратора. Я напишу, когда его рассмотрят.".into(),
        (Lang::En, AccessRejectedBefore) => "Your access request was rejected. Ask an admin if you think this is a mistake.".into(),
        (Lang::Ru, AccessRejectedBefore) => "Ваш запрос на доступ отклонён. Обратитесь к администратору, если это ошибка.".into(),
        (Lang::En, RegistrationClosed) => "Registration is closed and no admin is configured to approve you.".into(),
        (Lang::Ru, RegistrationClosed) => "Регистрация закрыта, и нет администратора, который мог бы вас одобрить.".into(),
        (Lang::En, WaitingForApproval) => "Your access is waiting for an admin's approval. Until then only /start and /help work.".into(),
        (Lang::Ru, WaitingForApproval) => "Ваш доступ ждёт одобрения администратора. До тех пор работают только /start и /help.".into(),
        (Lang::En, NotRegistered) => "You are not registered yet. Send /start first.".into(),
        (Lang::Ru, NotRegistered) => "Вы ещё не зарегистрированы. Сначала отправьте /start.".into(),
        (Lang::En, NewAccessRequest { name, username, user_id }) => format!("Access request from {name} ({username}, id {user_id})."),
        (Lang::Ru, NewAccessRequest { name, username, user_id }) => format!("Запрос доступа от {name} ({username}, id {user_id})."),
        (Lang::En, ApproveButton) => "Approve".into(),
        (Lang::Ru, ApproveButton) => "Одобрить".into(),
        (Lang::En, RejectButton) => "Reject".into(),
        (Lang::Ru, RejectButton) => "Отклонить".into(),
        (Lang::En, AccessApproved) => "Your access was approved. Send /help to see what I can do.".into(),
        (Lang::Ru, AccessApproved) => "Ваш доступ одобрен. Отправьте /help, чтобы увидеть команды.".into(),
        (Lang::En, AccessRejected) => "Your access request was rejected.".into(),
        (Lang::Ru, AccessRejected) => "Ваш запрос на доступ отклонён.".into(),
        (Lang::En, RequestApprovedBy { name, admin }) => format!("{name}: approved by {admin}."),
        (Lang::Ru, RequestApprovedBy { name, admin }) => format!("{name}: одобрено ({admin})."),
        (Lang::En, RequestRejectedBy { name, admin }) => format!("{name}: rejected by {admin}."),
        (Lang::Ru, RequestRejectedBy { name, admin }) => format!("{name}: отклонено ({admin})."),
        (Lang::En, RequestAlreadyDecided) => "This request was already decided.".into(),
        (Lang::Ru, RequestAlreadyDecided) => "Этот запрос уже рассмотрен.".into(),
        (Lang::En, NoPendingRequests) => "No access requests are waiting.".into(),
        (Lang::Ru, NoPendingRequests) => "Нет ожидающих запросов доступа.".into(),
        (Lang::En, PendingRequestsHeader { count }) => format!("{count} access request(s) waiting:"),
        (Lang::Ru, PendingRequestsHeader { count }) => format!("Ожидающих запросов доступа: {count}"),
        (Lang::En, AdminsOnly) => "This command is for admins only.".into(),
        (Lang::Ru, AdminsOnly) => "Эта команда только для администраторов.".into(),
        (Lang::En, HelpHeader) => "Commands:".into(),
        (Lang::Ru, HelpHeader) => "Команды:".into(),
        (Lang::En, HelpAdminHeader) => "Admin commands:".into(),
        (Lang::Ru, HelpAdminHeader) => "Команды администратора:".into(),
        (Lang::En, UnknownCommand) => "I don't know that command. Send /help to see the commands.".into(),
        (Lang::Ru, UnknownCommand) => "Я не знаю такой команды. Отправьте /help, чтобы увидеть команды.".into(),
        (Lang::En, NotACommand) => "I understand commands. Send /help to see them.".into(),
        (Lang::Ru, NotACommand) => "Я понимаю команды. Отправьте /help, чтобы их увидеть.".into(),
        (Lang::En, SlowDown) => "You're sending commands too fast. Please wait a minute and try again.".into(),
        (Lang::Ru, SlowDown) => "Вы отправляете команды слишком часто. Подождите минуту и попробуйте снова.".into(),
        (Lang::En, Cancelled) => "Cancelled.".into(),
        (Lang::Ru, Cancelled) => "Отменено.".into(),
        (Lang::En, NothingToCancel) => "There is nothing to cancel.".into(),
        (Lang::Ru, NothingToCancel) => "Нечего отменять.".into(),
        (Lang::En, InternalError) => "Something went wrong on our side. Please try again in a minute.".into(),
        (Lang::Ru, InternalError) => "Что-то пошло не так на нашей стороне. Попробуйте через минуту.".into(),
        (Lang::En, CmdStart) => "register or show your status".into(),
        (Lang::Ru, CmdStart) => "регистрация и ваш статус".into(),
        (Lang::En, CmdHelp) => "the commands you may use".into(),
        (Lang::Ru, CmdHelp) => "доступные вам команды".into(),
        (Lang::En, CmdCancel) => "stop the current dialogue".into(),
        (Lang::Ru, CmdCancel) => "прервать текущий диалог".into(),
        (Lang::En, CmdRequests) => "access requests waiting for approval".into(),
        (Lang::Ru, CmdRequests) => "запросы доступа, ожидающие решения".into(),
        (Lang::En, CmdWatch) => "watch a site, host or port: /watch <target> [interval]".into(),
        (Lang::Ru, CmdWatch) => "следить за сайтом, хостом или портом: /watch <цель> [интервал]".into(),
        (Lang::En, CmdUnwatch) => "stop watching: /unwatch <id>".into(),
        (Lang::Ru, CmdUnwatch) => "перестать следить: /unwatch <id>".into(),
        (Lang::En, CmdMonitors) => "your monitors and their state".into(),
        (Lang::Ru, CmdMonitors) => "ваши мониторы и их состояние".into(),
        (Lang::En, CmdStatus) => "last results and uptime: /status <id>".into(),
        (Lang::Ru, CmdStatus) => "последние результаты и доступность: /status <id>".into(),
        (Lang::En, CmdMute) => "hold alerts for maintenance: /mute <id> <duration>".into(),
        (Lang::Ru, CmdMute) => "придержать оповещения на время работ: /mute <id> <длительность>".into(),
        (Lang::En, CmdNotifyHere) => "in a group: send a monitor's alerts here too".into(),
        (Lang::Ru, CmdNotifyHere) => "в группе: присылать сюда оповещения монитора".into(),
        (Lang::En, WatchUsage) => "Usage: /watch <target> [interval]\nExamples:\n/watch https://example.com\n/watch https://example.com/health 30s\n/watch tcp://db.example.com:5432 5m\n/watch 192.0.2.10 1h\nInterval: 10s to 24h, default 1m.".into(),
        (Lang::Ru, WatchUsage) => "Использование: /watch <цель> [интервал]\nПримеры:\n/watch https://example.com\n/watch https://example.com/health 30s\n/watch tcp://db.example.com:5432 5m\n/watch 192.0.2.10 1h\nИнтервал: от 10s до 24h, по умолчанию 1m.".into(),
        (Lang::En, WatchBadTarget { problem }) => format!("Cannot watch that: {problem}.\nExample: /watch https://example.com 5m"),
        (Lang::Ru, WatchBadTarget { problem }) => format!("Не могу следить за этим: {problem}.\nПример: /watch https://example.com 5m"),
        (Lang::En, WatchBadInterval { problem }) => format!("Bad interval: {problem}.\nExample: /watch https://example.com 5m (10s to 24h)"),
        (Lang::Ru, WatchBadInterval { problem }) => format!("Неверный интервал: {problem}.\nПример: /watch https://example.com 5m (от 10s до 24h)"),
        (Lang::En, WatchQuota { quota }) => format!("You already have {quota} monitors, the most allowed. Remove one with /unwatch <id> first."),
        (Lang::Ru, WatchQuota { quota }) => format!("У вас уже {quota} мониторов — это предел. Сначала удалите один: /unwatch <id>."),
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
        (Lang::Ru, MuteUsage) => "Использование: /mute <id> <длительность>, например /mute 3 2h (до 7d); /mute 3 off — отменить.".into(),
        (Lang::En, Muted { id, until }) => format!("Monitor #{id} is muted until {until} UTC: checks run, alerts are held."),
        (Lang::Ru, Muted { id, until }) => format!("Монитор #{id} заглушён до {until} UTC: проверки идут, оповещения не отправляются."),
        (Lang::En, Unmuted { id }) => format!("Monitor #{id} is no longer muted."),
        (Lang::Ru, Unmuted { id }) => format!("Монитор #{id} больше не заглушён."),
        (Lang::En, NotifyHereGroupsOnly) => "Use /notify_here <id> in the group chat that should get the alerts.".into(),
        (Lang::Ru, NotifyHereGroupsOnly) => "Отправьте /notify_here <id> в групповом чате, куда нужно присылать оповещения.".into(),
        (Lang::En, NotifyHereSet { id }) => format!("Alerts of monitor #{id} will also come to this chat."),
        (Lang::Ru, NotifyHereSet { id }) => format!("Оповещения монитора #{id} будут приходить и в этот чат."),
        (Lang::En, CmdProbes) => "which networks monitors may probe: /probes [allow|deny <network> | remove <id>]".into(),
        (Lang::Ru, CmdProbes) => "какие сети можно проверять: /probes [allow|deny <сеть> | remove <id>]".into(),
        (Lang::En, ProbesUsage) => "Usage:\n/probes — list the rules\n/probes allow 10.0.0.0/8 — only allowed networks may be probed\n/probes deny 169.254.169.254 — never probe this (deny wins)\n/probes remove 3 — delete rule 3".into(),
        (Lang::Ru, ProbesUsage) => "Использование:\n/probes — список правил\n/probes allow 10.0.0.0/8 — проверять только разрешённые сети\n/probes deny 169.254.169.254 — никогда не проверять (запрет важнее)\n/probes remove 3 — удалить правило 3".into(),
        (Lang::En, BadNetwork { problem }) => format!("{problem}."),
        (Lang::Ru, BadNetwork { problem }) => format!("Не сеть: {problem}."),
        (Lang::En, ProbeRuleAdded { id, action, network }) => format!("Rule #{id} added: {action} {network}. It applies from the next checks (within 15 s)."),
        (Lang::Ru, ProbeRuleAdded { id, action, network }) => format!("Правило #{id} добавлено: {action} {network}. Действует со следующих проверок (в течение 15 с)."),
        (Lang::En, ProbeRuleRemoved { id }) => format!("Rule #{id} removed."),
        (Lang::Ru, ProbeRuleRemoved { id }) => format!("Правило #{id} удалено."),
        (Lang::En, ProbeRuleNotFound { id }) => format!("Rule #{id} not found. /probes lists them."),
        (Lang::Ru, ProbeRuleNotFound { id }) => format!("Правило #{id} не найдено. Список — /probes."),
        (Lang::En, NoProbeRules) => "No probe rules: monitors may probe any address. /probes allow|deny <network> adds one.".into(),
        (Lang::Ru, NoProbeRules) => "Правил нет: мониторы могут проверять любой адрес. Добавить: /probes allow|deny <сеть>.".into(),
        (Lang::En, ProbeRulesHeader) => "Probe rules (deny wins; with any allow rule, only allowed networks are probed):".into(),
        (Lang::Ru, ProbeRulesHeader) => "Правила проверок (запрет важнее; если есть разрешения, проверяются только разрешённые сети):".into(),
        (Lang::En, Paused { id }) => format!("Monitor #{id} paused."),
        (Lang::Ru, Paused { id }) => format!("Монитор #{id} приостановлен."),
        (Lang::En, Resumed { id }) => format!("Monitor #{id} resumed."),
        (Lang::Ru, Resumed { id }) => format!("Монитор #{id} возобновлён."),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn language_follows_the_code() {
        assert_eq!(Lang::from_code(Some("ru")), Lang::Ru);
        assert_eq!(Lang::from_code(Some("ru-RU")), Lang::Ru);
        assert_eq!(Lang::from_code(Some("uk")), Lang::En);
        assert_eq!(Lang::from_code(None), Lang::En);
    }

    #[test]
    fn both_languages_have_the_text() {
        assert!(t(Lang::En, Text::SlowDown).contains("too fast"));
        assert!(t(Lang::Ru, Text::SlowDown).contains("слишком часто"));
        assert!(t(Lang::Ru, Text::Welcome { name: "Ann" }).contains("Ann"));
    }
}
