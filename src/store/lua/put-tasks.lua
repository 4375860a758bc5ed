-- Put task rows: each row's JSON in its run's tasks hash, its first-write order in its run's
-- order set (kept if it has one: a row written again keeps its place), and its run as the
-- last to write the task. The order comes from one counter shared by all runs.
--
-- KEYS[1]             the task counter
-- then, per row i:    KEYS[3i - 1] its run's tasks hash, KEYS[3i] its run's order sorted
--                     set, KEYS[3i + 1] the task's latest key
-- ARGV, per row i:    ARGV[3i - 2] task id, ARGV[3i - 1] the row's JSON, ARGV[3i] run id
-- Returns the number of rows.
local n = #ARGV / 3
local seq = redis.call('INCRBY', KEYS[1], n) - n
for i = 1, n do
  local a, k = 3 * i - 2, 3 * i - 1
  redis.call('HSET', KEYS[k], ARGV[a], ARGV[a + 1])
  redis.call('ZADD', KEYS[k + 1], 'NX', seq + i, ARGV[a])
  redis.call('SET', KEYS[k + 2], ARGV[a + 2])
end
return n
