-- Mute (for a time), ban, or lift either, for one participant in one meeting's chat, and tell every
-- client in the same atomic step. chat_send.lua reads the same key, so the effect is immediate on
-- every hub.
-- KEYS, ARGV: the chat channel (pl_script), then K[1] the participant's restriction
-- K[2] the meeting's list of restricted participants (hash participant -> who restricted them,
--      when, their name; MessagePack): which restriction keys the console reads, never whether
--      one holds (K[1] says that, as chat_send.lua reads it)
-- A[1] event type  A[2] event data (MessagePack)  A[3] 'mute' | 'ban' | 'lift'  A[4] mute duration (ms)
-- A[5] the participant's id   A[6] the list's record for them (MessagePack)
-- Returns {offset, epoch, time_ms}, or {0} when there was nothing to lift.
local K, A, chat = pl_script(1)
local kind = A[3]
if kind == 'lift' then
  redis.call('HDEL', K[2], A[5])
  if redis.call('DEL', K[1]) == 0 then return {0} end
elseif kind == 'mute' then
  redis.call('SET', K[1], 'mute', 'PX', A[4])
  redis.call('HSET', K[2], A[5], A[6])
else
  redis.call('SET', K[1], 'ban')
  redis.call('HSET', K[2], A[5], A[6])
end
return pl_publish(chat, A[1], A[2])
