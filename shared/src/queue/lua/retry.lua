-- Gives a dead job its attempts back and makes it ready at once.
-- ARGV: prefix, id. Returns 1 when the job was dead, else 0.
local p, id = ARGV[1], ARGV[2]
local job = p .. 'job:' .. id
local q, state = unpack(redis.call('HMGET', job, 'queue', 'state'))
if state ~= 'dead' then
  return 0
end
local qp = p .. 'q:' .. q .. ':'
redis.call('ZREM', qp .. 'dead', id)
redis.call('HSET', job, 'state', 'waiting', 'attempts', 0)
redis.call('HDEL', job, 'done_at')
redis.call('LPUSH', qp .. 'ready', id)
count(qp, { waiting = 1 })
wake(qp)
return 1
