--[[
  schedule-fire: fire one tick of a schedule: the job is enqueued and the schedule advanced in
  one step, only while the tick is still the schedule's next one (compare-and-set), so any
  number of processes may try the same tick and one job is created.

  Calls       enqueue.lua (with the libraries it includes)
  KEYS[1..4]  queue        stream, stats, delayed, dead of <prefix>:{<queue>}
  KEYS[5]     job          <prefix>:{<queue>}:job:<id> of the job to fire
  KEYS[6]     schedule     <prefix>:{<queue>}:schedule:<schedule id>
  KEYS[7]     ticks        <prefix>:{<queue>}:ticks
  KEYS[8]     previous     the job record of the schedule's `lastJob` (KEYS[5] when none)
  KEYS[9..11] controls     controls, waiting, signal of <prefix>:{<queue>} (enqueue's last keys)
  KEYS[12]    created      <prefix>:{<queue>}:created (the jobs index, enqueue's)
  ARGV[1..10] enqueue      now, type, acceptedBy, then the job's 7 fields as enqueue.lua takes
                           them (its id: `<queue>.` + 16 base64url chars of SHA-256 of
                           `<schedule id>\0<tick>`); enqueue.lua is called with its `check`
                           '1' (a fire reads the queue's `gated` flag: fires are rare)
  ARGV[11]    scheduleId   the schedule id
  ARGV[12]    due          the schedule's next tick as the caller read it (compare-and-set)
  ARGV[13]    tick         the tick to fire (ms since the epoch, Redis clock): `due`, or a
                           later due one (missed-tick policy)
  ARGV[14]    rev          the schedule's `rev` the caller read
  ARGV[15]    nextTick     the tick after this one (0 = none: the schedule ends)
  ARGV[16]    overlap      'allow', or 'skip': no job while the previous one is not final
  ARGV[17]    missed       due ticks before this one the caller skipped (missed-tick policy)
  ARGV[18]    limit        jobs the schedule fires at most (0 = no limit)
  ARGV[19]    placement    enqueue's placement of the job ('' plain; `<priority>`: see enqueue)
  Returns     {1, created} fired (created: 1 new job, 0 it existed), {2} skipped (overlap),
              {0} refused: the tick is not the schedule's next one or `rev` changed (another
              process fired it, or the schedule was changed, paused or removed), or an error
              reply from enqueue (nothing written)

  Publishes the job's `accepted` event as enqueue does. The fired job gets `scheduleId` and
  `scheduleTick`; the schedule's `lastTick` becomes ARGV[13] and `runs` gets the run.
]]
local now, sid, due, tick, rev = tonumber(ARGV[1]), ARGV[11], tonumber(ARGV[12]), ARGV[13], ARGV[14]
local nextTick = tonumber(ARGV[15])
local score = redis.call('ZSCORE', KEYS[7], sid)
if not score or tonumber(score) ~= due or redis.call('HGET', KEYS[6], 'rev') ~= rev then
  return { 0 }
end
local run = { tick = tonumber(tick), at = now }
local answer
local previous = redis.call('HGET', KEYS[8], 'status')
if ARGV[16] == 'skip' and KEYS[8] ~= KEYS[5] and (previous == 'accepted' or previous == 'pending') then
  run.skipped = 'overlap'
  redis.call('HINCRBY', KEYS[6], 'skipped', 1)
  answer = { 2 }
else
  local out = enqueue_script({ KEYS[1], KEYS[2], KEYS[3], KEYS[4], KEYS[5], KEYS[12], KEYS[9], KEYS[10], KEYS[11] },
    { ARGV[1], ARGV[2], ARGV[3], '1', ARGV[4], ARGV[5], ARGV[6], ARGV[7], ARGV[8], ARGV[9], ARGV[10],
      ARGV[19] })
  if type(out[1]) == 'table' then return out[1] end
  redis.call('HSET', KEYS[5], 'scheduleId', sid, 'scheduleTick', tick)
  run.job = ARGV[4]
  redis.call('HSET', KEYS[6], 'lastJob', ARGV[4], 'lagMs', now - tonumber(tick))
  redis.call('HINCRBY', KEYS[6], 'count', 1)
  answer = { 1, out[1] }
end
if tonumber(ARGV[17]) > 0 then
  run.missed = tonumber(ARGV[17])
  redis.call('HINCRBY', KEYS[6], 'missed', tonumber(ARGV[17]))
end
local runs = redis.call('HGET', KEYS[6], 'runs')
local list = runs and cjson.decode(runs) or {}
table.insert(list, 1, run)
while #list > 10 do table.remove(list) end
redis.call('HSET', KEYS[6], 'lastTick', tick, 'runs', cjson.encode(list))
local limit = tonumber(ARGV[18])
if nextTick == 0 or (limit > 0 and tonumber(redis.call('HGET', KEYS[6], 'count')) >= limit) then
  redis.call('ZREM', KEYS[7], sid)
else
  redis.call('ZADD', KEYS[7], nextTick, sid)
end
return answer
