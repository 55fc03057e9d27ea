-- Where a subscriber stands, read in one atomic step so that nothing is published in between.
-- KEYS[1] meta   KEYS[2] hist   KEYS[3] state
-- ARGV[1] client's epoch ('' if none)   ARGV[2] client's last offset   ARGV[3] backlog size
-- ARGV[4] '1' if the channel is stateful (return its state hash as a snapshot)
-- ARGV[5] the most missed events to return (the channel's history bound): further behind, a fresh start
-- ARGV[6] the backlog's event type ('' for any)   ARGV[7] its marker type (see pl_backlog in _lib.lua)
-- ARGV[8] the time (ms) of the client's event at its offset ('' if not given): see on_branch below
-- Returns {epoch, top, recovered (0/1), entries, state-as-flat-list}.
--   recovered=1: entries are exactly the events after the client's offset.
--   recovered=0: the history no longer reaches back (or the epoch changed, or no position was
--   given, or the position is not on this channel's history: on_branch): entries are the backlog (pl_backlog: the last <backlog> events, of type ARGV[6] if
--   given, with the ARGV[7] markers among them), and the state (if stateful) is a snapshot as of
--   offset <top>.
local epoch = pl_epoch(KEYS[1])
local top = tonumber(redis.call('HGET', KEYS[1], 'seq'))
local len = redis.call('LLEN', KEYS[2])
local first = top - len + 1           -- offset of the oldest event still in history
local since = tonumber(ARGV[2])
local state = {}
-- on_branch: is the client's last event still the channel's event at that offset? Redis Cluster
-- replicates asynchronously: a failover can lose a master's last events, and the promoted replica
-- then gives their offsets to new events under the same epoch. A client that saw a lost event
-- would take the new ones at its offset as already seen, and miss them without a sign. Its event's
-- time (the master's clock, stored with the event) tells the two apart: a new event at a reused
-- offset is stored at least a failover later. Checked only when the client sends the time, against
-- the history; an event the history no longer holds cannot be checked, so it is no recovery point.
local seen_time = tonumber(ARGV[8])
local on_branch = true
if seen_time and since and since >= 1 and since <= top then
  if since >= first then
    local entry = cmsgpack.unpack(redis.call('LINDEX', KEYS[2], since - first))
    on_branch = entry[2] == seen_time
  else
    on_branch = false
  end
end
if ARGV[1] == epoch and on_branch and since and since <= top and since + 1 >= first and top - since <= tonumber(ARGV[5]) then
  local from = since + 1 - first      -- list index of the first missed event
  return {epoch, top, 1, redis.call('LRANGE', KEYS[2], from, -1), state}
end
if ARGV[4] == '1' then
  state = redis.call('HGETALL', KEYS[3])
end
local entries = pl_backlog(KEYS[2], tonumber(ARGV[3]), ARGV[6], ARGV[7])
return {epoch, top, 0, entries, state}
