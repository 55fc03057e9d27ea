-- Commit a change a pure rule computed from a read of the channel's state, and publish it: one
-- atomic step, refused (nothing written) when the state moved since the read.
-- KEYS[1..4] the channel's meta, hist, state, log
-- ARGV[1] pubsub channel  ARGV[2] event type  ARGV[3] event data (MessagePack)  ARGV[4] history bound
-- ARGV[5] archive flag    ARGV[6] expected offset ('' = any): the channel's seq when it was read
-- ARGV[7] number of field guards G, then G pairs (field, stored bytes it must still hold; '' = absent)
-- then the number of fields to set S and S pairs (field, MessagePack value)
-- then the number of fields to delete D and D field names.
-- Returns {offset, epoch, time_ms}, or {-1, what moved} when a guard failed.
local i = 6
if ARGV[i] ~= '' then
  local seq = redis.call('HGET', KEYS[1], 'seq') or '0'
  if seq ~= ARGV[i] then return {-1, 'offset'} end
end
i = i + 1
local n = tonumber(ARGV[i]); i = i + 1
for _ = 1, n do
  local cur = redis.call('HGET', KEYS[3], ARGV[i])
  local want = ARGV[i + 1]
  if want == '' then
    if cur then return {-1, ARGV[i]} end
  elseif cur ~= want then
    return {-1, ARGV[i]}
  end
  i = i + 2
end
n = tonumber(ARGV[i]); i = i + 1
for _ = 1, n do
  redis.call('HSET', KEYS[3], ARGV[i], ARGV[i + 1])
  i = i + 2
end
n = tonumber(ARGV[i]); i = i + 1
for _ = 1, n do
  redis.call('HDEL', KEYS[3], ARGV[i])
  i = i + 1
end
return pl_publish(KEYS[1], KEYS[2], KEYS[4], ARGV[1], ARGV[2], ARGV[3], ARGV[4], ARGV[5])
