-- Shared by every channel script; the loader (engine/scripts.py) prepends it.
--
-- A script that publishes takes, for each channel it writes, the channel's keys at the start of
-- KEYS and its publish arguments at the start of ARGV, channel after channel; its own keys and
-- arguments follow (engine.channels.channel_write builds them). The field order is the one of
-- engine.keys.ChannelKeys and engine.channels.PublishArgs; these two tables name the same fields in
-- the same order (tests/unit/test_channel_write.py holds them together).
local PL_CHANNEL_KEYS = {'meta', 'hist', 'state', 'log'}
local PL_PUBLISH_ARGS = {'pubsub', 'hist_max', 'archive_max'}

-- pl_script(n): a publishing script's own keys and arguments, each numbered from 1, then its n
-- channels, each a table with the fields above: local K, A, chat = pl_script(1)
local function pl_script(n)
  local channels, k, a = {}, 0, 0
  for c = 1, n do
    local ch = {}
    for _, field in ipairs(PL_CHANNEL_KEYS) do k = k + 1; ch[field] = KEYS[k] end
    for _, field in ipairs(PL_PUBLISH_ARGS) do a = a + 1; ch[field] = ARGV[a] end
    channels[c] = ch
  end
  local own_keys, own_args = {}, {}
  for i = k + 1, #KEYS do own_keys[#own_keys + 1] = KEYS[i] end
  for i = a + 1, #ARGV do own_args[#own_args + 1] = ARGV[i] end
  return own_keys, own_args, unpack(channels)
end

-- pl_publish(ch, etype, data): the one atomic publish step on channel ch (from pl_script). Next
-- offset, append to the bounded history (and, when the channel keeps an archive, to the archive,
-- trimmed to its bound), PL_PUBLISH to the hubs. Returns {offset, epoch, time_ms}.
-- The stored entry is a MessagePack array [offset, time_ms, type, data]; data arrives already
-- encoded (MessagePack) from the caller and is appended as is, never decoded here.
-- The epoch is the creation time of the channel's meta hash: a flushed or reset Redis gives a
-- new one, which tells clients their offsets are void.

redis.replicate_commands()

-- How events reach the hubs, the one rule: sharded pub/sub (SPUBLISH) where the server has it
-- (Redis 7, the first with redis.REDIS_VERSION in Lua), classic PUBLISH on older servers (the
-- embedded one may be 6.2). On Redis Cluster a sharded message goes only to the nodes of the slot's
-- shard, and a script may publish only in the slot of its keys: every pub/sub name carries its
-- channel's hash tag (engine.keys.pubsub_channel). The hubs ask this rule once (lua/pubsub_mode.lua)
-- and subscribe with the matching command (engine.pubsub).
local PL_PUBLISH = redis.REDIS_VERSION and 'SPUBLISH' or 'PUBLISH'

local function pl_now_ms()
  local t = redis.call('TIME')
  return tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000), t
end

-- pl_bucket(key, rate, burst, now) and pl_bucket_keep(key, tokens, rate, burst, now): the token
-- bucket of a per-participant limit (engine/limits.py), the one rule for every script that checks
-- one (rate.lua for a batch of commands, cast.lua for a vote's casts in the same step as the
-- ballot). A bucket is a hash {t: tokens, at: ms of the last update}; a missing one is full.
-- pl_bucket returns the tokens there now (refilled at rate per second, at most burst); the caller
-- compares its cost, then keeps the new count with pl_bucket_keep (or keeps nothing: a command
-- refused, or one that did nothing, leaves the bucket as it was).
local function pl_bucket(key, rate, burst, now)
  local b = redis.call('HMGET', key, 't', 'at')
  local tokens = tonumber(b[1]) or burst
  local at = tonumber(b[2]) or now
  return math.min(burst, tokens + math.max(0, now - at) * rate / 1000)
end

-- The ms until cost tokens are there, for a bucket holding tokens (refill at rate per second).
local function pl_bucket_wait(tokens, cost, rate)
  return math.ceil((cost - tokens) * 1000 / rate)
end

local function pl_bucket_keep(key, tokens, rate, burst, now)
  redis.call('HSET', key, 't', string.format('%.6f', math.min(burst, tokens)), 'at', now)
  -- A full bucket is the same as no bucket: let it expire once it would have refilled.
  redis.call('PEXPIRE', key, math.ceil(burst * 1000 / rate) + 1000)
end

local function pl_epoch(meta)
  local epoch = redis.call('HGET', meta, 'epoch')
  if not epoch then
    local t = redis.call('TIME')
    epoch = string.format('%s%06d', t[1], tonumber(t[2]))
    redis.call('HSET', meta, 'epoch', epoch, 'seq', 0)
  end
  return epoch
end

local function pl_publish(ch, etype, data)
  -- archive_max: the archive's bound, '0' for none. Checked before any write: a caller still
  -- passing the old flag '1' would otherwise keep an archive of one event.
  local archive_max = tonumber(ch.archive_max)
  if not archive_max or (archive_max ~= 0 and archive_max < 2) then
    error('archive bound ' .. tostring(ch.archive_max) .. ': pass engine.channels.publish_args')
  end
  local epoch = pl_epoch(ch.meta)
  local seq = redis.call('HINCRBY', ch.meta, 'seq', 1)
  local now_ms = pl_now_ms()
  -- 0x94: a MessagePack fixarray of 4 elements; cmsgpack.pack with several values concatenates them.
  local entry = '\148' .. cmsgpack.pack(seq, now_ms, etype) .. data
  redis.call('RPUSH', ch.hist, entry)
  redis.call('LTRIM', ch.hist, -tonumber(ch.hist_max), -1)
  if archive_max > 0 then  -- bounded: the oldest events go once the archive holds archive_max
    redis.call('RPUSH', ch.log, entry)
    redis.call('LTRIM', ch.log, -archive_max, -1)
  end
  -- 0x92: [epoch, entry]
  redis.call(PL_PUBLISH, ch.pubsub, '\146' .. cmsgpack.pack(epoch) .. entry)
  return {seq, epoch, now_ms}
end

-- pl_backlog: what a fresh subscriber gets. Without etype, the last n events of any kind. With
-- etype (a chat: 'chat.message'), the last n events of that type still in the history, plus the
-- events of type marker (a chat's tombstones, 'chat.removed') among them, which do not count: a
-- deleted message is a tombstone, and moderation events after the messages do not push them out,
-- so a late joiner sees the last n visible messages however busy the moderators were.
-- Scans back from the newest entry in chunks of 2n: one read when messages dominate, at most the
-- bounded history otherwise. Returns the entries oldest first.
local function pl_backlog(hist, n, etype, marker)
  if n <= 0 then return {} end
  if etype == nil or etype == '' then return redis.call('LRANGE', hist, -n, -1) end
  local newest_first = {}
  local counted = 0
  local stop = redis.call('LLEN', hist) - 1
  while stop >= 0 and counted < n do
    local start = math.max(0, stop - 2 * n + 1)
    local part = redis.call('LRANGE', hist, start, stop)
    for i = #part, 1, -1 do
      local t = cmsgpack.unpack(part[i])[3]
      if t == etype then
        newest_first[#newest_first + 1] = part[i]
        counted = counted + 1
        if counted == n then break end
      elseif t == marker and marker ~= '' then
        newest_first[#newest_first + 1] = part[i]
      end
    end
    stop = start - 1
  end
  local out = {}
  for i = #newest_first, 1, -1 do out[#out + 1] = newest_first[i] end
  return out
end

-- pl_archive_index: the list index of the event at `offset` in an archive (whose oldest events may
-- have been trimmed away, so index = offset - 1 holds only until the archive first reaches its
-- bound), or nil when the archive is empty. The caller still checks the entry's offset.
local function pl_archive_index(log, offset)
  local first = redis.call('LINDEX', log, 0)
  if not first then return nil end
  return offset - cmsgpack.unpack(first)[1]
end
