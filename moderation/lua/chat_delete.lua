-- A moderator deletes a chat message, in one atomic step: the message's entry in the archive and
-- in the history becomes a tombstone (same offset and time, type A[6], no text, no author), the
-- message itself goes into the moderators' audit record, and a chat.deleted event tells every
-- client, on every hub, to hide it. No later subscriber, recovering client or archive reader gets
-- the text; only the audit record (staff) keeps it. Offsets keep no holes.
-- KEYS, ARGV: the chat channel (pl_script), then K[1] deleted messages (hash offset -> audit)
-- A[1] event type  A[2] event data (MessagePack)  A[3] offset of the message  A[4] audit record
-- (MessagePack map; the message is added to it here as `message`)  A[5] message event type
-- A[6] tombstone type  A[7] tombstone data (MessagePack)
-- Returns {offset, epoch, time_ms, the message (MessagePack)}, {0, the message} if it was deleted
-- already, or {-1} when no chat message has that offset.
local K, A, chat = pl_script(1)
local offset = tonumber(A[3])
local index = pl_archive_index(chat.log, offset)  -- the archive is bounded: its oldest may be gone
if not index or index < 0 then return {-1} end
local entry = redis.call('LINDEX', chat.log, index)
if not entry then return {-1} end
local ev = cmsgpack.unpack(entry)
if ev[1] ~= offset then return {-1} end
if ev[3] == A[6] then
  local audit = redis.call('HGET', K[1], A[3])
  local message = audit and cmsgpack.unpack(audit).message
  return {0, message and cmsgpack.pack(message) or '\128'}
end
if ev[3] ~= A[5] then return {-1} end
local message = cmsgpack.pack(ev[4])
local audit = cmsgpack.unpack(A[4])
audit.message = ev[4]
-- Already in the audit (deleted before tombstones existed): only the tombstone is missing.
local fresh = redis.call('HSETNX', K[1], A[3], cmsgpack.pack(audit)) == 1

-- 0x94: [offset, time_ms, type, data], as pl_publish writes it.
local tombstone = '\148' .. cmsgpack.pack(ev[1], ev[2], A[6]) .. A[7]
redis.call('LSET', chat.log, index, tombstone)
local top = tonumber(redis.call('HGET', chat.meta, 'seq'))
local hindex = offset - (top - redis.call('LLEN', chat.hist) + 1)  -- the message's place in the history
if hindex >= 0 and redis.call('LINDEX', chat.hist, hindex) == entry then
  redis.call('LSET', chat.hist, hindex, tombstone)
end

if not fresh then return {0, message} end
local res = pl_publish(chat, A[1], A[2])
return {res[1], res[2], res[3], message}
