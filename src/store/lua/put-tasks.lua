-- Put task rows: each row's JSON in its run's tasks hash, its first-write order in its run's
-- order set (kept if it has one: a row written again keeps its place), and its run as the
-- last to write the task. The order comes from one counter shared by all runs.
-- A row new to its run also adds the run to the task's runs (its history), scored by the
-- run's creation (its by-created score; the server's time for a run not put yet), and trims
-- that set to its newest ARGV[1] runs, so that it stays bounded.
--
-- KEYS[1]             the task counter
-- KEYS[2]             the by-created sorted set of runs
-- then, per row i:    KEYS[4i - 1] its run's tasks hash, KEYS[4i] its run's order sorted
--                     set, KEYS[4i + 1] the task's latest key, KEYS[4i + 2] the task's runs
--                     sorted set
-- ARGV[1]             how many runs each task's runs set keeps
-- ARGV, per row i:    ARGV[3i - 1] task id, ARGV[3i] the row's JSON, ARGV[3i + 1] run id
-- Returns the number of rows.
local keep = tonumber(ARGV[1])
local n = (#ARGV - 1) / 3
local seq = redis.call('INCRBY', KEYS[1], n) - n
local created = {}
for i = 1, n do
  local a, k = 3 * i - 1, 4 * i - 1
  local run = ARGV[a + 2]
  redis.call('HSET', KEYS[k], ARGV[a], ARGV[a + 1])
  if redis.call('ZADD', KEYS[k + 1], 'NX', seq + i, ARGV[a]) == 1 then
    local score = created[run]
    if not score then
      score = redis.call('ZSCORE', KEYS[2], run)
      if not score then
        local t = redis.call('TIME')
        score = t[1] .. string.format('%03d', math.floor(tonumber(t[2]) / 1000))
      end
      created[run] = score
    end
    redis.call('ZADD', KEYS[k + 3], score, run)
    redis.call('ZREMRANGEBYRANK', KEYS[k + 3], 0, -(keep + 1))
  end
  redis.call('SET', KEYS[k + 2], run)
end
return n
