/**
 * Instructions per job from the callgrind dumps bench/script-cost.ts asks for (see there):
 * each dump labelled `round <r> <phase> <jobs>` is one phase of one round.
 *
 *   npx tsx bench/callgrind/report.ts [dir=/tmp/workmesh-callgrind]
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

const dir = process.argv[2] ?? '/tmp/workmesh-callgrind';
const byPhase = new Map<string, number[]>();
for (const name of readdirSync(dir).sort()) {
  const text = readFileSync(join(dir, name), 'utf8');
  const label = /^desc: Trigger: dump (round \d+ (\S+) (\d+))$/m.exec(text);
  const total = /^totals: (\d+)$/m.exec(text);
  if (!label || !total) continue;
  const perJob = Number(total[1]) / Number(label[3]);
  byPhase.set(label[2]!, [...(byPhase.get(label[2]!) ?? []), perJob]);
}
for (const [phase, values] of byPhase)
  console.log(
    `${phase}: ${values.map((v) => Math.round(v).toLocaleString('en')).join(', ')} instructions per job`,
  );
