-- Create a schedule's state if it has none: not paused, its cursor at now (a new schedule
-- does not fire its past). An existing state is left as it is.
--
-- KEYS[1]  the schedule's hash
-- KEYS[2]  the set of schedule keys
-- ARGV[1]  the schedule key
-- ARGV[2]  now (epoch ms)
-- Returns the hash's fields and values.
if redis.call('EXISTS', KEYS[1]) == 0 then
  redis.call('HSET', KEYS[1], 'paused', '0', 'cursor', ARGV[2], 'updatedAt', ARGV[2], 'deadlineCursor', ARGV[2])
  redis.call('SADD', KEYS[2], ARGV[1])
end
return redis.call('HGETALL', KEYS[1])
