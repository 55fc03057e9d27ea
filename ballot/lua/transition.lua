-- Move a vote through its lifecycle and publish the change on its channel, in one atomic step.
-- KEYS[1..4] the vote channel's meta, hist, state, log   KEYS[5] eligible (set)
-- ARGV[1] pubsub channel  ARGV[2] expected status (MessagePack)  ARGV[3] new status (MessagePack)
-- ARGV[4] event type  ARGV[5] event data (MessagePack)  ARGV[6] history bound  ARGV[7] archive flag
-- ARGV[8] number of state fields that follow as name/value pairs (values MessagePack), then the
-- eligible voter ids (only when opening).
-- Returns {offset, epoch, time} or {-1, actual status} when the vote is not in the expected state.
local current = redis.call('HGET', KEYS[3], 'status')
if ARGV[2] ~= '' and current ~= ARGV[2] then
  return {-1, current or ''}
end
if ARGV[2] == '' and current then
  return {-1, current}
end
redis.call('HSET', KEYS[3], 'status', ARGV[3])
local n = tonumber(ARGV[8])
local i = 9
for _ = 1, n do
  redis.call('HSET', KEYS[3], ARGV[i], ARGV[i + 1])
  i = i + 2
end
while i <= #ARGV do
  redis.call('SADD', KEYS[5], unpack(ARGV, i, math.min(i + 999, #ARGV)))
  i = i + 1000
end
return pl_publish(KEYS[1], KEYS[2], KEYS[4], ARGV[1], ARGV[4], ARGV[5], ARGV[6], ARGV[7])
