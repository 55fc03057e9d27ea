-- Polls and surveys of one meeting: every step on a poll, atomically with its event.
-- One file for the four operations, because they share how results are built (the loader prepends
-- only the engine's library). The lifecycle's rules are decided in moderation/polls.py (the vote's
-- table, ballot.rules.TRANSITIONS); this script re-checks the expected status against the stored one.
--
-- KEYS, ARGV: the channel meeting/<m>/polls (pl_script), then K[1] respondents (set)
-- K[2] answers (hash participant -> MessagePack record)   K[3] tally (hash '<question>:<option>' -> n)
-- A[1] operation: create | move | answer | refresh   A[2] the poll's state field ('poll:<id>')
-- A[3] event type   A[4..] the operation's arguments (see each function).
-- Returns {1, offset (0: nothing published), answered} or {-1, error name, detail}.
--
-- A poll's record: {id, kind, title, questions = [{id, kind, options}], status, visible, answered,
-- results (only while visible)}. results[question] = counts per option (scale: 1..5; text: {answers}).
-- Live results (and the count of answers) are republished at most once per interval: with thousands
-- answering at once, one event per answer to every client would cost more than it shows. Between
-- two events the record is left as last published (a snapshot never shows what no event said); the
-- tally's '_dirty' field marks a pending change, and any hub's 'refresh' publishes it.

local K, A, polls = pl_script(1)
local STATE, FIELD = polls.state, A[2]

local function load()
  local r = redis.call('HGET', STATE, FIELD)
  if not r then return nil end
  return cmsgpack.unpack(r)
end

local function results(rec)
  local out = {}
  for _, q in ipairs(rec.questions) do
    local counts = {}
    local n = #q.options
    if q.kind == 'scale' then n = 5 end
    if q.kind == 'text' then n = 1 end
    for i = 1, n do
      counts[i] = tonumber(redis.call('HGET', K[3], q.id .. ':' .. (i - 1)) or '0')
    end
    out[q.id] = counts
  end
  return out
end

local function public_of(rec)
  local copy = {}
  for k, v in pairs(rec) do copy[k] = v end
  if not rec.visible then copy.results = nil end
  return copy
end

local function publish(etype, data)
  return pl_publish(polls, etype, cmsgpack.pack(data))
end

local function save(rec)
  rec.answered = redis.call('SCARD', K[1])
  redis.call('HDEL', K[3], '_dirty')
  redis.call('HSET', K[3], '_shown_at', (pl_now_ms()))
  if rec.visible then rec.results = results(rec) else rec.results = nil end
  redis.call('HSET', STATE, FIELD, cmsgpack.pack(rec))
end

-- A[4] the record (MessagePack), status draft
local function create()
  if redis.call('HEXISTS', STATE, FIELD) == 1 then return {-1, 'exists', ''} end
  local rec = cmsgpack.unpack(A[4])
  rec.visible = false
  save(rec)
  return {1, publish(A[3], {poll = public_of(rec)})[1], 0}
end

-- A[4] expected status  A[5] new status  A[6] visible: '1', '0' or '' (unchanged)
local function move()
  local rec = load()
  if not rec then return {-1, 'unknown_poll', ''} end
  if rec.status ~= A[4] then return {-1, 'bad_transition', rec.status} end
  rec.status = A[5]
  if A[6] ~= '' then rec.visible = A[6] == '1' end
  save(rec)
  return {1, publish(A[3], {poll = public_of(rec)})[1], rec.answered}
end

local function publish_results(rec)
  save(rec)
  local data = {id = rec.id, answered = rec.answered}
  if rec.visible then data.results = rec.results end
  return publish('poll.results', data)[1]
end

-- A[4] participant  A[5] answer record (MessagePack)  A[6] min interval between result events (ms)
-- A[7..] tally fields to count ('<question>:<option>')
local function answer()
  local rec = load()
  if not rec then return {-1, 'unknown_poll', ''} end
  if rec.status == 'draft' then return {-1, 'poll_not_open', ''} end
  if rec.status ~= 'open' then return {-1, 'poll_closed', ''} end
  if redis.call('SADD', K[1], A[4]) == 0 then return {-1, 'already_answered', ''} end
  local now = pl_now_ms()
  local stored = cmsgpack.unpack(A[5])
  stored.at = now
  redis.call('HSET', K[2], A[4], cmsgpack.pack(stored))
  for i = 7, #A do redis.call('HINCRBY', K[3], A[i], 1) end
  local shown = tonumber(redis.call('HGET', K[3], '_shown_at') or '0')
  if now - shown >= tonumber(A[6]) then
    return {1, publish_results(rec), rec.answered}
  end
  redis.call('HSET', K[3], '_dirty', '1')
  return {1, 0, redis.call('SCARD', K[1])}
end

local function refresh()
  local rec = load()
  if not rec or redis.call('HEXISTS', K[3], '_dirty') == 0 then return {1, 0, 0} end
  return {1, publish_results(rec), rec.answered}
end

local op = A[1]
if op == 'create' then return create() end
if op == 'move' then return move() end
if op == 'answer' then return answer() end
if op == 'refresh' then return refresh() end
return redis.error_reply('unknown operation ' .. tostring(op))
