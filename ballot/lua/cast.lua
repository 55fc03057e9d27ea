-- Record a batch of ballots of one vote atomically, each on its own: check open and eligible,
-- idempotent retry by nonce, append the ballot and its audit entry, bump turnout (first ballot of
-- this voter only). Why a batch per call and not a call per ballot: the hub's cast batcher sends
-- every cast waiting for a vote in one call, so the hub packs one command and parses one reply per
-- batch instead of one per ballot (docs/performance.md, "Issue 11: the cast path"); the ballots
-- are taken in order, each seeing the ones before it, exactly as one call each in a pipeline.
-- KEYS[1] state  KEYS[2] ballots (list)  KEYS[3] nonces (hash)  KEYS[4] voters (hash voter->count)
-- KEYS[5] eligible (set)  KEYS[6] strata (hash)  KEYS[7] audit (list)  KEYS[8] counters (hash)
-- KEYS[9] tracking codes (set)  KEYS[10] the vote channel's meta (hash: its epoch)
-- ARGV[1] the most ballots a voter may cast online (ballot.rules.MAX_ONLINE_BALLOTS); paper is
-- never refused by it, and a retry of an accepted nonce is answered before it is checked.
-- ARGV[2] the (state, channel) pairs that may record a ballot, ' state:channel ' between spaces
-- (ballot.rules.ACCEPTS_ARG).
-- KEYS[11...] the per-participant rate buckets the ballots are checked against (in the vote's slot:
-- engine.keys.vote_rate_bucket), each named by index below.
-- Then CAST_ARGS (14) arguments per ballot, ballot after ballot; for ballot i at base b = 2 + 14 (i - 1):
-- b+1 voter  b+2 the nonce's field in the nonces hash (ballot.store.nonce_field: one nonce space
-- per channel, so a paper entry never collides with the voter's own online nonce)  b+3 channel
-- (online|paper|phone)  b+4 record (MessagePack map of a BallotRecord with seq=0 and
-- received_ms=0: filled here)  b+5 tracking code  b+6..b+8 the voter's gender, age band, district
-- (ballot.turnout.stratum_value: 'unknown' for none)  b+9 who keyed it in (paper, phone) or ''
-- b+10 the channel epoch of the definition the caller validated the ranking against, or '' (no
-- check); {0, 'definition_changed'} when the vote was since removed and created anew (Redis reset).
-- b+11 the index in KEYS of the bucket of whoever sends the ballot (the voter online, the clerk
-- for paper), or 0 for no check  b+12 its refill rate (tokens per second)  b+13 its burst
-- b+14 the ballot's cost (realtime.roles: RATE_CLASSES and COMMAND_COST, the policy). Why here and
-- not in rate.lua's batch: the check and the cast were two round trips one after the other for
-- every cast (docs/performance.md, "Issue 11: the cast path, second pass"). The rule is _lib.lua's
-- pl_bucket, checked before anything else; the tokens are kept only when the ballot is recorded or
-- is a retry of a recorded one (what the hub's command check did: a refused command costs nothing),
-- and {0, 'rate_limited', ms until the tokens are there} stores nothing.
-- Returns one reply per ballot, in order: {1, code, seq, received_ms, 0|1 (1: a retry of an
-- accepted nonce)} or {0, error name}; {0, 'code_taken'} when the tracking code exists already
-- (the caller draws a new salt); {0, 'nonce_reused'} when the nonce was used for a ballot with
-- another ranking.
local CAST_ARGS = 14
local state = KEYS[1]
local now_ms = pl_now_ms()
local max_online = tonumber(ARGV[1])
local accepts = ARGV[2]

local function cast(b)
  local status = redis.call('HGET', state, 'status')
  if not status then return {0, 'unknown_vote'} end
  status = cmsgpack.unpack(status)
  if ARGV[b + 10] ~= '' and redis.call('HGET', KEYS[10], 'epoch') ~= ARGV[b + 10] then
    return {0, 'definition_changed'}
  end
  local voter, nonce, code = ARGV[b + 1], ARGV[b + 2], ARGV[b + 5]
  local retry = redis.call('HGET', KEYS[3], nonce)
  if retry then
    local r = cmsgpack.unpack(retry)
    -- A nonce names one ballot: the same nonce with another ranking is not a retry but a reuse,
    -- refused so that the new ranking is not dropped silently (nothing is stored).
    local first = redis.call('LINDEX', KEYS[2], r[2] - 1)  -- ballots are appended in seq order
    if first then
      local had, now = cmsgpack.unpack(first)['ranking'], cmsgpack.unpack(ARGV[b + 4])['ranking']
      local same = #had == #now
      for i = 1, #had do same = same and had[i] == now[i] end
      if not same then return {0, 'nonce_reused'} end
    end
    return {1, r[1], r[2], r[3], 1}
  end
  -- Which channels each state takes, and the hard close: ballot.rules.check_accepts, with its table
  -- from ARGV[2]. An open vote past its hard close takes what a closed one does, before the sweeper
  -- writes it closed; until then (the grace after closes_at) it is open.
  local channel = ARGV[b + 3]
  local hard = redis.call('HGET', state, 'hard_close_at')
  if status == 'open' and hard and now_ms >= cmsgpack.unpack(hard) then status = 'closed' end
  if not string.find(accepts, ' ' .. status .. ':' .. channel .. ' ', 1, true) then
    if status == 'draft' then return {0, 'vote_not_open'} end
    return {0, 'vote_closed'}
  end
  if redis.call('SISMEMBER', KEYS[5], voter) == 0 then return {0, 'not_eligible'} end
  if channel == 'online' and tonumber(redis.call('HGET', KEYS[4], voter) or '0') >= max_online then
    return {0, 'too_many_ballots'}
  end
  if redis.call('SADD', KEYS[9], code) == 0 then return {0, 'code_taken'} end
  local seq = redis.call('HINCRBY', KEYS[8], 'ballot_seq', 1)
  -- The record arrives as a MessagePack map with seq=0 and received_ms=0: the store fills them.
  local rec = cmsgpack.unpack(ARGV[b + 4])
  rec['seq'] = seq
  rec['received_ms'] = now_ms
  redis.call('RPUSH', KEYS[2], cmsgpack.pack(rec))
  redis.call('HSET', KEYS[3], nonce, cmsgpack.pack({code, seq, now_ms}))
  redis.call('RPUSH', KEYS[7], cmsgpack.pack({'cast', seq, now_ms, voter, channel, code, ARGV[b + 9]}))
  if redis.call('HINCRBY', KEYS[4], voter, 1) == 1 then
    redis.call('HINCRBY', KEYS[8], 'voted', 1)
    redis.call('HINCRBY', KEYS[6], 'gender:' .. ARGV[b + 6], 1)
    redis.call('HINCRBY', KEYS[6], 'age_band:' .. ARGV[b + 7], 1)
    redis.call('HINCRBY', KEYS[6], 'district:' .. ARGV[b + 8], 1)
  end
  return {1, code, seq, now_ms, 0}
end

-- The ballot's rate check around cast(b): nothing kept unless the ballot is (or was) recorded.
local function checked_cast(b)
  local bucket = tonumber(ARGV[b + 11])
  if bucket == 0 then return cast(b) end
  local key, rate, burst, cost = KEYS[bucket], tonumber(ARGV[b + 12]), tonumber(ARGV[b + 13]), tonumber(ARGV[b + 14])
  local tokens = pl_bucket(key, rate, burst, now_ms)
  if tokens < cost then return {0, 'rate_limited', pl_bucket_wait(tokens, cost, rate)} end
  local res = cast(b)
  if res[1] == 1 then pl_bucket_keep(key, tokens - cost, rate, burst, now_ms) end
  return res
end

local out = {}
for b = 2, #ARGV - 1, CAST_ARGS do out[#out + 1] = checked_cast(b) end
return out
