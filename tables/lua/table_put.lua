-- Publish one event on a table's channel and keep it in the channel's state, in one step
-- (tables/live.py): a card under 'card:<id>', the current step under 'step', the last notice under
-- 'notice', so a phone that comes back gets them in its snapshot with the offset they reflect.
-- KEYS, ARGV: the table channel (pl_script)
-- A[1] event type   A[2] data (MessagePack)   A[3] the state field ('' to keep none)
-- Returns {offset, epoch, time_ms}.
local K, A, tbl = pl_script(1)
if A[3] ~= '' then
  redis.call('HSET', tbl.state, A[3], A[2])
end
return pl_publish(tbl, A[1], A[2])
