-- Close the online presence of hubs that died, at their last heartbeat, and return what is open.
-- A hub closes its own connections' intervals as they end; one that dies closes nothing, so any
-- reader first closes the intervals of every hub instance silent for longer than the stale limit
-- (as engine/lua/admit.lua frees a dead hub's connection slots), at that hub's last heartbeat.
-- KEYS[1] open intervals (hash '<hub instance>|<conn>|<session>' -> '<participant>|<start ms>')
-- KEYS[2] closed intervals (list of MessagePack [session, participant, start ms, end ms])
-- KEYS[3] live hub instances (hash instance -> last heartbeat ms; all three keys in {conn})
-- ARGV[1] ms without a heartbeat after which a hub is dead (engine.limits.STALE_MS)
-- Returns {now ms, {field, value, ...}}: the clock the open intervals run to, and the open ones.
local now = pl_now_ms()
local stale = tonumber(ARGV[1])
local open = redis.call('HGETALL', KEYS[1])
local left, beats = {}, {}
for i = 1, #open, 2 do
  local f, v = open[i], open[i + 1]
  local inst, sess = string.match(f, '^(.*)|[^|]*|([^|]*)$')
  local beat = beats[inst]
  if beat == nil then
    beat = tonumber(redis.call('HGET', KEYS[3], inst) or '0')
    beats[inst] = beat
  end
  if now - beat > stale then
    local who, start = string.match(v, '^(.*)|([^|]*)$')
    start = tonumber(start)
    local stop = beat
    if stop < start then stop = start end  -- no heartbeat after it began: nothing is counted
    redis.call('RPUSH', KEYS[2], cmsgpack.pack({sess, who, start, stop}))
    redis.call('HDEL', KEYS[1], f)
  else
    left[#left + 1] = f
    left[#left + 1] = v
  end
end
return {now, left}
