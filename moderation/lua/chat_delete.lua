-- A moderator deletes a chat message: it stays in the archive (for the record and the audit) and a
-- chat.deleted event tells every client, on every hub, to hide it; both in one atomic step.
-- KEYS[1..4] the chat channel's meta, hist, state, log   KEYS[5] deleted messages (hash offset -> who, when)
-- ARGV[1] pubsub channel  ARGV[2] event type  ARGV[3] event data (MessagePack)  ARGV[4] history bound
-- ARGV[5] archive flag    ARGV[6] offset of the message  ARGV[7] audit record (MessagePack)
-- Returns {offset, epoch, time_ms, the message (MessagePack)}, {0, the message} if it was deleted
-- already, or {-1} when no chat message has that offset.
local offset = tonumber(ARGV[6])
local index = pl_archive_index(KEYS[4], offset)  -- the archive is bounded: its oldest may be gone
if not index or index < 0 then return {-1} end
local entry = redis.call('LINDEX', KEYS[4], index)
if not entry then return {-1} end
local ev = cmsgpack.unpack(entry)
if ev[1] ~= offset or ev[3] ~= 'chat.message' then return {-1} end
local message = cmsgpack.pack(ev[4])
if redis.call('HSETNX', KEYS[5], ARGV[6], ARGV[7]) == 0 then return {0, message} end
local res = pl_publish(KEYS[1], KEYS[2], KEYS[4], ARGV[1], ARGV[2], ARGV[3], ARGV[4], ARGV[5])
return {res[1], res[2], res[3], message}
