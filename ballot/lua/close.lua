-- A host's close, once: the countdown ends now and ballots in flight still count until the hard
-- close (grace_seconds later), or the vote closes at once when there is no grace. A close while one
-- is announced (its closes_at passed) or after the vote closed changes nothing and returns the first
-- close's times: a second press never moves the hard close later. The rule is
-- ballot.rules.close_times; this script enforces it atomically with casts and the sweeper.
-- KEYS, ARGV: the vote channel (pl_script), then
-- A[1] now (ms)  A[2] closes_at (MessagePack)  A[3] hard_close_at (MessagePack)
-- A[4] new status (MessagePack: open, or closed when no grace)  A[5] event type  A[6] event data (MessagePack)
-- Returns {offset, epoch, time} (offset >= 1) for a new close, {0, closes_at, hard_close_at} (MessagePack) for a
-- repeat, or {-1, status} when the vote is neither open nor closed with a close on record.
local _, A, vote = pl_script(1)
local current = redis.call('HGET', vote.state, 'status')
if not current then return {-1, ''} end
local status = cmsgpack.unpack(current)
local closes = redis.call('HGET', vote.state, 'closes_at')
local hard = redis.call('HGET', vote.state, 'hard_close_at')
local on_record = closes and hard
if status == 'closed' and on_record then return {0, closes, hard} end
if status ~= 'open' then return {-1, current} end
if on_record and cmsgpack.unpack(closes) <= tonumber(A[1]) then return {0, closes, hard} end
redis.call('HSET', vote.state, 'status', A[4], 'closes_at', A[2], 'hard_close_at', A[3])
return pl_publish(vote, A[5], A[6])
