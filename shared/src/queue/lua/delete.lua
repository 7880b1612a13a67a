-- Deletes jobs that are not running, with every trace of them but their id in the ready list
-- (removing it there costs the whole list; a claim skips an id whose job is gone). Running jobs
-- are left alone.
-- ARGV: prefix, then ids. Returns how many were deleted.
local p = ARGV[1]
local n = 0
for i = 2, #ARGV do
  local id = ARGV[i]
  local job = p .. 'job:' .. id
  local q, state, key = unpack(redis.call('HMGET', job, 'queue', 'state', 'key'))
  if q and state ~= 'running' then
    local qp = p .. 'q:' .. q .. ':'
    redis.call('ZREM', qp .. 'all', id)
    redis.call('ZREM', qp .. 's:' .. state, id)
    redis.call('ZREM', qp .. 'delayed', id)
    redis.call('ZREM', qp .. 'done', id)
    redis.call('ZREM', qp .. 'dead', id)
    if key and key ~= '' and redis.call('GET', qp .. 'key:' .. key) == id then
      redis.call('DEL', qp .. 'key:' .. key)
    end
    redis.call('DEL', job)
    n = n + 1
  end
end
return n
