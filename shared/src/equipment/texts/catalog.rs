//! The catalog texts of the equipment slice (see `super`): adding a device, its card and history,
//! the lists and search, `/edit` and the label sheets.

use crate::equipment::device::DeviceColumn;
use crate::equipment::field::{ColumnName, FieldError};
use crate::i18n::{Forms, Lang, count};

const DEVICES: [Forms; 2] = [Forms::en("device", "devices"), Forms::ru("устройство", "устройства", "устройств")];
const PEOPLE: [Forms; 2] = [Forms::en("person", "people"), Forms::ru("человек", "человека", "человек")];
const CHARS: [Forms; 2] = [Forms::en("character", "characters"), Forms::ru("символ", "символа", "символов")];
const LABELS: [Forms; 2] = [Forms::en("label", "labels"), Forms::ru("наклейка", "наклейки", "наклеек")];

/// A text of the catalog.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Text<'a> {
    CmdAll,
    CmdCategories,
    CmdFind,
    CmdDevice,
    CmdHistory,
    CmdEdit,
    CmdLabels,
    /// The `/add` chooser's button.
    AddLabel,
    /// The one-message form, as `/add` lists it.
    AddForm,
    /// A column's name: "Inventory number".
    Column(DeviceColumn),
    /// A field value that is not accepted, in words.
    BadField(&'a FieldError),
    /// A finished step of a dialogue: "✅ Name: Move/5000".
    StepDone {
        label: &'a str,
        value: &'a str,
    },
    AskName,
    AskCategory {
        any: bool,
    },
    AskInventory,
    AskOptional {
        label: &'a str,
    },
    /// The problem with a typed answer, and the step asked again.
    Reask {
        problem: &'a str,
    },
    InventoryTaken {
        inventory_no: &'a str,
        title: &'a str,
    },
    SkipButton,
    FinishButton,
    /// Shown for an empty value.
    Empty,
    Added {
        id: i64,
    },
    NoCategory,
    // Cards and history.
    NoDevice {
        id: i64,
    },
    DeviceUsage,
    HistoryUsage,
    EditUsage,
    CardState {
        state: &'a str,
    },
    /// Who has it: since a date, until a date or without one.
    CardHolder {
        holder: &'a str,
        since: &'a str,
        due: Option<&'a str>,
    },
    CardHeld {
        holder: &'a str,
        until: &'a str,
    },
    CardWaiting {
        n: u64,
    },
    TakeButton,
    JoinButton,
    LeaveButton,
    ReturnButton,
    HistoryButton,
    EditButton,
    BackButton,
    HistoryHeader {
        title: &'a str,
    },
    HistoryLine {
        holder: &'a str,
        from: &'a str,
        to: Option<&'a str>,
    },
    HistoryEmpty,
    // Lists and search.
    AllHeader {
        total: u64,
        page: u64,
        pages: u64,
    },
    CategoryHeader {
        category: &'a str,
        total: u64,
        page: u64,
        pages: u64,
    },
    CategoriesHeader {
        total: u64,
        page: u64,
        pages: u64,
    },
    CategoryLine {
        category: &'a str,
        n: u64,
    },
    NoDevices,
    ListHint,
    FindUsage,
    FindNothing {
        needle: &'a str,
    },
    /// `total` devices found (more than that when `capped`), the first `shown` of them listed.
    FoundDevices {
        total: u64,
        capped: bool,
        shown: u64,
    },
    FoundPeople {
        total: u64,
    },
    /// A person of the directory and what they hold.
    PersonHolds {
        name: &'a str,
        holds: &'a str,
    },
    HoldsNothing,
    NotLinked,
    // Editing.
    EditMenu {
        card: &'a str,
    },
    AssignButton,
    UnassignButton,
    MarkButton(crate::equipment::device::DeviceState),
    DeleteButton,
    AskValue {
        label: &'a str,
        current: &'a str,
        optional: bool,
    },
    Changed {
        label: &'a str,
        value: &'a str,
    },
    AskAssignee,
    NoSuchUser {
        input: &'a str,
    },
    ManyUsers {
        input: &'a str,
        names: &'a str,
    },
    AskDue {
        holder: &'a str,
    },
    NoDueButton,
    BadDate,
    PastDate,
    Assigned {
        title: &'a str,
        holder: &'a str,
        due: Option<&'a str>,
    },
    Unassigned {
        title: &'a str,
    },
    NotTaken,
    AlreadyTaken {
        holder: &'a str,
    },
    Unavailable {
        state: &'a str,
    },
    Marked {
        title: &'a str,
        state: &'a str,
    },
    UnassignFirst {
        title: &'a str,
    },
    DeleteConfirm {
        title: &'a str,
    },
    Deleted {
        title: &'a str,
    },
    // Labels.
    LabelsCaption {
        n: u64,
    },
    LabelsCut {
        n: u64,
        total: u64,
    },
    NoLabels,
}

pub fn t(lang: Lang, text: Text<'_>) -> String {
    use Text::*;
    match (lang, text) {
        (Lang::En, CmdAll) => "every device, its state and holder".into(),
        (Lang::Ru, CmdAll) => "все устройства, их статус и у кого они".into(),
        (Lang::En, CmdCategories) => "devices by category".into(),
        (Lang::Ru, CmdCategories) => "устройства по категориям".into(),
        (Lang::En, CmdFind) => "<text> — find devices by name, inventory or serial number, and people".into(),
        (Lang::Ru, CmdFind) => {
            "<текст> — найти устройство по названию, инвентарному или серийному номеру и людей".into()
        }
        (Lang::En, CmdDevice) => "<id> — a device's card".into(),
        (Lang::Ru, CmdDevice) => "<id> — карточка устройства".into(),
        (Lang::En, CmdHistory) => "<id> — who had a device, and when".into(),
        (Lang::Ru, CmdHistory) => "<id> — у кого было устройство и когда".into(),
        (Lang::En, CmdEdit) => "<id> — change, assign, mark or delete a device".into(),
        (Lang::Ru, CmdEdit) => "<id> — изменить, выдать, пометить или удалить устройство".into(),
        (Lang::En, CmdLabels) => "[category] — a PDF sheet of QR-code labels".into(),
        (Lang::Ru, CmdLabels) => "[категория] — PDF с наклейками с QR-кодами".into(),
        (Lang::En, AddLabel) => "🖥 Device".into(),
        (Lang::Ru, AddLabel) => "🖥 Устройство".into(),
        (Lang::En, AddForm) => "/add <name> | <category> | <inventory number> — a device".into(),
        (Lang::Ru, AddForm) => "/add <название> | <категория> | <инвентарный номер> — устройство".into(),
        (lang, Column(column)) => column_name(lang, column).into(),
        (lang, BadField(error)) => field_error(lang, error),
        (_, StepDone { label, value }) => format!("✅ {label}: {value}"),
        (Lang::En, AskName) => "🖥 A new device. What is it called?\n\n/cancel stops.".into(),
        (Lang::Ru, AskName) => "🖥 Новое устройство. Как оно называется?\n\n/cancel — отменить.".into(),
        (Lang::En, AskCategory { any: true }) => "Its category? Press one or type a new one.".into(),
        (Lang::Ru, AskCategory { any: true }) => "Категория? Нажмите одну из кнопок или напишите новую.".into(),
        (Lang::En, AskCategory { any: false }) => "Its category? Type it, or press Skip.".into(),
        (Lang::Ru, AskCategory { any: false }) => "Категория? Напишите её или нажмите «Пропустить».".into(),
        (Lang::En, AskInventory) => "Its inventory number? Each device has its own.".into(),
        (Lang::Ru, AskInventory) => "Инвентарный номер? У каждого устройства он свой.".into(),
        (Lang::En, AskOptional { label }) => format!("{label}? Type it, or press Skip."),
        (Lang::Ru, AskOptional { label }) => format!("{label}? Напишите или нажмите «Пропустить»."),
        (Lang::En, Reask { problem }) => format!("{problem} Send it again, or /cancel."),
        (Lang::Ru, Reask { problem }) => format!("{problem} Пришлите ещё раз или /cancel."),
        (Lang::En, InventoryTaken { inventory_no, title }) => {
            format!("Inventory number {inventory_no} is already {title}.")
        }
        (Lang::Ru, InventoryTaken { inventory_no, title }) => {
            format!("Инвентарный номер {inventory_no} уже занят: {title}.")
        }
        (Lang::En, SkipButton) => "Skip ›".into(),
        (Lang::Ru, SkipButton) => "Пропустить ›".into(),
        (Lang::En, FinishButton) => "✅ Add now".into(),
        (Lang::Ru, FinishButton) => "✅ Добавить сейчас".into(),
        (Lang::En, Empty) => "—".into(),
        (Lang::Ru, Empty) => "—".into(),
        (Lang::En, Added { id }) => format!("✅ Device #{id} added."),
        (Lang::Ru, Added { id }) => format!("✅ Устройство #{id} добавлено."),
        (Lang::En, NoCategory) => "(no category)".into(),
        (Lang::Ru, NoCategory) => "(без категории)".into(),
        (Lang::En, NoDevice { id }) => format!("There is no device #{id}."),
        (Lang::Ru, NoDevice { id }) => format!("Устройства #{id} нет."),
        (Lang::En, DeviceUsage) => "Send /device <id>, for example /device 12.".into(),
        (Lang::Ru, DeviceUsage) => "Отправьте /device <id>, например /device 12.".into(),
        (Lang::En, HistoryUsage) => "Send /history <id>, for example /history 12.".into(),
        (Lang::Ru, HistoryUsage) => "Отправьте /history <id>, например /history 12.".into(),
        (Lang::En, EditUsage) => "Send /edit <id>, for example /edit 12.".into(),
        (Lang::Ru, EditUsage) => "Отправьте /edit <id>, например /edit 12.".into(),
        (Lang::En, CardState { state }) => format!("State: {state}"),
        (Lang::Ru, CardState { state }) => format!("Статус: {state}"),
        (Lang::En, CardHolder { holder, since, due: Some(due) }) => {
            format!("👤 {holder} has it since {since}, until {due}")
        }
        (Lang::Ru, CardHolder { holder, since, due: Some(due) }) => format!("👤 У {holder} с {since} до {due}"),
        (Lang::En, CardHolder { holder, since, due: None }) => {
            format!("👤 {holder} has it since {since}, no due date")
        }
        (Lang::Ru, CardHolder { holder, since, due: None }) => format!("👤 У {holder} с {since}, без срока"),
        (Lang::En, CardHeld { holder, until }) => format!("📦 Held for {holder} until {until}"),
        (Lang::Ru, CardHeld { holder, until }) => format!("📦 Закреплено за {holder} до {until}"),
        (Lang::En, CardWaiting { n }) => format!("⏳ Waitlist: {}", count(lang, n, PEOPLE)),
        (Lang::Ru, CardWaiting { n }) => format!("⏳ В очереди: {}", count(lang, n, PEOPLE)),
        (Lang::En, TakeButton) => "📥 Take".into(),
        (Lang::Ru, TakeButton) => "📥 Взять".into(),
        (Lang::En, JoinButton) => "⏳ Join waitlist".into(),
        (Lang::Ru, JoinButton) => "⏳ Встать в очередь".into(),
        (Lang::En, LeaveButton) => "🚶 Leave waitlist".into(),
        (Lang::Ru, LeaveButton) => "🚶 Выйти из очереди".into(),
        (Lang::En, ReturnButton) => "📤 Return".into(),
        (Lang::Ru, ReturnButton) => "📤 Вернуть".into(),
        (Lang::En, HistoryButton) => "📜 History".into(),
        (Lang::Ru, HistoryButton) => "📜 История".into(),
        (Lang::En, EditButton) => "✏️ Edit".into(),
        (Lang::Ru, EditButton) => "✏️ Изменить".into(),
        (Lang::En, BackButton) => "‹ Back".into(),
        (Lang::Ru, BackButton) => "‹ Назад".into(),
        (Lang::En, HistoryHeader { title }) => format!("📜 Who had {title}:"),
        (Lang::Ru, HistoryHeader { title }) => format!("📜 У кого было {title}:"),
        (Lang::En, HistoryLine { holder, from, to: Some(to) }) => format!("• {holder}: {from} – {to}"),
        (Lang::Ru, HistoryLine { holder, from, to: Some(to) }) => format!("• {holder}: {from} – {to}"),
        (Lang::En, HistoryLine { holder, from, to: None }) => format!("• {holder}: since {from}, has it now"),
        (Lang::Ru, HistoryLine { holder, from, to: None }) => format!("• {holder}: с {from}, сейчас у него"),
        (Lang::En, HistoryEmpty) => "Nobody has had it yet.".into(),
        (Lang::Ru, HistoryEmpty) => "Его ещё никто не брал.".into(),
        (Lang::En, AllHeader { total, page, pages }) => {
            format!("📋 {} · page {page}/{pages}", count(lang, total, DEVICES))
        }
        (Lang::Ru, AllHeader { total, page, pages }) => {
            format!("📋 {} · стр. {page}/{pages}", count(lang, total, DEVICES))
        }
        (Lang::En, CategoryHeader { category, total, page, pages }) => {
            format!("🗂 {category}: {} · page {page}/{pages}", count(lang, total, DEVICES))
        }
        (Lang::Ru, CategoryHeader { category, total, page, pages }) => {
            format!("🗂 {category}: {} · стр. {page}/{pages}", count(lang, total, DEVICES))
        }
        (Lang::En, CategoriesHeader { total, page, pages }) => format!("🗂 Categories: {total} · page {page}/{pages}"),
        (Lang::Ru, CategoriesHeader { total, page, pages }) => format!("🗂 Категорий: {total} · стр. {page}/{pages}"),
        (_, CategoryLine { category, n }) => format!("{category} · {}", count(lang, n, DEVICES)),
        (Lang::En, NoDevices) => "No devices yet. An admin adds them with /add.".into(),
        (Lang::Ru, NoDevices) => "Устройств пока нет. Администратор добавляет их командой /add.".into(),
        (Lang::En, ListHint) => "Press a device to open its card.".into(),
        (Lang::Ru, ListHint) => "Нажмите на устройство, чтобы открыть его карточку.".into(),
        (Lang::En, FindUsage) => "Send /find <text>: a name, an inventory or serial number, or a person's name.".into(),
        (Lang::Ru, FindUsage) => {
            "Отправьте /find <текст>: название, инвентарный или серийный номер или имя человека.".into()
        }
        (Lang::En, FindNothing { needle }) => format!("Nothing matches “{needle}”."),
        (Lang::Ru, FindNothing { needle }) => format!("По запросу «{needle}» ничего не найдено."),
        (Lang::En, FoundDevices { total, capped: true, shown }) => {
            format!("🔎 More than {}, the first {shown}:", count(lang, total, DEVICES))
        }
        (Lang::Ru, FoundDevices { total, capped: true, shown }) => {
            format!("🔎 Найдено больше {}, первые {shown}:", count(lang, total, DEVICES))
        }
        (Lang::En, FoundDevices { total, shown, .. }) if total > shown => {
            format!("🔎 {}, the first {shown}:", count(lang, total, DEVICES))
        }
        (Lang::Ru, FoundDevices { total, shown, .. }) if total > shown => {
            format!("🔎 Найдено: {}, первые {shown}:", count(lang, total, DEVICES))
        }
        (Lang::En, FoundDevices { total, .. }) => format!("🔎 {}:", count(lang, total, DEVICES)),
        (Lang::Ru, FoundDevices { total, .. }) => format!("🔎 Найдено: {}", count(lang, total, DEVICES)),
        (Lang::En, FoundPeople { total }) => format!("👥 {}:", count(lang, total, PEOPLE)),
        (Lang::Ru, FoundPeople { total }) => format!("👥 Люди: {}", count(lang, total, PEOPLE)),
        (Lang::En, PersonHolds { name, holds }) => format!("• {name} has: {holds}"),
        (Lang::Ru, PersonHolds { name, holds }) => format!("• {name}, на руках: {holds}"),
        (Lang::En, HoldsNothing) => "nothing".into(),
        (Lang::Ru, HoldsNothing) => "ничего".into(),
        (Lang::En, NotLinked) => "not linked to a Telegram user".into(),
        (Lang::Ru, NotLinked) => "не связан с пользователем Telegram".into(),
        (Lang::En, EditMenu { card }) => format!("✏️ Editing\n\n{card}\n\nWhat should change?"),
        (Lang::Ru, EditMenu { card }) => format!("✏️ Изменение\n\n{card}\n\nЧто поменять?"),
        (Lang::En, AssignButton) => "👤 Assign".into(),
        (Lang::Ru, AssignButton) => "👤 Выдать".into(),
        (Lang::En, UnassignButton) => "📤 Unassign".into(),
        (Lang::Ru, UnassignButton) => "📤 Забрать".into(),
        (lang, MarkButton(state)) => super::common::state(lang, state).into(),
        (Lang::En, DeleteButton) => "🗑 Delete".into(),
        (Lang::Ru, DeleteButton) => "🗑 Удалить".into(),
        (Lang::En, AskValue { label, current, optional }) => format!(
            "{label} now: {current}\nSend the new value{}, or /cancel.",
            if optional { " (a single - clears it)" } else { "" }
        ),
        (Lang::Ru, AskValue { label, current, optional }) => format!(
            "{label} сейчас: {current}\nПришлите новое значение{} или /cancel.",
            if optional { " (один знак - очищает поле)" } else { "" }
        ),
        (Lang::En, Changed { label, value }) => format!("✅ {label}: {value}"),
        (Lang::Ru, Changed { label, value }) => format!("✅ {label}: {value}"),
        (Lang::En, AskAssignee) => {
            "Who gets it? Send their @username, Telegram id or name (from the people directory), or /cancel.".into()
        }
        (Lang::Ru, AskAssignee) => {
            "Кому выдать? Пришлите @username, Telegram id или имя (из справочника людей) или /cancel.".into()
        }
        (Lang::En, NoSuchUser { input }) => {
            format!("Nobody who has started the bot matches “{input}”.")
        }
        (Lang::Ru, NoSuchUser { input }) => {
            format!("Под «{input}» не подходит никто из тех, кто запускал бота.")
        }
        (Lang::En, ManyUsers { input, names }) => {
            format!("“{input}” matches several people: {names}. Be more precise.")
        }
        (Lang::Ru, ManyUsers { input, names }) => {
            format!("Под «{input}» подходят несколько человек: {names}. Уточните.")
        }
        (Lang::En, AskDue { holder }) => format!(
            "Until when does {holder} keep it? Send the last day (2026-05-31 or 31.05.2026), or press No due date."
        ),
        (Lang::Ru, AskDue { holder }) => format!(
            "До какого числа оно у {holder}? Пришлите последний день (2026-05-31 или 31.05.2026) или нажмите «Без срока»."
        ),
        (Lang::En, NoDueButton) => "No due date".into(),
        (Lang::Ru, NoDueButton) => "Без срока".into(),
        (Lang::En, BadDate) => "That is not a date: send 2026-05-31 or 31.05.2026.".into(),
        (Lang::Ru, BadDate) => "Это не дата: пришлите 2026-05-31 или 31.05.2026.".into(),
        (Lang::En, PastDate) => "That day has passed: send today or a later day.".into(),
        (Lang::Ru, PastDate) => "Этот день уже прошёл: пришлите сегодняшний или более поздний.".into(),
        (Lang::En, Assigned { title, holder, due: Some(due) }) => {
            format!("✅ {title} is now with {holder} until {due}.")
        }
        (Lang::Ru, Assigned { title, holder, due: Some(due) }) => format!("✅ {title} выдано: {holder}, до {due}."),
        (Lang::En, Assigned { title, holder, due: None }) => format!("✅ {title} is now with {holder}, no due date."),
        (Lang::Ru, Assigned { title, holder, due: None }) => format!("✅ {title} выдано: {holder}, без срока."),
        (Lang::En, Unassigned { title }) => format!("✅ {title} is back."),
        (Lang::Ru, Unassigned { title }) => format!("✅ {title} возвращено."),
        (Lang::En, NotTaken) => "Nobody has it.".into(),
        (Lang::Ru, NotTaken) => "Оно ни у кого не числится.".into(),
        (Lang::En, AlreadyTaken { holder }) => format!("{holder} has it: unassign it first."),
        (Lang::Ru, AlreadyTaken { holder }) => format!("Оно у {holder}: сначала заберите его."),
        (Lang::En, Unavailable { state }) => format!("It is {state}: mark it available first."),
        (Lang::Ru, Unavailable { state }) => format!("Его статус «{state}»: сначала пометьте его доступным."),
        (Lang::En, Marked { title, state }) => format!("✅ {title}: {state}."),
        (Lang::Ru, Marked { title, state }) => format!("✅ {title}: {state}."),
        (Lang::En, UnassignFirst { title }) => format!("{title} is taken: unassign it first."),
        (Lang::Ru, UnassignFirst { title }) => format!("{title} сейчас выдано: сначала заберите его."),
        (Lang::En, DeleteConfirm { title }) => {
            format!("Delete {title}? Its waitlist and its loan history are deleted with it.")
        }
        (Lang::Ru, DeleteConfirm { title }) => {
            format!("Удалить {title}? Вместе с ним удалятся очередь и история выдач.")
        }
        (Lang::En, Deleted { title }) => format!("🗑 {title} deleted."),
        (Lang::Ru, Deleted { title }) => format!("🗑 {title} удалено."),
        (Lang::En, LabelsCaption { n }) => format!("🏷 {}: print, cut, stick.", count(lang, n, LABELS)),
        (Lang::Ru, LabelsCaption { n }) => format!("🏷 {}: распечатайте, разрежьте, наклейте.", count(lang, n, LABELS)),
        (Lang::En, LabelsCut { n, total }) => {
            format!("The sheet has the first {n} of {}: name a category for the rest.", count(lang, total, DEVICES))
        }
        (Lang::Ru, LabelsCut { n, total }) => {
            format!("В файле первые {n} из {}: для остальных укажите категорию.", count(lang, total, DEVICES))
        }
        (Lang::En, NoLabels) => "No devices to label.".into(),
        (Lang::Ru, NoLabels) => "Нет устройств для наклеек.".into(),
    }
}

/// A column's name, capitalized as a label.
fn column_name(lang: Lang, column: DeviceColumn) -> &'static str {
    use DeviceColumn::*;
    match (lang, column) {
        (Lang::En, Name) => "Name",
        (Lang::Ru, Name) => "Название",
        (Lang::En, Category) => "Category",
        (Lang::Ru, Category) => "Категория",
        (Lang::En, InventoryNo) => "Inventory number",
        (Lang::Ru, InventoryNo) => "Инвентарный номер",
        (Lang::En, SerialNo) => "Serial number",
        (Lang::Ru, SerialNo) => "Серийный номер",
        (Lang::En, Model) => "Model",
        (Lang::Ru, Model) => "Модель",
        (Lang::En, Location) => "Location",
        (Lang::Ru, Location) => "Где находится",
        (Lang::En, Description) => "Description",
        (Lang::Ru, Description) => "Описание",
        (Lang::En, Condition) => "Condition note",
        (Lang::Ru, Condition) => "Заметка о состоянии",
        (Lang::En, State) => "State",
        (Lang::Ru, State) => "Статус",
    }
}

fn field_error(lang: Lang, error: &FieldError) -> String {
    match (lang, error) {
        (Lang::En, FieldError::MissingName) => "The name cannot be empty.".into(),
        (Lang::Ru, FieldError::MissingName) => "Название не может быть пустым.".into(),
        (Lang::En, FieldError::MissingInventoryNo) => "The inventory number cannot be empty.".into(),
        (Lang::Ru, FieldError::MissingInventoryNo) => "Инвентарный номер не может быть пустым.".into(),
        (_, FieldError::TooLong { column, chars, max }) => {
            let label = match column {
                ColumnName::Device(c) => column_name(lang, *c),
                ColumnName::Person(_) => "",
            };
            let (chars, max) = (*chars as u64, *max as u64);
            match lang {
                Lang::En => format!("{label}: {} is too long; at most {} fit.", count(lang, chars, CHARS), max),
                Lang::Ru => format!("{label}: {} — слишком длинно, можно не больше {max}.", count(lang, chars, CHARS)),
            }
        }
        (Lang::En, FieldError::UnknownState(word)) => format!("“{word}” is not a state."),
        (Lang::Ru, FieldError::UnknownState(word)) => format!("«{word}» — не статус устройства."),
        (Lang::En, _) => "That value is not accepted.".into(),
        (Lang::Ru, _) => "Такое значение не подходит.".into(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_take_the_russian_plural_forms() {
        assert_eq!(t(Lang::Ru, Text::CardWaiting { n: 3 }), "⏳ В очереди: 3 человека");
        assert_eq!(
            t(Lang::Ru, Text::FoundDevices { total: 21, capped: false, shown: 21 }),
            "🔎 Найдено: 21 устройство"
        );
        let many = Text::FoundDevices { total: 1000, capped: true, shown: 20 };
        assert_eq!(t(Lang::Ru, many), "🔎 Найдено больше 1000 устройств, первые 20:");
        assert_eq!(t(Lang::Ru, Text::LabelsCaption { n: 5 }).split(':').next(), Some("🏷 5 наклеек"));
        assert_eq!(t(Lang::En, Text::CategoryLine { category: "Phones", n: 1 }), "Phones · 1 device");
        let long = FieldError::TooLong { column: ColumnName::Device(DeviceColumn::Model), chars: 201, max: 200 };
        assert_eq!(t(Lang::Ru, Text::BadField(&long)), "Модель: 201 символ — слишком длинно, можно не больше 200.");
    }
}
