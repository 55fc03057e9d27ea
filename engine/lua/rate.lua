-- Token buckets, one per KEYS[i], checked and taken in one step for a whole batch of commands
-- (engine/limits.py sends every check waiting when the previous batch returns).
-- KEYS[i] a participant's bucket of one class (hash: t tokens, at ms of the last update)
-- ARGV[3i-2] refill rate (tokens per second)  ARGV[3i-1] burst (capacity)  ARGV[3i] cost (negative:
-- a refund of a command that did nothing, never above the burst)
-- Returns, per key in order, 0 when the cost was taken, else the ms until it could be.
-- A key may appear several times: the checks are taken in order, each seeing the one before.
local now = pl_now_ms()
local out = {}
for i, key in ipairs(KEYS) do
  local rate = tonumber(ARGV[3 * i - 2])
  local burst = tonumber(ARGV[3 * i - 1])
  local cost = tonumber(ARGV[3 * i])
  local b = redis.call('HMGET', key, 't', 'at')
  local tokens = tonumber(b[1]) or burst
  local at = tonumber(b[2]) or now
  tokens = math.min(burst, tokens + math.max(0, now - at) * rate / 1000)
  if tokens >= cost then
    tokens = math.min(burst, tokens - cost)  -- a negative cost gives tokens back
    out[i] = 0
  else
    out[i] = math.ceil((cost - tokens) * 1000 / rate)
  end
  redis.call('HSET', key, 't', string.format('%.6f', tokens), 'at', now)
  -- A full bucket is the same as no bucket: let it expire once it would have refilled.
  redis.call('PEXPIRE', key, math.ceil(burst * 1000 / rate) + 1000)
end
return out
