-- The ids of one queue's jobs in a state ('' for every state), for listing and purging: at most
-- `wanted` from each place jobs of that state are kept, each place's oldest first.
--   done, dead: the finished sets, by finishing time;
--   running: the sets of the workers that claimed from this queue;
--   waiting, retrying: the ready list from its claiming end, then the delayed set by due time,
--   only ids whose hash is in the state (the list may hold ids of deleted jobs).
-- ARGV: prefix, queue, state, wanted, from (ready-list positions, from the claiming end, to
-- skip: a purge resumes where it was). Returns the ids, then how far the ready list was read.
local p, q, state, wanted, from = ARGV[1], ARGV[2], ARGV[3], tonumber(ARGV[4]), tonumber(ARGV[5])
local qp = p .. 'q:' .. q .. ':'
local out = {}
local function take(ids)
  for _, id in ipairs(ids) do
    out[#out + 1] = id
  end
end
if state == '' or state == 'done' then
  take(redis.call('ZRANGE', qp .. 'done', 0, wanted - 1))
end
if state == '' or state == 'dead' then
  take(redis.call('ZRANGE', qp .. 'dead', 0, wanted - 1))
end
if state == '' or state == 'running' then
  for _, w in ipairs(redis.call('ZRANGE', p .. 'workers', 0, -1)) do
    if redis.call('HGET', p .. 'worker:' .. w, 'queue') == q then
      take(redis.call('SMEMBERS', p .. 'worker:' .. w .. ':jobs'))
    end
  end
end
local pos = from
if state == '' or state == 'waiting' or state == 'retrying' then
  local function pending(id)
    local s = redis.call('HGET', p .. 'job:' .. id, 'state')
    return s == state or (state == '' and (s == 'waiting' or s == 'retrying'))
  end
  local found, len = 0, redis.call('LLEN', qp .. 'ready')
  while found < wanted and pos < len do
    local chunk = redis.call('LRANGE', qp .. 'ready', -(pos + 1000), -(pos + 1))
    if #chunk == 0 then break end
    for j = #chunk, 1, -1 do
      pos = pos + 1
      if pending(chunk[j]) then
        out[#out + 1] = chunk[j]
        found = found + 1
        if found >= wanted then break end
      end
    end
  end
  local at = 0
  while found < wanted do
    local chunk = redis.call('ZRANGE', qp .. 'delayed', at, at + 999)
    if #chunk == 0 then break end
    for _, id in ipairs(chunk) do
      if pending(id) then
        out[#out + 1] = id
        found = found + 1
        if found >= wanted then break end
      end
    end
    at = at + 1000
  end
end
out[#out + 1] = tostring(pos)
return out
