-- Adds jobs to one queue; a job whose idempotency key is taken adds nothing and answers with the
-- job that holds the key.
-- ARGV: prefix, queue, now (ms), key TTL (s), fence lease name ('' for none), fencing token,
--       then five per job: id, payload, max attempts, run_at (ms), idempotency key ('' for none).
-- Returns two strings per job: the id and '1' when it was a duplicate, else '0'.
-- A fenced enqueue (from a lease holder) adds nothing once a later term of that lease has begun:
-- a leader that lost its lease without knowing it cannot write behind its successor.
-- A new job's hash leaves out what its absence says: no attempts yet, no key.
local p, q, now, ttl = ARGV[1], ARGV[2], tonumber(ARGV[3]), tonumber(ARGV[4])
local fence_name, fence_token = ARGV[5], ARGV[6]
if fence_name ~= '' and redis.call('GET', p .. 'lease:' .. fence_name .. ':fence') ~= fence_token then
  return redis.error_reply('FENCED lease ' .. fence_name .. ' has a later term than ' .. fence_token)
end
local qp = p .. 'q:' .. q .. ':'
local out, ready, added, jp = {}, {}, 0, p .. 'job:'
redis.call('SADD', p .. 'queues', q)
for i = 7, #ARGV, 5 do
  local id, payload, max, run_at, key = ARGV[i], ARGV[i + 1], ARGV[i + 2], ARGV[i + 3], ARGV[i + 4]
  local holder = false
  if key ~= '' then
    holder = redis.call('GET', qp .. 'key:' .. key)
    if not holder then
      redis.call('SET', qp .. 'key:' .. key, id, 'EX', ttl)
    end
  end
  if holder then
    out[#out + 1] = holder
    out[#out + 1] = '1'
  else
    if key ~= '' then
      redis.call('HSET', jp .. id, 'queue', q, 'payload', payload, 'state', 'waiting', 'max', max,
        'run_at', run_at, 'key', key)
    else
      redis.call('HSET', jp .. id, 'queue', q, 'payload', payload, 'state', 'waiting', 'max', max,
        'run_at', run_at)
    end
    if tonumber(run_at) > now then
      redis.call('ZADD', qp .. 'delayed', run_at, id)
    else
      ready[#ready + 1] = id
    end
    added = added + 1
    out[#out + 1] = id
    out[#out + 1] = '0'
  end
end
-- One push for the batch, in the order the jobs came (the oldest is claimed first).
if #ready > 0 then
  redis.call('LPUSH', qp .. 'ready', unpack(ready))
end
-- A ready job is there to claim; a delayed one may be due before an idle worker would look
-- again on its own. Either way one idle worker claims or recomputes its wait.
if added > 0 then
  count(qp, { waiting = added })
  wake(qp)
end
return out
