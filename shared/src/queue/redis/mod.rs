//! The Redis queue store (`TELEOPS_QUEUE_URL=redis://…`): lists and sorted sets changed only by
//! Lua scripts (`lua/*.lua`), each bounded in what it touches, so every change of a job is atomic.
//!
//! This file holds the store's verbs: enqueue, inspect, claim, acknowledge, beat and reap.
//! [`backend`] feeds apalis workers with them.
//!
//! Keys, under a prefix (`teleops:` by default, so one Redis can serve several installations):
//! - `job:<id>` HASH: `queue`, `payload`, `state` (a [`JobState`](super::JobState) word),
//!   `attempts` (absent before the first), `max`, `run_at` (ms), `key` (idempotency key, absent
//!   when none), `worker`, `last_error`, `done_at` (ms).
//! - `queues` SET: every queue that ever had a job.
//! - per queue, `q:<queue>:`…
//!   - `ready` LIST: ids to claim, oldest at the right. It may still hold the id of a deleted job
//!     (removing it would cost the whole list); a claim skips ids whose job is gone;
//!   - `delayed` ZSET: ids not to run before their score (ms), first attempts and retries alike;
//!   - `done` and `dead` ZSETs: finished ids by finishing time (ms), for retention and listing;
//!   - `count` HASH: how many jobs are `waiting`, `retrying` and `running`, kept by the scripts;
//!   - `key:<key>` STRING: the id holding an idempotency key, for [`RedisQueue::key_ttl`];
//!   - `wake` LIST: at most one token; an idle worker blocks on it (BLPOP), and every change that
//!     makes a job ready pushes one, so pickup takes a round trip, not a poll interval;
//!   - `paused` STRING: while set, claims hand out nothing.
//! - `workers` ZSET: worker name -> last sign of life (ms); `worker:<name>` HASH: its queue and
//!   start; `worker:<name>:jobs` SET: the jobs it holds. A worker silent for
//!   [`Presence::gone_after`] is reaped: its jobs go back to their queues ([`RedisQueue::reap`]).
//!
//! There is no set per state and no index of every job: each job change costs a few writes
//! (about seven commands from enqueue to trim, several batched per call). Listing asks the places
//! above ([`inspect`]).
//!
//! Invariants: a waiting or retrying job's id is in `ready` or `delayed`; a finished one in
//! `done` or `dead`; a running one in exactly one worker's set, the worker its hash names, and
//! only that worker's ack is taken (membership of the set is the test). A done job's hash still
//! says `running` (its ack writes only the `done` set): a job is done when it is in `done`. The
//! counters move with every state change, in the same script.
//! Scripts compute key names from their arguments, so the store needs one Redis server (or a
//! primary with replicas), not a cluster.

use std::time::Duration;

use chrono::{DateTime, Utc};
use redis::AsyncCommands;
use redis::aio::ConnectionManager;

use super::{Enqueue, EnqueueOutcome, Retention, Verdict, next_id};
use crate::jobs::Job;

pub mod backend;
pub mod board;
mod inspect;
mod lease;

/// A Redis operation that failed.
#[derive(Debug, thiserror::Error)]
pub enum RedisQueueError {
    #[error("redis: {0}")]
    Redis(#[from] redis::RedisError),
    #[error("job payload: {0}")]
    Encode(#[from] serde_json::Error),
    /// A fenced enqueue came from a lease holder whose term has ended; nothing was added.
    #[error("fenced: {0}")]
    Fenced(String),
}

/// A script's `FENCED` refusal as [`RedisQueueError::Fenced`].
fn fenced(e: redis::RedisError) -> RedisQueueError {
    match e.code() {
        Some("FENCED") => RedisQueueError::Fenced(e.detail().unwrap_or("lease term ended").to_owned()),
        _ => RedisQueueError::Redis(e),
    }
}

/// Jobs per script call when enqueueing many: a script holds Redis while it runs.
const ENQUEUE_CHUNK: usize = 500;
/// The longest an idle worker blocks before it looks again on its own (for delayed jobs made due
/// by time alone, and as a floor under a lost wake-up).
pub const MAX_IDLE_WAIT: Duration = Duration::from_secs(5);

fn connection_config(response_timeout: Duration) -> redis::aio::ConnectionManagerConfig {
    redis::aio::ConnectionManagerConfig::new()
        .set_response_timeout(Some(response_timeout))
        .set_max_delay(Duration::from_secs(2))
}

/// A handle to the Redis queue store; cheap to clone.
#[derive(Clone)]
pub struct RedisQueue {
    conn: ConnectionManager,
    /// For the dedicated connections idle workers block on.
    client: std::sync::Arc<redis::Client>,
    prefix: String,
    retention: Retention,
    presence: Presence,
    /// How long an idempotency key stays taken: longer than finished jobs are kept, so a key is
    /// not free again while its job can still be seen.
    key_ttl: Duration,
    scripts: std::sync::Arc<Scripts>,
    /// The lease term this handle's enqueues are fenced by, if any.
    fence: Option<crate::lease::Fence>,
}

#[derive(Clone)]
struct Scripts {
    enqueue: redis::Script,
    retry: redis::Script,
    delete: redis::Script,
    claim: redis::Script,
    ack: redis::Script,
    reap: redis::Script,
    trim: redis::Script,
    ids: redis::Script,
    lease: redis::Script,
    release: redis::Script,
}

impl Scripts {
    fn load() -> Self {
        let script = |body: &str| redis::Script::new(&format!("{}\n{body}", include_str!("../lua/lib.lua")));
        Scripts {
            enqueue: script(include_str!("../lua/enqueue.lua")),
            retry: script(include_str!("../lua/retry.lua")),
            delete: script(include_str!("../lua/delete.lua")),
            claim: script(include_str!("../lua/claim.lua")),
            ack: script(include_str!("../lua/ack.lua")),
            reap: script(include_str!("../lua/reap.lua")),
            trim: script(include_str!("../lua/trim_main.lua")),
            ids: script(include_str!("../lua/ids.lua")),
            lease: script(include_str!("../lua/lease.lua")),
            release: script(include_str!("../lua/release.lua")),
        }
    }
}

/// How workers show they are alive: a beat every `beat`, declared gone after `gone_after` of
/// silence. A long job keeps its worker beating, so it is never handed to a second worker.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Presence {
    pub beat: Duration,
    pub gone_after: Duration,
}

impl Default for Presence {
    /// A beat every 2 s, gone after 6 s: a killed worker's jobs run elsewhere within ~8 s.
    fn default() -> Self {
        Self { beat: Duration::from_secs(2), gone_after: Duration::from_secs(6) }
    }
}

/// A live worker, as [`RedisQueue::workers`] lists it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WorkerInfo {
    pub name: String,
    pub queue: String,
    pub started: DateTime<Utc>,
    pub last_beat: DateTime<Utc>,
}

/// A job handed to a worker by [`RedisQueue::claim`].
#[derive(Debug, Clone, PartialEq)]
pub struct Claimed {
    pub id: String,
    pub payload: Vec<u8>,
    /// Which attempt this is, counted at delivery (1 for the first).
    pub attempt: u32,
}

impl std::fmt::Debug for RedisQueue {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RedisQueue").field("prefix", &self.prefix).finish_non_exhaustive()
    }
}

impl RedisQueue {
    /// Connects to `url` (`redis://host:port/db`); keys go under `prefix`.
    pub async fn connect(url: &str, prefix: &str) -> Result<Self, RedisQueueError> {
        let client = redis::Client::open(url)?;
        // A script over a full chunk can take a while on a busy server: wait longer than the
        // client's 500 ms default before calling the connection lost.
        let conn =
            ConnectionManager::new_with_config(client.clone(), connection_config(Duration::from_secs(10))).await?;
        Ok(Self {
            conn,
            client: std::sync::Arc::new(client),
            prefix: prefix.to_owned(),
            key_ttl: Duration::from_secs(2 * 24 * 3600),
            retention: Retention::default(),
            presence: Presence::default(),
            scripts: std::sync::Arc::new(Scripts::load()),
            fence: None,
        })
    }

    /// How long finished jobs are kept (see [`Retention`]).
    pub fn retention(mut self, retention: Retention) -> Self {
        self.retention = retention;
        self
    }

    /// How workers beat and when a silent one is declared gone.
    pub fn presence(mut self, presence: Presence) -> Self {
        self.presence = presence;
        self
    }

    /// How long an idempotency key stays taken (by default two days).
    pub fn key_ttl(mut self, ttl: Duration) -> Self {
        self.key_ttl = ttl;
        self
    }

    /// Adds one job.
    pub async fn enqueue<J: Job>(&self, job: &J, options: Enqueue) -> Result<EnqueueOutcome, RedisQueueError> {
        let mut outcomes = self.enqueue_many::<J>(&[(job, options)]).await?;
        Ok(outcomes.remove(0))
    }

    /// Adds many jobs of one kind, a chunk per script call.
    pub async fn enqueue_many<J: Job>(
        &self,
        jobs: &[(impl std::borrow::Borrow<J>, Enqueue)],
    ) -> Result<Vec<EnqueueOutcome>, RedisQueueError> {
        let encoded = jobs
            .iter()
            .map(|(job, options)| Ok((serde_json::to_vec(job.borrow())?, options)))
            .collect::<Result<Vec<_>, serde_json::Error>>()?;
        self.enqueue_encoded(J::QUEUE, J::POLICY.max_attempts, &encoded).await
    }

    /// Adds a job whose payload is `payload` as it is, decodable or not (see the facade's
    /// `enqueue_raw`).
    #[doc(hidden)]
    pub async fn enqueue_raw(&self, queue: &str, payload: &[u8], max_attempts: u32) -> Result<String, RedisQueueError> {
        let outcomes = self.enqueue_encoded(queue, max_attempts, &[(payload.to_vec(), &Enqueue::default())]).await?;
        Ok(outcomes[0].id.clone())
    }

    pub(super) async fn enqueue_encoded(
        &self,
        queue: &str,
        max_attempts: u32,
        jobs: &[(Vec<u8>, &Enqueue)],
    ) -> Result<Vec<EnqueueOutcome>, RedisQueueError> {
        let mut outcomes = Vec::with_capacity(jobs.len());
        for chunk in jobs.chunks(ENQUEUE_CHUNK) {
            // One `now` for the call: a job meant to run now must not read as due a millisecond
            // later than the script's now, or it would wait behind later jobs as a delayed one.
            let now = Utc::now();
            let mut call = self.scripts.enqueue.prepare_invoke();
            call.arg(&self.prefix).arg(queue).arg(now.timestamp_millis()).arg(self.key_ttl.as_secs());
            match &self.fence {
                Some(fence) => call.arg(&fence.name).arg(fence.token),
                None => call.arg("").arg(""),
            };
            for (payload, options) in chunk {
                let run_at = options.run_at.unwrap_or(now).timestamp_millis();
                call.arg(next_id())
                    .arg(payload)
                    .arg(max_attempts)
                    .arg(run_at)
                    .arg(options.idempotency_key.as_deref().unwrap_or(""));
            }
            let answer: Vec<String> = call.invoke_async(&mut self.conn.clone()).await.map_err(fenced)?;
            outcomes
                .extend(answer.chunks(2).map(|pair| EnqueueOutcome { id: pair[0].clone(), duplicate: pair[1] == "1" }));
        }
        Ok(outcomes)
    }

    /// A job's attempts in all, as enqueued.
    pub async fn max_attempts(&self, id: &str) -> Result<Option<u32>, RedisQueueError> {
        Ok(self.conn.clone().hget(self.job_key(id), "max").await?)
    }

    /// Claims up to `n` ready jobs of `queue` for `worker`, each attempt counted now; a job out of
    /// attempts is dead instead of delivered. Also returns when the next delayed job is due, so
    /// an idle worker knows how long it may wait.
    pub async fn claim(
        &self,
        queue: &str,
        worker: &str,
        n: usize,
        now: DateTime<Utc>,
    ) -> Result<(Vec<Claimed>, Option<DateTime<Utc>>), RedisQueueError> {
        let mut call = self.scripts.claim.prepare_invoke();
        call.arg(&self.prefix).arg(queue).arg(worker).arg(now.timestamp_millis()).arg(n);
        let mut answer: Vec<Vec<u8>> = call.invoke_async(&mut self.conn.clone()).await?;
        let next_due = answer.pop().and_then(|ms| String::from_utf8_lossy(&ms).parse::<f64>().ok());
        let claimed = answer
            .chunks(3)
            .map(|job| Claimed {
                id: String::from_utf8_lossy(&job[0]).into_owned(),
                payload: job[1].clone(),
                attempt: String::from_utf8_lossy(&job[2]).parse().unwrap_or(1),
            })
            .collect();
        Ok((claimed, next_due.and_then(|ms| DateTime::from_timestamp_millis(ms as i64))))
    }

    /// Records how attempts of jobs `worker` holds ended, in one script call; the oldest finished
    /// jobs beyond the kept count are dropped on the way (by age: [`RedisQueue::trim`]).
    /// Returns, per ack, whether it was taken: an ack for a job no longer this worker's
    /// (declared gone, the job handed on) is refused.
    pub async fn ack(
        &self,
        worker: &str,
        acks: &[(String, Verdict)],
        now: DateTime<Utc>,
    ) -> Result<Vec<bool>, RedisQueueError> {
        let mut conn = self.conn.clone();
        let mut taken = Vec::with_capacity(acks.len());
        for chunk in acks.chunks(ENQUEUE_CHUNK) {
            let mut call = self.scripts.ack.prepare_invoke();
            call.arg(&self.prefix).arg(worker).arg(now.timestamp_millis()).arg(self.retention.keep_count);
            for (id, verdict) in chunk {
                let (word, at, text) = match verdict {
                    Verdict::Done => ("done", now, ""),
                    Verdict::Dead { error } => ("dead", now, error.as_str()),
                    Verdict::Retry { at, error } => ("retry", *at, error.as_str()),
                    Verdict::Defer { at, reason } => ("defer", *at, reason.as_str()),
                    Verdict::Release => ("release", now, ""),
                };
                call.arg(id).arg(word).arg(at.timestamp_millis()).arg(text);
            }
            let answer: Vec<String> = call.invoke_async(&mut conn).await?;
            taken.extend(answer.iter().map(|a| a == "1"));
        }
        Ok(taken)
    }

    /// Says `worker` (running `queue`) is alive.
    pub async fn beat(
        &self,
        worker: &str,
        queue: &str,
        started: DateTime<Utc>,
        now: DateTime<Utc>,
    ) -> Result<(), RedisQueueError> {
        let mut pipe = redis::pipe();
        pipe.zadd(format!("{}workers", self.prefix), worker, now.timestamp_millis()).ignore();
        pipe.hset_multiple(
            format!("{}worker:{worker}", self.prefix),
            &[("queue", queue.to_owned()), ("started", started.timestamp_millis().to_string())],
        )
        .ignore();
        pipe.query_async::<()>(&mut self.conn.clone()).await?;
        Ok(())
    }

    /// Gives the jobs of workers silent for [`Presence::gone_after`] back to their queues, at
    /// most 1,000 per call; returns how many.
    pub async fn reap(&self, now: DateTime<Utc>) -> Result<u64, RedisQueueError> {
        let silent_before = now.timestamp_millis() - self.presence.gone_after.as_millis() as i64;
        let mut call = self.scripts.reap.prepare_invoke();
        call.arg(&self.prefix).arg(silent_before);
        Ok(call.invoke_async(&mut self.conn.clone()).await?)
    }

    /// The jobs Redis counts as held by `worker`.
    pub async fn held(&self, worker: &str) -> Result<Vec<String>, RedisQueueError> {
        Ok(self.conn.clone().smembers(format!("{}worker:{worker}:jobs", self.prefix)).await?)
    }

    /// Forgets a stopping worker, unless it still holds jobs (they are reaped once it is silent).
    pub async fn forget(&self, worker: &str) -> Result<(), RedisQueueError> {
        let mut conn = self.conn.clone();
        let held: u64 = conn.scard(format!("{}worker:{worker}:jobs", self.prefix)).await?;
        if held == 0 {
            let _: () = conn.zrem(format!("{}workers", self.prefix), worker).await?;
            let _: () = conn.del(format!("{}worker:{worker}", self.prefix)).await?;
        }
        Ok(())
    }

    /// The workers that showed a sign of life within [`Presence::gone_after`].
    pub async fn workers(&self, now: DateTime<Utc>) -> Result<Vec<WorkerInfo>, RedisQueueError> {
        let mut conn = self.conn.clone();
        let since = now.timestamp_millis() - self.presence.gone_after.as_millis() as i64;
        let alive: Vec<(String, i64)> =
            conn.zrangebyscore_withscores(format!("{}workers", self.prefix), since, "+inf").await?;
        if alive.is_empty() {
            return Ok(Vec::new());
        }
        let mut pipe = redis::pipe();
        for (name, _) in &alive {
            pipe.cmd("HMGET").arg(format!("{}worker:{name}", self.prefix)).arg("queue").arg("started");
        }
        let details: Vec<(Option<String>, Option<i64>)> = pipe.query_async(&mut conn).await?;
        let at = |ms: i64| DateTime::from_timestamp_millis(ms).unwrap_or_default();
        Ok(alive
            .into_iter()
            .zip(details)
            .map(|((name, beat), (queue, started))| WorkerInfo {
                name,
                queue: queue.unwrap_or_default(),
                started: at(started.unwrap_or(beat)),
                last_beat: at(beat),
            })
            .collect())
    }

    /// Drops finished jobs of every queue that finished before `keep_before` or lie beyond
    /// `keep_count`, a chunk per script call; returns how many. Acks trim the queues they
    /// finish jobs in; this catches the quiet ones.
    pub async fn trim(&self, keep_before: DateTime<Utc>, keep_count: u64) -> Result<u64, RedisQueueError> {
        let mut conn = self.conn.clone();
        let queues: Vec<String> = conn.smembers(format!("{}queues", self.prefix)).await?;
        let mut total = 0;
        for queue in queues {
            loop {
                let mut call = self.scripts.trim.prepare_invoke();
                call.arg(&self.prefix).arg(&queue).arg(keep_before.timestamp_millis()).arg(keep_count);
                let n: u64 = call.invoke_async(&mut conn).await?;
                total += n;
                if n < 1_000 {
                    break;
                }
            }
        }
        Ok(total)
    }

    /// Stops claims from `queue` handing out jobs (running ones finish), or lets them again.
    pub async fn set_paused(&self, queue: &str, paused: bool) -> Result<(), RedisQueueError> {
        let mut conn = self.conn.clone();
        let flag = format!("{}paused", self.queue_prefix(queue));
        if paused {
            let mut pipe = redis::pipe();
            pipe.set(flag, "1").ignore().sadd(format!("{}queues", self.prefix), queue).ignore();
            pipe.query_async::<()>(&mut conn).await?;
        } else {
            let mut pipe = redis::pipe();
            pipe.del(flag).ignore().lpush(format!("{}wake", self.queue_prefix(queue)), "1").ignore();
            pipe.ltrim(format!("{}wake", self.queue_prefix(queue)), 0, 0).ignore();
            pipe.query_async::<()>(&mut conn).await?;
        }
        Ok(())
    }

    /// Whether `queue` is paused.
    pub async fn is_paused(&self, queue: &str) -> Result<bool, RedisQueueError> {
        Ok(self.conn.clone().exists(format!("{}paused", self.queue_prefix(queue))).await?)
    }

    /// The paused queues among those that ever had a job.
    pub async fn paused(&self) -> Result<Vec<String>, RedisQueueError> {
        let mut conn = self.conn.clone();
        let mut queues: Vec<String> = conn.smembers(format!("{}queues", self.prefix)).await?;
        if queues.is_empty() {
            return Ok(queues);
        }
        queues.sort();
        let mut pipe = redis::pipe();
        for queue in &queues {
            pipe.exists(format!("{}paused", self.queue_prefix(queue)));
        }
        let flags: Vec<bool> = pipe.query_async(&mut conn).await?;
        Ok(queues.into_iter().zip(flags).filter_map(|(queue, paused)| paused.then_some(queue)).collect())
    }

    /// A connection of its own, for blocking reads that would hold up everyone sharing one.
    pub async fn blocking_connection(&self) -> Result<ConnectionManager, RedisQueueError> {
        let wait = MAX_IDLE_WAIT + Duration::from_secs(5);
        Ok(ConnectionManager::new_with_config((*self.client).clone(), connection_config(wait)).await?)
    }

    /// Blocks on `conn` until a job of `queue` may be ready or `timeout` passes (capped at
    /// [`MAX_IDLE_WAIT`]); true when woken.
    pub async fn wait_for_work(
        &self,
        conn: &mut ConnectionManager,
        queue: &str,
        timeout: Duration,
    ) -> Result<bool, RedisQueueError> {
        let secs = timeout.min(MAX_IDLE_WAIT).as_secs_f64().max(0.001);
        let token: Option<(String, String)> = conn.blpop(format!("{}wake", self.queue_prefix(queue)), secs).await?;
        Ok(token.is_some())
    }

    /// Cheap liveness check for `/health`.
    pub async fn ping(&self) -> Result<(), RedisQueueError> {
        let _: String = redis::cmd("PING").query_async(&mut self.conn.clone()).await?;
        Ok(())
    }

    fn job_key(&self, id: &str) -> String {
        format!("{}job:{id}", self.prefix)
    }

    fn queue_prefix(&self, queue: &str) -> String {
        format!("{}q:{queue}:", self.prefix)
    }
}
