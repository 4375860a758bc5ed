-- The owners (server processes) whose heartbeat key has not expired; the others are
-- forgotten. A heartbeat key is the owner key prefix followed by the owner.
--
-- KEYS[1]  the owners set
-- ARGV[1]  the owner key prefix
-- Returns the live owners.
local live = {}
for _, o in ipairs(redis.call('SMEMBERS', KEYS[1])) do
  if redis.call('EXISTS', ARGV[1] .. o) == 1 then live[#live + 1] = o else redis.call('SREM', KEYS[1], o) end
end
return live
