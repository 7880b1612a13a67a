//! The Redis queue store (`TELEOPS_QUEUE_URL=redis://…`): lists and sorted sets changed only by
//! Lua scripts (`lua/*.lua`), each bounded in what it touches, so every change of a job is atomic.
//!
//! This file holds what enqueues, inspects and claims; acknowledging and the worker heartbeat
//! come with the apalis backend built on it.
//!
//! Keys, under a prefix (`teleops:` by default, so one Redis can serve several installations):
//! - `job:<id>` HASH: `queue`, `payload`, `state` (a [`JobState`] word), `attempts`, `max`,
//!   `run_at` (ms), `key` (idempotency key or ''), `last_error`, `done_at` (ms).
//! - `queues` SET: every queue that ever had a job.
//! - per queue, `q:<queue>:`…
//!   - `all` ZSET (score 0): every job id, so a lexical range is enqueue order (ids are ULIDs);
//!   - `s:<state>` ZSET (score 0): the ids in each state, in enqueue order the same way;
//!   - `ready` LIST: ids to claim, oldest at the right. It may still hold the id of a deleted job
//!     (removing it would cost the whole list); a claim skips ids whose job is gone;
//!   - `delayed` ZSET: ids not to run before their score (ms), first attempts and retries alike;
//!   - `key:<key>` STRING: the id holding an idempotency key, for [`RedisQueue::key_ttl`].
//!
//! Invariant: a job's id is in exactly one `s:<state>` set, the one its hash names.

use std::collections::HashMap;
use std::time::Duration;

use chrono::{DateTime, Utc};
use redis::AsyncCommands;
use redis::aio::ConnectionManager;
use serde_json::Value;

use super::{Enqueue, EnqueueOutcome, JobFilter, JobInfo, JobState, QueueCounts, next_id};
use crate::jobs::Job;

/// A Redis operation that failed.
#[derive(Debug, thiserror::Error)]
pub enum RedisQueueError {
    #[error("redis: {0}")]
    Redis(#[from] redis::RedisError),
    #[error("job payload: {0}")]
    Encode(#[from] serde_json::Error),
}

/// Jobs per script call when enqueueing many: a script holds Redis while it runs.
const ENQUEUE_CHUNK: usize = 500;
/// Jobs per script call when purging.
const PURGE_CHUNK: isize = 1_000;

/// A handle to the Redis queue store; cheap to clone.
#[derive(Clone)]
pub struct RedisQueue {
    conn: ConnectionManager,
    prefix: String,
    /// How long an idempotency key stays taken: longer than finished jobs are kept, so a key is
    /// not free again while its job can still be seen.
    key_ttl: Duration,
    scripts: Scripts,
}

#[derive(Clone)]
struct Scripts {
    enqueue: redis::Script,
    retry: redis::Script,
    delete: redis::Script,
    claim: redis::Script,
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
        let conn = ConnectionManager::new(client).await?;
        let scripts = Scripts {
            enqueue: redis::Script::new(include_str!("lua/enqueue.lua")),
            retry: redis::Script::new(include_str!("lua/retry.lua")),
            delete: redis::Script::new(include_str!("lua/delete.lua")),
            claim: redis::Script::new(include_str!("lua/claim.lua")),
        };
        Ok(Self { conn, prefix: prefix.to_owned(), key_ttl: Duration::from_secs(2 * 24 * 3600), scripts })
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
        let mut outcomes = Vec::with_capacity(jobs.len());
        for chunk in jobs.chunks(ENQUEUE_CHUNK) {
            let mut call = self.scripts.enqueue.prepare_invoke();
            call.arg(&self.prefix).arg(J::QUEUE).arg(Utc::now().timestamp_millis()).arg(self.key_ttl.as_secs());
            for (job, options) in chunk {
                let run_at = options.run_at.unwrap_or_else(Utc::now).timestamp_millis();
                call.arg(next_id())
                    .arg(serde_json::to_vec(job.borrow())?)
                    .arg(J::POLICY.max_attempts)
                    .arg(run_at)
                    .arg(options.idempotency_key.as_deref().unwrap_or(""));
            }
            let answer: Vec<String> = call.invoke_async(&mut self.conn.clone()).await?;
            outcomes
                .extend(answer.chunks(2).map(|pair| EnqueueOutcome { id: pair[0].clone(), duplicate: pair[1] == "1" }));
        }
        Ok(outcomes)
    }

    /// One job by id.
    pub async fn get(&self, id: &str) -> Result<Option<JobInfo>, RedisQueueError> {
        let fields: HashMap<String, Vec<u8>> = self.conn.clone().hgetall(self.job_key(id)).await?;
        Ok(job_info(id, &fields))
    }

    /// Jobs matching `filter`, oldest first. Without a queue, every queue's jobs, merged by id.
    pub async fn list(&self, filter: &JobFilter, limit: u64, offset: u64) -> Result<Vec<JobInfo>, RedisQueueError> {
        let mut conn = self.conn.clone();
        if let (Some(queue), Some(key)) = (&filter.queue, &filter.idempotency_key) {
            let holder: Option<String> = conn.get(format!("{}key:{key}", self.queue_prefix(queue))).await?;
            let job = match holder {
                Some(id) => self.get(&id).await?,
                None => None,
            };
            let wanted = job.filter(|j| filter.state.is_none_or(|s| s == j.state));
            return Ok(wanted.into_iter().skip(offset as usize).take(limit as usize).collect());
        }
        let queues: Vec<String> = match &filter.queue {
            Some(queue) => vec![queue.clone()],
            None => conn.smembers(format!("{}queues", self.prefix)).await?,
        };
        let set = |queue: &str| match filter.state {
            Some(state) => format!("{}s:{}", self.queue_prefix(queue), state_word(state)),
            None => format!("{}all", self.queue_prefix(queue)),
        };
        // The first offset + limit of each queue, merged: ids sort in enqueue order.
        let wanted = (offset + limit) as isize;
        let mut ids = Vec::new();
        for queue in &queues {
            let some: Vec<String> = conn.zrangebylex_limit(set(queue), "-", "+", 0, wanted).await?;
            ids.extend(some);
        }
        ids.sort();
        let mut jobs = Vec::new();
        for id in ids.into_iter().skip(offset as usize).take(limit as usize) {
            if let Some(job) = self.get(&id).await? {
                jobs.push(job);
            }
        }
        Ok(jobs)
    }

    /// Counts by state for every queue that has had jobs, plus the named ones.
    pub async fn counts(&self, known: &[&str]) -> Result<Vec<QueueCounts>, RedisQueueError> {
        let mut conn = self.conn.clone();
        let mut queues: Vec<String> = conn.smembers(format!("{}queues", self.prefix)).await?;
        queues.extend(known.iter().map(|q| (*q).to_owned()));
        queues.sort();
        queues.dedup();
        let mut counts = Vec::with_capacity(queues.len());
        for queue in queues {
            let mut pipe = redis::pipe();
            for state in ALL_STATES {
                pipe.zcard(format!("{}s:{}", self.queue_prefix(&queue), state_word(state)));
            }
            let [waiting, running, retrying, done, dead]: [i64; 5] = pipe.query_async(&mut conn).await?;
            counts.push(QueueCounts { queue, pending: waiting + retrying, running, done, dead });
        }
        Ok(counts)
    }

    /// Gives a dead job its attempts back and runs it again at once; false when it is not dead.
    pub async fn retry(&self, id: &str) -> Result<bool, RedisQueueError> {
        let done: i64 =
            self.scripts.retry.prepare_invoke().arg(&self.prefix).arg(id).invoke_async(&mut self.conn.clone()).await?;
        Ok(done == 1)
    }

    /// Deletes a job that is not running; false when there is no such job (or it runs).
    pub async fn delete(&self, id: &str) -> Result<bool, RedisQueueError> {
        let n: i64 =
            self.scripts.delete.prepare_invoke().arg(&self.prefix).arg(id).invoke_async(&mut self.conn.clone()).await?;
        Ok(n == 1)
    }

    /// Deletes every job of `queue` in `state` (never running ones), a chunk per script call;
    /// returns how many.
    pub async fn purge(&self, queue: &str, state: JobState) -> Result<u64, RedisQueueError> {
        if state == JobState::Running {
            return Ok(0);
        }
        let set = format!("{}s:{}", self.queue_prefix(queue), state_word(state));
        let mut conn = self.conn.clone();
        let mut total = 0;
        loop {
            let ids: Vec<String> = conn.zrange(&set, 0, PURGE_CHUNK - 1).await?;
            if ids.is_empty() {
                return Ok(total);
            }
            let mut call = self.scripts.delete.prepare_invoke();
            call.arg(&self.prefix).arg(&ids);
            let n: u64 = call.invoke_async(&mut conn).await?;
            total += n;
        }
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

const ALL_STATES: [JobState; 5] =
    [JobState::Waiting, JobState::Running, JobState::Retrying, JobState::Done, JobState::Dead];

/// A state as the scripts store it: the same words as the API's.
fn state_word(state: JobState) -> &'static str {
    match state {
        JobState::Waiting => "waiting",
        JobState::Running => "running",
        JobState::Retrying => "retrying",
        JobState::Done => "done",
        JobState::Dead => "dead",
    }
}

fn job_info(id: &str, fields: &HashMap<String, Vec<u8>>) -> Option<JobInfo> {
    let text = |name: &str| fields.get(name).map(|v| String::from_utf8_lossy(v).into_owned());
    let number = |name: &str| text(name).and_then(|v| v.parse::<i64>().ok());
    let at = |ms: i64| DateTime::from_timestamp_millis(ms).unwrap_or_default();
    let state = match text("state")?.as_str() {
        "running" => JobState::Running,
        "retrying" => JobState::Retrying,
        "done" => JobState::Done,
        "dead" => JobState::Dead,
        _ => JobState::Waiting,
    };
    let payload = fields.get("payload").map(|raw| {
        serde_json::from_slice(raw).unwrap_or_else(|_| Value::String(String::from_utf8_lossy(raw).into_owned()))
    });
    Some(JobInfo {
        id: id.to_owned(),
        queue: text("queue")?,
        state,
        attempts: number("attempts").and_then(|n| u32::try_from(n).ok()).unwrap_or(0),
        max_attempts: number("max").and_then(|n| u32::try_from(n).ok()).unwrap_or(0),
        last_error: text("last_error").filter(|e| !e.is_empty()),
        payload: payload.unwrap_or(Value::Null),
        idempotency_key: text("key").filter(|k| !k.is_empty()),
        run_at: at(number("run_at").unwrap_or(0)),
        done_at: number("done_at").map(at),
    })
}
