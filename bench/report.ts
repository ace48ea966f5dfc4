/** Turns the results into docs/benchmarks.md (and the console summary). */
import { METRICS, TARGETS, type Metric, type Results, type System } from './metrics.js';
import { spread } from './stats.js';

export interface RunInfo {
  readonly machine: readonly string[];
  readonly method: readonly string[];
  readonly startedAt: Date;
  readonly durationSec: number;
  /** Commands per job by command, per system (end to end, first repeat). */
  readonly commands: Map<System, Map<string, number>>;
  readonly notes: string;
}

const NAMES: Record<System, string> = {
  workmesh: 'workmesh',
  bullmq: 'BullMQ 6.7.0',
  beequeue: 'Bee-Queue 2.0.0',
  'fastify+bullmq': 'Fastify 5 + BullMQ 6.7.0',
};

function fmt(metric: Metric, v: number): string {
  if (metric.unit === 'MB') return (v / 1e6).toFixed(1);
  if (metric.unit === 'ms' || metric.unit === 'calls') return v < 10 ? v.toFixed(2) : v.toFixed(1);
  return Math.round(v).toLocaleString('en-US');
}

/** How many times better workmesh is than the peer on this metric (>1: better). */
export function advantage(results: Results, metric: Metric, peer: System): number | undefined {
  const ours = results.get(metric.id)?.get('workmesh');
  const theirs = results.get(metric.id)?.get(peer);
  if (!ours?.length || !theirs?.length) return undefined;
  const a = spread(ours).median;
  const b = spread(theirs).median;
  return metric.higherIsBetter ? a / b : b / a;
}

export function table(results: Results, metric: Metric): string[] {
  const bySystem = results.get(metric.id);
  if (!bySystem) return [];
  const lines = [
    `| ${metric.title} (${metric.unit}) | median | min – max | workmesh vs this |`,
    '| --- | ---: | ---: | ---: |',
  ];
  for (const [system, values] of bySystem) {
    const s = spread(values);
    const adv = system === 'workmesh' ? undefined : advantage(results, metric, system);
    lines.push(
      `| ${NAMES[system]} | ${fmt(metric, s.median)} | ${fmt(metric, s.min)} – ${fmt(metric, s.max)} | ${
        adv === undefined ? '' : `${adv.toFixed(2)}× ${adv >= 1 ? 'better' : 'worse'}`
      } |`,
    );
  }
  return lines;
}

export function targetLines(results: Results): string[] {
  const lines = ['| target | workmesh vs peer | verdict |', '| --- | ---: | --- |'];
  for (const t of TARGETS) {
    const metric = METRICS.find((m) => m.id === t.metric)!;
    if (t.peer === 'none') {
      const ours = results.get(metric.id)?.get('workmesh');
      const median = ours?.length ? spread(ours).median : undefined;
      const verdict =
        median === undefined ? 'not measured' : median >= t.atLeast ? '**met**' : '**missed**';
      lines.push(
        `| ${t.text} | ${median === undefined ? '–' : `${fmt(metric, median)} ${metric.unit}`} | ${verdict} |`,
      );
      continue;
    }
    const adv = advantage(results, metric, t.peer);
    const verdict = adv === undefined ? 'not measured' : adv >= t.factor ? '**met**' : '**missed**';
    lines.push(`| ${t.text} | ${adv === undefined ? '–' : `${adv.toFixed(2)}×`} | ${verdict} |`);
  }
  return lines;
}

export function renderReport(results: Results, info: RunInfo): string {
  const out: string[] = [
    '# Benchmarks: workmesh, BullMQ and Bee-Queue',
    '',
    '<!-- Written by `npm run bench` (bench/report.ts); edit bench/notes.md for the prose below the figures. -->',
    '',
    `Figures of the last full run of \`npm run bench\`, ${info.startedAt.toISOString()} (took ${Math.round(info.durationSec)} s). ` +
      'Every system ran in that one run, on the same Redis, so the ratios compare like with like; the absolute figures move with the load of the machine.',
    '',
    '## Machine',
    '',
    ...info.machine.map((l) => `- ${l}`),
    '',
    '## Method',
    '',
    ...info.method.map((l) => `- ${l}`),
    '',
    '## Targets',
    '',
    ...targetLines(results),
    '',
    '## Figures',
    '',
    '"workmesh vs this": how many times better workmesh is (higher throughput, or lower latency, memory or command count), medians compared.',
    '',
  ];
  for (const metric of METRICS) {
    const t = table(results, metric);
    if (t.length > 0) out.push(...t, '');
  }
  if (info.commands.size > 0) {
    out.push('### Redis commands per job, by command (end to end, first repeat)', '');
    for (const [system, calls] of info.commands) {
      const top = [...calls].sort((a, b) => b[1] - a[1]).filter(([, n]) => n >= 0.01);
      out.push(`- ${NAMES[system]}: ${top.map(([c, n]) => `${c} ${n.toFixed(2)}`).join(', ')}`);
    }
    out.push(
      '',
      'Commands run inside Lua scripts are counted too (commandstats counts them), and so is `evalsha` itself.',
      '',
    );
  }
  out.push(info.notes.trim(), '');
  return out.join('\n');
}
