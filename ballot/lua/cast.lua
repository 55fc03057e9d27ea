-- Record one ballot atomically: check open and eligible, idempotent retry by nonce, append the
-- ballot and its audit entry, bump turnout (first ballot of this voter only).
-- KEYS[1] state  KEYS[2] ballots (list)  KEYS[3] nonces (hash)  KEYS[4] voters (hash voter->count)
-- KEYS[5] eligible (set)  KEYS[6] strata (hash)  KEYS[7] audit (list)  KEYS[8] counters (hash)
-- KEYS[9] tracking codes (set)  KEYS[10] the vote channel's meta (hash: its epoch)
-- ARGV[1] voter  ARGV[2] the nonce's field in the nonces hash (ballot.store.nonce_field: one nonce
-- space per channel, so a paper entry never collides with the voter's own online nonce)  ARGV[3] channel (online|paper|phone)  ARGV[4] record (MessagePack
-- map of a BallotRecord with seq=0 and received_ms=0: filled here)  ARGV[5] tracking code
-- ARGV[6..8] the voter's gender, age band, district (ballot.turnout.stratum_value: 'unknown' for none)   ARGV[9] who keyed it in (paper, phone) or ''
-- ARGV[10] the channel epoch of the definition the caller validated the ranking against, or '' (no
-- check); {0, 'definition_changed'} when the vote was since removed and created anew (Redis reset).
-- ARGV[11] the most ballots a voter may cast online (ballot.rules.MAX_ONLINE_BALLOTS); paper is
-- never refused by it, and a retry of an accepted nonce is answered before it is checked.
-- ARGV[12] the (state, channel) pairs that may record a ballot, ' state:channel ' between spaces
-- (ballot.rules.ACCEPTS_ARG).
-- Returns {1, code, seq, received_ms, 0|1 (1: a retry of an accepted nonce)} or {0, error name};
-- {0, 'code_taken'} when the tracking code exists already (the caller draws a new salt);
-- {0, 'nonce_reused'} when the nonce was used for a ballot with another ranking.
local state = KEYS[1]
local status = redis.call('HGET', state, 'status')
if not status then return {0, 'unknown_vote'} end
status = cmsgpack.unpack(status)
if ARGV[10] ~= '' and redis.call('HGET', KEYS[10], 'epoch') ~= ARGV[10] then
  return {0, 'definition_changed'}
end
local now_ms = pl_now_ms()
local retry = redis.call('HGET', KEYS[3], ARGV[2])
if retry then
  local r = cmsgpack.unpack(retry)
  -- A nonce names one ballot: the same nonce with another ranking is not a retry but a reuse,
  -- refused so that the new ranking is not dropped silently (nothing is stored).
  local first = redis.call('LINDEX', KEYS[2], r[2] - 1)  -- ballots are appended in seq order
  if first then
    local had, now = cmsgpack.unpack(first)['ranking'], cmsgpack.unpack(ARGV[4])['ranking']
    local same = #had == #now
    for i = 1, #had do same = same and had[i] == now[i] end
    if not same then return {0, 'nonce_reused'} end
  end
  return {1, r[1], r[2], r[3], 1}
end
-- Which channels each state takes, and the hard close: ballot.rules.check_accepts, with its table
-- from ARGV[12]. An open vote past its hard close takes what a closed one does, before the sweeper
-- writes it closed; until then (the grace after closes_at) it is open.
local channel = ARGV[3]
local hard = redis.call('HGET', state, 'hard_close_at')
if status == 'open' and hard and now_ms >= cmsgpack.unpack(hard) then status = 'closed' end
if not string.find(ARGV[12], ' ' .. status .. ':' .. channel .. ' ', 1, true) then
  if status == 'draft' then return {0, 'vote_not_open'} end
  return {0, 'vote_closed'}
end
if redis.call('SISMEMBER', KEYS[5], ARGV[1]) == 0 then return {0, 'not_eligible'} end
if channel == 'online' and tonumber(redis.call('HGET', KEYS[4], ARGV[1]) or '0') >= tonumber(ARGV[11]) then
  return {0, 'too_many_ballots'}
end
if redis.call('SADD', KEYS[9], ARGV[5]) == 0 then return {0, 'code_taken'} end
local seq = redis.call('HINCRBY', KEYS[8], 'ballot_seq', 1)
-- The record arrives as a MessagePack map with seq=0 and received_ms=0: the store fills them.
local rec = cmsgpack.unpack(ARGV[4])
rec['seq'] = seq
rec['received_ms'] = now_ms
local packed = cmsgpack.pack(rec)
redis.call('RPUSH', KEYS[2], packed)
redis.call('HSET', KEYS[3], ARGV[2], cmsgpack.pack({ARGV[5], seq, now_ms}))
redis.call('RPUSH', KEYS[7], cmsgpack.pack({'cast', seq, now_ms, ARGV[1], channel, ARGV[5], ARGV[9]}))
if redis.call('HINCRBY', KEYS[4], ARGV[1], 1) == 1 then
  redis.call('HINCRBY', KEYS[8], 'voted', 1)
  redis.call('HINCRBY', KEYS[6], 'gender:' .. ARGV[6], 1)
  redis.call('HINCRBY', KEYS[6], 'age_band:' .. ARGV[7], 1)
  redis.call('HINCRBY', KEYS[6], 'district:' .. ARGV[8], 1)
end
return {1, ARGV[5], seq, now_ms, 0}
