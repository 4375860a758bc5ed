-- Make a RUNNING backfill the claimant's, as a compare-and-set: applies only if its JSON is
-- still what was read and the owner it names (if any, and not the claimant) is not live.
--
-- KEYS[1]  the backfill's JSON key
-- KEYS[2]  the heartbeat key of its owner as read ('' when it has none)
-- ARGV[1]  its JSON as read
-- ARGV[2]  its new JSON (owned by the claimant)
-- Returns 1 if the backfill is now the claimant's, 0 otherwise.
if redis.call('GET', KEYS[1]) ~= ARGV[1] then return 0 end
if KEYS[2] ~= '' and redis.call('EXISTS', KEYS[2]) == 1 then return 0 end
redis.call('SET', KEYS[1], ARGV[2])
return 1
