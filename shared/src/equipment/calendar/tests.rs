//! Unit tests of the reminder calendar. Most go through [`check`], which renders a plan as one
//! line per digest, so a test reads as "at this instant, with these loans, this goes out".

use std::collections::BTreeSet;

use chrono::{NaiveDateTime, TimeZone};
use chrono_tz::{America, Asia, Europe};

use super::*;

const UTC: Tz = Tz::UTC;
const BERLIN: Tz = Europe::Berlin;

fn utc(at: &str) -> DateTime<Utc> {
    let naive = NaiveDateTime::parse_from_str(at, "%Y-%m-%d %H:%M").expect("test instant");
    Utc.from_utc_datetime(&naive)
}

fn date(day: &str) -> NaiveDate {
    day.parse().expect("test date")
}

fn hour(hh_mm: &str) -> NaiveTime {
    NaiveTime::parse_from_str(hh_mm, "%H:%M").expect("test hour")
}

/// Loan ids are the device id plus 1000, so a rendered device id names its loan too.
fn loan(holder_id: i64, device_id: i64, holder_zone: Tz, due: &str) -> OpenLoan {
    OpenLoan { loan_id: 1000 + device_id, device_id, holder_id, holder_zone, due: date(due) }
}

fn settings_at(hh_mm: &str) -> ReminderSettings {
    ReminderSettings { hour: hour(hh_mm), ..ReminderSettings::default() }
}

fn render_item(item: &Item) -> String {
    match item.kind {
        Kind::DueTomorrow => format!("#{} tomorrow", item.device_id),
        Kind::DueToday => format!("#{} today", item.device_id),
        Kind::Overdue { days } => format!("#{} overdue {days}d", item.device_id),
    }
}

fn render(plan: &Plan) -> String {
    let mut lines: Vec<String> = plan
        .reminders
        .iter()
        .map(|r| {
            let items: Vec<String> = r.items.iter().map(render_item).collect();
            format!("{}: {}", r.key(), items.join(", "))
        })
        .collect();
    lines.extend(plan.escalation.as_ref().map(render_escalation));
    lines.join("\n")
}

fn render_escalation(escalation: &Escalation) -> String {
    let items: Vec<String> =
        escalation.items.iter().map(|o| format!("#{} of {} overdue {}d", o.device_id, o.holder_id, o.days)).collect();
    format!("{}: {}", escalation.key(), items.join(", "))
}

fn check(now: &str, settings: &ReminderSettings, loans: &[OpenLoan], expected: &str) {
    let got = render(&plan(utc(now), settings, loans));
    let expected: Vec<&str> = expected.lines().map(str::trim).filter(|l| !l.is_empty()).collect();
    assert_eq!(got, expected.join("\n"), "at {now}");
}

/// The keys of every scan from `from` to `to` (inclusive) every `step_minutes`.
fn keys_over(from: &str, to: &str, step_minutes: i64, settings: &ReminderSettings, loans: &[OpenLoan]) -> Vec<String> {
    let (mut now, end) = (utc(from), utc(to));
    let mut keys = Vec::new();
    while now <= end {
        let plan = plan(now, settings, loans);
        keys.extend(plan.reminders.iter().map(Reminder::key));
        keys.extend(plan.escalation.iter().map(Escalation::key));
        now += Duration::minutes(step_minutes);
    }
    keys
}

fn distinct(keys: &[String]) -> Vec<&str> {
    keys.iter().map(String::as_str).collect::<BTreeSet<_>>().into_iter().collect()
}

#[test]
fn settings_default_to_ten_oclock_three_days_and_utc() {
    let settings = ReminderSettings::default();
    assert_eq!((settings.hour, settings.escalate_days, settings.admin_zone), (hour("10:00"), 3, UTC));
}

#[test]
fn keys_spell_the_holder_and_the_local_day() {
    let reminder = Reminder { holder_id: 42, date: date("2026-03-05"), items: vec![] };
    assert_eq!(reminder.key(), "equipment-remind:42:2026-03-05");
    let escalation = Escalation { date: date("2026-12-24"), items: vec![] };
    assert_eq!(escalation.key(), "equipment-escalate:2026-12-24");
}

#[test]
fn a_scan_before_the_hour_gives_nothing() {
    let loans = [loan(1, 5, UTC, "2026-01-20")];
    check("2026-01-20 09:59", &settings_at("10:00"), &loans, "");
    check("2026-01-20 10:00", &settings_at("10:00"), &loans, "equipment-remind:1:2026-01-20: #5 today");
}

#[test]
fn a_loan_due_after_tomorrow_is_not_mentioned() {
    let loans = [loan(1, 5, UTC, "2026-01-22")];
    check("2026-01-20 12:00", &ReminderSettings::default(), &loans, "");
    check("2026-01-21 12:00", &ReminderSettings::default(), &loans, "equipment-remind:1:2026-01-21: #5 tomorrow");
}

#[test]
fn month_end_reminds_the_day_before_on_the_day_and_daily_after() {
    let loans = [loan(1, 5, UTC, "2026-01-31")];
    let s = ReminderSettings::default();
    check("2026-01-29 10:00", &s, &loans, "");
    check("2026-01-30 10:00", &s, &loans, "equipment-remind:1:2026-01-30: #5 tomorrow");
    check("2026-01-31 10:00", &s, &loans, "equipment-remind:1:2026-01-31: #5 today");
    check("2026-02-01 10:00", &s, &loans, "equipment-remind:1:2026-02-01: #5 overdue 1d");
    check("2026-02-02 10:00", &s, &loans, "equipment-remind:1:2026-02-02: #5 overdue 2d");
}

#[test]
fn february_end_counts_a_leap_day() {
    let loans = [loan(1, 5, UTC, "2028-02-28")];
    let s = ReminderSettings::default();
    check("2028-02-29 10:00", &s, &loans, "equipment-remind:1:2028-02-29: #5 overdue 1d");
    check("2028-03-01 10:00", &s, &loans, "equipment-remind:1:2028-03-01: #5 overdue 2d");
}

#[test]
fn year_end_runs_into_the_new_year() {
    let loans = [loan(1, 5, UTC, "2026-12-31")];
    let s = ReminderSettings::default();
    check("2026-12-30 10:00", &s, &loans, "equipment-remind:1:2026-12-30: #5 tomorrow");
    check("2026-12-31 10:00", &s, &loans, "equipment-remind:1:2026-12-31: #5 today");
    check("2027-01-01 10:00", &s, &loans, "equipment-remind:1:2027-01-01: #5 overdue 1d");
    check("2027-01-02 10:00", &s, &loans, "equipment-remind:1:2027-01-02: #5 overdue 2d");
}

#[test]
fn one_digest_per_holder_lists_every_device_overdue_first() {
    let loans = [
        loan(1, 7, UTC, "2026-05-11"),
        loan(1, 3, UTC, "2026-05-10"),
        loan(1, 9, UTC, "2026-05-07"),
        loan(1, 4, UTC, "2026-05-30"),
        loan(2, 8, UTC, "2026-05-10"),
    ];
    check(
        "2026-05-10 10:30",
        &ReminderSettings::default(),
        &loans,
        "equipment-remind:1:2026-05-10: #9 overdue 3d, #3 today, #7 tomorrow
         equipment-remind:2:2026-05-10: #8 today
         equipment-escalate:2026-05-10: #9 of 1 overdue 3d",
    );
}

#[test]
fn holders_in_tokyo_and_new_york_at_one_instant_each_get_their_own_day_and_hour() {
    let loans = [loan(1, 5, Asia::Tokyo, "2026-06-15"), loan(2, 6, America::New_York, "2026-06-15")];
    let s = ReminderSettings::default();
    // 00:30 UTC: 09:30 on the 15th in Tokyo (not yet), 20:30 on the 14th in New York (since 10:00).
    check("2026-06-15 00:30", &s, &loans, "equipment-remind:2:2026-06-14: #6 tomorrow");
    // 01:30 UTC: 10:30 on the 15th in Tokyo.
    check(
        "2026-06-15 01:30",
        &s,
        &loans,
        "equipment-remind:1:2026-06-15: #5 today
         equipment-remind:2:2026-06-14: #6 tomorrow",
    );
    // 04:00 UTC: midnight in New York, whose new day has not reached 10:00 yet.
    check("2026-06-15 04:00", &s, &loans, "equipment-remind:1:2026-06-15: #5 today");
    // 14:00 UTC: 10:00 EDT on the 15th.
    check(
        "2026-06-15 14:00",
        &s,
        &loans,
        "equipment-remind:1:2026-06-15: #5 today
         equipment-remind:2:2026-06-15: #6 today",
    );
}

#[test]
fn a_late_scan_still_sends_the_days_digest() {
    let loans = [loan(1, 5, BERLIN, "2026-07-01")];
    // 23:59 CEST: the scheduler was down all day.
    check("2026-07-01 21:59", &ReminderSettings::default(), &loans, "equipment-remind:1:2026-07-01: #5 today");
}

#[test]
fn a_day_missed_entirely_is_not_sent_the_next_day() {
    let loans = [loan(1, 5, UTC, "2026-07-01")];
    // Nothing ran on 1 July; the first scans of the 2nd, before and after the hour.
    let keys = keys_over("2026-07-02 00:00", "2026-07-02 23:59", 1, &ReminderSettings::default(), &loans);
    assert_eq!(distinct(&keys), ["equipment-remind:1:2026-07-02"]);
    check("2026-07-02 10:00", &ReminderSettings::default(), &loans, "equipment-remind:1:2026-07-02: #5 overdue 1d");
}

#[test]
fn scans_every_minute_yield_one_key_per_holder_per_local_day() {
    let loans = [loan(1, 5, Asia::Tokyo, "2026-09-02"), loan(2, 6, America::New_York, "2026-09-02")];
    let keys = keys_over("2026-08-31 00:00", "2026-09-04 23:59", 1, &ReminderSettings::default(), &loans);
    assert_eq!(
        distinct(&keys),
        [
            // 15:00 UTC on 4 September is midnight in Tokyo: holder 1's loan is 3 days overdue from then.
            "equipment-escalate:2026-09-04",
            "equipment-remind:1:2026-09-01",
            "equipment-remind:1:2026-09-02",
            "equipment-remind:1:2026-09-03",
            "equipment-remind:1:2026-09-04",
            "equipment-remind:2:2026-09-01",
            "equipment-remind:2:2026-09-02",
            "equipment-remind:2:2026-09-03",
            "equipment-remind:2:2026-09-04",
        ]
    );
}

#[test]
fn berlin_spring_forward_an_hour_inside_the_gap_fires_when_the_clocks_jump() {
    // 2027-03-28: at 01:00 UTC Berlin goes from 02:00 CET straight to 03:00 CEST.
    let day = date("2027-03-28");
    assert_eq!(reminder_instant(day, hour("02:30"), BERLIN), Some(utc("2027-03-28 01:00")));
    assert_eq!(reminder_instant(day, hour("02:00"), BERLIN), Some(utc("2027-03-28 01:00")));
    let loans = [loan(1, 5, BERLIN, "2027-03-28")];
    check("2027-03-28 00:59", &settings_at("02:30"), &loans, "");
    check("2027-03-28 01:00", &settings_at("02:30"), &loans, "equipment-remind:1:2027-03-28: #5 today");
}

#[test]
fn berlin_spring_forward_hours_outside_the_gap_keep_their_wall_clock() {
    let day = date("2027-03-28");
    assert_eq!(reminder_instant(day, hour("01:30"), BERLIN), Some(utc("2027-03-28 00:30")));
    assert_eq!(reminder_instant(day, hour("03:00"), BERLIN), Some(utc("2027-03-28 01:00")));
    assert_eq!(reminder_instant(day, hour("10:00"), BERLIN), Some(utc("2027-03-28 08:00")));
    // The day before is still CET.
    assert_eq!(reminder_instant(date("2027-03-27"), hour("10:00"), BERLIN), Some(utc("2027-03-27 09:00")));
    let loans = [loan(1, 5, BERLIN, "2027-03-29")];
    check("2027-03-28 07:59", &ReminderSettings::default(), &loans, "");
    check("2027-03-28 08:00", &ReminderSettings::default(), &loans, "equipment-remind:1:2027-03-28: #5 tomorrow");
}

#[test]
fn berlin_spring_forward_scans_every_minute_yield_one_key_a_day() {
    let loans = [loan(1, 5, BERLIN, "2027-03-28")];
    for at in ["02:30", "10:00"] {
        let keys = keys_over("2027-03-26 23:00", "2027-03-29 21:59", 1, &settings_at(at), &loans);
        let expected =
            ["equipment-remind:1:2027-03-27", "equipment-remind:1:2027-03-28", "equipment-remind:1:2027-03-29"];
        assert_eq!(distinct(&keys), expected, "hour {at}");
    }
}

#[test]
fn berlin_fall_back_a_repeated_hour_fires_at_its_first_occurrence() {
    // 2026-10-25: at 01:00 UTC Berlin goes from 03:00 CEST back to 02:00 CET; 02:30 happens twice.
    let day = date("2026-10-25");
    assert_eq!(reminder_instant(day, hour("02:30"), BERLIN), Some(utc("2026-10-25 00:30")));
    assert_eq!(reminder_instant(day, hour("10:00"), BERLIN), Some(utc("2026-10-25 09:00")));
    let loans = [loan(1, 5, BERLIN, "2026-10-25")];
    let s = settings_at("02:30");
    check("2026-10-25 00:29", &s, &loans, "");
    check("2026-10-25 00:30", &s, &loans, "equipment-remind:1:2026-10-25: #5 today");
    // 02:10 CET, after the clocks went back: the day's digest stands, under the same key.
    check("2026-10-25 01:10", &s, &loans, "equipment-remind:1:2026-10-25: #5 today");
    check("2026-10-25 01:30", &s, &loans, "equipment-remind:1:2026-10-25: #5 today");
}

#[test]
fn berlin_fall_back_scans_every_minute_yield_one_key_a_day() {
    let loans = [loan(1, 5, BERLIN, "2026-10-25")];
    for at in ["02:30", "10:00"] {
        let keys = keys_over("2026-10-23 22:00", "2026-10-26 22:59", 1, &settings_at(at), &loans);
        let expected =
            ["equipment-remind:1:2026-10-24", "equipment-remind:1:2026-10-25", "equipment-remind:1:2026-10-26"];
        assert_eq!(distinct(&keys), expected, "hour {at}");
    }
}

#[test]
fn a_day_the_zone_skipped_has_no_reminder_instant() {
    // Samoa moved west of the date line: 2011-12-29 24:00 was followed by 2011-12-31 00:00.
    assert_eq!(reminder_instant(date("2011-12-30"), hour("10:00"), chrono_tz::Pacific::Apia), None);
    let loans = [loan(1, 5, chrono_tz::Pacific::Apia, "2011-12-31")];
    check("2011-12-30 21:00", &ReminderSettings::default(), &loans, "equipment-remind:1:2011-12-31: #5 today");
}

#[test]
fn escalation_comes_after_three_days_overdue_and_not_at_two() {
    let loans = [loan(1, 5, UTC, "2026-03-01")];
    let s = ReminderSettings::default();
    check("2026-03-03 10:00", &s, &loans, "equipment-remind:1:2026-03-03: #5 overdue 2d");
    check(
        "2026-03-04 10:00",
        &s,
        &loans,
        "equipment-remind:1:2026-03-04: #5 overdue 3d
         equipment-escalate:2026-03-04: #5 of 1 overdue 3d",
    );
}

#[test]
fn escalation_follows_the_admin_zone_and_lists_the_most_overdue_first() {
    let loans = [
        loan(1, 5, UTC, "2026-03-01"),
        loan(2, 6, Asia::Tokyo, "2026-02-20"),
        loan(2, 7, Asia::Tokyo, "2026-03-03"),
        loan(3, 8, America::New_York, "2026-03-01"),
    ];
    let s = ReminderSettings { admin_zone: Asia::Tokyo, ..ReminderSettings::default() };
    let escalation_at = |now: &str| plan(utc(now), &s, &loans).escalation.as_ref().map(render_escalation);
    // 09:59 in Tokyo: not yet.
    assert_eq!(escalation_at("2026-03-04 00:59"), None);
    // 10:00 in Tokyo. New York is still on 3 March (2 days overdue), so holder 3 waits a day.
    assert_eq!(
        escalation_at("2026-03-04 01:00").as_deref(),
        Some("equipment-escalate:2026-03-04: #6 of 2 overdue 12d, #5 of 1 overdue 3d"),
    );
    let keys = keys_over("2026-03-04 01:00", "2026-03-05 00:59", 1, &s, &loans);
    let escalation_keys: BTreeSet<&String> = keys.iter().filter(|k| k.starts_with("equipment-escalate")).collect();
    assert_eq!(escalation_keys.len(), 1);
    assert_eq!(
        escalation_at("2026-03-05 01:00").as_deref(),
        Some("equipment-escalate:2026-03-05: #6 of 2 overdue 13d, #5 of 1 overdue 4d, #8 of 3 overdue 3d"),
    );
}

#[test]
fn a_device_returned_between_scan_and_send_drops_out() {
    let loans = [loan(1, 5, UTC, "2026-04-01"), loan(1, 6, UTC, "2026-04-02")];
    let plan = plan(utc("2026-04-01 10:00"), &ReminderSettings::default(), &loans);
    let digest = &plan.reminders[0];
    assert_eq!(digest.items.len(), 2);
    let left = still_due(&digest.items, &loans[1..], digest.date);
    assert_eq!(left.iter().map(render_item).collect::<Vec<_>>(), ["#6 tomorrow"]);
    assert!(still_due(&digest.items, &[], digest.date).is_empty(), "nothing left: no message");
}

#[test]
fn a_device_returned_and_taken_again_is_a_new_loan_and_drops_out_of_the_old_digest() {
    let loans = [loan(1, 5, UTC, "2026-04-01")];
    let plan = plan(utc("2026-04-01 10:00"), &ReminderSettings::default(), &loans);
    let taken_again = OpenLoan { loan_id: 2005, ..loans[0] };
    assert!(still_due(&plan.reminders[0].items, &[taken_again], plan.reminders[0].date).is_empty());
}

#[test]
fn a_due_date_changed_between_scan_and_send_is_classified_again() {
    let loans = [loan(1, 5, UTC, "2026-04-01"), loan(1, 6, UTC, "2026-04-02"), loan(1, 7, UTC, "2026-03-30")];
    let plan = plan(utc("2026-04-01 10:00"), &ReminderSettings::default(), &loans);
    let digest = &plan.reminders[0];
    let moved = [
        OpenLoan { due: date("2026-04-10"), ..loans[0] }, // past tomorrow: dropped
        OpenLoan { due: date("2026-03-31"), ..loans[1] }, // made earlier: now overdue
        OpenLoan { due: date("2026-04-02"), ..loans[2] }, // extended to tomorrow
    ];
    let left = still_due(&digest.items, &moved, digest.date);
    assert_eq!(left.iter().map(render_item).collect::<Vec<_>>(), ["#6 overdue 1d", "#7 tomorrow"]);
}

#[test]
fn a_due_date_moved_after_the_reminder_went_out_shows_from_the_next_day() {
    let s = ReminderSettings::default();
    let before = [loan(1, 5, UTC, "2026-04-02")];
    check("2026-04-01 10:00", &s, &before, "equipment-remind:1:2026-04-01: #5 tomorrow");
    // Extended by a week after the reminder: nothing until the day before the new date.
    let extended = [OpenLoan { due: date("2026-04-09"), ..before[0] }];
    check("2026-04-01 15:00", &s, &extended, "");
    check("2026-04-02 10:00", &s, &extended, "");
    check("2026-04-08 10:00", &s, &extended, "equipment-remind:1:2026-04-08: #5 tomorrow");
    // Brought forward after the reminder: today's key is taken, so tomorrow's digest says overdue.
    let shortened = [OpenLoan { due: date("2026-04-01"), ..before[0] }];
    check("2026-04-01 15:00", &s, &shortened, "equipment-remind:1:2026-04-01: #5 today");
    check("2026-04-02 10:00", &s, &shortened, "equipment-remind:1:2026-04-02: #5 overdue 1d");
}

#[test]
fn the_admins_digest_drops_returned_and_no_longer_overdue_loans_at_send_time() {
    let loans = [loan(1, 5, UTC, "2026-03-01"), loan(2, 6, UTC, "2026-02-20"), loan(3, 7, UTC, "2026-02-25")];
    let now = utc("2026-03-05 10:00");
    let escalation = plan(now, &ReminderSettings::default(), &loans).escalation.expect("three overdue loans");
    assert_eq!(escalation.items.len(), 3);
    let open_now = [OpenLoan { due: date("2026-03-04"), ..loans[0] }, loans[2]];
    let left = still_overdue(&escalation.items, &open_now, now, 3);
    assert_eq!(left.iter().map(|o| (o.device_id, o.days)).collect::<Vec<_>>(), [(7, 8)]);
}

#[test]
fn kinds_count_days_from_the_due_date() {
    let due = date("2026-01-31");
    assert_eq!(kind(due, date("2026-01-29")), None);
    assert_eq!(kind(due, date("2026-01-30")), Some(Kind::DueTomorrow));
    assert_eq!(kind(due, due), Some(Kind::DueToday));
    assert_eq!(kind(due, date("2026-03-01")), Some(Kind::Overdue { days: 29 }));
}
