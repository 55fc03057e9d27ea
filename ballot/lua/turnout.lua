-- Publish the turnout of an open vote if it changed since the last publish (any hub may call this
-- every tick: the comparison inside the script makes the event appear once per change).
-- KEYS[1..4] the vote channel's meta, hist, state, log   KEYS[5] counters (hash)
-- ARGV[1] pubsub channel  ARGV[2] history bound  ARGV[3] archive flag
-- Returns {offset, epoch, time} or {0}.
local raw = tonumber(redis.call('HGET', KEYS[5], 'voted') or '0')
local shown = redis.call('HGET', KEYS[3], 'turnout')
if shown and cmsgpack.unpack(shown) == raw then return {0} end
redis.call('HSET', KEYS[3], 'turnout', cmsgpack.pack(raw))
return pl_publish(KEYS[1], KEYS[2], KEYS[4], ARGV[1], 'vote.turnout', cmsgpack.pack({voted = raw}), ARGV[2], ARGV[3])
