--[[
  trim-turn: whether the calling worker trims a queue's jobs index now. Every worker asks once
  a second; the first to ask after the last turn's second is over takes the next one. The
  others change nothing (they must not push the turn back), so some worker trims every second
  however many serve the queue. Redis' clock: the workers' clocks may differ.

  KEYS[1]     trim         <prefix>:{<queue>}:trim   (Redis time the current turn ends, ms)
  ARGV[1]     everyMs      how long a turn lasts
  Returns     1 when the caller took the turn (and trims now), else 0
]]
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
if now < tonumber(redis.call('GET', KEYS[1]) or '0') then return 0 end
redis.call('SET', KEYS[1], now + tonumber(ARGV[1]))
return 1
