-- Claim the deadline check of a tick: if the schedule's deadline cursor is before the tick
-- (or unset), move it to the tick. Of several servers, exactly one wins each tick. A
-- schedule with no state yet is created, its cursors just before the tick.
--
-- KEYS[1]  the schedule's hash
-- KEYS[2]  the set of schedule keys
-- ARGV[1]  the schedule key
-- ARGV[2]  the tick (epoch ms)
-- ARGV[3]  now (epoch ms)
-- Returns 1 if claimed, 0 otherwise.
local tick = tonumber(ARGV[2])
if redis.call('EXISTS', KEYS[1]) == 0 then
  redis.call('HSET', KEYS[1], 'paused', '0', 'cursor', tostring(tick - 1), 'updatedAt', ARGV[3], 'deadlineCursor', tostring(tick - 1))
  redis.call('SADD', KEYS[2], ARGV[1])
end
local cur = redis.call('HGET', KEYS[1], 'deadlineCursor')
if cur and tonumber(cur) >= tick then return 0 end
redis.call('HSET', KEYS[1], 'deadlineCursor', ARGV[2])
return 1
