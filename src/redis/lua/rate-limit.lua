--[[
  rate-limit: count one HTTP request of a client against the API's rate limit
  (WORKMESH_RATE_LIMIT), so every API process on this Redis (`--procs N`, replicas) shares
  one limit.

  KEYS[1]     counter      <prefix>:ratelimit:<bucket>
  ARGV[1]     windowMs     length of a window in milliseconds
  Returns     {count, ttlMs}: the requests counted in the current window, this one included,
              and the milliseconds until the window ends

  A fixed window: the first request of a window creates the counter with the window as its
  expiry, the next ones add to it, and the counter expires with its window. A counter found
  without an expiry (written by hand) is given one.
]]
local count = redis.call('INCR', KEYS[1])
local ttl = redis.call('PTTL', KEYS[1])
if count == 1 or ttl < 0 then
  ttl = tonumber(ARGV[1])
  redis.call('PEXPIRE', KEYS[1], ttl)
end
return { count, ttl }
