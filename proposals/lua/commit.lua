-- Commit one step of a meeting's proposals that proposals/rules.py decided from a read, and publish
-- its event: one atomic step, refused (nothing written) when a field it read has moved since.
-- The rules are all in Python; this script only checks the guards, then writes and publishes.
-- KEYS, ARGV: the channel meeting/<m>/proposals (pl_script), then
-- K[1..]: the private keys the writes name (supporters:<id>, versions:<id>, comments:<id>, ...).
-- A[1] event type  A[2] event data (MessagePack)
-- A[3] number of guards G, then G pairs (state field, the bytes it held when read; '' = absent)
-- then the number of writes W and W quadruples (kind, key index: 0 the state hash or i for K[i],
-- field, value), kinds as proposals.rules.Op says: hset hdel hincr sadd srem merge_set rpush.
-- Returns {offset, epoch, time_ms}, or {-1, the field that moved}.
local K, A, ch = pl_script(1)
local i = 3
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
local writes = {}
for _ = 1, n do  -- every write read and checked before the first is made: nothing half-way
  local w = {kind = A[i], idx = tonumber(A[i + 1]), field = A[i + 2], value = A[i + 3]}
  if not KINDS[w.kind] then return redis.error_reply('unknown write ' .. tostring(w.kind)) end
  writes[#writes + 1] = w
  i = i + 4
end
for _, w in ipairs(writes) do
  local key = ch.state
  if w.idx > 0 then key = K[w.idx] end
  if w.kind == 'hset' then
    redis.call('HSET', key, w.field, w.value)
  elseif w.kind == 'hdel' then
    redis.call('HDEL', key, w.field)
  elseif w.kind == 'hincr' then
    redis.call('HINCRBY', key, w.field, w.value)
  elseif w.kind == 'sadd' then
    redis.call('SADD', key, w.value)
  elseif w.kind == 'srem' then
    redis.call('SREM', key, w.value)
  elseif w.kind == 'merge_set' then  -- field: the index of the set whose members move into key
    local src = K[tonumber(w.field)]
    redis.call('SUNIONSTORE', key, key, src)
    redis.call('DEL', src)
  else  -- rpush
    redis.call('RPUSH', key, w.value)
  end
end
return pl_publish(ch, A[1], A[2])
