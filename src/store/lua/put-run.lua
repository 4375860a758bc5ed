-- Put a run: its JSON and owner in its hash, its id in the by-created set and in the set of
-- its state, and out of the sets of every other state. One command rather than a MULTI, so
-- that a write cut off by a lost connection is sent again whole (ioredis fails a
-- half-answered MULTI instead).
--
-- KEYS[1]     the run hash
-- KEYS[2]     the by-created sorted set
-- KEYS[3..n]  the sorted set of every run state
-- ARGV[1]     run id
-- ARGV[2]     createdAt (the score in every set)
-- ARGV[3]     the key of the set of its state (one of KEYS[3..n])
-- ARGV[4]     the run's JSON
-- ARGV[5]     its owner (absent: none, and a previous owner is removed)
-- Returns 1.
redis.call('HSET', KEYS[1], 'json', ARGV[4])
if ARGV[5] then redis.call('HSET', KEYS[1], 'owner', ARGV[5]) else redis.call('HDEL', KEYS[1], 'owner') end
redis.call('ZADD', KEYS[2], ARGV[2], ARGV[1])
for i = 3, #KEYS do
  if KEYS[i] == ARGV[3] then redis.call('ZADD', KEYS[i], ARGV[2], ARGV[1]) else redis.call('ZREM', KEYS[i], ARGV[1]) end
end
return 1
