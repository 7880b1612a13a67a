-- Prepended to every script: helpers shared by them.

-- Adds `by` to counters of a queue's jobs by state (waiting, retrying, running), from a table
-- state -> change; zero changes write nothing.
local function count(qp, changes)
  for state, by in pairs(changes) do
    if by ~= 0 then
      redis.call('HINCRBY', qp .. 'count', state, by)
    end
  end
end

-- Drops finished jobs (ids of the queue's `done` set) with their hashes, in two commands.
-- Idempotency keys are left to expire, so a trimmed job's key still refuses its slot.
local function drop_done(p, qp, ids)
  if #ids == 0 then return end
  local keys, jp = {}, p .. 'job:'
  for i, id in ipairs(ids) do
    keys[i] = jp .. id
  end
  redis.call('ZREM', qp .. 'done', unpack(ids))
  redis.call('DEL', unpack(keys))
end

-- Drops the oldest finished jobs of a queue beyond keep_count, at most `limit`; how many.
local function trim_count(p, qp, keep_count, limit)
  local excess = redis.call('ZCARD', qp .. 'done') - keep_count
  if excess <= 0 or limit <= 0 then return 0 end
  local extra = redis.call('ZRANGE', qp .. 'done', 0, math.min(excess, limit) - 1)
  drop_done(p, qp, extra)
  return #extra
end

-- Drops finished jobs of one queue past retention, those finished before keep_before (ms) and
-- then the oldest beyond keep_count, at most `limit` per call. Returns how many were dropped.
local function trim(p, q, keep_before, keep_count, limit)
  local qp = p .. 'q:' .. q .. ':'
  local old = redis.call('ZRANGEBYSCORE', qp .. 'done', '-inf', '(' .. keep_before, 'LIMIT', 0, limit)
  drop_done(p, qp, old)
  return #old + trim_count(p, qp, keep_count, limit - #old)
end

-- A job's state: its hash's, except that a done job's hash still says 'running' (the ack of a
-- done job writes only its queue's `done` set), so a 'running' job in that set is done.
local function state_of(qp, id, state)
  if state == 'running' and redis.call('ZSCORE', qp .. 'done', id) then
    return 'done'
  end
  return state
end

-- Deletes one job that is not running (and, when `expected` is not '', is in that state) with
-- every trace of it but its id in the ready list: removing it there costs the whole list, and a
-- claim skips an id whose job is gone. Returns 1 when it was deleted.
local function delete_job(p, id, expected)
  local job = p .. 'job:' .. id
  local q, state, key = unpack(redis.call('HMGET', job, 'queue', 'state', 'key'))
  if not q then
    return 0
  end
  local qp = p .. 'q:' .. q .. ':'
  state = state_of(qp, id, state)
  if state == 'running' or (expected ~= '' and state ~= expected) then
    return 0
  end
  if state == 'done' then
    redis.call('ZREM', qp .. 'done', id)
  elseif state == 'dead' then
    redis.call('ZREM', qp .. 'dead', id)
  else
    redis.call('ZREM', qp .. 'delayed', id)
    count(qp, { [state] = -1 })
  end
  if key and key ~= '' and redis.call('GET', qp .. 'key:' .. key) == id then
    redis.call('DEL', qp .. 'key:' .. key)
  end
  redis.call('DEL', job)
  return 1
end

-- Wakes one idle worker of a queue: a list holding at most one token, popped by a blocking read.
local function wake(qp)
  redis.call('LPUSH', qp .. 'wake', '1')
  redis.call('LTRIM', qp .. 'wake', 0, 0)
end
