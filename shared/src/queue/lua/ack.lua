-- Records how attempts ended, for jobs a worker holds.
-- ARGV: prefix, worker, now (ms), keep_count, then four per job:
--   id, verdict, at (ms, for retry and defer), error text.
-- Verdicts: done; dead (will not run again); retry (at `at`, the attempt counted); defer (at
-- `at`, the attempt not counted); release (never started: back to the front of the queue, the
-- attempt not counted).
-- Returns one string per job: '1' recorded, '0' refused because the job is no longer this
-- worker's (it was declared gone and the job given to another). Holding is membership of the
-- worker's set: only a claim adds to it, and the reaper takes from it before handing a job on.
-- A done job costs no write of its hash; the set changes are batched.
-- `now` stays text, as in claim.lua; only retries compare it.
local p, worker, now = ARGV[1], ARGV[2], ARGV[3]
local keep_count = tonumber(ARGV[4])
local held_key = p .. 'worker:' .. worker .. ':jobs'
local ids = {}
for i = 5, #ARGV, 4 do
  ids[#ids + 1] = ARGV[i]
end
local held = redis.call('SMISMEMBER', held_key, unpack(ids))
local worker_queue = redis.call('HGET', p .. 'worker:' .. worker, 'queue')
local worker_qp = worker_queue and (p .. 'q:' .. worker_queue .. ':')
local out, taken, seen, jp = {}, {}, {}, p .. 'job:'
-- Per queue prefix: finished ids with their scores, and counter changes.
local done, dead, changes, woken = {}, {}, {}, {}
local function add(t, qp, score, id)
  local list = t[qp] or {}
  t[qp] = list
  list[#list + 1] = score
  list[#list + 1] = id
end
for k, id in ipairs(ids) do
  local i = 5 + (k - 1) * 4
  local verdict, err = ARGV[i + 1], ARGV[i + 3]
  if held[k] ~= 1 or seen[id] then
    out[#out + 1] = '0'
  else
    seen[id] = true
    taken[#taken + 1] = id
    local job = jp .. id
    local qp = worker_qp or (p .. 'q:' .. redis.call('HGET', job, 'queue') .. ':')
    changes[qp] = changes[qp] or { running = 0, waiting = 0, retrying = 0 }
    local change = changes[qp]
    change.running = change.running - 1
    if verdict == 'done' then
      -- The hash is left as the claim wrote it: a job in its queue's `done` set is done, and its
      -- score is when (lib.lua's state_of). One write per job fewer on the common path.
      add(done, qp, now, id)
    elseif verdict == 'dead' then
      redis.call('HSET', job, 'state', 'dead', 'done_at', now, 'last_error', err)
      add(dead, qp, now, id)
    else
      local at = ARGV[i + 2]
      local attempts = tonumber(redis.call('HGET', job, 'attempts')) or 0
      if verdict ~= 'retry' then
        attempts = redis.call('HINCRBY', job, 'attempts', -1)
      end
      -- A released job that never ran is waiting again; anything else waits for a next attempt.
      local next_state = 'retrying'
      if verdict == 'release' and attempts == 0 then next_state = 'waiting' end
      change[next_state] = change[next_state] + 1
      if verdict == 'release' then
        redis.call('HSET', job, 'state', next_state)
        redis.call('RPUSH', qp .. 'ready', id)
      else
        redis.call('HSET', job, 'state', next_state, 'run_at', at, 'last_error', err)
        if tonumber(at) <= tonumber(now) then
          redis.call('LPUSH', qp .. 'ready', id)
        else
          redis.call('ZADD', qp .. 'delayed', at, id)
        end
      end
      woken[qp] = true
    end
    out[#out + 1] = '1'
  end
end
if #taken > 0 then
  redis.call('SREM', held_key, unpack(taken))
end
for qp, scored in pairs(done) do
  redis.call('ZADD', qp .. 'done', unpack(scored))
end
for qp, scored in pairs(dead) do
  redis.call('ZADD', qp .. 'dead', unpack(scored))
end
for qp, change in pairs(changes) do
  count(qp, change)
end
-- Past the kept count, the oldest finished jobs go as new ones finish; retention by age is the
-- periodic trim's (trim_main.lua), which keeps a range scan out of every ack.
for qp in pairs(done) do
  trim_count(p, qp, keep_count, 1000)
end
for qp in pairs(woken) do
  wake(qp)
end
return out
