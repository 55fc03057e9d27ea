-- A moderator deletes a chat message, in one atomic step: the message's entry in the archive and
-- in the history becomes a tombstone (same offset and time, type ARGV[9], no text, no author), the
-- message itself goes into the moderators' audit record, and a chat.deleted event tells every
-- client, on every hub, to hide it. No later subscriber, recovering client or archive reader gets
-- the text; only the audit record (staff) keeps it. Offsets keep no holes.
-- KEYS[1..4] the chat channel's meta, hist, state, log   KEYS[5] deleted messages (hash offset -> audit)
-- ARGV[1] pubsub channel  ARGV[2] event type  ARGV[3] event data (MessagePack)  ARGV[4] history bound
-- ARGV[5] archive bound ('0': none)   ARGV[6] offset of the message  ARGV[7] audit record (MessagePack map; the
-- message is added to it here as `message`)   ARGV[8] message event type   ARGV[9] tombstone type
-- ARGV[10] tombstone data (MessagePack)
-- Returns {offset, epoch, time_ms, the message (MessagePack)}, {0, the message} if it was deleted
-- already, or {-1} when no chat message has that offset.
local offset = tonumber(ARGV[6])
local index = pl_archive_index(KEYS[4], offset)  -- the archive is bounded: its oldest may be gone
if not index or index < 0 then return {-1} end
local entry = redis.call('LINDEX', KEYS[4], index)
if not entry then return {-1} end
local ev = cmsgpack.unpack(entry)
if ev[1] ~= offset then return {-1} end
if ev[3] == ARGV[9] then
  local audit = redis.call('HGET', KEYS[5], ARGV[6])
  local message = audit and cmsgpack.unpack(audit).message
  return {0, message and cmsgpack.pack(message) or '\128'}
end
if ev[3] ~= ARGV[8] then return {-1} end
local message = cmsgpack.pack(ev[4])
local audit = cmsgpack.unpack(ARGV[7])
audit.message = ev[4]
-- Already in the audit (deleted before tombstones existed): only the tombstone is missing.
local fresh = redis.call('HSETNX', KEYS[5], ARGV[6], cmsgpack.pack(audit)) == 1

-- 0x94: [offset, time_ms, type, data], as pl_publish writes it.
local tombstone = '\148' .. cmsgpack.pack(ev[1], ev[2], ARGV[9]) .. ARGV[10]
redis.call('LSET', KEYS[4], index, tombstone)
local top = tonumber(redis.call('HGET', KEYS[1], 'seq'))
local hindex = offset - (top - redis.call('LLEN', KEYS[2]) + 1)  -- the message's place in the history
if hindex >= 0 and redis.call('LINDEX', KEYS[2], hindex) == entry then
  redis.call('LSET', KEYS[2], hindex, tombstone)
end

if not fresh then return {0, message} end
local res = pl_publish(KEYS[1], KEYS[2], KEYS[4], ARGV[1], ARGV[2], ARGV[3], ARGV[4], ARGV[5])
return {res[1], res[2], res[3], message}
