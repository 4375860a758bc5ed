-- Mark one interrupted run FAILED, as a compare-and-set: applies only if its JSON and owner
-- are still what was read and its owner has not come alive since. Its id moves from the
-- QUEUED and RUNNING sets to the FAILED set; each task row given is replaced unless it
-- changed since it was read.
--
-- KEYS[1]  the run hash
-- KEYS[2]  its tasks hash
-- KEYS[3]  the QUEUED sorted set
-- KEYS[4]  the RUNNING sorted set
-- KEYS[5]  the FAILED sorted set
-- KEYS[6]  the heartbeat key of its owner as read
-- ARGV[1]  the run's JSON as read
-- ARGV[2]  its owner as read ('' for none)
-- ARGV[3]  its new JSON
-- ARGV[4]  run id
-- ARGV[5]  createdAt (the score in the FAILED set)
-- then, per task from ARGV[6] on, three: task id, its JSON as read, its new JSON
-- Returns 1 if the run was marked, 0 if it had changed.
if redis.call('HGET', KEYS[1], 'json') ~= ARGV[1] then return 0 end
local owner = redis.call('HGET', KEYS[1], 'owner') or ''
if owner ~= ARGV[2] then return 0 end
if owner ~= '' and redis.call('EXISTS', KEYS[6]) == 1 then return 0 end
redis.call('HSET', KEYS[1], 'json', ARGV[3])
redis.call('ZREM', KEYS[3], ARGV[4])
redis.call('ZREM', KEYS[4], ARGV[4])
redis.call('ZADD', KEYS[5], ARGV[5], ARGV[4])
for i = 6, #ARGV, 3 do
  if redis.call('HGET', KEYS[2], ARGV[i]) == ARGV[i + 1] then redis.call('HSET', KEYS[2], ARGV[i], ARGV[i + 2]) end
end
return 1
