-- Mute (for a time), ban, or lift either, for one participant in one meeting's chat, and tell every
-- client in the same atomic step. chat_send.lua reads the same key, so the effect is immediate on
-- every hub.
-- KEYS[1..4] the chat channel's meta, hist, state, log   KEYS[5] the participant's restriction
-- KEYS[6] the meeting's list of restricted participants (hash participant -> who restricted them,
--         when, their name; MessagePack): which restriction keys the console reads, never whether
--         one holds (KEYS[5] says that, as chat_send.lua reads it)
-- ARGV[1] pubsub channel  ARGV[2] event type  ARGV[3] event data (MessagePack)  ARGV[4] history bound
-- ARGV[5] archive flag    ARGV[6] 'mute' | 'ban' | 'lift'   ARGV[7] mute duration (ms)
-- ARGV[8] the participant's id   ARGV[9] the list's record for them (MessagePack)
-- Returns {offset, epoch, time_ms}, or {0} when there was nothing to lift.
local kind = ARGV[6]
if kind == 'lift' then
  redis.call('HDEL', KEYS[6], ARGV[8])
  if redis.call('DEL', KEYS[5]) == 0 then return {0} end
elseif kind == 'mute' then
  redis.call('SET', KEYS[5], 'mute', 'PX', ARGV[7])
  redis.call('HSET', KEYS[6], ARGV[8], ARGV[9])
else
  redis.call('SET', KEYS[5], 'ban')
  redis.call('HSET', KEYS[6], ARGV[8], ARGV[9])
end
return pl_publish(KEYS[1], KEYS[2], KEYS[4], ARGV[1], ARGV[2], ARGV[3], ARGV[4], ARGV[5])
