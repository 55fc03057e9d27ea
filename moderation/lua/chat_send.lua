-- Send one chat message: the author's mute or ban, slow mode, the per-participant rate check and the
-- publish, in one atomic step (so every hub sees a mute or a slow-mode change at once, and a
-- rejected message leaves nothing behind).
-- KEYS, ARGV: the chat channel (pl_script), then K[1] the author's rate counter
-- K[2] the author's restriction ('mute' with an expiry, or 'ban')   K[3] the author's slow-mode mark
-- K[4] the author's nonce key
-- A[1] event type  A[2] data (MessagePack)  A[3] max messages per window  A[4] window (ms)
-- A[5] '1' if the author is staff (slow mode does not apply)   A[6] the message's nonce ('' for none)
-- A nonce already used returns {-3, the first reply (MessagePack [offset, epoch, time])}.
-- Returns {offset, epoch, time_ms}; {-1, ms until the window resets} when over the rate limit;
-- {-2, 'muted' | 'banned' | 'slow_mode', ms to wait (-1: until lifted)} when held back.
local K, A, chat = pl_script(1)
if A[6] ~= '' then
  local first = redis.call('GET', K[4])
  if first then return {-3, first} end
end
local restriction = redis.call('GET', K[2])
if restriction == 'ban' then return {-2, 'banned', -1} end
if restriction == 'mute' then return {-2, 'muted', redis.call('PTTL', K[2])} end
local slow = 0
if A[5] ~= '1' then
  local stored = redis.call('HGET', chat.state, 'slow_mode')
  if stored then slow = tonumber(cmsgpack.unpack(stored)) or 0 end
  if slow > 0 and redis.call('EXISTS', K[3]) == 1 then
    return {-2, 'slow_mode', redis.call('PTTL', K[3])}
  end
end
local n = redis.call('INCR', K[1])
if n == 1 then
  redis.call('PEXPIRE', K[1], A[4])
end
if n > tonumber(A[3]) then
  local ttl = redis.call('PTTL', K[1])
  return {-1, ttl}
end
if slow > 0 then
  redis.call('SET', K[3], '1', 'PX', slow * 1000)
end
local sent = pl_publish(chat, A[1], A[2])
if A[6] ~= '' then
  redis.call('SET', K[4], cmsgpack.pack(sent), 'EX', 600)
end
return sent
