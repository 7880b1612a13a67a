//! The dev texts of the equipment slice (see `super`): the developer commands' help lines, the
//! confirmation code prompt and lock, and what each command reports. Only developers read them.

use crate::i18n::{Forms, Lang, count};

const TRIES: [Forms; 2] =
    [Forms::en("more wrong code", "more wrong codes"), Forms::ru("неверный код", "неверных кода", "неверных кодов")];
const TABLES: [Forms; 2] = [Forms::en("table", "tables"), Forms::ru("таблица", "таблицы", "таблиц")];
const ROWS: [Forms; 2] = [Forms::en("row", "rows"), Forms::ru("строка", "строки", "строк")];
const LINES: [Forms; 2] = [Forms::en("line", "lines"), Forms::ru("строка", "строки", "строк")];
const DEVICES: [Forms; 2] = [Forms::en("device", "devices"), Forms::ru("устройство", "устройства", "устройств")];
const LOANS: [Forms; 2] = [Forms::en("loan", "loans"), Forms::ru("выдача", "выдачи", "выдач")];
const WAITS: [Forms; 2] = [
    Forms::en("waitlist entry", "waitlist entries"),
    Forms::ru("место в очереди", "места в очередях", "мест в очередях"),
];
const PEOPLE: [Forms; 2] = [Forms::en("person", "people"), Forms::ru("человек", "человека", "человек")];
const IMPORTS: [Forms; 2] = [Forms::en("import", "imports"), Forms::ru("импорт", "импорта", "импортов")];

/// A text of the developer commands.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Text<'a> {
    HelpLogs,
    HelpExport,
    HelpPurge,
    HelpWipe,
    /// `TELEOPS_DEVELOPER_CODE` is not set.
    NoCode,
    /// The prompt for the code; `command` is `/dev_…`.
    AskCode {
        command: &'a str,
    },
    CancelButton,
    /// The prompt, once the right code came.
    CodeAccepted {
        command: &'a str,
    },
    /// A message without text in answer to the prompt.
    CodeAsText,
    /// A wrong code; `tries_left` more lock the command.
    WrongCode {
        command: &'a str,
        tries_left: usize,
    },
    /// Locked after wrong codes, until `until` (in the reader's zone, named).
    Locked {
        command: &'a str,
        until: &'a str,
    },
    /// A press on the prompt of a code request that no longer runs.
    RequestEnded,
    LogsCaption {
        lines: usize,
    },
    /// Nothing was logged yet (or logging is off).
    LogsEmpty,
    ExportCaption {
        tables: usize,
        rows: u64,
    },
    /// The zip is over what a bot may upload (`mb` megabytes).
    ExportTooLarge {
        mb: u64,
    },
    PurgeUsage,
    /// No device has the category.
    PurgeNone {
        category: &'a str,
    },
    /// Devices of the category are taken; `list` has one line per device and holder.
    PurgeTaken {
        category: &'a str,
        list: &'a str,
    },
    /// One line of that list.
    TakenBy {
        title: &'a str,
        holder: &'a str,
    },
    Purged {
        category: &'a str,
        devices: u64,
        loans: u64,
        waits: u64,
    },
    Wiped {
        devices: u64,
        loans: u64,
        waits: u64,
        people: u64,
        imports: u64,
    },
}

pub fn t(lang: Lang, text: Text<'_>) -> String {
    use Text::*;
    let n = |n: u64, forms| count(lang, n, forms);
    match (lang, text) {
        (Lang::En, HelpLogs) => "the last lines the process logged, as logs.txt".into(),
        (Lang::Ru, HelpLogs) => "последние строки журнала процесса, файлом logs.txt".into(),
        (Lang::En, HelpExport) => "every table as CSV in a zip, secrets masked".into(),
        (Lang::Ru, HelpExport) => "все таблицы в CSV одним zip-архивом, секреты скрыты".into(),
        (Lang::En, HelpPurge) => "<category> — delete every device of a category".into(),
        (Lang::Ru, HelpPurge) => "<категория> — удалить все устройства категории".into(),
        (Lang::En, HelpWipe) => "export, then delete all equipment data".into(),
        (Lang::Ru, HelpWipe) => "выгрузить, затем удалить все данные об оборудовании".into(),
        (Lang::En, NoCode) => {
            "Developer commands need a confirmation code, and none is configured (TELEOPS_DEVELOPER_CODE).".into()
        }
        (Lang::Ru, NoCode) => {
            "Командам разработчика нужен код подтверждения, а он не задан (TELEOPS_DEVELOPER_CODE).".into()
        }
        (Lang::En, AskCode { command }) => {
            format!("🔐 {command}: send the developer code. I will delete the message with it.")
        }
        (Lang::Ru, AskCode { command }) => {
            format!("🔐 {command}: отправьте код разработчика. Сообщение с ним я удалю.")
        }
        (Lang::En, CancelButton) => "Cancel".into(),
        (Lang::Ru, CancelButton) => "Отмена".into(),
        (Lang::En, CodeAccepted { command }) => format!("✅ {command}: code accepted."),
        (Lang::Ru, CodeAccepted { command }) => format!("✅ {command}: код принят."),
        (Lang::En, CodeAsText) => "Send the code as a text message, or /cancel.".into(),
        (Lang::Ru, CodeAsText) => "Отправьте код текстовым сообщением или /cancel.".into(),
        (Lang::En, WrongCode { command, tries_left }) => format!(
            "❌ Wrong code. {} and {command} is locked for an hour. Send the code again, or /cancel.",
            n(tries_left as u64, TRIES)
        ),
        (Lang::Ru, WrongCode { command, tries_left }) => format!(
            "❌ Неверный код. Ещё {} — и команда {command} будет заблокирована на час. Отправьте код ещё раз или /cancel.",
            n(tries_left as u64, TRIES)
        ),
        (Lang::En, Locked { command, until }) => {
            format!("🔒 {command} is locked after three wrong codes, until {until}.")
        }
        (Lang::Ru, Locked { command, until }) => {
            format!("🔒 Команда {command} заблокирована после трёх неверных кодов до {until}.")
        }
        (Lang::En, RequestEnded) => "This code request has ended. Send the command again.".into(),
        (Lang::Ru, RequestEnded) => "Этот запрос кода уже закрыт. Отправьте команду ещё раз.".into(),
        (Lang::En, LogsCaption { lines }) => format!("📄 The process's last {}.", n(lines as u64, LINES)),
        (Lang::Ru, LogsCaption { lines }) => format!("📄 Журнал процесса: последние {}.", n(lines as u64, LINES)),
        (Lang::En, LogsEmpty) => "Nothing has been logged yet.".into(),
        (Lang::Ru, LogsEmpty) => "В журнале пока ничего нет.".into(),
        (Lang::En, ExportCaption { tables, rows }) => {
            format!("📦 {}, {}. Encrypted columns are masked.", n(tables as u64, TABLES), n(rows, ROWS))
        }
        (Lang::Ru, ExportCaption { tables, rows }) => {
            format!("📦 {}, {}. Зашифрованные столбцы скрыты.", n(tables as u64, TABLES), n(rows, ROWS))
        }
        (Lang::En, ExportTooLarge { mb }) => format!(
            "The export is {mb} MB zipped, more than the 50 MB a bot may send, so nothing was sent and nothing deleted."
        ),
        (Lang::Ru, ExportTooLarge { mb }) => format!(
            "Выгрузка весит {mb} МБ в zip, больше 50 МБ, которые может отправить бот: ничего не отправлено и не удалено."
        ),
        (Lang::En, PurgeUsage) => {
            "Usage: /dev_purge <category> — deletes every device of the category with its loans and waitlists.".into()
        }
        (Lang::Ru, PurgeUsage) => {
            "Использование: /dev_purge <категория> — удаляет все устройства категории вместе с выдачами и очередями."
                .into()
        }
        (Lang::En, PurgeNone { category }) => format!("No device has the category «{category}»; nothing was deleted."),
        (Lang::Ru, PurgeNone { category }) => format!("Устройств с категорией «{category}» нет, ничего не удалено."),
        (Lang::En, PurgeTaken { category, list }) => {
            format!("Nothing was deleted: devices of «{category}» are taken. They must be returned first:\n{list}")
        }
        (Lang::Ru, PurgeTaken { category, list }) => {
            format!("Ничего не удалено: устройства категории «{category}» выданы. Сначала их нужно вернуть:\n{list}")
        }
        (Lang::En, TakenBy { title, holder }) => format!("• {title} — held by {holder}"),
        (Lang::Ru, TakenBy { title, holder }) => format!("• {title} — выдано: {holder}"),
        (Lang::En, Purged { category, devices, loans, waits }) => format!(
            "🗑 Category «{category}» purged: {}, {}, {}.",
            n(devices, DEVICES),
            n(loans, LOANS),
            n(waits, WAITS)
        ),
        (Lang::Ru, Purged { category, devices, loans, waits }) => format!(
            "🗑 Категория «{category}» очищена: удалено {}, {}, {}.",
            n(devices, DEVICES),
            n(loans, LOANS),
            n(waits, WAITS)
        ),
        (Lang::En, Wiped { devices, loans, waits, people, imports }) => format!(
            "🧹 Equipment data wiped: {}, {}, {}, {}, {}. The export above holds what was there.",
            n(devices, DEVICES),
            n(loans, LOANS),
            n(waits, WAITS),
            n(people, PEOPLE),
            n(imports, IMPORTS)
        ),
        (Lang::Ru, Wiped { devices, loans, waits, people, imports }) => format!(
            "🧹 Данные об оборудовании удалены: {}, {}, {}, {}, {}. Всё, что было, есть в выгрузке выше.",
            n(devices, DEVICES),
            n(loans, LOANS),
            n(waits, WAITS),
            n(people, PEOPLE),
            n(imports, IMPORTS)
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_take_the_right_russian_forms() {
        let wrong = |tries_left| t(Lang::Ru, Text::WrongCode { command: "/dev_wipe", tries_left });
        assert!(wrong(1).contains("Ещё 1 неверный код — и команда /dev_wipe"), "{}", wrong(1));
        assert!(wrong(2).contains("Ещё 2 неверных кода"), "{}", wrong(2));
        assert!(
            t(Lang::En, Text::WrongCode { command: "/dev_wipe", tries_left: 2 }).contains("2 more wrong codes and")
        );
        let wiped = t(Lang::Ru, Text::Wiped { devices: 21, loans: 3, waits: 5, people: 2, imports: 11 });
        assert!(wiped.contains("21 устройство, 3 выдачи, 5 мест в очередях, 2 человека, 11 импортов"), "{wiped}");
        let caption = t(Lang::Ru, Text::ExportCaption { tables: 22, rows: 1 });
        assert!(caption.starts_with("📦 22 таблицы, 1 строка."), "{caption}");
    }
}
