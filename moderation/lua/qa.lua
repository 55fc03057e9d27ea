-- The Q&A of one meeting: every step on a question, applied to the panelists' channel and the
-- moderators' desk in one atomic step (both channels share one slot: engine.keys.channel_prefix).
-- One file with one function per operation, because they share the helpers below (the loader
-- prepends only the engine's library). The rules (who, from which states, to which) are decided in
-- moderation/qa.py and passed in ARGV; this script checks them against the stored state.
--
-- KEYS, ARGV: the channels meeting/<m>/qa and meeting/<m>/staff (pl_script), then
-- K[1] the question counter   K[2] voters of the question (set)   K[3] voters of the question merged
-- into (merge only; otherwise K[2] again)   K[4] questions asked per panelist (hash)
-- A[1] operation: ask | move | vote | unvote | merge | reorder   A[2] event type
-- A[3] the states panelists see, space-separated   A[4..] the operation's arguments (see each function).
-- Returns {1, question id, staff offset, public offset (0: unchanged), votes, changed (0/1)}
-- or {-1, error name, detail}.

local K, A, qa, staff = pl_script(2)
local QA_STATE, STAFF_STATE = qa.state, staff.state
local PUBLIC = {}
for s in string.gmatch(A[3], '%S+') do PUBLIC[s] = true end

local pub_questions, pub_removed, staff_questions = {}, {}, {}
local order_changed = false

local function words(s)
  local out = {}
  for w in string.gmatch(s, '%S+') do out[#out + 1] = w end
  return out
end

local function has(list, x)
  for _, v in ipairs(list) do if v == x then return true end end
  return false
end

local function load(id)
  local r = redis.call('HGET', STAFF_STATE, 'q:' .. id)
  if not r then return nil end
  return cmsgpack.unpack(r)
end

local function public_of(rec)
  local copy = {}
  for k, v in pairs(rec) do copy[k] = v end
  -- moderation.qa.names_author: the author only when the asker agreed (anonymous is exactly false)
  if rec.anonymous ~= false then copy.author = nil end
  copy.merged_into = nil
  return copy
end

-- Store a question in the desk, and in the panelists' view if its state is public (else drop it).
local function save(rec)
  local field = 'q:' .. rec.id
  local packed = cmsgpack.pack(rec)
  redis.call('HSET', STAFF_STATE, field, packed)
  staff_questions[#staff_questions + 1] = rec
  if PUBLIC[rec.state] then
    local p = public_of(rec)
    redis.call('HSET', QA_STATE, field, cmsgpack.pack(p))
    pub_questions[#pub_questions + 1] = p
  elseif redis.call('HDEL', QA_STATE, field) == 1 then
    pub_removed[#pub_removed + 1] = rec.id
  end
end

local function get_order()
  local r = redis.call('HGET', STAFF_STATE, 'order')
  if not r then return {} end
  return cmsgpack.unpack(r)
end

local function set_order(order)
  local packed = cmsgpack.pack(order)
  redis.call('HSET', STAFF_STATE, 'order', packed)
  redis.call('HSET', QA_STATE, 'order', packed)
  order_changed = order
end

local function without(list, x)
  local out = {}
  for _, v in ipairs(list) do if v ~= x then out[#out + 1] = v end end
  return out
end

-- Keep the moderators' order a permutation of the queued questions.
local function enter(rec, state)
  local was = rec.state
  rec.state = state
  if was == 'queued' and state ~= 'queued' then set_order(without(get_order(), rec.id)) end
  if state == 'queued' and was ~= 'queued' then
    local order = get_order()
    order[#order + 1] = rec.id
    set_order(order)
  end
  if state == 'on_air' then
    redis.call('HSET', STAFF_STATE, 'on_air', cmsgpack.pack(rec.id))
  elseif was == 'on_air' then
    redis.call('HDEL', STAFF_STATE, 'on_air')
  end
end

local function publish_all(etype, staff_data, public_data)
  local s = pl_publish(staff, etype, cmsgpack.pack(staff_data))
  local p = 0
  if public_data then
    p = pl_publish(qa, etype, cmsgpack.pack(public_data))[1]
  end
  return s[1], p
end

-- The change as events: questions to upsert, ids to drop, the new order when it changed.
local function publish_changes(etype)
  local staff = {questions = staff_questions}
  if order_changed then staff.order = order_changed end
  local public = nil
  if #pub_questions > 0 or #pub_removed > 0 or order_changed then
    public = {}
    if #pub_questions > 0 then public.questions = pub_questions end
    if #pub_removed > 0 then public.removed = pub_removed end
    if order_changed then public.order = order_changed end
  end
  return publish_all(etype, staff, public)
end

-- A[4] asker id  A[5] asker name  A[6] anonymous '1'/'0'  A[7] text
-- A[8] the most questions one panelist may ask in this meeting (moderation.qa.MAX_QUESTIONS_PER_ASKER)
local function ask()
  if tonumber(redis.call('HGET', K[4], A[4]) or '0') >= tonumber(A[8]) then
    return {-1, 'too_many_questions', A[8]}
  end
  redis.call('HINCRBY', K[4], A[4], 1)
  local id = redis.call('INCR', K[1])
  local rec = {
    id = id, text = A[7], author = {id = A[4], name = A[5]},
    anonymous = A[6] == '1', state = 'pending', votes = 0, at = pl_now_ms(),
  }
  save(rec)
  local s, p = publish_changes(A[2])
  return {1, id, s, p, 0, 1}
end

-- A[4] id  A[5] target state  A[6] source states, space-separated
local function move()
  local rec = load(A[4])
  if not rec then return {-1, 'unknown_question', A[4]} end
  if not has(words(A[6]), rec.state) then return {-1, 'bad_transition', rec.state} end
  local target = A[5]
  if target == 'on_air' and rec.state ~= 'on_air' then
    local cur = redis.call('HGET', STAFF_STATE, 'on_air')
    if cur then  -- one question on air at a time: the one before is answered
      local prev = load(cmsgpack.unpack(cur))
      enter(prev, 'answered')
      save(prev)
    end
  end
  enter(rec, target)
  save(rec)
  local s, p = publish_changes(A[2])
  return {1, rec.id, s, p, rec.votes, 1}
end

-- A[4] id  A[5] voter  A[6] states a question may be voted in
local function vote(add)
  local rec = load(A[4])
  if not rec then return {-1, 'unknown_question', A[4]} end
  if not has(words(A[6]), rec.state) then return {-1, 'bad_transition', rec.state} end
  local changed
  if add then
    changed = redis.call('SADD', K[2], A[5])
  else
    changed = redis.call('SREM', K[2], A[5])
  end
  if changed == 0 then return {1, rec.id, 0, 0, rec.votes, 0} end
  rec.votes = redis.call('SCARD', K[2])
  redis.call('HSET', STAFF_STATE, 'q:' .. rec.id, cmsgpack.pack(rec))
  if PUBLIC[rec.state] then
    redis.call('HSET', QA_STATE, 'q:' .. rec.id, cmsgpack.pack(public_of(rec)))
  end
  local data = {id = rec.id, votes = rec.votes}
  local s, p = publish_all(A[2], data, PUBLIC[rec.state] and data or nil)
  return {1, rec.id, s, p, rec.votes, 1}
end

-- A[4] id  A[5] id merged into  A[6] source states  A[7] states it may merge into
local function merge()
  local rec = load(A[4])
  if not rec then return {-1, 'unknown_question', A[4]} end
  local into = load(A[5])
  if not into then return {-1, 'unknown_question', A[5]} end
  if rec.id == into.id then return {-1, 'bad_merge', 'a question cannot merge into itself'} end
  if not has(words(A[6]), rec.state) then return {-1, 'bad_transition', rec.state} end
  if not has(words(A[7]), into.state) then return {-1, 'bad_merge', into.state} end
  -- The duplicate's voters now support the question it merged into (each counted once).
  redis.call('SUNIONSTORE', K[3], K[3], K[2])
  redis.call('DEL', K[2])
  into.votes = redis.call('SCARD', K[3])
  enter(rec, 'merged')
  rec.votes = 0
  rec.merged_into = into.id
  save(rec)
  save(into)
  local s, p = publish_changes(A[2])
  return {1, rec.id, s, p, into.votes, 1}
end

-- A[4..] the queued question ids in their new order
local function reorder()
  local order = get_order()
  local new, seen = {}, {}
  for i = 4, #A do
    local id = tonumber(A[i])
    if seen[id] or not has(order, id) then return {-1, 'bad_order', A[i]} end
    seen[id] = true
    new[#new + 1] = id
  end
  if #new ~= #order then return {-1, 'bad_order', 'missing'} end
  set_order(new)
  local s, p = publish_changes(A[2])
  return {1, 0, s, p, 0, 1}
end

local op = A[1]
if op == 'ask' then return ask() end
if op == 'move' then return move() end
if op == 'vote' then return vote(true) end
if op == 'unvote' then return vote(false) end
if op == 'merge' then return merge() end
if op == 'reorder' then return reorder() end
return redis.error_reply('unknown operation ' .. tostring(op))
