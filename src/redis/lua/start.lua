--[[
  start: record that a worker claimed a batch of stream entries (XREADGROUP or XAUTOCLAIM)
  and hand it the jobs to run.

  Includes    lib/events.lua, lib/start-entry.lua
  KEYS[1..4]  queue        stream, stats, delayed, dead of <prefix>:{<queue>}
  KEYS[5..]   job          <prefix>:{<queue>}:job:<id>, one per claimed entry
  KEYS[last-1] webhooks    <prefix>:{<queue>}:webhooks
  KEYS[last]  notify       <prefix>:{<queue>}:notify      (lib/events.lua final())
  ARGV[1]     now          milliseconds since the epoch
  ARGV[2]     group        consumer group name
  ARGV[3]     consumer     the worker's node id
  ARGV[4]     deadTtlSec   how long a dead letter is kept
  ARGV[5]     maxRecoveries takeovers of an unfinished attempt a job may have and still run
  ARGV[6..]   2 per job:   stream entry id, callback id
  Returns     per job: {data, attempt, opts} when the worker must run it (status is now
              `pending`, attempts incremented, workedBy = consumer), or 0 when it must not:
              the job is gone, final, cancelled, or the entry is a stale one (the job was
              requeued under a new entry). An entry still `pending` (taken over with XAUTOCLAIM)
              counts a recovery; a job recovered more than maxRecoveries times (its workers died
              or froze running it: a poison job) fails here and goes to the dead letters. In
              every 0 case the entry is acknowledged and deleted.
]]
local now, group, consumer, deadTtl = tonumber(ARGV[1]), ARGV[2], ARGV[3], ARGV[4]
local maxRecoveries = tonumber(ARGV[5])
local done_sids = {}
local out = {}
for i = 5, #KEYS - 2 do
  local a = 6 + (i - 5) * 2
  local sid, id = ARGV[a], ARGV[a + 1]
  local run = start_entry(KEYS[i], sid, id, now, consumer, deadTtl, maxRecoveries)
  if run then
    out[#out + 1] = run
  else
    done_sids[#done_sids + 1] = sid
    out[#out + 1] = 0
  end
end
remove_entries(group, done_sids)
publish()
return out
