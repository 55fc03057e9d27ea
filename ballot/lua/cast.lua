-- Record a batch of ballots of one vote atomically, each on its own: check open and eligible,
-- idempotent retry by nonce, append the ballot and its audit entry, bump turnout (first ballot of
-- this voter only). Why a batch per call and not a call per ballot: the hub's cast batcher sends
-- every cast waiting for a vote in one call, so the hub packs one command and parses one reply per
-- batch instead of one per ballot (docs/performance.md, "Issue 11: the cast path"); the ballots
-- are taken in order, each seeing the ones before it, exactly as one call each in a pipeline.
-- Why the reads first and the writes last (docs/performance.md, "Issue 11: the store level"): a
-- redis.call costs about as much as the work it does here, so what every ballot of the batch
-- shares (the vote's status, hard close, epoch) is read once, what each ballot needs (its nonce,
-- eligibility, ballot count, tracking code) in one command per kind for the whole batch, and the
-- writes go out once per key at the end; in between, the batch's own ballots are kept in Lua
-- tables that each later ballot of the batch reads before what Redis held (so a retry or a recast
-- in the same batch sees the ballot before it). A script that fails before its writes stores
-- nothing of the batch.
-- KEYS[1] state  KEYS[2] ballots (list)  KEYS[3] nonces (hash)  KEYS[4] voters (hash voter->count)
-- KEYS[5] eligible (set)  KEYS[6] strata (hash)  KEYS[7] audit (list)  KEYS[8] counters (hash)
-- KEYS[9] tracking codes (set)  KEYS[10] the vote channel's meta (hash: its epoch)
-- KEYS[11...] the per-participant rate buckets the ballots are checked against (in the vote's slot:
-- engine.keys.vote_rate_bucket), each named by index below.
-- ARGV[1] the most ballots a voter may cast online (ballot.rules.MAX_ONLINE_BALLOTS); paper is
-- never refused by it, and a retry of an accepted nonce is answered before it is checked.
-- ARGV[2] the (state, channel) pairs that may record a ballot, ' state:channel ' between spaces
-- (ballot.rules.ACCEPTS_ARG).
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
-- and {0, 'rate_limited', ms until the tokens are there} stores nothing. A bucket is read once per
-- batch and written once at the end, like every other key (the batch's ballots of one sender, a
-- clerk's paper entries say, see the tokens the ones before them left).
-- Returns one reply per ballot, in order: {1, code, seq, received_ms, 0|1 (1: a retry of an
-- accepted nonce)} or {0, error name}; {0, 'code_taken'} when the tracking code exists already
-- (the caller draws a new salt); {0, 'nonce_reused'} when the nonce was used for a ballot with
-- another ranking.
local CAST_ARGS = 14
local CHUNK = 1000  -- arguments per command of the batch's reads and writes (Lua's unpack bound; even)
local state = KEYS[1]
local now_ms = pl_now_ms()
local max_online = tonumber(ARGV[1])
local accepts = ARGV[2]
local n = math.floor((#ARGV - 2) / CAST_ARGS)

-- call(cmd, key, list): redis.call(cmd, key, unpack(list)) in chunks of CHUNK arguments (even, so
-- a list of field, value pairs is never split); the replies joined when they are lists.
local function call(cmd, key, list)
  local out = {}
  for first = 1, #list, CHUNK do
    local reply = redis.call(cmd, key, unpack(list, first, math.min(first + CHUNK - 1, #list)))
    if type(reply) == 'table' then
      for _, v in ipairs(reply) do out[#out + 1] = v end
    end
  end
  return out
end

local function field(i, k) return ARGV[2 + CAST_ARGS * (i - 1) + k] end

local status = redis.call('HGET', state, 'status')
if not status then
  local out = {}
  for i = 1, n do out[i] = {0, 'unknown_vote'} end
  return out
end
status = cmsgpack.unpack(status)
-- Which channels each state takes, and the hard close: ballot.rules.check_accepts, with its table
-- from ARGV[2]. An open vote past its hard close takes what a closed one does, before the sweeper
-- writes it closed; until then (the grace after closes_at) it is open.
local hard = redis.call('HGET', state, 'hard_close_at')
if status == 'open' and hard and now_ms >= cmsgpack.unpack(hard) then status = 'closed' end
local epoch = redis.call('HGET', KEYS[10], 'epoch')

local voters, nonces, codes = {}, {}, {}
for i = 1, n do voters[i], nonces[i], codes[i] = field(i, 1), field(i, 2), field(i, 5) end
local stored_nonce = call('HMGET', KEYS[3], nonces)
local eligible = call('SMISMEMBER', KEYS[5], voters)
local stored_count = call('HMGET', KEYS[4], voters)
local stored_code = call('SMISMEMBER', KEYS[9], codes)
local seq0 = tonumber(redis.call('HGET', KEYS[8], 'ballot_seq') or '0')

-- The batch's own writes so far, read before what Redis held.
local seq = seq0
local new_nonce, count, new_code = {}, {}, {}
local ballots, nonce_pairs, audit, code_list = {}, {}, {}, {}
local voted, strata = 0, {}

local function ballot_at(s)  -- the stored ballot of seq s (ballots are appended in seq order)
  if s > seq0 then return ballots[s - seq0] end
  return redis.call('LINDEX', KEYS[2], s - 1)
end

local function cast(i)
  if field(i, 10) ~= '' and epoch ~= field(i, 10) then return {0, 'definition_changed'} end
  local voter, nonce, code = voters[i], nonces[i], codes[i]
  local retry = new_nonce[nonce] or stored_nonce[i]
  if retry then
    local r = cmsgpack.unpack(retry)
    -- A nonce names one ballot: the same nonce with another ranking is not a retry but a reuse,
    -- refused so that the new ranking is not dropped silently (nothing is stored).
    local first = ballot_at(r[2])
    if first then
      local had, now = cmsgpack.unpack(first)['ranking'], cmsgpack.unpack(field(i, 4))['ranking']
      local same = #had == #now
      for j = 1, #had do same = same and had[j] == now[j] end
      if not same then return {0, 'nonce_reused'} end
    end
    return {1, r[1], r[2], r[3], 1}
  end
  local channel = field(i, 3)
  if not string.find(accepts, ' ' .. status .. ':' .. channel .. ' ', 1, true) then
    if status == 'draft' then return {0, 'vote_not_open'} end
    return {0, 'vote_closed'}
  end
  if eligible[i] == 0 then return {0, 'not_eligible'} end
  local had = count[voter] or tonumber(stored_count[i] or '0')
  if channel == 'online' and had >= max_online then return {0, 'too_many_ballots'} end
  if new_code[code] or stored_code[i] == 1 then return {0, 'code_taken'} end
  new_code[code] = true
  code_list[#code_list + 1] = code
  seq = seq + 1
  -- The record arrives as a MessagePack map with seq=0 and received_ms=0: the store fills them.
  local rec = cmsgpack.unpack(field(i, 4))
  rec['seq'] = seq
  rec['received_ms'] = now_ms
  ballots[#ballots + 1] = cmsgpack.pack(rec)
  local receipt = cmsgpack.pack({code, seq, now_ms})
  new_nonce[nonce] = receipt
  nonce_pairs[#nonce_pairs + 1] = nonce
  nonce_pairs[#nonce_pairs + 1] = receipt
  audit[#audit + 1] = cmsgpack.pack({'cast', seq, now_ms, voter, channel, code, field(i, 9)})
  count[voter] = had + 1
  if had == 0 then
    voted = voted + 1
    for k, name in ipairs({'gender:', 'age_band:', 'district:'}) do
      local f = name .. field(i, 5 + k)
      strata[f] = (strata[f] or 0) + 1
    end
  end
  return {1, code, seq, now_ms, 0}
end

-- The ballot's rate check around cast(i): nothing kept unless the ballot is (or was) recorded.
local tokens_now, kept = {}, {}  -- bucket key -> its tokens in this batch; -> {rate, burst} to write
local function checked_cast(i)
  local bucket = tonumber(field(i, 11))
  if bucket == 0 then return cast(i) end
  local key, rate = KEYS[bucket], tonumber(field(i, 12))
  local burst, cost = tonumber(field(i, 13)), tonumber(field(i, 14))
  local tokens = tokens_now[key] or pl_bucket(key, rate, burst, now_ms)
  tokens_now[key] = tokens
  if tokens < cost then return {0, 'rate_limited', pl_bucket_wait(tokens, cost, rate)} end
  local res = cast(i)
  if res[1] == 1 then
    tokens_now[key] = tokens - cost
    kept[key] = {rate, burst}
  end
  return res
end
local out = {}
for i = 1, n do out[i] = checked_cast(i) end
for key, rb in pairs(kept) do pl_bucket_keep(key, tokens_now[key], rb[1], rb[2], now_ms) end

if seq > seq0 then
  call('SADD', KEYS[9], code_list)
  redis.call('HSET', KEYS[8], 'ballot_seq', seq)
  call('RPUSH', KEYS[2], ballots)
  call('HSET', KEYS[3], nonce_pairs)
  call('RPUSH', KEYS[7], audit)
  local count_pairs = {}
  for voter, c in pairs(count) do
    count_pairs[#count_pairs + 1] = voter
    count_pairs[#count_pairs + 1] = c
  end
  call('HSET', KEYS[4], count_pairs)
  if voted > 0 then redis.call('HINCRBY', KEYS[8], 'voted', voted) end
  for f, k in pairs(strata) do redis.call('HINCRBY', KEYS[6], f, k) end
end
return out
