-- Publish the turnout of an open vote if it changed since the last publish (any hub may call this
-- every tick: the comparison inside the script makes the event appear once per change).
-- KEYS, ARGV: the vote channel (pl_script), then K[1] counters (hash)
-- Returns {offset, epoch, time} or {0}.
local K, _, vote = pl_script(1)
local raw = tonumber(redis.call('HGET', K[1], 'voted') or '0')
local shown = redis.call('HGET', vote.state, 'turnout')
if shown and cmsgpack.unpack(shown) == raw then return {0} end
redis.call('HSET', vote.state, 'turnout', cmsgpack.pack(raw))
return pl_publish(vote, 'vote.turnout', cmsgpack.pack({voted = raw}))
