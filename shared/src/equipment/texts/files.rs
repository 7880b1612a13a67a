//! The files texts of the equipment slice (see `super`): `/import` and its dry-run report, Apply,
//! `/export`, the people directory ([`PeopleText`]: `/users` and a person's card), and the reasons a file or a row is refused, in the reader's language
//! ([`import_error`], [`reject_reason`]; a column is named by its header in that language).

use crate::entities::import::ImportKind;
use crate::equipment::field::{Column, ColumnName, FieldError};
use crate::equipment::import::{ImportError, RejectReason};
use crate::i18n::{Forms, Lang, count};

const DEVICES: [Forms; 2] = [Forms::en("device", "devices"), Forms::ru("устройство", "устройства", "устройств")];
const PEOPLE: [Forms; 2] = [Forms::en("person", "people"), Forms::ru("человек", "человека", "человек")];
const USERS: [Forms; 2] = [Forms::en("user", "users"), Forms::ru("пользователь", "пользователя", "пользователей")];
const CHARS: [Forms; 2] = [Forms::en("character", "characters"), Forms::ru("символ", "символа", "символов")];

/// A text of imports and exports.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Text<'a> {
    CmdImport,
    CmdExport,
    /// `/import` without a file: asks for it.
    ImportAsk,
    ImportUsage,
    /// The message that should have been the file is not a document.
    ImportNotAFile,
    ImportWrongType {
        name: &'a str,
    },
    ImportTooBig {
        name: &'a str,
    },
    Reading {
        name: &'a str,
    },
    ReportHeader {
        name: &'a str,
        kind: ImportKind,
    },
    ReadAsCsv {
        encoding: &'a str,
        delimiter: char,
    },
    ReadAsSheet {
        sheet: &'a str,
    },
    Counts {
        add: usize,
        update: usize,
        unchanged: usize,
        rejected: usize,
    },
    RejectLine {
        row: usize,
        reason: &'a str,
    },
    MoreRejections {
        n: usize,
    },
    IgnoredColumns {
        columns: &'a str,
    },
    NothingToApply,
    ApplyButton,
    CancelButton,
    /// The file cannot be read at all.
    Unreadable {
        name: &'a str,
        reason: &'a str,
    },
    DownloadFailed {
        name: &'a str,
    },
    Applying,
    Applied {
        add: usize,
        update: usize,
    },
    /// Apply found the data changed since the dry run; a fresh report follows.
    PlanChanged,
    ApplyFailed,
    Dropped,
    /// Apply or Cancel on an import that is no longer waiting.
    NotWaiting,
    ExportStarted,
    ExportCaption {
        devices: usize,
    },
}

pub fn t(lang: Lang, text: Text<'_>) -> String {
    use Text::*;
    match (lang, text) {
        (Lang::En, CmdImport) => "import devices or a staff list from CSV/XLSX".into(),
        (Lang::Ru, CmdImport) => "импорт устройств или списка сотрудников из CSV/XLSX".into(),
        (Lang::En, CmdExport) => "all devices as CSV and XLSX".into(),
        (Lang::Ru, CmdExport) => "все устройства в CSV и XLSX".into(),
        (Lang::En, ImportAsk) => {
            "📎 Send the CSV or XLSX file: devices, or a staff list (name, email, phone, department). /cancel to stop."
                .into()
        }
        (Lang::Ru, ImportAsk) => {
            "📎 Пришлите файл CSV или XLSX: устройства или список сотрудников (ФИО, почта, телефон, \
                                  отдел). /cancel — отмена."
                .into()
        }
        (Lang::En, ImportUsage) => "/import, /import devices or /import people, with the file attached or next.".into(),
        (Lang::Ru, ImportUsage) => {
            "/import, /import devices или /import people — с файлом во вложении или следующим сообщением.".into()
        }
        (Lang::En, ImportNotAFile) => "That is not a file. Send the CSV or XLSX as a document, or /cancel.".into(),
        (Lang::Ru, ImportNotAFile) => "Это не файл. Пришлите CSV или XLSX документом или отправьте /cancel.".into(),
        (Lang::En, ImportWrongType { name }) => {
            format!("“{name}” is neither CSV nor XLSX; only those can be imported.")
        }
        (Lang::Ru, ImportWrongType { name }) => {
            format!("«{name}» — не CSV и не XLSX, а импортировать можно только их.")
        }
        (Lang::En, ImportTooBig { name }) => {
            format!("“{name}” is over 20 MB, more than Telegram lets a bot download. Split it and send the parts.")
        }
        (Lang::Ru, ImportTooBig { name }) => format!(
            "«{name}» больше 20 МБ — столько Telegram не даёт боту скачать. Разделите файл и пришлите по частям."
        ),
        (Lang::En, Reading { name }) => format!("⏳ Reading {name}…"),
        (Lang::Ru, Reading { name }) => format!("⏳ Читаю {name}…"),
        (Lang::En, ReportHeader { name, kind }) => {
            let kind = match kind {
                ImportKind::Devices => "devices",
                ImportKind::People => "staff list",
            };
            format!("📄 {name} ({kind}), dry run:")
        }
        (Lang::Ru, ReportHeader { name, kind }) => {
            let kind = match kind {
                ImportKind::Devices => "устройства",
                ImportKind::People => "список сотрудников",
            };
            format!("📄 {name} ({kind}), проверка без записи:")
        }
        (Lang::En, ReadAsCsv { encoding, delimiter }) => {
            format!("Read as CSV in {encoding}, separated by {}.", delimiter_name(lang, delimiter))
        }
        (Lang::Ru, ReadAsCsv { encoding, delimiter }) => {
            format!("Прочитан как CSV в кодировке {encoding}, разделитель — {}.", delimiter_name(lang, delimiter))
        }
        (Lang::En, ReadAsSheet { sheet }) => format!("Read from the sheet “{sheet}”."),
        (Lang::Ru, ReadAsSheet { sheet }) => format!("Прочитан лист «{sheet}»."),
        (Lang::En, Counts { add, update, unchanged, rejected }) => {
            format!("{add} to add, {update} to update, {unchanged} unchanged, {rejected} rejected.")
        }
        (Lang::Ru, Counts { add, update, unchanged, rejected }) => {
            format!("Добавить: {add}, обновить: {update}, без изменений: {unchanged}, отклонено: {rejected}.")
        }
        (Lang::En, RejectLine { row, reason }) => format!("Row {row}: {reason}"),
        (Lang::Ru, RejectLine { row, reason }) => format!("Строка {row}: {reason}"),
        (Lang::En, MoreRejections { n }) => format!("…and {n} more."),
        (Lang::Ru, MoreRejections { n }) => format!("…и ещё {n}."),
        (Lang::En, IgnoredColumns { columns }) => format!("Columns not imported: {columns}."),
        (Lang::Ru, IgnoredColumns { columns }) => format!("Не импортируются столбцы: {columns}."),
        (Lang::En, NothingToApply) => "Nothing to change.".into(),
        (Lang::Ru, NothingToApply) => "Менять нечего.".into(),
        (Lang::En, ApplyButton) => "✅ Apply".into(),
        (Lang::Ru, ApplyButton) => "✅ Применить".into(),
        (Lang::En, CancelButton) => "✖️ Cancel".into(),
        (Lang::Ru, CancelButton) => "✖️ Отменить".into(),
        (Lang::En, Unreadable { name, reason }) => format!("❌ {name} cannot be imported: {reason}."),
        (Lang::Ru, Unreadable { name, reason }) => format!("❌ Файл {name} не удалось импортировать: {reason}."),
        (Lang::En, DownloadFailed { name }) => {
            format!("❌ {name} could not be downloaded from Telegram. Send it again.")
        }
        (Lang::Ru, DownloadFailed { name }) => {
            format!("❌ Не удалось скачать {name} из Telegram. Пришлите его ещё раз.")
        }
        (Lang::En, Applying) => "⏳ Applying…".into(),
        (Lang::Ru, Applying) => "⏳ Применяю…".into(),
        (Lang::En, Applied { add, update }) => format!("✅ Imported: {add} added, {update} updated."),
        (Lang::Ru, Applied { add, update }) => format!("✅ Импорт выполнен: добавлено — {add}, обновлено — {update}."),
        (Lang::En, PlanChanged) => {
            "⚠️ The data changed since the dry run, so nothing was applied. Here is the file checked again:".into()
        }
        (Lang::Ru, PlanChanged) => {
            "⚠️ После проверки данные изменились, поэтому ничего не применено. Вот файл, проверенный заново:".into()
        }
        (Lang::En, ApplyFailed) => "❌ The import failed and changed nothing. Send the file again.".into(),
        (Lang::Ru, ApplyFailed) => "❌ Импорт не удался, ничего не изменено. Пришлите файл ещё раз.".into(),
        (Lang::En, Dropped) => "Import cancelled; nothing was changed.".into(),
        (Lang::Ru, Dropped) => "Импорт отменён, ничего не изменено.".into(),
        (Lang::En, NotWaiting) => "This import is no longer waiting: applied, cancelled or replaced.".into(),
        (Lang::Ru, NotWaiting) => "Этот импорт уже не ждёт: применён, отменён или заменён новым.".into(),
        (Lang::En, ExportStarted) => "⏳ Preparing the export…".into(),
        (Lang::Ru, ExportStarted) => "⏳ Готовлю выгрузку…".into(),
        (Lang::En, ExportCaption { devices }) => format!("📦 {} in all.", count(lang, devices as u64, DEVICES)),
        (Lang::Ru, ExportCaption { devices }) => format!("📦 Всего {}.", count(lang, devices as u64, DEVICES)),
    }
}

/// A text of the people directory (`/users` and a person's card).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PeopleText<'a> {
    CmdUsers,
    UsersUsage,
    NoneFound {
        query: &'a str,
    },
    PeopleFound {
        n: usize,
    },
    UsersFound {
        n: usize,
    },
    /// A Telegram user in a list: whether a person of the directory is them.
    UserLine {
        name: &'a str,
        id: i64,
        person: Option<&'a str>,
    },
    Card {
        name: &'a str,
        email: &'a str,
        phone: &'a str,
        username: &'a str,
        department: &'a str,
        comment: &'a str,
    },
    NotLinked,
    LinkedTo {
        user: &'a str,
        id: i64,
    },
    EmailButton,
    CommentButton,
    LinkButton,
    UnlinkButton,
    DeleteButton,
    ConfirmDeleteButton,
    AskEmail {
        name: &'a str,
    },
    AskComment {
        name: &'a str,
    },
    AskUser {
        name: &'a str,
    },
    EmailSaved {
        name: &'a str,
    },
    EmailInUse {
        email: &'a str,
    },
    CommentSaved {
        name: &'a str,
    },
    Linked {
        name: &'a str,
        user: &'a str,
    },
    Unlinked {
        name: &'a str,
    },
    UnknownUser {
        input: &'a str,
    },
    UserTaken {
        user: &'a str,
    },
    ConfirmDelete {
        name: &'a str,
    },
    Deleted {
        name: &'a str,
    },
    HoldsDevices {
        name: &'a str,
        n: u64,
    },
    PersonGone,
}

pub fn people(lang: Lang, text: PeopleText<'_>) -> String {
    use PeopleText::*;
    match (lang, text) {
        (Lang::En, CmdUsers) => "find people by name, username, email or phone".into(),
        (Lang::Ru, CmdUsers) => "найти сотрудника по имени, username, почте или телефону".into(),
        (Lang::En, UsersUsage) => "/users <name, @username, email or phone>".into(),
        (Lang::Ru, UsersUsage) => "/users <имя, @username, почта или телефон>".into(),
        (Lang::En, NoneFound { query }) => format!("Nobody matches “{query}”."),
        (Lang::Ru, NoneFound { query }) => format!("По запросу «{query}» никого не нашлось."),
        (Lang::En, PeopleFound { n }) => format!("👥 Directory: {}", count(lang, n as u64, PEOPLE)),
        (Lang::Ru, PeopleFound { n }) => format!("👥 В справочнике: {}", count(lang, n as u64, PEOPLE)),
        (Lang::En, UsersFound { n }) => format!("💬 Telegram: {}", count(lang, n as u64, USERS)),
        (Lang::Ru, UsersFound { n }) => format!("💬 В Telegram: {}", count(lang, n as u64, USERS)),
        (Lang::En, UserLine { name, id, person: Some(person) }) => format!("• {name} (id {id}) — {person}"),
        (Lang::Ru, UserLine { name, id, person: Some(person) }) => format!("• {name} (id {id}) — {person}"),
        (Lang::En, UserLine { name, id, person: None }) => format!("• {name} (id {id}), not in the directory"),
        (Lang::Ru, UserLine { name, id, person: None }) => format!("• {name} (id {id}), нет в справочнике"),
        (Lang::En, Card { name, email, phone, username, department, comment }) => format!(
            "👤 {name}\nEmail: {email}\nPhone: {phone}\nUsername: {username}\nDepartment: {department}\nComment: {comment}"
        ),
        (Lang::Ru, Card { name, email, phone, username, department, comment }) => format!(
            "👤 {name}\nПочта: {email}\nТелефон: {phone}\nИмя пользователя: {username}\nОтдел: {department}\nКомментарий: {comment}"
        ),
        (Lang::En, NotLinked) => "Telegram: not linked".into(),
        (Lang::Ru, NotLinked) => "Telegram: не привязан".into(),
        (Lang::En, LinkedTo { user, id }) => format!("Telegram: {user} (id {id})"),
        (Lang::Ru, LinkedTo { user, id }) => format!("Telegram: {user} (id {id})"),
        (Lang::En, EmailButton) => "✉️ Email".into(),
        (Lang::Ru, EmailButton) => "✉️ Почта".into(),
        (Lang::En, CommentButton) => "💬 Comment".into(),
        (Lang::Ru, CommentButton) => "💬 Комментарий".into(),
        (Lang::En, LinkButton) => "🔗 Link".into(),
        (Lang::Ru, LinkButton) => "🔗 Привязать".into(),
        (Lang::En, UnlinkButton) => "⛓️‍💥 Unlink".into(),
        (Lang::Ru, UnlinkButton) => "⛓️‍💥 Отвязать".into(),
        (Lang::En, DeleteButton) => "🗑 Delete".into(),
        (Lang::Ru, DeleteButton) => "🗑 Удалить".into(),
        (Lang::En, ConfirmDeleteButton) => "🗑 Yes, delete".into(),
        (Lang::Ru, ConfirmDeleteButton) => "🗑 Да, удалить".into(),
        (Lang::En, AskEmail { name }) => format!("The new email address of {name} (or - to clear it):"),
        (Lang::Ru, AskEmail { name }) => format!("{name}: новая почта (или -, чтобы стереть):"),
        (Lang::En, AskComment { name }) => format!("A comment on {name} (or - to clear it):"),
        (Lang::Ru, AskComment { name }) => format!("{name}: комментарий (или -, чтобы стереть):"),
        (Lang::En, AskUser { name }) => format!("Who is {name} in Telegram? Send their @username or user id."),
        (Lang::Ru, AskUser { name }) => format!("Кто {name} в Telegram? Пришлите @username или id пользователя."),
        (Lang::En, EmailSaved { name }) => format!("✅ Email of {name} saved."),
        (Lang::Ru, EmailSaved { name }) => format!("✅ Почта сохранена: {name}."),
        (Lang::En, EmailInUse { email }) => format!("{email} belongs to someone else in the directory."),
        (Lang::Ru, EmailInUse { email }) => format!("{email} уже указана у другого человека в справочнике."),
        (Lang::En, CommentSaved { name }) => format!("✅ Comment on {name} saved."),
        (Lang::Ru, CommentSaved { name }) => format!("✅ Комментарий сохранён: {name}."),
        (Lang::En, Linked { name, user }) => format!("🔗 {name} is now linked to {user}."),
        (Lang::Ru, Linked { name, user }) => format!("🔗 Привязка сохранена: {name} — это {user} в Telegram."),
        (Lang::En, Unlinked { name }) => format!("{name} is no longer linked to a Telegram user."),
        (Lang::Ru, Unlinked { name }) => format!("Привязка к Telegram снята: {name}."),
        (Lang::En, UnknownUser { input }) => {
            format!("No Telegram user “{input}” has started the bot. Send an @username or a numeric id, or /cancel.")
        }
        (Lang::Ru, UnknownUser { input }) => format!(
            "Пользователь Telegram «{input}» бота не запускал. Пришлите @username или числовой id либо /cancel."
        ),
        (Lang::En, UserTaken { user }) => format!("{user} is linked to another person already; unlink them first."),
        (Lang::Ru, UserTaken { user }) => {
            format!("Пользователь {user} уже привязан к другому человеку; сначала снимите ту привязку.")
        }
        (Lang::En, ConfirmDelete { name }) => format!("Delete {name} from the directory?"),
        (Lang::Ru, ConfirmDelete { name }) => format!("Удалить из справочника: {name}?"),
        (Lang::En, Deleted { name }) => format!("🗑 {name} was deleted from the directory."),
        (Lang::Ru, Deleted { name }) => format!("🗑 Удалено из справочника: {name}."),
        (Lang::En, HoldsDevices { name, n }) => {
            format!("{name} still holds {}: return or reassign them first.", count(lang, n, DEVICES))
        }
        (Lang::Ru, HoldsDevices { name, n }) => {
            format!("{name}: на руках ещё {}. Сначала их нужно вернуть или передать другому.", count(lang, n, DEVICES))
        }
        (Lang::En, PersonGone) => "This person is no longer in the directory.".into(),
        (Lang::Ru, PersonGone) => "Этого человека уже нет в справочнике.".into(),
    }
}

/// Why a file cannot be read, as a clause ("the file is empty").
pub fn import_error(lang: Lang, error: &ImportError) -> String {
    use ImportError::*;
    match (lang, error) {
        (Lang::En, Empty) => "the file is empty".into(),
        (Lang::Ru, Empty) => "файл пуст".into(),
        (Lang::En, Malformed { encoding }) => format!("it is not valid {encoding} text"),
        (Lang::Ru, Malformed { encoding }) => format!("это не текст в кодировке {encoding}"),
        (Lang::En, Workbook { detail, .. }) => format!("it does not open as a spreadsheet ({detail})"),
        (Lang::Ru, Workbook { detail, .. }) => format!("он не открывается как таблица ({detail})"),
        (Lang::En, Csv(detail)) => format!("the CSV cannot be read ({detail})"),
        (Lang::Ru, Csv(detail)) => format!("CSV не читается ({detail})"),
        (Lang::En, TooManyRows { max }) => format!("it has more than {max} rows"),
        (Lang::Ru, TooManyRows { max }) => format!("в нём больше {max} строк"),
        (Lang::En, MissingColumn(column)) => format!("there is no “{}” column", column_name(lang, *column)),
        (Lang::Ru, MissingColumn(column)) => format!("нет столбца «{}»", column_name(lang, *column)),
        (Lang::En, DuplicateColumn { column, first, second }) => {
            format!("the columns “{first}” and “{second}” both mean “{}”", column_name(lang, *column))
        }
        (Lang::Ru, DuplicateColumn { column, first, second }) => {
            format!("столбцы «{first}» и «{second}» оба означают «{}»", column_name(lang, *column))
        }
    }
}

/// Why one row is rejected, as a clause.
pub fn reject_reason(lang: Lang, kind: ImportKind, reason: &RejectReason) -> String {
    use RejectReason::*;
    match (lang, reason) {
        (_, Invalid(e)) => field_error(lang, kind, e),
        (Lang::En, DuplicateInFile { column, first_row }) => {
            format!("the same “{}” as row {first_row}", column_name(lang, *column))
        }
        (Lang::Ru, DuplicateInFile { column, first_row }) => {
            format!("значение «{}» повторяет строку {first_row}", column_name(lang, *column))
        }
        (Lang::En, ContactConflict) => "the email address is one person's and the phone number another's".into(),
        (Lang::Ru, ContactConflict) => "почта принадлежит одному человеку, а телефон — другому".into(),
        (Lang::En, TakenDevice) => "the device is taken; its state changes only when it is returned".into(),
        (Lang::Ru, TakenDevice) => "устройство выдано; его статус изменится только после возврата".into(),
        (Lang::En, NotTaken) => "a device becomes taken only when someone takes it".into(),
        (Lang::Ru, NotTaken) => "статус «выдано» устройство получает, только когда его кто-то берёт".into(),
    }
}

/// What is wrong with a value, as a clause.
pub fn field_error(lang: Lang, kind: ImportKind, error: &FieldError) -> String {
    use FieldError::*;
    match (lang, error) {
        (Lang::En, MissingName) => "the name is empty".into(),
        (Lang::Ru, MissingName) => match kind {
            ImportKind::Devices => "не указано наименование".into(),
            ImportKind::People => "не указано ФИО".into(),
        },
        (Lang::En, MissingInventoryNo) => "the inventory number is empty".into(),
        (Lang::Ru, MissingInventoryNo) => "не указан инвентарный номер".into(),
        (Lang::En, TooLong { column, chars, max }) => format!(
            "“{}” is {} long; at most {max} are accepted",
            column_name(lang, *column),
            count(lang, *chars as u64, CHARS)
        ),
        (Lang::Ru, TooLong { column, chars, max }) => format!(
            "в «{}» {}, а допускается не больше {max}",
            column_name(lang, *column),
            count(lang, *chars as u64, CHARS)
        ),
        (Lang::En, UnknownState(word)) => {
            format!("“{word}” is not a state (available, taken, broken, retired)")
        }
        (Lang::Ru, UnknownState(word)) => {
            format!("«{word}» — не статус (доступно, выдано, неисправно, списано)")
        }
        (Lang::En, MissingContact) => {
            "neither an email address, a phone number nor a Telegram username is given".into()
        }
        (Lang::Ru, MissingContact) => "нет ни почты, ни телефона, ни имени в Telegram".into(),
        (Lang::En, InvalidEmail(value)) => format!("“{value}” is not an email address"),
        (Lang::Ru, InvalidEmail(value)) => format!("«{value}» — не адрес электронной почты"),
        (Lang::En, InvalidPhone(value)) => format!("“{value}” is not a phone number"),
        (Lang::Ru, InvalidPhone(value)) => format!("«{value}» — не номер телефона"),
        (Lang::En, InvalidUsername(value)) => format!("“{value}” is not a Telegram username"),
        (Lang::Ru, InvalidUsername(value)) => format!("«{value}» — не имя пользователя Telegram"),
    }
}

/// A column by its header in the reader's language (the headers list English first, Russian
/// second).
pub fn column_name(lang: Lang, column: ColumnName) -> &'static str {
    let headers = match column {
        ColumnName::Device(c) => c.headers(),
        ColumnName::Person(c) => c.headers(),
    };
    match lang {
        Lang::En => headers[0],
        Lang::Ru => headers[1],
    }
}

fn delimiter_name(lang: Lang, delimiter: char) -> String {
    match (lang, delimiter) {
        (Lang::En, ';') => "semicolons".into(),
        (Lang::Ru, ';') => "точка с запятой".into(),
        (Lang::En, ',') => "commas".into(),
        (Lang::Ru, ',') => "запятая".into(),
        (Lang::En, '\t') => "tabs".into(),
        (Lang::Ru, '\t') => "табуляция".into(),
        (_, other) => format!("«{other}»"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::equipment::device::DeviceColumn;

    #[test]
    fn reasons_read_naturally_in_both_languages() {
        let column = ColumnName::Device(DeviceColumn::InventoryNo);
        assert_eq!(import_error(Lang::Ru, &ImportError::MissingColumn(column)), "нет столбца «Инвентарный номер»");
        let long = FieldError::TooLong { column: ColumnName::Device(DeviceColumn::Name), chars: 201, max: 200 };
        assert_eq!(
            field_error(Lang::Ru, ImportKind::Devices, &long),
            "в «Наименование» 201 символ, а допускается не больше 200"
        );
        assert_eq!(
            field_error(Lang::En, ImportKind::Devices, &long),
            "“Name” is 201 characters long; at most 200 are accepted"
        );
        let duplicate = RejectReason::DuplicateInFile { column, first_row: 2 };
        assert_eq!(
            reject_reason(Lang::Ru, ImportKind::Devices, &duplicate),
            "значение «Инвентарный номер» повторяет строку 2"
        );
        assert_eq!(t(Lang::Ru, Text::ExportCaption { devices: 3 }), "📦 Всего 3 устройства.");
    }
}
