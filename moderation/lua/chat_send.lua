-- Send one chat message: the author's mute or ban, slow mode, the per-participant rate check and the
-- publish, in one atomic step (so every hub sees a mute or a slow-mode change at once, and a
-- rejected message leaves nothing behind).
-- KEYS[1..4] the chat channel's meta, hist, state, log   KEYS[5] the author's rate counter
-- KEYS[6] the author's restriction ('mute' with an expiry, or 'ban')   KEYS[7] the author's slow-mode mark
-- ARGV[1] pubsub channel  ARGV[2] event type  ARGV[3] data (MessagePack)  ARGV[4] history bound
-- ARGV[5] archive flag    ARGV[6] max messages per window  ARGV[7] window (ms)
-- ARGV[8] '1' if the author is staff (slow mode does not apply)
-- KEYS[8] the author's nonce key   ARGV[9] the message's nonce ('' for none)
-- A nonce already used returns {-3, the first reply (MessagePack [offset, epoch, time])}.
-- Returns {offset, epoch, time_ms}; {-1, ms until the window resets} when over the rate limit;
-- {-2, 'muted' | 'banned' | 'slow_mode', ms to wait (-1: until lifted)} when held back.
if ARGV[9] ~= '' then
  local first = redis.call('GET', KEYS[8])
  if first then return {-3, first} end
end
local restriction = redis.call('GET', KEYS[6])
if restriction == 'ban' then return {-2, 'banned', -1} end
if restriction == 'mute' then return {-2, 'muted', redis.call('PTTL', KEYS[6])} end
local slow = 0
if ARGV[8] ~= '1' then
  local stored = redis.call('HGET', KEYS[3], 'slow_mode')
  if stored then slow = tonumber(cmsgpack.unpack(stored)) or 0 end
  if slow > 0 and redis.call('EXISTS', KEYS[7]) == 1 then
    return {-2, 'slow_mode', redis.call('PTTL', KEYS[7])}
  end
end
local n = redis.call('INCR', KEYS[5])
if n == 1 then
  redis.call('PEXPIRE', KEYS[5], ARGV[7])
end
if n > tonumber(ARGV[6]) then
  local ttl = redis.call('PTTL', KEYS[5])
  return {-1, ttl}
end
if slow > 0 then
  redis.call('SET', KEYS[7], '1', 'PX', slow * 1000)
end
local sent = pl_publish(KEYS[1], KEYS[2], KEYS[4], ARGV[1], ARGV[2], ARGV[3], ARGV[4], ARGV[5])
if ARGV[9] ~= '' then
  redis.call('SET', KEYS[8], cmsgpack.pack(sent), 'EX', 600)
end
return sent
