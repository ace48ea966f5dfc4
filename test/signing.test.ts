import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Signer, type Envelope } from '../src/cluster/index.js';

const envelope = (id: string, ts = Date.now()): Envelope => ({
  v: 1,
  id,
  from: 'a',
  ts,
  kind: 'send',
  body: { x: 1 },
});

describe('message signing', () => {
  it('opens what the same secret signed', () => {
    const signer = new Signer('s');
    assert.deepEqual(signer.open(signer.sign(envelope('1')))?.body, { x: 1 });
  });

  it('drops a wrong signature, a tampered body, unsigned, stale and replayed messages, counting each', () => {
    const signer = new Signer('s');
    const other = new Signer('t');
    assert.equal(signer.open(other.sign(envelope('2'))), undefined);
    const wire = signer.sign(envelope('3'));
    assert.equal(signer.open(wire.replace('"x":1', '"x":2')), undefined);
    assert.equal(signer.open('{"v":1}'), undefined);
    assert.equal(signer.open(signer.sign(envelope('4', Date.now() - 60_000))), undefined);
    assert.ok(signer.open(wire));
    assert.equal(signer.open(wire), undefined, 'the same message twice is a replay');
    assert.deepEqual(signer.dropped, {
      unsigned: 1,
      badSignature: 2,
      stale: 1,
      replay: 1,
      malformed: 0,
    });
  });
});
