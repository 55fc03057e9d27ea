-- Send one chat message: per-participant rate check and publish in one atomic step.
-- KEYS[1..4] the chat channel's meta, hist, state, log   KEYS[5] the author's rate counter
-- ARGV[1] pubsub channel  ARGV[2] event type  ARGV[3] data (MessagePack)  ARGV[4] history bound
-- ARGV[5] archive flag    ARGV[6] max messages per window  ARGV[7] window (ms)
-- Returns {offset, epoch, time_ms}, or {-1, ms until the window resets} when over the limit.
local n = redis.call('INCR', KEYS[5])
if n == 1 then
  redis.call('PEXPIRE', KEYS[5], ARGV[7])
end
if n > tonumber(ARGV[6]) then
  local ttl = redis.call('PTTL', KEYS[5])
  return {-1, ttl}
end
return pl_publish(KEYS[1], KEYS[2], KEYS[4], ARGV[1], ARGV[2], ARGV[3], ARGV[4], ARGV[5])
