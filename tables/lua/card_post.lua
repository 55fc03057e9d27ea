-- Post one card of a table (tables/cards_store.py): the table's cap per step, the card's id, the
-- card in the state of the meeting's cards channel (every card, for a console's snapshot) and its
-- event, in one atomic step: a refused card leaves nothing behind.
-- KEYS, ARGV: the cards channel (pl_script), then K[1] the counts (hash '<table>:<step>' -> cards)
-- K[2] the meeting's card counter   K[3] the poster's nonce key
-- A[1] event type   A[2] the card without id and at (MessagePack map)   A[3] table   A[4] step
-- A[5] the most cards per table and step   A[6] nonce ('' for none)
-- Returns {1, card (MessagePack), offset, epoch}; {-3, the first card, its offset} for a nonce
-- already used (the nonce key holds '<id>|<offset>');
-- {-1, cards already posted} when the table reached its cap for the step.
local K, A, cards = pl_script(1)
if A[6] ~= '' then
  local first = redis.call('GET', K[3])
  if first then
    local sep = string.find(first, '|', 1, true)
    local id = string.sub(first, 1, sep - 1)
    return {-3, redis.call('HGET', cards.state, id), tonumber(string.sub(first, sep + 1))}
  end
end
local slot = A[3] .. ':' .. A[4]
local posted = tonumber(redis.call('HGET', K[1], slot) or '0')
if posted >= tonumber(A[5]) then return {-1, posted} end
redis.call('HINCRBY', K[1], slot, 1)
local n = redis.call('INCR', K[2])
local draft = cmsgpack.unpack(A[2])
local id = 't' .. A[3] .. '-' .. n
-- 0x87: a map of 7, in the field order of tables.cards.Card (a Lua table would pack in any order)
local packed = '\135' .. cmsgpack.pack('id', id, 'meeting', draft['meeting'], 'table', draft['table'],
  'text', draft['text'], 'by', draft['by'], 'at', pl_now_ms(), 'step', draft['step'])
redis.call('HSET', cards.state, id, packed)
local sent = pl_publish(cards, A[1], packed)
local reply = {1, packed, sent[1], sent[2]}
if A[6] ~= '' then
  redis.call('SET', K[3], id .. '|' .. sent[1], 'EX', 600)
end
return reply
