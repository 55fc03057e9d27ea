-- Shared by every channel script; the loader (engine/scripts.py) prepends it.
-- A channel's keys are passed in the order meta, hist, state, log (engine.keys.channel_keys).
--
-- pl_publish: the one atomic publish step. Next offset, append to the bounded history (and, when
-- archive_flag is '1', to the full archive), PUBLISH to the hub nodes. Returns offset and epoch.
-- The stored entry is a MessagePack array [offset, time_ms, type, data]; data arrives already
-- encoded (MessagePack) from the caller and is appended as is, never decoded here.
-- The epoch is the creation time of the channel's meta hash: a flushed or reset Redis gives a
-- new one, which tells clients their offsets are void.

redis.replicate_commands()

local function pl_now_ms()
  local t = redis.call('TIME')
  return tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000), t
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

local function pl_publish(meta, hist, log, pubsub, etype, data, hist_max, archive_flag)
  local epoch = pl_epoch(meta)
  local seq = redis.call('HINCRBY', meta, 'seq', 1)
  local now_ms = pl_now_ms()
  -- 0x94: a MessagePack fixarray of 4 elements; cmsgpack.pack with several values concatenates them.
  local entry = '\148' .. cmsgpack.pack(seq, now_ms, etype) .. data
  redis.call('RPUSH', hist, entry)
  redis.call('LTRIM', hist, -tonumber(hist_max), -1)
  if archive_flag == '1' then
    redis.call('RPUSH', log, entry)
  end
  -- 0x92: [epoch, entry]
  redis.call('PUBLISH', pubsub, '\146' .. cmsgpack.pack(epoch) .. entry)
  return {seq, epoch, now_ms}
end
