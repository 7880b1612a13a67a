-- Records how attempts ended, for jobs a worker holds.
-- ARGV: prefix, worker, now (ms), keep_before (ms), keep_count, then four per job:
--   id, verdict, at (ms, for retry and defer), error text.
-- Verdicts: done; dead (will not run again); retry (at `at`, the attempt counted); defer (at
-- `at`, the attempt not counted); release (never started: back to the front of the queue, the
-- attempt not counted).
-- Returns one string per job: '1' recorded, '0' refused because the job is no longer this
-- worker's (it was declared gone and the job given to another).
local p, worker, now = ARGV[1], ARGV[2], tonumber(ARGV[3])
local keep_before, keep_count = tonumber(ARGV[4]), tonumber(ARGV[5])
local out, finished, woken = {}, {}, {}
for i = 6, #ARGV, 4 do
  local id, verdict, at, err = ARGV[i], ARGV[i + 1], tonumber(ARGV[i + 2]), ARGV[i + 3]
  local job = p .. 'job:' .. id
  local q, state, owner = unpack(redis.call('HMGET', job, 'queue', 'state', 'worker'))
  if state ~= 'running' or owner ~= worker then
    out[#out + 1] = '0'
  else
    local qp = p .. 'q:' .. q .. ':'
    redis.call('SREM', p .. 'worker:' .. worker .. ':jobs', id)
    redis.call('ZREM', qp .. 's:running', id)
    if verdict == 'done' then
      redis.call('HSET', job, 'state', 'done', 'done_at', now)
      redis.call('ZADD', qp .. 's:done', 0, id)
      redis.call('ZADD', qp .. 'done', now, id)
      finished[q] = true
    elseif verdict == 'dead' then
      redis.call('HSET', job, 'state', 'dead', 'done_at', now, 'last_error', err)
      redis.call('ZADD', qp .. 's:dead', 0, id)
      redis.call('ZADD', qp .. 'dead', now, id)
    else
      local attempts = tonumber(redis.call('HGET', job, 'attempts'))
      if verdict ~= 'retry' then
        attempts = redis.call('HINCRBY', job, 'attempts', -1)
      end
      -- A released job that never ran is waiting again; anything else waits for a next attempt.
      local next_state = 'retrying'
      if verdict == 'release' and attempts == 0 then next_state = 'waiting' end
      redis.call('HSET', job, 'state', next_state)
      if verdict ~= 'release' then
        redis.call('HSET', job, 'run_at', at, 'last_error', err)
      end
      redis.call('ZADD', qp .. 's:' .. next_state, 0, id)
      if verdict == 'release' then
        redis.call('RPUSH', qp .. 'ready', id)
      elseif at <= now then
        redis.call('LPUSH', qp .. 'ready', id)
      else
        redis.call('ZADD', qp .. 'delayed', at, id)
      end
      woken[qp] = true
    end
    out[#out + 1] = '1'
  end
end
for q in pairs(finished) do
  trim(p, q, keep_before, keep_count, 1000)
end
for qp in pairs(woken) do
  wake(qp)
end
return out
