import { createReadStream } from 'node:fs';
import { createInterface } from 'node:readline';
import type { BatchJob, BatchResult, WorkmeshClient } from '../../client/index.js';
import { WorkmeshError, isWorkmeshError } from '../../errors/index.js';

/** Jobs per request: the API's most (POST /api/work/batch). */
const BATCH_JOBS = 1000;
/** Bytes of jobs per request at most, well under the API's default body limit (1 MiB). */
const BATCH_BYTES = 512 * 1024;

/** A line read: its job, or why it is not one (printed in its place, never sent). */
type Line =
  | { readonly line: number; readonly job: BatchJob }
  | { readonly line: number; readonly error: { code: string; message: string } };

type Printed = { line: number } & (
  | Omit<Extract<BatchResult, { ok: true }>, 'index'>
  | { ok: false; error: { code: string; message: string } }
);

function parseLine(text: string, line: number, defaultType: string): BatchJob {
  let job: unknown;
  try {
    job = JSON.parse(text);
  } catch {
    throw new WorkmeshError('WM_ERR_CLI_USAGE', `line ${line} is not JSON`);
  }
  if (typeof job !== 'object' || job === null || Array.isArray(job))
    throw new WorkmeshError('WM_ERR_CLI_USAGE', `line ${line} is not a JSON object`);
  const withType = job as { type?: unknown; data: unknown };
  return withType.type === undefined ? { ...withType, type: defaultType } : (job as BatchJob);
}

/**
 * `workmesh submit --file jobs.ndjson` (`-`: stdin): one job per line, sent in batches of up to
 * 1,000 (POST /api/work/batch). Prints one JSON result per line on stdout and a summary on
 * stderr; answers the exit code: 0 all accepted, 1 any failed.
 */
export async function submitFile(
  client: WorkmeshClient,
  file: string,
  defaultType: string,
): Promise<number> {
  const input = file === '-' ? process.stdin : createReadStream(file);
  const lines = createInterface({ input, crlfDelay: Infinity });
  let accepted = 0;
  let failed = 0;
  const print = (result: Printed): void => {
    if (result.ok) accepted += 1;
    else failed += 1;
    process.stdout.write(`${JSON.stringify(result)}\n`);
  };
  // Lines of the next request, with the unreadable ones among them: results print in order.
  let batch: Line[] = [];
  let jobs = 0;
  let bytes = 0;
  const send = async (): Promise<void> => {
    const lines = batch;
    batch = [];
    jobs = 0;
    bytes = 0;
    const sending = lines.flatMap((l) => ('job' in l ? [l] : []));
    const results = new Map<number, Printed>();
    try {
      const answer = sending.length
        ? await client.submitBatch(sending.map((l) => l.job))
        : { results: [] };
      for (const { index, ...result } of answer.results) {
        const line = sending[index]!.line;
        results.set(line, { line, ...result });
      }
    } catch (err) {
      // The request as a whole was refused (too large, unauthorized, API away): each of its
      // lines failed with that error.
      if (!isWorkmeshError(err)) throw err;
      for (const { line } of sending)
        results.set(line, { line, ok: false, error: { code: err.code, message: err.message } });
    }
    for (const l of lines)
      print('job' in l ? results.get(l.line)! : { line: l.line, ok: false, error: l.error });
  };
  let n = 0;
  for await (const text of lines) {
    n += 1;
    if (text.trim() === '') continue;
    let job: BatchJob;
    try {
      job = parseLine(text, n, defaultType);
    } catch (err) {
      const { code, message } = err as WorkmeshError;
      batch.push({ line: n, error: { code, message } });
      continue;
    }
    const size = Buffer.byteLength(text);
    if (jobs > 0 && (jobs >= BATCH_JOBS || bytes + size > BATCH_BYTES)) await send();
    batch.push({ line: n, job });
    jobs += 1;
    bytes += size;
  }
  await send();
  process.stderr.write(
    `${accepted} of ${accepted + failed} jobs accepted${failed ? `, ${failed} failed` : ''}\n`,
  );
  return failed > 0 ? 1 : 0;
}
