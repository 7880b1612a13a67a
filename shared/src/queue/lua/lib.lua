-- Prepended to every script: helpers shared by them.

-- Drops finished jobs of one queue past retention, those finished before keep_before (ms) and
-- then the oldest beyond keep_count, at most `limit` per call. Idempotency keys are left to
-- expire, so a trimmed job's key still refuses its slot. Returns how many were dropped.
local function drop_done(p, qp, ids)
  for _, id in ipairs(ids) do
    redis.call('ZREM', qp .. 'done', id)
    redis.call('ZREM', qp .. 'all', id)
    redis.call('ZREM', qp .. 's:done', id)
    redis.call('DEL', p .. 'job:' .. id)
  end
end

local function trim(p, q, keep_before, keep_count, limit)
  local qp = p .. 'q:' .. q .. ':'
  local old = redis.call('ZRANGEBYSCORE', qp .. 'done', '-inf', '(' .. keep_before, 'LIMIT', 0, limit)
  drop_done(p, qp, old)
  local n = #old
  local excess = redis.call('ZCARD', qp .. 'done') - keep_count
  if excess > 0 and n < limit then
    local extra = redis.call('ZRANGE', qp .. 'done', 0, math.min(excess, limit - n) - 1)
    drop_done(p, qp, extra)
    n = n + #extra
  end
  return n
end

-- Wakes one idle worker of a queue: a list holding at most one token, popped by a blocking read.
local function wake(qp)
  redis.call('LPUSH', qp .. 'wake', '1')
  redis.call('LTRIM', qp .. 'wake', 0, 0)
end
