-- One send turn under Telegram's limits, shared by every process of an installation: GCRA for
-- the overall rate, plus each chat's own limits. Time is the Redis server's (TIME), so the
-- processes' clocks do not matter.
-- ARGV: prefix, chat id, global gap (us), chat interval (us), group sends per minute, and '1' to
-- only look (book nothing) or ''.
-- Keys under the prefix: `rl:tat` the overall theoretical arrival time (us); `rl:pause` set while
-- a 429 holds every send; `rl:c:<chat>` when the chat may next be written to (us); `rl:w:<chat>`
-- a group's sends of the last minute (ZSET by time).
-- Returns {1, wait} when a turn was booked `wait` us from now (the caller sleeps, then sends),
-- {0, wait} when the chat's own limits or a pause forbid a send for `wait` us (nothing booked).
local p, chat = ARGV[1], ARGV[2]
local gap, interval, per_min = tonumber(ARGV[3]), tonumber(ARGV[4]), tonumber(ARGV[5])
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000000 + tonumber(t[2])
local minute = 60000000

local earliest = now
local pause = redis.call('PTTL', p .. 'rl:pause')
if pause > 0 then
  earliest = now + pause * 1000
end
local next_at = tonumber(redis.call('GET', p .. 'rl:c:' .. chat) or '0')
if next_at > earliest then
  earliest = next_at
end
local window = p .. 'rl:w:' .. chat
local group = tonumber(chat) < 0
if group then
  redis.call('ZREMRANGEBYSCORE', window, '-inf', now - minute)
  if redis.call('ZCARD', window) >= per_min then
    local oldest = redis.call('ZRANGE', window, -per_min, -per_min, 'WITHSCORES')
    local free = tonumber(oldest[2]) + minute
    if free > earliest then
      earliest = free
    end
  end
end
if earliest > now or ARGV[6] == '1' then
  return {0, earliest - now}
end

local tat = tonumber(redis.call('GET', p .. 'rl:tat') or '0')
local at = math.max(now, tat)
local keep = math.floor((at - now) / 1000) + 1000
redis.call('SET', p .. 'rl:tat', string.format('%d', at + gap), 'PX', keep + math.ceil(gap / 1000))
redis.call('SET', p .. 'rl:c:' .. chat, string.format('%d', at + interval), 'PX', keep + math.ceil(interval / 1000))
if group then
  redis.call('ZADD', window, at, string.format('%d', at))
  redis.call('PEXPIRE', window, keep + 60000)
end
return {1, at - now}
