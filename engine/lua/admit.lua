-- Admit one connection of a participant if they hold fewer than the limit over every hub, and
-- count the participant present on this hub (one round trip for both: hello's second step).
-- KEYS[1] the participant's slots (hash: '<hub instance>|<conn id>' -> hub instance)
-- KEYS[2] live hub instances (hash: instance -> last heartbeat ms)
-- KEYS[3] this hub's presence set (participants connected to it; all three keys in {conn})
-- ARGV[1] this connection's field  ARGV[2] this hub instance  ARGV[3] the limit
-- ARGV[4] ms without a heartbeat after which a hub counts as dead (its slots are freed here)
-- ARGV[5] the participant's id (added to the presence set when admitted)
-- Returns {1, slots held now} when admitted, {0, slots held} when refused.
local now = pl_now_ms()
local stale = tonumber(ARGV[4])
-- The admitting hub is alive: its heartbeat now (it also beats once a second, but a flushed or
-- replaced Redis must not make it look dead to the other hubs until then).
redis.call('HSET', KEYS[2], ARGV[2], now)
local slots = redis.call('HGETALL', KEYS[1])
local held = 0
for i = 1, #slots, 2 do
  local hub = slots[i + 1]
  local beat = tonumber(redis.call('HGET', KEYS[2], hub) or '0')
  if now - beat > stale then
    redis.call('HDEL', KEYS[1], slots[i])  -- a crashed (or stopped) hub's connection
  else
    held = held + 1
  end
end
if held >= tonumber(ARGV[3]) then return {0, held} end
redis.call('HSET', KEYS[1], ARGV[1], ARGV[2])
redis.call('PEXPIRE', KEYS[1], 86400000)  -- a participant gone for a day leaves no key behind
redis.call('SADD', KEYS[3], ARGV[5])
return {1, held + 1}
