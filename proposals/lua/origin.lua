-- Keep what a vote made from proposals was made from (proposals/voting.py), unless the vote exists:
-- an origin is never written under a vote that is already there (another's, or this one's from an
-- earlier attempt, which the caller then compares). One slot: both keys are the vote's.
-- KEYS[1] the vote's definition  KEYS[2] its origin.  ARGV[1] the origin (MessagePack).
-- Returns 1 written, 0 the vote exists.
if redis.call('EXISTS', KEYS[1]) == 1 then return 0 end
redis.call('SET', KEYS[2], ARGV[1])
return 1
