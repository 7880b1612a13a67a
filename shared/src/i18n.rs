//! The core's message catalogue (registration, access, help, refusals, time zones), in English
//! and Russian, and what every slice's catalogue shares: [`Lang`] and CLDR plurals ([`counted`]).
//! Each slice keeps its own catalogue beside its rules (`monitoring::texts`).
//!
//! A user's language comes from Telegram's `language_code`: Russian for `ru`, English otherwise.
//! Add a text by adding a [`Text`] variant; the `match` makes a missing translation a compile error,
//! and the tests in each catalogue check that both languages render every variant.

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

/// The forms of a counted word: English uses `one` and `other`; Russian `one` (1, 21, 31…),
/// `few` (2–4, 22–24…) and `many` (0, 5–20, 25…). Which form a number takes comes from the CLDR
/// plural rules (`intl_pluralrules`), not from rules written here.
#[derive(Debug, Clone, Copy)]
pub struct Forms {
    pub one: &'static str,
    pub few: &'static str,
    pub many: &'static str,
}

impl Forms {
    /// An English word: `one` for 1, `other` otherwise.
    pub const fn en(one: &'static str, other: &'static str) -> Self {
        Self { one, few: other, many: other }
    }

    pub const fn ru(one: &'static str, few: &'static str, many: &'static str) -> Self {
        Self { one, few, many }
    }
}

/// `n` and the form of the word that goes with it: "1 monitor", "2 монитора", "5 мониторов".
pub fn counted(lang: Lang, n: u64, forms: Forms) -> String {
    use intl_pluralrules::{PluralCategory, PluralRuleType, PluralRules};
    use std::sync::LazyLock;
    static EN: LazyLock<PluralRules> = LazyLock::new(|| {
        PluralRules::create(unic_langid::langid!("en"), PluralRuleType::CARDINAL).expect("CLDR has English")
    });
    static RU: LazyLock<PluralRules> = LazyLock::new(|| {
        PluralRules::create(unic_langid::langid!("ru"), PluralRuleType::CARDINAL).expect("CLDR has Russian")
    });
    let rules = match lang {
        Lang::En => &*EN,
        Lang::Ru => &*RU,
    };
    let word = match rules.select(n) {
        Ok(PluralCategory::ONE) => forms.one,
        Ok(PluralCategory::FEW) => forms.few,
        _ => forms.many,
    };
    format!("{n} {word}")
}

const REQUESTS: [Forms; 2] =
    [Forms::en("access request", "access requests"), Forms::ru("запрос", "запроса", "запросов")];

/// [`counted`] with the word's forms in both languages, English first.
pub fn count(lang: Lang, n: impl Into<u64>, [en, ru]: [Forms; 2]) -> String {
    counted(lang, n.into(), if lang == Lang::Ru { ru } else { en })
}

/// Every text, with the values it mentions.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Text<'a> {
    Welcome {
        name: &'a str,
    },
    WelcomeBack {
        name: &'a str,
    },
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
    NewAccessRequest {
        name: &'a str,
        username: &'a str,
        user_id: i64,
    },
    ApproveButton,
    RejectButton,
    AccessApproved,
    AccessRejected,
    RequestApprovedBy {
        name: &'a str,
        admin: &'a str,
    },
    RequestRejectedBy {
        name: &'a str,
        admin: &'a str,
    },
    RequestAlreadyDecided,
    NoPendingRequests,
    PendingRequestsHeader {
        count: usize,
    },
    AdminsOnly,
    HelpHeader,
    HelpAdminHeader,
    UnknownCommand,
    NotACommand,
    SlowDown,
    Cancelled,
    NothingToCancel,
    InternalError,
    ButtonExpired,
    WriteAsYourself,
    DialogueExpired,
    PressAButton,
    CmdStart,
    CmdHelp,
    CmdCancel,
    CmdRequests,
    CmdTimezone,
    TimezoneIs {
        zone: &'a str,
        now: &'a str,
    },
    TimezoneSet {
        zone: &'a str,
        now: &'a str,
    },
    TimezoneBad {
        problem: &'a str,
    },
    CancelButton,
    // Durations, generic input and access (issue 8).
    DurationMalformed {
        input: &'a str,
    },
    DurationTooShort {
        min: &'a str,
    },
    DurationTooLong {
        max: &'a str,
    },
    NoUsername,
    RequestedAt {
        at: &'a str,
    },
    UnknownZone {
        name: &'a str,
    },
    // The one `/add` every slice shares (issue 9).
    CmdAdd,
    AddWhat,
    AddNothing,
    /// `/add <args>` that no entry the caller may use takes: the forms there are.
    AddUsage {
        forms: &'a str,
    },
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
        (Lang::En, PendingRequestsHeader { count: n }) => format!("{} waiting:", count(lang, n as u64, REQUESTS)),
        (Lang::Ru, PendingRequestsHeader { count: n }) => format!("Ждут решения: {} на доступ", count(lang, n as u64, REQUESTS)),
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
        (Lang::En, CmdTimezone) => "show or set your time zone: /timezone Europe/Berlin".into(),
        (Lang::Ru, CmdTimezone) => "показать или задать часовой пояс: /timezone Europe/Moscow".into(),
        (Lang::En, TimezoneIs { zone, now }) => format!("Your time zone is {zone} (now {now}). Change it with /timezone <name>, e.g. /timezone Europe/Berlin."),
        (Lang::Ru, TimezoneIs { zone, now }) => format!("Ваш часовой пояс — {zone} (сейчас {now}). Изменить: /timezone <название>, например /timezone Europe/Moscow."),
        (Lang::En, TimezoneSet { zone, now }) => format!("Time zone set to {zone}: times are shown in it from now on (now {now})."),
        (Lang::Ru, TimezoneSet { zone, now }) => format!("Часовой пояс изменён на {zone}: время теперь показывается в нём (сейчас {now})."),
        (Lang::En, TimezoneBad { problem }) => format!("{problem}. Example: /timezone Europe/Berlin"),
        (Lang::Ru, TimezoneBad { problem }) => format!("Не удалось распознать часовой пояс: {problem}. Пример: /timezone Europe/Moscow"),
        (Lang::En, CancelButton) => "Cancel".into(),
        (Lang::Ru, CancelButton) => "Отмена".into(),
        (Lang::En, WriteAsYourself) => "You are writing on behalf of the group or a channel, so I cannot tell who you are. Turn off \"Remain anonymous\" in the group's admin rights (or write to me directly) and send the command as yourself.".into(),
        (Lang::Ru, WriteAsYourself) => "Вы пишете от имени группы или канала, и я не могу понять, кто вы. Отключите «Анонимность» в правах администратора группы (или напишите мне напрямую) и отправьте команду от своего имени.".into(),
        (Lang::En, ButtonExpired) => "This button has expired. Send the command again.".into(),
        (Lang::Ru, ButtonExpired) => "Эта кнопка устарела. Отправьте команду ещё раз.".into(),
        (Lang::En, DialogueExpired) => "That conversation has expired; start it again.".into(),
        (Lang::Ru, DialogueExpired) => "Этот диалог устарел, начните его заново.".into(),
        (Lang::En, PressAButton) => "Please press one of the buttons above, or /cancel.".into(),
        (Lang::Ru, PressAButton) => "Нажмите одну из кнопок выше или /cancel.".into(),
        (Lang::En, DurationMalformed { input }) => format!("\"{input}\" is not a duration like 30s, 5m, 1h, 2d or 5 minutes"),
        (Lang::Ru, DurationMalformed { input }) => format!("«{input}» — не длительность; пишите, например, 30 с, 5 мин, 7 минут, 1 час или 2 д"),
        (Lang::En, DurationTooShort { min }) => format!("must be at least {min}"),
        (Lang::Ru, DurationTooShort { min }) => format!("не меньше {min}"),
        (Lang::En, DurationTooLong { max }) => format!("must be at most {max}"),
        (Lang::Ru, DurationTooLong { max }) => format!("не больше {max}"),
        (Lang::En, NoUsername) => "no username".into(),
        (Lang::Ru, NoUsername) => "без имени пользователя".into(),
        (Lang::En, RequestedAt { at }) => format!("Requested {at}."),
        (Lang::Ru, RequestedAt { at }) => format!("Запрос от {at}."),
        (Lang::En, UnknownZone { name }) => format!("\"{name}\" is not a time zone name (IANA, like Europe/Berlin or America/New_York)"),
        (Lang::Ru, UnknownZone { name }) => format!("«{name}» — не название часового пояса (IANA, например Europe/Moscow или Asia/Yekaterinburg)"),
        (Lang::En, CmdAdd) => "add something, step by step".into(),
        (Lang::Ru, CmdAdd) => "добавить что-нибудь по шагам".into(),
        (Lang::En, AddWhat) => "What do you want to add?".into(),
        (Lang::Ru, AddWhat) => "Что добавить?".into(),
        (Lang::En, AddNothing) => "There is nothing you can add.".into(),
        (Lang::Ru, AddNothing) => "Вам нечего добавлять.".into(),
        (Lang::En, AddUsage { forms }) => format!("I could not tell what to add from that. Send /add alone to choose, or:\n{forms}"),
        (Lang::Ru, AddUsage { forms }) => format!("Не понял, что добавить. Отправьте /add без слов, чтобы выбрать, или:\n{forms}"),
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
    fn counted_words_take_the_cldr_plural_form() {
        let ru: Vec<String> = [1, 2, 5, 11, 21, 22, 25].iter().map(|n| counted(Lang::Ru, *n, REQUESTS[1])).collect();
        assert_eq!(
            ru,
            ["1 запрос", "2 запроса", "5 запросов", "11 запросов", "21 запрос", "22 запроса", "25 запросов"]
        );
        let en: Vec<String> = [1, 2, 5, 11, 21, 22, 25].iter().map(|n| counted(Lang::En, *n, REQUESTS[0])).collect();
        assert_eq!(en[..2], ["1 access request", "2 access requests"]);
        assert!(t(Lang::Ru, Text::PendingRequestsHeader { count: 22 }).contains("22 запроса"));
        assert!(t(Lang::En, Text::PendingRequestsHeader { count: 1 }).starts_with("1 access request waiting"));
    }

    #[test]
    fn both_languages_have_the_text() {
        assert!(t(Lang::En, Text::SlowDown).contains("too fast"));
        assert!(t(Lang::Ru, Text::SlowDown).contains("слишком часто"));
        assert!(t(Lang::Ru, Text::Welcome { name: "Ann" }).contains("Ann"));
    }
}
