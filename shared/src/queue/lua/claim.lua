-- Claims up to n ready jobs of one queue for a worker, counting the attempt at delivery: a job
-- whose attempts would pass its maximum is dead instead (it killed its worker every time).
-- Delayed jobs that are due are made ready first, at most 1,000 per call.
-- ARGV: prefix, queue, worker, now (ms), n.
-- Returns three strings per claimed job (id, payload, attempt), then the next due time of a
-- delayed job in ms ('' when there is none), so an idle worker knows how long it may block.
local p, q, worker, now, n = ARGV[1], ARGV[2], ARGV[3], tonumber(ARGV[4]), tonumber(ARGV[5])
local qp = p .. 'q:' .. q .. ':'
local out = {}
local due = redis.call('ZRANGEBYSCORE', qp .. 'delayed', '-inf', now, 'LIMIT', 0, 1000)
for _, id in ipairs(due) do
  redis.call('ZREM', qp .. 'delayed', id)
  redis.call('LPUSH', qp .. 'ready', id)
end
if redis.call('EXISTS', qp .. 'paused') == 0 then
  -- A claim is a sign of life too: a worker declared gone that claims again is back.
  redis.call('ZADD', p .. 'workers', now, worker)
  local claimed, tries = 0, 0
  while claimed < n and tries < n + 1000 do
    tries = tries + 1
    local id = redis.call('RPOP', qp .. 'ready')
    if not id then break end
    local job = p .. 'job:' .. id
    local state, max, payload = unpack(redis.call('HMGET', job, 'state', 'max', 'payload'))
    -- A deleted job, or one another path already moved on, is skipped.
    if state == 'waiting' or state == 'retrying' then
      local attempt = redis.call('HINCRBY', job, 'attempts', 1)
      redis.call('ZREM', qp .. 's:' .. state, id)
      if attempt > tonumber(max) then
        redis.call('HSET', job, 'state', 'dead', 'done_at', now, 'last_error', 'out of attempts at delivery')
        redis.call('HINCRBY', job, 'attempts', -1)
        redis.call('ZADD', qp .. 's:dead', 0, id)
        redis.call('ZADD', qp .. 'dead', now, id)
      else
        redis.call('HSET', job, 'state', 'running', 'worker', worker)
        redis.call('ZADD', qp .. 's:running', 0, id)
        redis.call('SADD', p .. 'worker:' .. worker .. ':jobs', id)
        out[#out + 1] = id
        out[#out + 1] = payload
        out[#out + 1] = tostring(attempt)
        claimed = claimed + 1
      end
    end
  end
end
-- Jobs left over: wake the next idle worker, so a burst spreads over every worker.
if redis.call('EXISTS', qp .. 'paused') == 0 and redis.call('LLEN', qp .. 'ready') > 0 then
  wake(qp)
end
local next_due = redis.call('ZRANGE', qp .. 'delayed', 0, 0, 'WITHSCORES')
out[#out + 1] = next_due[2] or ''
return out
