-- Create a vote in draft with its definition, in one atomic step (never a vote without a definition,
-- never a definition replaced under an existing vote).
-- KEYS, ARGV: the vote channel (pl_script), then K[1] definition (all in the vote's slot: the
-- caller lists the vote in the directory's set of votes, engine.keys.VOTES, before this step)
-- A[1] vote id  A[2] definition (MessagePack)  A[3] status 'draft' (MessagePack)  A[4] event data
-- Returns {offset, epoch, time} or {-1, current status} if the vote exists.
local K, A, vote = pl_script(1)
local current = redis.call('HGET', vote.state, 'status')
if current then
  return {-1, current}
end
redis.call('SET', K[1], A[2])
redis.call('HSET', vote.state, 'status', A[3])
return pl_publish(vote, 'vote.created', A[4])
