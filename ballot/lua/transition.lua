-- Move a vote through its lifecycle and publish the change on its channel, in one atomic step.
-- KEYS, ARGV: the vote channel (pl_script), then K[1] eligible (set)
-- A[1] expected status (MessagePack)  A[2] new status (MessagePack)  A[3] event type
-- A[4] event data (MessagePack)  A[5] number of state fields that follow as name/value pairs (values
-- MessagePack), then the eligible voter ids (only when opening).
-- Returns {offset, epoch, time} or {-1, actual status} when the vote is not in the expected state.
local K, A, vote = pl_script(1)
local current = redis.call('HGET', vote.state, 'status')
if A[1] ~= '' and current ~= A[1] then
  return {-1, current or ''}
end
if A[1] == '' and current then
  return {-1, current}
end
redis.call('HSET', vote.state, 'status', A[2])
local n = tonumber(A[5])
local i = 6
for _ = 1, n do
  redis.call('HSET', vote.state, A[i], A[i + 1])
  i = i + 2
end
while i <= #A do
  redis.call('SADD', K[1], unpack(A, i, math.min(i + 999, #A)))
  i = i + 1000
end
return pl_publish(vote, A[3], A[4])
