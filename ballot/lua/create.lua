-- Create a vote in draft with its definition, in one atomic step (never a vote without a definition,
-- never a definition replaced under an existing vote).
-- KEYS[1..4] the vote channel's meta, hist, state, log   KEYS[5] definition   KEYS[6] the set of votes
-- ARGV[1] pubsub channel  ARGV[2] vote id  ARGV[3] definition (MessagePack)  ARGV[4] status 'draft'
-- (MessagePack)  ARGV[5] event data  ARGV[6] history bound  ARGV[7] archive flag
-- Returns {offset, epoch, time} or {-1, current status} if the vote exists.
local current = redis.call('HGET', KEYS[3], 'status')
if current then
  return {-1, current}
end
redis.call('SET', KEYS[5], ARGV[3])
redis.call('SADD', KEYS[6], ARGV[2])
redis.call('HSET', KEYS[3], 'status', ARGV[4])
return pl_publish(KEYS[1], KEYS[2], KEYS[4], ARGV[1], 'vote.created', ARGV[5], ARGV[6], ARGV[7])
