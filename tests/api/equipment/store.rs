//! `shared::equipment::loans` on a real database: one holder at a time, returns by the holder or
//! an admin, the waitlist's offer moving on by claim, pass and a lapsed hold, and `/find`'s
//! indexed search following what the rows hold.

use chrono::{Duration, SubsecRound, Utc};
use sea_orm::{ActiveModelTrait, EntityTrait};
use shared::entities::{device, device_wait, outbox};
use shared::equipment::device::{DeviceFields, DeviceState};
use shared::equipment::loans::{self, LoanError, Rules, Take};

use crate::helpers::{TempDir, install_test_key};

/// A migrated database (SQLite in `dir`, or the Postgres at `pg_url`) and a queue, without the app.
struct Store {
    db: sea_orm::DatabaseConnection,
    queue: shared::queue::Queue,
    _dir: TempDir,
}

impl Store {
    async fn open(pg_url: Option<&str>) -> Self {
        use migrations::MigratorTrait;
        install_test_key();
        let dir = TempDir::new();
        let url = match pg_url {
            Some(url) => url.to_owned(),
            None => format!("sqlite://{}?mode=rwc", dir.0.join("t.db").display()),
        };
        let db = shared::db::connect(&url).await.unwrap();
        migrations::Migrator::up(&db, None).await.unwrap();
        let queue_url = format!("sqlite://{}?mode=rwc", dir.0.join("q.db").display());
        let queue = shared::queue::Queue::connect(&queue_url, shared::metrics::Metrics::new()).await.unwrap();
        queue.migrate().await.unwrap();
        Self { db, queue, _dir: dir }
    }
}

const RULES: Rules = Rules { hold: std::time::Duration::from_secs(24 * 3600), default_zone: shared::tz::Tz::UTC };

async fn a_device(app: &Store, inventory_no: &str) -> i64 {
    let fields = DeviceFields { name: "Move/5000".into(), inventory_no: inventory_no.into(), ..Default::default() };
    device::new_row(&fields, Utc::now()).insert(&app.db).await.unwrap().id
}

fn take(device_id: i64, holder_id: i64) -> Take {
    Take { device_id, holder_id, due_on: None, assigned_by: None }
}

#[tokio::test]
async fn one_holder_at_a_time_on_sqlite() {
    one_holder_at_a_time_and_only_they_or_an_admin_return(&Store::open(None).await).await;
}

#[tokio::test]
async fn one_holder_at_a_time_on_postgres() {
    let Some(pg) = crate::postgres::PgServer::start().await else { return };
    one_holder_at_a_time_and_only_they_or_an_admin_return(&Store::open(Some(&pg.url)).await).await;
}

#[tokio::test]
async fn the_waitlist_moves_on_on_sqlite() {
    a_returned_device_is_held_for_the_first_in_line_then_moves_on(&Store::open(None).await).await;
}

#[tokio::test]
async fn the_waitlist_moves_on_on_postgres() {
    let Some(pg) = crate::postgres::PgServer::start().await else { return };
    a_returned_device_is_held_for_the_first_in_line_then_moves_on(&Store::open(Some(&pg.url)).await).await;
}

async fn one_holder_at_a_time_and_only_they_or_an_admin_return(app: &Store) {
    let id = a_device(app, "INV-1").await;
    let now = Utc::now().trunc_subsecs(0); // Postgres keeps microseconds

    // Two takes at once: exactly one wins, the other is told who has it.
    let (a, b) = tokio::join!(loans::take(&app.db, take(id, 1), now), loans::take(&app.db, take(id, 2), now));
    let (winner, loser) = match a {
        Ok(won) => (won, b),
        Err(_) => (b.expect("one of two takes wins"), a),
    };
    match loser {
        Err(LoanError::Taken(open)) => assert_eq!(open.holder_id, winner.holder_id),
        other => panic!("the second take should read as taken: {other:?}"),
    }
    let row = device::Entity::find_by_id(id).one(&app.db).await.unwrap().unwrap();
    assert_eq!(row.state, DeviceState::Taken);

    let stranger = if winner.holder_id == 1 { 2 } else { 1 };
    let refused = loans::give_back(&app.db, &app.queue, id, stranger, false, RULES, now).await;
    assert!(matches!(refused, Err(LoanError::NotHolder(_))), "{refused:?}");
    let back = loans::give_back(&app.db, &app.queue, id, 99, true, RULES, now).await.expect("an admin returns it");
    assert_eq!(back.loan.returned_by, Some(99));
    assert!(back.offered_to.is_none());
    let row = device::Entity::find_by_id(id).one(&app.db).await.unwrap().unwrap();
    assert_eq!(row.state, DeviceState::Available);
    assert!(matches!(loans::give_back(&app.db, &app.queue, id, 1, true, RULES, now).await, Err(LoanError::NotTaken)));

    // Broken devices are not lent.
    let mut broken: device::ActiveModel = row.into();
    broken.state = sea_orm::Set(DeviceState::Broken);
    broken.update(&app.db).await.unwrap();
    assert!(matches!(loans::take(&app.db, take(id, 1), now).await, Err(LoanError::Unavailable(DeviceState::Broken))));
}

async fn a_returned_device_is_held_for_the_first_in_line_then_moves_on(app: &Store) {
    let id = a_device(app, "INV-2").await;
    let now = Utc::now().trunc_subsecs(0); // Postgres keeps microseconds
    loans::take(&app.db, take(id, 1), now).await.unwrap();
    assert!(matches!(loans::join(&app.db, id, 1, now).await, Err(LoanError::OwnDevice)));
    assert_eq!(loans::join(&app.db, id, 2, now).await.unwrap(), 1);
    assert_eq!(loans::join(&app.db, id, 3, now).await.unwrap(), 2);
    assert_eq!(loans::join(&app.db, id, 4, now).await.unwrap(), 3);
    assert_eq!(loans::join(&app.db, id, 3, now).await.unwrap(), 2, "joining twice keeps the place");

    let back = loans::give_back(&app.db, &app.queue, id, 1, false, RULES, now).await.unwrap();
    assert_eq!(back.offered_to.as_ref().map(|w| w.user_id), Some(2));
    // Held for 2: 3 cannot take it, 2 is told with Claim / Pass.
    match loans::take(&app.db, take(id, 3), now).await {
        Err(LoanError::Held { user_id: 2, until }) => assert_eq!(until, now + Duration::hours(24)),
        other => panic!("held for 2: {other:?}"),
    }
    let offers = outbox::Entity::find().all(&app.db).await.unwrap();
    let offer = offers.iter().find(|o| o.chat_id == 2).expect("the first in line is told");
    assert!(offer.buttons.as_deref().unwrap_or("").contains("equipment:"), "{:?}", offer.buttons);

    // 2 passes: 3 is offered it; 4 is not.
    assert!(matches!(loans::pass(&app.db, &app.queue, id, 4, RULES, now).await, Err(LoanError::NotOffered)));
    let next = loans::pass(&app.db, &app.queue, id, 2, RULES, now).await.unwrap();
    assert_eq!(next.map(|w| w.user_id), Some(3));

    // 3 lets the hold lapse: 4 is offered it, 3 leaves the line and is told.
    let later = now + Duration::hours(25);
    assert_eq!(loans::expire_holds(&app.db, &app.queue, RULES, now).await.unwrap(), 0, "not lapsed yet");
    assert_eq!(loans::expire_holds(&app.db, &app.queue, RULES, later).await.unwrap(), 1);
    let line: Vec<(i64, bool)> = device_wait::Entity::find()
        .all(&app.db)
        .await
        .unwrap()
        .iter()
        .map(|w| (w.user_id, w.hold_until.is_some()))
        .collect();
    assert_eq!(line, [(4, true)]);

    // 4 claims it: the wait is used up and they hold it.
    let claimed = loans::take(&app.db, take(id, 4), later).await.unwrap();
    assert_eq!(claimed.holder_id, 4);
    assert!(device_wait::Entity::find().all(&app.db).await.unwrap().is_empty());
    assert_eq!(loans::places(&app.db, 4).await.unwrap(), []);

    // Returned with nobody waiting: simply available.
    let back = loans::give_back(&app.db, &app.queue, id, 4, false, RULES, later).await.unwrap();
    assert!(back.offered_to.is_none());
    loans::take(&app.db, take(id, 5), later).await.expect("anyone may take it");
}

#[tokio::test]
async fn out_of_service_withdraws_a_hold_on_sqlite() {
    a_device_out_of_service_withdraws_its_hold_and_back_in_service_is_offered(&Store::open(None).await).await;
}

#[tokio::test]
async fn out_of_service_withdraws_a_hold_on_postgres() {
    let Some(pg) = crate::postgres::PgServer::start().await else { return };
    a_device_out_of_service_withdraws_its_hold_and_back_in_service_is_offered(&Store::open(Some(&pg.url)).await).await;
}

async fn a_device_out_of_service_withdraws_its_hold_and_back_in_service_is_offered(app: &Store) {
    use sea_orm::{ColumnTrait, QueryFilter};
    let id = a_device(app, "INV-3").await;
    let now = Utc::now().trunc_subsecs(0); // Postgres keeps microseconds
    loans::take(&app.db, take(id, 1), now).await.unwrap();
    loans::join(&app.db, id, 2, now).await.unwrap();
    loans::give_back(&app.db, &app.queue, id, 1, false, RULES, now).await.unwrap();
    let told = |user: i64| async move {
        outbox::Entity::find().filter(outbox::Column::ChatId.eq(user)).all(&app.db).await.unwrap().len()
    };
    assert_eq!(told(2).await, 1, "offered");

    // Broken: the hold is withdrawn and 2 is told, still first in line; a lapse offers nobody.
    let broken = loans::mark(&app.db, &app.queue, id, DeviceState::Broken, RULES, now).await.unwrap();
    assert_eq!(broken.state, DeviceState::Broken);
    assert!(loans::live_hold(&app.db, id, now).await.unwrap().is_none());
    assert_eq!(told(2).await, 2, "told of the withdrawal");
    assert_eq!(loans::places(&app.db, 2).await.unwrap(), [(id, 1, None)]);
    let later = now + Duration::hours(25);
    assert_eq!(loans::expire_holds(&app.db, &app.queue, RULES, later).await.unwrap(), 0);

    // Back in service: offered to 2 again, so a passer-by cannot take it past the line.
    loans::mark(&app.db, &app.queue, id, DeviceState::Available, RULES, later).await.unwrap();
    assert_eq!(loans::live_hold(&app.db, id, later).await.unwrap().map(|h| h.user_id), Some(2));
    assert_eq!(told(2).await, 3, "offered again");
    assert!(matches!(loans::take(&app.db, take(id, 3), later).await, Err(LoanError::Held { user_id: 2, .. })));
}

#[tokio::test]
async fn find_matches_substrings_through_the_index_on_sqlite() {
    find_matches_what_the_rows_hold_now(&Store::open(None).await).await;
}

#[tokio::test]
async fn find_matches_substrings_through_the_index_on_postgres() {
    let Some(pg) = crate::postgres::PgServer::start().await else { return };
    find_matches_what_the_rows_hold_now(&Store::open(Some(&pg.url)).await).await;
}

/// `/find`'s query agrees with "the search text contains the needle" for short and long needles,
/// quotes and wildcards, and follows renames and deletions (the SQLite index is kept by triggers).
async fn find_matches_what_the_rows_hold_now(app: &Store) {
    use bot::equipment::catalog::list::search;
    use sea_orm::{ActiveModelTrait, ModelTrait};
    let found = |needle: &'static str| async move {
        search(&app.db, needle).await.unwrap().rows.iter().map(|r| r.inventory_no.clone()).collect::<Vec<_>>()
    };
    let quoted =
        DeviceFields { name: "Cable \"USB-C\" 50%".into(), inventory_no: "INV-1".into(), ..Default::default() };
    let quoted = device::new_row(&quoted, Utc::now()).insert(&app.db).await.unwrap();
    a_device(app, "INV-2").await; // Move/5000
    let phone = DeviceFields { name: "Телефон Pixel".into(), inventory_no: "SN_3".into(), ..Default::default() };
    let phone = device::new_row(&phone, Utc::now()).insert(&app.db).await.unwrap();

    assert_eq!(found("inv-").await, ["INV-1", "INV-2"]);
    assert_eq!(found("5").await, ["INV-1", "INV-2"], "one character");
    assert_eq!(found("50").await, ["INV-1", "INV-2"], "two characters");
    assert_eq!(found("50%").await, ["INV-1"], "% is a letter");
    assert_eq!(found("\"usb").await, ["INV-1"], "a quote is a letter");
    assert_eq!(found("sn_3").await, ["SN_3"]);
    assert_eq!(found("sn%3").await, Vec::<String>::new());
    assert_eq!(found("телефон").await, ["SN_3"]);
    assert_eq!(found("no such thing").await, Vec::<String>::new());
    assert_eq!(search(&app.db, "inv-").await.unwrap().total, 2);

    // A rename is found by its new name only; a deleted device is gone.
    let mut renamed: device::ActiveModel = phone.into();
    let fields = DeviceFields { name: "Phone Pixel".into(), inventory_no: "SN_3".into(), ..Default::default() };
    device::set_fields(&mut renamed, &fields, Utc::now());
    renamed.update(&app.db).await.unwrap();
    assert_eq!(found("телефон").await, Vec::<String>::new());
    assert_eq!(found("phone pix").await, ["SN_3"]);
    quoted.delete(&app.db).await.unwrap();
    assert_eq!(found("inv-").await, ["INV-2"]);
}
