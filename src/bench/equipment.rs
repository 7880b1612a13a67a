//! `teleops bench equipment`: the equipment slice at office-chain scale, on the embedded default
//! (SQLite). It fills a fresh database with N devices (default 100,000), each taken (so N open loans
//! with due dates spread over a month, holders in several zones) and M historical loans (default
//! 1,000,000), then times what users wait for: an `/all` page, `/find`, the reminder scan, and an
//! import of 10,000 rows. Each figure is printed with its goal and its ratio to the goal.

use std::time::{Duration, Instant};

use chrono::{NaiveDate, Utc};
use sea_orm::{ConnectionTrait, DatabaseConnection, EntityTrait, TransactionTrait};

/// What to generate.
#[derive(Debug, Clone, Copy)]
pub struct Options {
    pub devices: usize,
    pub loans: usize,
    pub samples: usize,
}

/// Holders of the open loans, and their zones (a fifth each).
const HOLDERS: i64 = 20_000;
const ZONES: [&str; 5] = ["Europe/Berlin", "Europe/Moscow", "Asia/Kolkata", "America/New_York", "UTC"];
const CATEGORIES: [&str; 8] =
    ["Terminal", "Cash register", "Phone", "Laptop", "Tablet", "Scanner", "Printer", "Router"];
/// Rows per INSERT statement (SQLite allows 32,766 bound values; these are literals anyway).
const PER_INSERT: usize = 1_000;

/// Fills the database: users, devices, open loans and historical loans, in bulk statements.
pub async fn fill(db: &DatabaseConnection, o: Options, today: NaiveDate) -> anyhow::Result<Duration> {
    let started = Instant::now();
    // Everything was taken a month ago: a loan taken after today's reminder hour is first
    // reminded of tomorrow, which would leave today's scan with less to do than a real day.
    let stamp = (Utc::now() - chrono::Duration::days(30)).to_rfc3339();
    let tx = db.begin().await?;
    for chunk in (1..=HOLDERS).collect::<Vec<_>>().chunks(PER_INSERT) {
        let values: Vec<String> = chunk
            .iter()
            .map(|id| {
                let zone = ZONES[(*id as usize) % ZONES.len()];
                format!(
                    "({id}, 'User {id}', NULL, 'user{id}', 'en', NULL, 'approved', '{stamp}', NULL, NULL, '{zone}')"
                )
            })
            .collect();
        exec(&tx, &format!(
            "INSERT INTO users (id, first_name, last_name, username, language, phone, status, created_at, decided_by, decided_at, time_zone) VALUES {}",
            values.join(",")
        ))
        .await?;
    }
    for chunk in (1..=o.devices as i64).collect::<Vec<_>>().chunks(PER_INSERT) {
        let values: Vec<String> = chunk
            .iter()
            .map(|id| {
                let category = CATEGORIES[(*id as usize) % CATEGORIES.len()];
                let (name, inv, serial) = (format!("{category} model {}", id % 97), format!("INV-{id:07}"), format!("SN{:010}", id * 7919));
                let search = shared::entities::device::search_text(&name, &inv, &serial);
                format!(
                    "({id}, '{name}', '{category}', '{inv}', '{serial}', '', 'Office {}', '', '', 'taken', '{search}', '{stamp}', '{stamp}')",
                    id % 40
                )
            })
            .collect();
        exec(&tx, &format!(
            "INSERT INTO devices (id, name, category, inventory_no, serial_no, model, location, description, condition, state, search, created_at, updated_at) VALUES {}",
            values.join(",")
        ))
        .await?;
    }
    // Historical loans first (ids 1..=M), then one open loan per device.
    let mut id = 0i64;
    let total = o.loans as i64 + o.devices as i64;
    while id < total {
        let end = (id + PER_INSERT as i64).min(total);
        let values: Vec<String> = (id + 1..=end)
            .map(|loan| {
                if loan <= o.loans as i64 {
                    let device = 1 + loan % o.devices as i64;
                    let holder = 1 + loan % HOLDERS;
                    format!("({loan}, {device}, {holder}, '{stamp}', NULL, '{stamp}', NULL, {holder})")
                } else {
                    let device = loan - o.loans as i64;
                    let holder = 1 + device % HOLDERS;
                    let due = today + chrono::Duration::days(device % 30 - 5);
                    format!("({loan}, {device}, {holder}, '{stamp}', '{due}', NULL, NULL, NULL)")
                }
            })
            .collect();
        exec(&tx, &format!(
            "INSERT INTO loans (id, device_id, holder_id, taken_at, due_on, returned_at, assigned_by, returned_by) VALUES {}",
            values.join(",")
        ))
        .await?;
        id = end;
    }
    tx.commit().await?;
    exec(db, "ANALYZE").await?;
    Ok(started.elapsed())
}

async fn exec(db: &impl ConnectionTrait, sql: &str) -> anyhow::Result<()> {
    db.execute_unprepared(sql).await?;
    Ok(())
}

/// The p50 and p99 of `samples` runs of `f`, in milliseconds.
pub async fn time<F, Fut, T>(samples: usize, mut f: F) -> anyhow::Result<(f64, f64)>
where
    F: FnMut(usize) -> Fut,
    Fut: std::future::Future<Output = anyhow::Result<T>>,
{
    let mut took = Vec::with_capacity(samples);
    for i in 0..samples {
        let t = Instant::now();
        f(i).await?;
        took.push(t.elapsed().as_secs_f64() * 1000.0);
    }
    took.sort_by(|a, b| a.total_cmp(b));
    let at = |q: f64| took[((took.len() as f64 - 1.0) * q).round() as usize];
    Ok((at(0.50), at(0.99)))
}

/// Runs the bench and prints the table for BENCHMARKS.md.
pub async fn run(o: Options) -> anyhow::Result<()> {
    use scheduler::DueScan;
    use sea_orm::{ActiveModelTrait, Set};
    use shared::entities::import::{self, ImportStatus};
    use shared::equipment::calendar::ReminderSettings;
    use shared::queue::Enqueue;

    let (_dir, settings) = super::scratch("eq")?;
    let options = crate::StartOptions::default();
    let ctx =
        crate::prepare(settings.clone(), crate::Role::Migrate, &options).await.map_err(|e| anyhow::anyhow!("{e}"))?;
    let (db, queue) = (ctx.db.clone(), ctx.queue.clone());

    // 12:00 UTC is past 10:00 in every zone the holders live in but New York (07:00), so the
    // scan plans most holders' digests, as the busiest minute of a day would.
    let now = Utc::now().date_naive().and_hms_opt(12, 0, 0).expect("noon").and_utc();
    let filled_in = fill(&db, o, now.date_naive()).await?;
    println!(
        "filled {} devices, {} open and {} past loans in {:.1} s",
        o.devices,
        o.devices,
        o.loans,
        filled_in.as_secs_f64()
    );

    let mut rows = Vec::new();

    // What a user waits for in the bot: the database work of an /all page, a category page, the
    // categories and /find (rendering the text is microseconds beside it).
    use bot::equipment::catalog::list;
    let pages = (o.devices as u64).div_ceil(list::PAGE_SIZE);
    let (p50, p99) = time(o.samples, |i| {
        let db = db.clone();
        async move { Ok(list::page_of(&db, None, 1 + (i as u64 * 7_919) % pages).await?) }
    })
    .await?;
    rows.push(format!(
        "| `/all` page (any of {pages}), p50 / p99 | {p50:.1} ms / {p99:.1} ms | < 50 ms | {:.2} |",
        p99 / 50.0
    ));
    let (p50, p99) = time(o.samples, |i| {
        let db = db.clone();
        async move { Ok(list::page_of(&db, Some(1 + (i as i64 * 31) % o.devices as i64), 1 + i as u64 % 50).await?) }
    })
    .await?;
    rows.push(format!("| a category's page, p50 / p99 | {p50:.1} ms / {p99:.1} ms | < 50 ms | {:.2} |", p99 / 50.0));
    let (p50, p99) = time(o.samples.min(50), |_| {
        let db = db.clone();
        async move { Ok(list::categories_of(&db, 1).await?) }
    })
    .await?;
    rows.push(format!("| `/categories`, p50 / p99 | {p50:.1} ms / {p99:.1} ms | < 50 ms | {:.2} |", p99 / 50.0));
    let needles = ["inv-0042", "model 7", "sn000123", "printer", "no such thing"];
    let (p50, p99) = time(o.samples, |i| {
        let db = db.clone();
        async move { Ok(list::search(&db, needles[i % needles.len()]).await?) }
    })
    .await?;
    rows.push(format!("| `/find` (inventory, name, serial, category word, no match), p50 / p99 | {p50:.1} ms / {p99:.1} ms | < 50 ms | {:.2} |", p99 / 50.0));
    // The peer: the same first 1,001 matches by a `LIKE '%text%'` scan, as /find did before the
    // trigram index (m0013). The ratio is the index's p99 over the scan's.
    let (scan50, scan99) = time(o.samples, |i| {
        let db = db.clone();
        async move {
            use sea_orm::{ConnectionTrait, Statement};
            let sql = "SELECT id FROM devices WHERE search LIKE ? ORDER BY id LIMIT 1001";
            let pattern = format!("%{}%", needles[i % needles.len()]);
            Ok(db
                .query_all_raw(Statement::from_sql_and_values(db.get_database_backend(), sql, [pattern.into()]))
                .await?)
        }
    })
    .await?;
    rows.push(format!(
        "| peer: the same search by a `LIKE` scan, p50 / p99 | {scan50:.1} ms / {scan99:.1} ms | — | index / scan p99: {:.2} |",
        p99 / scan99
    ));

    // The reminder scan: plan the day's digests and enqueue them, as the scheduler's tick does.
    let reminder = ReminderSettings {
        hour: settings.reminder_hour,
        escalate_days: settings.overdue_escalate_days,
        admin_zone: settings.timezone,
    };
    let scan = scheduler::equipment::reminders::ReminderScan::new(db.clone(), reminder, settings.timezone);
    let t = Instant::now();
    let due = scan.due(now).await?;
    let planned_in = t.elapsed();
    let jobs: Vec<_> =
        due.iter().map(|d| (d.job.clone(), Enqueue { idempotency_key: Some(scan.key(d)), run_at: None })).collect();
    for chunk in jobs.chunks(5_000) {
        queue.enqueue_many(chunk).await?;
    }
    let scan_total = t.elapsed();
    rows.push(format!(
        "| reminder scan, {} open loans: {} digests planned / planned and enqueued | {:.2} s / {:.2} s | < 10 s | {:.2} |",
        o.devices,
        due.len(),
        planned_in.as_secs_f64(),
        scan_total.as_secs_f64(),
        scan_total.as_secs_f64() / 10.0
    ));

    // An import of 10,000 rows: 5,000 new devices and 5,000 changed ones, read and applied by the
    // worker's own handlers (the file already stored, as after its download).
    let mut csv = String::from("name;category;inventory_no;serial_no;location\n");
    for i in 0..10_000i64 {
        let inventory = if i < 5_000 { format!("NEW-{i:06}") } else { format!("INV-{:07}", i) };
        csv.push_str(&format!("Imported {i};Import;{inventory};SN-IMP-{i};Store {}\n", i % 12));
    }
    let deps = std::sync::Arc::new(worker::Deps {
        db: db.clone(),
        queue: queue.clone(),
        metrics: ctx.metrics.clone(),
        clock: ctx.clock.clone(),
        limiter: ctx.limiter.clone(),
        bot: None,
        admins: Vec::new(),
    });
    let row = import::ActiveModel {
        admin_id: Set(1),
        chat_id: Set(1),
        kind: Set(None),
        file_id: Set("bench".into()),
        file_name: Set("devices.csv".into()),
        content: Set(Some(csv.into_bytes())),
        status: Set(ImportStatus::Queued),
        created_at: Set(Utc::now()),
        ..Default::default()
    }
    .insert(&db)
    .await?;
    let t = Instant::now();
    worker::equipment::files::import::read(shared::equipment::jobs::ReadImport { import_id: row.id }, deps.clone())
        .await
        .map_err(|e| anyhow::anyhow!("{e}"))?;
    let read_in = t.elapsed();
    let mut applying: import::ActiveModel =
        import::Entity::find_by_id(row.id).one(&db).await?.ok_or_else(|| anyhow::anyhow!("import row"))?.into();
    anyhow::ensure!(applying.status.as_ref() == &ImportStatus::Planned, "the dry run planned the import");
    applying.status = Set(ImportStatus::Applying);
    applying.update(&db).await?;
    let t = Instant::now();
    worker::equipment::files::import::apply(shared::equipment::jobs::ApplyImport { import_id: row.id }, deps.clone())
        .await
        .map_err(|e| anyhow::anyhow!("{e}"))?;
    let applied_in = t.elapsed();
    let status = import::Entity::find_by_id(row.id).one(&db).await?.map(|r| r.status);
    anyhow::ensure!(status == Some(ImportStatus::Applied), "the import applied: {status:?}");
    rows.push(format!(
        "| import of 10,000 rows (5,000 new, 5,000 changed) into {} devices: dry run / apply | {:.2} s / {:.2} s | seconds | — |",
        o.devices,
        read_in.as_secs_f64(),
        applied_in.as_secs_f64()
    ));

    println!(
        "\n| equipment ({} devices, {} past loans, SQLite) | measured | goal | ratio to goal |",
        o.devices, o.loans
    );
    println!("|---|---|---|---|");
    for row in rows {
        println!("{row}");
    }
    db.close().await?;
    Ok(())
}
