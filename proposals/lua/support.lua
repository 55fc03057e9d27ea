-- Support (공감) a proposal or withdraw the support: the hot path, where thousands press at once,
-- so one atomic step that never retries (the other steps read, decide in Python and commit with
-- guards: lua/commit.lua). The rule is proposals.rules.support's, with its table's states passed
-- in from there; tests/unit/proposals/test_machine.py holds the two to one model.
-- KEYS, ARGV: the channel meeting/<m>/proposals (pl_script), then
-- K[1] the proposal's supporters (a set)
-- A[1] '1' support, '0' withdraw  A[2] proposal id  A[3] the panelist  A[4] the states a proposal
-- may be supported in, space-separated  A[5] event type
-- Returns {offset, epoch, time_ms, supports} or {-1, error name, detail}.
local K, A, ch = pl_script(1)
local field = 'p:' .. A[2]
local packed = redis.call('HGET', ch.state, field)
if not packed then return {-1, 'no_such_proposal', A[2]} end
local rec = cmsgpack.unpack(packed)
local open = false
for s in string.gmatch(A[4], '%S+') do if s == rec.state then open = true end end
if not open then return {-1, 'proposal_state', rec.state} end
if A[1] == '1' then
  if redis.call('SADD', K[1], A[3]) == 0 then return {-1, 'already_supported', A[2]} end
else
  if redis.call('SREM', K[1], A[3]) == 0 then return {-1, 'not_supported', A[2]} end
end
rec.supports = redis.call('SCARD', K[1])
redis.call('HSET', ch.state, field, cmsgpack.pack(rec))
local pub = pl_publish(ch, A[5], cmsgpack.pack({id = rec.id, supports = rec.supports}))
return {pub[1], pub[2], pub[3], rec.supports}
