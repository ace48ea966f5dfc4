--[[
  flow-count: a parent (in its own queue's slot) counts the final outcome of one child, once;
  the last child counted makes it runnable. Called by the worker that made the child final,
  right after its finish, and again by any worker for an outbox entry left undelivered
  (at-least-once delivery, counted once). See docs/workflows.md.

  Includes    lib/events.lua, lib/flow.lua
  KEYS[1..4]  queue        stream, stats, delayed, dead of <prefix>:{<parent's queue>}
  KEYS[5]     job          <prefix>:{<queue>}:job:<parent id>
  KEYS[6]     webhooks     <prefix>:{<queue>}:webhooks
  KEYS[7]     notify       <prefix>:{<queue>}:notify   (the parent's own outbox, if it fails)
  ARGV[1]     now          milliseconds since the epoch
  ARGV[2]     deadTtlSec   how long a dead letter is kept
  ARGV[3]     parent       the parent's callback id
  ARGV[4]     child        the child's callback id
  ARGV[5]     status       the child's final status: `done`, `failed` or `cancelled`
  ARGV[6]     payload      its value (JSON) when done, else its error ('' when none)
  ARGV[7]     policy       the child's failure policy: `fail`, `ignore` or `continue`
  Returns     `released` (the last child: the parent now has its stream entry), `counted`,
              `failed` (a failure under policy `fail`: the parent failed and never runs),
              `duplicate` (counted before: nothing changed), `late` (recorded, but the parent
              waits no more: final or revived) or `missing` (no parent record)
]]
local out = count_child(KEYS[5], ARGV[3], ARGV[4], ARGV[5], ARGV[6], ARGV[7], tonumber(ARGV[1]),
  ARGV[2])
publish()
return out
