/**
 * Redis' time per job of candidate data models for the hot path, measured before choosing
 * one (docs/benchmarks.md, "Protocol version 5"). Each candidate is the per-job work of
 * enqueue, claim and finish written as bare Lua over the same keys the real scripts use,
 * with nothing else competing: one batch call after the other, INFO commandstats after each
 * phase. Not the real scripts (bench/script-cost.ts measures those): a floor per design.
 *
 *   npx tsx bench/model-candidates.ts [jobs=20000] [rounds=3]
 */
import { startBenchRedis } from './redis.js';

const jobs = Number(process.argv[2] ?? 20_000);
const rounds = Number(process.argv[3] ?? 3);
const BATCH = 100;

/** Shared prelude: the implicit-event publication every candidate keeps. */
const PUBLISH = `
local function publish(ev)
  if #ev > 0 then redis.call('PUBLISH', 'q:events', cjson.encode(ev)) end
end`;

const ENQUEUE = {
  /** Version 4: EXISTS, XADD {id}, HSET of every field, one index ZADD per call. */
  v4: `${PUBLISH}
local now, ev, idx = ARGV[1], {}, {}
for i = 1, #KEYS do
  local id = ARGV[i + 1]
  if redis.call('EXISTS', KEYS[i]) == 0 then
    local sid = redis.call('XADD', 'q:stream', '*', 'id', id)
    redis.call('HSET', KEYS[i], 'type', 'noop', 'data', '{"t":1700000000000}', 'status', 'accepted',
      'attempts', 0, 'maxAttempts', 3, 'resultTtlSec', 600, 'opts', '{}', 'createdAt', now,
      'acceptedBy', 'api-1', 'sid', sid, 'ev', 1)
    ev[#ev + 1] = { id, 1, 'accepted' }
    idx[#idx + 1] = now; idx[#idx + 1] = id
  end
end
redis.call('HINCRBY', 'q:stats', 'accepted', #KEYS)
redis.call('ZADD', 'q:created', unpack(idx))
publish(ev)
return #KEYS`,
  /** No EXISTS for ids the producer generated itself (a resend still checks). */
  fresh: `${PUBLISH}
local now, ev, idx = ARGV[1], {}, {}
for i = 1, #KEYS do
  local id = ARGV[i + 1]
  local sid = redis.call('XADD', 'q:stream', '*', 'id', id)
  redis.call('HSET', KEYS[i], 'type', 'noop', 'data', '{"t":1700000000000}', 'status', 'accepted',
    'attempts', 0, 'maxAttempts', 3, 'resultTtlSec', 600, 'opts', '{}', 'createdAt', now,
    'acceptedBy', 'api-1', 'sid', sid, 'ev', 1)
  ev[#ev + 1] = { id, 1, 'accepted' }
  idx[#idx + 1] = now; idx[#idx + 1] = id
end
redis.call('HINCRBY', 'q:stats', 'accepted', #KEYS)
redis.call('ZADD', 'q:created', unpack(idx))
publish(ev)
return #KEYS`,
  /** Fresh ids, and the index as one RPUSH per call into a per-minute bucket list. */
  freshBucket: `${PUBLISH}
local now, ev, idx = ARGV[1], {}, {}
for i = 1, #KEYS do
  local id = ARGV[i + 1]
  local sid = redis.call('XADD', 'q:stream', '*', 'id', id)
  redis.call('HSET', KEYS[i], 'type', 'noop', 'data', '{"t":1700000000000}', 'status', 'accepted',
    'attempts', 0, 'maxAttempts', 3, 'resultTtlSec', 600, 'opts', '{}', 'createdAt', now,
    'acceptedBy', 'api-1', 'sid', sid, 'ev', 1)
  ev[#ev + 1] = { id, 1, 'accepted' }
  idx[#idx + 1] = id
end
redis.call('HINCRBY', 'q:stats', 'accepted', #KEYS)
redis.call('RPUSH', 'q:created:' .. math.floor(tonumber(now) / 60000), unpack(idx))
publish(ev)
return #KEYS`,
  /** Fresh ids, no index, the job's data and options also in the stream entry. */
  entryData: `${PUBLISH}
local now, ev = ARGV[1], {}
for i = 1, #KEYS do
  local id = ARGV[i + 1]
  local sid = redis.call('XADD', 'q:stream', '*', 'id', id, 'd', '{"t":1700000000000}', 'o', '{}')
  redis.call('HSET', KEYS[i], 'type', 'noop', 'data', '{"t":1700000000000}', 'status', 'accepted',
    'attempts', 0, 'maxAttempts', 3, 'resultTtlSec', 600, 'opts', '{}', 'createdAt', now,
    'acceptedBy', 'api-1', 'sid', sid, 'ev', 1)
  ev[#ev + 1] = { id, 1, 'accepted' }
end
redis.call('HINCRBY', 'q:stats', 'accepted', #KEYS)
publish(ev)
return #KEYS`,
};

const CLAIM = {
  /** Version 4: read the record (9 fields), write pending, attempt, worker, start time. */
  v4: `${PUBLISH}
local now, consumer, ev, out = ARGV[1], ARGV[2], {}, {}
local r = redis.call('XREADGROUP', 'GROUP', 'g', consumer, 'COUNT', ${BATCH}, 'STREAMS', 'q:stream', '>')
for _, e in ipairs(r and r[1][2] or {}) do
  local id = e[2][2]
  local k = 'q:job:' .. id
  local j = redis.call('HMGET', k, 'status', 'data', 'sid', 'attempts', 'recoveries', 'opts', 'ev', 'events', 'gate')
  if j[1] == 'accepted' and j[3] == e[1] then
    local attempt = tonumber(j[4]) + 1
    redis.call('HSET', k, 'status', 'pending', 'startedAt', now, 'workedBy', consumer, 'attempts', attempt, 'ev', 2)
    ev[#ev + 1] = { id, 2, 'pending' }
    out[#out + 1] = e[1]; out[#out + 1] = id; out[#out + 1] = j[2]; out[#out + 1] = attempt; out[#out + 1] = j[6]
  end
end
publish(ev)
return out`,
  /** The entry carries the data; the claim writes the record without reading it. */
  writeOnly: `${PUBLISH}
local now, consumer, ev, out = ARGV[1], ARGV[2], {}, {}
local r = redis.call('XREADGROUP', 'GROUP', 'g', consumer, 'COUNT', ${BATCH}, 'STREAMS', 'q:stream', '>')
for _, e in ipairs(r and r[1][2] or {}) do
  local f = e[2]
  local id = f[2]
  redis.call('HSET', 'q:job:' .. id, 'status', 'pending', 'startedAt', now, 'workedBy', consumer, 'attempts', 1, 'ev', 2)
  ev[#ev + 1] = { id, 2, 'pending' }
  out[#out + 1] = e[1]; out[#out + 1] = id; out[#out + 1] = f[4]; out[#out + 1] = 1; out[#out + 1] = f[6]
end
publish(ev)
return out`,
  /**
   * As writeOnly, guarded: HINCRBY ev answers 2 only while nothing happened to the job since
   * its enqueue (any event, a cancel included, counts in ev; a deleted record answers 1).
   */
  guarded: `${PUBLISH}
local now, consumer, ev, out = ARGV[1], ARGV[2], {}, {}
local r = redis.call('XREADGROUP', 'GROUP', 'g', consumer, 'COUNT', ${BATCH}, 'STREAMS', 'q:stream', '>')
for _, e in ipairs(r and r[1][2] or {}) do
  local f = e[2]
  local id = f[2]
  local k = 'q:job:' .. id
  if redis.call('HINCRBY', k, 'ev', 1) == 2 then
    redis.call('HSET', k, 'status', 'pending', 'startedAt', now, 'workedBy', consumer, 'attempts', 1)
    ev[#ev + 1] = { id, 2, 'pending' }
    out[#out + 1] = e[1]; out[#out + 1] = id; out[#out + 1] = f[4]; out[#out + 1] = 1; out[#out + 1] = f[6]
  end
end
publish(ev)
return out`,
  /** Nothing written per job: running is the entry's place in the pending entries list. */
  pelOnly: `${PUBLISH}
local consumer, ev, out = ARGV[2], {}, {}
local r = redis.call('XREADGROUP', 'GROUP', 'g', consumer, 'COUNT', ${BATCH}, 'STREAMS', 'q:stream', '>')
for _, e in ipairs(r and r[1][2] or {}) do
  local f = e[2]
  ev[#ev + 1] = { f[2], 2, 'pending' }
  out[#out + 1] = e[1]; out[#out + 1] = f[2]; out[#out + 1] = f[4]; out[#out + 1] = 1; out[#out + 1] = f[6]
end
publish(ev)
return out`,
  /** Plain XREADGROUP from the client: no script, no pending event. */
  bare: null,
};

const TAIL = `
local pending = redis.call('XPENDING', 'q:stream', 'g')
redis.call('XACK', 'q:stream', 'g', unpack(sids))
redis.call('XTRIM', 'q:stream', 'MINID', last)
redis.call('HINCRBY', 'q:stats', 'done', #sids)
publish(ev)
return #sids`;

const FINISH = {
  /** Version 4: read the record (9 fields) to fence, write the outcome, expire. */
  v4: `${PUBLISH}
local now, consumer, ev, sids, last = ARGV[1], ARGV[2], {}, {}, nil
for i = 1, #KEYS do
  local sid, id, attempt = ARGV[3 * i], ARGV[3 * i + 1], ARGV[3 * i + 2]
  local j = redis.call('HMGET', KEYS[i], 'status', 'workedBy', 'attempts', 'resultTtlSec', 'ev', 'events', 'webhook', 'gate', 'parent')
  if j[1] == 'pending' and j[2] == consumer and j[3] == attempt then
    redis.call('HSET', KEYS[i], 'status', 'done', 'value', '"ok"', 'finishedAt', now, 'ev', 3)
    redis.call('EXPIRE', KEYS[i], j[4])
    ev[#ev + 1] = { id, 3, 'done' }
  end
  sids[#sids + 1] = sid; last = sid
end${TAIL}`,
  /** Fenced by the pending entries list (one XPENDING per call), written once, no read. */
  pelFence: `${PUBLISH}
local now, consumer, ev, sids, last = ARGV[1], ARGV[2], {}, {}, nil
local held = {}
for _, p in ipairs(redis.call('XPENDING', 'q:stream', 'g', ARGV[3], ARGV[3 * #KEYS], #KEYS, consumer)) do
  held[p[1]] = true
end
for i = 1, #KEYS do
  local sid, id = ARGV[3 * i], ARGV[3 * i + 1]
  if held[sid] then
    redis.call('HSET', KEYS[i], 'status', 'done', 'value', '"ok"', 'finishedAt', now, 'startedAt', now,
      'workedBy', consumer, 'attempts', 1, 'ev', 3)
    redis.call('EXPIRE', KEYS[i], 600)
    ev[#ev + 1] = { id, 3, 'done' }
  end
  sids[#sids + 1] = sid; last = sid
end${TAIL}`,
  /** As v4 but the record read is 3 fields (what a fence needs) and the rest comes in ARGV. */
  narrowRead: `${PUBLISH}
local now, consumer, ev, sids, last = ARGV[1], ARGV[2], {}, {}, nil
for i = 1, #KEYS do
  local sid, id, attempt = ARGV[3 * i], ARGV[3 * i + 1], ARGV[3 * i + 2]
  local j = redis.call('HMGET', KEYS[i], 'status', 'workedBy', 'attempts')
  if j[1] == 'pending' and j[2] == consumer and j[3] == attempt then
    redis.call('HSET', KEYS[i], 'status', 'done', 'value', '"ok"', 'finishedAt', now, 'ev', 3)
    redis.call('EXPIRE', KEYS[i], 600)
    ev[#ev + 1] = { id, 3, 'done' }
  end
  sids[#sids + 1] = sid; last = sid
end${TAIL}`,
};

type Name<T> = keyof T & string;
const redis = await startBenchRedis();
const r = redis.client;

/** A script's time includes its inner commands (which commandstats also counts alone). */
async function evalUsec(): Promise<number> {
  const info = await r.info('commandstats');
  const by = new Map<string, number>();
  for (const m of info.matchAll(/cmdstat_(\w+):calls=\d+,usec=(\d+)/g)) by.set(m[1]!, Number(m[2]));
  return by.get('eval') ?? by.get('xreadgroup') ?? 0;
}

async function run(e: Name<typeof ENQUEUE>, c: Name<typeof CLAIM>, f: Name<typeof FINISH>) {
  await redis.flush();
  await r.xgroup('CREATE', 'q:stream', 'g', '$', 'MKSTREAM');
  const ids = Array.from({ length: jobs }, (_, i) => `j${i.toString(36)}x${Date.now() % 997}`);
  await redis.resetStats();
  for (let i = 0; i < jobs; i += BATCH) {
    const part = ids.slice(i, i + BATCH);
    await r.eval(
      ENQUEUE[e],
      part.length,
      ...part.map((id) => `q:job:${id}`),
      String(Date.now()),
      ...part,
    );
  }
  const enq = await evalUsec();
  let claimUs = 0;
  let finishUs = 0;
  for (let done = 0; done < jobs;) {
    await redis.resetStats();
    let got: string[];
    const claim = CLAIM[c];
    if (claim === null) {
      const reply = (await r.xreadgroup(
        'GROUP',
        'g',
        'w1',
        'COUNT',
        BATCH,
        'STREAMS',
        'q:stream',
        '>',
      )) as [string, [string, string[]][]][];
      got = reply[0]![1].flatMap(([sid, fl]) => [sid, fl[1]!, fl[3] ?? '', '1', '{}']);
    } else {
      got = (await r.eval(claim, 0, String(Date.now()), 'w1')) as string[];
    }
    claimUs += await evalUsec();
    await redis.resetStats();
    const keys: string[] = [];
    const args: string[] = [];
    for (let i = 0; i < got.length; i += 5) {
      keys.push(`q:job:${got[i + 1]}`);
      args.push(got[i]!, got[i + 1]!, String(got[i + 3]));
    }
    await r.eval(FINISH[f], keys.length, ...keys, String(Date.now()), 'w1', ...args);
    finishUs += await evalUsec();
    done += keys.length;
    if (keys.length === 0) throw new Error('claimed nothing');
  }
  const mem = await redis.usedMemory();
  const per = (us: number) => us / jobs;
  return { enq: per(enq), claim: per(claimUs), finish: per(finishUs), mem };
}

const combos: [Name<typeof ENQUEUE>, Name<typeof CLAIM>, Name<typeof FINISH>][] = [
  ['v4', 'v4', 'v4'],
  ['fresh', 'v4', 'v4'],
  ['freshBucket', 'v4', 'v4'],
  ['entryData', 'v4', 'v4'],
  ['entryData', 'writeOnly', 'v4'],
  ['entryData', 'writeOnly', 'narrowRead'],
  ['entryData', 'writeOnly', 'narrowRead'],
  ['entryData', 'guarded', 'v4'],
  ['entryData', 'pelOnly', 'pelFence'],
  ['entryData', 'bare', 'pelFence'],
];
const table = new Map<string, number[][]>();
try {
  for (let round = 0; round < rounds; round++) {
    for (const combo of combos) {
      const m = await run(...combo);
      const key = combo.join(' / ');
      const rows = table.get(key) ?? [];
      rows.push([m.enq, m.claim, m.finish, m.enq + m.claim + m.finish]);
      table.set(key, rows);
    }
  }
  const median = (xs: number[]) => xs.sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
  const least = (xs: number[]) => Math.min(...xs);
  for (const [label, pick] of [
    ['median', median],
    ['least', least],
  ] as const) {
    console.log(`µs of Redis per job, ${label} of ${rounds} (${jobs} jobs, batches of ${BATCH})`);
    console.log('enqueue / claim / finish'.padEnd(40), 'enqueue  claim  finish  total');
    for (const [key, rows] of table) {
      const col = (i: number) =>
        pick(rows.map((row) => row[i]!))
          .toFixed(1)
          .padStart(6);
      console.log(key.padEnd(40), col(0), col(1), col(2), col(3));
    }
  }
} finally {
  await redis.stop();
}
