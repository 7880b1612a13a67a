-- Gives back the jobs of workers silent since before `silent_before` (ms): each goes to the
-- front of its queue as retrying, its attempt still counted (it may be what killed the worker).
-- A worker is forgotten once it holds nothing. At most 1,000 jobs per call.
-- ARGV: prefix, silent_before (ms). Returns how many jobs were given back.
local p, silent_before = ARGV[1], tonumber(ARGV[2])
local n, woken = 0, {}
local gone = redis.call('ZRANGEBYSCORE', p .. 'workers', '-inf', '(' .. silent_before, 'LIMIT', 0, 10)
for _, w in ipairs(gone) do
  local held = p .. 'worker:' .. w .. ':jobs'
  if n < 1000 then
    for _, id in ipairs(redis.call('SPOP', held, 1000 - n)) do
      local job = p .. 'job:' .. id
      local q, state, owner = unpack(redis.call('HMGET', job, 'queue', 'state', 'worker'))
      if state == 'running' and owner == w then
        local qp = p .. 'q:' .. q .. ':'
        redis.call('HSET', job, 'state', 'retrying', 'last_error', 'worker ' .. w .. ' stopped answering')
        redis.call('RPUSH', qp .. 'ready', id)
        count(qp, { running = -1, retrying = 1 })
        woken[qp] = true
        n = n + 1
      end
    end
  end
  if redis.call('SCARD', held) == 0 then
    redis.call('ZREM', p .. 'workers', w)
    redis.call('DEL', p .. 'worker:' .. w)
  end
end
for qp in pairs(woken) do
  wake(qp)
end
return n
