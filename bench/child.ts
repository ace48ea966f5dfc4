/**
 * A benchmark child process: one producer or one worker of one system, driven by the parent
 * over IPC. It sets up, says `ready`, starts on `go`, and reports: a producer its elapsed
 * time when all its jobs are enqueued, a worker its count of finished jobs every 20 ms and,
 * on `stop`, the latency of every job it finished.
 */
import { loadPeer, type BenchJob, type PeerName } from './peers/index.js';

export type ChildSpec =
  | {
      role: 'producer';
      peer: PeerName;
      redisUrl: string;
      mode: 'inflight';
      jobs: number;
      inFlight: number;
      via?: 'library';
    }
  | {
      role: 'producer';
      peer: PeerName;
      redisUrl: string;
      mode: 'bulk';
      jobs: number;
      chunk: number;
    }
  | {
      role: 'producer';
      peer: PeerName;
      redisUrl: string;
      mode: 'rate';
      jobs: number;
      perSec: number;
    }
  | { role: 'worker'; peer: PeerName; redisUrl: string; concurrency: number };

export type ChildMessage =
  | { kind: 'ready' }
  | { kind: 'produced'; elapsedMs: number }
  | { kind: 'count'; n: number }
  | { kind: 'stopped'; latenciesMs: number[] };

/** Wall-clock ms with sub-ms resolution, comparable between processes of this machine. */
function nowMs(): number {
  return performance.timeOrigin + performance.now();
}

/** Resolves once the message is handed to the channel (a large one takes a while). */
function send(message: ChildMessage): Promise<void> {
  return new Promise((resolve) => {
    if (!process.send || !process.connected) resolve();
    else process.send(message, undefined, {}, () => resolve());
  });
}

function nextMessage(kind: string): Promise<void> {
  return new Promise((resolve) => {
    const on = (m: { kind: string }) => {
      if (m.kind !== kind) return;
      process.off('message', on);
      resolve();
    };
    process.on('message', on);
  });
}

async function produce(spec: Extract<ChildSpec, { role: 'producer' }>): Promise<void> {
  const producer = await (
    await loadPeer(spec.peer)
  ).producer(spec.redisUrl, 'via' in spec ? spec.via : undefined);
  void send({ kind: 'ready' });
  await nextMessage('go');
  const start = performance.now();
  const job = (): BenchJob => ({ t: nowMs() });
  if (spec.mode === 'inflight') {
    let next = 0;
    const lane = async () => {
      while (next < spec.jobs) {
        next += 1;
        await producer.add(job());
      }
    };
    await Promise.all(Array.from({ length: spec.inFlight }, lane));
  } else if (spec.mode === 'bulk') {
    for (let done = 0; done < spec.jobs; done += spec.chunk) {
      const n = Math.min(spec.chunk, spec.jobs - done);
      await producer.addBulk(Array.from({ length: n }, job));
    }
  } else {
    // A fixed arrival rate: every ms tick, enqueue what is due by now, without waiting.
    const adds: Promise<void>[] = [];
    let sent = 0;
    while (sent < spec.jobs) {
      const due = Math.min(
        spec.jobs,
        Math.floor(((performance.now() - start) * spec.perSec) / 1000) + 1,
      );
      for (; sent < due; sent++) adds.push(producer.add(job()));
      await new Promise((r) => setTimeout(r, 1));
    }
    await Promise.all(adds);
  }
  await send({ kind: 'produced', elapsedMs: performance.now() - start });
  await producer.close();
}

async function work(spec: Extract<ChildSpec, { role: 'worker' }>): Promise<void> {
  const peer = await loadPeer(spec.peer);
  const latenciesMs: number[] = [];
  let n = 0;
  void send({ kind: 'ready' });
  await nextMessage('go');
  const worker = await peer.worker(spec.redisUrl, {
    concurrency: spec.concurrency,
    onDone: (job) => {
      n += 1;
      latenciesMs.push(nowMs() - job.t);
    },
  });
  let last = -1;
  const ticker = setInterval(() => {
    if (n !== last) void send({ kind: 'count', n: (last = n) });
  }, 20);
  await nextMessage('stop');
  clearInterval(ticker);
  // Report first: completion is checked in Redis, and a close() that lingers (a client
  // waiting out its blocking read) must not stall the run.
  await send({ kind: 'stopped', latenciesMs });
  await Promise.race([worker.close(), new Promise((r) => setTimeout(r, 5000).unref())]);
}

// The parent went away (it failed, or was stopped): do not linger.
process.on('disconnect', () => process.exit(1));
const spec = JSON.parse(process.argv[2] ?? '{}') as ChildSpec;
await (spec.role === 'producer' ? produce(spec) : work(spec));
process.removeAllListeners('disconnect');
process.disconnect?.();
// Some clients keep sockets or timers alive after close(); the parent has what it needs.
setTimeout(() => process.exit(0), 200).unref();
