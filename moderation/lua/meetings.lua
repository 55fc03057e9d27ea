-- Every meeting's record, in start order, in one round trip (the meeting list of hello and
-- meeting.list).
-- KEYS[1] the meetings' sorted set (pl:{dir}:meetings: id scored by start time)
-- ARGV[1] the prefix of a meeting's key (pl:{dir}:m:); each record's key is that plus the id, in
--         the same {dir} slot as KEYS[1], so the step stays single-slot on Redis Cluster.
-- Returns the records (msgpack) of the meetings that have one.
local out = {}
for _, id in ipairs(redis.call('ZRANGE', KEYS[1], 0, -1)) do
  local raw = redis.call('GET', ARGV[1] .. id)
  if raw then out[#out + 1] = raw end
end
return out
