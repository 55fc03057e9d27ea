-- A host's close, once: the countdown ends now and ballots in flight still count until the hard
-- close (grace_seconds later), or the vote closes at once when there is no grace. A close while one
-- is announced (its closes_at passed) or after the vote closed changes nothing and returns the first
-- close's times: a second press never moves the hard close later. The rule is
-- ballot.rules.close_times; this script enforces it atomically with casts and the sweeper.
-- KEYS[1..4] the vote channel's meta, hist, state, log
-- ARGV[1] pubsub channel  ARGV[2] now (ms)  ARGV[3] closes_at (MessagePack)
-- ARGV[4] hard_close_at (MessagePack)  ARGV[5] new status (MessagePack: open, or closed when no grace)
-- ARGV[6] event type  ARGV[7] event data (MessagePack)  ARGV[8] history bound  ARGV[9] archive bound (ChannelSpec.archive_arg)
-- Returns {offset, epoch, time} (offset >= 1) for a new close, {0, closes_at, hard_close_at} (MessagePack) for a
-- repeat, or {-1, status} when the vote is neither open nor closed with a close on record.
local current = redis.call('HGET', KEYS[3], 'status')
if not current then return {-1, ''} end
local status = cmsgpack.unpack(current)
local closes = redis.call('HGET', KEYS[3], 'closes_at')
local hard = redis.call('HGET', KEYS[3], 'hard_close_at')
local on_record = closes and hard
if status == 'closed' and on_record then return {0, closes, hard} end
if status ~= 'open' then return {-1, current} end
if on_record and cmsgpack.unpack(closes) <= tonumber(ARGV[2]) then return {0, closes, hard} end
redis.call('HSET', KEYS[3], 'status', ARGV[5], 'closes_at', ARGV[3], 'hard_close_at', ARGV[4])
return pl_publish(KEYS[1], KEYS[2], KEYS[4], ARGV[1], ARGV[6], ARGV[7], ARGV[8], ARGV[9])
