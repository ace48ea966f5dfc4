import { createHmac, timingSafeEqual } from 'node:crypto';

/**
 * Every message between nodes travels as `<hmac>.<json>`: HMAC-SHA256 of the JSON with the
 * cluster secret, base64url. A receiver drops what is unsigned, wrongly signed, older than the
 * window, or seen before (replay), and counts each kind.
 */
export const DEV_SECRET = 'workmesh-development-secret-change-me';
const WINDOW_MS = 30_000;

export interface Envelope {
  readonly v: 1;
  /** Unique per message: replays are dropped. */
  readonly id: string;
  readonly from: string;
  /** Sender's wall clock, ms. */
  readonly ts: number;
  readonly kind: 'send' | 'call' | 'reply' | 'event';
  readonly body: unknown;
}

export type DropReason = 'unsigned' | 'badSignature' | 'stale' | 'replay' | 'malformed';

export class Signer {
  readonly dropped: Record<DropReason, number> = {
    unsigned: 0,
    badSignature: 0,
    stale: 0,
    replay: 0,
    malformed: 0,
  };
  private readonly seen = new Map<string, number>();

  constructor(private readonly secret: string) {}

  sign(envelope: Envelope): string {
    const json = JSON.stringify(envelope);
    return `${this.mac(json)}.${json}`;
  }

  /** The envelope, or undefined (counted in `dropped`) when it must not be acted on. */
  open(wire: string, now = Date.now()): Envelope | undefined {
    const dot = wire.indexOf('.');
    if (dot <= 0) return this.drop('unsigned');
    const given = Buffer.from(wire.slice(0, dot), 'base64url');
    const json = wire.slice(dot + 1);
    const expected = Buffer.from(this.mac(json), 'base64url');
    if (given.length !== expected.length || !timingSafeEqual(given, expected)) {
      return this.drop('badSignature');
    }
    let envelope: Envelope;
    try {
      envelope = JSON.parse(json) as Envelope;
    } catch {
      return this.drop('malformed');
    }
    if (envelope.v !== 1 || typeof envelope.id !== 'string' || typeof envelope.ts !== 'number') {
      return this.drop('malformed');
    }
    if (Math.abs(now - envelope.ts) > WINDOW_MS) return this.drop('stale');
    this.prune(now);
    if (this.seen.has(envelope.id)) return this.drop('replay');
    this.seen.set(envelope.id, envelope.ts + WINDOW_MS);
    return envelope;
  }

  private mac(json: string): string {
    return createHmac('sha256', this.secret).update(json).digest('base64url');
  }

  private drop(reason: DropReason): undefined {
    this.dropped[reason] += 1;
    return undefined;
  }

  private prune(now: number): void {
    if (this.seen.size < 10_000) return;
    for (const [id, expires] of this.seen) if (expires < now - WINDOW_MS) this.seen.delete(id);
  }
}
