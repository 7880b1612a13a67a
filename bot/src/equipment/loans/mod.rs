//! Taking, returning and the waitlist in the bot: `/take <id> [until]`, `/return <id>`, `/mine`,
//! `/wishlist [id]` ([`lists`] shows `/mine` and `/wishlist`), and the buttons that do the same
//! from cards, lists and the waitlist's offer (Take, Return, Join, Leave, Claim, Pass).
//!
//! Every change of hands goes through `shared::equipment::loans`; this module parses, reads the
//! device for its title, and puts the outcome (or the reason it did not happen) into words. Button
//! data is untrusted: a press about a device that does not exist is answered and changes nothing,
//! and Claim / Pass check that the device is still held for the one who presses.

use chrono::NaiveDate;
use sea_orm::EntityTrait;
use shared::audit::Entry;
use shared::entities::{device, user};
use shared::equipment::device::DeviceState;
use shared::equipment::due::{self, DueError};
use shared::equipment::loans::{self, LoanError, Rules, Take};
use shared::equipment::press::{DevicePress, Press};
use shared::equipment::texts::common::date;
use shared::equipment::texts::loans::{Text, t};
use shared::i18n::Lang;
use shared::tz;
use teloxide::types::{InlineKeyboardButton, InlineKeyboardMarkup};

use crate::HandlerResult;
use crate::cx::Cx;
use crate::slice::{Audience, Slice};

mod lists;

/// Adds `/take`, `/return`, `/mine` and `/wishlist`.
pub fn register(slice: Slice) -> Slice {
    slice
        .command("take", Audience::Member, |l| t(l, Text::CmdTake), take)
        .command("return", Audience::Member, |l| t(l, Text::CmdReturn), return_device)
        .command("mine", Audience::Member, |l| t(l, Text::CmdMine), lists::mine)
        .command("wishlist", Audience::Member, |l| t(l, Text::CmdWishlist), wishlist)
}

/// The Take, Return, Join, Leave, Claim and Pass buttons (the card's Open and History, and the
/// lists' pages, are the catalog's).
pub async fn on_press(cx: Cx, press: DevicePress) -> HandlerResult {
    let id = match press {
        DevicePress::Take(id)
        | DevicePress::Return(id)
        | DevicePress::JoinWaitlist(id)
        | DevicePress::LeaveWaitlist(id)
        | DevicePress::Claim(id)
        | DevicePress::Pass(id) => id,
        DevicePress::Open(_) | DevicePress::History(_) | DevicePress::Page { .. } | DevicePress::Categories(_) => {
            return cx.answer(Some(shared::i18n::t(cx.lang(), shared::i18n::Text::ButtonExpired))).await;
        }
    };
    let Some(device) = device::Entity::find_by_id(id).one(&cx.deps.db).await? else {
        return cx.answer(Some(t(cx.lang(), Text::NoDevice { id }))).await;
    };
    match press {
        DevicePress::Claim(_) => return claim(&cx, &device).await,
        DevicePress::Pass(_) => return pass(&cx, &device).await,
        _ => {}
    }
    cx.answer(None).await?;
    let answer = match press {
        DevicePress::Take(_) => take_device(&cx, &device, None).await?,
        DevicePress::Return(_) => give_back(&cx, &device).await?,
        DevicePress::JoinWaitlist(_) => join(&cx, &device).await?,
        _ => leave(&cx, &device).await?,
    };
    answer.send(&cx).await
}

/// A command's or button's outcome: a message and its buttons.
struct Answer {
    text: String,
    buttons: Vec<Vec<InlineKeyboardButton>>,
}

impl Answer {
    fn text(text: String) -> Self {
        Self { text, buttons: Vec::new() }
    }

    fn with(text: String, row: Vec<InlineKeyboardButton>) -> Self {
        Self { text, buttons: vec![row] }
    }

    async fn send(self, cx: &Cx) -> HandlerResult {
        if self.buttons.is_empty() {
            cx.reply(self.text).await
        } else {
            cx.reply_with(self.text, InlineKeyboardMarkup::new(self.buttons)).await
        }
    }
}

/// A button of this part.
fn button(text: String, press: DevicePress) -> InlineKeyboardButton {
    InlineKeyboardButton::callback(text, Press::Device(press).data())
}

/// A device id as typed: `12` or `#12`.
pub fn device_id(word: &str) -> Option<i64> {
    word.strip_prefix('#').unwrap_or(word).parse::<i64>().ok().filter(|id| *id > 0)
}

/// What is wrong with a `/take`.
#[derive(Debug, PartialEq, Eq)]
pub enum TakeError {
    Usage,
    Due(DueError),
}

impl TakeError {
    fn render(&self, lang: Lang) -> String {
        match self {
            TakeError::Usage => t(lang, Text::TakeUsage),
            TakeError::Due(DueError::Malformed(input)) => t(lang, Text::DueMalformed { input }),
            TakeError::Due(DueError::Past(day)) => t(lang, Text::DuePast { day: &date(lang, *day) }),
            TakeError::Due(DueError::TooFar { latest, .. }) => {
                t(lang, Text::DueTooFar { latest: &date(lang, *latest) })
            }
        }
    }
}

/// `<id> [until]`: the device and its due date, seen from `today` (the caller's local date).
/// `until` may have spaces (`3 дня`).
pub fn parse_take(args: &str, today: NaiveDate) -> Result<(i64, Option<NaiveDate>), TakeError> {
    let args = args.trim();
    let (id, until) = args.split_once(char::is_whitespace).unwrap_or((args, ""));
    let id = device_id(id).ok_or(TakeError::Usage)?;
    let until = until.trim();
    if until.is_empty() {
        return Ok((id, None));
    }
    Ok((id, Some(due::parse(until, today).map_err(TakeError::Due)?)))
}

/// `/take <id> [until]`.
async fn take(cx: Cx, args: String) -> HandlerResult {
    let (id, due_on) = match parse_take(&args, lists::today(&cx)) {
        Ok(request) => request,
        Err(e) => return cx.reply(e.render(cx.lang())).await,
    };
    let answer = match find(&cx, id).await? {
        Ok(device) => take_device(&cx, &device, due_on).await?,
        Err(missing) => missing,
    };
    answer.send(&cx).await
}

/// `/return <id>`.
async fn return_device(cx: Cx, args: String) -> HandlerResult {
    let Some(id) = device_id(args.trim()) else {
        return cx.reply(t(cx.lang(), Text::ReturnUsage)).await;
    };
    let answer = match find(&cx, id).await? {
        Ok(device) => give_back(&cx, &device).await?,
        Err(missing) => missing,
    };
    answer.send(&cx).await
}

/// `/wishlist <id>` joins a device's waitlist; `/wishlist` alone lists the caller's places.
async fn wishlist(cx: Cx, args: String) -> HandlerResult {
    if args.trim().is_empty() {
        return lists::places(cx).await;
    }
    let Some(id) = device_id(args.trim()) else {
        return cx.reply(t(cx.lang(), Text::WishlistUsage)).await;
    };
    let answer = match find(&cx, id).await? {
        Ok(device) => join(&cx, &device).await?,
        Err(missing) => missing,
    };
    answer.send(&cx).await
}

/// The device, or the answer that there is none.
async fn find(cx: &Cx, id: i64) -> anyhow::Result<Result<device::Model, Answer>> {
    Ok(device::Entity::find_by_id(id)
        .one(&cx.deps.db)
        .await?
        .ok_or_else(|| Answer::text(t(cx.lang(), Text::NoDevice { id }))))
}

fn rules(cx: &Cx) -> Rules {
    Rules { hold: cx.deps.settings.wishlist_hold, default_zone: cx.deps.settings.timezone }
}

/// The caller takes the device, until `due_on` (their local date) if given.
async fn take_device(cx: &Cx, device: &device::Model, due_on: Option<NaiveDate>) -> anyhow::Result<Answer> {
    let (lang, id) = (cx.lang(), device.id);
    let take = Take { device_id: id, holder_id: cx.caller.user_id, due_on, assigned_by: None };
    let loan = match loans::take(&cx.deps.db, take, cx.now).await {
        Ok(loan) => loan,
        Err(e) => return refusal(cx, device, e).await,
    };
    let due = loan.due_on.map(|d| d.to_string()).unwrap_or_else(|| "none".into());
    cx.audit(Entry::new("device.take", "device", id).detail(format!("due {due}"))).await?;
    tracing::info!(device_id = id, holder = cx.caller.user_id, "device taken");
    let name = device.title();
    let text = match loan.due_on {
        Some(day) => t(lang, Text::TakenDue { title: &name, due: &date(lang, day) }),
        None => t(lang, Text::TakenNoDue { title: &name }),
    };
    Ok(Answer::with(text, vec![button(t(lang, Text::ReturnButton), DevicePress::Return(id))]))
}

/// The caller returns the device: its holder, or an admin for anyone (the holder is then told).
async fn give_back(cx: &Cx, device: &device::Model) -> anyhow::Result<Answer> {
    let (lang, id) = (cx.lang(), device.id);
    let caller = cx.caller.user_id;
    let back = match loans::give_back(&cx.deps.db, &cx.deps.queue, id, caller, cx.caller.is_admin(), rules(cx), cx.now)
        .await
    {
        Ok(back) => back,
        Err(e) => return refusal(cx, device, e).await,
    };
    let holder = back.loan.holder_id;
    cx.audit(Entry::new("device.return", "device", id).detail(format!("holder {holder}"))).await?;
    tracing::info!(device_id = id, holder, by = caller, offered_to = ?back.offered_to.as_ref().map(|w| w.user_id), "device returned");
    let name = device.title();
    if holder != caller {
        let holder_lang = reader_lang(cx, holder).await?;
        let text = t(holder_lang, Text::ReturnedForYou { title: &name, admin: &cx.caller.first_name });
        // A private chat's id is the user's id.
        shared::outbox::send(&cx.deps.db, &cx.deps.queue, holder, text, None).await?;
    }
    let mut text = t(lang, Text::Returned { title: &name });
    if back.offered_to.is_some() {
        text.push(' ');
        text.push_str(&t(lang, Text::NextInLineTold));
    }
    Ok(Answer::text(text))
}

/// The caller joins the device's waitlist. An available device needs no waiting (the answer
/// offers Take), and one already held for the caller offers Claim / Pass.
async fn join(cx: &Cx, device: &device::Model) -> anyhow::Result<Answer> {
    let (lang, id) = (cx.lang(), device.id);
    let name = device.title();
    if device.state == DeviceState::Available {
        match loans::live_hold(&cx.deps.db, id, cx.now).await? {
            None if loans::open_loan(&cx.deps.db, id).await?.is_none() => {
                let text = t(lang, Text::IsAvailable { title: &name, id });
                return Ok(Answer::with(text, vec![button(t(lang, Text::TakeButton), DevicePress::Take(id))]));
            }
            Some(hold) if hold.user_id == cx.caller.user_id => {
                let until = tz::minute(hold.hold_until.unwrap_or(cx.now), cx.caller.zone);
                return Ok(Answer::with(
                    t(lang, Text::OfferReady { title: &name, until: &until }),
                    offer_buttons(lang, id),
                ));
            }
            _ => {}
        }
    }
    let place = match loans::join(&cx.deps.db, id, cx.caller.user_id, cx.now).await {
        Ok(place) => place,
        Err(e) => return refusal(cx, device, e).await,
    };
    cx.audit(Entry::new("device.wait", "device", id).detail(format!("place {place}"))).await?;
    let text = t(lang, Text::Joined { title: &name, place });
    Ok(Answer::with(text, vec![button(t(lang, Text::LeaveButton), DevicePress::LeaveWaitlist(id))]))
}

/// The caller leaves the device's waitlist (passing it on if it was held for them).
async fn leave(cx: &Cx, device: &device::Model) -> anyhow::Result<Answer> {
    let (lang, id) = (cx.lang(), device.id);
    let name = device.title();
    let left = match loans::leave(&cx.deps.db, &cx.deps.queue, id, cx.caller.user_id, rules(cx), cx.now).await {
        Ok(left) => left,
        Err(e) => return refusal(cx, device, e).await,
    };
    if !left {
        return Ok(Answer::text(t(lang, Text::NotInLine { title: &name })));
    }
    cx.audit(Entry::new("device.leave", "device", id)).await?;
    Ok(Answer::text(t(lang, Text::Left { title: &name })))
}

/// Claim on the waitlist's offer: the caller takes the device held for them; the offer message
/// becomes the outcome.
async fn claim(cx: &Cx, device: &device::Model) -> HandlerResult {
    let (lang, id) = (cx.lang(), device.id);
    let name = device.title();
    let held = loans::live_hold(&cx.deps.db, id, cx.now).await?;
    if held.is_none_or(|h| h.user_id != cx.caller.user_id) {
        return offer_gone(cx, &name).await;
    }
    let take = Take { device_id: id, holder_id: cx.caller.user_id, due_on: None, assigned_by: None };
    match loans::take(&cx.deps.db, take, cx.now).await {
        Ok(_) => {}
        Err(e @ (LoanError::Db(_) | LoanError::Outbox(_))) => return Err(e.into()),
        // Assigned to someone else, or the hold lapsed, since the check above.
        Err(_) => return offer_gone(cx, &name).await,
    }
    cx.audit(Entry::new("device.take", "device", id).detail("claimed from the waitlist")).await?;
    tracing::info!(device_id = id, holder = cx.caller.user_id, "device claimed");
    cx.answer(None).await?;
    let markup = InlineKeyboardMarkup::new([[button(t(lang, Text::ReturnButton), DevicePress::Return(id))]]);
    cx.edit(t(lang, Text::Claimed { title: &name }), Some(markup)).await
}

/// Pass on the waitlist's offer: the device goes to the next in line (or is simply available).
async fn pass(cx: &Cx, device: &device::Model) -> HandlerResult {
    let id = device.id;
    let name = device.title();
    match loans::pass(&cx.deps.db, &cx.deps.queue, id, cx.caller.user_id, rules(cx), cx.now).await {
        Ok(next) => {
            cx.audit(Entry::new("device.pass", "device", id)).await?;
            tracing::info!(device_id = id, by = cx.caller.user_id, next = ?next.map(|w| w.user_id), "offer passed");
        }
        Err(e @ (LoanError::Db(_) | LoanError::Outbox(_))) => return Err(e.into()),
        Err(_) => return offer_gone(cx, &name).await,
    }
    cx.answer(None).await?;
    cx.edit(t(cx.lang(), Text::Passed { title: &name }), None).await
}

/// A Claim or Pass that no longer applies: said in the toast and in place of the offer.
async fn offer_gone(cx: &Cx, name: &str) -> HandlerResult {
    let text = t(cx.lang(), Text::OfferGone { title: name });
    cx.answer(Some(text.clone())).await?;
    cx.edit(text, None).await
}

/// The offer's Claim / Pass buttons.
fn offer_buttons(lang: Lang, id: i64) -> Vec<InlineKeyboardButton> {
    vec![
        button(t(lang, Text::ClaimButton), DevicePress::Claim(id)),
        button(t(lang, Text::PassButton), DevicePress::Pass(id)),
    ]
}

/// Why the device did not change hands, in words, with the way on where there is one.
async fn refusal(cx: &Cx, device: &device::Model, e: LoanError) -> anyhow::Result<Answer> {
    let (lang, id) = (cx.lang(), device.id);
    let name = device.title();
    let join = || vec![button(t(lang, Text::JoinButton), DevicePress::JoinWaitlist(id))];
    Ok(match e {
        LoanError::Taken(open) if open.holder_id == cx.caller.user_id => {
            let since = tz::minute(open.taken_at, cx.caller.zone);
            Answer::text(t(lang, Text::YouHoldIt { title: &name, since: &since }))
        }
        LoanError::Taken(open) => {
            let holder = holder_name(cx, open.holder_id).await?;
            let since = tz::minute(open.taken_at, cx.caller.zone);
            let until = open.due_on.map(|d| date(lang, d));
            let text = t(lang, Text::TakenBy { title: &name, name: &holder, since: &since, until: until.as_deref() });
            Answer::with(text, join())
        }
        LoanError::Held { until, .. } => {
            let until = tz::minute(until, cx.caller.zone);
            Answer::with(t(lang, Text::HeldForNext { title: &name, until: &until }), join())
        }
        LoanError::Unavailable(state) => Answer::text(t(lang, Text::Unavailable { title: &name, state })),
        LoanError::NoDevice(id) => Answer::text(t(lang, Text::NoDevice { id })),
        LoanError::NotHolder(_) => Answer::text(t(lang, Text::NotHolder { title: &name })),
        LoanError::NotTaken => Answer::text(t(lang, Text::NotTaken { title: &name })),
        LoanError::OwnDevice => Answer::text(t(lang, Text::OwnDevice { title: &name })),
        LoanError::NotOffered => Answer::text(t(lang, Text::OfferGone { title: &name })),
        e @ (LoanError::Db(_) | LoanError::Outbox(_)) => return Err(e.into()),
    })
}

/// A holder as others read them: `Ann (@ann)`, or their id if they never wrote to the bot.
async fn holder_name(cx: &Cx, user_id: i64) -> anyhow::Result<String> {
    let row = user::Entity::find_by_id(user_id).one(&cx.deps.db).await?;
    Ok(match row {
        Some(u) => {
            let first = shared::text::shorten(&u.first_name, 40);
            match u.username.filter(|n| !n.is_empty()) {
                Some(handle) => format!("{first} (@{handle})"),
                None => first.into_owned(),
            }
        }
        None => format!("#{user_id}"),
    })
}

/// The language a user reads, from their `users` row.
async fn reader_lang(cx: &Cx, user_id: i64) -> anyhow::Result<Lang> {
    let row = user::Entity::find_by_id(user_id).one(&cx.deps.db).await?;
    Ok(Lang::from_code(row.as_ref().map(|u| u.language.as_str())))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn take_reads_an_id_and_an_optional_due_date_in_any_writing() {
        let today = NaiveDate::from_ymd_opt(2026, 7, 1).unwrap();
        let day = |m, d| Some(NaiveDate::from_ymd_opt(2026, m, d).unwrap());
        assert_eq!(parse_take("12", today), Ok((12, None)));
        assert_eq!(parse_take(" #12  2w ", today), Ok((12, day(7, 15))));
        assert_eq!(parse_take("12 3 дня", today), Ok((12, day(7, 4))));
        assert_eq!(parse_take("12 24.12.2026", today), Ok((12, day(12, 24))));
        assert_eq!(parse_take("", today), Err(TakeError::Usage));
        assert_eq!(parse_take("twelve", today), Err(TakeError::Usage));
        assert_eq!(parse_take("-3", today), Err(TakeError::Usage));
        assert!(matches!(parse_take("12 2026-06-30", today), Err(TakeError::Due(DueError::Past(_)))));
        assert!(matches!(parse_take("12 soon", today), Err(TakeError::Due(DueError::Malformed(_)))));
    }
}
