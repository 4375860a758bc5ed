-- Pause or resume a schedule (created if it has no state). Resuming moves the cursor to now
-- if it is before: ticks that fell while the schedule was paused are not fired.
--
-- KEYS[1]  the schedule's hash
-- KEYS[2]  the set of schedule keys
-- ARGV[1]  the schedule key
-- ARGV[2]  '1' to pause, '0' to resume
-- ARGV[3]  now (epoch ms)
-- Returns the hash's fields and values.
local now = tonumber(ARGV[3])
if redis.call('EXISTS', KEYS[1]) == 0 then
  redis.call('HSET', KEYS[1], 'paused', '0', 'cursor', ARGV[3], 'updatedAt', ARGV[3], 'deadlineCursor', ARGV[3])
  redis.call('SADD', KEYS[2], ARGV[1])
end
redis.call('HSET', KEYS[1], 'paused', ARGV[2], 'updatedAt', ARGV[3])
if ARGV[2] == '0' and tonumber(redis.call('HGET', KEYS[1], 'cursor')) < now then
  redis.call('HSET', KEYS[1], 'cursor', ARGV[3])
end
return redis.call('HGETALL', KEYS[1])
