-- Drops finished jobs of one queue past retention (lib.lua), at most 1,000 per call.
-- ARGV: prefix, queue, keep_before (ms), keep_count. Returns how many were dropped.
return trim(ARGV[1], ARGV[2], tonumber(ARGV[3]), tonumber(ARGV[4]), 1000)
