//! The embedded queue backend: apalis-sqlite in its own database file.
//!
//! Enqueue writes the row itself (same columns as apalis-sqlite's sink) because apalis'
//! `TaskSink` returns neither the task id nor whether an idempotency key was already taken, and
//! the scheduler needs both. Workers are fed by [`SqliteQueue::backend`]: apalis-sqlite's queries
//! (through [`SqliteWorker`], which adds pausing), woken by this process's enqueues and by a short
//! poll (for enqueues from other processes and for delayed retries).
//!
//! apalis-sqlite's row states: `Pending` (waiting, maybe until `run_at`), `Queued`/`Running`
//! (claimed by a worker), `Done`, `Failed` (will be retried once `run_at` passes) and dead =
//! `Killed`, or `Failed` with no attempts left; [`state_of_row`] and [`state_sql`] translate them.

use std::pin::Pin;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};
use std::time::Duration;

use apalis_core::backend::codec::Codec;
use apalis_core::backend::ext::poll_strategy::{PollWith, StreamStrategy};
use apalis_core::backend::ext::with_codec::WithCodec;
use apalis_sqlite::{SqlitePool, SqliteStorage};
use chrono::{DateTime, Utc};
use futures::Stream;
use futures::task::AtomicWaker;
use serde_json::Value;
use sqlx::Row;
use sqlx::sqlite::SqliteConnectOptions;

use super::sqlite_worker::{PAUSED_TABLE, SqliteWorker};
use super::{DeadJob, Enqueue, EnqueueOutcome, JobFilter, JobInfo, JobState, QueueCounts, QueueError, next_id};
use crate::jobs::Job;

/// The worker-facing backend type for one queue.
pub type JobBackend = PollWith<WithCodec<SqliteWorker, LenientJson>, StreamStrategy<WakeupStream>>;

/// Decodes stored bytes as JSON, and bytes that are not JSON at all as a JSON string, so a corrupt
/// row reaches the job runner (which declares it dead) instead of stopping the worker: apalis ends
/// a worker whose backend yields a codec error.
#[derive(Debug, Clone, Copy, Default)]
pub struct LenientJson;

impl Codec<Value> for LenientJson {
    type Error = serde_json::Error;
    type Compact = Vec<u8>;

    fn encode(&self, value: &Value) -> Result<Vec<u8>, Self::Error> {
        serde_json::to_vec(value)
    }

    fn decode(&self, bytes: &Vec<u8>) -> Result<Value, Self::Error> {
        Ok(serde_json::from_slice(bytes).unwrap_or_else(|_| Value::String(String::from_utf8_lossy(bytes).into_owned())))
    }
}

/// A handle to the job queue; cheap to clone.
#[derive(Clone, Debug)]
pub struct SqliteQueue {
    pool: SqlitePool,
    wakers: Arc<Mutex<Vec<Arc<Wakeup>>>>,
    poll_interval: Duration,
}

impl SqliteQueue {
    /// Opens (creating if needed) the queue database. Does not migrate.
    pub async fn connect(url: &str) -> Result<Self, QueueError> {
        crate::db::private_sqlite_file(url).map_err(sqlx::Error::Io)?;
        let options: SqliteConnectOptions = url.parse()?;
        let options = options
            .create_if_missing(true)
            .journal_mode(sqlx::sqlite::SqliteJournalMode::Wal)
            .synchronous(sqlx::sqlite::SqliteSynchronous::Normal)
            .busy_timeout(Duration::from_secs(10));
        let pool = sqlx::sqlite::SqlitePoolOptions::new().max_connections(8).connect_with(options).await?;
        Ok(Self { pool, wakers: Arc::default(), poll_interval: Duration::from_millis(200) })
    }

    /// How often idle workers look for work enqueued by other processes. By default, 200 ms.
    pub fn poll_interval(mut self, every: Duration) -> Self {
        self.poll_interval = every;
        self
    }

    pub fn pool(&self) -> &SqlitePool {
        &self.pool
    }

    /// Applies apalis-sqlite's schema migrations, then teleops' own changes to that schema.
    pub async fn migrate(&self) -> Result<(), QueueError> {
        SqliteStorage::migrations().run(&self.pool).await?;
        // apalis' `LIdx (lock_by)` makes SQLite drive every batched ack from all the rows a worker
        // ever locked (finished rows keep `lock_by`): 115 ms per ack at 22,000 rows. Without it
        // the ack goes through the primary key; the other statements have their own indexes.
        sqlx::query("DROP INDEX IF EXISTS LIdx").execute(&self.pool).await?;
        sqlx::query(PAUSED_TABLE).execute(&self.pool).await?;
        Ok(())
    }

    /// How many queue schema migrations are not applied yet.
    pub async fn pending_migrations(&self) -> Result<usize, QueueError> {
        let migrator = SqliteStorage::migrations();
        let table: Option<String> =
            sqlx::query_scalar("SELECT name FROM sqlite_master WHERE type = 'table' AND name = '_sqlx_migrations'")
                .fetch_optional(&self.pool)
                .await?;
        if table.is_none() {
            return Ok(migrator.iter().count());
        }
        let applied: Vec<i64> =
            sqlx::query_scalar("SELECT version FROM _sqlx_migrations WHERE success").fetch_all(&self.pool).await?;
        let ours: Option<String> =
            sqlx::query_scalar("SELECT name FROM sqlite_master WHERE type = 'index' AND name = 'LIdx'")
                .fetch_optional(&self.pool)
                .await?;
        let paused: Option<String> =
            sqlx::query_scalar("SELECT name FROM sqlite_master WHERE type = 'table' AND name = 'teleops_paused'")
                .fetch_optional(&self.pool)
                .await?;
        Ok(migrator.iter().filter(|m| !applied.contains(&m.version)).count()
            + usize::from(ours.is_some())
            + usize::from(paused.is_none()))
    }

    /// Deletes finished (`Done`) jobs that finished before `before`, and the oldest beyond
    /// `keep_count` per queue, in chunks so writers are not held up; dead jobs stay for the
    /// admins. Returns how many were deleted.
    pub async fn purge_done(&self, before: DateTime<Utc>, keep_count: u64) -> Result<u64, QueueError> {
        let mut total = self.purge_done_before(before).await?;
        let queues: Vec<String> = sqlx::query_scalar("SELECT DISTINCT job_type FROM Jobs WHERE status = 'Done'")
            .fetch_all(&self.pool)
            .await?;
        for queue in queues {
            loop {
                let res = sqlx::query(
                    "DELETE FROM Jobs WHERE rowid IN (SELECT rowid FROM Jobs WHERE job_type = ?1 AND status = 'Done' \
                     ORDER BY done_at DESC, rowid DESC LIMIT 5000 OFFSET ?2)",
                )
                .bind(&queue)
                .bind(i64::try_from(keep_count).unwrap_or(i64::MAX))
                .execute(&self.pool)
                .await?;
                total += res.rows_affected();
                if res.rows_affected() < 5000 {
                    break;
                }
            }
        }
        Ok(total)
    }

    async fn purge_done_before(&self, before: DateTime<Utc>) -> Result<u64, QueueError> {
        let mut total = 0;
        loop {
            let res = sqlx::query(
                "DELETE FROM Jobs WHERE rowid IN (SELECT rowid FROM Jobs \
                 WHERE status = 'Done' AND done_at IS NOT NULL AND done_at < ?1 LIMIT 5000)",
            )
            .bind(before.timestamp())
            .execute(&self.pool)
            .await?;
            total += res.rows_affected();
            if res.rows_affected() < 5000 {
                return Ok(total);
            }
        }
    }

    /// Gives a dead job its attempts back and runs it again at once; false when there is no such
    /// dead job.
    pub async fn retry(&self, id: &str) -> Result<bool, QueueError> {
        let mut sql = sqlx::QueryBuilder::new(
            "UPDATE Jobs SET status = 'Pending', attempts = 0, run_at = strftime('%s', 'now'), done_at = NULL, \
             lock_by = NULL, lock_at = NULL WHERE id = ",
        );
        sql.push_bind(id).push(" AND ").push(state_sql(JobState::Dead));
        let res = sql.build().execute(&self.pool).await?;
        self.wake_all();
        Ok(res.rows_affected() == 1)
    }

    /// Deletes a job that is not running; false when there is no such job (or it runs).
    pub async fn delete(&self, id: &str) -> Result<bool, QueueError> {
        let mut sql = sqlx::QueryBuilder::new("DELETE FROM Jobs WHERE id = ");
        sql.push_bind(id).push(" AND NOT ").push(state_sql(JobState::Running));
        Ok(sql.build().execute(&self.pool).await?.rows_affected() == 1)
    }

    /// Deletes every job of `queue` in `state` (running jobs are never purged), in chunks so
    /// writers are not held up; returns how many.
    pub async fn purge(&self, queue: &str, state: JobState) -> Result<u64, QueueError> {
        if state == JobState::Running {
            return Ok(0);
        }
        let mut total = 0;
        loop {
            let mut sql =
                sqlx::QueryBuilder::new("DELETE FROM Jobs WHERE rowid IN (SELECT rowid FROM Jobs WHERE job_type = ");
            sql.push_bind(queue).push(" AND ").push(state_sql(state)).push(" LIMIT 5000)");
            let n = sql.build().execute(&self.pool).await?.rows_affected();
            total += n;
            if n < 5000 {
                return Ok(total);
            }
        }
    }

    /// Adds one job.
    pub async fn enqueue<J: Job>(&self, job: &J, options: Enqueue) -> Result<EnqueueOutcome, QueueError> {
        let mut tx = self.pool.begin().await?;
        let outcome = insert::<J>(&mut tx, job, &options).await?;
        tx.commit().await?;
        if !outcome.duplicate {
            self.wake_all();
        }
        Ok(outcome)
    }

    /// Adds many jobs of one kind in one transaction; the scheduler's path.
    pub async fn enqueue_many<J: Job>(&self, jobs: &[(J, Enqueue)]) -> Result<Vec<EnqueueOutcome>, QueueError> {
        let mut tx = self.pool.begin().await?;
        let mut outcomes = Vec::with_capacity(jobs.len());
        for (job, options) in jobs {
            outcomes.push(insert::<J>(&mut tx, job, options).await?);
        }
        tx.commit().await?;
        if outcomes.iter().any(|o| !o.duplicate) {
            self.wake_all();
        }
        Ok(outcomes)
    }

    /// Adds a job to `queue` whose payload is `payload` as it is, decodable or not: what an older
    /// version or a damaged store may leave behind. For tests of the runner's "a payload that does
    /// not decode is dead" rule on every backend.
    #[doc(hidden)]
    pub async fn enqueue_raw(&self, queue: &str, payload: &[u8], max_attempts: u32) -> Result<String, QueueError> {
        let mut conn = self.pool.acquire().await?;
        let outcome = insert_row(&mut conn, queue, payload, max_attempts, &Enqueue::default()).await?;
        self.wake_all();
        Ok(outcome.id)
    }

    /// Wakes this process's idle workers.
    fn wake_all(&self) {
        for waker in self.wakers.lock().expect("wakers lock").iter() {
            waker.wake();
        }
    }

    /// Moves a failed job's next attempt to `at`; called by the worker before apalis acks the
    /// failure.
    pub async fn retry_at(&self, task_id: &str, at: DateTime<Utc>) -> Result<(), QueueError> {
        sqlx::query("UPDATE Jobs SET run_at = ?1 WHERE id = ?2")
            .bind(whole_seconds_after(at))
            .bind(task_id)
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    /// Moves a job's next attempt to `at` without counting the attempt that asked for it (a
    /// retry-after); called by the worker before apalis acks the attempt.
    ///
    /// apalis' ack sets `attempts` to the attempt number it ran, so the attempt cannot be un-
    /// counted; instead `max_attempts` grows by one, which leaves the attempts still allowed as
    /// they were. The row stays locked by its worker until that ack, as with
    /// [`SqliteQueue::retry_at`], so no other worker can fetch it in between.
    pub async fn defer(&self, task_id: &str, at: DateTime<Utc>) -> Result<(), QueueError> {
        sqlx::query("UPDATE Jobs SET run_at = ?1, max_attempts = max_attempts + 1 WHERE id = ?2")
            .bind(whole_seconds_after(at))
            .bind(task_id)
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    /// A job's attempts in all: its kind's, plus one for each time it was deferred.
    pub async fn max_attempts(&self, task_id: &str) -> Result<Option<u32>, QueueError> {
        let max: Option<i64> = sqlx::query_scalar("SELECT max_attempts FROM Jobs WHERE id = ?1")
            .bind(task_id)
            .fetch_optional(&self.pool)
            .await?;
        Ok(max.map(|m| u32::try_from(m).unwrap_or(u32::MAX)))
    }

    /// A backend that feeds one queue's worker.
    pub fn backend(&self, queue: &str) -> JobBackend {
        self.backend_polling(queue, self.poll_interval)
    }

    /// [`SqliteQueue::backend`], polling every `poll` for jobs from other processes.
    pub fn backend_polling(&self, queue: &str, poll: Duration) -> JobBackend {
        let wakeup = Arc::new(Wakeup::default());
        self.wakers.lock().expect("wakers lock").push(wakeup.clone());
        let config = apalis_sqlite::Config::default()
            .queue(queue)
            .batch_size(16)
            .heartbeat_interval(Duration::from_secs(10))
            .missed_heartbeats(3)
            // The fetch already marks a row Queued and locked by this worker. apalis' separate
            // "lock" event can be applied after the attempt's result and turn a Failed row back
            // into Running, which no fetch picks up until the worker is presumed dead.
            .lock_tasks(false);
        let mut tick = tokio::time::interval(poll);
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        let strategy = StreamStrategy::new(WakeupStream { wakeup, tick });
        PollWith::new(WithCodec::new(SqliteWorker::new(&self.pool, config), LenientJson), strategy)
    }

    /// Stops workers of every process fetching from `queue` (running jobs finish), or lets them
    /// again. Every fetch reads it, so a pause holds at once; other processes' idle workers see a
    /// resume within their poll interval.
    pub async fn set_paused(&self, queue: &str, paused: bool) -> Result<(), QueueError> {
        let sql = if paused {
            "INSERT INTO teleops_paused (queue) VALUES (?1) ON CONFLICT DO NOTHING"
        } else {
            "DELETE FROM teleops_paused WHERE queue = ?1"
        };
        sqlx::query(sql).bind(queue).execute(&self.pool).await?;
        if !paused {
            self.wake_all();
        }
        Ok(())
    }

    /// The paused queues.
    pub async fn paused(&self) -> Result<Vec<String>, QueueError> {
        Ok(sqlx::query_scalar("SELECT queue FROM teleops_paused ORDER BY queue").fetch_all(&self.pool).await?)
    }

    /// A plain storage handle for the board's read API (no polling).
    pub fn board_storage(&self, queue: &str) -> SqliteStorage<Value> {
        SqliteStorage::new(&self.pool).with_config(apalis_sqlite::Config::default().queue(queue))
    }

    /// Dead jobs, newest first.
    pub async fn dead(&self, limit: i64, offset: i64) -> Result<Vec<DeadJob>, QueueError> {
        let rows = sqlx::query(
            "SELECT id, job_type, attempts, max_attempts, last_result, job, done_at FROM Jobs \
             WHERE status = 'Killed' OR (status = 'Failed' AND attempts >= max_attempts) \
             ORDER BY done_at DESC, id DESC LIMIT ?1 OFFSET ?2",
        )
        .bind(limit)
        .bind(offset)
        .fetch_all(&self.pool)
        .await?;
        Ok(rows
            .into_iter()
            .map(|r| {
                let raw: Vec<u8> = r.get("job");
                DeadJob {
                    id: r.get("id"),
                    queue: r.get("job_type"),
                    attempts: r.get("attempts"),
                    max_attempts: r.get("max_attempts"),
                    last_error: r.get("last_result"),
                    payload: serde_json::from_slice(&raw)
                        .unwrap_or_else(|_| Value::String(String::from_utf8_lossy(&raw).into_owned())),
                    done_at: r.get("done_at"),
                }
            })
            .collect())
    }

    /// Counts by state for every queue that has jobs, plus the named ones.
    pub async fn counts(&self, known: &[&str]) -> Result<Vec<QueueCounts>, QueueError> {
        let rows = sqlx::query(
            "SELECT job_type, \
               SUM(status = 'Pending' OR (status = 'Failed' AND attempts < max_attempts)) AS pending, \
               SUM(status IN ('Queued', 'Running')) AS running, \
               SUM(status = 'Done') AS done, \
               SUM(status = 'Killed' OR (status = 'Failed' AND attempts >= max_attempts)) AS dead \
             FROM Jobs GROUP BY job_type",
        )
        .fetch_all(&self.pool)
        .await?;
        let mut counts: Vec<QueueCounts> = rows
            .into_iter()
            .map(|r| QueueCounts {
                queue: r.get("job_type"),
                pending: r.get("pending"),
                running: r.get("running"),
                done: r.get("done"),
                dead: r.get("dead"),
                paused: false,
            })
            .collect();
        for name in known {
            if !counts.iter().any(|c| c.queue == *name) {
                counts.push(QueueCounts { queue: (*name).to_owned(), ..Default::default() });
            }
        }
        counts.sort_by(|a, b| a.queue.cmp(&b.queue));
        Ok(counts)
    }

    /// One job by id.
    pub async fn get(&self, id: &str) -> Result<Option<JobInfo>, QueueError> {
        let mut sql = sqlx::QueryBuilder::new(JOB_COLUMNS);
        sql.push(" WHERE id = ").push_bind(id);
        let row = sql.build().fetch_optional(&self.pool).await?;
        Ok(row.as_ref().map(job_info))
    }

    /// Jobs matching `filter`, oldest first (ids are ULIDs, in the order they were enqueued).
    pub async fn list(&self, filter: &JobFilter, limit: u64, offset: u64) -> Result<Vec<JobInfo>, QueueError> {
        let mut sql = sqlx::QueryBuilder::new(JOB_COLUMNS);
        sql.push(" WHERE 1 = 1");
        if let Some(queue) = &filter.queue {
            sql.push(" AND job_type = ").push_bind(queue.clone());
        }
        if let Some(state) = filter.state {
            sql.push(" AND ").push(state_sql(state));
        }
        if let Some(key) = &filter.idempotency_key {
            sql.push(" AND idempotency_key = ").push_bind(key.clone());
        }
        sql.push(" ORDER BY id LIMIT ").push_bind(i64::try_from(limit).unwrap_or(i64::MAX));
        sql.push(" OFFSET ").push_bind(i64::try_from(offset).unwrap_or(i64::MAX));
        let rows = sql.build().fetch_all(&self.pool).await?;
        Ok(rows.iter().map(job_info).collect())
    }

    /// Cheap liveness check for `/health`.
    pub async fn ping(&self) -> Result<(), QueueError> {
        sqlx::query("SELECT 1").execute(&self.pool).await?;
        Ok(())
    }
}

/// apalis-sqlite's row, read as a state: `Failed` is `Retrying` while attempts are left.
fn state_of_row(status: &str, attempts: i64, max_attempts: i64) -> JobState {
    match status {
        "Queued" | "Running" => JobState::Running,
        "Done" => JobState::Done,
        "Killed" => JobState::Dead,
        "Failed" if attempts >= max_attempts => JobState::Dead,
        "Failed" => JobState::Retrying,
        _ => JobState::Waiting,
    }
}

/// The rows of apalis-sqlite's `Jobs` in this state, as SQL.
fn state_sql(state: JobState) -> &'static str {
    match state {
        JobState::Waiting => "status = 'Pending'",
        JobState::Running => "status IN ('Queued', 'Running')",
        JobState::Retrying => "(status = 'Failed' AND attempts < max_attempts)",
        JobState::Done => "status = 'Done'",
        JobState::Dead => "(status = 'Killed' OR (status = 'Failed' AND attempts >= max_attempts))",
    }
}

/// The columns [`job_info`] reads.
const JOB_COLUMNS: &str = "SELECT id, job_type, status, attempts, max_attempts, last_result, job, idempotency_key, run_at, done_at, lock_by FROM Jobs";

fn job_info(r: &sqlx::sqlite::SqliteRow) -> JobInfo {
    let (attempts, max_attempts): (i64, i64) = (r.get("attempts"), r.get("max_attempts"));
    let status: String = r.get("status");
    let raw: Vec<u8> = r.get("job");
    let at = |secs: i64| DateTime::from_timestamp(secs, 0).unwrap_or_default();
    JobInfo {
        id: r.get("id"),
        queue: r.get("job_type"),
        state: state_of_row(&status, attempts, max_attempts),
        attempts: u32::try_from(attempts).unwrap_or(0),
        max_attempts: u32::try_from(max_attempts).unwrap_or(0),
        last_error: r.get("last_result"),
        payload: LenientJson.decode(&raw).unwrap_or(Value::Null),
        idempotency_key: r.get("idempotency_key"),
        run_at: at(r.get("run_at")),
        done_at: r.get::<Option<i64>, _>("done_at").map(at),
        worker: r.get("lock_by"),
    }
}

/// `run_at` has second precision: round up, so a delay is never shorter than asked.
fn whole_seconds_after(at: DateTime<Utc>) -> i64 {
    at.timestamp() + i64::from(at.timestamp_subsec_nanos() > 0)
}

async fn insert<J: Job>(
    tx: &mut sqlx::SqliteConnection,
    job: &J,
    options: &Enqueue,
) -> Result<EnqueueOutcome, QueueError> {
    insert_row(tx, J::QUEUE, &serde_json::to_vec(job)?, J::POLICY.max_attempts, options).await
}

/// Inserts one row in apalis-sqlite's format, unless its idempotency key is taken.
async fn insert_row(
    tx: &mut sqlx::SqliteConnection,
    queue: &str,
    payload: &[u8],
    max_attempts: u32,
    options: &Enqueue,
) -> Result<EnqueueOutcome, QueueError> {
    let id = next_id();
    let run_at = options.run_at.unwrap_or_else(Utc::now).timestamp();
    let res = sqlx::query(
        "INSERT INTO Jobs (job, id, job_type, status, attempts, max_attempts, run_at, priority, metadata, idempotency_key) \
         VALUES (?1, ?2, ?3, 'Pending', 0, ?4, ?5, 0, '{}', ?6) \
         ON CONFLICT(job_type, idempotency_key) DO NOTHING",
    )
    .bind(payload)
    .bind(&id)
    .bind(queue)
    .bind(i64::from(max_attempts))
    .bind(run_at)
    .bind(options.idempotency_key.as_deref())
    .execute(&mut *tx)
    .await?;
    if res.rows_affected() == 1 {
        return Ok(EnqueueOutcome { id, duplicate: false });
    }
    let existing: String = sqlx::query_scalar("SELECT id FROM Jobs WHERE job_type = ?1 AND idempotency_key = ?2")
        .bind(queue)
        .bind(options.idempotency_key.as_deref())
        .fetch_one(&mut *tx)
        .await?;
    Ok(EnqueueOutcome { id: existing, duplicate: true })
}

/// A coalescing wake-up flag: many enqueues between two fetches cause one fetch.
#[derive(Debug, Default)]
pub struct Wakeup {
    flag: AtomicBool,
    waker: AtomicWaker,
}

impl Wakeup {
    fn wake(&self) {
        self.flag.store(true, Ordering::Release);
        self.waker.wake();
    }
}

/// Wakes a worker on this process's enqueues and on every poll tick.
///
/// The tick is ours rather than apalis' `IntervalStrategy`, which re-arms its timer without
/// polling it: when a fetch then completes within the same poll, no timer wake is registered and
/// the worker sleeps until its next heartbeat. `Interval::poll_tick` registers every time.
#[derive(Debug)]
pub struct WakeupStream {
    wakeup: Arc<Wakeup>,
    tick: tokio::time::Interval,
}

impl Stream for WakeupStream {
    type Item = ();

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<()>> {
        self.wakeup.waker.register(cx.waker());
        let woken = self.wakeup.flag.swap(false, Ordering::AcqRel);
        let ticked = self.tick.poll_tick(cx).is_ready();
        if woken || ticked { Poll::Ready(Some(())) } else { Poll::Pending }
    }
}
