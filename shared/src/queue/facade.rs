//! [`Queue`]: the one handle the rest of teleops holds, over whichever store
//! `TELEOPS_QUEUE_URL` names. Every verb means the same on both stores; the few that only one
//! store needs (the SQLite runner's pre-ack writes) are no-ops on the other.

use std::time::Duration;

use chrono::{DateTime, Utc};

use super::redis::{Presence, RedisQueue};
use super::sqlite::SqliteQueue;
use super::{
    DeadJob, Enqueue, EnqueueOutcome, JobFilter, JobInfo, JobState, QueueCounts, QueueError, Retention, Verdict,
};
use crate::jobs::Job;
use crate::metrics::Metrics;

/// Where jobs are kept.
#[derive(Clone, Debug)]
pub enum Store {
    /// apalis-sqlite in its own database file: the embedded default.
    Sqlite(SqliteQueue),
    /// Redis, shared by any number of worker processes.
    Redis(RedisQueue),
}

/// A handle to the job queue; cheap to clone.
#[derive(Clone, Debug)]
pub struct Queue {
    store: Store,
    metrics: Metrics,
}

/// Key prefix of the Redis store.
const REDIS_PREFIX: &str = "teleops:";

impl Queue {
    /// Opens the store `url` names: `sqlite://…` (created if needed, not migrated) or
    /// `redis://…`.
    pub async fn connect(url: &str, metrics: Metrics) -> Result<Self, QueueError> {
        let store = if url.starts_with("redis://") || url.starts_with("rediss://") {
            Store::Redis(RedisQueue::connect(url, REDIS_PREFIX).await?)
        } else {
            Store::Sqlite(SqliteQueue::connect(url).await?)
        };
        Ok(Self { store, metrics })
    }

    /// Wraps a Redis store opened by the caller (tests use their own key prefix).
    pub fn redis(store: RedisQueue, metrics: Metrics) -> Self {
        Self { store: Store::Redis(store), metrics }
    }

    pub fn store(&self) -> &Store {
        &self.store
    }

    /// The SQLite pool, for the embedded store's own checks.
    pub fn sqlite_pool(&self) -> Option<&apalis_sqlite::SqlitePool> {
        match &self.store {
            Store::Sqlite(q) => Some(q.pool()),
            Store::Redis(_) => None,
        }
    }

    /// How often idle SQLite workers look for work enqueued by other processes. Redis wakes
    /// them instead.
    pub fn poll_interval(mut self, every: Duration) -> Self {
        if let Store::Sqlite(q) = self.store {
            self.store = Store::Sqlite(q.poll_interval(every));
        }
        self
    }

    /// How long finished jobs are kept. SQLite trims on the periodic purge; Redis also as jobs
    /// finish.
    pub fn retention(mut self, retention: Retention) -> Self {
        if let Store::Redis(q) = self.store {
            self.store = Store::Redis(q.retention(retention));
        }
        self
    }

    /// How Redis workers beat and when a silent one is reaped.
    pub fn presence(mut self, presence: Presence) -> Self {
        if let Store::Redis(q) = self.store {
            self.store = Store::Redis(q.presence(presence));
        }
        self
    }

    /// Enqueues through this handle check `fence` first (Redis): once a later term of that lease
    /// has begun they fail with [`QueueError::is_fenced`]. The database leases of the embedded
    /// store have no fencing.
    pub fn fenced(mut self, fence: Option<crate::lease::Fence>) -> Self {
        if let Store::Redis(q) = self.store {
            self.store = Store::Redis(q.fenced(fence));
        }
        self
    }

    /// Applies the store's schema migrations (Redis has none).
    pub async fn migrate(&self) -> Result<(), QueueError> {
        match &self.store {
            Store::Sqlite(q) => q.migrate().await,
            Store::Redis(_) => Ok(()),
        }
    }

    /// How many schema migrations are not applied yet.
    pub async fn pending_migrations(&self) -> Result<usize, QueueError> {
        match &self.store {
            Store::Sqlite(q) => q.pending_migrations().await,
            Store::Redis(_) => Ok(0),
        }
    }

    /// Adds one job.
    pub async fn enqueue<J: Job>(&self, job: &J, options: Enqueue) -> Result<EnqueueOutcome, QueueError> {
        let outcome = match &self.store {
            Store::Sqlite(q) => q.enqueue(job, options).await?,
            Store::Redis(q) => q.enqueue(job, options).await?,
        };
        self.count_added::<J>(std::slice::from_ref(&outcome));
        Ok(outcome)
    }

    /// Adds many jobs of one kind; the scheduler's path.
    pub async fn enqueue_many<J: Job>(&self, jobs: &[(J, Enqueue)]) -> Result<Vec<EnqueueOutcome>, QueueError> {
        let outcomes = match &self.store {
            Store::Sqlite(q) => q.enqueue_many(jobs).await?,
            Store::Redis(q) => q.enqueue_many::<J>(jobs).await?,
        };
        self.count_added::<J>(&outcomes);
        Ok(outcomes)
    }

    /// Adds a job to `queue` whose payload is `payload` as it is, decodable or not: what an older
    /// version or a damaged store may leave behind. For tests of the runner's "a payload that does
    /// not decode is dead" rule on every store.
    #[doc(hidden)]
    pub async fn enqueue_raw(&self, queue: &str, payload: &[u8], max_attempts: u32) -> Result<String, QueueError> {
        Ok(match &self.store {
            Store::Sqlite(q) => q.enqueue_raw(queue, payload, max_attempts).await?,
            Store::Redis(q) => q.enqueue_raw(queue, payload, max_attempts).await?,
        })
    }

    fn count_added<J: Job>(&self, outcomes: &[EnqueueOutcome]) {
        let added = outcomes.iter().filter(|o| !o.duplicate).count() as u64;
        if added > 0 {
            self.metrics.jobs_enqueued.with_label_values(&[J::QUEUE]).inc_by(added);
        }
    }

    /// Records, before the attempt is acknowledged, what the SQLite store needs written then: a
    /// retry's or a deferral's run-at. The Redis store records the verdict with the ack itself.
    pub async fn settle(&self, id: &str, verdict: &Verdict) -> Result<(), QueueError> {
        let Store::Sqlite(q) = &self.store else { return Ok(()) };
        match verdict {
            Verdict::Retry { at, .. } => q.retry_at(id, *at).await,
            Verdict::Defer { at, .. } => q.defer(id, *at).await,
            Verdict::Done | Verdict::Dead { .. } | Verdict::Release => Ok(()),
        }
    }

    /// A job's attempts in all. On SQLite each deferral raised it by one (the attempt cannot be
    /// un-counted there); on Redis it stays as enqueued.
    pub async fn max_attempts(&self, id: &str) -> Result<Option<u32>, QueueError> {
        Ok(match &self.store {
            Store::Sqlite(q) => q.max_attempts(id).await?,
            Store::Redis(q) => q.max_attempts(id).await?,
        })
    }

    /// One job by id.
    pub async fn get(&self, id: &str) -> Result<Option<JobInfo>, QueueError> {
        Ok(match &self.store {
            Store::Sqlite(q) => q.get(id).await?,
            Store::Redis(q) => q.get(id).await?,
        })
    }

    /// Jobs matching `filter`, oldest first.
    pub async fn list(&self, filter: &JobFilter, limit: u64, offset: u64) -> Result<Vec<JobInfo>, QueueError> {
        Ok(match &self.store {
            Store::Sqlite(q) => q.list(filter, limit, offset).await?,
            Store::Redis(q) => q.list(filter, limit, offset).await?,
        })
    }

    /// Dead jobs of every queue.
    pub async fn dead(&self, limit: i64, offset: i64) -> Result<Vec<DeadJob>, QueueError> {
        match &self.store {
            Store::Sqlite(q) => q.dead(limit, offset).await,
            Store::Redis(q) => {
                let filter = JobFilter { state: Some(JobState::Dead), ..JobFilter::default() };
                let jobs = q.list(&filter, limit.max(0) as u64, offset.max(0) as u64).await?;
                Ok(jobs
                    .into_iter()
                    .map(|j| DeadJob {
                        id: j.id,
                        queue: j.queue,
                        attempts: i64::from(j.attempts),
                        max_attempts: i64::from(j.max_attempts),
                        last_error: j.last_error,
                        payload: j.payload,
                        done_at: j.done_at.map(|at| at.timestamp()),
                    })
                    .collect())
            }
        }
    }

    /// Counts by state for every queue that has had jobs, plus the named ones, and whether each
    /// is paused.
    pub async fn counts(&self, known: &[&str]) -> Result<Vec<QueueCounts>, QueueError> {
        let mut counts = match &self.store {
            Store::Sqlite(q) => q.counts(known).await?,
            Store::Redis(q) => q.counts(known).await?,
        };
        let paused = self.paused().await?;
        for c in &mut counts {
            c.paused = paused.contains(&c.queue);
        }
        Ok(counts)
    }

    /// Gives a dead job its attempts back and runs it again at once; false when it is not dead.
    pub async fn retry(&self, id: &str) -> Result<bool, QueueError> {
        Ok(match &self.store {
            Store::Sqlite(q) => q.retry(id).await?,
            Store::Redis(q) => q.retry(id).await?,
        })
    }

    /// Deletes a job that is not running; false when there is no such job (or it runs).
    pub async fn delete(&self, id: &str) -> Result<bool, QueueError> {
        Ok(match &self.store {
            Store::Sqlite(q) => q.delete(id).await?,
            Store::Redis(q) => q.delete(id).await?,
        })
    }

    /// Deletes every job of `queue` in `state` (never running ones); returns how many.
    pub async fn purge(&self, queue: &str, state: JobState) -> Result<u64, QueueError> {
        Ok(match &self.store {
            Store::Sqlite(q) => q.purge(queue, state).await?,
            Store::Redis(q) => q.purge(queue, state).await?,
        })
    }

    /// Deletes finished jobs that finished before `before`, and the oldest beyond `keep_count`
    /// per queue; dead jobs stay. Returns how many.
    pub async fn purge_done(&self, before: DateTime<Utc>, keep_count: u64) -> Result<u64, QueueError> {
        Ok(match &self.store {
            Store::Sqlite(q) => q.purge_done(before, keep_count).await?,
            Store::Redis(q) => q.trim(before, keep_count).await?,
        })
    }

    /// Stops workers of every process taking jobs from `queue` (running jobs finish; enqueues
    /// still add), or lets them again.
    pub async fn set_paused(&self, queue: &str, paused: bool) -> Result<(), QueueError> {
        match &self.store {
            Store::Sqlite(q) => q.set_paused(queue, paused).await,
            Store::Redis(q) => Ok(q.set_paused(queue, paused).await?),
        }
    }

    /// The paused queues, by name.
    pub async fn paused(&self) -> Result<Vec<String>, QueueError> {
        match &self.store {
            Store::Sqlite(q) => q.paused().await,
            Store::Redis(q) => Ok(q.paused().await?),
        }
    }

    /// Cheap liveness check for `/health`.
    pub async fn ping(&self) -> Result<(), QueueError> {
        match &self.store {
            Store::Sqlite(q) => q.ping().await,
            Store::Redis(q) => Ok(q.ping().await?),
        }
    }
}
