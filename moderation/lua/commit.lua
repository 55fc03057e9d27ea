-- Commit a change a pure rule computed from a read of the channel's state, and publish it: one
-- atomic step, refused (nothing written) when the state moved since the read.
-- KEYS, ARGV: the channel (pl_script), then
-- A[1] event type  A[2] event data (MessagePack)  A[3] expected offset ('' = any): the channel's seq
-- when it was read   A[4] number of field guards G, then G pairs (field, stored bytes it must still hold; '' = absent)
-- then the number of fields to set S and S pairs (field, MessagePack value)
-- then the number of fields to delete D and D field names.
-- Returns {offset, epoch, time_ms}, or {-1, what moved} when a guard failed.
local _, A, ch = pl_script(1)
local i = 3
if A[i] ~= '' then
  local seq = redis.call('HGET', ch.meta, 'seq') or '0'
  if seq ~= A[i] then return {-1, 'offset'} end
end
i = i + 1
local n = tonumber(A[i]); i = i + 1
for _ = 1, n do
  local cur = redis.call('HGET', ch.state, A[i])
  local want = A[i + 1]
  if want == '' then
    if cur then return {-1, A[i]} end
  elseif cur ~= want then
    return {-1, A[i]}
  end
  i = i + 2
end
n = tonumber(A[i]); i = i + 1
for _ = 1, n do
  redis.call('HSET', ch.state, A[i], A[i + 1])
  i = i + 2
end
n = tonumber(A[i]); i = i + 1
for _ = 1, n do
  redis.call('HDEL', ch.state, A[i])
  i = i + 1
end
return pl_publish(ch, A[1], A[2])
