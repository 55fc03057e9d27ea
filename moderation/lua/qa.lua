-- The Q&A of one meeting: every step on a question, applied to the panelists' channel and the
-- moderators' desk in one atomic step (both channels share one slot: engine.keys.channel_prefix).
-- One file with one function per operation, because they share the helpers below (the loader
-- prepends only the engine's library). The rules (who, from which states, to which) are decided in
-- moderation/qa.py and passed in ARGV; this script checks them against the stored state.
--
-- KEYS[1..4] meeting/<m>/qa meta, hist, state, log     KEYS[5..8] meeting/<m>/staff meta, hist, state, log
-- KEYS[9] the question counter   KEYS[10] voters of the question (set)   KEYS[11] voters of the
-- question merged into (merge only; otherwise KEYS[10] again)   KEYS[12] questions asked per panelist (hash)
-- ARGV[1] operation: ask | move | vote | unvote | merge | reorder
-- ARGV[2] qa pubsub channel  ARGV[3] staff pubsub channel  ARGV[4] history bound  ARGV[5] archive flag
-- ARGV[6] event type  ARGV[7] the states panelists see, space-separated  ARGV[8..] the operation's
-- arguments (see each function).
-- Returns {1, question id, staff offset, public offset (0: unchanged), votes, changed (0/1)}
-- or {-1, error name, detail}.

local QA_STATE, STAFF_STATE = KEYS[3], KEYS[7]
local PUBLIC = {}
for s in string.gmatch(ARGV[7], '%S+') do PUBLIC[s] = true end

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
  if rec.anonymous then copy.author = nil end
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
  local s = pl_publish(KEYS[5], KEYS[6], KEYS[8], ARGV[3], etype, cmsgpack.pack(staff_data), ARGV[4], ARGV[5])
  local p = 0
  if public_data then
    p = pl_publish(KEYS[1], KEYS[2], KEYS[4], ARGV[2], etype, cmsgpack.pack(public_data), ARGV[4], ARGV[5])[1]
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

-- ARGV[8] author id  ARGV[9] author name  ARGV[10] '1' anonymous  ARGV[11] text
-- ARGV[8] asker id  ARGV[9] asker name  ARGV[10] anonymous '1'/'0'  ARGV[11] text
-- ARGV[12] the most questions one panelist may ask in this meeting (moderation.qa.MAX_QUESTIONS_PER_ASKER)
local function ask()
  if tonumber(redis.call('HGET', KEYS[12], ARGV[8]) or '0') >= tonumber(ARGV[12]) then
    return {-1, 'too_many_questions', ARGV[12]}
  end
  redis.call('HINCRBY', KEYS[12], ARGV[8], 1)
  local id = redis.call('INCR', KEYS[9])
  local rec = {
    id = id, text = ARGV[11], author = {id = ARGV[8], name = ARGV[9]},
    anonymous = ARGV[10] == '1', state = 'pending', votes = 0, at = pl_now_ms(),
  }
  save(rec)
  local s, p = publish_changes(ARGV[6])
  return {1, id, s, p, 0, 1}
end

-- ARGV[8] id  ARGV[9] target state  ARGV[10] source states, space-separated
local function move()
  local rec = load(ARGV[8])
  if not rec then return {-1, 'unknown_question', ARGV[8]} end
  if not has(words(ARGV[10]), rec.state) then return {-1, 'bad_transition', rec.state} end
  local target = ARGV[9]
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
  local s, p = publish_changes(ARGV[6])
  return {1, rec.id, s, p, rec.votes, 1}
end

-- ARGV[8] id  ARGV[9] voter  ARGV[10] states a question may be voted in
local function vote(add)
  local rec = load(ARGV[8])
  if not rec then return {-1, 'unknown_question', ARGV[8]} end
  if not has(words(ARGV[10]), rec.state) then return {-1, 'bad_transition', rec.state} end
  local changed
  if add then
    changed = redis.call('SADD', KEYS[10], ARGV[9])
  else
    changed = redis.call('SREM', KEYS[10], ARGV[9])
  end
  if changed == 0 then return {1, rec.id, 0, 0, rec.votes, 0} end
  rec.votes = redis.call('SCARD', KEYS[10])
  redis.call('HSET', STAFF_STATE, 'q:' .. rec.id, cmsgpack.pack(rec))
  if PUBLIC[rec.state] then
    redis.call('HSET', QA_STATE, 'q:' .. rec.id, cmsgpack.pack(public_of(rec)))
  end
  local data = {id = rec.id, votes = rec.votes}
  local s, p = publish_all(ARGV[6], data, PUBLIC[rec.state] and data or nil)
  return {1, rec.id, s, p, rec.votes, 1}
end

-- ARGV[8] id  ARGV[9] id merged into  ARGV[10] source states  ARGV[11] states it may merge into
local function merge()
  local rec = load(ARGV[8])
  if not rec then return {-1, 'unknown_question', ARGV[8]} end
  local into = load(ARGV[9])
  if not into then return {-1, 'unknown_question', ARGV[9]} end
  if rec.id == into.id then return {-1, 'bad_merge', 'a question cannot merge into itself'} end
  if not has(words(ARGV[10]), rec.state) then return {-1, 'bad_transition', rec.state} end
  if not has(words(ARGV[11]), into.state) then return {-1, 'bad_merge', into.state} end
  -- The duplicate's voters now support the question it merged into (each counted once).
  redis.call('SUNIONSTORE', KEYS[11], KEYS[11], KEYS[10])
  redis.call('DEL', KEYS[10])
  into.votes = redis.call('SCARD', KEYS[11])
  enter(rec, 'merged')
  rec.votes = 0
  rec.merged_into = into.id
  save(rec)
  save(into)
  local s, p = publish_changes(ARGV[6])
  return {1, rec.id, s, p, into.votes, 1}
end

-- ARGV[8..] the queued question ids in their new order
local function reorder()
  local order = get_order()
  local new, seen = {}, {}
  for i = 8, #ARGV do
    local id = tonumber(ARGV[i])
    if seen[id] or not has(order, id) then return {-1, 'bad_order', ARGV[i]} end
    seen[id] = true
    new[#new + 1] = id
  end
  if #new ~= #order then return {-1, 'bad_order', 'missing'} end
  set_order(new)
  local s, p = publish_changes(ARGV[6])
  return {1, 0, s, p, 0, 1}
end

local op = ARGV[1]
if op == 'ask' then return ask() end
if op == 'move' then return move() end
if op == 'vote' then return vote(true) end
if op == 'unvote' then return vote(false) end
if op == 'merge' then return merge() end
if op == 'reorder' then return reorder() end
return redis.error_reply('unknown operation ' .. tostring(op))
