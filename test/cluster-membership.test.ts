import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import {
  Signer,
  type ClusterNode,
  type Envelope,
  type MembershipChange,
} from '../src/cluster/index.js';
import { Keys, runScript } from '../src/redis/index.js';
import { FAST_CLUSTER, nextChange, startTestNode } from './helpers/cluster.js';
import { startTestRedis, type TestRedis } from './helpers/redis.js';
import { until } from './helpers/wait.js';

/**
 * The membership view's promises (docs/cluster.md "Registration and membership"): the periodic
 * reconcile heals a lost `joined` or `left` message, and never reports a clean shutdown as
 * `expired` while its `left` message is still on its way; messages dated in the future are
 * dropped like stale ones.
 */
const keys = new Keys('wm');
let redis: TestRedis;
const nodes: ClusterNode[] = [];

/** The reconcile that runs every 5 s and after a reconnect, run now. */
function reconcileNow(node: ClusterNode): Promise<void> {
  return (node as unknown as { reconcile(): Promise<void> }).reconcile();
}

/** The promise, or a failure naming what never came once timeoutMs passed. */
function within<T>(promise: Promise<T>, what: string, timeoutMs: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`timed out waiting for ${what}`)), timeoutMs);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

async function node(id?: string): Promise<ClusterNode> {
  const n = await startTestNode(redis.url, FAST_CLUSTER, id);
  nodes.push(n);
  return n;
}

before(async () => {
  redis = await startTestRedis();
});
after(async () => {
  await Promise.all(nodes.map((n) => n.stop()));
  await redis.stop();
});

describe('membership reconcile', () => {
  it('a node shutting down is seen leaving by shutdown even when a reconcile runs between its leave and its message', async () => {
    const observer = await node();
    const leaver = await node();
    await until(
      'the observer to see the leaver',
      () => observer.members().some((m) => m.id === leaver.id),
      Boolean,
    );
    const left: MembershipChange[] = [];
    observer.on('left', (c: MembershipChange) => {
      if (c.node.id === leaver.id) left.push(c);
    });
    // What stop() does first: leave.lua. Its `left` message is still to be published when the
    // observer's reconcile reads the registry (the race seen in test/local-up.test.ts).
    await runScript(redis.client, 'leave', [keys.members(), keys.nodeInfo()], [leaver.id]);
    await reconcileNow(observer);
    await leaver.stop(); // leave.lua again (a no-op), then the `left` message
    await until(
      'the observer to see the leaver leave',
      () => left.length,
      (n) => n >= 1,
    );
    assert.deepEqual(
      left.map((c) => c.reason),
      ['shutdown'],
    );
  });

  it('the periodic reconcile heals a lost `joined` and a lost `left` message', async () => {
    const observer = await node();
    const ghost = 'test-ghost-node';
    const info = {
      id: ghost,
      role: 'test',
      host: 'nowhere',
      pid: 1,
      version: 'test',
      startedAt: Date.now(),
      offers: { types: [], concurrency: 0 },
      figures: {},
      ttlMs: 600_000,
    };
    const joined = nextChange(observer, 'joined', ghost);
    // Registered as heartbeat.lua does, but its `joined` message was never published. A TTL of
    // 10 minutes: the reaper leaves it alone, only the reconcile can see it.
    await runScript(redis.client, 'heartbeat', keys.registry(), [
      ghost,
      JSON.stringify(info),
      600_000,
    ]);
    await within(joined, 'the reconcile to add the ghost', 20_000);
    assert.ok(observer.members().some((m) => m.id === ghost));
    // Now it leaves, and its `left` message is lost too.
    const left = nextChange(observer, 'left', ghost);
    await runScript(redis.client, 'leave', [keys.members(), keys.nodeInfo()], [ghost]);
    const change = await within(left, 'the reconcile to drop the ghost', 30_000);
    assert.equal(change.reason, 'expired');
    assert.ok(!observer.members().some((m) => m.id === ghost));
  });
});

describe('messages dated in the future', () => {
  const envelope = (id: string, ts: number): Envelope => ({
    v: 1,
    id,
    from: 'a',
    ts,
    kind: 'send',
    body: { x: 1 },
  });

  it('past the 30 s window they are dropped as stale; inside it once, a replay dropped', () => {
    const signer = new Signer('s');
    const now = Date.now();
    assert.equal(signer.open(signer.sign(envelope('far', now + 31_000)), now), undefined);
    const near = signer.sign(envelope('near', now + 25_000));
    assert.ok(signer.open(near, now));
    // 10,000 other messages later (the replay memory is pruned at that size), 40 s on: the
    // message is still inside its window, so it must still be known.
    for (let i = 0; i < 10_000; i++)
      signer.open(signer.sign(envelope(`m${i}`, now + 40_000)), now + 40_000);
    assert.equal(signer.open(near, now + 40_000), undefined, 'a replay, not a new message');
    assert.deepEqual(
      { stale: signer.dropped.stale, replay: signer.dropped.replay },
      { stale: 1, replay: 1 },
    );
  });

  it('a node drops a call dated 60 s ahead, signed with the right secret, and never answers it', async () => {
    const target = await node();
    const signer = new Signer(FAST_CLUSTER.WORKMESH_CLUSTER_SECRET);
    const call = (id: string, ts: number): string =>
      signer.sign({ v: 1, id, from: 'test-caller', ts, kind: 'call', body: { name: 'ping' } });
    const replies: string[] = [];
    const listener = redis.client.duplicate();
    await listener.subscribe(keys.nodeChannel('test-caller'));
    listener.on('message', (_channel: string, wire: string) => replies.push(wire));
    try {
      await redis.client.publish(keys.nodeChannel(target.id), call('future', Date.now() + 60_000));
      // A call dated now, sent after it, on the same channel: once it is answered, the first
      // one was handled (pub/sub keeps the order).
      await redis.client.publish(keys.nodeChannel(target.id), call('present', Date.now()));
      await until(
        'the reply to the present call',
        () => replies.length,
        (n) => n >= 1,
      );
      assert.equal(replies.length, 1);
      const reply = signer.open(replies[0]!);
      assert.equal((reply?.body as { callId: string }).callId, 'present');
      assert.equal(target.dropped().stale, 1);
    } finally {
      listener.disconnect();
    }
  });
});
