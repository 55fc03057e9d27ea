-- Token buckets, one per KEYS[i], checked and taken in one step for a whole batch of commands
-- (engine/limits.py sends every check waiting when the previous batch returns). The bucket rule
-- is _lib.lua's pl_bucket, shared with cast.lua (which checks a cast's bucket in its own step).
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
  local tokens = pl_bucket(key, rate, burst, now)
  if tokens >= cost then
    tokens = tokens - cost  -- a negative cost gives tokens back
    out[i] = 0
  else
    out[i] = pl_bucket_wait(tokens, cost, rate)
  end
  pl_bucket_keep(key, tokens, rate, burst, now)
end
return out
