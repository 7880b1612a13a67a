-- Claims up to n ready jobs of one queue for a worker, counting the attempt at delivery: a job
-- whose attempts would pass its maximum is dead instead (it killed its worker every time).
-- Delayed jobs that are due are made ready first, at most 1,000 per call.
-- ARGV: prefix, queue, worker, now (ms), n.
-- Returns three strings per claimed job (id, payload, attempt), then the next due time of a
-- delayed job in ms ('' when there is none, or when the batch was full and the worker will
-- claim again at once), so an idle worker knows how long it may block.
-- Per job it costs a pop (batched), a read and a write of the job's hash, and an add to the
-- worker's set (batched).
-- Times stay the text they came as: Lua formats a number as text through a costly float
-- conversion, and the commands take text anyway.
local p, q, worker, now, n = ARGV[1], ARGV[2], ARGV[3], ARGV[4], tonumber(ARGV[5])
-- Attempt numbers as text, for the same reason.
local TEXT = { '1', '2', '3', '4', '5', '6', '7', '8', '9', '10', '11', '12', '13', '14', '15', '16' }
local qp = p .. 'q:' .. q .. ':'
local out = {}
local due = redis.call('ZRANGEBYSCORE', qp .. 'delayed', '-inf', now, 'LIMIT', 0, 1000)
if #due > 0 then
  redis.call('ZREM', qp .. 'delayed', unpack(due))
  redis.call('LPUSH', qp .. 'ready', unpack(due))
end
local paused = redis.call('EXISTS', qp .. 'paused') == 1
if not paused then
  -- A claim is a sign of life too: a worker declared gone that claims again is back. Its queue
  -- is noted so the jobs it holds can be listed by queue before its first beat.
  redis.call('ZADD', p .. 'workers', now, worker)
  redis.call('HSET', p .. 'worker:' .. worker, 'queue', q)
  local held, changes, jp = {}, { waiting = 0, retrying = 0 }, p .. 'job:'
  -- Ids of deleted jobs are skipped; up to 1,000 more pops make up for them.
  local budget = n + 1000
  while #held < n and budget > 0 do
    local ids = redis.call('RPOP', qp .. 'ready', math.min(n - #held, budget))
    if not ids then break end
    budget = budget - #ids
    for _, id in ipairs(ids) do
      local job = jp .. id
      local state, max, payload, attempts = unpack(redis.call('HMGET', job, 'state', 'max', 'payload', 'attempts'))
      -- A deleted job, or one another path already moved on, is skipped.
      if state == 'waiting' or state == 'retrying' then
        changes[state] = changes[state] - 1
        local attempt = (tonumber(attempts) or 0) + 1
        local text = TEXT[attempt] or string.format('%d', attempt)
        if attempt > tonumber(max) then
          redis.call('HSET', job, 'state', 'dead', 'done_at', now, 'last_error', 'out of attempts at delivery')
          redis.call('ZADD', qp .. 'dead', now, id)
        else
          redis.call('HSET', job, 'state', 'running', 'worker', worker, 'attempts', text)
          held[#held + 1] = id
          out[#out + 1] = id
          out[#out + 1] = payload
          out[#out + 1] = text
        end
      end
    end
  end
  if #held > 0 then
    redis.call('SADD', p .. 'worker:' .. worker .. ':jobs', unpack(held))
  end
  changes.running = #held
  count(qp, changes)
end
-- A full batch may have left jobs over: wake the next idle worker, so a burst spreads over
-- every worker. A batch not filled means the worker may go idle: tell it when to look again.
if #out == 3 * n then
  if redis.call('LLEN', qp .. 'ready') > 0 then
    wake(qp)
  end
  out[#out + 1] = ''
else
  local next_due = redis.call('ZRANGE', qp .. 'delayed', 0, 0, 'WITHSCORES')
  out[#out + 1] = next_due[2] or ''
end
return out
