--[[
  trim-turn: whether the calling worker trims a queue's jobs index now. Every worker asks once
  a second; the first to ask after the last turn's second is over takes the next one. The
  others change nothing (they must not push the turn back), so some worker trims every second
  however many serve the queue. Redis' clock: the workers' clocks may differ. The turn is a
  field of the queue's counters (`trimAt`), which exist whenever the index does: no key of its
  own, and nothing written for a queue without an index.

  KEYS[1]     stats        <prefix>:{<queue>}:stats     (field trimAt: Redis time the turn ends, ms)
  KEYS[2]     created      <prefix>:{<queue>}:created
  ARGV[1]     everyMs      how long a turn lasts
  Returns     1 when the caller took the turn (and trims now), else 0
]]
if redis.call('EXISTS', KEYS[2]) == 0 then return 0 end
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
if now < tonumber(redis.call('HGET', KEYS[1], 'trimAt') or '0') then return 0 end
redis.call('HSET', KEYS[1], 'trimAt', now + tonumber(ARGV[1]))
return 1
