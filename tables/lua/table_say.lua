-- Send one message at a table (tables/live.py ``say``): the author's rate check, the publish and
-- the mark that the author has spoken, in one atomic step; a refused message leaves nothing behind.
-- The meeting chat's rule (moderation/lua/chat_send.lua) without its moderation: a table has no
-- slow mode, and a moderator's mute or ban is the meeting chat's.
-- KEYS, ARGV: the table channel (pl_script), then K[1] the author's rate counter
-- K[2] the author's nonce key   K[3] who has spoken (hash participant -> messages)
-- A[1] event type   A[2] data (MessagePack)   A[3] max messages per window   A[4] window (ms)
-- A[5] the message's nonce ('' for none)   A[6] the author's id
-- Returns {offset, epoch, time_ms}; {-3, first reply (MessagePack [offset, epoch, time])} for a
-- nonce already used; {-1, ms until the window resets} when over the rate limit.
local K, A, tbl = pl_script(1)
if A[5] ~= '' then
  local first = redis.call('GET', K[2])
  if first then return {-3, first} end
end
local n = redis.call('INCR', K[1])
if n == 1 then redis.call('PEXPIRE', K[1], A[4]) end
if n > tonumber(A[3]) then return {-1, redis.call('PTTL', K[1])} end
local sent = pl_publish(tbl, A[1], A[2])
redis.call('HINCRBY', K[3], A[6], 1)
if A[5] ~= '' then
  redis.call('SET', K[2], cmsgpack.pack(sent), 'EX', 600)
end
return sent
