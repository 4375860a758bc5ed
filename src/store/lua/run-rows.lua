-- Read runs: the json and owner fields of each run hash, in the order of KEYS. One command for
-- a batch of runs, where a pipeline of HMGETs costs the client one command each (a filtered
-- listing reads every run of its range).
--
-- KEYS    the run hashes
-- Returns one {json, owner} per key (nil for a field, or a run, that is not there).
local out = {}
for i, key in ipairs(KEYS) do
  out[i] = redis.call('HMGET', key, 'json', 'owner')
end
return out
