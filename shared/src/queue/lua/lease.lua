-- Takes or renews a lease. KEYS: none (names are computed, like every script here).
-- ARGV: prefix, name, holder, ttl (ms).
-- The lease is `lease:<name>` (the holder, expiring after ttl); `lease:<name>:fence` counts
-- every new taking, so each term of a holder has a larger token than the one before.
-- Returns the holder's fencing token, or false when another holder has the lease.
local p, name, holder, ttl = ARGV[1], ARGV[2], ARGV[3], ARGV[4]
local key, fence = p .. 'lease:' .. name, p .. 'lease:' .. name .. ':fence'
local current = redis.call('GET', key)
if current == holder then
  redis.call('PEXPIRE', key, ttl)
  return tonumber(redis.call('GET', fence) or '0')
end
if current then
  return false
end
redis.call('SET', key, holder, 'PX', ttl)
return redis.call('INCR', fence)
