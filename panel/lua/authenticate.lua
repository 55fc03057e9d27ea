-- Who holds this token: the participant's record, in one round trip (hello's first step).
-- KEYS[1] the token's key (pl:{dir}:tok:<sha256>)
-- ARGV[1] the prefix of a participant's key (pl:{dir}:p:); the record's key is that plus the id,
--         in the same {dir} slot as KEYS[1], so the step stays single-slot on Redis Cluster.
-- Returns the record (msgpack), or false when the token is unknown (revoked or never issued).
-- The caller still compares the record's token hash with the token's: the check against a
-- rotation racing this read stays where it was (panel/roster.py).
local pid = redis.call('GET', KEYS[1])
if not pid then return false end
return redis.call('GET', ARGV[1] .. pid)
