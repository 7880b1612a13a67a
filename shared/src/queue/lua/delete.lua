-- Deletes jobs that are not running (lib.lua's delete_job); running jobs are left alone.
-- ARGV: prefix, the state a job must be in ('' for any), then ids. Returns how many were deleted.
local p, expected = ARGV[1], ARGV[2]
local n = 0
for i = 3, #ARGV do
  n = n + delete_job(p, ARGV[i], expected)
end
return n
