-- Publish one event on a channel that has no state of its own (chat, ops).
-- KEYS[1] meta   KEYS[2] hist   KEYS[3] state (unused)   KEYS[4] log
-- ARGV[1] pubsub channel   ARGV[2] event type   ARGV[3] data (MessagePack)
-- ARGV[4] history bound    ARGV[5] '1' to also append to the full archive
-- Returns {offset, epoch, time_ms}.
return pl_publish(KEYS[1], KEYS[2], KEYS[4], ARGV[1], ARGV[2], ARGV[3], ARGV[4], ARGV[5])
