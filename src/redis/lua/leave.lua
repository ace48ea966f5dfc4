--[[
  leave: a node shutting down cleanly removes its registration at once.

  KEYS[1]     members      <prefix>:{_cluster}:members
  KEYS[2]     info         <prefix>:{_cluster}:info
  ARGV[1]     node id
  Returns     1 if it was a member, 0 if it had been declared gone already
]]
redis.call('HDEL', KEYS[2], ARGV[1])
return redis.call('ZREM', KEYS[1], ARGV[1])
