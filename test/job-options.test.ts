import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { retryDelayMs } from '../src/queue/index.js';

describe('retry backoff', () => {
  it('fixed: the same delay every time', () => {
    for (const attempt of [1, 2, 7])
      assert.equal(retryDelayMs({ type: 'fixed', delayMs: 250 }, attempt), 250);
  });

  it('exponential: doubles per attempt, between half and all of it (jitter), capped', () => {
    const b = { type: 'exponential' as const, delayMs: 1000, maxDelayMs: 10_000 };
    assert.equal(
      retryDelayMs(b, 1, () => 0),
      500,
    );
    assert.equal(
      retryDelayMs(b, 1, () => 1),
      1000,
    );
    assert.equal(
      retryDelayMs(b, 3, () => 1),
      4000,
    );
    assert.equal(
      retryDelayMs(b, 3, () => 0),
      2000,
    );
    assert.equal(
      retryDelayMs(b, 20, () => 1),
      10_000,
    );
    const spread = new Set(Array.from({ length: 20 }, () => retryDelayMs(b, 2)));
    assert.ok(spread.size > 5, 'jitter spreads retries');
  });
});
