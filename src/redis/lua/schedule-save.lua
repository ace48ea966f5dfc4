--[[
  schedule-save: write a schedule's definition, pause or resume it, or remove it, with its
  next tick, in one step (upsert by id).

  KEYS[1]     schedule     <prefix>:{<queue>}:schedule:<id>
  KEYS[2]     schedules    <prefix>:{<queue>}:schedules
  KEYS[3]     ticks        <prefix>:{<queue>}:ticks
  ARGV[1]     id           schedule id
  ARGV[2]     def          the definition (JSON); '' = keep the stored one; '-' = remove
  ARGV[3]     lastTick     the `lastTick` the caller read ('' = none): compare-and-set
  ARGV[4]     nextTick     the next tick the caller computed from it (0 = none: ended)
  ARGV[5]     paused       '1' pause, '0' resume, '' keep
  ARGV[6]     now          milliseconds since the epoch
  Returns     the schedule's `rev` after the call; 0 when `lastTick` is no longer ARGV[3] (a
              tick fired meanwhile: read again, recompute, call again); -1 when ARGV[2] is ''
              or '-' and there is no such schedule

  A definition equal to the stored one with no pause change writes nothing (every process
  upserts its job types' schedules when it starts). Every write increments `rev`, so a fire
  computed from the old definition is refused (schedule-fire). `lastTick` is kept across
  writes: a tick fired once is never fired again.
]]
local id, def, expected, nextTick, paused, now = ARGV[1], ARGV[2], ARGV[3], tonumber(ARGV[4]), ARGV[5], ARGV[6]
local cur = redis.call('HMGET', KEYS[1], 'def', 'lastTick', 'paused', 'rev', 'count')
if cur[1] == false and (def == '' or def == '-') then return -1 end
if def == '-' then
  redis.call('DEL', KEYS[1])
  redis.call('SREM', KEYS[2], id)
  redis.call('ZREM', KEYS[3], id)
  return tonumber(cur[4] or 0) + 1
end
if (cur[2] or '') ~= expected then return 0 end
local isPaused = cur[3] == '1'
if paused ~= '' then isPaused = paused == '1' end
if def == cur[1] and (paused == '' or (paused == '1') == (cur[3] == '1')) then
  return tonumber(cur[4])
end
if def ~= '' then redis.call('HSET', KEYS[1], 'def', def) end
if cur[1] == false then redis.call('HSET', KEYS[1], 'createdAt', now, 'count', 0, 'missed', 0, 'skipped', 0) end
redis.call('HSET', KEYS[1], 'paused', isPaused and '1' or '0', 'updatedAt', now)
redis.call('SADD', KEYS[2], id)
if isPaused or nextTick == 0 then
  redis.call('ZREM', KEYS[3], id)
else
  redis.call('ZADD', KEYS[3], nextTick, id)
end
return redis.call('HINCRBY', KEYS[1], 'rev', 1)
