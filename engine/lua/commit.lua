-- Commit a change a pure rule decided from a read of a channel's state, and publish its one event:
-- one atomic step, refused (nothing written) when what the rule read has moved since.
-- The rules are all in Python (engine/commit.py's callers); this script only checks the guards,
-- then makes the writes and publishes.
-- KEYS, ARGV: the channel (pl_script), then K[1..]: the other keys the writes name (in the
-- channel's slot: supporters:<id>, versions:<id>, ...).
-- A[1] event type  A[2] event data (MessagePack)
-- A[3] expected offset ('' = any): the channel's seq when it was read
-- A[4] number of field guards G, then G pairs (state field, the bytes it held when read; '' = absent)
-- then the number of writes W and W quadruples (kind, key index: 0 the state hash or i for K[i],
-- field, value), kinds as engine.commit.KINDS says: hset hdel hincr sadd srem merge_set rpush.
-- Returns {offset, epoch, time_ms}, or {-1, what moved} (a field's name, or 'offset').
local K, A, ch = pl_script(1)
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
local KINDS = {hset = 1, hdel = 1, hincr = 1, sadd = 1, srem = 1, merge_set = 1, rpush = 1}
n = tonumber(A[i]); i = i + 1
local first = i
for _ = 1, n do  -- every write checked before the first is made: nothing half-way
  if not KINDS[A[i]] then return redis.error_reply('unknown write ' .. tostring(A[i])) end
  i = i + 4
end
i = first
for _ = 1, n do
  local kind, key, field, value = A[i], ch.state, A[i + 2], A[i + 3]
  local idx = tonumber(A[i + 1])
  if idx > 0 then key = K[idx] end
  if kind == 'hset' then
    redis.call('HSET', key, field, value)
  elseif kind == 'hdel' then
    redis.call('HDEL', key, field)
  elseif kind == 'hincr' then
    redis.call('HINCRBY', key, field, value)
  elseif kind == 'sadd' then
    redis.call('SADD', key, value)
  elseif kind == 'srem' then
    redis.call('SREM', key, value)
  elseif kind == 'merge_set' then  -- field: the index of the set whose members move into key
    local src = K[tonumber(field)]
    redis.call('SUNIONSTORE', key, key, src)
    redis.call('DEL', src)
  else  -- rpush
    redis.call('RPUSH', key, value)
  end
  i = i + 4
end
return pl_publish(ch, A[1], A[2])
