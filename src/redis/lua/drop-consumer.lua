--[[
  drop-consumer: remove a consumer from a queue's group, only if it holds no entry, in one
  step. Run for a node declared gone (after its entries were requeued) and by a worker leaving
  cleanly. Checked and deleted atomically: a node wrongly declared gone may reconnect and claim
  a requeued entry at any moment, and XGROUP DELCONSUMER would drop that entry from every
  pending list (nothing could take it over any more).

  KEYS[1]     stream       <prefix>:{<queue>}:stream
  ARGV[1]     group        consumer group name
  ARGV[2]     consumer     the consumer (node id) to remove
  Returns     1 removed (or was not in the group), 0 kept: it still holds entries
]]
local held = redis.call('XPENDING', KEYS[1], ARGV[1], '-', '+', 1, ARGV[2])
if #held > 0 then return 0 end
redis.call('XGROUP', 'DELCONSUMER', KEYS[1], ARGV[1], ARGV[2])
return 1
