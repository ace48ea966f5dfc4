--[[
  start: record that a worker claimed a batch of stream entries (XREADGROUP or XAUTOCLAIM)
  and hand it the jobs to run.

  Includes    lib/events.lua, lib/controls.lua, lib/start-entry.lua
  KEYS[1..4]  queue        stream, stats, delayed, dead of <prefix>:{<queue>}
  KEYS[5..]   job          <prefix>:{<queue>}:job:<id>, one per claimed entry
  KEYS[last-3] controls    <prefix>:{<queue>}:controls
  KEYS[last-2] waiting     <prefix>:{<queue>}:waiting
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
              every 0 case the entry is acknowledged and deleted. In a gated queue (controls
              `gated`), a job not started yet is not started here: it moves to the waiting set
              (lib/controls.lua) and answers -1 (the worker then claims with gate.lua); a
              takeover (XAUTOCLAIM of a `pending` job) runs as usual.
]]
local now, group, consumer, deadTtl = tonumber(ARGV[1]), ARGV[2], ARGV[3], ARGV[4]
local maxRecoveries = tonumber(ARGV[5])
local done_sids = {}
local out = {}
local controls, waiting = KEYS[#KEYS - 3], KEYS[#KEYS - 2]
local gated = redis.call('HGET', controls, 'gated') == '1'
for i = 5, #KEYS - 4 do
  local a = 6 + (i - 5) * 2
  local sid, id = ARGV[a], ARGV[a + 1]
  -- -1: moved to the waiting set of a gated queue; 0: must not run.
  local run = -1
  if not (gated and wait_loose(KEYS[i], sid, id, controls, waiting)) then
    run = start_entry(KEYS[i], sid, id, now, consumer, deadTtl, maxRecoveries) or 0
  end
  if type(run) ~= 'table' then done_sids[#done_sids + 1] = sid end
  out[#out + 1] = run
end
remove_entries(group, done_sids)
publish()
return out
