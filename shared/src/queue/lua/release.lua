-- Gives a lease up if `holder` has it. ARGV: prefix, name, holder. Returns 1 when it was given up.
local key = ARGV[1] .. 'lease:' .. ARGV[2]
if redis.call('GET', key) == ARGV[3] then
  return redis.call('DEL', key)
end
return 0
