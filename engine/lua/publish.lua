-- Publish one event on a channel that has no state of its own (chat, ops).
-- KEYS, ARGV: the channel (pl_script), then A[1] event type  A[2] data (MessagePack)
-- Returns {offset, epoch, time_ms}.
local _, A, ch = pl_script(1)
return pl_publish(ch, A[1], A[2])
