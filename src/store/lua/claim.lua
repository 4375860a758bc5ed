-- Make a recorded run the claimant's, if its current owner is missing, is the claimant, or
-- is not live (its heartbeat key, the owner key prefix followed by the owner, expired).
--
-- KEYS[1]  the run hash
-- ARGV[1]  the claimant
-- ARGV[2]  the owner key prefix
-- Returns 1 if the run is now the claimant's, 0 otherwise (and for a run not recorded).
if redis.call('EXISTS', KEYS[1]) == 0 then return 0 end
local cur = redis.call('HGET', KEYS[1], 'owner')
if cur and cur ~= '' and cur ~= ARGV[1] and redis.call('EXISTS', ARGV[2] .. cur) == 1 then return 0 end
redis.call('HSET', KEYS[1], 'owner', ARGV[1])
return 1
