-- Limit a vote to the panelists checked in at a session's hall, only while the vote is in the
-- state that allows it (attendance/rules.py HALL_VOTE_STATE: a draft). Why a script: the state
-- check and the write are one step, so no vote opens between them and keeps a rule its hubs
-- never saw (they remember what they read of an open vote).
-- KEYS[1] the vote channel's state (hash; 'status' is MessagePack)  KEYS[2] the vote's hall key
-- (both in the vote's slot)  ARGV[1] the session  ARGV[2] the state that allows it
-- Returns {1, status} when set, {0, status} when not ('' for a vote that does not exist).
local raw = redis.call('HGET', KEYS[1], 'status')
if not raw then return {0, ''} end
local status = cmsgpack.unpack(raw)
if status ~= ARGV[2] then return {0, status} end
redis.call('SET', KEYS[2], ARGV[1])
return {1, status}
