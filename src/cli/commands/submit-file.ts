import { createReadStream } from 'node:fs';
import { createInterface } from 'node:readline';
import type { BatchJob, BatchResult, WorkmeshClient } from '../../client/index.js';
import { WorkmeshError, isWorkmeshError } from '../../errors/index.js';

/** Jobs per request: the API's most (POST /api/work/batch). */
const BATCH_JOBS = 1000;
/** Bytes of jobs per request at most, well under the API's default body limit (1 MiB). */
const BATCH_BYTES = 512 * 1024;

interface Line {
  readonly line: number;
  readonly job: BatchJob;
  readonly bytes: number;
}

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
  let batch: Line[] = [];
  let bytes = 0;
  const send = async (): Promise<void> => {
    if (batch.length === 0) return;
    const sending = batch;
    batch = [];
    bytes = 0;
    try {
      const answer = await client.submitBatch(sending.map((l) => l.job));
      for (const { index, ...result } of answer.results)
        print({ line: sending[index]!.line, ...result } as Printed);
    } catch (err) {
      // The request as a whole was refused (too large, unauthorized, API away): each of its
      // lines failed with that error.
      if (!isWorkmeshError(err)) throw err;
      for (const l of sending)
        print({ line: l.line, ok: false, error: { code: err.code, message: err.message } });
    }
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
      print({ line: n, ok: false, error: { code, message } });
      continue;
    }
    const size = Buffer.byteLength(text);
    if (batch.length > 0 && (batch.length >= BATCH_JOBS || bytes + size > BATCH_BYTES))
      await send();
    batch.push({ line: n, job, bytes: size });
    bytes += size;
  }
  await send();
  process.stderr.write(
    `${accepted} of ${accepted + failed} jobs accepted${failed ? `, ${failed} failed` : ''}\n`,
  );
  return failed > 0 ? 1 : 0;
}
