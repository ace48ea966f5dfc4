import { randomBytes } from 'node:crypto';
import type { Redis } from 'ioredis';
import type { Logger } from 'pino';
import { WorkmeshError, catalogue, isWorkmeshError, type ErrorCode } from '../errors/index.js';
import { publishCounted, type Keys } from '../redis/index.js';
import type { Envelope, Signer } from './signing.js';

export type Callable = (args: unknown, from: string) => unknown;

interface CallBody {
  readonly name: string;
  readonly args: unknown;
}
interface ReplyBody {
  readonly callId: string;
  readonly ok: boolean;
  readonly result?: unknown;
  readonly error?: { readonly code: ErrorCode; readonly message: string };
}

/** A signed envelope from `from` (random id, the sender's clock). */
export function newEnvelope(from: string, kind: Envelope['kind'], body: unknown): Envelope {
  return { v: 1, id: randomBytes(12).toString('base64url'), from, ts: Date.now(), kind, body };
}

/**
 * Sends a signed message to one node's channel without being a member (the producer API
 * tells the worker running a cancelled job); resolves to whether it was listening.
 */
export async function sendSigned(
  redis: Redis,
  keys: Keys,
  signer: Signer,
  from: string,
  target: string,
  message: unknown,
): Promise<boolean> {
  const wire = signer.sign(newEnvelope(from, 'send', message));
  return (await publishCounted(redis, keys.nodeChannel(target), wire)) > 0;
}

export interface IncomingHandlers {
  message(message: unknown, from: string): void;
  event(body: unknown, from: string): void;
}

/**
 * Messages and calls between nodes over Redis pub/sub: one channel per node, one broadcast
 * channel, one events channel; one subscriber connection per node. A call is a signed message
 * to the target's channel; the reply comes back on the caller's channel.
 */
export class Messaging {
  private readonly callables = new Map<string, Callable>();
  private readonly pending = new Map<
    string,
    { resolve: (v: unknown) => void; reject: (e: unknown) => void; timer: NodeJS.Timeout }
  >();

  constructor(
    private readonly nodeId: string,
    private readonly redis: Redis,
    private readonly subscriber: Redis,
    private readonly keys: Keys,
    private readonly signer: Signer,
    private readonly handlers: IncomingHandlers,
    private readonly log: Logger,
  ) {}

  async start(): Promise<void> {
    this.subscriber.on('message', (channel: string, wire: string) => this.onWire(channel, wire));
    await this.subscriber.subscribe(
      this.keys.nodeChannel(this.nodeId),
      this.keys.broadcastChannel(),
      this.keys.eventsChannel(),
    );
  }

  register(name: string, fn: Callable): void {
    this.callables.set(name, fn);
  }

  functionNames(): string[] {
    return [...this.callables.keys()].sort();
  }

  /** Runs a callable here, as a remote node would: a throw becomes a rejection. */
  invokeLocal(name: string, args: unknown, from: string): Promise<unknown> {
    const fn = this.callables.get(name);
    if (!fn) {
      return Promise.reject(
        new WorkmeshError(
          'WM_ERR_CLUSTER_UNKNOWN_FUNCTION',
          `node ${this.nodeId} has no function ${JSON.stringify(name)}`,
        ),
      );
    }
    return new Promise((resolve) => resolve(fn(args, from)));
  }

  async call(target: string, name: string, args: unknown, timeoutMs: number): Promise<unknown> {
    const envelope = this.envelope('call', { name, args } satisfies CallBody);
    const result = new Promise<unknown>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pending.delete(envelope.id);
        reject(
          new WorkmeshError(
            'WM_ERR_CLUSTER_TIMEOUT',
            `call ${name} to ${target} got no reply in ${timeoutMs} ms`,
          ),
        );
      }, timeoutMs);
      this.pending.set(envelope.id, { resolve, reject, timer });
    });
    // The reply can arrive (on the subscriber connection) before PUBLISH answers: mark the
    // promise handled now so an early rejection is not reported as unhandled.
    result.catch(() => undefined);
    const receivers = await publishCounted(
      this.redis,
      this.keys.nodeChannel(target),
      this.signer.sign(envelope),
    );
    if (receivers === 0) {
      const waiting = this.pending.get(envelope.id);
      if (waiting) {
        clearTimeout(waiting.timer);
        this.pending.delete(envelope.id);
        waiting.reject(
          new WorkmeshError('WM_ERR_CLUSTER_UNREACHABLE', `nothing listens for node ${target}`),
        );
      }
    }
    return result;
  }

  /** Sends a message to one node; resolves to whether it was listening. */
  send(target: string, message: unknown): Promise<boolean> {
    return sendSigned(this.redis, this.keys, this.signer, this.nodeId, target, message);
  }

  /** Sends a message to every node (this one included); resolves to how many got it. */
  async broadcast(message: unknown): Promise<number> {
    return publishCounted(
      this.redis,
      this.keys.broadcastChannel(),
      this.signer.sign(this.envelope('send', message)),
    );
  }

  async publishEvent(body: unknown): Promise<void> {
    await this.redis.publish(
      this.keys.eventsChannel(),
      this.signer.sign(this.envelope('event', body)),
    );
  }

  /** Rejects the calls still waiting (shutdown). */
  close(): void {
    for (const [id, waiting] of this.pending) {
      clearTimeout(waiting.timer);
      waiting.reject(new WorkmeshError('WM_ERR_CLUSTER_UNREACHABLE', 'this node is shutting down'));
      this.pending.delete(id);
    }
  }

  private envelope(kind: Envelope['kind'], body: unknown): Envelope {
    return newEnvelope(this.nodeId, kind, body);
  }

  private onWire(channel: string, wire: string): void {
    const envelope = this.signer.open(wire);
    if (!envelope) {
      this.log.warn(
        { channel },
        'dropped a cluster message: unsigned, wrongly signed, stale or replayed',
      );
      return;
    }
    switch (envelope.kind) {
      case 'event':
        this.handlers.event(envelope.body, envelope.from);
        break;
      case 'send':
        this.handlers.message(envelope.body, envelope.from);
        break;
      case 'call':
        void this.answer(envelope);
        break;
      case 'reply':
        this.settle(envelope.body as ReplyBody);
        break;
    }
  }

  private async answer(envelope: Envelope): Promise<void> {
    const { name, args } = envelope.body as CallBody;
    let reply: ReplyBody;
    try {
      reply = {
        callId: envelope.id,
        ok: true,
        result: await this.invokeLocal(name, args, envelope.from),
      };
    } catch (err) {
      const code: ErrorCode = isWorkmeshError(err) ? err.code : 'WM_ERR_CLUSTER_CALL_FAILED';
      reply = {
        callId: envelope.id,
        ok: false,
        error: { code, message: (err as Error).message ?? String(err) },
      };
    }
    try {
      await this.redis.publish(
        this.keys.nodeChannel(envelope.from),
        this.signer.sign(this.envelope('reply', reply)),
      );
    } catch (err) {
      this.log.warn({ err: (err as Error).message, to: envelope.from }, 'could not send a reply');
    }
  }

  private settle(reply: ReplyBody): void {
    const waiting = this.pending.get(reply.callId);
    if (!waiting) return; // timed out already
    clearTimeout(waiting.timer);
    this.pending.delete(reply.callId);
    if (reply.ok) waiting.resolve(reply.result);
    else {
      const given = reply.error?.code;
      const code = given !== undefined && given in catalogue ? given : 'WM_ERR_CLUSTER_CALL_FAILED';
      waiting.reject(new WorkmeshError(code, reply.error?.message ?? 'remote call failed'));
    }
  }
}
