//! Looking at and tidying the Redis store's jobs: get, list, counts, retry, delete, purge.
//!
//! There is no index of every job: listing asks each place jobs of a state are kept (`ids.lua`)
//! and merges by id, which sorts in enqueue order. Counts of unfinished jobs are counters the
//! scripts keep (`q:<queue>:count`), so they cost nothing per job beyond one write per call.

use std::collections::HashMap;

use chrono::DateTime;
use redis::AsyncCommands;
use serde_json::Value;

use super::{RedisQueue, RedisQueueError};
use crate::queue::{JobFilter, JobInfo, JobState, QueueCounts};

/// How many jobs a purge deletes per script call.
const PURGE_CHUNK: u64 = 1_000;

impl RedisQueue {
    /// One job by id.
    pub async fn get(&self, id: &str) -> Result<Option<JobInfo>, RedisQueueError> {
        let fields: HashMap<String, Vec<u8>> = self.conn.clone().hgetall(self.job_key(id)).await?;
        let rows = self.with_done_at(vec![(id.to_owned(), fields)]).await?;
        Ok(rows.first().and_then(|(id, fields, done_at)| job_info(id, fields, *done_at)))
    }

    /// Each row with its finishing time when it is done. The ack of a done job writes only its
    /// queue's `done` set, not its hash, which still says `running`: for those, the set's score.
    async fn with_done_at(
        &self,
        rows: Vec<(String, HashMap<String, Vec<u8>>)>,
    ) -> Result<Vec<(String, HashMap<String, Vec<u8>>, Option<i64>)>, RedisQueueError> {
        let running = |fields: &HashMap<String, Vec<u8>>| fields.get("state").is_some_and(|s| s == b"running");
        let (mut pipe, mut asked) = (redis::pipe(), false);
        for (id, fields) in rows.iter().filter(|(_, fields)| running(fields)) {
            let queue = fields.get("queue").map(|q| String::from_utf8_lossy(q).into_owned()).unwrap_or_default();
            pipe.zscore(format!("{}done", self.queue_prefix(&queue)), id);
            asked = true;
        }
        let scores: Vec<Option<f64>> = if asked { pipe.query_async(&mut self.conn.clone()).await? } else { Vec::new() };
        let mut scores = scores.into_iter();
        Ok(rows
            .into_iter()
            .map(|(id, fields)| {
                let done_at = if running(&fields) { scores.next().flatten().map(|ms| ms as i64) } else { None };
                (id, fields, done_at)
            })
            .collect())
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
        // The first offset + limit of each place, merged: ids sort in enqueue order.
        let wanted = offset + limit;
        let mut ids = Vec::new();
        for queue in &queues {
            ids.extend(self.ids(queue, filter.state, wanted, 0).await?.0);
        }
        ids.sort();
        ids.dedup();
        let ids: Vec<String> = ids.into_iter().skip(offset as usize).take(limit as usize).collect();
        if ids.is_empty() {
            return Ok(Vec::new());
        }
        let mut pipe = redis::pipe();
        for id in &ids {
            pipe.hgetall(self.job_key(id));
        }
        let rows: Vec<HashMap<String, Vec<u8>>> = pipe.query_async(&mut conn).await?;
        let rows = self.with_done_at(ids.into_iter().zip(rows).collect()).await?;
        Ok(rows
            .iter()
            .filter_map(|(id, fields, done_at)| job_info(id, fields, *done_at))
            .filter(|job| filter.state.is_none_or(|s| s == job.state))
            .collect())
    }

    /// Up to `wanted` ids of `queue` per place its jobs in `state` are kept (see `ids.lua`),
    /// reading the ready list from position `from`; also how far the ready list was read.
    async fn ids(
        &self,
        queue: &str,
        state: Option<JobState>,
        wanted: u64,
        from: u64,
    ) -> Result<(Vec<String>, u64), RedisQueueError> {
        let mut call = self.scripts.ids.prepare_invoke();
        call.arg(&self.prefix).arg(queue).arg(state.map_or("", |s| s.as_str())).arg(wanted.max(1)).arg(from);
        let mut ids: Vec<String> = call.invoke_async(&mut self.conn.clone()).await?;
        let reached = ids.pop().and_then(|pos| pos.parse().ok()).unwrap_or(from);
        Ok((ids, reached))
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
            let prefix = self.queue_prefix(&queue);
            let mut pipe = redis::pipe();
            pipe.cmd("HMGET").arg(format!("{prefix}count")).arg("waiting").arg("retrying").arg("running");
            pipe.zcard(format!("{prefix}done")).zcard(format!("{prefix}dead"));
            let (unfinished, done, dead): ([Option<i64>; 3], i64, i64) = pipe.query_async(&mut conn).await?;
            let [waiting, retrying, running] = unfinished.map(|n| n.unwrap_or(0).max(0));
            counts.push(QueueCounts { queue, pending: waiting + retrying, running, done, dead, paused: false });
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
        Ok(self.delete_in_state(&[id.to_owned()], "").await? == 1)
    }

    /// Deletes the jobs among `ids` that are in `state` ('' for any but running); how many.
    async fn delete_in_state(&self, ids: &[String], state: &str) -> Result<u64, RedisQueueError> {
        if ids.is_empty() {
            return Ok(0);
        }
        let mut call = self.scripts.delete.prepare_invoke();
        call.arg(&self.prefix).arg(state).arg(ids);
        Ok(call.invoke_async(&mut self.conn.clone()).await?)
    }

    /// Deletes every job of `queue` in `state` (never running ones), a chunk per script call;
    /// returns how many. The ready list is read once through, then once more from the start for
    /// jobs that moved meanwhile (at most three passes, so a queue fed as fast as it is purged
    /// does not keep the purge going).
    pub async fn purge(&self, queue: &str, state: JobState) -> Result<u64, RedisQueueError> {
        if state == JobState::Running {
            return Ok(0);
        }
        let (mut total, mut from, mut passes) = (0, 0, 1);
        loop {
            let (ids, reached) = self.ids(queue, Some(state), PURGE_CHUNK, from).await?;
            if ids.is_empty() {
                if from == 0 || passes == 3 {
                    return Ok(total);
                }
                (from, passes) = (0, passes + 1);
                continue;
            }
            let n = self.delete_in_state(&ids, state.as_str()).await?;
            total += n;
            // Finished sets are read from their start: what was deleted is gone from them. A
            // chunk of which nothing could be deleted would be a broken invariant: stop.
            if n == 0 && reached == from {
                return Ok(total);
            }
            from = reached;
        }
    }
}

/// A job from its hash; `done_at` is its score in its queue's `done` set, for a job whose hash
/// still says `running` (see [`RedisQueue::with_done_at`]).
fn job_info(id: &str, fields: &HashMap<String, Vec<u8>>, done_at: Option<i64>) -> Option<JobInfo> {
    let text = |name: &str| fields.get(name).map(|v| String::from_utf8_lossy(v).into_owned());
    let number = |name: &str| text(name).and_then(|v| v.parse::<i64>().ok());
    let at = |ms: i64| DateTime::from_timestamp_millis(ms).unwrap_or_default();
    let state = match done_at {
        Some(_) => JobState::Done,
        None => JobState::parse(&text("state")?).unwrap_or(JobState::Waiting),
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
        done_at: done_at.or_else(|| number("done_at")).map(at),
        worker: text("worker"),
    })
}
