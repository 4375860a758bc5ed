-- Claim a tick of a schedule: if the schedule is not paused and its cursor is before the
-- tick, move the cursor to the tick (and, when a run id is given, record the tick as fired
-- by that run). Of several servers claiming one tick, exactly one wins. A schedule with no
-- state yet is created, its cursor just before the tick.
--
-- KEYS[1]  the schedule's hash (paused, cursor, lastTick, lastRunId, updatedAt)
-- KEYS[2]  the set of schedule keys
-- ARGV[1]  the schedule key
-- ARGV[2]  the tick (epoch ms)
-- ARGV[3]  now (epoch ms)
-- ARGV[4]  the run id, or '' to only move the cursor past ticks let go
-- Returns 1 if claimed, 0 otherwise.
local tick = tonumber(ARGV[2])
if redis.call('EXISTS', KEYS[1]) == 0 then
  redis.call('HSET', KEYS[1], 'paused', '0', 'cursor', tostring(tick - 1), 'updatedAt', ARGV[3], 'deadlineCursor', tostring(tick - 1))
  redis.call('SADD', KEYS[2], ARGV[1])
end
local state = redis.call('HMGET', KEYS[1], 'paused', 'cursor')
if state[1] == '1' or tonumber(state[2]) >= tick then return 0 end
redis.call('HSET', KEYS[1], 'cursor', ARGV[2], 'updatedAt', ARGV[3])
if ARGV[4] ~= '' then redis.call('HSET', KEYS[1], 'lastTick', ARGV[2], 'lastRunId', ARGV[4]) end
return 1
