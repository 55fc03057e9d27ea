-- One mark at a session's hall desk (attendance/rules.py): check in, check out, or a paper
-- sign-in, each recorded once. Why one script: the "is this panelist in already?" check and the
-- write must be one step, or two clerks scanning the same code at once would log two check-ins.
-- KEYS[1] who is in the hall now (hash participant -> ms checked in)
-- KEYS[2] paper sign-ins (hash participant -> ms keyed in)
-- KEYS[3] the desk log (list of MessagePack [mark, participant, clerk, ms]: rules.DeskEntry)
-- (all three carry the session's hash tag {att/<session>}: one slot)
-- ARGV[1] the mark: in | out | paper  ARGV[2] the panelist  ARGV[3] the clerk
-- Returns {1, now} when recorded; {0, ms of the standing record, 0 if none} when it was a no-op
-- (checked in already, out already, signed already): rules.py says why that is no error.
local now = pl_now_ms()
local mark, who, clerk = ARGV[1], ARGV[2], ARGV[3]
if mark == 'in' then
  local at = redis.call('HGET', KEYS[1], who)
  if at then return {0, tonumber(at)} end
  redis.call('HSET', KEYS[1], who, now)
elseif mark == 'out' then
  if redis.call('HDEL', KEYS[1], who) == 0 then return {0, 0} end
elseif mark == 'paper' then
  local at = redis.call('HGET', KEYS[2], who)
  if at then return {0, tonumber(at)} end
  redis.call('HSET', KEYS[2], who, now)
else
  return redis.error_reply('unknown mark ' .. tostring(mark))
end
redis.call('RPUSH', KEYS[3], cmsgpack.pack({mark, who, clerk, now}))
return {1, now}
