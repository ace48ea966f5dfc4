--[[
  forget: delete final jobs for good (the console's and POST /api/jobs/actions' `delete`): the
  record, and the job's entries in the queue's dead set, jobs index and webhooks set. A job
  still queued or running is left as it is (cancel it first).

  KEYS[1..4]  queue        stream, stats, delayed, dead of <prefix>:{<queue>}
  KEYS[5]     created      <prefix>:{<queue>}:created
  KEYS[6]     webhooks     <prefix>:{<queue>}:webhooks
  KEYS[7..]   job          <prefix>:{<queue>}:job:<id>, one per id in ARGV
  ARGV[1..]   1 per job:   callback id
  Returns     one answer per job: 1 deleted, 0 no such job (its entries are removed), or the
              status of a job not final (`accepted` or `pending`): nothing changed
]]
local out = {}
for i = 7, #KEYS do
  local id = ARGV[i - 6]
  local status = redis.call('HGET', KEYS[i], 'status')
  if status == 'accepted' or status == 'pending' then
    out[#out + 1] = status
  else
    redis.call('DEL', KEYS[i])
    redis.call('ZREM', KEYS[4], id)
    redis.call('ZREM', KEYS[5], id)
    redis.call('ZREM', KEYS[6], id)
    out[#out + 1] = status and 1 or 0
  end
end
return out
