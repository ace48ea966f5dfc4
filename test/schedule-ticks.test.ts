import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { LATE_MS, checkSchedule, planFire, ticksOf, upcoming } from '../src/schedule/index.js';

/**
 * Tick arithmetic with an injected clock: no waiting for real dates. The clock is the `after`
 * and `now` each function takes; a scheduler loop passes Redis' time there.
 */
const daily = (tz: string) => checkSchedule({ id: 'd', type: 'hash', cron: '30 2 * * *', tz });

/** Every tick from `from` to `to`, walking as the scheduler does (each after the last). */
function walk(def: ReturnType<typeof checkSchedule>, from: string, to: string): Date[] {
  const ticks = ticksOf(def);
  const out: Date[] = [];
  for (
    let t = ticks.next(Date.parse(from));
    t !== undefined && t < Date.parse(to);
    t = ticks.next(t)
  )
    out.push(new Date(t));
  return out;
}

const localDay = (d: Date, tz: string) => d.toLocaleDateString('en-CA', { timeZone: tz });
const localTime = (d: Date, tz: string) => d.toLocaleTimeString('en-GB', { timeZone: tz });

describe('cron with a time zone across DST', () => {
  for (const [tz, spring, fall] of [
    ['Europe/Berlin', '2026-03-29', '2026-10-25'],
    ['America/New_York', '2026-03-08', '2026-11-01'],
  ] as const) {
    it(`${tz}: a daily 02:30 fires once on the spring-forward day (${spring}) and once on the fall-back day (${fall})`, () => {
      const def = daily(tz);
      for (const day of [spring, fall]) {
        const from = new Date(Date.parse(`${day}T00:00:00Z`) - 3 * 86_400_000).toISOString();
        const to = new Date(Date.parse(`${day}T00:00:00Z`) + 3 * 86_400_000).toISOString();
        const ticks = walk(def, from, to);
        const days = ticks.map((t) => localDay(t, tz));
        // One tick per local day, none doubled, none lost.
        assert.equal(
          new Set(days).size,
          days.length,
          `${tz} ${day}: ${ticks.map(String).join(', ')}`,
        );
        assert.ok(days.includes(day), `${tz}: no tick on ${day}`);
        for (let i = 1; i < days.length; i++) {
          assert.equal(Date.parse(days[i]!) - Date.parse(days[i - 1]!), 86_400_000);
        }
        const onDay = ticks.find((t) => localDay(t, tz) === day)!;
        // 02:30 does not exist on the spring-forward day: it fires at 03:00 (the first
        // instant after the gap); on the fall-back day 02:30 happens twice: the first one.
        assert.equal(localTime(onDay, tz), day === spring ? '03:00:00' : '02:30:00');
        for (const t of ticks.filter((x) => x !== onDay))
          assert.equal(localTime(t, tz), '02:30:00');
      }
    });
  }

  it('the fall-back day fires the first 02:30 (summer time), never the second', () => {
    const ticks = walk(daily('Europe/Berlin'), '2026-10-24T12:00:00Z', '2026-10-26T00:00:00Z');
    assert.deepEqual(
      ticks.map((t) => t.toISOString()),
      ['2026-10-25T00:30:00.000Z'],
    );
  });

  it('5 and 6 fields; UTC by default', () => {
    const six = checkSchedule({ id: 's', type: 'hash', cron: '*/15 * * * * *' });
    assert.deepEqual(
      upcoming(six, Date.parse('2026-01-01T00:00:01Z'), 3).map((t) => new Date(t).toISOString()),
      ['2026-01-01T00:00:15.000Z', '2026-01-01T00:00:30.000Z', '2026-01-01T00:00:45.000Z'],
    );
    const five = checkSchedule({ id: 'f', type: 'hash', cron: '0 9 * * 1' });
    assert.deepEqual(
      upcoming(five, Date.parse('2026-12-02T00:00:00Z'), 2).map((t) => new Date(t).toISOString()),
      ['2026-12-07T09:00:00.000Z', '2026-12-14T09:00:00.000Z'],
    );
  });
});

describe('intervals and bounds', () => {
  it('everyMs: a grid anchored at startAt (else the epoch); endAt bounds it', () => {
    const def = checkSchedule({
      id: 'i',
      type: 'hash',
      everyMs: 60_000,
      startAt: '2026-01-01T00:00:10Z',
      endAt: '2026-01-01T00:03:10Z',
    });
    const ticks = ticksOf(def);
    assert.equal(ticks.next(0), Date.parse('2026-01-01T00:00:10Z'));
    assert.equal(
      ticks.next(Date.parse('2026-01-01T00:00:10Z')),
      Date.parse('2026-01-01T00:01:10Z'),
    );
    assert.equal(ticks.next(Date.parse('2026-01-01T00:03:10Z')), undefined);
    const plain = ticksOf(checkSchedule({ id: 'p', type: 'hash', everyMs: 5000 }));
    assert.equal(plain.next(12_345), 15_000);
  });
});

describe('missed-tick policy', () => {
  const every = (missed: 'latest' | 'all', extra: object = {}) =>
    checkSchedule({ id: 'm', type: 'hash', everyMs: 1000, missed, ...extra });

  it('a late tick (within LATE_MS) fires as usual, both policies', () => {
    for (const policy of ['latest', 'all'] as const) {
      assert.deepEqual(planFire(every(policy), 10_000, 10_000 + LATE_MS), {
        tick: 10_000,
        next: 11_000,
        missed: 0,
      });
    }
  });

  it('latest: after an outage, the first tick not missed fires, the missed ones are skipped', () => {
    // Down from tick 10 s to 20.5 s: ticks 10..20 are due; 19 and 20 are within LATE_MS.
    const plan = planFire(every('latest'), 10_000, 20_500);
    assert.deepEqual(plan, { tick: 19_000, next: 20_000, missed: 9 });
  });

  it('latest: when every due tick is missed, the latest fires', () => {
    const def = checkSchedule({ id: 'h', type: 'hash', cron: '0 * * * *' });
    const plan = planFire(
      def,
      Date.parse('2026-01-01T01:00:00Z'),
      Date.parse('2026-01-01T05:30:00Z'),
    );
    assert.equal(new Date(plan.tick).toISOString(), '2026-01-01T05:00:00.000Z');
    assert.equal(plan.missed, 4);
    assert.equal(new Date(plan.next!).toISOString(), '2026-01-01T06:00:00.000Z');
  });

  it('all: every due tick fires in turn, up to missedCap', () => {
    assert.deepEqual(planFire(every('all'), 10_000, 15_500), {
      tick: 10_000,
      next: 11_000,
      missed: 0,
    });
    assert.deepEqual(planFire(every('all', { missedCap: 3 }), 10_000, 20_500), {
      tick: 18_000,
      next: 19_000,
      missed: 8,
    });
  });
});
