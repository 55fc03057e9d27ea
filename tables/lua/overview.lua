-- Update one table's record in the hosts' overview (tables/overview.py) and publish it, in one
-- step, so two hubs counting cards of one table at once never lose one.
-- KEYS, ARGV: the overview channel meeting/<id>/tables (pl_script)
-- A[1] table   A[2] what happened: 'card' | 'said' | 'flag' | 'unflag'   A[3] the step it happened in
-- A[4] the flag's reason ('flag' only)   A[5] who ('flag', 'unflag')
-- A record counts cards and messages of its step only: the first of a newer step starts them at 0.
-- Returns {offset, epoch, time_ms}.
local K, A, ov = pl_script(1)
local field = 't:' .. A[1]
local stored = redis.call('HGET', ov.state, field)
local rec
if stored then rec = cmsgpack.unpack(stored) else
  rec = {table = tonumber(A[1]), step = 0, cards = 0, said = 0, flag = '', flag_by = '', flag_at = 0, last_at = 0}
end
local now = pl_now_ms()
local step = tonumber(A[3])
if (A[2] == 'card' or A[2] == 'said') and step > rec.step then
  rec.step = step; rec.cards = 0; rec.said = 0
end
if A[2] == 'card' then rec.cards = rec.cards + 1; rec.last_at = now
elseif A[2] == 'said' then rec.said = rec.said + 1; rec.last_at = now
elseif A[2] == 'flag' then rec.flag = A[4]; rec.flag_by = A[5]; rec.flag_at = now
elseif A[2] == 'unflag' then rec.flag = ''; rec.flag_by = A[5]; rec.flag_at = now
end
-- 0x88: a map of 8 in the field order of tables.overview.TableRecord (a Lua table packs in any order)
local packed = '\136' .. cmsgpack.pack('table', rec.table, 'step', rec.step, 'cards', rec.cards,
  'said', rec.said, 'flag', rec.flag, 'flag_by', rec.flag_by, 'flag_at', rec.flag_at, 'last_at', rec.last_at)
redis.call('HSET', ov.state, field, packed)
return pl_publish(ov, 'table.overview', packed)
